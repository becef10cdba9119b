// How long Codex may wait for a server's first streamed event: `stream_idle_timeout_ms` of the
// provider. Decided here once, from the prompt-processing rate the verifier measured, for the
// profile writer (which writes it) and the verifier (which says what the profile will write).
//
// Why the whole context and not the first prompt: Codex's first prompt through the profile is
// ~2k tokens, but after a cache miss (a server restart, another client on the slot, a retry after
// an idle timeout) Codex's next request is processed cold from the first token, and by then the
// history can fill the context. That prompt must fit inside the idle timeout, or every retry starts
// cold again and the session never recovers.
import { AGENTS } from '../agents';

/** Codex's own default, and the least the profile writes. */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 300_000;
/** Room above the measured time: prompt rate drops as the context fills (attention cost grows). */
export const IDLE_TIMEOUT_MARGIN = 1.5;
/** An hour: past that a session is not usable anyway, and a real stall should still end. */
export const MAX_STREAM_IDLE_TIMEOUT_MS = 3_600_000;

export interface IdleTimeoutPlan {
  ms: number;
  /** True when the rate calls for more than Codex's default. */
  raised: boolean;
  /** One sentence with the numbers behind `ms`. */
  why: string;
}

const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

/** The idle timeout for a server that processes `tps` prompt tokens per second with a `contextWindow`-token context. */
export function idleTimeoutFor(tps: number | undefined, contextWindow: number | undefined): IdleTimeoutPlan {
  if (!tps || !Number.isFinite(tps) || tps <= 0) return { ms: DEFAULT_STREAM_IDLE_TIMEOUT_MS, raised: false, why: 'prompt processing rate not measured: Codex\'s default idle timeout' };
  const tokens = contextWindow && contextWindow > 0 ? contextWindow : AGENTS.codex.minContextTokens;
  const coldMs = (tokens / tps) * 1000;
  const wanted = Math.ceil((coldMs * IDLE_TIMEOUT_MARGIN) / 10_000) * 10_000;
  const ms = Math.min(MAX_STREAM_IDLE_TIMEOUT_MS, Math.max(DEFAULT_STREAM_IDLE_TIMEOUT_MS, wanted));
  const what = `A cold prompt that fills the ${contextWindow ? `${tokens}-token context` : `${tokens}-token minimum context`} takes about ${seconds(coldMs)} at ${tps} tokens/s`;
  if (ms === DEFAULT_STREAM_IDLE_TIMEOUT_MS) return { ms, raised: false, why: `${what}: Codex's default idle timeout (${seconds(ms)}) covers it ×${IDLE_TIMEOUT_MARGIN}.` };
  return { ms, raised: true, why: `${what}; ×${IDLE_TIMEOUT_MARGIN} for margin${ms === MAX_STREAM_IDLE_TIMEOUT_MS ? ', capped at an hour' : ''}.` };
}
