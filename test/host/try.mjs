// npm run install-extension: install the npm packages (a fresh clone), build the .vsix and install it into your VS Code (`code` on PATH), or,
// without VS Code, into the project's own code-server, which then serves it on http://127.0.0.1:PORT.
//
// The code-server try-out keeps everything it writes in LMR_TRY_DIR (default .vscode-test/try/): user
// data, extensions, a playground folder, and code-server's own logs and device id, which it would
// otherwise put in ~/.local/share and ~/.cache (XDG_DATA_HOME, XDG_CACHE_HOME point there). HOME stays
// yours, so the extension finds your ~/.codex; terminals get your own XDG_* back.
//
// It opens its playground folder, never the repository: VS Code disables an extension installed
// inside an untrusted folder whatever the extension's untrustedWorkspaces support, and the
// repository holds .vscode-test/try/extensions. Workspace trust is off for the playground (it holds
// only a note written here), so Start Server is not hidden behind Restricted Mode. LMR_TRY_FOLDER
// opens your folder instead, with workspace trust on as in VS Code.
//
// Every step prints what it does, and a line at least every HEARTBEAT_S seconds while it is silent
// (installing code-server takes minutes with no output of its own).
//
// env: CODE_CLI (default `code`), LMR_TRY_PORT (default 8130), LMR_TRY_FOLDER, LMR_TRY_DIR
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join, relative, resolve, isAbsolute } from 'node:path';
import * as lib from './lib.mjs';

const ROOT = lib.ROOT;
const VSIX = join(ROOT, 'local-model-router.vsix');

const HEARTBEAT_S = 10;
const T0 = Date.now();
const elapsed = () => `${Math.round((Date.now() - T0) / 1000)} s`;

/**
 * Runs one step with its output passed through; when it has been silent for HEARTBEAT_S seconds, a
 * line says it is still at work. Exits with a message when the step fails.
 */
async function step(what, cmd, args, opts = {}) {
  console.log(`\n[${elapsed()}] ${what}…`);
  const t = Date.now();
  let last = Date.now();
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  child.stdout.on('data', d => {
    last = Date.now();
    process.stdout.write(d);
  });
  child.stderr.on('data', d => {
    last = Date.now();
    process.stderr.write(d);
  });
  const beat = setInterval(() => {
    if (Date.now() - last < HEARTBEAT_S * 1000) return;
    last = Date.now();
    console.log(`[${elapsed()}] still ${what.charAt(0).toLowerCase()}${what.slice(1)} (${Math.round((Date.now() - t) / 1000)} s so far)`);
  }, 1000);
  const [code, signal] = await new Promise(res => child.on('exit', (c, s) => res([c, s])));
  clearInterval(beat);
  if (code !== 0) {
    console.error(`\n${cmd} ${args.join(' ')} failed (exit ${code ?? signal})`);
    process.exit(1);
  }
}

function onPath(name) {
  if (name.includes('/')) return existsSync(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

const isInside = (child, parent) => {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

// A fresh clone has no node_modules: npm ci prints nothing until it is done (20–30 s), so it runs as a
// step with the heartbeat rather than before this script.
if (!existsSync(join(ROOT, 'node_modules', '.package-lock.json')))
  await step("Installing the project's npm packages (npm ci)", 'npm', ['ci', '--no-audit', '--no-fund']);
await step('Building the extension (npm run package)', 'npm', ['run', '--silent', 'package']);
console.log(`built ${VSIX}`);

const code = onPath(process.env.CODE_CLI || 'code');
if (code) {
  await step('Installing it into VS Code', code, ['--install-extension', VSIX, '--force']);
  console.log('\nInstalled into VS Code. Reload its windows; the status bar shows "Local Model Router".');
  process.exit(0);
}

console.log("\nNo `code` command on PATH: installing into the project's code-server instead (real VS Code server in your browser).");
if (!existsSync(lib.CODE_SERVER_BIN) || !existsSync(join(lib.NODE24_DIR, 'bin/node')))
  await step('Installing code-server, Node 24 and chromium once (npm run setup:host; minutes)', 'bash', ['test/host/setup.sh']);

const dir = resolve(process.env.LMR_TRY_DIR || join(lib.CACHE, 'try'));
const userDataDir = join(dir, 'user-data');
const extensionsDir = join(dir, 'extensions');
const playground = join(dir, 'playground');
const xdg = { XDG_DATA_HOME: join(dir, 'xdg/data'), XDG_CACHE_HOME: join(dir, 'xdg/cache') };
for (const d of [join(userDataDir, 'User'), extensionsDir, playground, join(dir, 'home'), join(dir, 'tmp'), ...Object.values(xdg)])
  mkdirSync(d, { recursive: true });

const folder = process.env.LMR_TRY_FOLDER ? resolve(process.env.LMR_TRY_FOLDER) : playground;
const trusted = !process.env.LMR_TRY_FOLDER;
if (!trusted && isInside(extensionsDir, folder)) {
  console.log(
    `\nNote: ${folder} contains the extensions folder (${extensionsDir}): VS Code keeps the extension disabled until you trust that folder.`,
  );
}

const note = join(playground, 'README.md');
if (!existsSync(note)) {
  writeFileSync(
    note,
    [
      '# Local Model Router try-out',
      '',
      'A scratch folder of `npm run install-extension` (code-server in your browser). The status-bar item',
      '"Local Model Router" opens the picker; the walkthrough "Point Codex or Claude Code at a local model" opens by',
      'itself the first time, and is on the Welcome page (Help > Welcome) afterwards.',
      '',
      'To try it on your own project: `LMR_TRY_FOLDER=/path/to/project npm run install-extension`.',
      '',
    ].join('\n'),
  );
}

// Written once, so changes made in the workbench are kept. Terminals get the caller's XDG_* back
// (null removes a variable), so tools run there use the user's own caches. The playground lies
// inside this repository: no "open the parent git repository?" prompt on first open.
const settingsFile = join(userDataDir, 'User/settings.json');
if (!existsSync(settingsFile)) {
  const restore = Object.fromEntries(Object.keys(xdg).map(k => [k, process.env[k] ?? null]));
  writeFileSync(
    settingsFile,
    JSON.stringify(
      {
        'terminal.integrated.env.linux': restore,
        'git.openRepositoryInParentFolders': 'never',
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
      },
      null,
      2,
    ) + '\n',
  );
}

// Every process of the try-out carries the tag, so that stopping it also stops the extension host
// and the shells of its terminals (node-pty puts them in sessions of their own).
const tag = process.env[lib.TAG_VAR] ? `${process.env[lib.TAG_VAR]}.try` : lib.newTag('try');
const port = process.env.LMR_TRY_PORT || '8130';
const env = {
  ...process.env,
  ...xdg,
  PATH: `${join(lib.NODE24_DIR, 'bin')}${delimiter}${process.env.PATH}`,
  EXTENSIONS_GALLERY: '{}',
  [lib.TAG_VAR]: tag,
};
await step(
  'Installing the extension into code-server',
  lib.CODE_SERVER_BIN,
  lib.installVsixArgs(VSIX, { configDir: dir, userDataDir, extensionsDir }),
  { env },
);
const args = [
  '--config',
  join(dir, 'config.yaml'),
  '--bind-addr',
  `127.0.0.1:${port}`,
  '--auth',
  'none',
  '--disable-telemetry',
  '--disable-update-check',
  '--disable-getting-started-override',
  '--user-data-dir',
  userDataDir,
  '--extensions-dir',
  extensionsDir,
  // Otherwise http://127.0.0.1:PORT/ reopens the folder of an earlier run (kept in user-data/coder.json).
  '--ignore-last-opened',
];
if (trusted) args.push('--disable-workspace-trust');
args.push(folder);
const child = spawn(lib.CODE_SERVER_BIN, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  child.kill('SIGTERM');
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, stop);
child.on('exit', c => {
  lib.sweep(tag, { graceMs: 2000 });
  process.exit(stopping ? 0 : (c ?? 1));
});

const url = `http://127.0.0.1:${port}/`;
console.log(`\n[${elapsed()}] Starting code-server on ${url}…`);
for (let t0 = Date.now(), beat = Date.now(); !stopping && child.exitCode === null;) {
  if (Date.now() - beat >= HEARTBEAT_S * 1000) {
    beat = Date.now();
    console.log(`[${elapsed()}] still waiting for code-server to answer (${Math.round((Date.now() - t0) / 1000)} s so far)`);
  }
  const up = await fetch(`${url}healthz`).then(
    r => r.ok,
    () => false,
  );
  if (up) {
    console.log(`\nOpen ${url} in a browser (folder: ${folder}). Ctrl+C stops code-server. (Ready after ${elapsed()}.)`);
    break;
  }
  if (Date.now() - t0 > 60_000) {
    console.error(`code-server did not answer on ${url} within 60 s`);
    stop();
    break;
  }
  await new Promise(r => setTimeout(r, 200));
}
