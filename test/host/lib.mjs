// Shared pieces of the test host: where setup.sh put Node 24 and code-server, how to start code-server
// and chromium in isolation (nothing in $HOME), and how to stop every process a run started.
//
// Every process a run starts carries LMR_HOST_RUN=<tag> in its environment (code-server passes its
// environment on to the extension host, the pty host and the shells in terminals; playwright passes
// it to chromium). `sweep(tag)` finds them through /proc/<pid>/environ, so nothing is left behind
// even when a process escaped its process group (node-pty puts terminal shells in their own session)
// or the driver itself was killed. It never touches processes of other runs.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CACHE = join(ROOT, '.vscode-test');
export const NODE24_DIR = process.env.LMR_NODE24_DIR || join(CACHE, 'node24');
export const CODE_SERVER_BIN = process.env.LMR_CODE_SERVER_BIN || join(CACHE, 'code-server/node_modules/.bin/code-server');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const TAG_VAR = 'LMR_HOST_RUN';

/** Flags that work for headless chromium here (no GPU, no sandbox in containers, no network chatter). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Console lines of the workbench that are noise in test output. */
export const QUIET_WORKBENCH_LINES =
  /^(Resolving connection token|Resolved connection token|Creating a socket|\[reconnection-grace-time\]|Updating additional builtin|\[Service Worker\]|\[AgentHost|\[AccountPolicyGate\]|Ignoring fetching additional builtin extensions|%c)/;

export function assertHostInstalled() {
  const missing = [];
  if (!existsSync(join(NODE24_DIR, 'bin/node'))) missing.push(`Node 24 (${NODE24_DIR})`);
  if (!existsSync(CODE_SERVER_BIN)) missing.push(`code-server (${CODE_SERVER_BIN})`);
  if (!existsSync(CHROMIUM)) missing.push(`chromium (${CHROMIUM})`);
  if (missing.length) {
    throw new Error(`test host not installed: ${missing.join(', ')} missing. Run \`npm run setup:host\` first.`);
  }
}

export function newTag(prefix) {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}`;
}

/** A fresh run folder under the system temp dir (short: unix socket paths are limited to 107 bytes). */
export function makeRunDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `lmr-${prefix}-`));
  for (const d of ['home', 'tmp', 'xdg/config', 'xdg/data', 'xdg/cache', 'user-data/User', 'extensions', 'workspace', 'chromium']) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  return dir;
}

/** Environment that keeps the host out of the real $HOME, ~/.codex, ~/.cache and ~/.config. */
export function isolatedEnv(runDir, tag, extra = {}) {
  return {
    ...process.env,
    HOME: join(runDir, 'home'),
    CODEX_HOME: join(runDir, 'home/.codex'),
    TMPDIR: join(runDir, 'tmp'),
    XDG_CONFIG_HOME: join(runDir, 'xdg/config'),
    XDG_DATA_HOME: join(runDir, 'xdg/data'),
    XDG_CACHE_HOME: join(runDir, 'xdg/cache'),
    XDG_RUNTIME_DIR: join(runDir, 'tmp'),
    // No marketplace is configured, so the workbench makes no open-vsx.org lookups (offline here).
    EXTENSIONS_GALLERY: '{}',
    [TAG_VAR]: tag,
    ...extra,
  };
}

/**
 * User settings for a quiet, deterministic workbench. `trust`: 'disabled' (trust off; everything is
 * trusted) or 'untrusted' (trust on, no startup prompt, the folder opens in Restricted Mode).
 */
export function writeUserSettings(userDataDir, { trust = 'disabled', settings = {} } = {}) {
  const file = join(userDataDir, 'User/settings.json');
  mkdirSync(dirname(file), { recursive: true });
  const base = {
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'workbench.enableExperiments': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'chat.disableAIFeatures': true,
    'git.enabled': false,
    // xterm renders to the DOM (readable by tests) instead of a canvas.
    'terminal.integrated.gpuAcceleration': 'off',
    'terminal.integrated.defaultProfile.linux': 'bash',
    'window.restoreWindows': 'none',
    // The (empty) chat side bar would take a third of every screenshot.
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    // Scripted servers on loopback ports would otherwise show up as "forwarded ports".
    'remote.autoForwardPorts': false,
    'security.workspace.trust.enabled': trust === 'untrusted',
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'never',
  };
  // code-server's window is a remote one: VS Code applies `machine` and `machine-overridable`
  // settings only from the remote machine's settings (the Settings editor's Remote tab), and the
  // rest from the user's. Each test value goes where a person's Settings editor would put it.
  const remote = Object.fromEntries(Object.entries(settings).filter(([k]) => MACHINE_SCOPES.has(scopeOf(k))));
  const user = Object.fromEntries(Object.entries(settings).filter(([k]) => !(k in remote)));
  writeFileSync(file, JSON.stringify({ ...base, ...user }, null, 2));
  const machine = join(userDataDir, 'Machine/settings.json');
  mkdirSync(dirname(machine), { recursive: true });
  writeFileSync(machine, JSON.stringify(remote, null, 2));
  return file;
}

const MACHINE_SCOPES = new Set(['machine', 'machine-overridable']);
let scopes;
/** The scope package.json declares for one of the extension's settings; VS Code's own default ('window') for any other. */
export function scopeOf(key) {
  if (!scopes) {
    const { contributes } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    scopes = new Map(contributes.configuration.flatMap(g => Object.entries(g.properties).map(([k, p]) => [k, p.scope ?? 'window'])));
  }
  return scopes.get(key) ?? 'window';
}

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

/**
 * Starts code-server in its own process group and waits for /healthz.
 * opts: { runDir, tag, folder, userDataDir, extensionsDir, smokeTestDriver, trust, env, logFile }
 * Returns { port, url, authority, pid, log(), stop() }.
 */
export async function startCodeServer(opts) {
  assertHostInstalled();
  const port = await freePort();
  const env = isolatedEnv(opts.runDir, opts.tag, {
    PATH: `${join(NODE24_DIR, 'bin')}:${process.env.PATH}`,
    ...(opts.env || {}),
  });
  const args = [
    '--config',
    join(opts.runDir, 'config.yaml'),
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir',
    opts.userDataDir,
    '--extensions-dir',
    opts.extensionsDir,
    '--ignore-last-opened',
    // Without it an extension host whose browser went away lives on for 3 hours.
    '--reconnection-grace-time',
    '30',
  ];
  if (opts.trust !== 'untrusted') args.push('--disable-workspace-trust');
  // The built workbench only honours extensionDevelopmentPath/extensionTestsPath from ?payload= with
  // this option. It also switches the workbench to automation mode (no toasts, dialogs skipped).
  if (opts.smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver');
  args.push(opts.folder);
  const child = spawn(CODE_SERVER_BIN, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const onData = d => {
    log += d;
    if (opts.logFile)
      try {
        writeFileSync(opts.logFile, log);
      } catch {
        /* best effort */
      }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const t0 = Date.now();
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (child.exitCode !== null || Date.now() - t0 > 60_000) {
      killGroup(child.pid, 'SIGKILL');
      throw new Error(`code-server did not start (exit ${child.exitCode}):\n${log}`);
    }
    await sleep(100);
  }
  return {
    port,
    url,
    authority: `127.0.0.1:${port}`,
    pid: child.pid,
    startedMs: Date.now() - t0,
    log: () => log,
    stop: async () => {
      killGroup(child.pid, 'SIGTERM');
      for (let i = 0; i < 50 && groupAlive(child.pid); i++) await sleep(100);
      killGroup(child.pid, 'SIGKILL');
    },
  };
}

export function killGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    /* gone */
  }
}
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Launches headless chromium (playwright-core) on a fresh profile; returns { context, page }. */
export async function launchChromium({ profileDir, env, viewport = { width: 1400, height: 900 } }) {
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    env,
    args: CHROMIUM_ARGS,
  });
  const page = context.pages()[0] || (await context.newPage());
  return { context, page };
}

/** The code-server CLI call that installs a .vsix into an extensions dir (offline); a rebuilt .vsix of the same version replaces the installed one. */
export function installVsixArgs(vsix, { configDir, userDataDir, extensionsDir }) {
  return [
    '--config',
    join(configDir, 'config.yaml'),
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--install-extension',
    vsix,
    '--force',
  ];
}

/** Installs a .vsix into an extensions dir with the code-server CLI (offline, a few seconds). */
export function installVsix(vsix, { runDir, tag, userDataDir, extensionsDir }) {
  const env = isolatedEnv(runDir, tag, { PATH: `${join(NODE24_DIR, 'bin')}:${process.env.PATH}` });
  return execFileSync(CODE_SERVER_BIN, installVsixArgs(vsix, { configDir: runDir, userDataDir, extensionsDir }), {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Processes whose environment carries LMR_HOST_RUN=<tag>, or a child tag `<tag>.<name>` (never this
 * process): a UI run tags each test file's host `<run tag>.<file>`.
 */
export function findTagged(tag) {
  const needles = [`\0${TAG_VAR}=${tag}\0`, `\0${TAG_VAR}=${tag}.`];
  const found = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      const environ = '\0' + readFileSync(`/proc/${d}/environ`, 'latin1') + '\0';
      if (!needles.some(n => environ.includes(n))) continue;
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'latin1').split('\0').join(' ').trim();
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${d}/status`, 'latin1'))?.[1];
      if (state === 'Z') continue; // a zombie is already dead; its parent reaps it
      found.push({ pid: Number(d), cmd: cmd.slice(0, 160) });
    } catch {
      /* gone, or not ours to read */
    }
  }
  return found;
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Stops every process of the run: SIGTERM, up to `graceMs` to exit, then SIGKILL. Synchronous, so
 * it also works from signal and exit handlers. Returns the processes that had to be killed and
 * those still alive afterwards (should be none).
 */
export function sweep(tag, { graceMs = 3000 } = {}) {
  const first = findTagged(tag);
  for (const p of first)
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  const end = Date.now() + graceMs;
  let left = first;
  while (left.length && Date.now() < end) {
    sleepSync(100);
    left = findTagged(tag);
  }
  for (const p of left)
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  if (left.length) sleepSync(200);
  return { stopped: first, killed: left, alive: findTagged(tag) };
}

/** `pgrep -fa` lines for code-server/chromium processes of this run (for the final report line). */
export function leftovers(tag) {
  return findTagged(tag).filter(p => /code-server|chromium|extensionHost|bootstrap-fork/.test(p.cmd));
}

export function removeDir(dir) {
  try {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    /* best effort */
  }
}
