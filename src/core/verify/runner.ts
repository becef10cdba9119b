// What every agent's verifier shares: bounded HTTP limits, the token file the tool stages read, and
// the stage runner (skips, cancellation, blocking failures, progress, timing, informational stages).
// Each agent's verifier (index.ts for Codex, core/claude/verify for Claude Code) only lists its
// stages, their phases and which failures stop which later stages.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpLimits } from '../net/http';
import { Cancelled } from './request';
import { INFORMATIONAL_STAGES, STAGE_TITLES, type DiagnosisCode, type StageId, type StageResult, type VerifyProgress } from './types';
import type { StageOutcome } from './stage';
import type { StageDecision } from './known';
import type { ServerKind } from '../serverKind';

/**
 * Whether requests may go side by side: not when asked (`concurrent: false`), and not to llama.cpp.
 * Codex sends one request at a time; the pinned llama-server crashed (SIGSEGV) on two concurrent
 * requests with its default four slots (tiny model, test/real), and its slots share one machine anyway.
 */
export function sideBySide(asked: boolean | undefined, kind: ServerKind | undefined): boolean {
  return asked !== false && kind !== 'llamacpp';
}

/** What every agent's verifier takes (verifyRoute for Codex, verifyClaudeRoute for Claude Code add their own). */
export interface CommonVerifyOptions {
  baseUrl: string;
  model: string;
  /** Never logged or written; sent as each agent sends it. */
  apiKey?: string;
  /** Upper bound for each request (headers, whole body); default 120 s (setting verify.timeoutMs). */
  timeoutMs?: number;
  /** Longest silence between two streamed events; default min(timeoutMs, 60 s). */
  idleMs?: number;
  connectMs?: number;
  /** Stages to leave out (reported as skip); each agent has its default. */
  skip?: readonly StageId[];
  /** How a skipped stage is described ("listed in localModelRouter.verify.skipStages", "skipped with --skip"). */
  skipNote?: string;
  /** What the caller already knows (route.serverKind); otherwise learned from headers and bodies. */
  serverKind?: ServerKind;
  signal?: AbortSignal;
  onProgress?: (p: VerifyProgress) => void;
  /** Independent stages side by side (default; never to llama.cpp, see sideBySide). `false`: one at a time, for clean timings. */
  concurrent?: boolean;
  /** Where the tool-call stage writes its token file (default: the OS temp dir). */
  tempDir?: string;
  /** Output budget of the small checks. */
  maxOutputTokens?: number;
  /** Prompt tokens per second this server processed before (the route's last verification): progress estimates until this run measures its own. */
  promptTps?: number;
}

/** How long a prompt of `tokens` takes at `tps` tokens per second, in ms; undefined without a rate. */
export function promptEstimateMs(tokens: number, tps: number | undefined): number | undefined {
  return tps && tps > 0 ? Math.round((tokens / tps) * 1000) : undefined;
}

export function verifyLimits(o: { timeoutMs?: number; idleMs?: number; connectMs?: number }): {
  limits: Partial<HttpLimits>;
  connectMs: number;
} {
  const timeoutMs = o.timeoutMs ?? 120_000;
  const connectMs = o.connectMs ?? Math.min(2_000, timeoutMs);
  return {
    connectMs,
    limits: {
      connectMs,
      headersMs: timeoutMs,
      idleMs: o.idleMs ?? Math.min(timeoutMs, 60_000),
      totalMs: timeoutMs,
      maxBytes: 8 * 1024 * 1024,
    },
  };
}

export interface TokenFile {
  token: string;
  /** Resolves to the folder holding token.txt (its path is `<dir>/token.txt`). */
  dir: Promise<string>;
  remove(): Promise<void>;
}

/** A random token in a fresh temp file, written in the background while the cheap stages run. */
export function makeTokenFile(tempDir?: string): TokenFile {
  const token = `LMR-${randomBytes(6).toString('hex').toUpperCase()}`;
  const dir = mkdtemp(join(tempDir ?? tmpdir(), 'lmr-verify-')).then(async d => {
    await writeFile(join(d, 'token.txt'), `${token}\n`, { mode: 0o600 });
    return d;
  });
  dir.catch(() => undefined);
  return {
    token,
    dir,
    remove: async () => {
      const d = await dir.catch(() => undefined);
      if (d) await rm(d, { recursive: true, force: true });
    },
  };
}

export interface RunnerOptions<E> {
  fns: Partial<Record<StageId, (env: E) => Promise<StageOutcome>>>;
  skip: ReadonlySet<StageId>;
  /** How a skipped stage is described ("listed in localModelRouter.verify.skipStages", "skipped with --skip"). */
  skipNote?: string;
  blocking: readonly DiagnosisCode[];
  /** Whether a failure of `failed` with `code` keeps `next` from running. */
  blocks(failed: StageId, next: StageId, code: DiagnosisCode): boolean;
  signal?: AbortSignal;
  onProgress?: (p: VerifyProgress) => void;
  /** Stages of a phase side by side (default); false, or a function answering false, runs them one at a time. */
  concurrent?: boolean | (() => boolean);
  /** Whether a stage's verdict is settled already (core/verify/known.ts), so it need not ask the server. */
  known?: (id: StageId) => StageDecision;
  /** How long a stage's prompt should take at the rate measured so far, for progress (undefined: not known yet). */
  estimate?: (id: StageId, env: E) => number | undefined;
}

export interface StageRunner<E> {
  readonly results: Map<StageId, StageResult>;
  readonly cancelled: boolean;
  /** Runs the stages of one phase (together unless concurrent is false). */
  phase(ids: readonly StageId[], env: E): Promise<void>;
  /** Records a stage as skipped with a reason (e.g. not applicable to this route). */
  skipStage(id: StageId, summary: string): void;
  /** The results in `order`, leaving out stages that never ran. */
  ordered(order: readonly StageId[]): StageResult[];
}

export function createStageRunner<E>(o: RunnerOptions<E>): StageRunner<E> {
  const results = new Map<StageId, StageResult>();
  let cancelled = false;
  const finish = (id: StageId, r: Omit<StageResult, 'id' | 'title'>) => {
    const result: StageResult = { id, title: STAGE_TITLES[id], ...r, ms: Math.round(r.ms) };
    // Keep the report identical after a JSON round trip: no undefined members.
    const metrics = Object.fromEntries(Object.entries(r.metrics ?? {}).filter(([, v]) => v !== undefined));
    if (Object.keys(metrics).length) result.metrics = metrics;
    else delete result.metrics;
    if (!result.diagnosis) delete result.diagnosis;
    if (INFORMATIONAL_STAGES.includes(id) && result.status === 'fail') result.status = 'warn';
    results.set(id, result);
    o.onProgress?.({ kind: 'stage-done', result });
  };
  const skipStage = (id: StageId, summary: string) => finish(id, { status: 'skip', ms: 0, summary, evidence: [] });

  const run = async (id: StageId, env: E): Promise<void> => {
    if (results.has(id)) return;
    if (o.skip.has(id)) return skipStage(id, `skipped (${o.skipNote ?? 'asked to skip it'})`);
    if (cancelled || o.signal?.aborted) {
      cancelled = true;
      return skipStage(id, 'cancelled');
    }
    const blocker = [...results.values()].find(
      r => r.status === 'fail' && r.diagnosis && o.blocking.includes(r.diagnosis.code) && o.blocks(r.id, id, r.diagnosis.code),
    );
    if (blocker) return skipStage(id, `not run: ${blocker.title.toLowerCase()} failed (${blocker.diagnosis?.code})`);
    const fn = o.fns[id];
    if (!fn) return skipStage(id, 'not a stage of this agent');
    const decision = o.known?.(id);
    if (decision?.kind === 'known') {
      const k = decision.outcome;
      return finish(id, { ...k, ms: 0, evidence: [`known from ${decision.from}: not asked again`, ...k.evidence] });
    }
    const estimateMs = o.estimate?.(id, env);
    o.onProgress?.({ kind: 'stage-start', id, title: STAGE_TITLES[id], ...(estimateMs !== undefined ? { estimateMs } : {}) });
    const s0 = performance.now();
    try {
      const outcome = await fn(env);
      finish(id, { ...outcome, ms: performance.now() - s0 });
    } catch (e) {
      if (e instanceof Cancelled || o.signal?.aborted) {
        cancelled = true;
        return finish(id, { status: 'skip', ms: performance.now() - s0, summary: 'cancelled', evidence: [] });
      }
      // A bug in a stage must not take the run down: report it as what it is.
      finish(id, {
        status: 'fail',
        ms: performance.now() - s0,
        summary: 'The verifier itself failed',
        evidence: [String((e as Error)?.stack ?? e).slice(0, 800)],
        diagnosis: { code: 'server-error', message: `Unexpected error while checking: ${(e as Error)?.message ?? e}`, fix: null },
      });
    }
  };

  return {
    results,
    get cancelled() {
      return cancelled;
    },
    phase: async (ids, env) => {
      if ((typeof o.concurrent === 'function' ? o.concurrent() : o.concurrent) === false) for (const id of ids) await run(id, env);
      else await Promise.all(ids.map(id => run(id, env)));
    },
    skipStage,
    ordered: order => order.map(id => results.get(id)).filter((r): r is StageResult => r !== undefined),
  };
}

/** No failed stage, at least one pass, not cancelled. */
export function reportOk(stages: readonly StageResult[], cancelled: boolean): boolean {
  return !cancelled && stages.every(s => s.status !== 'fail') && stages.some(s => s.status === 'pass');
}

/**
 * llama.cpp in single-model mode answers to any model name. When the model is not listed but the
 * API answered anyway, the agent will work: say so as a warning, not a failure.
 */
export function reconcileModelListing(results: Map<StageId, StageResult>, textStage: StageId): void {
  const models = results.get('models');
  const text = results.get(textStage);
  if (
    models?.status === 'fail' &&
    models.diagnosis?.code === 'model-not-listed' &&
    text &&
    (text.status === 'pass' || text.status === 'warn')
  ) {
    models.status = 'warn';
    models.summary += '; the server answered under that name anyway (it ignores the model field)';
  }
}
