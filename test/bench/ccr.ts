// claude-code-router 2.0.0, the bridge users reach for today, as the bench's peer on the Messages side.
// Installed from the npm registry at bench time into .cache/bench/ccr (not a dependency: CI does not
// pay for it; 3.x does not install, a dependency is missing from the registry). Run headless as
// `ccr start` does, in the foreground, with its config in a temporary HOME
// (~/.claude-code-router/config.json; it also writes ~/.claude.json there): two providers, the bench's
// upstream ("local", the default route) and a closed port ("down", asked for as model "down,m").
// Its logging stays at its default (on, level debug, into ~/.claude-code-router/logs), as a user has it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { portOpen } from '../support/ports';
import { stop } from './bridge-kit';
import { ROOT } from './lib/machine';
import { sleep } from './lib/stats';

export const CCR = '@musistudio/claude-code-router@2.0.0';
const DIR = join(ROOT, '.cache/bench/ccr');
const CLI = join(DIR, 'node_modules/@musistudio/claude-code-router/dist/cli.js');

/** The installed ccr's CLI, or why there is none. */
export function ensureCcr(log: (s: string) => void): { ok: true; cli: string } | { ok: false; why: string } {
  if (existsSync(CLI)) return { ok: true, cli: CLI };
  mkdirSync(DIR, { recursive: true });
  log(`installing ${CCR} into ${DIR}`);
  const r = spawnSync('npm', ['install', '--prefix', DIR, CCR, '--no-save', '--no-audit', '--no-fund', '--loglevel=error'], {
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (r.status === 0 && existsSync(CLI)) return { ok: true, cli: CLI };
  const why = (r.error?.message ?? r.stderr ?? '').trim().split('\n').slice(-2).join(' ').slice(0, 200);
  return { ok: false, why: `not installed: npm install ${CCR} failed (${why || `exit ${r.status}`})` };
}

export interface RunningCcr {
  child: ChildProcess;
  port: number;
  /** Bytes of debug log it has written so far. */
  logBytes(): number;
  close(): Promise<void>;
}

export async function startCcr(cli: string, port: number, upstreamPort: number, downPort: number): Promise<RunningCcr> {
  const home = mkdtempSync(join(tmpdir(), 'lmr-bench-ccr-'));
  const conf = join(home, '.claude-code-router');
  mkdirSync(conf, { recursive: true });
  const provider = (name: string, p: number) => ({
    name,
    api_base_url: `http://127.0.0.1:${p}/v1/chat/completions`,
    api_key: 'none',
    models: ['m'],
  });
  writeFileSync(
    join(conf, 'config.json'),
    JSON.stringify({
      PORT: port,
      HOST: '127.0.0.1',
      Providers: [provider('local', upstreamPort), provider('down', downPort)],
      Router: { default: 'local,m' },
    }),
  );
  const env = { ...process.env, HOME: home, USERPROFILE: home };
  const child = spawn(process.execPath, [cli, 'start'], { stdio: 'ignore', env, cwd: home });
  // ccr prints no port: it is the one in the config, open once it listens.
  const t0 = Date.now();
  while (!(await portOpen(port))) {
    if (child.exitCode !== null) throw new Error(`ccr start exited ${child.exitCode}`);
    if (Date.now() - t0 > 20_000) {
      child.kill('SIGKILL');
      throw new Error('ccr start did not listen in 20 s');
    }
    await sleep(100);
  }
  return {
    child,
    port,
    logBytes: () => dirBytes(join(conf, 'logs')),
    async close() {
      await stop(child);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

function dirBytes(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}
