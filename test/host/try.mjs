// npm run install-extension: build the .vsix and install it into your VS Code (`code` on PATH), or,
// without VS Code, into the project's own code-server, which then serves it on http://127.0.0.1:PORT.
//
// env: CODE_CLI (default `code`), LMR_TRY_PORT (default 8130), LMR_TRY_FOLDER (default: this repo)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import * as lib from './lib.mjs';

const ROOT = lib.ROOT;
const VSIX = join(ROOT, 'local-model-router.vsix');

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`\n${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

function onPath(name) {
  if (name.includes('/')) return existsSync(name) ? name : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

run('npm', ['run', '--silent', 'package']);
console.log(`built ${VSIX}`);

const code = onPath(process.env.CODE_CLI || 'code');
if (code) {
  run(code, ['--install-extension', VSIX, '--force']);
  console.log('\nInstalled into VS Code. Reload its windows; the status bar shows "Local Model Router".');
  process.exit(0);
}

console.log('\nNo `code` command on PATH: installing into the project\'s code-server instead (real VS Code server in your browser).');
if (!existsSync(lib.CODE_SERVER_BIN) || !existsSync(join(lib.NODE24_DIR, 'bin/node'))) run('bash', ['test/host/setup.sh']);
const dir = join(lib.CACHE, 'try');
for (const d of ['user-data/User', 'extensions', 'home', 'tmp', 'xdg/config', 'xdg/data', 'xdg/cache']) mkdirSync(join(dir, d), { recursive: true });
const tag = lib.newTag('try');
lib.installVsix(VSIX, { runDir: dir, tag, userDataDir: join(dir, 'user-data'), extensionsDir: join(dir, 'extensions') });
const port = process.env.LMR_TRY_PORT || '8130';
const folder = process.env.LMR_TRY_FOLDER || ROOT;
// The real HOME is kept: the extension is meant to find your servers and your ~/.codex.
const env = { ...process.env, PATH: `${join(lib.NODE24_DIR, 'bin')}${delimiter}${process.env.PATH}`, EXTENSIONS_GALLERY: '{}' };
const child = spawn(lib.CODE_SERVER_BIN, ['--config', join(dir, 'config.yaml'), '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
  '--disable-telemetry', '--disable-update-check', '--user-data-dir', join(dir, 'user-data'), '--extensions-dir', join(dir, 'extensions'), folder],
{ env, stdio: ['ignore', 'inherit', 'inherit'] });
console.log(`\nOpen http://127.0.0.1:${port}/ in a browser. Ctrl+C stops code-server.`);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill('SIGTERM'));
child.on('exit', c => process.exit(c ?? 0));
