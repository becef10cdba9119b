// The bridge's Messages side (Claude Code) against claude-code-router 2.0.0 on the same upstream, with
// the same requests, in the same run: requests rotate direct / this bridge / ccr over one keep-alive
// connection each, so drift hits all three alike.
// - added time to the first token's text, p50 and p99: a small request and one shaped like Claude
//   Code's first turn (core/claude/verify/shape.ts, plus the ~9 KB system message Claude Code puts
//   inside `messages`);
// - a 20,000-token stream's total time against direct;
// - what reaches each side: the upstream's usage in the agent's last message_delta, the in-messages
//   system message in the upstream's prompt, and a down upstream's answer (status, shape, time, stack
//   trace);
// - each process's resident memory over 1,000 requests.
import * as http from 'node:http';
import { messagesAdapter } from '../../src/core/bridge/messages';
import { DEFAULT_REPAIRS } from '../../src/core/bridge/adapter';
import { claudeShapedRequest } from '../../src/core/claude/verify/shape';
import { generatedInstructions } from '../../src/core/verify/filler';
import { freePorts } from '../support/ports';
import {
  BRIDGE_NODE_ARGS,
  LONG_TOKENS,
  pct,
  rssMiB,
  rssSplit,
  statusMiB,
  spawnListening,
  stop,
  timedPost,
  type Timing,
  type Upstream,
  WARM_LONG,
} from './bridge-kit';
import { ensureCcr, startCcr, type RunningCcr } from './ccr';
import { pssByRegion, regionGrowth } from './lib/smaps';
import { median, sleep } from './lib/stats';
import type { Row } from './lib/report';

const SECTION = 'Route bridge: Claude Code (Messages API)';
const PATH = '/v1/messages';
const PEER = 'claude-code-router 2.0.0';
/** Half of the 164 MB claude-code-router 2.0.0 was measured at with Claude Code (issue 23). */
const RSS_TARGET_MIB = 82;
/** Marks the in-messages system message, so the upstream's prompt can be searched for it. */
const LATE_SYSTEM_MARK = 'late-system-mark-7f3a';

const SMALL = { model: 'm', max_tokens: 8, stream: true, messages: [{ role: 'user', content: 'hi' }] };

function claudeSized(): Record<string, unknown> {
  const r = claudeShapedRequest({ model: 'm', marker: 'OK', cwd: '/home/user/project', thinking: true, maxTokens: 8 });
  const lateSystem = `${LATE_SYSTEM_MARK}\n${generatedInstructions(9_000, 11)}`;
  return { ...r, messages: [...(r.messages as unknown[]), { role: 'system', content: lateSystem }] };
}

function directBody(req: Record<string, unknown>): string {
  const p = messagesAdapter().plan(req, DEFAULT_REPAIRS);
  if (!p.ok) throw new Error(p.message);
  return JSON.stringify(p.plan.body);
}

/** The agent's last usage (message_delta), as Claude Code reads it. */
function lastUsage(sse: string): { input: number; output: number } | undefined {
  let found: { input: number; output: number } | undefined;
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data:')) continue;
    try {
      const ev = JSON.parse(line.slice(5)) as { type?: string; usage?: Record<string, number> };
      if (ev.type === 'message_delta' && ev.usage)
        found = { input: (ev.usage.input_tokens ?? 0) + (ev.usage.cache_read_input_tokens ?? 0), output: ev.usage.output_tokens ?? 0 };
    } catch {
      // not JSON: not an event Claude Code reads either
    }
  }
  return found;
}

/** Anthropic's error shape: `{type: "error", error: {type, message}}`, as an HTTP body or an `event: error` in the stream. */
function inAnthropicErrorShape(t: Timing): boolean {
  const text = t.text ?? '';
  const candidates =
    t.status === 200
      ? text
          .split('\n')
          .filter(l => l.startsWith('data:'))
          .map(l => l.slice(5))
      : [text];
  return candidates.some(c => {
    try {
      const v = JSON.parse(c) as { type?: string; error?: { type?: unknown; message?: unknown } };
      return v.type === 'error' && typeof v.error?.type === 'string' && typeof v.error.message === 'string';
    } catch {
      return false;
    }
  });
}

/** Lines of a JavaScript stack trace in an answer ("at fn (file.js:1:2)", also inside JSON strings). */
const stackLines = (text: string) => (text.match(/\bat (?:[\w$.<>[\] ]+ \()?[^\s()"]+:\d+:\d+\)?/g) ?? []).length;

interface Side {
  name: string;
  port: number;
  pid: number;
  agent: http.Agent;
}

export async function benchMessages(o: {
  quick: boolean;
  log: (s: string) => void;
  upstream: Upstream;
  ours: { port: number; pid: number };
  cli: string;
}): Promise<Row[]> {
  const { quick, log, upstream } = o;
  const rows: Row[] = [];
  const installed = ensureCcr(log);
  const [ccrPort, downPort] = await freePorts(2);
  let ccr: RunningCcr | undefined;
  let ccrWhy: string | undefined;
  if (installed.ok) {
    try {
      ccr = await startCcr(installed.cli, ccrPort!, upstream.port, downPort!);
    } catch (e) {
      ccrWhy = `could not be started: ${(e as Error).message}`;
    }
  } else ccrWhy = installed.why;
  const ccrNote = ccrWhy ? `${PEER}: ${ccrWhy}` : undefined;
  if (ccrNote) log(ccrNote);
  // A second bridge in front of the closed port: the down-upstream case.
  const down = await spawnListening(
    [process.execPath, o.cli, 'bridge', '--port', '0', '--upstream', `http://127.0.0.1:${downPort}/v1`],
    /127\.0\.0\.1:(\d+)\/v1/,
  );
  const direct = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const sides: Side[] = [
    { name: 'this bridge', port: o.ours.port, pid: o.ours.pid, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) },
  ];
  if (ccr) sides.push({ name: PEER, port: ccr.port, pid: ccr.child.pid!, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }) });
  const peer = sides[1];
  const peerBaseline = (value: number | undefined) =>
    peer && value !== undefined && Number.isFinite(value) ? { baseline: { what: PEER, value } } : {};
  try {
    // Time to the first token.
    const n = quick ? 60 : 300;
    for (const [label, req] of [
      ['small request (one user message)', SMALL],
      ['Claude-Code-sized request (system, 12 tools, a system message inside messages; ~60 KB)', claudeSized()],
    ] as const) {
      const agentBody = JSON.stringify(req);
      const upBody = directBody(req);
      // Each side in its own block, alternating with direct: ccr keeps working after it answers (its
      // debug log), which would otherwise land on the next side's request.
      const ds = sides.map(() => [] as number[]);
      const per = sides.map(() => [] as number[]);
      for (const [j, s] of sides.entries()) {
        for (let i = 0; i < 20; i++) {
          await timedPost(direct, upstream.port, '/v1/chat/completions', upBody);
          await timedPost(s.agent, s.port, PATH, agentBody);
        }
        for (let i = 0; i < n; i++) {
          ds[j]!.push((await timedPost(direct, upstream.port, '/v1/chat/completions', upBody)).firstTokenMs);
          per[j]!.push((await timedPost(s.agent, s.port, PATH, agentBody)).firstTokenMs);
        }
      }
      const d = ds[0]!;
      const target = label.startsWith('small') ? 1 : 5;
      for (const p of [50, 99]) {
        const added = per.map((xs, j) => pct(xs, p) - pct(ds[j]!, p));
        rows.push({
          section: SECTION,
          what: `added time to first token, p${p}: ${label}`,
          runs: n,
          value: added[0],
          unit: 'ms',
          ...peerBaseline(added[1]),
          target: { kind: 'max', value: target, unit: 'ms' },
          notes: [
            `${sides.map((s, j) => `${s.name} p${p} ${pct(per[j]!, p).toFixed(2)} ms against direct p${p} ${pct(ds[j]!, p).toFixed(2)} ms in its block`).join('; ')} (${Buffer.byteLength(agentBody)} bytes sent to each bridge, ${Buffer.byteLength(upBody)} to the upstream directly)`,
            ...(ccrNote
              ? [ccrNote]
              : [`${PEER} measured with Claude Code and llama-server (issue 23): +7–10 ms small, +34 ms Claude-Code-sized`]),
          ],
        });
      }
      if (label.startsWith('small')) {
        const ratio = median(per[0]!) / median(d);
        rows.push({
          section: SECTION,
          what: 'time to first token through the bridge / direct, median: small request, upstream answering at once',
          runs: n,
          value: median(per[0]!),
          unit: 'ms',
          baseline: { what: 'direct', value: median(d) },
          target: { kind: 'info' },
          notes: [
            `${ratio.toFixed(2)}× direct. The issue's ≤ 1.05× is about a model's time to first token (prompt processing: tens of ms to minutes); this upstream answers in ${median(d).toFixed(2)} ms, so the ratio here is the added time over almost nothing — the added-time rows are the measure`,
          ],
        });
      }
      log(
        `messages ${label}: direct p50 ${pct(d, 50).toFixed(2)} ms; ${sides.map((s, j) => `${s.name} p50 ${pct(per[j]!, 50).toFixed(2)} ms`).join('; ')}`,
      );
    }

    // A long stream.
    const runs = quick ? 3 : 15;
    const long = { ...SMALL, max_tokens: LONG_TOKENS };
    const dLong = sides.map(() => [] as number[]);
    const sLong = sides.map(() => [] as number[]);
    for (const [j, s] of sides.entries())
      for (let i = -WARM_LONG; i < runs; i++) {
        if (i < 0) {
          await timedPost(direct, upstream.port, '/v1/chat/completions', directBody(long));
          await timedPost(s.agent, s.port, PATH, JSON.stringify(long));
          continue;
        }
        dLong[j]!.push((await timedPost(direct, upstream.port, '/v1/chat/completions', directBody(long))).totalMs);
        sLong[j]!.push((await timedPost(s.agent, s.port, PATH, JSON.stringify(long))).totalMs);
      }
    for (const [j, s] of sides.entries())
      rows.push({
        section: SECTION,
        what: `streaming throughput (${s.name}): a ${LONG_TOKENS.toLocaleString('en')}-token stream written as fast as the upstream can (total time)`,
        runs,
        value: median(sLong[j]!),
        unit: 'ms',
        baseline: { what: 'direct', value: median(dLong[j]!) },
        target: j === 0 ? { kind: 'faster-by', value: 0.95 } : { kind: 'info' },
        notes: [
          `${s.name}: ${(median(dLong[j]!) / median(sLong[j]!)).toFixed(2)}× the direct token rate (direct and ${s.name} alternating in one block, after ${WARM_LONG} uncounted streams each); target for this bridge ≥ 0.95×`,
        ],
      });

    // What reaches each side: usage and the in-messages system message, from one Claude-Code-sized request.
    const big = JSON.stringify(claudeSized());
    const seen: Array<{ lost: number; usage: string; missing: number; bytes: number }> = [];
    for (const s of sides) {
      const t = await timedPost(s.agent, s.port, PATH, big, { keep: true });
      const up = upstream.last.usage!;
      const got = lastUsage(t.text ?? '');
      const sent = upstream.last.body;
      const i = sent.indexOf(LATE_SYSTEM_MARK);
      seen.push({
        lost: got
          ? Math.abs(up.prompt_tokens - got.input) + Math.abs(up.completion_tokens - got.output)
          : up.prompt_tokens + up.completion_tokens,
        usage: `upstream said ${up.prompt_tokens} in / ${up.completion_tokens} out; ${s.name} told Claude Code ${got ? `${got.input} in / ${got.output} out` : 'nothing (no message_delta usage)'}`,
        missing: i < 0 ? 9_000 + LATE_SYSTEM_MARK.length : 0,
        bytes: Buffer.byteLength(sent),
      });
    }
    rows.push({
      section: SECTION,
      what: "streamed usage: tokens of the upstream's count missing from the last message_delta Claude Code reads",
      runs: 1,
      value: seen[0]!.lost,
      unit: 'tokens',
      ...peerBaseline(seen[1]?.lost),
      target: { kind: 'max', value: 0, unit: 'tokens' },
      notes: [...seen.map(s => s.usage), ...(ccrNote ? [ccrNote] : [])],
    });
    rows.push({
      section: SECTION,
      what: "Claude Code's system message inside `messages` (~9 KB): characters of it missing from the upstream's prompt",
      runs: 1,
      value: seen[0]!.missing,
      unit: 'chars',
      ...peerBaseline(seen[1]?.missing),
      target: { kind: 'max', value: 0, unit: 'chars' },
      notes: [
        `upstream request body: ${sides.map((s, j) => `${s.name} ${seen[j]!.bytes} bytes`).join(', ')}`,
        ...(ccrNote ? [ccrNote] : []),
      ],
    });

    // A down upstream.
    const downRuns = 5;
    const downSides = [
      { name: 'this bridge', port: down.port, model: 'm' },
      ...(peer ? [{ name: PEER, port: peer.port, model: 'down,m' }] : []),
    ];
    const downSeen: Array<{ ms: number; stack: number; shapeless: number; note: string }> = [];
    for (const s of downSides) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const ts: Timing[] = [];
      for (let i = 0; i < downRuns; i++)
        ts.push(await timedPost(agent, s.port, PATH, JSON.stringify({ ...SMALL, model: s.model }), { keep: true, anyStatus: true }));
      agent.destroy();
      const t = ts.at(-1)!;
      downSeen.push({
        ms: median(ts.map(x => x.totalMs)),
        stack: stackLines(t.text ?? ''),
        shapeless: ts.filter(x => !inAnthropicErrorShape(x)).length,
        note: `${s.name}: HTTP ${t.status}, ${inAnthropicErrorShape(t) ? "Anthropic's error shape" : 'not in Anthropic\u2019s error shape'}, ${stackLines(t.text ?? '')} stack-trace lines; the answer began: ${JSON.stringify((t.text ?? '').slice(0, 160))}`,
      });
    }
    const downNotes = [...downSeen.map(s => s.note), ...(ccrNote ? [ccrNote] : [])];
    rows.push(
      {
        section: SECTION,
        what: 'upstream down (nothing listening): time to the answer',
        runs: downRuns,
        value: downSeen[0]!.ms,
        unit: 'ms',
        ...peerBaseline(downSeen[1]?.ms),
        target: { kind: 'max', value: 100, unit: 'ms' },
        notes: downNotes,
      },
      {
        section: SECTION,
        what: "upstream down: answers not in Anthropic's error shape (Claude Code shows the message of one that is)",
        runs: downRuns,
        value: downSeen[0]!.shapeless,
        unit: 'answers',
        ...peerBaseline(downSeen[1]?.shapeless),
        target: { kind: 'max', value: 0, unit: 'answers' },
        notes: [],
      },
      {
        section: SECTION,
        what: 'upstream down: lines of a JavaScript stack trace in the answer',
        runs: 1,
        value: downSeen[0]!.stack,
        unit: 'lines',
        ...peerBaseline(downSeen[1]?.stack),
        target: { kind: 'max', value: 0, unit: 'lines' },
        notes: [],
      },
    );

    // Resident memory over 1,000 requests, each side.
    const total = quick ? 200 : 1000;
    await sleep(300);
    const before = sides.map(s => ({ rss: rssMiB(s.pid), pss: pssByRegion(s.pid) }));
    const logBefore = ccr?.logBytes() ?? 0;
    for (let i = 0; i < total; i++) for (const s of sides) await timedPost(s.agent, s.port, PATH, JSON.stringify(SMALL));
    await sleep(500);
    const after = sides.map(s => ({ rss: rssMiB(s.pid), pss: pssByRegion(s.pid) }));
    const logPerRequest = ccr ? (ccr.logBytes() - logBefore) / total : undefined;
    const split = (pss: ReturnType<typeof pssByRegion>) =>
      pss
        ? Object.entries(pss)
            .filter(([, mb]) => mb >= 0.5)
            .map(([r, mb]) => `${r} ${mb.toFixed(1)}`)
            .join(', ')
        : 'not available';
    for (const [j, s] of sides.entries()) {
      rows.push({
        section: SECTION,
        what: `${s.name}: process resident memory after ${total.toLocaleString('en')} more requests`,
        runs: 1,
        value: after[j]!.rss,
        unit: 'MiB',
        baseline: { what: 'before them', value: before[j]!.rss },
        target: j === 0 ? { kind: 'ratio-max', value: 1.1 } : { kind: 'info' },
        ...(j === 0
          ? {
              why: "the same process served the Responses rows first, where its reading after their 1,000 requests is the row of that name above; V8's full collection gave pages back between the two, and these readings lie on the old generation's sawtooth: the CLI caps the young generation at 4 MB (src/cli/bridge.ts), so a request's objects still alive at a scavenge move to the old generation and stay there until its next full collection. A leak would climb past the earlier peak",
            }
          : {}),
        notes: [
          `${before[j]!.rss.toFixed(1)} MiB → ${after[j]!.rss.toFixed(1)} MiB (${rssSplit(s.pid)})${j === 0 && BRIDGE_NODE_ARGS.length ? `; node ${BRIDGE_NODE_ARGS.join(' ')}` : ''}; where it lies after (PSS, MB): ${split(after[j]!.pss)}; growth: ${
            regionGrowth(before[j]!.pss, after[j]!.pss)
              .filter(g => Math.abs(g.mb) >= 0.5)
              .map(g => `${g.region} ${g.mb.toFixed(1)}`)
              .join(', ') || 'under 0.5 MB in every region'
          }`,
          ...(j === 1 && logPerRequest !== undefined
            ? [`${PEER} wrote ${(logPerRequest / 1024).toFixed(1)} KB of debug log per request (its default)`]
            : []),
        ],
      });
    }
    rows.push({
      section: SECTION,
      what: `this bridge's resident memory after them, against ${PEER}'s`,
      runs: 1,
      value: after[0]!.rss,
      unit: 'MiB',
      ...peerBaseline(after[1]?.rss),
      target: { kind: 'max', value: RSS_TARGET_MIB, unit: 'MiB' },
      why: `${statusMiB(o.ours.pid, 'RssFile').toFixed(0)} MiB of it are the node binary's and libraries' pages, shared with every Node process; the bridge's own ~${statusMiB(o.ours.pid, 'RssAnon').toFixed(0)} MiB are V8's heap pages (its live heap: the in-process row above) and glibc's malloc arenas of V8's compiler and GC threads, which only node flags given at start could shrink further (\`--max-semi-space-size\`, \`--v8-pool-size\`): a bin script cannot pass them portably, and a re-spawn would cost a second process`,
      notes: [
        `target: half the 164 MB ${PEER} was measured at with Claude Code (issue 23); the same process serves Codex's Responses API (the rows above ran through it first)`,
        ...(ccrNote ? [ccrNote] : []),
      ],
    });
    return rows;
  } finally {
    direct.destroy();
    for (const s of sides) s.agent.destroy();
    await stop(down.child);
    await ccr?.close();
  }
}
