// What the extension host's memory growth over refreshes is made of, without VS Code: the same
// discovery in a plain Node process (the host's Node 24 when installed), 2 × N rounds, RSS after
// forced GCs, and where it lies (lib/smaps.ts regions). Variants, each in its own process:
//  - product: `discover()` as shipped (bounded HTTP: deadlines, body caps, JSON parsing);
//  - bare: the very requests one discover() round sends (read from the servers' request logs), sent
//    with bare undici `request` over one Agent, bodies read and dropped (the baseline);
//  - bare + signals: the same, each request also given an `AbortSignal.any([AbortSignal.timeout(…),
//    a controller's signal])`, the per-request signals that the bounded HTTP layer does not create;
//  - product without optimizing compilers: discover() with V8's `--no-opt --no-maglev`, to show how
//    much of the growth is the compilers' memory.
// The child is bundled to plain JavaScript first (esbuild), so no TypeScript compiler runs in the
// measured process; the scripted servers run in the bench process, so the child's RSS is the client's.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { discover, type DiscoveryTarget } from '../../src/core/route/discovery';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import * as lib from '../host/lib.mjs';
import { median, bounded } from './lib/stats';
import { regionGrowthText } from './lib/smaps';
import type { Row } from './lib/report';
import { BUDGET_MS, type ChildResult, type Mode, type RawRequest } from './memory-diag-child';

const FLAGS: Record<Mode, string[]> = { product: [], bare: [], signals: [], 'product-nojit': ['--no-opt', '--no-maglev'] };

function runChild(script: string, mode: Mode, targets: DiscoveryTarget[], raw: RawRequest[], rounds: number): Promise<ChildResult> {
  const node24 = join(lib.NODE24_DIR, 'bin/node');
  const node = existsSync(node24) ? node24 : process.execPath;
  return new Promise((resolve, reject) => {
    const c = spawn(node, [...FLAGS[mode], script], {
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

const regionsText = (results: ChildResult[], from: number, to: number) =>
  regionGrowthText(results.map(r => [r.regions[from], r.regions[to]] as const));

export async function benchRssDiagnostic(runs: number, rounds: number, log: (s: string) => void): Promise<Row[]> {
  const kinds = [
    ['llamacpp', 'llamacpp'],
    ['ollama', 'ollama'],
    ['vllm', 'vllm'],
    ['lmstudio', 'lmstudio'],
    ['openaiCompatible', 'generic'],
  ] as const;
  const servers: ScriptedServer[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'lmr-memory-diag-'));
  try {
    const script = join(dir, 'memory-diag.js');
    await esbuild.build({
      entryPoints: [join(__dirname, 'memory-diag-child.ts')],
      outfile: script,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      logLevel: 'warning',
    });
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
    const modes: Mode[] = ['product', 'bare', 'signals', 'product-nojit'];
    const results = new Map<Mode, ChildResult[]>(modes.map(m => [m, []]));
    // Interleaved, so drift of the machine does not favour one variant.
    for (let i = 0; i < runs; i++)
      for (const mode of modes)
        results.get(mode)!.push(await bounded(runChild(script, mode, targets, raw, rounds), 130_000, 'memory diagnostic'));
    const g = (r: ChildResult, a: number, b: number) => r.rssMB[b]! - r.rssMB[a]!;
    const list = (xs: number[]) => xs.map(x => x.toFixed(1)).join(', ');
    const first = (m: Mode) => results.get(m)!.map(r => g(r, 0, 1));
    const second = (m: Mode) => results.get(m)!.map(r => g(r, 1, 2));
    const heap = (m: Mode) => list(results.get(m)!.map(r => r.heapMB[2]! - r.heapMB[0]!));
    for (const m of modes) log(`RSS growth per ${rounds} discoveries, ${m}: ${list(first(m))} then ${list(second(m))} MB`);
    const product = results.get('product')!;
    const requests = [...new Set(raw.map(r => `${r.method} ${new URL(r.url).pathname}`))].join(', ');
    return [
      {
        section: 'Memory (in process)',
        what: `RSS growth over ${rounds} discoveries in plain Node: discover() as shipped`,
        runs,
        value: median(first('product')),
        unit: 'MB',
        baseline: { what: 'the same requests, bare undici', value: median(first('bare')) },
        target: { kind: 'info' },
        notes: [
          `A plain Node ${product[0]?.node ?? '?'} process (the child bundled to JavaScript first, so no TypeScript compiler runs in it) runs discovery against the same five scripted servers as the memory rows, ${rounds} rounds then ${rounds} more, RSS 2 s after the last request, after 4 forced GCs; each variant in its own process, the variants interleaved. discover(): ${list(first('product'))} MB, then ${list(second('product'))} MB over the next ${rounds}. The ${raw.length} requests one round sends (${requests}), sent with bare undici \`request\` over one Agent: ${list(first('bare'))} MB, then ${list(second('bare'))} MB. Heap after GC over all ${2 * rounds} rounds: ${heap('product')} MB (discover) vs ${heap('bare')} MB (bare).`,
          `Where the growth over the first ${rounds} lies (median per region, MB, from /proc/self/smaps): discover() ${regionsText(product, 0, 1)}; bare ${regionsText(results.get('bare')!, 0, 1)}.`,
        ],
      },
      {
        section: 'Memory (in process)',
        what: `RSS growth over ${rounds} discoveries in plain Node: bare undici + AbortSignal.timeout and AbortSignal.any per request`,
        runs,
        value: median(first('signals')),
        unit: 'MB',
        baseline: { what: 'the same requests, bare undici', value: median(first('bare')) },
        target: { kind: 'info' },
        notes: [
          `The bare requests again, each given \`AbortSignal.any([AbortSignal.timeout(${BUDGET_MS}), new AbortController().signal])\`: ${list(first('signals'))} MB, then ${list(second('signals'))} MB over the next ${rounds} (where: ${regionsText(results.get('signals')!, 0, 1)}). Such signals outlive their request: AbortSignal.timeout's timer cannot be cleared and stays, with a weak reference and a finalization-registry entry for the signal, until the full ${BUDGET_MS} ms have passed; AbortSignal.any holds every timeout signal it is given strongly until then (Node's gcPersistentSignals) and weak references to its sources. Each round leaves ${raw.length} such sets to the garbage collector. discover() and the bounded HTTP layer (src/core/net/http.ts, Deadline) create none: one AbortController per request and per probe, a timer cleared when it ends, a listener on the caller's signal removed then.`,
          `discover() with V8's optimizing compilers off (\`--no-opt --no-maglev\`) grows ${list(first('product-nojit'))} MB (where: ${regionsText(results.get('product-nojit')!, 0, 1)}).${median(first('product-nojit')) < median(first('product')) / 3 ? ` So most of what remains, in every variant, is the optimizing compilers' memory: Maglev and TurboFan compile the hot request path on V8's background threads, and glibc keeps what they freed in those threads' malloc arenas as a high-water mark; it stops once the path is compiled (the second ${rounds}: discover() ${list(second('product'))} MB, bare ${list(second('bare'))} MB).` : ''}`,
        ],
      },
    ];
  } finally {
    await Promise.all(servers.map(s => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
