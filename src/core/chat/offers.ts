// Which models VS Code's chat gets from this extension, and how each is described: the models of the
// servers discovery finds up, with the context window the server reports, and tool and image support
// as the verification measured them. Nothing is claimed that was not measured: a capability nobody
// checked is left out and the tooltip says so.
import type { EndpointProbe, ModelInfo } from '../route/discovery';
import type { VerificationSummary } from '../route/routeHealth';
import type { AgentId } from '../agents';
import { routeKey, type Route } from '../route/route';
import { routeFor } from '../route/pickerModel';
import { PROVIDERS } from '../providers';
import { describeReach, endpointReach } from '../route/endpointReach';

/** Assumed when the server does not report its context window (LM Studio, generic servers): the tooltip says so. */
export const ASSUMED_CONTEXT = 8_192;
/** Room kept for the answer inside the context window: a quarter of it, at most this many tokens. */
const MAX_OUTPUT_CAP = 4_096;

/** Plain http to another host: `ask` before the first prompt; `refused` when the person said no (nothing is offered). */
export type ChatConsent = 'send' | 'ask' | 'refused';

/** `short` goes into the picker's detail line, `why` into the tooltip. */
export type Verdict = { known: true; value: boolean; short: string; why: string } | { known: false; short: string; why: string };

/** What VS Code's LanguageModelChatInformation needs, plus the route it is served from. */
export interface ChatModelOffer {
  /** Unique per provider: the route key (base URL # model). */
  id: string;
  name: string;
  /** The server kind (`llamacpp`, `ollama`, …): what `selectChatModels({ family })` matches. */
  family: string;
  /** The server's build or version, `unknown` when it does not say. */
  version: string;
  maxInputTokens: number;
  maxOutputTokens: number;
  /** Only what was measured: an unknown capability is absent, never `true`. */
  capabilities: { toolCalling?: boolean; imageInput?: boolean };
  tooltip: string;
  /** Shown beside the name in the model picker: where it runs, and why tools are off when they are. */
  detail: string;
  route: Route;
  toolCalling: Verdict;
  imageInput: Verdict;
  consent: Exclude<ChatConsent, 'refused'>;
}

export interface OfferInput {
  probes: readonly EndpointProbe[];
  verifications(route: Route): Partial<Record<AgentId, VerificationSummary>>;
  consent(baseUrl: string): ChatConsent;
}

/** The context split between prompt and answer: llama.cpp's n_ctx holds both. */
export function splitContext(contextWindow: number): { maxInputTokens: number; maxOutputTokens: number } {
  const maxOutputTokens = Math.max(1, Math.min(MAX_OUTPUT_CAP, Math.floor(contextWindow / 4)));
  return { maxInputTokens: contextWindow - maxOutputTokens, maxOutputTokens };
}

const CONTEXT_SOURCES: Record<NonNullable<ModelInfo['contextSource']>, string> = {
  'llamacpp-slot': "llama.cpp's per-slot n_ctx",
  'llamacpp-train': "the model's training context (llama.cpp did not report a slot size)",
  'ollama-model-info': "the model's context_length (Ollama serves with its own num_ctx, which may be smaller)",
  'vllm-max-model-len': "vLLM's max_model_len",
};

/** Tool calling: a failed verification, then the server's own "no", then a passed verification; otherwise unknown. */
export function toolCallingVerdict(m: ModelInfo, v: Partial<Record<AgentId, VerificationSummary>>): Verdict {
  // Chat requests go out on the Responses API, which Codex's verification checks.
  const codex = v.codex;
  const stage = codex?.toolCall ?? (codex?.failedStage === 'tool-call' ? { status: 'fail' as const, code: codex.diagnosis } : undefined);
  const when = codex ? new Date(codex.at).toISOString().slice(0, 10) : '';
  if (stage?.status === 'fail') {
    const code = stage.code ?? 'failed';
    return {
      known: true,
      value: false,
      short: `no tools: failed verification (${code})`,
      why: `tool calls failed verification (${code}, ${when})${'message' in stage && stage.message ? `: ${stage.message}` : ''}`,
    };
  }
  if (m.tools === false)
    return {
      known: true,
      value: false,
      short: 'no tools: the server reports none',
      why: `the server reports no tool support (${m.toolsWhy ?? 'its capabilities'})`,
    };
  if (stage?.status === 'pass' || stage?.status === 'warn')
    return { known: true, value: true, short: 'tools verified', why: `a tool-call round trip passed verification (${when})` };
  const claim = m.tools ? 'the server says it supports tools; ' : '';
  return {
    known: false,
    short: 'tools not verified',
    why: `not verified yet: ${claim}pick this model in Local Model Router's status bar and run "Verify Route"`,
  };
}

/** Image input: what the verification's image request showed (Ollama's own capability list can only say no). */
export function imageInputVerdict(m: ModelInfo, v: Partial<Record<AgentId, VerificationSummary>>): Verdict {
  if (m.capabilities && !m.capabilities.includes('vision'))
    return { known: true, value: false, short: 'no images', why: 'Ollama lists no vision capability for this model' };
  switch (v.codex?.findings?.toolTypes?.['image-output']) {
    case 'accepted':
      return {
        known: true,
        value: true,
        short: 'images',
        why: 'the server took an image in the verification (whether the model reads it well is not checked)',
      };
    case 'rejected':
      return { known: true, value: false, short: 'no images', why: 'the server refused an image in the verification' };
    case 'dropped':
      return { known: true, value: false, short: 'no images', why: 'the server dropped an image in the verification' };
    default:
      return { known: false, short: 'images not verified', why: 'not verified yet' };
  }
}

/** Ollama lists embedding models too; only models that complete text can chat. */
function canChat(m: ModelInfo): boolean {
  return !m.capabilities || m.capabilities.includes('completion');
}

export function chatModelOffers(input: OfferInput): ChatModelOffer[] {
  const out: ChatModelOffer[] = [];
  const seen = new Set<string>();
  for (const p of input.probes) {
    if (p.result.kind !== 'up') continue;
    const consent = input.consent(p.baseUrl);
    if (consent === 'refused') continue;
    const server = p.result.server;
    for (const m of p.result.models) {
      if (!canChat(m)) continue;
      const route = routeFor(p, m);
      const id = routeKey(route);
      if (seen.has(id)) continue;
      seen.add(id);
      const v = input.verifications(route);
      const toolCalling = toolCallingVerdict(m, v);
      const imageInput = imageInputVerdict(m, v);
      const context = m.contextWindow ?? ASSUMED_CONTEXT;
      const split = splitContext(context);
      const serverName = p.label ?? PROVIDERS[p.provider].displayName;
      const where = `${serverName} · ${hostOf(p.baseUrl)}`;
      const reach = describeReach(endpointReach(p));
      const detail = [where, toolCalling.short, ...(consent === 'ask' ? ['asks before sending over plain http'] : [])].join(' · ');
      const contextLine = m.contextWindow
        ? `Context: ${context.toLocaleString('en-US')} tokens (${m.contextSource ? CONTEXT_SOURCES[m.contextSource] : 'reported by the server'})`
        : `Context: not reported by the server; ${ASSUMED_CONTEXT.toLocaleString('en-US')} tokens assumed`;
      const tooltip = [
        `${m.id} on ${serverName}${server.version ? ` ${server.version}` : ''} at ${p.baseUrl}${reach ? ` (${reach})` : ''}`,
        `${contextLine}: up to ${split.maxInputTokens.toLocaleString('en-US')} in, ${split.maxOutputTokens.toLocaleString('en-US')} out`,
        `Tool calling: ${toolCalling.known ? (toolCalling.value ? 'yes' : 'no') : 'unknown'} — ${toolCalling.why}`,
        `Image input: ${imageInput.known ? (imageInput.value ? 'yes' : 'no') : 'unknown'} — ${imageInput.why}`,
        ...(consent === 'ask' ? ['Plain http to another host: the first prompt asks before it is sent'] : []),
      ].join('\n');
      out.push({
        id,
        name: m.id,
        family: server.kind,
        version: server.version ?? 'unknown',
        ...split,
        capabilities: {
          ...(toolCalling.known ? { toolCalling: toolCalling.value } : {}),
          ...(imageInput.known ? { imageInput: imageInput.value } : {}),
        },
        tooltip,
        detail,
        route,
        toolCalling,
        imageInput,
        consent,
      });
    }
  }
  return out;
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}
