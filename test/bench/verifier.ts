// The verifier against a scripted llama.cpp server answering every request after a fixed delay:
//  - vs raw HTTP: the requests the verifier sent (read back from the server's request log) replayed
//    by a minimal undici client on the same server, keeping the order the verifier imposed: a
//    request waits for every response that had finished before the verifier sent it, so requests
//    the verifier sent side by side are replayed side by side;
//  - the same with the verifier's sequential mode, replayed strictly one after another;
//  - vs the manual procedure it replaces (bench/manual.ts).
import { Agent, request } from 'undici';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { verifyRoute, type VerifyReport } from '../../src/core/codex/verify/index';
import { startScriptedServer, type RecordedRequest, type ScriptedServer } from '../support/scripted-server';
import { median, spread, timed } from './lib/stats';
import type { Row } from './lib/report';

export const VERIFY_LATENCY_MS = 20;
export const VERIFY_MODEL = 'local/model';
/**
 * The server the default rows run against: vLLM-style, where the verifier sends independent stages
 * side by side. Against llama.cpp it sends one request at a time (the pinned llama-server crashed on
 * two concurrent generations): that is its own row.
 */
export const VERIFY_KIND = 'vllm' as const;

interface Sent extends RecordedRequest {
  doneAt: number;
}

/** High-resolution wall time: two events in the same millisecond still have an order. */
const now = () => performance.timeOrigin + performance.now();

/**
 * Adds, to each recorded request (its arrival `at` is the server's record), when the server finished
 * writing its answer, both at sub-millisecond resolution: Date.now() would put a request sent right
 * after an answer in the same millisecond as it, and the replay would lose that ordering.
 */
function trackCompletion(server: ScriptedServer): { reset(): void; collect(): Sent[] } {
  const seen = new Map<string, { doneAt?: number }[]>();
  const key = (method: string, path: string, body: string) => `${method} ${path} ${body}`;
  server.options.overrides = [
    (req: IncomingMessage, res: ServerResponse, body: string) => {
      const k = key(req.method ?? 'GET', (req.url ?? '/').split('?')[0]!, body);
      // Called after the server's latency; the arrival time is the server's own record (r.at).
      const entry: { doneAt?: number } = {};
      const list = seen.get(k) ?? [];
      list.push(entry);
      seen.set(k, list);
      res.on('finish', () => {
        entry.doneAt = now();
      });
      return false; // let the scripted server answer as usual
    },
  ];
  const reset = () => {
    server.requests.length = 0;
    seen.clear();
  };
  const collect = () => {
    const used = new Map<string, number>();
    return server.requests.map(r => {
      const k = key(r.method, r.path, r.body);
      const i = used.get(k) ?? 0;
      used.set(k, i + 1);
      const e = seen.get(k)?.[i];
      if (e?.doneAt === undefined) throw new Error(`no completion recorded for ${r.method} ${r.path}`);
      return { ...r, doneAt: e.doneAt };
    });
  };
  return { reset, collect };
}

const FORWARDED = ['content-type', 'accept', 'authorization'];

/**
 * Replays the requests with plain undici `request` and one keep-alive agent: no limits, no parsing,
 * the body read to the end. `after[i]` lists the requests that must have completed first.
 */
async function replay(root: string, sent: Sent[], agent: Agent, after: number[][]): Promise<void> {
  const finished: Array<Promise<void> | undefined> = [];
  const one = async (i: number) => {
    await Promise.all(after[i]!.map(j => finished[j]));
    const r = sent[i]!;
    const headers: Record<string, string> = {};
    for (const h of FORWARDED) if (typeof r.headers[h] === 'string') headers[h] = r.headers[h] as string;
    const res = await request(`${root}${r.path}`, {
      method: r.method as 'GET' | 'POST',
      headers,
      body: r.method === 'GET' ? undefined : r.body,
      dispatcher: agent,
    });
    await res.body.text();
    if (res.statusCode !== 200) throw new Error(`replay ${r.method} ${r.path}: HTTP ${res.statusCode}`);
  };
  for (let i = 0; i < sent.length; i++) finished[i] = one(i);
  await Promise.all(finished);
}

/** Happens-before as the verifier showed it: i comes after j when j's answer was complete before i was sent. */
function observedOrder(sent: Sent[]): number[][] {
  return sent.map(r => sent.flatMap((o, j) => (o !== r && o.doneAt < r.at ? [j] : [])));
}
const strictOrder = (sent: Sent[]): number[][] => sent.map((_, i) => (i === 0 ? [] : [i - 1]));

function check(report: VerifyReport): void {
  if (!report.ok)
    throw new Error(
      `the verifier did not pass against the healthy scripted server: ${report.stages.map(s => `${s.id}=${s.status}`).join(' ')}`,
    );
}

/** The verifier's own cost: the same comparison against a server that answers at once. */
async function ownWork(
  runs: number,
): Promise<{ verify: number; raw: number; largestBody: number; whole: number[]; stages: number; requests: number }> {
  const server = await startScriptedServer({ kind: 'llamacpp', models: [{ id: VERIFY_MODEL, contextWindow: 32768 }] });
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const track = trackCompletion(server);
  try {
    const v: number[] = [];
    const r: number[] = [];
    const whole: number[] = [];
    let largestBody = 0;
    let stages = 0;
    let requests = 0;
    for (let i = 0; i < runs + 5; i++) {
      track.reset();
      const a = await timed(() => verifyRoute({ baseUrl: server.baseUrl, model: VERIFY_MODEL, concurrent: false }));
      check(a.value);
      const sent = track.collect();
      largestBody = Math.max(largestBody, ...sent.map(q => Buffer.byteLength(q.body)));
      const b = await timed(() => replay(server.root, sent, agent, strictOrder(sent)));
      // The whole default verification, as a user runs it (stages side by side), on a server with no latency.
      track.reset();
      const c = await timed(() => verifyRoute({ baseUrl: server.baseUrl, model: VERIFY_MODEL }));
      check(c.value);
      stages = c.value.stages.filter(x => x.status !== 'skip').length;
      requests = server.requests.length;
      if (i < 5) continue; // warm-up
      v.push(a.ms);
      r.push(b.ms);
      whole.push(c.ms);
    }
    return { verify: median(v), raw: median(r), largestBody, whole, stages, requests };
  } finally {
    await agent.close();
    await server.close();
  }
}

export interface VerifierBench {
  rows: Row[];
  verifyMs: number;
}

export async function benchVerifier(runs: number, log: (s: string) => void): Promise<VerifierBench> {
  const server = await startScriptedServer({
    kind: VERIFY_KIND,
    models: [{ id: VERIFY_MODEL, contextWindow: 32768 }],
    latencyMs: VERIFY_LATENCY_MS,
  });
  const llama = await startScriptedServer({
    kind: 'llamacpp',
    models: [{ id: VERIFY_MODEL, contextWindow: 32768 }],
    latencyMs: VERIFY_LATENCY_MS,
  });
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const track = trackCompletion(server);
  const trackLlama = trackCompletion(llama);
  try {
    const modes = [
      { concurrent: true, order: observedOrder, server, track },
      { concurrent: false, order: observedOrder, server, track },
      { concurrent: true, order: observedOrder, server: llama, track: trackLlama },
    ] as const;
    const samples = modes.map(() => ({ verify: [] as number[], raw: [] as number[], requests: 0, sched: '' }));
    // The first run in a process pays for loading and compiling undici and the verifier (the cold
    // number is in the notes); then warm up until the JIT settles, the replay client too.
    const cold = await timed(() => verifyRoute({ baseUrl: server.baseUrl, model: VERIFY_MODEL }));
    check(cold.value);
    for (let i = 0; i < 6; i++) {
      for (const m of modes) {
        m.track.reset();
        check(await verifyRoute({ baseUrl: m.server.baseUrl, model: VERIFY_MODEL, concurrent: m.concurrent }));
        const sent = m.track.collect();
        await replay(m.server.root, sent, agent, m.order(sent));
      }
    }
    for (let i = 0; i < runs; i++) {
      for (const [k, m] of modes.entries()) {
        m.track.reset();
        const v = await timed(() => verifyRoute({ baseUrl: m.server.baseUrl, model: VERIFY_MODEL, concurrent: m.concurrent }));
        check(v.value);
        const sent = m.track.collect();
        const order = m.order(sent);
        const raw = await timed(() => replay(m.server.root, sent, agent, order));
        const s = samples[k]!;
        s.verify.push(v.ms);
        s.raw.push(raw.ms);
        s.requests = sent.length;
        s.sched = sent.map((r, j) => `${r.method} ${r.path}${order[j]!.length ? ` after #${order[j]!.join(',#')}` : ''}`).join('; ');
      }
    }
    const [par, seq, lla] = samples as [(typeof samples)[0], (typeof samples)[0], (typeof samples)[0]];
    const own = await ownWork(runs);
    log(`verifier against a server with no latency: ${own.verify.toFixed(1)} ms vs replay ${own.raw.toFixed(1)} ms`);
    const why = (gapMs: number) =>
      `verifyRoute is ${gapMs.toFixed(0)} ms slower than the bare requests here. Its own work per run, measured against the same server answering at once (no latency, ${runs} runs, sequential), is ${(own.verify - own.raw).toFixed(1)} ms (verifyRoute ${own.verify.toFixed(1)} ms vs replay ${own.raw.toFixed(1)} ms): everything it does besides sending the requests (a temp dir and token file, building the request bodies including a ${Math.round(own.largestBody / 1024)} KB Codex-sized prompt, bounded streaming reads, SSE parsing, checks and the report). Against a server that answers in ${VERIFY_LATENCY_MS} ms that is a visible share; against a real model, where one request takes seconds, it is well under 1%. The rest of the gap is scheduling noise on a loaded 2-core machine (see the spread).`;
    log(`verifier concurrent: ${par.verify.map(m => m.toFixed(0)).join(' ')} ms, raw ${par.raw.map(m => m.toFixed(0)).join(' ')} ms`);
    log(`verifier sequential: ${seq.verify.map(m => m.toFixed(0)).join(' ')} ms, raw ${seq.raw.map(m => m.toFixed(0)).join(' ')} ms`);
    log(`verifier llama.cpp: ${lla.verify.map(m => m.toFixed(0)).join(' ')} ms, raw ${lla.raw.map(m => m.toFixed(0)).join(' ')} ms`);
    const rows: Row[] = [
      {
        section: 'Verifier',
        what: `verifyRoute (default, independent stages side by side; vLLM-style server) vs the same requests by a minimal client`,
        runs,
        value: median(par.verify),
        unit: 'ms',
        baseline: { what: 'raw HTTP replay, same order', value: median(par.raw) },
        target: { kind: 'ratio-max', value: 1.1 },
        why: why(median(par.verify) - median(par.raw)),
        notes: [
          `Scripted vLLM-style server, every request answered after ${VERIFY_LATENCY_MS} ms. The verifier sent ${par.requests} requests per run (from the server's request log): ${par.sched} (#n = the n-th request, 0-based; "after" = answers that were complete before the verifier sent it).`,
          `The replay sends the same method, path, headers and body with undici \`request\` over one keep-alive agent and reads each body to the end, waiting only where the verifier waited. verifyRoute: ${spread(par.verify)} ms; replay: ${spread(par.raw)} ms. verifyRoute's time includes its temp token file and report. After 6 warm-up runs; the very first run in the process (loading undici and the verifier code, cold JIT) took ${cold.ms.toFixed(0)} ms.`,
        ],
      },
      {
        section: 'Verifier',
        what: 'verifyRoute one stage at a time (concurrent: false) vs the same requests one after another',
        runs,
        value: median(seq.verify),
        unit: 'ms',
        baseline: { what: 'raw HTTP replay, sequential', value: median(seq.raw) },
        target: { kind: 'ratio-max', value: 1.1 },
        why: why(median(seq.verify) - median(seq.raw)),
        notes: [
          `Same server and client; no overlap on either side, so the difference is the verifier's own work per request. verifyRoute: ${spread(seq.verify)} ms; replay: ${spread(seq.raw)} ms.`,
        ],
      },
      {
        section: 'Verifier',
        what: 'verifyRoute against llama.cpp (one request at a time, as Codex sends them) vs the same requests by a minimal client',
        runs,
        value: median(lla.verify),
        unit: 'ms',
        baseline: { what: 'raw HTTP replay, same order', value: median(lla.raw) },
        target: { kind: 'ratio-max', value: 1.1 },
        why: why(median(lla.verify) - median(lla.raw)),
        notes: [
          `Scripted llama.cpp server (${VERIFY_LATENCY_MS} ms per request), ${lla.requests} requests (with /props). The verifier sends llama.cpp one request at a time: the pinned real llama-server crashed (SIGSEGV) on two concurrent generations with its default four slots. verifyRoute: ${spread(lla.verify)} ms; replay: ${spread(lla.raw)} ms.`,
        ],
      },
    ];
    rows.push({
      section: 'Verifier',
      what: 'The whole default verification against a scripted server with no latency',
      runs,
      value: median(own.whole),
      unit: 'ms',
      target: { kind: 'max', value: 1000, unit: 'ms' },
      notes: [
        `verifyRoute with its defaults (${own.stages} stages, among them the later turn and the tool types; ${own.requests} requests), against a scripted llama.cpp server that answers at once: what the verifier itself costs. ${spread(own.whole)} ms.`,
      ],
    });
    return { rows, verifyMs: median(par.verify) };
  } finally {
    await agent.close();
    await server.close();
    await llama.close();
  }
}
