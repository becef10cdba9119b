// npm run test:ui [-- [file names…] [--grep <regexp>]]
//
// Packages the extension (`npm run package` → local-model-router.vsix; LMR_UI_VSIX=<file> uses a
// ready one instead), then runs test/ui/*.ui.ts with tsx (test/ui/run.ts): for each file a plain
// code-server with the .vsix installed in a fresh extensions dir, driven by headless chromium.
// Screenshots: test-results/ui/<file>/ (README shots also to media/screenshots/ with
// UPDATE_SCREENSHOTS=1). Every process the run started is stopped at the end, on failure, on
// timeout (LMR_UI_TIMEOUT_MS, default 20 min) and on Ctrl+C.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as lib from './lib.mjs';

const ROOT = lib.ROOT;
const TIMEOUT_MS = Number(process.env.LMR_UI_TIMEOUT_MS || 20 * 60_000);
const secs = ms => `${(ms / 1000).toFixed(1)} s`;
const tag = lib.newTag('ui');

function stopAll(reason) {
  const { stopped, alive } = lib.sweep(tag, { graceMs: 3000 });
  if (reason || stopped.length) console.log(`ui: ${reason ? `${reason}: ` : ''}stopped ${stopped.length} process(es) of this run`);
  return alive;
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopAll(sig);
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

function packageVsix() {
  if (process.env.LMR_UI_VSIX) return process.env.LMR_UI_VSIX;
  const t = Date.now();
  const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const vsix = join(ROOT, 'local-model-router.vsix');
  if (r.status !== 0 || !existsSync(vsix)) {
    process.stderr.write(
      r.stdout +
        r.stderr
          .split('\n')
          .filter(l => !/Unknown (user|env) config "nodedir"/.test(l))
          .join('\n'),
    );
    throw new Error('`npm run package` failed: no .vsix to install');
  }
  console.log(`packaged local-model-router.vsix in ${secs(Date.now() - t)}`);
  return vsix;
}

async function main() {
  lib.assertHostInstalled();
  const vsix = packageVsix();
  const t0 = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/ui/run.ts'), ...process.argv.slice(2)], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, [lib.TAG_VAR]: tag, LMR_UI_VSIX: vsix },
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    console.error(`ui: timed out after ${secs(TIMEOUT_MS)}`);
    stopAll('timeout');
  }, TIMEOUT_MS);
  const code = await new Promise(res => child.on('exit', (c, s) => res(c ?? (s ? 1 : 0))));
  clearTimeout(timer);
  const alive = stopAll();
  console.log(
    `ui: ${code === 0 && !timedOut ? 'passed' : 'FAILED'} in ${secs(Date.now() - t0)}; host stopped: ${alive.length === 0 ? 'no process of this run left' : `STILL RUNNING ${alive.map(p => `${p.pid} ${p.cmd}`).join('; ')}`}`,
  );
  return code === 0 && !timedOut && alive.length === 0;
}

main().then(
  ok => process.exit(ok ? 0 : 1),
  e => {
    stopAll();
    console.error(`ui: ${e.message}`);
    process.exit(1);
  },
);
