// npm run test:integration [-- [suite names…] [--grep <regexp>] [--no-build]]
//
// Builds, then runs the extension-host suites (out/integration/*.test.js, loaded by
// out/integration/index.js) inside a real VS Code through @vscode/test-electron's runTests:
//   - default: code-server (the VS Code server + its Node extension host) through test/host/code-shim.cjs;
//   - VSCODE_EXECUTABLE=/path/to/code: that desktop VS Code, unchanged suites;
//   - VSCODE_VERSION=stable|1.80.0: runTests downloads that VS Code (needs internet).
// Suites named *.untrusted.test.ts run in a second launch with workspace trust on and the folder
// untrusted (Restricted Mode); the others with trust off. Each launch gets a fresh user-data-dir,
// extensions dir and workspace folder, and every process it started is stopped afterwards, on
// failure, on timeout and on Ctrl+C (see lib.mjs sweep).
//
// env: LMR_HOST_TIMEOUT_MS (per launch, default 300000), CODE_SHIM_VERBOSE=1 (all workbench lines).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as lib from './lib.mjs';

const require = createRequire(import.meta.url);
const { runTests, downloadAndUnzipVSCode } = require('@vscode/test-electron');

const ROOT = lib.ROOT;
const OUT = join(ROOT, 'out/integration');
const ARTIFACTS = join(ROOT, 'test-results/integration');
const SHIM = join(ROOT, 'test/host/code-shim.cjs');
// A second extension that uses vscode.lm as any other extension would: the chat-model suite selects
// and calls this extension's models through it. The workbench takes one development path only (its
// payload is a map), so the fixture is installed into each launch's fresh extensions folder instead.
const LM_CONSUMER = join(ROOT, 'test/fixtures/lm-consumer');
const TIMEOUT_MS = Number(process.env.LMR_HOST_TIMEOUT_MS || 300_000);

const args = process.argv.slice(2);
const only = [];
let grep;
let build = true;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--grep') grep = args[++i];
  else if (args[i] === '--no-build') build = false;
  else if (args[i].startsWith('-')) {
    console.error(`unknown option ${args[i]}`);
    process.exit(2);
  } else only.push(args[i].replace(/(\.untrusted)?\.test\.(ts|js)$/, '').replace(/^.*\//, ''));
}

const tags = new Set();
const runDirs = new Set();
function cleanupAll() {
  for (const tag of tags) lib.sweep(tag, { graceMs: 2000 });
  for (const d of runDirs) lib.removeDir(d);
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping the test host…`);
    cleanupAll();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}
process.on('exit', cleanupAll);

const secs = ms => `${(ms / 1000).toFixed(1)} s`;

function buildBundles() {
  // A suite whose source was deleted must not keep running from a stale bundle.
  if (existsSync(OUT)) {
    const sources = new Set(
      readdirSync(join(ROOT, 'test/integration'))
        .filter(f => f.endsWith('.ts'))
        .map(f => f.replace(/\.ts$/, '')),
    );
    for (const f of readdirSync(OUT)) {
      const base = f.replace(/\.js(\.map)?$/, '');
      if (!sources.has(base)) rmSync(join(OUT, f), { force: true });
    }
  }
  const t = Date.now();
  const r = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(r.stdout);
    throw new Error('build failed');
  }
  console.log(`built in ${secs(Date.now() - t)}`);
}

async function hostExecutable(trust) {
  let desktop = process.env.VSCODE_EXECUTABLE;
  if (!desktop && process.env.VSCODE_VERSION) desktop = await downloadAndUnzipVSCode(process.env.VSCODE_VERSION);
  if (!desktop) return { exe: SHIM, env: {} };
  // runTests always passes --disable-workspace-trust; the shim drops it for the untrusted launch.
  return trust === 'untrusted' ? { exe: SHIM, env: { LMR_SHIM_EXEC: desktop } } : { exe: desktop, env: {} };
}

async function launch(trust, files) {
  const tag = lib.newTag(`int-${trust}`);
  tags.add(tag);
  const runDir = lib.makeRunDir(`int-${trust}`);
  runDirs.add(runDir);
  const userDataDir = join(runDir, 'user-data');
  const extensionsDir = join(runDir, 'extensions');
  const workspace = join(runDir, 'workspace');
  const resultsFile = join(runDir, 'results.json');
  lib.writeUserSettings(userDataDir, { trust: trust === 'untrusted' ? 'untrusted' : 'disabled' });
  cpSync(LM_CONSUMER, join(extensionsDir, 'lmr-tests.lm-consumer-0.0.1'), { recursive: true });
  const { exe, env } = await hostExecutable(trust);

  console.log(
    `\n── extension-host suite, ${trust === 'untrusted' ? 'UNTRUSTED workspace (Restricted Mode)' : 'trusted workspace'}: ${files.join(', ')}`,
  );
  const t0 = Date.now();
  let error;
  let timer;
  try {
    await Promise.race([
      runTests({
        vscodeExecutablePath: exe,
        extensionDevelopmentPath: ROOT,
        extensionTestsPath: join(OUT, 'index.js'),
        // The extensions folder is fresh and holds only the fixture; --disable-extensions would disable it too.
        launchArgs: [workspace, `--user-data-dir=${userDataDir}`, `--extensions-dir=${extensionsDir}`],
        extensionTestsEnv: {
          ...env,
          LMR_TEST_TRUST: trust,
          LMR_TEST_FILES: only.join(','),
          LMR_TEST_GREP: grep ?? '',
          LMR_TEST_RESULTS: resultsFile,
          LMR_HOST_TRUST: trust,
          [lib.TAG_VAR]: tag,
          LMR_HOST_RUN_DIR: runDir,
          LMR_HOST_ARTIFACTS: ARTIFACTS,
          LMR_HOST_TIMEOUT_MS: String(TIMEOUT_MS),
          // Keeps a desktop VS Code's tests out of the real ~/.codex too (the shim sets the same).
          HOME: join(runDir, 'home'),
          CODEX_HOME: join(runDir, 'home/.codex'),
        },
      }),
      new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error(`timed out after ${secs(TIMEOUT_MS + 30_000)}`)), TIMEOUT_MS + 30_000);
      }),
    ]);
  } catch (e) {
    error = e;
  } finally {
    clearTimeout(timer);
  }
  const elapsed = Date.now() - t0;
  const { stopped, alive } = lib.sweep(tag, { graceMs: 3000 });

  let results;
  try {
    results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  } catch {
    /* the host never ran the tests */
  }
  const tests = results?.tests ?? [];
  const count = s => tests.filter(t => t.state === s).length;
  const failed = count('failed');
  const ok = !error && failed === 0 && tests.length > 0 && alive.length === 0;
  console.log(
    `\n${ok ? 'PASS' : 'FAIL'} ${trust}: ${count('passed')} passed, ${failed} failed, ${count('pending')} skipped in ${secs(elapsed)}`,
  );
  for (const t of tests) {
    const mark = t.state === 'passed' ? '✓' : t.state === 'failed' ? '✗' : '-';
    console.log(`  ${mark} ${t.title}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ''}`);
    if (t.error)
      console.log(
        t.error
          .split('\n')
          .slice(0, 12)
          .map(l => `      ${l}`)
          .join('\n'),
      );
  }
  if (results?.fatal) console.log(`  mocha could not run: ${results.fatal}`);
  if (!results) console.log('  no results: the extension host did not run the tests (see the log above)');
  if (error) console.log(`  host: ${error.message}${existsSync(ARTIFACTS) ? ` (artifacts in ${ARTIFACTS.slice(ROOT.length + 1)}/)` : ''}`);
  console.log(
    `  host stopped: ${alive.length === 0 ? 'no process of this launch left' : `STILL RUNNING: ${alive.map(p => `${p.pid} ${p.cmd}`).join('; ')}`}` +
      (stopped.length ? ` (${stopped.length} stray process(es) had to be stopped)` : ''),
  );
  lib.removeDir(runDir);
  runDirs.delete(runDir);
  return ok;
}

async function main() {
  if (!process.env.VSCODE_EXECUTABLE && !process.env.VSCODE_VERSION) lib.assertHostInstalled();
  if (build) buildBundles();
  if (!existsSync(join(OUT, 'index.js')))
    throw new Error('out/integration/index.js missing: the build did not bundle test/integration/index.ts');
  rmSync(ARTIFACTS, { recursive: true, force: true }); // artifacts of an earlier failed run would mislead
  mkdirSync(ARTIFACTS, { recursive: true });
  const all = readdirSync(OUT)
    .filter(f => f.endsWith('.test.js'))
    .sort();
  const pick = untrusted =>
    all
      .filter(f => f.endsWith('.untrusted.test.js') === untrusted)
      .filter(f => only.length === 0 || only.includes(f.replace(/(\.untrusted)?\.test\.js$/, '')));
  const plan = [
    ['trusted', pick(false)],
    ['untrusted', pick(true)],
  ].filter(([, files]) => files.length > 0);
  if (plan.length === 0) throw new Error(`no suites match ${only.length ? only.join(', ') : 'out/integration/*.test.js'}`);
  const t0 = Date.now();
  const outcomes = [];
  for (const [trust, files] of plan) outcomes.push(await launch(trust, files));
  const ok = outcomes.every(Boolean);
  console.log(`\nintegration: ${ok ? 'all launches passed' : 'FAILED'} in ${secs(Date.now() - t0)}`);
  return ok;
}

main().then(
  ok => process.exit(ok ? 0 : 1),
  e => {
    console.error(`integration: ${e.message}`);
    process.exit(1);
  },
);
