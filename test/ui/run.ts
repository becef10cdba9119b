// Runs the UI tests: node --import tsx test/ui/run.ts [file names…] [--grep <regexp>]
// Started by test/host/run-ui.mjs (npm run test:ui), which packages the .vsix (LMR_UI_VSIX) and
// tags this process (LMR_HOST_RUN) so that everything it starts can be stopped.
//
// A test file test/ui/<name>.ui.ts exports named async functions `(h: UiHarness) => Promise<void>`,
// run in source order, one host (code-server + chromium) per file. It may export `setup()`
// returning a UiFileSetup (settings, env, workspace files, scripted servers), run before the host.
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as lib from '../host/lib.mjs';
import { RESULTS_DIR, activeRunDirs, startUiHost, type UiFileSetup, type UiHarness, type UiHost } from './harness';

type UiTest = (h: UiHarness) => Promise<void>;
interface Result {
  file: string;
  test: string;
  ok: boolean;
  ms: number;
  error?: string;
  screenshot?: string;
}

const UI_DIR = join(lib.ROOT, 'test/ui');
const TEST_TIMEOUT_MS = Number(process.env.LMR_UI_TEST_TIMEOUT_MS || 90_000);

function parseArgs(argv: string[]): { only: string[]; grep?: RegExp } {
  const only: string[] = [];
  let grep: RegExp | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--grep') grep = new RegExp(argv[++i] ?? '');
    else only.push(argv[i]!.replace(/\.ui\.ts$/, '').replace(/^.*\//, ''));
  }
  return { only, ...(grep ? { grep } : {}) };
}

/** Exported test names in source order (a module namespace lists them alphabetically). */
function testNamesInSourceOrder(source: string): string[] {
  const names = [...source.matchAll(/^export\s+async\s+function\s+(\w+)\s*\(/gm)].map(m => m[1]!);
  return names.filter(n => n !== 'setup');
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function runFile(file: string, vsix: string, runTag: string, grep: RegExp | undefined): Promise<Result[]> {
  const path = join(UI_DIR, `${file}.ui.ts`);
  const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const names = testNamesInSourceOrder(readFileSync(path, 'utf8')).filter(n => typeof mod[n] === 'function' && (!grep || grep.test(n)));
  if (names.length === 0) return [];
  console.log(`\n── ${file}.ui.ts`);
  const results: Result[] = [];
  const setupFn = mod.setup as (() => Promise<UiFileSetup>) | undefined;
  const setup: UiFileSetup = setupFn ? await setupFn() : {};
  let host: UiHost<unknown> | undefined;
  const t0 = Date.now();
  try {
    host = await withTimeout(
      startUiHost({ vsix, file, tag: `${runTag}.${file}`, setup }),
      setup.startTimeoutMs ?? 120_000,
      'starting the host',
    );
    console.log(`  host up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    for (const name of names) {
      const t = Date.now();
      try {
        await withTimeout((mod[name] as UiTest)(host.harness), TEST_TIMEOUT_MS, name);
        results.push({ file, test: name, ok: true, ms: Date.now() - t });
        console.log(`  ✓ ${name} (${Date.now() - t} ms)`);
      } catch (e) {
        const shot = await host.harness.screenshot(`FAILED-${name}`).catch(() => undefined);
        const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
        results.push({ file, test: name, ok: false, ms: Date.now() - t, error, ...(shot ? { screenshot: shot } : {}) });
        console.log(
          `  ✗ ${name} (${Date.now() - t} ms)\n${error
            .split('\n')
            .slice(0, 8)
            .map(l => `      ${l}`)
            .join('\n')}`,
        );
      }
      // The next test starts from a quiet workbench: no open picker, no toasts of this one.
      await host.harness.dismiss().catch(() => undefined);
      if (await host.harness.page.locator('.notifications-toasts .notification-toast').count())
        await host.harness.clearNotifications().catch(() => undefined);
    }
  } catch (e) {
    const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
    for (const name of names.filter(n => !results.some(r => r.test === n))) results.push({ file, test: name, ok: false, ms: 0, error });
    console.log(`  ✗ host: ${error.split('\n').slice(0, 12).join('\n      ')}`);
  } finally {
    if (host && results.some(r => !r.ok)) {
      mkdirSync(join(RESULTS_DIR, file), { recursive: true });
      writeFileSync(join(RESULTS_DIR, file, 'workbench-console.log'), host.consoleLines.join('\n'));
      writeFileSync(join(RESULTS_DIR, file, 'code-server.log'), host.codeServerLog());
    }
    await host?.stop();
    const left = lib.sweep(`${runTag}.${file}`).alive;
    if (left.length) console.log(`  ! still running after stop: ${left.map(p => `${p.pid} ${p.cmd}`).join('; ')}`);
    await setup.cleanup?.();
  }
  return results;
}

async function main(): Promise<number> {
  const vsix = process.env.LMR_UI_VSIX;
  if (!vsix) throw new Error('LMR_UI_VSIX is not set: run through `npm run test:ui` (test/host/run-ui.mjs)');
  const runTag = process.env[lib.TAG_VAR] ?? lib.newTag('ui');
  const { only, grep } = parseArgs(process.argv.slice(2));
  // run-ui.mjs was killed outright (SIGKILL): stop this run's hosts instead of carrying on alone.
  const abandon = (code: number) => {
    lib.sweep(runTag);
    for (const d of activeRunDirs) lib.removeDir(d);
    process.exit(code);
  };
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) abandon(1);
  }, 1000).unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => abandon(sig === 'SIGINT' ? 130 : 143));
  const files = readdirSync(UI_DIR)
    .filter(f => f.endsWith('.ui.ts'))
    .map(f => f.replace(/\.ui\.ts$/, ''))
    .filter(f => only.length === 0 || only.includes(f))
    .sort();
  if (files.length === 0) throw new Error(`no UI test files match ${only.join(', ') || 'test/ui/*.ui.ts'}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const all: Result[] = [];
  for (const f of files) all.push(...(await runFile(f, vsix, runTag, grep)));
  writeFileSync(join(RESULTS_DIR, 'results.json'), JSON.stringify(all, null, 2));
  const failed = all.filter(r => !r.ok);
  console.log(`\n${failed.length ? 'FAIL' : 'PASS'} ui: ${all.length - failed.length} passed, ${failed.length} failed`);
  for (const r of all)
    console.log(
      `  ${r.ok ? '✓' : '✗'} ${r.file}: ${r.test} (${r.ms} ms)${r.screenshot ? ` → ${r.screenshot.slice(lib.ROOT.length + 1)}` : ''}`,
    );
  if (all.length === 0) {
    console.log('  no tests ran');
    return 1;
  }
  return failed.length ? 1 : 0;
}

main().then(
  code => process.exit(code),
  e => {
    console.error(`ui: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
