// How long Codex may wait between two streamed events: `stream_idle_timeout_ms` of the provider.
// Decided here once, from what the verifier measured, for the profile writer (which writes it) and
// the verifier (which says what the profile will write).
//
// What Codex 0.169 times (observed against scripted servers, test/process/codex-later-agreement):
// the idle timer starts when the response HEADERS arrive and restarts at every SSE event (comment
// pings do not count); before the headers nothing is timed. So a slow prompt trips it only on a server
// that answers with headers (and response.created) first and then processes the prompt (vLLM); one that
// sends nothing until its first output (llama.cpp) can take as long as it needs.
//
// Why the whole context and not the first prompt: Codex's first prompt through the profile is ~2k
// tokens, but after a cache miss (a server restart, another client on the slot, a retry after an idle
// timeout) Codex's next request is processed cold from the first token, and by then the history can
// fill the context. That prompt must fit inside the idle timeout, or every retry starts cold again
// and the session never recovers.
import { AGENTS } from '../agents';

/** Codex's own default, and the least the profile writes. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000;
/** Room above the measured time: prompt rate drops as the context fills (attention cost grows). */
export const IDLE_TIMEOUT_MARGIN = 1.5;
/** An hour: past that a session is not usable anyway, and a real stall should still end. */
export const MAX_STREAM_IDLE_TIMEOUT_MS = 3_600_000;

/** What the verifier measured on the Codex-sized turn (see CodexFindings). */
export interface PromptTiming {
  /** Prompt tokens per second. */
  tps?: number;
  /** Request → first output item. */
  promptMs?: number;
  /** The part of promptMs Codex sees as silence: from the headers (or the last event) to the first output item. */
  idleMs?: number;
}

export interface IdleTimeoutPlan {
  ms: number;
  /** True when the measurement calls for more than Codex's default. */
  raised: boolean;
  /** One sentence with the numbers behind `ms`. */
  why: string;
}

const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

/** The idle timeout for a server with this prompt timing and a `contextWindow`-token context. */
export function idleTimeoutFor(t: PromptTiming, contextWindow: number | undefined): IdleTimeoutPlan {
  const { tps } = t;
  if (!tps || !Number.isFinite(tps) || tps <= 0)
    return { ms: DEFAULT_STREAM_IDLE_TIMEOUT_MS, raised: false, why: "prompt processing rate not measured: Codex's default idle timeout" };
  const tokens = contextWindow && contextWindow > 0 ? contextWindow : AGENTS.codex.minContextTokens;
  const coldMs = (tokens / tps) * 1000;
  const what = `A cold prompt that fills the ${contextWindow ? `${tokens}-token context` : `${tokens}-token minimum context`} takes about ${seconds(coldMs)} at ${tps} tokens/s`;
  // The share of the prompt time Codex's idle timer sees (unknown: all of it, to be safe).
  const visible = t.idleMs !== undefined && t.promptMs ? Math.min(1, Math.max(0, t.idleMs / t.promptMs)) : 1;
  if (visible < 0.1) {
    return {
      ms: DEFAULT_STREAM_IDLE_TIMEOUT_MS,
      raised: false,
      why: `${what}, but this server sends nothing, not even its headers, until its first output, and Codex's idle timer starts at the headers: Codex's default idle timeout.`,
    };
  }
  const wanted = Math.ceil((coldMs * visible * IDLE_TIMEOUT_MARGIN) / 10_000) * 10_000;
  const ms = Math.min(MAX_STREAM_IDLE_TIMEOUT_MS, Math.max(DEFAULT_STREAM_IDLE_TIMEOUT_MS, wanted));
  // Codex's idle timer starts at the response headers: what it waits through is the part of the
  // prompt time after them, while the server sends nothing.
  const silent =
    visible < 0.95
      ? `; the server sends its headers first, so Codex's idle timer waits through ${seconds(coldMs * visible)} of it (${Math.round(visible * 100)}%) with nothing arriving`
      : "; the server sends its headers first, so Codex's idle timer waits through all of it with nothing arriving";
  if (ms === DEFAULT_STREAM_IDLE_TIMEOUT_MS)
    return { ms, raised: false, why: `${what}${silent}: Codex's default idle timeout (${seconds(ms)}) covers it ×${IDLE_TIMEOUT_MARGIN}.` };
  return {
    ms,
    raised: true,
    why: `${what}${silent}; ×${IDLE_TIMEOUT_MARGIN} for margin${ms === MAX_STREAM_IDLE_TIMEOUT_MS ? ', capped at an hour' : ''}.`,
  };
}
