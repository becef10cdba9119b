// The verifier's verdict on each real-server variant, held against what real Codex 0.169 does on the
// same server through the profile the product writes from that verification (`verify --json` →
// `codex-profile --from-verify` → `codex exec`, isolated HOME / CODEX_HOME). Servers are started by
// Start Server's path (test/support/real-route.ts); the models' weights are random, so what is judged
// is the server around them: templates, context, tool calls.
//   strict template as is      → template-system-message        Codex fails (a 500 it hides)
//   default start, strict model → the relaxed template passes     Codex ends the turn and runs the model's command
//   -c 512                     → context-too-small              Codex fails with the server's 400
//   -c 4096                    → the Codex-sized turn fits       Codex ends the turn (the profile's prompt is ≈2k tokens)
//   --chat-template chatml     → template-no-tools              Codex gets the call as plain text
//   tools model, own template  → a real call, random arguments  Codex runs the command
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  codexErrors,
  codexExec,
  codexSandbox,
  commandsRun,
  describeRun,
  launch,
  skipReal,
  stage,
  stagesLine,
  turnCompleted,
  verify,
  writeProfile,
  type CodexRun,
  type Launched,
} from '../support/real-route';
import type { VerifyReport } from '../../src/core/verify/types';

const TEXT_PROMPT = 'Reply with exactly: OK';
const TOOL_PROMPT = 'Run the command ls';

interface Variant {
  server: Launched;
  report: VerifyReport;
  verifyCode: number;
  reportFile: string;
}

/** Verify the server, write the profile from that verification, run Codex once on it. */
async function verifyThenCodex(v: Variant, prompt: string): Promise<CodexRun> {
  const sb = codexSandbox();
  const ctx = Number(v.server.settingsJson['localModelRouter.llamacpp.contextSize'] ?? 16384);
  const w = await writeProfile(sb, { baseUrl: v.server.baseUrl, contextWindow: ctx, verifyReport: v.reportFile });
  assert.equal(w.code, 0, JSON.stringify(w.json));
  assert.deepEqual(w.json.validation, { kind: 'accepted' }, 'Codex loaded the written profile');
  return codexExec(sb, prompt);
}

/** The function calls Codex recorded, each with whether Codex answered it (a function_call_output). */
function callsReachingCodex(run: CodexRun): { name: string; answered: boolean }[] {
  const outputs = new Set(run.rollout.filter(i => i.type === 'function_call_output').map(i => i.call_id));
  return run.rollout.filter(i => i.type === 'function_call').map(i => ({ name: String(i.name), answered: outputs.has(i.call_id) }));
}

describe('verdicts on the real llama-server agree with real Codex', { skip: skipReal, timeout: 300_000 }, () => {
  const v = {} as Record<'strict' | 'relaxed' | 'small' | 'fits' | 'chatml' | 'tools', Variant>;
  before(async () => {
    const two = { 'llamacpp.threads': 2 };
    const [strict, relaxed, small, fits, chatml, tools] = await Promise.all([
      launch({ model: 'tiny-strict', settings: two, templateAsIs: true }),
      // Product defaults, nothing but the model (and a free port): issue 16's "default Start Server".
      launch({ model: 'tiny-strict-tools' }),
      launch({ model: 'tiny-chat', settings: { ...two, 'llamacpp.contextSize': 512 } }),
      launch({ model: 'tiny-chat', settings: { ...two, 'llamacpp.contextSize': 4096 } }),
      launch({ model: 'tiny-tools', settings: { ...two, 'llamacpp.chatTemplate': 'chatml' } }),
      launch({ model: 'tiny-tools', settings: two }),
    ]);
    const servers = { strict, relaxed, small, fits, chatml, tools };
    // One verification at a time: each server has one slot and the machine two cores.
    for (const [k, server] of Object.entries(servers)) {
      const r = await verify(server.baseUrl);
      v[k as keyof typeof v] = { server, report: r.report, verifyCode: r.code, reportFile: r.file };
    }
  });
  after(async () => {
    await Promise.all(Object.values(v).map(x => x.server.stop()));
  });

  test('strict template as is: the verifier says template-system-message; Codex fails on the same 500', async () => {
    const { report, server } = v.strict;
    const shape = stage(report, 'codex-shape');
    assert.equal(shape.status, 'fail', stagesLine(report));
    assert.equal(shape.diagnosis?.code, 'template-system-message');
    assert.deepEqual(
      shape.diagnosis?.fix,
      {
        kind: 'changeServer',
        change: { what: 'template', reason: 'system-message-order' },
        label: 'Use a template that accepts later system messages',
      },
      'a template fix that keeps tools, not chatml',
    );
    assert.equal(v.strict.verifyCode, 1);
    const run = await verifyThenCodex(v.strict, TEXT_PROMPT);
    assert.notEqual(run.code, 0, describeRun(run));
    assert.equal(turnCompleted(run), false);
    // Codex shows only a generic text for a local 500; the server's log has the reason.
    assert.match(codexErrors(run), /high demand/, describeRun(run));
    assert.match(server.log(), /System message must be at the beginning/);
  });

  test("the default start of a strict model: its relaxed template passes, Codex ends the turn and runs the model's command", async () => {
    const { report, server } = v.relaxed;
    assert.equal(server.plan.chatTemplate?.kind, 'relaxed', JSON.stringify(server.plan.chatTemplate));
    assert.ok(
      server.command.args.includes('--chat-template-file') && !server.command.args.includes('--chat-template'),
      server.command.args.join(' '),
    );
    assert.equal(report.facts?.templateTools, true, 'the relaxed template keeps tool support (/props)');
    for (const s of report.stages) assert.notEqual(s.diagnosis?.code, 'template-system-message', stagesLine(report));
    assert.notEqual(stage(report, 'codex-shape').status, 'fail', stagesLine(report));
    assert.notEqual(stage(report, 'multi-turn').status, 'fail', stagesLine(report));
    // A real call comes back; its arguments are random, and the verifier says so.
    const tool = stage(report, 'tool-call');
    assert.ok(
      tool.evidence.some(e => /^round 1 call: exec_command\(/.test(e)),
      tool.evidence.join('\n'),
    );
    assert.equal(tool.diagnosis?.code, 'wrong-tool-arguments', stagesLine(report));

    const run = await verifyThenCodex(v.relaxed, TOOL_PROMPT);
    assert.equal(run.code, 0, describeRun(run));
    assert.ok(turnCompleted(run), `to the end of the turn: ${describeRun(run)}`);
    assert.deepEqual(
      callsReachingCodex(run).slice(0, 1),
      [{ name: 'exec_command', answered: true }],
      "the model's call reached Codex as a function call",
    );
    assert.ok(commandsRun(run).length >= 1, `Codex ran the command: ${describeRun(run)}`);
    assert.doesNotMatch(server.log(), /System message must be at the beginning/);
  });

  test("-c 512: the verifier says context-too-small; Codex fails with the server's 400", async () => {
    const { report } = v.small;
    const shape = stage(report, 'codex-shape');
    assert.equal(shape.status, 'fail', stagesLine(report));
    assert.equal(shape.diagnosis?.code, 'context-too-small');
    assert.equal(shape.diagnosis?.fix?.kind, 'changeServer');
    const run = await verifyThenCodex(v.small, TEXT_PROMPT);
    assert.notEqual(run.code, 0, describeRun(run));
    assert.match(codexErrors(run), /request \(\d+ tokens\) exceeds the available context size \(512 tokens\)/, describeRun(run));
  });

  test('-c 4096: the Codex-sized turn is sized like Codex through the profile, so it fits (a warning about room), and Codex ends the turn', async () => {
    const { report } = v.fits;
    const shape = stage(report, 'codex-shape');
    assert.notEqual(shape.status, 'fail', stagesLine(report));
    assert.ok(
      (shape.metrics?.inputTokens ?? 0) > 1_000 && (shape.metrics?.inputTokens ?? Infinity) < 4096,
      `the server counted ${shape.metrics?.inputTokens} tokens`,
    );
    // Small for a session, and said so; without the profile's catalog Codex's first request would not fit.
    assert.equal(shape.diagnosis?.code, 'context-too-small');
    assert.match(shape.summary, /the context \(4096 tokens\) leaves little room/);
    assert.ok(
      shape.evidence.some(e => /^without the profile Codex would send ≈\d+ tokens: more than the 4096-token context/.test(e)),
      shape.evidence.join('\n'),
    );
    assert.equal(v.fits.verifyCode, 1, 'other stages fail on a random model; the shape is what is judged here');
    const run = await verifyThenCodex(v.fits, TEXT_PROMPT);
    assert.equal(run.code, 0, describeRun(run));
    assert.ok(turnCompleted(run), describeRun(run));

    // And the estimate for Codex without the profile's catalog, against Codex without it.
    const estimate = Number(
      /^without the profile Codex would send ≈(\d+) tokens/.exec(shape.evidence.find(e => e.startsWith('without the profile')) ?? '')?.[1],
    );
    const sb = codexSandbox();
    assert.equal((await writeProfile(sb, { baseUrl: v.fits.server.baseUrl, contextWindow: 4096, noCatalog: true })).code, 0);
    const bare = await codexExec(sb, TEXT_PROMPT);
    assert.notEqual(bare.code, 0, describeRun(bare));
    const sent = Number(/request \((\d+) tokens\) exceeds the available context size \(4096 tokens\)/.exec(codexErrors(bare))?.[1]);
    assert.ok(sent > 4096, describeRun(bare));
    assert.ok(
      Math.abs(estimate - sent) / sent < 0.25,
      `the verifier estimated ≈${estimate} tokens without the profile, Codex sent ${sent}`,
    );
  });

  test('--chat-template chatml: the verifier says template-no-tools (not no-tool-call); Codex gets no tool call', async () => {
    const { report } = v.chatml;
    assert.equal(report.facts?.templateTools, false);
    const tool = stage(report, 'tool-call');
    assert.equal(tool.status, 'fail', stagesLine(report));
    assert.equal(tool.diagnosis?.code, 'template-no-tools');
    assert.deepEqual(tool.diagnosis?.fix, {
      kind: 'changeServer',
      change: { what: 'template', reason: 'no-tool-support' },
      label: 'Use a template with tool support',
    });
    assert.match(report.headline ?? '', /cannot run tools \(template-no-tools\)/);
    // The server leaves the tools out of the prompt, so it counts fewer tokens: not a truncated prompt.
    assert.notEqual(stage(report, 'codex-shape').diagnosis?.code, 'context-too-small', stagesLine(report));

    const run = await verifyThenCodex(v.chatml, TOOL_PROMPT);
    assert.equal(run.code, 0, describeRun(run));
    assert.ok(turnCompleted(run));
    assert.deepEqual(callsReachingCodex(run), [], 'no function call reached Codex');
    assert.equal(commandsRun(run).length, 0);
    // The model wrote its call; the server returned it as text.
    const said = run.events
      .filter(e => e.item?.type === 'agent_message')
      .map(e => e.item?.text)
      .join('\n');
    assert.match(said, /<tool_call>/, describeRun(run));
  });

  test('tools model with its own template: a real call with random arguments (wrong-tool-arguments), Codex runs it; namespace tools are dropped', async () => {
    const { report } = v.tools;
    assert.equal(report.facts?.templateTools, true);
    const tool = stage(report, 'tool-call');
    assert.ok(
      tool.evidence.some(e => /^round 1 call: exec_command\(/.test(e)),
      tool.evidence.join('\n'),
    );
    assert.equal(tool.diagnosis?.code, 'wrong-tool-arguments', stagesLine(report));
    assert.match(report.headline ?? '', /cannot run tools \(wrong-tool-arguments\)/);
    // Codex's MCP and agent tools: llama-server takes a namespace tool and leaves it out of the prompt.
    const types = stage(report, 'tool-types');
    assert.equal(report.findings?.toolTypes?.namespace, 'dropped', types.evidence.join('\n'));
    assert.equal(types.diagnosis?.code, 'mcp-tools-dropped');
    assert.ok(
      types.evidence.some(e => /^namespace \(MCP\): answered, but the prompt grew by -?\d+ tokens only/.test(e)),
      types.evidence.join('\n'),
    );

    const run = await verifyThenCodex(v.tools, TOOL_PROMPT);
    assert.equal(run.code, 0, describeRun(run));
    assert.ok(turnCompleted(run));
    assert.deepEqual(callsReachingCodex(run)[0], { name: 'exec_command', answered: true });
    assert.ok(commandsRun(run).length >= 1, describeRun(run));
  });
});
