// The measured process of the memory diagnostic (memory-diag.ts): bundled to JavaScript and run in
// a plain Node process, one variant (LMR_DIAG_MODE) per process; prints its samples as JSON.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { Agent, request } from 'undici';
import { discover, type DiscoveryTarget } from '../../src/core/route/discovery';
import { pssByRegion, type RegionMB } from './lib/smaps';

export type Mode = 'product' | 'bare' | 'signals' | 'product-nojit';
/** The per-request deadline of the `signals` variant: discovery's default budget. */
export const BUDGET_MS = 1_500;

export interface ChildResult {
  mode: Mode;
  node: string;
  rssMB: number[];
  heapMB: number[];
  regions: Array<RegionMB | undefined>;
}
export interface RawRequest {
  url: string;
  method: string;
  body: string;
}

async function main(): Promise<void> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const targets = JSON.parse(process.env.LMR_DIAG_TARGETS!) as DiscoveryTarget[];
  const rounds = Number(process.env.LMR_DIAG_ROUNDS);
  const mode = process.env.LMR_DIAG_MODE as Mode;
  const raw = JSON.parse(process.env.LMR_DIAG_REQUESTS!) as RawRequest[];
  const shared = new Agent();
  const bare = (signals: boolean) =>
    Promise.all(
      raw.map(async r => {
        const res = await request(r.url, {
          method: r.method as 'GET' | 'POST',
          body: r.body || undefined,
          headers: r.body ? { 'content-type': 'application/json' } : {},
          dispatcher: shared,
          ...(signals ? { signal: AbortSignal.any([AbortSignal.timeout(BUDGET_MS), new AbortController().signal]) } : {}),
        });
        await res.body.text();
      }),
    );
  const once = () => (mode === 'product' || mode === 'product-nojit' ? discover(targets) : bare(mode === 'signals'));
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
    r.regions.push(pssByRegion());
  };
  const r: ChildResult = { mode, node: process.version, rssMB: [], heapMB: [], regions: [] };
  for (let i = 0; i < 3; i++) await once();
  await sample(r);
  for (let batch = 0; batch < 2; batch++) {
    for (let i = 0; i < rounds; i++) await once();
    await sample(r);
  }
  await shared.close();
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

if (process.env.LMR_DIAG_MODE)
  main().catch(e => {
    process.stderr.write(String(e instanceof Error ? e.stack : e));
    process.exit(1);
  });
