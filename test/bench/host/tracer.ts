// The bench probe extension's main (bundled by test/bench/host.ts into the probe extension loaded
// with extensionDevelopmentPath; activation event "*", so the host activates it at start, before
// any onStartupFinished extension). It records every CommonJS file the extension host compiles from
// the folder of the extension under test (LMR_BENCH_EXT_ID) by wrapping Node's
// Module.prototype._compile, which receives each file's source, and wraps that extension's
// `activate` (through Module._load, when its main module comes back) to take a snapshot the moment
// activate() returns. The payload (payload.ts) reads the state from globalThis. The probe is in
// both hosts of the memory comparison, so its own small cost is the same on both sides.
import Module from 'node:module';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Session } from 'node:inspector';

export interface Compiled {
  file: string;
  bytes: number;
  atMs: number;
}

export interface TraceState {
  extensionId: string;
  /** The extension's module was already in require.cache when tracing started: nothing to observe. */
  loadedBeforeTrace: boolean;
  tracing: boolean;
  compiled: Compiled[];
  /** Files compiled when activate() returned (module evaluation + the synchronous activate()). */
  atActivate?: Compiled[];
  activateMs?: number;
  /** Wall time of loading the main module (resolve, read, compile, evaluate). */
  mainLoadMs?: number;
  /** Wall time of the activate() call (its synchronous part; a returned promise is not awaited). */
  activateCallMs?: number;
  /** With LMR_BENCH_PROFILE=1: CPU profile of loading the main module + activate(), attributed (see attribute()). */
  profile?: ProfileEntry[];
  profileTotalMs?: number;
}

export interface ProfileEntry {
  fn: string;
  where: string;
  selfMs: number;
}

type CpuProfile = {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
};

/**
 * Where the time between start and stop went, from the extension's point of view: its own code
 * (self time in files under its folder), or the function outside it that its code called (a VS Code
 * API such as createOutputChannel, a Node built-in, the module loader), heaviest first.
 */
function attribute(p: CpuProfile, root: string): { entries: ProfileEntry[]; totalMs: number } {
  const byId = new Map(p.nodes.map(n => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const ours = (id: number) =>
    decodeURIComponent(byId.get(id)?.callFrame.url ?? '')
      .replace(/^file:\/\//, '')
      .startsWith(root);
  const acc = new Map<string, ProfileEntry>();
  let total = 0;
  p.samples.forEach((leaf, i) => {
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    // The profiler's own start/stop calls are not the extension's cost.
    if ((byId.get(leaf)?.callFrame.url ?? '').startsWith('node:inspector')) return;
    total += dt;
    let key: string;
    let where: string;
    if (ours(leaf)) {
      key = 'own code';
      where = "dist/ (the extension's bundle)";
    } else {
      // Walk up to the extension's frame; the frame just below it is what its code called.
      let below = leaf;
      let up = parent.get(leaf);
      while (up !== undefined && !ours(up)) {
        below = up;
        up = parent.get(up);
      }
      const f = byId.get(up === undefined ? leaf : below)!.callFrame;
      key = up === undefined ? `outside the extension: ${f.functionName || '(anonymous)'}` : `called: ${f.functionName || '(anonymous)'}`;
      where = f.url
        ? f.url
            .replace(/^.*\/out\//, '')
            .replace(/^file:\/\//, '')
            .replace(/^node:/, 'node:')
        : '(native/VM)';
    }
    const e = acc.get(key) ?? { fn: key, where, selfMs: 0 };
    e.selfMs += dt;
    acc.set(key, e);
  });
  return { entries: [...acc.values()].map(e => ({ ...e, selfMs: Math.round(e.selfMs * 10) / 10 })), totalMs: total };
}

type ModuleStatics = {
  _load: (request: string, parent: unknown, isMain: boolean) => unknown;
  _cache: Record<string, unknown>;
  prototype: { _compile: (content: string, filename: string) => unknown };
};

export const TRACE_KEY = '__lmrBenchTrace';

export function activate(): void {
  const extensionId = process.env.LMR_BENCH_EXT_ID ?? '';
  const ext = vscode.extensions.getExtension(extensionId);
  if (!ext) return;
  const root = ext.extensionPath + path.sep;
  const main = path.resolve(ext.extensionPath, (ext.packageJSON as { main: string }).main);
  const M = Module as unknown as ModuleStatics;
  const t0 = performance.now();
  const state: TraceState = {
    extensionId,
    loadedBeforeTrace: Object.keys(M._cache).some(k => k.startsWith(root)),
    tracing: true,
    compiled: [],
  };
  (globalThis as Record<string, unknown>)[TRACE_KEY] = state;

  const profiler = process.env.LMR_BENCH_PROFILE === '1' ? createProfiler(root) : undefined;
  const compile = M.prototype._compile;
  M.prototype._compile = function (this: unknown, content: string, filename: string) {
    // Only a push here (no path work), so the probe adds next to nothing to what it measures.
    if (state.tracing && filename.startsWith(root))
      state.compiled.push({ file: filename.slice(root.length), bytes: Buffer.byteLength(content), atMs: performance.now() - t0 });
    return compile.call(this, content, filename);
  };
  const load = M._load;
  M._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    const isMainModule = state.tracing && !state.atActivate && (request === main || request === main.replace(/\.js$/, ''));
    if (isMainModule) profiler?.begin();
    const l0 = performance.now();
    const exports = load.call(this, request, parent, isMain);
    if (!isMainModule) return exports;
    profiler?.end(state);
    state.mainLoadMs ??= performance.now() - l0;
    const activateFn = (exports as { activate?: unknown } | undefined)?.activate;
    if (typeof activateFn !== 'function') return exports;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      profiler?.begin();
      const a0 = performance.now();
      try {
        return activateFn.apply(this, args) as unknown;
      } finally {
        state.activateCallMs = performance.now() - a0;
        state.atActivate = [...state.compiled];
        state.activateMs = performance.now() - t0;
        profiler?.end(state);
      }
    };
    // esbuild's CommonJS exports are getters: hand back a view whose `activate` is the wrapper.
    return new Proxy(exports as object, {
      get: (target, key, receiver) => (key === 'activate' ? wrapped : Reflect.get(target, key, receiver)),
    });
  };
}

/**
 * The inspector's sampling profiler in this process, switched on only around the two synchronous
 * windows (loading the main module, the activate() call): between them the host awaits other work
 * (other extensions activating), which is not this extension's cost.
 */
function createProfiler(root: string): { begin(): void; end(state: TraceState): void } {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 100 });
  const merged = new Map<string, ProfileEntry>();
  let total = 0;
  let on = false;
  return {
    begin() {
      if (on) return;
      on = true;
      session.post('Profiler.start');
    },
    end(state) {
      if (!on) return;
      on = false;
      session.post('Profiler.stop', (err, res) => {
        if (err || !res) return;
        const { entries, totalMs } = attribute(res.profile as unknown as CpuProfile, root);
        total += totalMs;
        for (const e of entries) {
          const m = merged.get(e.fn) ?? { ...e, selfMs: 0 };
          m.selfMs = Math.round((m.selfMs + e.selfMs) * 10) / 10;
          merged.set(e.fn, m);
        }
        state.profile = [...merged.values()].sort((x, y) => y.selfMs - x.selfMs).slice(0, 10);
        state.profileTotalMs = Math.round(total * 10) / 10;
      });
    },
  };
}
