// Runs INSIDE the extension host (code-server's Node extension host), as an extensionTestsPath
// payload, next to the installed extension under test (Local Model Router, or the empty comparison
// extension). It is bundled by test/bench/host.ts; results go to the JSON file LMR_BENCH_OUT.
//
// JavaScript loaded: read from the trace the probe extension (tracer.ts, activated at host start)
// keeps of every file compiled from the extension's folder: a snapshot when activate() returned,
// one when the first discovery (started with setTimeout 0 after activation) has finished, and
// `require.cache` at the end as a cross-check.
//
// Memory: heap after forced full GCs (`--expose-gc` set at run time), 2 s after the last request,
// and PSS of this process (/proc/self/smaps_rollup, by region from /proc/self/smaps) before and
// after V8's memory-reducing collection (settledMemory), after activation + first discovery, after
// N and after 2N `localModelRouter.refresh` commands (the empty extension's host: the same samples,
// the same waits, no commands). With LMR_BENCH_ALLOC_REFRESHES, what a refresh allocates.
import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import Module from 'node:module';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import * as vscode from 'vscode';
import { TRACE_KEY, type Compiled, type ProfileEntry, type TraceState } from './tracer';
import { pssByRegion, type RegionMB } from '../lib/smaps';

/** Read after V8's memory-reducing collection (settledMemory). */
interface MemSample {
  heapUsedMB: number;
  rssMB: number;
  pssMB?: number;
  externalMB: number;
  /** PSS by region (lib/smaps.ts): which allocator holds a growth. */
  regions?: RegionMB;
  /** PSS and its regions before V8's memory-reducing collection (its pooled pages still in). */
  pssPooledMB?: number;
  regionsPooled?: RegionMB;
}
export interface PayloadResult {
  mode: string;
  extensionId: string;
  node: string;
  vscode: string;
  pid: number;
  loadedBeforePayload: boolean;
  activatedBeforePayload: boolean;
  atActivate?: Compiled[];
  activateReturnedMs?: number;
  mainLoadMs?: number;
  activateCallMs?: number;
  profile?: ProfileEntry[];
  profileTotalMs?: number;
  afterDiscovery?: Compiled[];
  discoveryProbes?: number;
  requireCache?: Array<{ file: string; bytes: number }>;
  memAfterActivation?: MemSample;
  memAfterRefreshes?: MemSample;
  memAfter2Refreshes?: MemSample;
  refreshes?: number;
  /** With LMR_BENCH_ALLOC_REFRESHES=N: bytes allocated per refresh (sampled, collected objects included), by where. */
  allocation?: { perRefreshKB: number; by: Array<{ where: string; kb: number }>; byFunction: Array<{ where: string; kb: number }> };
  refreshMs?: number;
  refreshMs2?: number;
  error?: string;
}

type ModuleStatics = { _cache: Record<string, unknown> };

const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms));
const MB = 1024 * 1024;

function pssMB(): number | undefined {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/smaps_rollup', 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the process holds once the garbage of the refreshes is gone. First past every request's
 * timeout budget (discovery.timeoutMs, 1.5 s by default), so no timer of a finished refresh still
 * holds its objects; then several full collections with pauses in between, so finalizers and weak
 * callbacks have run. PSS read now (`pssPooledMB`) still holds the young-generation pages V8 keeps
 * for reuse after a burst of allocation (its page pool), which V8 gives back by itself only when
 * its memory reducer runs, seconds to minutes later, at a moment no sample can choose; so the
 * sample is taken after V8's memory-reducing collection (the one it runs under memory pressure,
 * which releases that pool and what else the memory reducer would): heap, PSS and regions.
 */
async function settledMemory(gc: (o?: object) => void): Promise<MemSample> {
  await sleep(2_000);
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(150);
  }
  const pooled = { pssMB: pssMB(), regions: pssByRegion() };
  gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  await sleep(150);
  const m = process.memoryUsage();
  return {
    heapUsedMB: m.heapUsed / MB,
    rssMB: m.rss / MB,
    externalMB: m.external / MB,
    pssMB: pssMB(),
    regions: pssByRegion(),
    ...(pooled.pssMB !== undefined ? { pssPooledMB: pooled.pssMB } : {}),
    ...(pooled.regions ? { regionsPooled: pooled.regions } : {}),
  };
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(20);
  }
  return cond();
}

export async function run(): Promise<void> {
  const out = process.env.LMR_BENCH_OUT;
  if (!out) throw new Error('LMR_BENCH_OUT is not set');
  const mode = process.env.LMR_BENCH_MODE ?? 'real';
  const extensionId = process.env.LMR_BENCH_EXT_ID ?? '';
  const refreshes = Number(process.env.LMR_BENCH_REFRESHES ?? '100');
  const windowMs = Number(process.env.LMR_BENCH_WINDOW_MS ?? '8000');
  const result: PayloadResult = {
    mode,
    extensionId,
    node: process.version,
    vscode: vscode.version,
    pid: process.pid,
    loadedBeforePayload: false,
    activatedBeforePayload: false,
  };
  try {
    await measure(result, extensionId, mode, refreshes, windowMs);
  } catch (e) {
    result.error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  } finally {
    fs.writeFileSync(out, JSON.stringify(result, null, 1));
  }
}

async function measure(result: PayloadResult, extensionId: string, mode: string, refreshes: number, windowMs: number): Promise<void> {
  const ext = vscode.extensions.getExtension(extensionId);
  if (!ext) throw new Error(`extension ${extensionId} is not installed in this host`);
  const root = ext.extensionPath + path.sep;
  const M = Module as unknown as ModuleStatics;
  result.activatedBeforePayload = ext.isActive;
  const trace = (globalThis as Record<string, unknown>)[TRACE_KEY] as TraceState | undefined;
  if (!trace) throw new Error('the bench probe extension did not start tracing (no globalThis trace)');
  result.loadedBeforePayload = trace.loadedBeforeTrace;
  if (!(await waitFor(() => ext.isActive, 90_000))) throw new Error(`${extensionId} did not activate within 90 s`);
  result.atActivate = trace.atActivate;
  result.activateReturnedMs = trace.activateMs;
  result.mainLoadMs = trace.mainLoadMs;
  result.activateCallMs = trace.activateCallMs;
  // The profiler's stop callback may come a moment after activate() returned.
  if (process.env.LMR_BENCH_PROFILE === '1') await waitFor(() => trace.profile !== undefined, 5_000);
  result.profile = trace.profile;
  result.profileTotalMs = trace.profileTotalMs;
  // The first discovery runs from setTimeout(0) after activate(); its result shows up in the API.
  const api = ext.exports as { probes?: readonly unknown[] } | undefined;
  if (mode === 'real') {
    if (!(await waitFor(() => (api?.probes?.length ?? 0) > 0, 30_000))) throw new Error('the first discovery did not finish within 30 s');
    result.discoveryProbes = api?.probes?.length;
  }
  await sleep(500);
  result.afterDiscovery = [...trace.compiled];
  trace.tracing = false;
  const allocRefreshes = Number(process.env.LMR_BENCH_ALLOC_REFRESHES ?? '0');
  if (mode === 'real' && allocRefreshes > 0) result.allocation = await allocationProfile(allocRefreshes, root);

  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (o?: object) => void;
  result.memAfterActivation = await settledMemory(gc);
  // Both hosts get the same window per batch: the refreshes (real) or nothing (empty), then a pause
  // until the window is over.
  const batch = async (): Promise<number> => {
    const r0 = performance.now();
    for (let i = 0; i < refreshes; i++) if (mode === 'real') await vscode.commands.executeCommand('localModelRouter.refresh');
    const ms = performance.now() - r0;
    if (ms < windowMs) await sleep(windowMs - ms);
    return ms;
  };
  result.refreshes = refreshes;
  result.refreshMs = await batch();
  result.memAfterRefreshes = await settledMemory(gc);
  result.refreshMs2 = await batch();
  result.memAfter2Refreshes = await settledMemory(gc);
  result.requireCache = Object.keys(M._cache)
    .filter(k => k.startsWith(root))
    .map(k => ({ file: path.relative(ext.extensionPath, k), bytes: fs.statSync(k).size }));
}

type SamplingNode = { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: SamplingNode[] };

/**
 * V8's sampling heap profiler over `n` refreshes, counting objects later collected too (so it shows
 * what a refresh allocates, not what it keeps), attributed to the file that allocated.
 */
async function allocationProfile(n: number, root: string): Promise<NonNullable<PayloadResult['allocation']>> {
  const session = new inspector.Session();
  session.connect();
  const post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) => session.post(method, params, (e, r) => (e ? reject(e) : resolve(r as T))));
  // Warm up first, so one-time work (compiling, first connections) is not counted.
  for (let i = 0; i < 20; i++) await vscode.commands.executeCommand('localModelRouter.refresh');
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  for (let i = 0; i < n; i++) await vscode.commands.executeCommand('localModelRouter.refresh');
  const { profile } = await post<{ profile: { head: SamplingNode } }>('HeapProfiler.stopSampling');
  session.disconnect();
  const byFile = new Map<string, number>();
  const byFn = new Map<string, number>();
  let total = 0;
  const place = (url: string) => {
    const file = decodeURIComponent(url.replace(/^file:\/\//, ''));
    if (file.startsWith(root)) return file.slice(root.length);
    if (!file) return '(V8 built-ins and native)';
    if (file.startsWith('node:')) return file;
    return file.replace(/^.*\/out\//, 'VS Code: ');
  };
  const walk = (node: SamplingNode) => {
    const where = place(node.callFrame.url);
    total += node.selfSize;
    byFile.set(where, (byFile.get(where) ?? 0) + node.selfSize);
    const fn = `${node.callFrame.functionName || '(anonymous)'} (${where})`;
    byFn.set(fn, (byFn.get(fn) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(profile.head);
  const top = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([where, bytes]) => ({ where, kb: bytes / 1024 / n }));
  return { perRefreshKB: total / 1024 / n, by: top(byFile), byFunction: top(byFn) };
}
