// The real llama.cpp `llama-server` (built by `npm run setup:real-server`) and the tiny models made for
// it, for the tests that hold the product and the scripted imitation against the real thing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { freePort } from './ports';

const ROOT = join(__dirname, '..', '..');
const PIN = JSON.parse(readFileSync(join(ROOT, 'test', 'real-server', 'pin.json'), 'utf8')) as { nodeLlamaCpp: string };
const SETUP = 'npm run setup:real-server';

/** The models make-models.sh writes (see its table for what each is for). */
export const REAL_MODELS = [
  'tiny-chat',
  'tiny-tools',
  'tiny-strict',
  'tiny-strict-tools',
  'tiny-endless',
  'tiny-merge',
  'tiny-mcp',
  'tiny-view-image',
] as const;
export type RealModel = (typeof REAL_MODELS)[number];

export type RealLlama =
  | {
      ok: true;
      binary: string;
      /** What `--version` says after "version: ", e.g. `0.4.0-dev (build 1, commit 80fb11a)`. */
      version: string;
      /** The same as `/props` reports it in `build_info`, e.g. `b1-80fb11a`. */
      buildInfo: string;
      modelsDir: string;
      /** llama.cpp's models/templates (real chat templates, e.g. Qwen3.5-4B.jinja). */
      templatesDir: string;
      model(name: RealModel): string;
    }
  | { ok: false; reason: string };

/** The cache: LMR_LLAMA_CACHE, else <repo>/.cache/llama-server-<pinned node-llama-cpp version>. */
export function realLlamaCache(): string {
  return process.env.LMR_LLAMA_CACHE || join(ROOT, '.cache', `llama-server-${PIN.nodeLlamaCpp}`);
}

export function findRealLlama(): RealLlama {
  const cache = realLlamaCache();
  const binary = join(cache, 'bin', 'llama-server');
  if (!existsSync(binary)) return { ok: false, reason: `no llama-server at ${binary}: run \`${SETUP}\`` };
  const v = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 15_000, shell: false });
  const m = /version: (\S+) \(build (\d+), commit (\w+)\)/.exec(`${v.stdout}${v.stderr}`);
  if (v.status !== 0 || !m)
    return { ok: false, reason: `${binary} --version failed (${v.error?.message ?? `exit ${v.status}`}): run \`${SETUP}\`` };
  const modelsDir = join(cache, 'models');
  const missing = REAL_MODELS.filter(n => !existsSync(join(modelsDir, `${n}.gguf`)));
  if (missing.length) return { ok: false, reason: `models missing in ${modelsDir} (${missing.join(', ')}): run \`${SETUP}\`` };
  return {
    ok: true,
    binary,
    version: `${m[1]} (build ${m[2]}, commit ${m[3]})`,
    buildInfo: `b${m[2]}-${m[3]}`,
    modelsDir,
    templatesDir: join(cache, 'src', 'llama.cpp', 'models', 'templates'),
    model: name => join(modelsDir, `${name}.gguf`),
  };
}

export interface StartOptions {
  /** llama-server arguments; --host 127.0.0.1 and --port are added in front. */
  args: string[];
  port?: number;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** How long to wait for GET /health = 200 (default 60 s). */
  readyTimeoutMs?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RealServer {
  readonly pid: number;
  readonly port: number;
  readonly root: string;
  readonly baseUrl: string;
  /** What GET /health answered before 200, one entry per change (the real server says 503 while loading). */
  readonly healthTrail: { status: number; body: string }[];
  /** stdout + stderr so far. */
  log(): string;
  readonly exited: Promise<Exit>;
  /** SIGTERM, then SIGKILL after `graceMs` (default 2 s): the real server does not exit on SIGTERM
   * while it streams a generation. */
  stop(graceMs?: number): Promise<Exit & { killed: boolean; ms: number }>;
}

const running = new Set<number>();
let exitHookInstalled = false;
// A test that throws, times out or is interrupted must not leave a server holding a port and a core.
function killLeftoversAtExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const pid of running)
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig);
    });
  }
}

function health(port: number): Promise<{ status: number; body: string }> {
  return new Promise(resolve => {
    const req = request({ host: '127.0.0.1', port, path: '/health', timeout: 2000 }, res => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

const LOG_LIMIT = 4 * 1024 * 1024;

export async function startRealLlama(opts: StartOptions): Promise<RealServer> {
  const found = findRealLlama();
  if (!found.ok) throw new Error(found.reason);
  const port = opts.port ?? (await freePort());
  const child = spawn(found.binary, ['--host', '127.0.0.1', '--port', String(port), ...opts.args], {
    shell: false,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  if (child.pid === undefined) throw new Error(`could not start ${found.binary}`);
  const pid = child.pid;
  running.add(pid);
  killLeftoversAtExit();
  let log = '';
  const collect = (b: Buffer) => {
    if (log.length < LOG_LIMIT) log += b.toString('utf8');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<Exit>(resolve =>
    child.once('exit', (code, signal) => {
      running.delete(pid);
      resolve({ code, signal });
    }),
  );
  let gone: Exit | undefined;
  void exited.then(e => {
    gone = e;
  });

  const root = `http://127.0.0.1:${port}`;
  const server: RealServer = {
    pid,
    port,
    root,
    baseUrl: `${root}/v1`,
    healthTrail: [],
    exited,
    log: () => log,
    async stop(graceMs = 2000) {
      const t0 = Date.now();
      if (gone) return { ...gone, killed: false, ms: 0 };
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<'late'>(r => {
        timer = setTimeout(() => r('late'), graceMs);
      });
      const first = await Promise.race([exited, grace]);
      clearTimeout(timer);
      if (first !== 'late') return { ...first, killed: false, ms: Date.now() - t0 };
      child.kill('SIGKILL');
      return { ...(await exited), killed: true, ms: Date.now() - t0 };
    },
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (gone) throw new Error(`llama-server exited (${gone.code ?? gone.signal}) before it was ready; last lines:\n${lastLines(log, 15)}`);
    const h = await health(port);
    if (h.status === 200) return server;
    if (h.status && server.healthTrail.at(-1)?.status !== h.status) server.healthTrail.push(h);
    if (Date.now() > deadline) {
      await server.stop(500);
      throw new Error(`llama-server not ready within ${opts.readyTimeoutMs ?? 60_000} ms; last lines:\n${lastLines(log, 15)}`);
    }
    await new Promise(r => setTimeout(r, 20));
  }
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}
