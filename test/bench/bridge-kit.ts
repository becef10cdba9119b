// What the route bridge's bench parts share: the upstream that answers chat completions at once, a
// timed streaming POST, percentiles, and a process's resident memory.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The long stream's length in tokens, and how many run first, uncounted, while V8 optimizes the per-chunk code. */
export const LONG_TOKENS = 20_000;
export const WARM_LONG = 5;

/** What the upstream saw and said last: the body it was sent, the usage it streamed. */
export interface UpstreamLast {
  body: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

export interface Upstream {
  port: number;
  last: UpstreamLast;
  close(): Promise<void>;
}

/** The upstream: reads and parses the whole body, then streams `max_tokens` chunks, usage and [DONE] (backpressure kept). */
export function startUpstream(): Promise<Upstream> {
  const last: UpstreamLast = { body: '' };
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const text = Buffer.concat(parts).toString('utf8');
      if (req.url?.endsWith('/models')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end('{"object":"list","data":[{"id":"m","object":"model"}]}');
      }
      last.body = text;
      const body = JSON.parse(text) as { max_tokens?: number; max_completion_tokens?: number };
      const tokens = Number(body.max_tokens ?? body.max_completion_tokens ?? 8);
      const usage = { prompt_tokens: text.length >> 2, completion_tokens: tokens };
      last.usage = usage;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const frame = (delta: object, finish: string | null = null) =>
        `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(frame({ role: 'assistant', content: '' }));
      let i = 0;
      const pump = () => {
        while (i < tokens) {
          i++;
          if (!res.write(frame({ content: ' tok' }))) return void res.once('drain', pump);
        }
        res.write(frame({}, 'stop'));
        res.write(
          `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + tokens } })}\n\n`,
        );
        res.end('data: [DONE]\n\n');
      };
      pump();
    });
  });
  return new Promise(resolve =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        last,
        close: () =>
          new Promise(r => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      }),
    ),
  );
}

export interface Timing {
  status: number;
  /** Until the first token's text arrived (`firstToken` in a chunk); NaN when it never did. */
  firstTokenMs: number;
  totalMs: number;
  bytes: number;
  /** The answer, when asked for (`keep`). */
  text?: string;
}

/** The first token's text as each API writes it (a chat content delta, a Responses output_text.delta, a Messages text_delta). */
export const FIRST_TOKEN: Record<string, string> = {
  '/v1/chat/completions': '"content":" tok"',
  '/v1/responses': 'response.output_text.delta',
  '/v1/messages': '"text":" tok"',
};

export function timedPost(
  agent: http.Agent,
  port: number,
  path: string,
  body: string,
  o: { keep?: boolean; anyStatus?: boolean } = {},
): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = 0;
    let bytes = 0;
    const kept: Buffer[] = [];
    const marker = FIRST_TOKEN[path]!;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      res => {
        res.on('data', (c: Buffer) => {
          if (!first && c.includes(marker)) first = performance.now();
          bytes += c.length;
          if (o.keep) kept.push(c);
        });
        res.on('end', () => {
          if (res.statusCode !== 200 && !o.anyStatus) return reject(new Error(`HTTP ${res.statusCode} from ${path}`));
          resolve({
            status: res.statusCode ?? 0,
            firstTokenMs: first ? first - t0 : NaN,
            totalMs: performance.now() - t0,
            bytes,
            ...(o.keep ? { text: Buffer.concat(kept).toString('utf8') } : {}),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

export function rssMiB(pid: number): number {
  return statusMiB(pid, 'VmRSS');
}

/** A /proc/<pid>/status field in MiB (VmRSS, RssAnon, RssFile). */
export function statusMiB(pid: number, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** RSS split into what the process alone holds and the pages of files it maps (the node binary, shared with every other Node process). */
export function rssSplit(pid: number): string {
  return `${statusMiB(pid, 'RssAnon').toFixed(1)} MiB anonymous (its own), ${statusMiB(pid, 'RssFile').toFixed(1)} MiB file pages (the node binary and libraries, shared)`;
}

/** Node flags for the bridge process, to try a V8 setting in the same bench (\`LMR_BENCH_BRIDGE_NODE_ARGS="--max-semi-space-size=2"\`). */
export const BRIDGE_NODE_ARGS = (process.env.LMR_BENCH_BRIDGE_NODE_ARGS ?? '').split(' ').filter(Boolean);

/** Spawns `argv` and resolves with the port it names on stdout (`pattern`'s first group), or fails after 15 s. */
export async function spawnListening(
  argv: readonly string[],
  pattern: RegExp,
  o: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'], env: o.env ?? process.env, cwd: o.cwd });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} printed no port in 15 s`)), 15_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', code => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(' ')} exited ${code}`));
    });
  });
  return { child, port };
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise(r => child.once('exit', r));
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
