// The route bridge's cost: the built CLI (`node dist/cli.js bridge`, its own process, as a user runs
// it) in front of an upstream that answers chat completions at once, against the same upstream asked
// directly, with the same bytes (the direct request is the body the bridge would send). Requests
// alternate direct / bridged over one keep-alive connection each, so drift hits both alike.
// - added time to the first token's text (a chat content delta; a Responses output_text.delta), p50 and p99: a small request and a Claude-Code-sized one (~60 KB:
//   long system text, 20 tools);
// - streaming throughput: a 20,000-token stream written by the upstream as fast as it can;
// - the bridge process's resident memory over 1,000 requests (VmRSS from /proc).
// Then the Messages side against claude-code-router 2.0.0 (bridge-messages.ts), through the same process.
// LMR_BENCH_BRIDGE_NODE_ARGS="--max-semi-space-size=2" runs the bridge under those node flags (to try a
// V8 setting against the same rows; the notes say when it was set).
import { spawn, spawnSync } from 'node:child_process';
import * as http from 'node:http';
import { join } from 'node:path';
import { DEFAULT_REPAIRS } from '../../src/core/bridge/adapter';
import { responsesAdapter } from '../../src/core/bridge/responses';
import { benchMessages } from './bridge-messages';
import {
  BRIDGE_NODE_ARGS,
  LONG_TOKENS,
  pct,
  rssMiB,
  rssSplit,
  spawnListening,
  startUpstream,
  stop,
  timedPost,
  WARM_LONG,
} from './bridge-kit';
import { ROOT } from './lib/machine';
import { median, sleep } from './lib/stats';
import type { Row } from './lib/report';

const SECTION = 'Route bridge';

/** Shaped like Claude Code's first request in size: ~40 KB of system text, 20 tools with schemas. */
function bigRequest(): Record<string, unknown> {
  const para = 'You are an agent that edits code in the user’s repository; follow the project conventions, explain briefly. ';
  const tools = Array.from({ length: 20 }, (_, i) => ({
    type: 'function',
    name: `tool_${i}`,
    description: `Tool ${i}: ${para.repeat(4)}`,
    parameters: {
      type: 'object',
      properties: Object.fromEntries(Array.from({ length: 6 }, (_, j) => [`arg_${j}`, { type: 'string', description: para }])),
      required: ['arg_0'],
    },
  }));
  return {
    model: 'm',
    stream: true,
    input: [
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: para.repeat(380) }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Fix the failing test in src/app.ts' }] },
    ],
    tools,
  };
}
const SMALL = { model: 'm', stream: true, input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }] };

/** The chat body the bridge sends upstream for this Responses request: the direct request carries the same. */
function directBody(req: Record<string, unknown>): string {
  const p = responsesAdapter().plan(req, DEFAULT_REPAIRS);
  if (!p.ok) throw new Error(p.message);
  return JSON.stringify(p.plan.body);
}

export async function benchBridge(quick: boolean, log: (s: string) => void): Promise<Row[]> {
  // The built CLI is what a user runs (no TypeScript loader in its memory).
  const build = spawnSync(process.execPath, [join(ROOT, 'esbuild.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`the build failed: ${build.stderr}`);
  const upstream = await startUpstream();
  const cli = join(ROOT, 'dist/cli.js');
  const bridge = await spawnListening(
    [process.execPath, ...BRIDGE_NODE_ARGS, cli, 'bridge', '--port', '0', '--upstream', `http://127.0.0.1:${upstream.port}/v1`],
    /127\.0\.0\.1:(\d+)\/v1/,
  );
  const direct = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const bridged = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const rows: Row[] = [];
  try {
    const n = quick ? 60 : 400;
    for (const [label, req] of [
      ['small request (one user message)', SMALL],
      ['Claude-Code-sized request (~60 KB: system text, 20 tools)', bigRequest()],
    ] as const) {
      const agentBody = JSON.stringify(req);
      const upBody = directBody(req);
      for (let i = 0; i < 30; i++) {
        await timedPost(direct, upstream.port, '/v1/chat/completions', upBody);
        await timedPost(bridged, bridge.port, '/v1/responses', agentBody);
      }
      const d: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < n; i++) {
        d.push((await timedPost(direct, upstream.port, '/v1/chat/completions', upBody)).firstTokenMs);
        b.push((await timedPost(bridged, bridge.port, '/v1/responses', agentBody)).firstTokenMs);
      }
      const target = label.startsWith('small') ? 1 : 5;
      for (const p of [50, 99]) {
        const added = pct(b, p) - pct(d, p);
        rows.push({
          section: SECTION,
          what: `added time to first token, p${p}: ${label}`,
          runs: n,
          value: added,
          unit: 'ms',
          target: { kind: 'max', value: target, unit: 'ms' },
          notes: [
            `direct p${p} ${pct(d, p).toFixed(2)} ms, through the bridge p${p} ${pct(b, p).toFixed(2)} ms (${Buffer.byteLength(agentBody)} bytes sent to the bridge, ${Buffer.byteLength(upBody)} to the upstream)`,
            'claude-code-router 2.0.0 on this kind of machine (issue 23): +7–10 ms small, +34 ms Claude-Code-sized',
          ],
        });
      }
      log(`bridge ${label}: direct p50 ${pct(d, 50).toFixed(2)} ms, bridged p50 ${pct(b, 50).toFixed(2)} ms`);
    }

    const runs = quick ? 3 : 15;
    const long = { ...SMALL, max_output_tokens: LONG_TOKENS };
    const dLong: number[] = [];
    const bLong: number[] = [];
    // The first long streams run while V8 optimizes the per-chunk code and sizes its heap: not counted.
    for (let i = -WARM_LONG; i < runs; i++) {
      if (i < 0) {
        await timedPost(direct, upstream.port, '/v1/chat/completions', directBody(long));
        await timedPost(bridged, bridge.port, '/v1/responses', JSON.stringify(long));
        continue;
      }
      dLong.push((await timedPost(direct, upstream.port, '/v1/chat/completions', directBody(long))).totalMs);
      bLong.push((await timedPost(bridged, bridge.port, '/v1/responses', JSON.stringify(long))).totalMs);
    }
    const dRate = LONG_TOKENS / (median(dLong) / 1000);
    const bRate = LONG_TOKENS / (median(bLong) / 1000);
    rows.push({
      section: SECTION,
      what: `streaming throughput: a ${LONG_TOKENS.toLocaleString('en')}-token stream written as fast as the upstream can (total time)`,
      runs,
      value: median(bLong),
      unit: 'ms',
      baseline: { what: 'direct', value: median(dLong) },
      // direct / bridged ≥ 0.95: the bridge keeps at least 95 % of the direct token rate.
      target: { kind: 'faster-by', value: 0.95 },
      notes: [
        `through the bridge ${Math.round(bRate).toLocaleString('en')} tokens/s = ${(bRate / dRate).toFixed(2)}× direct (${Math.round(dRate).toLocaleString('en')} tokens/s); target ≥ 0.95× direct`,
        `every chunk is parsed and re-written as Responses events; local models on CPU write 5–100 tokens/s; measured after ${WARM_LONG} uncounted streams each (the first ones run while V8 optimizes the per-chunk code: up to 2–4× slower)`,
      ],
    });

    const total = quick ? 200 : 1000;
    await sleep(200);
    const before = rssMiB(bridge.child.pid!);
    for (let i = 0; i < total; i++) await timedPost(bridged, bridge.port, '/v1/responses', JSON.stringify(SMALL));
    await sleep(500);
    const afterRss = rssMiB(bridge.child.pid!);
    rows.push({
      section: SECTION,
      what: `bridge process resident memory after ${total.toLocaleString('en')} more requests`,
      runs: 1,
      value: afterRss,
      unit: 'MiB',
      baseline: { what: `before them (after ${n * 4 + 60 + runs} requests)`, value: before },
      target: { kind: 'ratio-max', value: 1.1 },
      notes: [
        `${before.toFixed(1)} MiB → ${afterRss.toFixed(1)} MiB (${rssSplit(bridge.child.pid!)})${BRIDGE_NODE_ARGS.length ? `; node ${BRIDGE_NODE_ARGS.join(' ')}` : ''}; claude-code-router 2.0.0: one Node process of 164 MB (issue 23)`,
        "the CLI caps V8's young generation at 4 MB (src/cli/bridge.ts: capYoungGeneration); V8's default lets it grow several times larger",
      ],
    });
    rows.push(...(await benchInProcess(upstream.port, quick, log)));
    rows.push(...(await benchMessages({ quick, log, upstream, ours: { port: bridge.port, pid: bridge.child.pid! }, cli })));
    return rows;
  } finally {
    direct.destroy();
    bridged.destroy();
    await stop(bridge.child);
    await upstream.close();
  }
}

/**
 * The bridge inside an existing Node process, as the extension host runs it: the V8 heap it adds once
 * loaded and listening, and what it still holds after requests (each after a full GC).
 */
async function benchInProcess(upstreamPort: number, quick: boolean, log: (s: string) => void): Promise<Row[]> {
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join(ROOT, 'test/bench/bridge-inproc-child.ts'), String(upstreamPort)],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  const lines: string[] = [];
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  const next = async (n: number): Promise<Record<string, number>> => {
    for (let t = 0; lines.length < n; t++) {
      if (t > 300) throw new Error('the in-process bridge printed nothing in 30 s');
      await sleep(100);
    }
    return JSON.parse(lines[n - 1]!) as Record<string, number>;
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const start = await next(1);
    const port = start.port!;
    const big = JSON.stringify(bigRequest());
    const long = JSON.stringify({ ...SMALL, max_output_tokens: LONG_TOKENS });
    const total = quick ? 200 : 1000;
    for (let i = 0; i < 50; i++) await timedPost(agent, port, '/v1/responses', big);
    for (let i = 0; i < 3; i++) await timedPost(agent, port, '/v1/responses', long);
    child.kill('SIGUSR2');
    const warm = await next(2);
    for (let i = 0; i < total; i++) await timedPost(agent, port, '/v1/responses', JSON.stringify(SMALL));
    child.kill('SIGUSR2');
    const after = await next(3);
    log(
      `in-process bridge: heap ${start.heapBefore!.toFixed(1)} → ${start.heapLoaded!.toFixed(1)} → ${warm.heapNow!.toFixed(1)} → ${after.heapNow!.toFixed(1)} MB`,
    );
    const how =
      'a Node process that loads the bridge (TypeScript sources through tsx) and serves it, as the extension host does; V8 heap used after a full GC (--expose-gc)';
    return [
      {
        section: SECTION,
        what: 'in-process bridge (as the extension host runs it): V8 heap it adds, loaded and listening',
        runs: 1,
        value: start.heapLoaded! - start.heapBefore!,
        unit: 'MB',
        target: { kind: 'info' },
        notes: [`${how}: ${start.heapBefore!.toFixed(1)} MB before loading it, ${start.heapLoaded!.toFixed(1)} MB listening`],
      },
      {
        section: SECTION,
        what: `in-process bridge: V8 heap after ${total.toLocaleString('en')} more requests`,
        runs: 1,
        value: after.heapNow!,
        unit: 'MB',
        baseline: { what: 'after 50 Claude-Code-sized requests and 3 long streams', value: warm.heapNow! },
        target: { kind: 'ratio-max', value: 1.1 },
        notes: [`${how}; ${warm.heapNow!.toFixed(1)} MB → ${after.heapNow!.toFixed(1)} MB`],
      },
    ];
  } finally {
    agent.destroy();
    await stop(child);
  }
}
