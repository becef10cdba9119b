// Verify Route on the real llama-server against one real agent turn on the same server: what the user
// waits for and what the server works, from the server's own `/metrics` counters (started with
// `--metrics`). The server is the one `npm run setup:real-server` builds, started the way Start Server
// starts it (test/support/real-route.ts), with the tiny tools model and a context that holds Claude
// Code's first request. Every measurement gets a freshly started server on the same port, so each
// begins cold: llama.cpp's prompt cache holds nothing from the one before.
//   Verify Route: the default run (Codex, then Claude Code), as the Verify command runs it (core/agentVerify.ts).
//   Codex: one `codex exec` turn through the profile `codex-profile --from-verify` writes from that verification.
//   Claude Code: one `claude -p` turn through the settings `claude-settings` writes.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'undici';
import { verifyAgents } from '../../src/core/agentVerify';
import type { AgentId } from '../../src/core/agents';
import type { VerifyReport } from '../../src/core/verify/types';
import { findRealLlama } from '../support/real-llama';
import { freePort } from '../support/ports';
import { ALIAS, cli, CODEX, codexExec, codexSandbox, launch, tempDir, writeProfile, type Launched } from '../support/real-route';
import { baseEnv, claudeSandbox, claudeUnavailable, runClaude } from '../support/claude-cli';
import { median, spread } from './lib/stats';
import type { Row } from './lib/report';

/** A context that holds Claude Code's ≈12k-token first request and its answer (the default 16384 does not, by Claude Code's practical minimum). */
const CONTEXT = 32768;
const MODEL = 'tiny-tools' as const;
const TEXT_PROMPT = 'Reply with exactly: OK';
const TARGET = 1.5;

/** What the server counted: prompt tokens evaluated (cache hits excluded), tokens generated. */
export interface ServerWork {
  promptTokens: number;
  generated: number;
}

interface Measured extends ServerWork {
  ms: number;
}

export async function serverCounters(root: string): Promise<ServerWork & { processing: number }> {
  const r = await request(`${root}/metrics`, { headersTimeout: 10_000, bodyTimeout: 10_000 });
  const text = await r.body.text();
  if (r.statusCode !== 200) throw new Error(`GET /metrics answered ${r.statusCode}: start llama-server with --metrics`);
  const value = (name: string) => {
    const m = new RegExp(`^llamacpp:${name} (\\S+)$`, 'm').exec(text);
    if (!m) throw new Error(`no llamacpp:${name} in /metrics`);
    return Number(m[1]);
  };
  return {
    promptTokens: value('prompt_tokens_total'),
    generated: value('tokens_predicted_total'),
    processing: value('requests_processing'),
  };
}

/** The counters once the server is idle (llama.cpp counts a request when its slot is released). */
async function idleCounters(root: string): Promise<ServerWork> {
  for (let i = 0; i < 100; i++) {
    const c = await serverCounters(root);
    if (c.processing === 0) return c;
    await new Promise(r => setTimeout(r, 20));
  }
  throw new Error('llama-server still busy 2 s after the measured work ended');
}

async function measure(root: string, f: () => Promise<void>): Promise<Measured> {
  const before = await idleCounters(root);
  const t0 = performance.now();
  await f();
  const ms = performance.now() - t0;
  const after = await idleCounters(root);
  return { ms, promptTokens: after.promptTokens - before.promptTokens, generated: after.generated - before.generated };
}

/** The options the Verify command passes (features/verify/run.ts) for the settings' defaults. */
function verifyInput(baseUrl: string, signal?: AbortSignal) {
  return {
    baseUrl,
    model: ALIAS,
    timeoutMs: 120_000,
    skip: ['chat-completions' as const],
    serverKind: 'llamacpp' as const,
    contextWindow: CONTEXT,
    signal,
    codex: { nonFunctionTools: 'auto' as const, catalog: true, mcpServers: [] },
    claude: { thinking: true },
  };
}

interface VerifyRun {
  codex: Measured;
  claude: Measured;
  reports: Record<AgentId, VerifyReport>;
  /** Per stage: work and wall time, from the counters sampled at each stage's end (one request at a time to llama.cpp). */
  stages: { agent: AgentId; id: string; ms: number; work: ServerWork }[];
}

async function verifyBoth(server: Launched): Promise<VerifyRun> {
  const stages: VerifyRun['stages'] = [];
  // One read at a time, in the order the stages ended: two reads in flight together can come back in
  // either order, and the later stage would take the earlier one's work.
  let pending: Promise<void> = Promise.resolve();
  let last = await idleCounters(server.root);
  const marks: { at: number; work: ServerWork }[] = [{ at: performance.now(), work: last }];
  const reports = await verifyAgents(['codex', 'claude'], {
    ...verifyInput(server.baseUrl),
    onProgress: (agent, p) => {
      if (p.kind !== 'stage-done') return;
      const r = p.result;
      // A stage that asked the server nothing (skipped, or known from an earlier stage) did no work there.
      if (r.status === 'skip' || r.evidence[0]?.startsWith('known from')) {
        stages.push({ agent, id: r.id, ms: r.ms, work: { promptTokens: 0, generated: 0 } });
        return;
      }
      // One request at a time to llama.cpp: the counters between two stage ends are about that stage's work.
      // (A stream the verifier stopped is counted when llama.cpp releases its slot, a moment later: its few
      // tokens can land on the next stage.)
      pending = pending.then(() =>
        serverCounters(server.root).then(c => {
          stages.push({
            agent,
            id: r.id,
            ms: r.ms,
            work: { promptTokens: c.promptTokens - last.promptTokens, generated: c.generated - last.generated },
          });
          last = c;
        }),
      );
    },
    // Between the agents nothing is in flight: the counters there split the run exactly.
    onReport: async () => {
      await pending;
      const work = await idleCounters(server.root);
      last = work;
      marks.push({ at: performance.now(), work });
    },
  });
  const [a, b, c] = marks as [(typeof marks)[0], (typeof marks)[0], (typeof marks)[0]];
  const span = (x: typeof a, y: typeof a): Measured => ({
    ms: y.at - x.at,
    promptTokens: y.work.promptTokens - x.work.promptTokens,
    generated: y.work.generated - x.work.generated,
  });
  if (!c) throw new Error(`the verification stopped early: ${reports.map(r => `${r.agent} cancelled=${r.cancelled}`).join(', ')}`);
  const byAgent = Object.fromEntries(reports.map(r => [r.agent, r])) as Record<AgentId, VerifyReport>;
  return { codex: span(a, b), claude: span(b, c), reports: byAgent, stages };
}

const fmtCount = (n: number | undefined) => (n === undefined ? '?' : String(Math.round(n)));

function ratioLine(what: string, xs: Measured[], base: Measured[]): string {
  const r = (k: keyof Measured) => (median(xs.map(x => x[k])) / median(base.map(x => x[k]))).toFixed(2);
  return `${what}: wall ${r('ms')}×, prompt tokens ${r('promptTokens')}×, generated ${r('generated')}×`;
}

export async function benchRealVerify(runs: number, log: (s: string) => void): Promise<Row[]> {
  const found = findRealLlama();
  const section = 'Verifier (real llama-server)';
  const rowsOf = (notMeasured: string): Row[] => [
    { section, what: '(every row of this section)', runs: 0, unit: '', target: { kind: 'info' }, notes: [], notMeasured },
  ];
  if (!found.ok) return rowsOf(found.reason);
  if (!existsSync(CODEX)) return rowsOf('node_modules/.bin/codex missing (npm ci)');
  const noClaude = claudeUnavailable();
  if (noClaude) return rowsOf(noClaude);

  const port = await freePort();
  const settings = { 'llamacpp.port': port, 'llamacpp.contextSize': CONTEXT, 'llamacpp.extraArgs': ['--metrics'] };
  const start = () => launch({ model: MODEL, settings });
  const verifies: VerifyRun[] = [];
  const codexTurns: Measured[] = [];
  const claudeTurns: Measured[] = [];
  const dirs: string[] = [];
  const failedTurns: string[] = [];
  let profileNote = '';
  for (let i = 0; i < runs; i++) {
    // Verify Route, cold.
    let server = await start();
    try {
      const v = await verifyBoth(server);
      verifies.push(v);
      log(
        `verify: codex ${v.codex.ms.toFixed(0)} ms ${v.codex.promptTokens}/${v.codex.generated} tokens, claude ${v.claude.ms.toFixed(0)} ms ${v.claude.promptTokens}/${v.claude.generated}`,
      );
    } finally {
      await server.stop();
    }
    // One Codex turn through the profile written from that verification, cold.
    const sb = codexSandbox();
    dirs.push(sb.home);
    server = await start();
    try {
      const reportFile = `${tempDir('bench-verify')}/report.json`;
      writeFileSync(reportFile, JSON.stringify(verifies.at(-1)!.reports.codex));
      const w = await writeProfile(sb, { baseUrl: server.baseUrl, contextWindow: CONTEXT, verifyReport: reportFile });
      if (w.code !== 0) throw new Error(`codex-profile failed: ${JSON.stringify(w.json)}`);
      profileNote = w.text
        .split('\n')
        .filter(l => /^(model_context_window|web_search|stream_idle_timeout_ms) =/.test(l))
        .join(', ');
      let run: Awaited<ReturnType<typeof codexExec>> | undefined;
      const m = await measure(server.root, async () => {
        run = await codexExec(sb, TEXT_PROMPT);
      });
      if (run?.code !== 0 || !run.events.some(e => e.type === 'turn.completed'))
        throw new Error(`codex exec did not end its turn (exit ${run?.code}): ${run?.stdout.slice(0, 400)} ${run?.stderr.slice(-400)}`);
      codexTurns.push(m);
      log(`codex exec: ${m.ms.toFixed(0)} ms ${m.promptTokens}/${m.generated} tokens`);
    } finally {
      await server.stop();
    }
    // One Claude Code turn through the settings the product writes, cold.
    const cs = claudeSandbox('lmr-bench-claude-');
    dirs.push(cs.root);
    server = await start();
    try {
      const w = await cli(
        [
          'claude-settings',
          '--scope',
          'project',
          '--folder',
          cs.work,
          '--base-url',
          server.baseUrl,
          '--model',
          ALIAS,
          '--context-window',
          String(CONTEXT),
          '--home',
          cs.home,
          '--json',
        ],
        { HOME: cs.home },
        cs.work,
      );
      if (w.code !== 0) throw new Error(`claude-settings failed: ${w.out}${w.err}`);
      // A turn Claude Code ends with an error is no turn to compare with: on a fresh server again (the
      // random model now and then makes Claude Code give up), at most twice, and the notes say so.
      for (let attempt = 1; ; attempt++) {
        let r: Awaited<ReturnType<typeof runClaude>> | undefined;
        const m = await measure(server.root, async () => {
          r = await runClaude(['-p', TEXT_PROMPT], baseEnv(cs), cs.work);
        });
        if (r?.code === 0) {
          claudeTurns.push(m);
          log(`claude -p: ${m.ms.toFixed(0)} ms ${m.promptTokens}/${m.generated} tokens`);
          break;
        }
        const why = `claude -p exited ${r?.code}${r?.timedOut ? ' (timed out)' : ''}: ${(r?.stderr ?? '').trim().split('\n').slice(-3).join(' ⏎ ').slice(0, 300)}`;
        failedTurns.push(why);
        log(why);
        if (attempt >= 3) throw new Error(why);
        await server.stop();
        server = await start();
      }
    } finally {
      await server.stop();
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });

  const stageNotes = (agent: AgentId) => {
    const ids = [...new Set(verifies.flatMap(v => v.stages.filter(s => s.agent === agent).map(s => s.id)))];
    return ids
      .map(id => {
        const xs = verifies.map(v => v.stages.find(s => s.agent === agent && s.id === id)).filter(s => s !== undefined);
        return `${id} ${(median(xs.map(s => s.ms)) / 1000).toFixed(1)} s, ${median(xs.map(s => s.work.promptTokens))}/${median(xs.map(s => s.work.generated))}`;
      })
      .join('; ');
  };
  const rowsFor = (agent: AgentId, name: string, turn: string, xs: Measured[], base: Measured[]): Row[] => {
    const mk = (what: string, k: keyof Measured, unit: string, baseWhat: string): Row => ({
      section,
      what: `Verify Route, ${name} stages: ${what}`,
      runs,
      unit,
      value: k === 'ms' ? median(xs.map(x => x.ms)) : median(xs.map(x => x[k])),
      baseline: { what: `${baseWhat}, one real \`${turn}\` turn, same server, cold`, value: median(base.map(x => x[k])) },
      target: { kind: 'ratio-max', value: TARGET },
      notes: [],
    });
    const rows = [
      mk('wall time', 'ms', 'ms', 'wall time'),
      mk('prompt tokens evaluated', 'promptTokens', 'tokens', 'prompt tokens'),
      mk('tokens generated', 'generated', 'tokens', 'tokens generated'),
    ];
    rows[0]!.notes = [
      `llama-server ${found.version} (\`npm run setup:real-server\`), model ${MODEL}, started as Start Server starts it with \`--ctx-size ${CONTEXT}\` and \`--metrics\` (llamacpp.extraArgs); a fresh server on the same port for every measurement. Counts are the server's own /metrics counters (prompt_tokens_total: evaluated, cache hits excluded; tokens_predicted_total), read when the server is idle before and after.`,
      `Verify Route: ${spread(xs.map(x => x.ms))} ms; ${xs.map(x => `${x.promptTokens}/${x.generated}`).join(', ')} prompt/generated tokens. \`${turn}\` "${TEXT_PROMPT}": ${spread(base.map(x => x.ms))} ms; ${base.map(x => `${x.promptTokens}/${x.generated}`).join(', ')}.`,
      `Per stage (median wall, prompt/generated tokens): ${stageNotes(agent)}.`,
      ratioLine('Ratios', xs, base),
      ...(agent === 'codex' && profileNote ? [`The profile the turn ran through: ${profileNote}.`] : []),
      ...(agent === 'claude' && failedTurns.length
        ? [
            `Turns that Claude Code ended with an error were run again on a fresh server (${failedTurns.length}): ${failedTurns.join('; ')}.`,
          ]
        : []),
    ];
    // Where a target is missed, say where the work went: the tool round trip is the turn's own kind of
    // work (a call, then an answer), and how much a random model writes there changes run to run.
    const tool = agent === 'codex' ? 'tool-call' : 'messages-tool-call';
    const toolGen = median(verifies.flatMap(v => v.stages.filter(x => x.agent === agent && x.id === tool).map(x => x.work.generated)));
    const gen = rows[2]!;
    gen.why = `${toolGen} of the ${fmtCount(gen.value)} tokens (medians) are the ${tool} stage's round trip — a call, the verifier's answer to it and the model's reply, the same kind of work as the turn's own call and answer; the tiny model's weights are random, so how much it writes there changes from run to run (the turns: ${base.map(x => x.generated).join(', ')}; the verifications: ${xs.map(x => x.generated).join(', ')}).`;
    for (const r of rows.slice(0, 2)) r.why = `see the notes of the row "Verify Route, ${name} stages: wall time" for the per-stage split.`;
    return rows;
  };
  return [
    ...rowsFor(
      'codex',
      'Codex',
      'codex exec',
      verifies.map(v => v.codex),
      codexTurns,
    ),
    ...rowsFor(
      'claude',
      'Claude Code',
      'claude -p',
      verifies.map(v => v.claude),
      claudeTurns,
    ),
  ];
}
