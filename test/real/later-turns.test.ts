// Later turns on real parts (issue 14): tiny-merge runs Qwen3.5's template with its leading system
// messages joined, as Qwen3-family templates do (test/real-server/templates/), so Codex's first turn
// (two developer messages up front) works and a developer message later in the session — Codex adds
// one when the sandbox changes on resume — raises "System message must be at the beginning.".
// The verifier's later-turn stage has to tell exactly that; real Codex 0.169 shows it: turn 1 in
// read-only exits 0, `resume --last` in workspace-write fails. The product's default start relaxes
// the same template, and then the resumed turn works too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  codexExec,
  codexSandbox,
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

interface Variant {
  server: Launched;
  report: VerifyReport;
  reportFile: string;
}

/** Turn 1 read-only, then the same session resumed with workspace-write. */
async function twoTurns(v: Variant): Promise<[CodexRun, CodexRun]> {
  const sb = codexSandbox();
  const w = await writeProfile(sb, { baseUrl: v.server.baseUrl, contextWindow: 16384, verifyReport: v.reportFile });
  assert.equal(w.code, 0, JSON.stringify(w.json));
  const first = await codexExec(sb, 'Reply with exactly: ONE', { sandbox: 'read-only' });
  const second = await codexExec(sb, 'Reply with exactly: TWO', { sandbox: 'workspace-write', resumeLast: true });
  return [first, second];
}

/** The roles of the messages Codex recorded after the first assistant message (the resumed turn's additions). */
function rolesAfterFirstAnswer(run: CodexRun): string[] {
  const msgs = run.rollout.filter(i => i.type === 'message');
  const at = msgs.findIndex(i => i.role === 'assistant');
  return at < 0 ? [] : msgs.slice(at + 1).map(i => String(i.role));
}

describe('later turns on the real llama-server', { skip: skipReal, timeout: 180_000 }, () => {
  const v = {} as Record<'asIs' | 'relaxed', Variant>;
  before(async () => {
    const [asIs, relaxed] = await Promise.all([
      launch({ model: 'tiny-merge', settings: { 'llamacpp.threads': 2 }, templateAsIs: true }),
      launch({ model: 'tiny-merge', settings: { 'llamacpp.threads': 2 } }),
    ]);
    for (const [k, server] of Object.entries({ asIs, relaxed })) {
      const r = await verify(server.baseUrl);
      v[k as keyof typeof v] = { server, report: r.report, reportFile: r.file };
    }
  });
  after(async () => {
    await Promise.all(Object.values(v).map(x => x.server.stop()));
  });

  test('the template as is: codex-shape passes, the later turn fails with template-system-message after a late developer message; Codex: turn 1 exits 0, the resume in workspace-write fails', async () => {
    const { report, server } = v.asIs;
    const shape = stage(report, 'codex-shape');
    assert.notEqual(shape.status, 'fail', stagesLine(report));
    assert.notEqual(shape.diagnosis?.code, 'template-system-message', 'the leading developer messages are joined');
    const later = stage(report, 'multi-turn');
    assert.equal(later.status, 'fail', stagesLine(report));
    assert.equal(later.diagnosis?.code, 'template-system-message');
    assert.ok(later.evidence.includes('the same history without the late developer message: answered'), later.evidence.join('\n'));
    assert.deepEqual(
      { laterTurns: report.findings?.laterTurns, lateDeveloper: report.findings?.lateDeveloper, firstTurnOk: report.findings?.firstTurnOk },
      { laterTurns: true, lateDeveloper: false, firstTurnOk: true },
    );
    assert.match(
      report.headline ?? '',
      /keep going across turns; cannot .*continue after a permissions change \(template-system-message\)/,
    );

    const [first, second] = await twoTurns(v.asIs);
    assert.equal(first.code, 0, describeRun(first));
    assert.ok(turnCompleted(first));
    assert.notEqual(second.code, 0, describeRun(second));
    assert.equal(turnCompleted(second), false);
    assert.ok(
      rolesAfterFirstAnswer(second).includes('developer'),
      `the resumed turn carries a late developer message: ${rolesAfterFirstAnswer(second).join(', ')}`,
    );
    assert.match(server.log(), /System message must be at the beginning/);
  });

  test("the product's default start relaxes the same template: the later turn passes and the resumed turn works", async () => {
    const { report, server } = v.relaxed;
    assert.equal(server.plan.chatTemplate?.kind, 'relaxed');
    assert.doesNotMatch(
      readFileSync(server.plan.chatTemplate!.file!, 'utf8'),
      /raise_exception\('System message must be at the beginning\.'\)/,
    );
    assert.notEqual(stage(report, 'multi-turn').status, 'fail', stagesLine(report));
    assert.equal(report.findings?.lateDeveloper, true);

    const [first, second] = await twoTurns(v.relaxed);
    assert.equal(first.code, 0, describeRun(first));
    assert.equal(second.code, 0, describeRun(second));
    assert.ok(turnCompleted(second));
    assert.ok(rolesAfterFirstAnswer(second).includes('developer'), 'the same late developer message, accepted');
    assert.doesNotMatch(server.log(), /System message must be at the beginning/);
  });
});
