// Keeps one ssh tunnel up: starts ssh, waits until the server behind it answers HTTP on the local
// end, restarts ssh when it ends on its own (Wi-Fi drops, laptop sleeps, the far end reboots), and
// stops it on request. A tunnel that never came up is not retried: that is a wrong host, key or port,
// and retrying would only hide ssh's own explanation. Restarts back off, and a run of fast failures
// ends in `failed` with ssh's last lines.
import { createAgent, httpRequest, HttpFailure } from '../net/http';
import { spawnServer, type ServerProcess } from '../launch/process';
import type { ProcessEnd } from '../launch/readiness';
import { isLocalPortFree } from './localPort';
import type { TunnelCommand } from './spec';

export type TunnelFailure =
  /** Something else listens on the local port. */
  | 'port-taken'
  /** The ssh program is not installed (or not executable). */
  | 'ssh-not-found'
  /** ssh ended before the tunnel was up: host, key, host key or forwarding refused (see lastLines). */
  | 'ssh-exited'
  /** ssh holds the local port, but nothing answers HTTP behind it: no server on the remote port. */
  | 'no-answer'
  /** ssh did not open the local port in time (a host that drops packets, a hanging login). */
  | 'timeout'
  /** After being up, it kept failing fast: `maxFastFailures` in a row. */
  | 'gave-up';

export type TunnelState =
  | { kind: 'starting'; attempt: number; phase: 'connecting' | 'forwarding'; pid?: number }
  /** `status`: the HTTP status of the first answer through the tunnel (absent when its body was over the cap). */
  | { kind: 'up'; attempt: number; pid: number; localBaseUrl: string; status?: number; ms: number }
  | { kind: 'restarting'; attempt: number; delayMs: number; fastFailures: number; exit: ProcessEnd; lastLines: string[] }
  | { kind: 'failed'; reason: TunnelFailure; message: string; exit?: ProcessEnd; lastLines: string[] }
  | { kind: 'stopped' };

export interface RestartPolicy {
  /** First pause before a restart; doubled after each fast failure. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A run shorter than this (from up to exit, or never up) counts as a fast failure. */
  fastMs: number;
  maxFastFailures: number;
}

export const DEFAULT_RESTART: RestartPolicy = { baseDelayMs: 500, maxDelayMs: 15_000, fastMs: 10_000, maxFastFailures: 5 };

export interface SuperviseOptions {
  onState?: (s: TunnelState) => void;
  /** ssh's own output (stderr), as it arrives. */
  onOutput?: (text: string) => void;
  /** From spawn to the first HTTP answer through the tunnel. */
  readyTimeoutMs?: number;
  probeIntervalMs?: number;
  restart?: Partial<RestartPolicy>;
  /** The environment ssh starts from (SSH_AUTH_SOCK, HOME …); default process.env. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Lines of ssh output carried in `failed` and `restarting`. */
  lastLines?: number;
}

export interface TunnelSupervisor {
  readonly state: TunnelState;
  readonly pid: number | undefined;
  readonly localBaseUrl: string;
  /** Settles at the first `up`, `failed` or `stopped`; the supervision goes on after `up`. */
  readonly firstSettled: Promise<TunnelState>;
  /** Settles when supervision is over: `failed` (gave up) or `stopped`. */
  readonly ended: Promise<TunnelState>;
  /** Stops ssh (SIGTERM to its group, SIGKILL after `graceMs`) and any pending restart. */
  stop(graceMs?: number): Promise<void>;
}

/** The pause before a restart: the base delay, doubled for each further fast failure in a row. */
export function backoffMs(fastFailures: number, p: RestartPolicy): number {
  return Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** Math.max(0, fastFailures - 1));
}

/** Starts at once. The caller owns the result and must call stop() (the extension: with the window). */
export function superviseTunnel(cmd: TunnelCommand, o: SuperviseOptions = {}): TunnelSupervisor {
  const policy: RestartPolicy = { ...DEFAULT_RESTART, ...o.restart };
  const readyTimeoutMs = o.readyTimeoutMs ?? 30_000;
  const keep = o.lastLines ?? 12;
  const stopping = new AbortController();
  let state: TunnelState = { kind: 'starting', attempt: 1, phase: 'connecting' };
  let proc: ServerProcess | undefined;
  let settle!: (s: TunnelState) => void;
  let end!: (s: TunnelState) => void;
  const firstSettled = new Promise<TunnelState>(r => (settle = r));
  const ended = new Promise<TunnelState>(r => (end = r));
  const set = (s: TunnelState) => {
    state = s;
    if (s.kind === 'up' || s.kind === 'failed' || s.kind === 'stopped') settle(s);
    if (s.kind === 'failed' || s.kind === 'stopped') end(s);
    o.onState?.(s);
  };
  const lines = () => (proc ? proc.output.recent(keep).filter(l => l.trim()) : []);

  async function run(): Promise<void> {
    let everUp = false;
    let fastFailures = 0;
    for (let attempt = 1; ; attempt++) {
      const portFree = await isLocalPortFree(cmd.spec.localPort);
      if (stopping.signal.aborted) return;
      if (!portFree) {
        return set({
          kind: 'failed',
          reason: 'port-taken',
          message: `Port ${cmd.spec.localPort} on 127.0.0.1 is already in use by another program.`,
          lastLines: [],
        });
      }
      if (stopping.signal.aborted) return;
      set({ kind: 'starting', attempt, phase: 'connecting' });
      const p = (proc = spawnServer(cmd.command, { baseEnv: o.baseEnv }));
      if (o.onOutput) p.onOutput(o.onOutput);
      const ready = await waitForTunnel(cmd.localBaseUrl, p.exited, readyTimeoutMs, o.probeIntervalMs ?? 100, stopping.signal, phase =>
        set({ kind: 'starting', attempt, phase, pid: p.pid }),
      );
      if (stopping.signal.aborted) return;
      let exit: ProcessEnd & { error?: string };
      let upAt: number | undefined;
      if (ready.kind === 'up') {
        everUp = true;
        upAt = performance.now();
        set({
          kind: 'up',
          attempt,
          pid: p.pid as number,
          localBaseUrl: cmd.localBaseUrl,
          ...(ready.status !== undefined ? { status: ready.status } : {}),
          ms: ready.ms,
        });
        exit = await Promise.race([p.exited, stopped(stopping.signal)]);
        if (stopping.signal.aborted) return;
      } else if (ready.kind === 'timeout') {
        exit = await p.stop(2_000);
        if (!everUp) {
          const reason: TunnelFailure = ready.phase === 'forwarding' ? 'no-answer' : 'timeout';
          const message =
            reason === 'no-answer'
              ? `ssh connected to ${cmd.destination}, but nothing answered HTTP on its port ${cmd.spec.remotePort} within ${Math.round(readyTimeoutMs / 1000)} s. Is the server running there?`
              : `ssh did not open the tunnel to ${cmd.destination} within ${Math.round(readyTimeoutMs / 1000)} s.`;
          return set({ kind: 'failed', reason, message, exit, lastLines: lines() });
        }
      } else if (ready.kind === 'exited') {
        exit = ready.exit;
        if (!everUp) return set(await explainEarlyExit(cmd, exit, lines()));
      } else {
        return;
      }
      const fast = upAt === undefined || performance.now() - upAt < policy.fastMs;
      fastFailures = fast ? fastFailures + 1 : 0;
      if (fastFailures >= policy.maxFastFailures) {
        return set({
          kind: 'failed',
          reason: 'gave-up',
          message: `The tunnel to ${cmd.destination} failed ${fastFailures} times in a row; gave up.`,
          exit,
          lastLines: lines(),
        });
      }
      const delayMs = backoffMs(fastFailures, policy);
      set({ kind: 'restarting', attempt: attempt + 1, delayMs, fastFailures, exit, lastLines: lines() });
      await sleep(delayMs, stopping.signal);
      if (stopping.signal.aborted) return;
    }
  }

  const running = run().catch((e: unknown) =>
    set({ kind: 'failed', reason: 'ssh-exited', message: `The tunnel supervisor failed: ${String(e)}`, lastLines: lines() }),
  );

  return {
    get state() {
      return state;
    },
    get pid() {
      return proc?.running ? proc.pid : undefined;
    },
    localBaseUrl: cmd.localBaseUrl,
    firstSettled,
    ended,
    async stop(graceMs = 3_000) {
      if (!stopping.signal.aborted) stopping.abort();
      await proc?.stop(graceMs);
      await running;
      if (state.kind !== 'failed' && state.kind !== 'stopped') set({ kind: 'stopped' });
    },
  };
}

async function explainEarlyExit(cmd: TunnelCommand, exit: ProcessEnd & { error?: string }, lastLines: string[]): Promise<TunnelState> {
  // spawnServer reports a missing or non-executable program as 127 / 126 with its own message.
  if (exit.error && (exit.code === 127 || exit.code === 126))
    return { kind: 'failed', reason: 'ssh-not-found', message: exit.error, exit, lastLines };
  // ssh gives up on a taken port only after logging in (ExitOnForwardFailure): look at the port, not at ssh's words.
  if (!(await isLocalPortFree(cmd.spec.localPort))) {
    return {
      kind: 'failed',
      reason: 'port-taken',
      message: `Port ${cmd.spec.localPort} on 127.0.0.1 was taken by another program while ssh was connecting.`,
      exit,
      lastLines,
    };
  }
  const how = exit.signal ? `was ended by ${exit.signal}` : `exited with code ${exit.code}`;
  return { kind: 'failed', reason: 'ssh-exited', message: `ssh to ${cmd.destination} ${how} before the tunnel was up.`, exit, lastLines };
}

type WaitResult =
  | { kind: 'up'; status?: number; ms: number }
  | { kind: 'exited'; exit: ProcessEnd & { error?: string } }
  | { kind: 'timeout'; phase: 'connecting' | 'forwarding' }
  | { kind: 'cancelled' };

/**
 * Any HTTP answer on the local end means ssh forwards and a server answers at the far end: even a
 * 401 or a 503 "Loading model" (what that means is discovery's business). A connection that is
 * accepted and then closed without an answer is ssh failing to reach the remote port.
 */
async function waitForTunnel(
  baseUrl: string,
  exited: Promise<ProcessEnd & { error?: string }>,
  timeoutMs: number,
  intervalMs: number,
  signal: AbortSignal,
  onPhase: (p: 'connecting' | 'forwarding') => void,
): Promise<WaitResult> {
  const t0 = performance.now();
  const ended: { exit?: ProcessEnd & { error?: string } } = {};
  const gone = new AbortController();
  void exited.then(e => {
    ended.exit = e;
    gone.abort();
  });
  const both = AbortSignal.any([signal, gone.signal]);
  const agent = createAgent(1_000);
  let phase: 'connecting' | 'forwarding' = 'connecting';
  try {
    for (;;) {
      if (signal.aborted) return { kind: 'cancelled' };
      if (ended.exit) return { kind: 'exited', exit: ended.exit };
      const left = t0 + timeoutMs - performance.now();
      if (left <= 0) return { kind: 'timeout', phase };
      const budget = Math.max(200, Math.min(5_000, left));
      try {
        const r = await httpRequest({
          url: `${baseUrl}/models`,
          headers: { accept: 'application/json' },
          signal: both,
          dispatcher: agent,
          limits: { connectMs: Math.min(1_000, budget), headersMs: budget, idleMs: budget, totalMs: budget },
        });
        if (ended.exit) return { kind: 'exited', exit: ended.exit };
        return { kind: 'up', status: r.status, ms: Math.round(performance.now() - t0) };
      } catch (e) {
        const f = e instanceof HttpFailure ? e : new HttpFailure('network', String(e));
        if (f.kind === 'too-large') return { kind: 'up', ms: Math.round(performance.now() - t0) };
        const next = f.kind === 'refused' ? 'connecting' : 'forwarding';
        if (next !== phase) {
          phase = next;
          if (!ended.exit && !signal.aborted) onPhase(phase);
        }
      }
      await sleep(intervalMs, both);
    }
  } finally {
    void agent.close();
  }
}

function stopped(signal: AbortSignal): Promise<ProcessEnd> {
  return new Promise(resolve => {
    if (signal.aborted) return resolve({ code: null });
    signal.addEventListener('abort', () => resolve({ code: null }), { once: true });
  });
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
