// Waits until a server the extension started actually serves. llama-server listens at once but
// answers every path with 503 "Loading model" until the model is in memory (minutes for big
// models); vLLM refuses connections until its engine is up; Ollama and LM Studio are quick.
import { createAgent, httpRequest, HttpFailure } from '../net/http';
import { errorMessageFromBody, saysModelLoading } from '../net/errors';
import { serverRoot } from '../endpoints';
import { SERVER_SPECS, type LaunchProvider } from '../servers';

export type ReadinessState = { kind: 'waiting'; detail: string } | { kind: 'loading'; message: string };

export interface ProcessEnd {
  code: number | null;
  signal?: string | null;
}

export type ReadyResult =
  | { kind: 'ready'; ms: number; url: string; sawLoading: boolean }
  | { kind: 'timeout'; ms: number; last: string }
  | { kind: 'cancelled'; ms: number }
  | { kind: 'exited'; ms: number; code: number | null; signal?: string | null };

export interface WaitOptions {
  provider: LaunchProvider;
  baseUrl: string;
  timeoutMs: number;
  /** Pause between two probes; default: pollIntervalMs(elapsed). */
  intervalMs?: number;
  signal?: AbortSignal;
  apiKey?: string;
  /** Settles when the process ends: the wait stops at once with its exit code. */
  exited?: Promise<ProcessEnd>;
  onState?: (s: ReadinessState) => void;
}

export type ServingProbe = { kind: 'ready'; url: string } | { kind: 'loading'; message: string } | { kind: 'waiting'; detail: string };
type Probe = ServingProbe;

/** One look: does something already serve there (before starting a second server on the same port)? */
export async function checkServing(
  provider: LaunchProvider,
  baseUrl: string,
  o: { apiKey?: string; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ServingProbe> {
  const agent = createAgent(1_000);
  try {
    return await probeOnce(
      { provider, baseUrl, timeoutMs: o.timeoutMs ?? 1_500, apiKey: o.apiKey },
      o.signal ?? new AbortController().signal,
      o.timeoutMs ?? 1_500,
      agent,
    );
  } finally {
    void agent.close();
  }
}

/**
 * Poll often at first — a probe of a loopback port costs next to nothing and people wait for the
 * "ready" — then back off for models that take minutes to load (readiness target: BENCHMARKS.md).
 */
export function pollIntervalMs(elapsedMs: number): number {
  if (elapsedMs < 30_000) return 100;
  if (elapsedMs < 120_000) return 250;
  return 1_000;
}

export async function waitUntilReady(o: WaitOptions): Promise<ReadyResult> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  const deadline = t0 + o.timeoutMs;
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  // A holder, so the checks below see the value the exit callback sets.
  const proc: { ended?: ProcessEnd } = {};
  const exitedResult = (): ReadyResult | undefined =>
    proc.ended ? { kind: 'exited', ms: ms(), code: proc.ended.code, signal: proc.ended.signal } : undefined;
  void o.exited?.then(e => {
    proc.ended = e;
    stop.abort();
  });
  const agent = createAgent(1_000);
  let sawLoading = false;
  let last = 'no answer yet';
  try {
    for (;;) {
      const before = exitedResult();
      if (before) return before;
      if (o.signal?.aborted) return { kind: 'cancelled', ms: ms() };
      const remaining = deadline - performance.now();
      if (remaining <= 0) return { kind: 'timeout', ms: ms(), last };
      const p = await probeOnce(o, signal, Math.min(5_000, Math.max(200, remaining)), agent);
      const after = exitedResult();
      if (after) return after;
      if (o.signal?.aborted) return { kind: 'cancelled', ms: ms() };
      if (p.kind === 'ready') return { kind: 'ready', ms: ms(), url: p.url, sawLoading };
      if (p.kind === 'loading') sawLoading = true;
      last = p.kind === 'loading' ? p.message : p.detail;
      o.onState?.(p);
      await sleep(Math.min(o.intervalMs ?? pollIntervalMs(ms()), Math.max(0, deadline - performance.now())), signal);
    }
  } finally {
    stop.abort();
    void agent.close();
  }
}

async function probeOnce(o: WaitOptions, signal: AbortSignal, budget: number, agent: ReturnType<typeof createAgent>): Promise<Probe> {
  const root = serverRoot(o.baseUrl);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
  let detail = 'no answer yet';
  for (const path of SERVER_SPECS[o.provider].readinessPaths) {
    const url = `${root}${path}`;
    try {
      const res = await httpRequest({
        url,
        headers,
        signal,
        dispatcher: agent,
        limits: { connectMs: Math.min(1_000, budget), headersMs: budget, idleMs: budget, totalMs: budget, maxBytes: 1024 * 1024 },
      });
      const message = errorMessageFromBody(res.text, 300);
      if (saysModelLoading(res.status, message)) return { kind: 'loading', message };
      if (res.status >= 200 && res.status < 300) return { kind: 'ready', url };
      // Serving, but wants a key the probe does not have: the server itself is up.
      if (res.status === 401 || res.status === 403) return { kind: 'ready', url };
      detail = `${path} answered ${res.status}${message ? `: ${message}` : ''}`;
      if (res.status === 404) continue;
      return { kind: 'waiting', detail };
    } catch (e) {
      const f = e instanceof HttpFailure ? e : new HttpFailure('network', String(e));
      return { kind: 'waiting', detail: f.kind === 'refused' ? 'not listening yet' : f.message };
    }
  }
  return { kind: 'waiting', detail };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
