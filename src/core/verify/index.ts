// verifyRoute: checks that a server + model can carry a Codex session, stage by stage, and says what
// to change when it cannot. Shared by the CLI (`local-model-router verify`) and the extension.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, type HttpLimits } from '../net/http';
import type { ServerKind } from '../discovery';
import { Cancelled } from './request';
import { chatCompletionsStage, codexShapeStage, modelsStage, responsesStreamStage, responsesTextStage, toolCallStage, type StageEnv, type StageOutcome } from './stages';
import { INFORMATIONAL_STAGES, STAGE_IDS, STAGE_TITLES, type DiagnosisCode, type StageId, type StageResult, type VerifyProgress, type VerifyReport } from './types';

export * from './types';
export { renderMarkdown, renderText, summarize } from './report';

export interface VerifyOptions {
  /** Ends with /v1 (or the path the server serves the OpenAI API under). */
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Upper bound for each request (headers, whole body); default 120 s (setting verify.timeoutMs). */
  timeoutMs?: number;
  /** Longest silence between two streamed events; default min(timeoutMs, 60 s). */
  idleMs?: number;
  connectMs?: number;
  /** Stages to leave out (reported as skip). Default: chat-completions (setting verify.skipStages). */
  skip?: readonly StageId[];
  /** Offer Codex's non-function `namespace` and `web_search` tools in codex-shape, as Codex does unless the profile turns them off. Default true. */
  nonFunctionTools?: boolean;
  /** The route's profile carries a model catalog with short instructions (the profile this extension writes). Default true. */
  catalog?: boolean;
  /** What the caller already knows (route.serverKind); otherwise learned from headers and bodies. */
  serverKind?: ServerKind;
  signal?: AbortSignal;
  onProgress?: (p: VerifyProgress) => void;
  /** Run independent stages at the same time (default). `false` gives each stage the server to itself, for clean timings. */
  concurrent?: boolean;
  /** Where the tool-call stage writes its token file (default: the OS temp dir). */
  tempDir?: string;
  maxOutputTokens?: number;
  /** How a skipped stage is described ("listed in localModelRouter.verify.skipStages", "skipped with --skip"). */
  skipNote?: string;
}

export const DEFAULT_SKIP: readonly StageId[] = ['chat-completions'];

/** When one of these comes back, the stages after it would only repeat it. */
const BLOCKING: readonly DiagnosisCode[] = ['server-unreachable', 'unauthorized', 'model-loading', 'model-not-found', 'responses-api-missing', 'timeout'];

export async function verifyRoute(options: VerifyOptions): Promise<VerifyReport> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const timeoutMs = options.timeoutMs ?? 120_000;
  const connectMs = options.connectMs ?? Math.min(2_000, timeoutMs);
  const limits: Partial<HttpLimits> = { connectMs, headersMs: timeoutMs, idleMs: options.idleMs ?? Math.min(timeoutMs, 60_000), totalMs: timeoutMs, maxBytes: 8 * 1024 * 1024 };
  const skip = new Set(options.skip ?? DEFAULT_SKIP);
  const agent = createAgent(connectMs);
  const headers: Record<string, string> = { 'user-agent': 'local-model-router-verify' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const results = new Map<StageId, StageResult>();
  let cancelled = false;

  // The token file is needed only from phase 2 on: write it while phase 1 runs.
  const token = `LMR-${randomBytes(6).toString('hex').toUpperCase()}`;
  const dirReady = mkdtemp(join(options.tempDir ?? tmpdir(), 'lmr-verify-')).then(async d => {
    await writeFile(join(d, 'token.txt'), `${token}\n`, { mode: 0o600 });
    return d;
  });
  dirReady.catch(() => undefined);

  const env: StageEnv = {
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    model: options.model,
    headers,
    dispatcher: agent,
    signal: options.signal,
    limits,
    serverKind: options.serverKind,
    tokenFile: { path: '', token },
    codexProfile: { catalog: options.catalog ?? true, nonFunctionTools: options.nonFunctionTools ?? true },
    facts: {},
    maxOutputTokens: options.maxOutputTokens ?? 512,
    cwd: '',
  };

  const stageFns: Record<StageId, (e: StageEnv) => Promise<StageOutcome>> = {
    models: modelsStage,
    'responses-text': responsesTextStage,
    'responses-stream': responsesStreamStage,
    'tool-call': toolCallStage,
    'codex-shape': codexShapeStage,
    'chat-completions': chatCompletionsStage,
  };

  const finish = (id: StageId, r: Omit<StageResult, 'id' | 'title'>) => {
    const result: StageResult = { id, title: STAGE_TITLES[id], ...r, ms: Math.round(r.ms) };
    // Keep the report identical after a JSON round trip: no undefined members.
    const metrics = Object.fromEntries(Object.entries(r.metrics ?? {}).filter(([, v]) => v !== undefined));
    if (Object.keys(metrics).length) result.metrics = metrics; else delete result.metrics;
    if (!result.diagnosis) delete result.diagnosis;
    if (INFORMATIONAL_STAGES.includes(id) && result.status === 'fail') result.status = 'warn';
    results.set(id, result);
    options.onProgress?.({ kind: 'stage-done', result });
  };
  const skipStage = (id: StageId, summary: string) => finish(id, { status: 'skip', ms: 0, summary, evidence: [] });

  const run = async (id: StageId): Promise<void> => {
    if (skip.has(id)) return skipStage(id, `skipped (${options.skipNote ?? 'asked to skip it'})`);
    if (cancelled || options.signal?.aborted) { cancelled = true; return skipStage(id, 'cancelled'); }
    const blocker = [...results.values()].find(r => r.status === 'fail' && r.diagnosis && BLOCKING.includes(r.diagnosis.code) && blocks(r.id, id, r.diagnosis.code));
    if (blocker) return skipStage(id, `not run: ${blocker.title.toLowerCase()} failed (${blocker.diagnosis?.code})`);
    options.onProgress?.({ kind: 'stage-start', id, title: STAGE_TITLES[id] });
    const s0 = performance.now();
    try {
      const outcome = await stageFns[id](env);
      finish(id, { ...outcome, ms: performance.now() - s0 });
    } catch (e) {
      if (e instanceof Cancelled || options.signal?.aborted) {
        cancelled = true;
        return finish(id, { status: 'skip', ms: performance.now() - s0, summary: 'cancelled', evidence: [] });
      }
      // A bug in a stage must not take the run down: report it as what it is.
      finish(id, { status: 'fail', ms: performance.now() - s0, summary: 'The verifier itself failed', evidence: [String((e as Error)?.stack ?? e).slice(0, 800)], diagnosis: { code: 'server-error', message: `Unexpected error while checking: ${(e as Error)?.message ?? e}`, fix: null } });
    }
  };

  const phase = async (ids: StageId[]) => {
    if (options.concurrent === false) for (const id of ids) await run(id);
    else await Promise.all(ids.map(run));
  };

  let dir: string | undefined;
  try {
    // Phase 1 is cheap and tells whether anything else can work; phase 2 holds the expensive turns.
    await phase(['models', 'responses-text']);
    reconcileModelListing(results);
    dir = await dirReady;
    env.tokenFile.path = join(dir, 'token.txt');
    env.cwd = dir;
    await phase(['responses-stream', 'tool-call', 'codex-shape', 'chat-completions']);
  } finally {
    dir ??= await dirReady.catch(() => undefined);
    await Promise.all([dir ? rm(dir, { recursive: true, force: true }) : undefined, agent.close().catch(() => undefined)]);
  }

  const stages = STAGE_IDS.map(id => results.get(id)).filter((r): r is StageResult => r !== undefined);
  const ok = !cancelled && stages.every(s => s.status !== 'fail') && stages.some(s => s.status === 'pass');
  const facts = Object.fromEntries(Object.entries(env.facts).filter(([, v]) => v !== undefined));
  return { agent: 'codex', ok, baseUrl: env.baseUrl, model: options.model, ...(env.serverKind ? { serverKind: env.serverKind } : {}), startedAt, ms: Math.round(performance.now() - t0), cancelled, stages, ...(Object.keys(facts).length ? { facts } : {}) };
}

/** Which failures stop which later stages: a missing /responses does not stop chat-completions. */
function blocks(failed: StageId, next: StageId, code: DiagnosisCode): boolean {
  if (code === 'responses-api-missing') return next !== 'chat-completions' && failed !== 'chat-completions';
  if (code === 'model-not-found' || code === 'timeout') return failed !== 'chat-completions';
  return true;
}

/**
 * llama.cpp in single-model mode answers to any model name. When the model is not listed but the
 * Responses API answered anyway, Codex will work: say so as a warning, not a failure.
 */
function reconcileModelListing(results: Map<StageId, StageResult>): void {
  const models = results.get('models');
  const text = results.get('responses-text');
  if (models?.status === 'fail' && models.diagnosis?.code === 'model-not-listed' && text && (text.status === 'pass' || text.status === 'warn')) {
    models.status = 'warn';
    models.summary += '; the server answered under that name anyway (it ignores the model field)';
  }
}
