// What a server's own answers say about its models: a `/v1/models` entry's context window and
// llama.cpp's `/props` (the slot's context, the template's tool support, the template, the build).
// Discovery and the verifier read them here, by one rule.
import type { ServerKind } from './serverKind';

export type ContextSource = 'llamacpp-slot' | 'vllm-max-model-len' | 'llamacpp-train' | 'ollama-model-info';

/** A `/v1/models` data entry as the servers send it (llama.cpp `meta`, vLLM `max_model_len`). */
export interface ModelsEntry {
  id?: unknown;
  owned_by?: unknown;
  max_model_len?: unknown;
  aliases?: unknown;
  meta?: { n_ctx?: unknown; n_ctx_train?: unknown };
}

export function positive(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined;
}

/**
 * The context one request can hold, from a `/v1/models` entry: llama.cpp's slot (`meta.n_ctx`), vLLM's
 * `max_model_len`, else llama.cpp's training context (an upper bound until /props says the slot's).
 */
export function listedContext(
  entry: ModelsEntry,
  kind: ServerKind | undefined,
): { contextWindow: number; contextSource: ContextSource } | undefined {
  const slot = positive(entry.meta?.n_ctx);
  if (slot) return { contextWindow: slot, contextSource: 'llamacpp-slot' };
  const vllm = positive(entry.max_model_len);
  if (vllm) return { contextWindow: vllm, contextSource: 'vllm-max-model-len' };
  const train = positive(entry.meta?.n_ctx_train);
  if (train && kind === 'llamacpp') return { contextWindow: train, contextSource: 'llamacpp-train' };
  return undefined;
}

/** What llama.cpp's `/props` says. */
export interface LlamaPropsFacts {
  /** What one request can hold: a slot's context (the whole context split by --parallel). */
  slotContext?: number;
  /** Whether the chat template can carry tool calls (`chat_template_caps.supports_tools`). */
  templateTools?: boolean;
  chatTemplate?: string;
  build?: string;
}

export function llamaPropsFacts(value: unknown): LlamaPropsFacts {
  if (typeof value !== 'object' || value === null) return {};
  const v = value as {
    build_info?: unknown;
    chat_template?: unknown;
    default_generation_settings?: { n_ctx?: unknown };
    chat_template_caps?: { supports_tools?: unknown };
  };
  const out: LlamaPropsFacts = {};
  const slot = positive(v.default_generation_settings?.n_ctx);
  if (slot) out.slotContext = slot;
  if (typeof v.chat_template_caps?.supports_tools === 'boolean') out.templateTools = v.chat_template_caps.supports_tools;
  if (typeof v.chat_template === 'string') out.chatTemplate = v.chat_template;
  if (typeof v.build_info === 'string') out.build = v.build_info;
  return out;
}
