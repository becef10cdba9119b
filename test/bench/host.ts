// Benchmarks in the real host: code-server (VS Code's server with its Node extension host), the
// extension installed from its .vsix like a user would, next to an empty comparison extension with
// the same activation event (test/bench/empty-extension), packaged and installed the same way.
//  - activation: both extensions in one extensions dir, one fresh code-server + window per run;
//    activation times read from "Developer: Show Running Extensions" (codeLoadingTime +
//    activateCallTime, the number VS Code shows);
//  - JavaScript loaded, memory: one host per run with one of the two extensions and an
//    extension-host payload (host/payload.ts) that measures from inside.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { format } from 'node:util';
import * as esbuild from 'esbuild';
import type { Page } from 'playwright-core';
import * as lib from '../host/lib.mjs';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import type { PayloadResult } from './host/payload';
import { regionGrowth, regionGrowthText } from './lib/smaps';
import { bounded, median, sleep, spread } from './lib/stats';
import type { Row } from './lib/report';

export const REAL_ID = 'local-model-router.local-model-router';
export const EMPTY_ID = 'local-model-router.lmr-bench-empty';
const REAL_NAME = /^Local Model Router\b/;
const EMPTY_NAME = /^LMR Bench Empty Extension\b/;
const KB = 1024;

type Log = (s: string) => void;

export interface HostSetup {
  tag: string;
  dir: string;
  realVsix: string;
  emptyVsix: string;
  payload: string;
  probe: string;
  /** Size of every file of the extension's runtime bundle (dist/extension.js + dist/lazy/*.js) in the .vsix build. */
  bundle: Array<{ file: string; bytes: number }>;
}

function sh(cmd: string, args: string[], cwd: string, what: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
  if (r.status !== 0)
    throw new Error(
      `${what} failed (exit ${r.status}):\n${(r.stdout + r.stderr)
        .split('\n')
        .filter(l => !/Unknown (user|env) config/.test(l))
        .slice(-30)
        .join('\n')}`,
    );
}

export function disposeHost(s: HostSetup | undefined): void {
  if (s) rmSync(s.dir, { recursive: true, force: true });
}

/** Packages both extensions, bundles the payload, writes the probe extension. */
export async function prepareHost(tag: string, log: Log): Promise<HostSetup> {
  lib.assertHostInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'lmr-bench-'));
  let realVsix = process.env.LMR_BENCH_VSIX;
  let dist = join(lib.ROOT, 'dist');
  if (!realVsix) {
    const t = Date.now();
    // The same build a user installs (`npm run package`: production bundles + vsce), made in a copy
    // of the working tree: other work in this tree rebuilds dist/ at any time (a development build
    // in the middle of packaging would be measured instead).
    const pkg = join(dir, 'package');
    const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: lib.ROOT, encoding: 'utf8' });
    if (listed.status === 0) {
      for (const f of listed.stdout.split('\0').filter(Boolean)) {
        // test/ is left out, but for the packaging step's own tool (the Marketplace README).
        if ((f.startsWith('test/') && !f.startsWith('test/tools/')) || !existsSync(join(lib.ROOT, f))) continue;
        mkdirSync(dirname(join(pkg, f)), { recursive: true });
        copyFileSync(join(lib.ROOT, f), join(pkg, f));
      }
      symlinkSync(join(lib.ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
      sh('npm', ['run', '--silent', 'package'], pkg, '`npm run package`');
      realVsix = join(pkg, 'local-model-router.vsix');
      dist = join(pkg, 'dist');
      log(`packaged local-model-router.vsix (npm run package in a copy of the working tree) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    } else {
      // Not a git checkout: package in place.
      sh('npm', ['run', '--silent', 'package'], lib.ROOT, '`npm run package`');
      realVsix = join(lib.ROOT, 'local-model-router.vsix');
      log(`packaged local-model-router.vsix (npm run package) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
  } else if (!existsSync(dist)) {
    throw new Error('LMR_BENCH_VSIX is set but dist/ (the build it was made from) is missing: run `npm run package`');
  }
  const emptyVsix = join(dir, 'lmr-bench-empty.vsix');
  sh(
    join(lib.ROOT, 'node_modules/.bin/vsce'),
    ['package', '--no-dependencies', '-o', emptyVsix],
    join(lib.ROOT, 'test/bench/empty-extension'),
    'packaging the empty extension',
  );
  const payload = join(dir, 'payload/index.js');
  await esbuild.build({
    entryPoints: [join(lib.ROOT, 'test/bench/host/payload.ts')],
    outfile: payload,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });
  // extensionTestsPath needs an extensionDevelopmentPath: the probe, the same in both hosts, which
  // traces module loading from the host's start (activation "*"); the extension under test is the
  // installed .vsix.
  const probe = join(dir, 'probe');
  mkdirSync(probe);
  writeFileSync(
    join(probe, 'package.json'),
    JSON.stringify({
      name: 'lmr-bench-probe',
      displayName: 'LMR Bench Probe',
      publisher: 'local-model-router',
      version: '0.0.1',
      engines: { vscode: '^1.93.0' },
      main: './extension.js',
      activationEvents: ['*'],
    }),
  );
  await esbuild.build({
    entryPoints: [join(lib.ROOT, 'test/bench/host/tracer.ts')],
    outfile: join(probe, 'extension.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
  });
  const bundle = [
    'extension.js',
    ...readdirSync(join(dist, 'lazy'))
      .filter(f => f.endsWith('.js'))
      .map(f => `lazy/${f}`),
  ].map(file => ({ file: `dist/${file}`, bytes: statSync(join(dist, file)).size }));
  return { tag, dir, realVsix, emptyVsix, payload, probe, bundle };
}

async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill('>' + title);
  const row = page
    .locator('.quick-input-widget .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: title }) })
    .first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

interface Activation {
  real: number;
  empty: number;
  realRow: string;
  emptyRow: string;
}

async function readActivationTimes(page: Page, timeoutMs: number): Promise<Activation> {
  await runCommand(page, 'Developer: Show Running Extensions');
  const rows = page.locator('.runtime-extensions-editor .monaco-list-row');
  const end = Date.now() + timeoutMs;
  let texts: string[] = [];
  for (;;) {
    // The editor updates its rows as extensions activate.
    texts = (await rows.allInnerTexts()).map(t => t.replace(/\s+/g, ' ').trim());
    const real = texts.find(t => REAL_NAME.test(t) || t.includes(REAL_ID));
    const empty = texts.find(t => EMPTY_NAME.test(t) || t.includes(EMPTY_ID));
    const ms = (t: string | undefined) => (t ? /Activation: (\d+)\s*ms/.exec(t)?.[1] : undefined);
    const a = ms(real);
    const b = ms(empty);
    if (a !== undefined && b !== undefined) return { real: Number(a), empty: Number(b), realRow: real!, emptyRow: empty! };
    if (Date.now() > end) throw new Error(`Running Extensions never showed both activation times; rows: ${JSON.stringify(texts)}`);
    await sleep(250);
  }
}

interface HostRun<T> {
  value: T;
  hostStartMs: number;
}

/** One fresh code-server + chromium window; everything stopped afterwards, pass or fail. */
async function withHost<T>(
  s: HostSetup,
  name: string,
  o: {
    extensions: string[];
    settings?: Record<string, unknown>;
    env?: Record<string, string>;
    payloadEnv?: Record<string, string>;
    body: (page: Page, h: { runDir: string; url: string; exited?: Promise<unknown> }) => Promise<T>;
  },
): Promise<HostRun<T>> {
  const tag = `${s.tag}.${name}`;
  const runDir = lib.makeRunDir('bench');
  const userDataDir = join(runDir, 'user-data');
  const extensionsDir = join(runDir, 'extensions');
  const workspace = join(runDir, 'workspace');
  let cs: lib.CodeServer | undefined;
  let context: Awaited<ReturnType<typeof lib.launchChromium>>['context'] | undefined;
  const lines: string[] = [];
  try {
    for (const v of o.extensions) lib.installVsix(v, { runDir, tag, userDataDir, extensionsDir });
    lib.writeUserSettings(userDataDir, { trust: 'disabled', settings: o.settings ?? {} });
    const t0 = Date.now();
    cs = await lib.startCodeServer({
      runDir,
      tag,
      folder: workspace,
      userDataDir,
      extensionsDir,
      smokeTestDriver: !!o.payloadEnv,
      env: { ...(o.env ?? {}), ...(o.payloadEnv ?? {}) },
    });
    ({ context } = await lib.launchChromium({
      profileDir: join(runDir, 'chromium'),
      env: lib.isolatedEnv(runDir, tag),
      viewport: { width: 1400, height: 2400 },
    }));
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(20_000);
    page.on('pageerror', e => lines.push(`[pageerror] ${e.message}`));
    let url = `${cs.url}/?folder=${encodeURIComponent(workspace)}`;
    let exited: Promise<unknown> | undefined;
    if (o.payloadEnv) {
      let exit: (code: unknown) => void = () => undefined;
      exited = new Promise(resolve => {
        exit = resolve;
      });
      await page.exposeFunction('codeAutomationExit', (code: unknown) => exit(code));
      await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
        lines.push(`[${type}] ${format(...(Array.isArray(args) ? args : [args]))}`);
      });
      const remote = (p: string) => `vscode-remote://${cs!.authority}${p}`;
      const payload = [
        ['extensionDevelopmentPath', remote(s.probe)],
        ['extensionTestsPath', remote(s.payload)],
        ['skipWelcome', 'true'],
      ];
      url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    }
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    const value = await o.body(page, { runDir, url: cs.url, ...(exited ? { exited } : {}) });
    return { value, hostStartMs: Date.now() - t0 };
  } catch (e) {
    const logDir = join(lib.ROOT, 'test-results/bench');
    mkdirSync(logDir, { recursive: true });
    writeFileSync(join(logDir, `${name}-code-server.log`), cs?.log() ?? '');
    writeFileSync(join(logDir, `${name}-workbench.log`), lines.join('\n'));
    throw new Error(`${name}: ${(e as Error).message} (logs in test-results/bench/)`);
  } finally {
    if (context) await Promise.race([context.close().catch(() => undefined), sleep(5000)]);
    if (cs) await cs.stop();
    lib.sweep(tag, { graceMs: 2000 });
    lib.removeDir(runDir);
  }
}

/** withHost, and a failure when any process of the host outlived it. */
async function withHostChecked<T>(s: HostSetup, name: string, o: Parameters<typeof withHost<T>>[2]): Promise<HostRun<T>> {
  const r = await withHost(s, name, o);
  const alive = lib.findTagged(`${s.tag}.${name}`);
  if (alive.length) throw new Error(`${name}: processes still running after stop: ${alive.map(p => `${p.pid} ${p.cmd}`).join('; ')}`);
  return r;
}

export async function benchActivation(s: HostSetup, runs: number, vscodeVersion: string, log: Log): Promise<Row> {
  const samples: Activation[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await bounded(
      withHostChecked(s, `activation-${i}`, {
        extensions: [s.realVsix, s.emptyVsix],
        body: page => readActivationTimes(page, 60_000),
      }),
      150_000,
      `activation run ${i}`,
    );
    samples.push(r.value);
    log(`activation run ${i + 1}/${runs}: Local Model Router ${r.value.real} ms, empty ${r.value.empty} ms`);
  }
  const real = samples.map(x => x.real);
  const empty = samples.map(x => x.empty);
  return {
    section: 'Activation (real host)',
    what: 'Activation time as VS Code reports it, vs the empty extension',
    runs,
    value: median(real),
    unit: 'ms',
    baseline: { what: 'empty extension, same host', value: median(empty) },
    target: { kind: 'ratio-max', value: 1.5 },
    notes: [
      `code-server with VS Code ${vscodeVersion}, both extensions installed from .vsix into one fresh extensions dir, one fresh code-server + chromium window per run; the number is the one "Developer: Show Running Extensions" shows (VS Code's codeLoadingTime + activateCallTime: loading the main module and the synchronous part of activate()). Both activate on onStartupFinished in the same host.`,
      `Per run (ours / empty, ms): ${samples.map(x => `${x.real}/${x.empty}`).join(', ')}; ours ${spread(real)} ms, empty ${spread(empty)} ms. A row as shown: "${samples[0]?.realRow ?? ''}".`,
      "How VS Code measures it: codeLoadingTime starts before an await (loading the extension's localized messages) and stops when require() of the main module returns, and onStartupFinished starts every such extension at once, so each number also holds whatever else the extension host ran in between (here the other extension's activation and built-in extensions): that is why an empty 300-byte module shows tens of milliseconds. The row \"Activation work timed inside the host\" isolates this extension's own work.",
    ],
  };
}

interface MemRun {
  real?: PayloadResult;
  empty?: PayloadResult;
}

async function payloadRun(
  s: HostSetup,
  name: string,
  mode: 'real' | 'empty',
  refreshes: number,
  windowMs: number,
  settings: Record<string, unknown>,
  extraEnv: Record<string, string> = {},
): Promise<PayloadResult> {
  const out = join(s.dir, `${name}.json`);
  const r = await bounded(
    withHostChecked(s, name, {
      extensions: [mode === 'real' ? s.realVsix : s.emptyVsix],
      settings,
      payloadEnv: {
        LMR_BENCH_OUT: out,
        LMR_BENCH_MODE: mode,
        LMR_BENCH_EXT_ID: mode === 'real' ? REAL_ID : EMPTY_ID,
        LMR_BENCH_REFRESHES: String(refreshes),
        LMR_BENCH_WINDOW_MS: String(windowMs),
        ...extraEnv,
      },
      body: async (_page, h) => {
        const code = await bounded(h.exited!, 180_000, 'the extension-host payload');
        if (!existsSync(out)) throw new Error(`the payload wrote no result (exit code ${String(code)})`);
        return JSON.parse(readFileSync(out, 'utf8')) as PayloadResult;
      },
    }),
    240_000,
    name,
  );
  if (r.value.error) throw new Error(`${name}: payload failed: ${r.value.error}`);
  return r.value;
}

export const share = (ms: number, total: number | undefined) => (total ? `${Math.round((100 * ms) / total)}%` : `${ms} ms`);
const sum = (xs: Array<{ bytes: number }> | undefined) => (xs ?? []).reduce((n, x) => n + x.bytes, 0);
const files = (xs: ReadonlyArray<{ file: string; bytes: number }> | undefined) =>
  (xs ?? []).map(x => `${x.file} (${(x.bytes / KB).toFixed(1)} KB)`).join(', ') || 'none';

export interface HostMemoryBench {
  rows: Row[];
  extHostNode?: string;
  profile?: PayloadResult['profile'];
  profileTotalMs?: number;
}

export async function benchLoadAndMemory(s: HostSetup, runs: number, refreshes: number, log: Log): Promise<HostMemoryBench> {
  // Long enough for the refreshes on a slow machine; both hosts get the same window.
  const windowMs = Math.max(5_000, refreshes * 80);
  // Five scripted servers for the refreshes, the same in both hosts (the empty extension ignores them).
  const kinds = [
    ['llamacpp', 'llamacpp'],
    ['ollama', 'ollama'],
    ['vllm', 'vllm'],
    ['lmstudio', 'lmstudio'],
    ['openaiCompatible', 'generic'],
  ] as const;
  const servers: ScriptedServer[] = [];
  try {
    for (const [, kind] of kinds)
      servers.push(
        await startScriptedServer({
          kind,
          models: [
            { id: `${kind}-model-a`, contextWindow: 32768 },
            { id: `${kind}-model-b`, contextWindow: 32768 },
          ],
        }),
      );
    const settings = Object.fromEntries(kinds.map(([p], i) => [`localModelRouter.${p}.baseUrl`, servers[i]!.baseUrl]));
    const results: MemRun[] = [];
    for (let i = 0; i < runs; i++) {
      const run: MemRun = {};
      // Alternate which goes first, so drift of the machine does not favour one side.
      for (const mode of (i % 2 ? ['empty', 'real'] : ['real', 'empty']) as Array<'real' | 'empty'>) {
        const before = servers.reduce((n, sv) => n + sv.requests.filter(q => q.path === '/v1/models').length, 0);
        const r = await payloadRun(s, `memory-${mode}-${i}`, mode, refreshes, windowMs, settings);
        const seen = servers.reduce((n, sv) => n + sv.requests.filter(q => q.path === '/v1/models').length, 0) - before;
        run[mode] = r;
        const growth = (k: 'regions' | 'regionsPooled') =>
          regionGrowth(r.memAfterActivation![k], r.memAfterRefreshes![k])
            .filter(g => Math.abs(g.mb) >= 0.1)
            .map(g => `${g.region} ${g.mb.toFixed(1)}`)
            .join(', ') || 'none';
        log(
          `payload ${mode} ${i + 1}/${runs}: PSS growth by region (MB): ${growth('regions')}; before the memory-reducing GC: ${r.memAfterActivation!.pssPooledMB?.toFixed(1)} → ${r.memAfterRefreshes!.pssPooledMB?.toFixed(1)} MB (${growth('regionsPooled')})`,
        );
        log(
          `payload ${mode} ${i + 1}/${runs}: load ${r.mainLoadMs?.toFixed(1)} ms + activate() ${r.activateCallMs?.toFixed(1)} ms; heap ${r.memAfterActivation!.heapUsedMB.toFixed(2)} → ${r.memAfterRefreshes!.heapUsedMB.toFixed(2)} MB, PSS ${r.memAfterActivation!.pssMB?.toFixed(1)} → ${r.memAfterRefreshes!.pssMB?.toFixed(1)} MB` +
            (mode === 'real'
              ? `, ${sum(r.atActivate)} B at activation, ${sum(r.afterDiscovery)} B after discovery, /v1/models requests seen ${seen}`
              : ''),
        );
        if (mode === 'real' && seen < refreshes * kinds.length)
          throw new Error(
            `the scripted servers saw ${seen} GET /v1/models, expected at least ${refreshes * kinds.length}: the refreshes did not reach them`,
          );
      }
      results.push(run);
    }
    // One more host, with the CPU profiler on around loading + activate() (kept out of the timings above).
    const profiled = await payloadRun(s, 'profile-real', 'real', 0, 0, settings, {
      LMR_BENCH_PROFILE: '1',
      LMR_BENCH_ALLOC_REFRESHES: String(refreshes),
    });
    if (profiled.allocation)
      log(
        `allocated per refresh: ${profiled.allocation.perRefreshKB.toFixed(0)} KB; ${profiled.allocation.by.map(e => `${e.where} ${e.kb.toFixed(1)}`).join(', ')}; functions: ${profiled.allocation.byFunction.map(e => `${e.where} ${e.kb.toFixed(1)}`).join(', ')}`,
      );
    log(
      `profiled activation: ${profiled.profileTotalMs} ms sampled; ${(profiled.profile ?? [])
        .slice(0, 4)
        .map(e => `${e.fn} ${e.selfMs} ms`)
        .join(', ')}`,
    );
    return {
      rows: loadAndMemoryRows(s, results, refreshes, servers.length, windowMs, profiled),
      extHostNode: results[0]?.real?.node,
      profile: profiled.profile,
      profileTotalMs: profiled.profileTotalMs,
    };
  } finally {
    await Promise.all(servers.map(sv => sv.close()));
  }
}

function loadAndMemoryRows(
  s: HostSetup,
  results: MemRun[],
  refreshes: number,
  serverCount: number,
  windowMs: number,
  profiled: PayloadResult,
): Row[] {
  const reals = results.map(r => r.real!);
  const empties = results.map(r => r.empty!);
  const whole = sum(s.bundle);
  const rows: Row[] = [];
  const list = (xs: number[], digits: number) => xs.map(x => x.toFixed(digits)).join(', ');
  const captured = reals.filter(r => !r.loadedBeforePayload && r.atActivate !== undefined);
  const atAct = captured.map(r => sum(r.atActivate) / KB);
  const afterDisc = captured.map(r => sum(r.afterDiscovery) / KB);
  const sample = captured[0] ?? reals[0]!;
  const loadNote = `How: a probe extension activated at host start ("*", test/bench/host/tracer.ts) wraps Node's Module.prototype._compile, through which every CommonJS file the extension host compiles passes with its source, and wraps the extension's activate() when its main module is loaded; the snapshot is taken when activate() returns. Whole runtime bundle in the .vsix: ${files(s.bundle)} = ${(whole / KB).toFixed(1)} KB (dist/cli.js, the command-line tool, is not loaded by the extension).`;
  const what = 'JavaScript loaded by activation (main module + activate())';
  rows.push(
    captured.length === 0
      ? {
          section: 'Activation (real host)',
          what,
          runs: 0,
          unit: 'KB',
          target: { kind: 'max', value: 100, unit: 'KB' },
          notes: [loadNote],
          notMeasured: "the extension's module was loaded before the probe started tracing in every run",
        }
      : {
          section: 'Activation (real host)',
          what,
          runs: captured.length,
          value: median(atAct),
          unit: 'KB',
          baseline: { what: 'whole runtime bundle', value: whole / KB },
          target: { kind: 'max', value: 100, unit: 'KB' },
          notes: [
            loadNote,
            `Files compiled by the time activate() returned: ${files(sample.atActivate)}.${captured.length < reals.length ? ` ${reals.length - captured.length} run(s) could not be observed (module loaded before tracing).` : ''}`,
          ],
        },
  );
  if (captured.length) {
    rows.push({
      section: 'Activation (real host)',
      what: 'JavaScript loaded once the first discovery has run',
      runs: captured.length,
      value: median(afterDisc),
      unit: 'KB',
      baseline: { what: 'whole runtime bundle', value: whole / KB },
      target: { kind: 'info' },
      notes: [
        `The first discovery starts with setTimeout 0 after activation and loads undici on its first request. Files compiled once it finished (${sample.discoveryProbes ?? '?'} endpoints probed): ${files(sample.afterDiscovery)}. require.cache at the end of the run, after ${2 * refreshes} refreshes: ${files(sample.requireCache)}.`,
      ],
    });
  }

  const work = (r: PayloadResult) => (r.mainLoadMs ?? NaN) + (r.activateCallMs ?? NaN);
  const workReal = reals.map(work);
  const workEmpty = empties.map(work);
  rows.push({
    section: 'Activation (real host)',
    what: 'Activation work timed inside the host (main module load + activate() call)',
    runs: results.length,
    value: median(workReal),
    unit: 'ms',
    baseline: { what: 'empty extension, same probe', value: median(workEmpty) },
    target: { kind: 'info' },
    notes: [
      `Timed by the probe around Module._load of the main module and around the activate() call, in hosts with one of the two extensions, so nothing else activating at the same moment is counted (see the first row's notes). Ours: load ${list(
        reals.map(r => r.mainLoadMs ?? NaN),
        1,
      )} ms + activate() ${list(
        reals.map(r => r.activateCallMs ?? NaN),
        1,
      )} ms; empty: load ${list(
        empties.map(r => r.mainLoadMs ?? NaN),
        2,
      )} ms + activate() ${list(
        empties.map(r => r.activateCallMs ?? NaN),
        2,
      )} ms.`,
      profiled.profile?.length
        ? `Where the time goes (one more host with the V8 sampling profiler on while the main module loads and while activate() runs; the profiler slows the code it watches, ${profiled.profileTotalMs} ms sampled, so read the shares, not the milliseconds): ${profiled.profile.map(e => `${e.fn} ${share(e.selfMs, profiled.profileTotalMs)}${e.fn === 'own code' ? '' : ` (${e.where})`}`).join('; ')}. "called: X" is time spent inside X (and below it) when the extension's code called it, e.g. a VS Code API; "own code" is the extension's own functions, including their first compilation.`
        : 'The profiled run returned no profile.',
    ],
  });

  type Key = 'heapUsedMB' | 'pssMB';
  const d = (r: PayloadResult, k: Key, from: 'memAfterActivation' | 'memAfterRefreshes', to: 'memAfterRefreshes' | 'memAfter2Refreshes') =>
    (r[to]![k] ?? NaN) - (r[from]![k] ?? NaN);
  const heapReal = reals.map(r => d(r, 'heapUsedMB', 'memAfterActivation', 'memAfterRefreshes'));
  const heapEmpty = empties.map(r => d(r, 'heapUsedMB', 'memAfterActivation', 'memAfterRefreshes'));
  const heapReal2 = reals.map(r => d(r, 'heapUsedMB', 'memAfterRefreshes', 'memAfter2Refreshes'));
  const pssReal = reals.map(r => d(r, 'pssMB', 'memAfterActivation', 'memAfterRefreshes'));
  const pssEmpty = empties.map(r => d(r, 'pssMB', 'memAfterActivation', 'memAfterRefreshes'));
  const pssReal2 = reals.map(r => d(r, 'pssMB', 'memAfterRefreshes', 'memAfter2Refreshes'));
  const pssEmpty2 = empties.map(r => d(r, 'pssMB', 'memAfterRefreshes', 'memAfter2Refreshes'));
  const refreshMs = median(reals.map(r => r.refreshMs! / refreshes));
  const memHow = `Each run: a fresh code-server with only that extension installed (.vsix), the probe and the payload (test/bench/host/payload.ts). Sampled after activation + first discovery, after ${refreshes} and after ${2 * refreshes} × \`localModelRouter.refresh\` (awaited one after another, against ${serverCount} scripted servers: llama.cpp, Ollama, vLLM, LM Studio, generic, 2 models each); each batch of ${refreshes} gets a ${(windowMs / 1000).toFixed(0)} s window, and the empty extension's host waits the same windows. Each sample 2 s after the last request (past the 1.5 s discovery timeout, so no pending timer holds anything), after 4 forced full GCs and then V8's memory-reducing collection (\`gc({ type: 'major', flavor: 'last-resort' })\`, the collection V8 runs under memory pressure: it also gives back the young-generation pages V8 keeps pooled after a burst of allocation, which its memory reducer otherwise releases at a moment of its own choosing, see the PSS row); heap = process.memoryUsage().heapUsed; PSS from /proc/self/smaps_rollup of the extension-host process, by region from /proc/self/smaps (test/bench/lib/smaps.ts: glibc's malloc heap and thread arenas, V8's heap pages and generated code, mapped files). One refresh took ${refreshMs.toFixed(1)} ms (median).`;
  const where = (rs: PayloadResult[], k: 'regions' | 'regionsPooled') =>
    regionGrowthText(rs.map(r => [r.memAfterActivation![k], r.memAfterRefreshes![k]] as const));
  const pooledReal = reals.map(r => (r.memAfterRefreshes!.pssPooledMB ?? NaN) - (r.memAfterActivation!.pssPooledMB ?? NaN));
  const pooledEmpty = empties.map(r => (r.memAfterRefreshes!.pssPooledMB ?? NaN) - (r.memAfterActivation!.pssPooledMB ?? NaN));
  const alloc = profiled.allocation;
  const allocNote = alloc
    ? `What one refresh allocates (one more host, V8's sampling heap profiler over ${refreshes} refreshes after 20 to warm up, objects collected later included): ${alloc.perRefreshKB.toFixed(0)} KB, so ${((alloc.perRefreshKB * refreshes) / 1024).toFixed(0)} MB for a batch. By the file that allocated (KB per refresh): ${alloc.by.map(e => `${e.where} ${e.kb.toFixed(1)}`).join(', ')}.`
    : 'The allocation profile was not taken.';
  rows.push({
    section: 'Memory (real host)',
    what: `Extension-host heap growth over ${refreshes} refreshes (after GC)`,
    runs: results.length,
    value: median(heapReal),
    unit: 'MB',
    baseline: { what: 'empty extension, same windows', value: median(heapEmpty) },
    target: { kind: 'max', value: 5, unit: 'MB' },
    notes: [
      memHow,
      `Heap growth, ours: ${list(heapReal, 2)} MB; empty: ${list(heapEmpty, 2)} MB; ours over the next ${refreshes} refreshes: ${list(heapReal2, 2)} MB. A growth below zero: the host held less than at the first sample (the empty extension's host too).`,
    ],
  });
  rows.push({
    section: 'Memory (real host)',
    what: `Extension-host PSS growth over ${refreshes} refreshes`,
    runs: results.length,
    value: median(pssReal),
    unit: 'MB',
    baseline: { what: 'empty extension, same windows', value: median(pssEmpty) },
    target: { kind: 'max', value: 5, unit: 'MB' },
    notes: [
      `PSS growth, ours: ${list(pssReal, 1)} MB; empty: ${list(pssEmpty, 1)} MB. Over the next ${refreshes} refreshes: ours ${list(pssReal2, 1)} MB, empty ${list(pssEmpty2, 1)} MB. Where it lies (median per region, MB): ours ${where(reals, 'regions')}; empty ${where(empties, 'regions')}.${where(reals, 'regions').startsWith('malloc: thread arenas') ? " Most of it is in glibc's thread arenas, where the growth in plain Node lies too, and there it goes away with V8's `--no-opt --no-maglev` (the in-process rows): the optimizing compilers' memory, spent once while the refresh path gets compiled." : ''}`,
      `Read before the memory-reducing collection (after the 4 full GCs only), the growth is ours ${list(pooledReal, 1)} MB, empty ${list(pooledEmpty, 1)} MB (where: ours ${where(reals, 'regionsPooled')}; empty ${where(empties, 'regionsPooled')}): V8's heap pages. ${refreshes} refreshes back to back allocate ${alloc ? `about ${((alloc.perRefreshKB * refreshes) / 1024).toFixed(0)} MB` : 'several MB'} within a second; the young generation runs through pages it had reserved but not yet touched, and after the burst V8 keeps them, pooled for reuse, until its memory reducer runs. That is V8's cache, not memory the extension holds, and when it is given back is V8's choice: on the same reading the empty host, where nothing runs, moved by ${list(pooledEmpty, 1)} MB.`,
      allocNote,
    ],
    why: `the JavaScript heap grows by ${median(heapReal).toFixed(2)} MB of it; by region (median, MB): ${where(reals, 'regions')}. ${median(pssReal2) < median(pssReal) / 2 ? `The next ${refreshes} refreshes add much less (${median(pssReal2).toFixed(1)} MB), so most of it is a one-time high-water mark.` : `The next ${refreshes} refreshes add ${median(pssReal2).toFixed(1)} MB: it keeps growing.`}`,
  });
  rows.push({
    section: 'Memory (real host)',
    what: 'Extension-host heap after activation + first discovery (after GC)',
    runs: results.length,
    value: median(reals.map(r => r.memAfterActivation!.heapUsedMB)),
    unit: 'MB',
    baseline: { what: 'empty extension', value: median(empties.map(r => r.memAfterActivation!.heapUsedMB)) },
    target: { kind: 'info' },
    notes: [
      `PSS at the same point: ours ${median(reals.map(r => r.memAfterActivation!.pssMB ?? NaN)).toFixed(1)} MB, empty ${median(empties.map(r => r.memAfterActivation!.pssMB ?? NaN)).toFixed(1)} MB. Ours includes undici, loaded by the first discovery. The host also runs VS Code's built-in extensions, the same in both.`,
    ],
  });
  return rows;
}
