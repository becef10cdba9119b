// Which server software answers at an endpoint, told from what it sends, and what is known about
// each kind: the versions that added the APIs the agents need, and where to get it. Discovery, the
// verifier, the fixes and the CLI all ask here.
import type { ProviderId } from './providers';

export const SERVER_KINDS = ['llamacpp', 'ollama', 'vllm', 'lmstudio', 'openai-compatible'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export interface ServerKindInfo {
  displayName: string;
  /** The program a person installs. */
  program: string;
  downloadUrl?: string;
  /** The first version that serves /v1/responses (Codex's only wire API). */
  responsesSince: string;
  /** The first version that serves Anthropic's /v1/messages (Claude Code's wire API). */
  messagesSince: string;
}

// Versions: local-servers.md ("Which servers serve /v1/responses") and claude-code.md.
export const SERVER_KIND_INFO: Record<ServerKind, ServerKindInfo> = {
  ollama: {
    displayName: 'Ollama',
    program: 'ollama',
    downloadUrl: 'https://ollama.com/download',
    responsesSince: '0.13.4',
    messagesSince: '0.14.0',
  },
  lmstudio: {
    displayName: 'LM Studio',
    program: 'lms',
    downloadUrl: 'https://lmstudio.ai/download',
    responsesSince: '0.3.29',
    messagesSince: '0.4.1',
  },
  llamacpp: {
    displayName: 'llama.cpp (llama-server)',
    program: 'llama-server',
    downloadUrl: 'https://github.com/ggml-org/llama.cpp/releases',
    responsesSince: 'a build from January 2026 or later',
    messagesSince: 'a build from December 2025 or later (llama.cpp PR #17570)',
  },
  vllm: {
    displayName: 'vLLM',
    program: 'vllm',
    downloadUrl: 'https://docs.vllm.ai/en/latest/getting_started/installation/',
    responsesSince: 'a release with /v1/responses (0.10.2 or later)',
    messagesSince: 'a release with the Anthropic Messages API (after vLLM PR #22627)',
  },
  'openai-compatible': {
    displayName: 'the server',
    program: 'the server',
    responsesSince: 'a version that serves /v1/responses (or a Responses bridge such as LiteLLM in front of it)',
    messagesSince: 'a version that serves /v1/messages (or an Anthropic-compatible bridge in front of it)',
  },
};

/** What a `/v1/models` answer can tell about the server behind it. */
export interface ModelsEvidence {
  headers: Record<string, string>;
  body: { data?: unknown; models?: unknown } | undefined;
}

/**
 * The server kind from evidence alone; undefined when nothing in the answer says. llama-server
 * names itself in the `Server` header and as `owned_by`; vLLM says `owned_by: "vllm"` and reports
 * `max_model_len`; Ollama answers `data: null` without models and owns its library models.
 */
export function kindFromEvidence(e: ModelsEvidence): ServerKind | undefined {
  if (/llama\.cpp/i.test(e.headers.server ?? '')) return 'llamacpp';
  const data = Array.isArray(e.body?.data) ? (e.body.data as { owned_by?: unknown; max_model_len?: unknown }[]) : [];
  const owners = new Set(data.map(d => d?.owned_by));
  if (owners.has('llamacpp')) return 'llamacpp';
  if (owners.has('vllm') || data.some(d => typeof d?.max_model_len === 'number')) return 'vllm';
  if (e.body?.data === null || (owners.has('library') && !Array.isArray(e.body?.models))) return 'ollama';
  return undefined;
}

/** The kind a provider's endpoint is assumed to be when the answer does not say. */
export function kindOfProvider(provider: ProviderId): ServerKind {
  return provider === 'openaiCompatible' ? 'openai-compatible' : provider;
}

/** Evidence first, then what the endpoint was configured as. */
export function detectServerKind(provider: ProviderId, e: ModelsEvidence): ServerKind {
  return kindFromEvidence(e) ?? kindOfProvider(provider);
}
