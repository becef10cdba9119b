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

export interface Compiled { file: string; bytes: number; atMs: number }

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
  const state: TraceState = { extensionId, loadedBeforeTrace: Object.keys(M._cache).some(k => k.startsWith(root)), tracing: true, compiled: [] };
  (globalThis as Record<string, unknown>)[TRACE_KEY] = state;

  const compile = M.prototype._compile;
  M.prototype._compile = function (this: unknown, content: string, filename: string) {
    if (state.tracing && filename.startsWith(root)) state.compiled.push({ file: path.relative(ext.extensionPath, filename), bytes: Buffer.byteLength(content), atMs: performance.now() - t0 });
    return compile.call(this, content, filename);
  };
  const load = M._load;
  M._load = function (this: unknown, request: string, parent: unknown, isMain: boolean) {
    const isMainModule = state.tracing && !state.atActivate && (request === main || request === main.replace(/\.js$/, ''));
    const l0 = performance.now();
    const exports = load.call(this, request, parent, isMain);
    if (!isMainModule) return exports;
    state.mainLoadMs ??= performance.now() - l0;
    const activateFn = (exports as { activate?: unknown } | undefined)?.activate;
    if (typeof activateFn !== 'function') return exports;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      const a0 = performance.now();
      try {
        return activateFn.apply(this, args) as unknown;
      } finally {
        state.activateCallMs = performance.now() - a0;
        state.atActivate = [...state.compiled];
        state.activateMs = performance.now() - t0;
      }
    };
    // esbuild's CommonJS exports are getters: hand back a view whose `activate` is the wrapper.
    return new Proxy(exports as object, { get: (target, key, receiver) => (key === 'activate' ? wrapped : Reflect.get(target, key, receiver)) });
  };
}
