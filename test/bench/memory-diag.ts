// Why the extension host's PSS grows over refreshes while its heap does not: the same discovery,
// in a plain Node process (the host's Node 24 when installed), 2 × N rounds, RSS after forced GCs.
//  - as shipped: `discover()` (bounded HTTP: timeouts, abort signals, body caps, JSON parsing);
//  - baseline: the very requests one discover() round sends (read from the servers' request logs),
//    sent with bare undici `request` over one Agent, bodies read and dropped.
// The scripted servers run in the bench process, so the child's RSS is the client's alone.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Agent, request } from 'undici';
import { discover, type DiscoveryTarget } from '../../src/core/discovery';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import * as lib from '../host/lib.mjs';
import { median, bounded } from './lib/stats';
import type { Row } from './lib/report';

interface ChildResult {
  mode: string;
  node: string;
  rssMB: number[];
  heapMB: number[];
}
interface RawRequest {
  url: string;
  method: string;
  body: string;
}

async function child(): Promise<void> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const targets = JSON.parse(process.env.LMR_DIAG_TARGETS!) as DiscoveryTarget[];
  const rounds = Number(process.env.LMR_DIAG_ROUNDS);
  const mode = process.env.LMR_DIAG_MODE!;
  const raw = JSON.parse(process.env.LMR_DIAG_REQUESTS!) as RawRequest[];
  const shared = new Agent();
  const once = () =>
    mode === 'product'
      ? discover(targets)
      : Promise.all(
          raw.map(async r => {
            const res = await request(r.url, {
              method: r.method as 'GET' | 'POST',
              body: r.body || undefined,
              headers: r.body ? { 'content-type': 'application/json' } : {},
              dispatcher: shared,
            });
            await res.body.text();
          }),
        );
  const sample = async (r: ChildResult) => {
    // Past every request's 1.5 s timeout budget, as in the extension-host payload.
    await new Promise(res => setTimeout(res, 2_000));
    for (let i = 0; i < 4; i++) {
      gc();
      await new Promise(res => setTimeout(res, 100));
    }
    const m = process.memoryUsage();
    r.rssMB.push(m.rss / 2 ** 20);
    r.heapMB.push(m.heapUsed / 2 ** 20);
  };
  const r: ChildResult = { mode, node: process.version, rssMB: [], heapMB: [] };
  for (let i = 0; i < 3; i++) await once();
  await sample(r);
  for (let batch = 0; batch < 2; batch++) {
    for (let i = 0; i < rounds; i++) await once();
    await sample(r);
  }
  await shared.close();
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

function runChild(mode: string, targets: DiscoveryTarget[], raw: RawRequest[], rounds: number): Promise<ChildResult> {
  const node24 = join(lib.NODE24_DIR, 'bin/node');
  const node = existsSync(node24) ? node24 : process.execPath;
  return new Promise((resolve, reject) => {
    const c = spawn(node, ['--import', join(lib.ROOT, 'node_modules/tsx/dist/loader.mjs'), __filename, 'child'], {
      env: {
        ...process.env,
        LMR_DIAG_TARGETS: JSON.stringify(targets),
        LMR_DIAG_REQUESTS: JSON.stringify(raw),
        LMR_DIAG_ROUNDS: String(rounds),
        LMR_DIAG_MODE: mode,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    c.stdout.on('data', d => {
      out += d;
    });
    c.stderr.on('data', d => {
      err += d;
    });
    const timer = setTimeout(() => c.kill('SIGKILL'), 120_000);
    c.on('close', code => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()!) as ChildResult);
      } catch {
        reject(new Error(`memory diagnostic child (${mode}) exited ${code}: ${err.slice(-500)}`));
      }
    });
  });
}

export async function benchRssDiagnostic(runs: number, rounds: number, log: (s: string) => void): Promise<Row[]> {
  const kinds = [
    ['llamacpp', 'llamacpp'],
    ['ollama', 'ollama'],
    ['vllm', 'vllm'],
    ['lmstudio', 'lmstudio'],
    ['openaiCompatible', 'generic'],
  ] as const;
  const servers: ScriptedServer[] = [];
  try {
    for (const [, kind] of kinds)
      servers.push(
        await startScriptedServer({
          kind,
          models: [
            { id: `${kind}-model-a`, contextWindow: 32768 },
            { id: `${kind}-model-b`, contextWindow: 32768 },
          ],
        }),
      );
    const targets: DiscoveryTarget[] = kinds.map(([p], i) => ({ provider: p, baseUrl: servers[i]!.baseUrl, source: 'setting' }));
    // The requests one discover() round sends, to replay bare.
    for (const sv of servers) sv.requests.length = 0;
    await discover(targets);
    const raw: RawRequest[] = servers.flatMap(sv => sv.requests.map(q => ({ url: `${sv.root}${q.path}`, method: q.method, body: q.body })));
    const product: ChildResult[] = [];
    const bare: ChildResult[] = [];
    for (let i = 0; i < runs; i++) {
      product.push(await bounded(runChild('product', targets, raw, rounds), 130_000, 'memory diagnostic'));
      bare.push(await bounded(runChild('raw', targets, raw, rounds), 130_000, 'memory diagnostic'));
    }
    const g = (r: ChildResult, a: number, b: number) => r.rssMB[b]! - r.rssMB[a]!;
    const list = (xs: number[]) => xs.map(x => x.toFixed(1)).join(', ');
    const p1 = product.map(r => g(r, 0, 1));
    const p2 = product.map(r => g(r, 1, 2));
    const b1 = bare.map(r => g(r, 0, 1));
    const b2 = bare.map(r => g(r, 1, 2));
    log(`RSS growth per ${rounds} discoveries: discover() ${list(p1)} then ${list(p2)} MB; bare requests ${list(b1)} then ${list(b2)} MB`);
    const goesOn = median(p2) > 2;
    return [
      {
        section: 'Memory (in process)',
        what: `RSS growth over ${rounds} discoveries in plain Node: discover() as shipped`,
        runs,
        value: median(p1),
        unit: 'MB',
        baseline: { what: 'the same requests, bare undici', value: median(b1) },
        target: { kind: 'info' },
        notes: [
          `A plain Node ${product[0]?.node ?? '?'} process runs discovery against the same five scripted servers as the memory rows, ${rounds} rounds then ${rounds} more, RSS 2 s after the last request, after 4 forced GCs. discover(): ${list(p1)} MB, then ${list(p2)} MB over the next ${rounds}. The ${raw.length} requests one round sends (${[...new Set(raw.map(r => `${r.method} ${new URL(r.url).pathname}`))].join(', ')}), sent with bare undici \`request\` over one Agent: ${list(b1)} MB, then ${list(b2)} MB. Heap after GC over all ${2 * rounds} rounds: ${list(product.map(r => r.heapMB[2]! - r.heapMB[0]!))} MB (discover) vs ${list(bare.map(r => r.heapMB[2]! - r.heapMB[0]!))} MB (bare).`,
          `So the growth the extension-host PSS row shows ${median(p1) > 5 ? 'happens in a plain Node process too, outside the JavaScript heap' : 'does not show in a plain Node process; it comes from the extension host around discovery'}. ${goesOn ? `It goes on in the second batch (${median(p2).toFixed(1)} MB vs ${median(b2).toFixed(1)} MB bare), so it is not only warm-up. The difference to bare requests is what the bounded HTTP layer adds per request (timers, abort signals, limits); where the native memory goes is not established by this bench.` : `It stops in the second batch (${median(p2).toFixed(1)} MB), so it is a one-time high-water mark, not a leak.`}`,
        ],
      },
    ];
  } finally {
    await Promise.all(servers.map(s => s.close()));
  }
}

if (process.argv[2] === 'child') {
  child().catch(e => {
    process.stderr.write(String(e instanceof Error ? e.stack : e));
    process.exit(1);
  });
}
