#!/usr/bin/env node
// A stand-in "VS Code executable" for @vscode/test-electron's runTests({ vscodeExecutablePath }).
//
// runTests spawns `<exe> [launchArgs] --no-sandbox … --disable-workspace-trust --extensionTestsPath=X
// --extensionDevelopmentPath=Y [--user-data-dir=… --extensions-dir=…]` and only looks at the exit code.
// This shim starts code-server (the real VS Code server and its Node extension host) on a free
// loopback port with the smoke-test-driver option, opens the workbench in headless chromium with the
// test payload, relays the workbench's log lines, and exits with the code the workbench reports
// through window.codeAutomationExit once the extension host has run the tests. code-server and
// chromium are stopped on every path out: pass, fail, timeout, SIGINT/SIGTERM, parent gone.
//
// env (all optional):
//   LMR_HOST_TRUST=untrusted   keep workspace trust on and open the folder in Restricted Mode
//                              (runTests always passes --disable-workspace-trust; it is dropped here)
//   LMR_HOST_RUN=<tag>         tag carried by every process of the run (see lib.mjs sweep)
//   LMR_HOST_RUN_DIR=<dir>     where HOME/XDG/TMPDIR/chromium profile go (default: a fresh temp dir)
//   LMR_HOST_ARTIFACTS=<dir>   code-server log and a screenshot are saved here when the run fails
//   LMR_HOST_TIMEOUT_MS        whole-run limit (default 300000)
//   LMR_SHIM_EXEC=<exe>        pass everything through to a desktop VS Code instead (only the
//                              trust flag is handled), so the untrusted suite runs there unchanged
//   CODE_SHIM_VERBOSE=1        also print the workbench's routine log lines
'use strict';
/* global require, process, console, setTimeout, clearTimeout, setInterval */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS executable (runTests spawns it directly) */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { format } = require('node:util');

const argv = process.argv.slice(2);
const untrusted = process.env.LMR_HOST_TRUST === 'untrusted';

if (process.env.LMR_SHIM_EXEC) {
  const args = untrusted ? argv.filter(a => a !== '--disable-workspace-trust') : argv;
  const child = spawn(process.env.LMR_SHIM_EXEC, args, { stdio: 'inherit' });
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return;
}

const opt = { dev: [], tests: undefined, ud: undefined, extdir: undefined, folder: undefined, disableExtensions: false };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const take = name => (a.startsWith(name + '=') ? a.slice(name.length + 1) : argv[++i]);
  if (a.startsWith('--extensionDevelopmentPath')) opt.dev.push(path.resolve(take('--extensionDevelopmentPath')));
  else if (a.startsWith('--extensionTestsPath')) opt.tests = path.resolve(take('--extensionTestsPath'));
  else if (a.startsWith('--user-data-dir')) opt.ud = path.resolve(take('--user-data-dir'));
  else if (a.startsWith('--extensions-dir')) opt.extdir = path.resolve(take('--extensions-dir'));
  else if (a === '--disable-extensions') opt.disableExtensions = true;
  else if (!a.startsWith('-')) opt.folder = path.resolve(a);
  // The rest (--no-sandbox, --disable-gpu-sandbox, --skip-welcome, …) means nothing to code-server.
}
if (!opt.tests || !opt.dev.length) {
  console.error('code-shim: need --extensionTestsPath and --extensionDevelopmentPath');
  process.exit(2);
}

let stopAll = async () => {};
(async () => {
  const lib = await import('./lib.mjs');
  const tag = process.env.LMR_HOST_RUN || lib.newTag('shim');
  const ownRunDir = !process.env.LMR_HOST_RUN_DIR;
  const runDir = process.env.LMR_HOST_RUN_DIR || lib.makeRunDir('shim');
  for (const d of ['home', 'tmp', 'xdg/config', 'xdg/data', 'xdg/cache', 'chromium'])
    fs.mkdirSync(path.join(runDir, d), { recursive: true });
  const ud = opt.ud || path.join(runDir, 'user-data');
  const extdir = opt.extdir || path.join(runDir, 'extensions');
  const folder = opt.folder || path.join(runDir, 'workspace');
  for (const d of [ud, extdir, folder]) fs.mkdirSync(d, { recursive: true });
  const settingsFile = path.join(ud, 'User/settings.json');
  if (!fs.existsSync(settingsFile)) lib.writeUserSettings(ud, { trust: untrusted ? 'untrusted' : 'disabled' });

  let cs;
  let context;
  let page;
  let orphaned = false;
  let stopping;
  // Every path out (tests done, timeout, signal, a rejected page.goto once chromium is closed…)
  // awaits the same cleanup, so no caller can exit halfway through it.
  stopAll = () =>
    (stopping ??= (async () => {
      if (context) await Promise.race([context.close().catch(() => {}), new Promise(r => setTimeout(r, 5000))]);
      if (cs) await cs.stop();
      lib.sweep(tag, { graceMs: 2000 });
      if (ownRunDir || orphaned) lib.removeDir(runDir);
    })());
  const bail = async code => {
    await stopAll();
    process.exit(code);
  };
  // Once runTests' side of the pipes is gone, writing a log line raises EPIPE; that must not
  // crash the shim halfway through stopping code-server and chromium.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  process.on('uncaughtException', e => {
    console.error('code-shim:', e);
    void bail(1);
  });
  process.on('SIGINT', () => void bail(130));
  process.on('SIGTERM', () => void bail(143));
  // runTests' parent died (e.g. killed with SIGKILL): we are re-parented; stop rather than linger,
  // and remove the run folder it can no longer remove.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      orphaned = true;
      void bail(1);
    }
  }, 1000).unref();

  const env = { [lib.TAG_VAR]: tag };
  cs = await lib.startCodeServer({
    runDir,
    tag,
    folder,
    userDataDir: ud,
    extensionsDir: extdir,
    smokeTestDriver: true,
    trust: untrusted ? 'untrusted' : 'disabled',
    env,
  });
  ({ context, page } = await lib.launchChromium({ profileDir: path.join(runDir, 'chromium'), env: lib.isolatedEnv(runDir, tag) }));

  let done;
  const exited = new Promise(r => (done = r));
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const line = format(...(Array.isArray(args) ? args : [args]));
    if (process.env.CODE_SHIM_VERBOSE || !lib.QUIET_WORKBENCH_LINES.test(line))
      (type === 'error' ? process.stderr : process.stdout).write(line + '\n');
  });
  await page.exposeFunction('codeAutomationExit', code => done(code));
  page.on('pageerror', e => process.stderr.write(`[workbench pageerror] ${e.message}\n`));
  const remote = p => `vscode-remote://${cs.authority}${p}`;
  const payload = [
    ...opt.dev.map(d => ['extensionDevelopmentPath', remote(d)]),
    ['extensionTestsPath', remote(opt.tests)],
    ['skipWelcome', 'true'],
  ];
  if (opt.disableExtensions) payload.push(['disableExtensions', 'true']);
  await page.goto(`${cs.url}/?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);

  const timeout = Number(process.env.LMR_HOST_TIMEOUT_MS || 300_000);
  let timer;
  const code = await Promise.race([
    exited,
    new Promise(r => {
      timer = setTimeout(() => r('timeout'), timeout);
    }),
  ]);
  clearTimeout(timer);
  if (code === 'timeout') console.error(`code-shim: the tests did not finish within ${timeout} ms`);
  if (code !== 0 && process.env.LMR_HOST_ARTIFACTS) {
    const dir = process.env.LMR_HOST_ARTIFACTS;
    fs.mkdirSync(dir, { recursive: true });
    const name = untrusted ? 'untrusted' : 'trusted';
    await page.screenshot({ path: path.join(dir, `${name}-final.png`) }).catch(() => {});
    fs.writeFileSync(path.join(dir, `${name}-code-server.log`), cs.log());
  }
  await bail(code === 0 ? 0 : typeof code === 'number' ? code : 124);
})().catch(async e => {
  console.error('code-shim failed:', (e && e.stack) || e);
  await stopAll().catch(() => {});
  process.exit(2);
});
