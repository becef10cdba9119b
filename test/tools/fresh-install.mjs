// Measures the README's install command as a new user meets it: a fresh copy of the repository (no
// node_modules, no .vscode-test, no build output), an empty npm cache, no `code` on PATH, then
// `npm run install-extension` (which runs npm ci itself) until it prints the URL to open. Prints when each output
// line came, the time of each command and the longest silence; stops the try-out afterwards.
// Debian's packages (chromium, libkrb5-dev, …) are taken as installed: apt is not timed.
//
// usage: node test/tools/fresh-install.mjs [--keep]   (--keep leaves the copy in place)
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import * as lib from '../host/lib.mjs';

const NOT_IN_A_CLONE = new Set(['.git', 'node_modules', '.vscode-test', 'dist', 'out', 'test-results', '.cache']);
const keep = process.argv.includes('--keep');
const dir = mkdtempSync(join(tmpdir(), 'lmr-fresh-'));
const clone = join(dir, 'clone');
for (const e of readdirSync(lib.ROOT)) {
  if (NOT_IN_A_CLONE.has(e) || e.endsWith('.vsix')) continue;
  cpSync(join(lib.ROOT, e), join(clone, e), { recursive: true });
}
mkdirSync(join(dir, 'home'));
const tag = lib.newTag('fresh');
const port = await lib.freePort();
const env = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(npm_|LMR_|CODE_CLI$)/i.test(k)) env[k] = v;
Object.assign(env, {
  // No `code` on PATH: the try-out installs code-server.
  PATH: (process.env.PATH ?? '')
    .split(delimiter)
    .filter(d => d && !existsSync(join(d, 'code')))
    .join(delimiter),
  // A new user's empty npm cache; HOME of their own, so nothing here touches the real one.
  npm_config_cache: join(dir, 'npm-cache'),
  HOME: join(dir, 'home'),
  npm_config_update_notifier: 'false',
  LMR_TRY_PORT: String(port),
  [lib.TAG_VAR]: tag,
});

const t0 = Date.now();
let last = t0;
let longest = { ms: 0, after: '(start)' };
let lastLine = '(start)';
const secs = ms => `${(ms / 1000).toFixed(1)} s`;

function run(cmd, args, until) {
  return new Promise((resolve, reject) => {
    const t = Date.now();
    const child = spawn(cmd, args, { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let done = false;
    const onData = d => {
      const now = Date.now();
      if (now - last > longest.ms) longest = { ms: now - last, after: lastLine };
      last = now;
      for (const line of String(d)
        .split('\n')
        .filter(l => l.trim())) {
        lastLine = line.trim().slice(0, 100);
        console.log(`[${secs(now - t0).padStart(7)}] ${line}`);
      }
      if (until && !done && until.test(String(d))) {
        done = true;
        resolve({ ms: now - t, child });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', code => {
      if (done) return;
      if (code === 0 && !until) resolve({ ms: Date.now() - t, child });
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}`));
    });
  });
}

let tryout;
try {
  const install = await run('npm', ['run', 'install-extension'], /^Open http/m);
  tryout = install.child;
  console.log(
    `\nfresh clone: npm run install-extension ${secs(install.ms)} until the URL; longest silence ${secs(longest.ms)} after "${longest.after}"`,
  );
} finally {
  if (tryout) lib.killGroup(tryout.pid, 'SIGINT');
  await new Promise(r => setTimeout(r, 3000));
  lib.sweep(tag, { graceMs: 3000 });
  if (!keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`kept ${clone}`);
}
