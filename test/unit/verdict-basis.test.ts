// What a kept verdict rests on (core/route/verdictBasis.ts) and how a route follows its server
// (core/route/route.ts followServer): a restart of an unchanged server, the picker, switching back change
// nothing; another context, build, template, tool support or a setting that changes what the
// verifier sends makes the verdict out of date, and says what changed. Also the health reducer's side
// of it: a verdict that no longer holds leaves the route only up.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startScriptedServer } from '../support/scripted-server';
import { probeEndpoint, type ProbeResult } from '../../src/core/route/discovery';
import { basisChanges, serverBasis, settingsBasis, templateId, type VerdictBasis } from '../../src/core/route/verdictBasis';
import { followServer, type Route } from '../../src/core/route/route';
import { routeFor } from '../../src/core/route/pickerModel';
import { reduceHealth, type RouteHealth, type VerificationSummary } from '../../src/core/route/routeHealth';
import { resolveSettings } from '../../src/core/settings/resolve';
import type { Settings } from '../../src/core/settings/catalog';

const MODEL = 'local/model';

function up(o: { ctx?: number; version?: string; template?: string; tools?: boolean; kind?: 'llamacpp' | 'vllm' } = {}): ProbeResult {
  return {
    kind: 'up',
    ms: 1,
    server: { kind: o.kind ?? 'llamacpp', ...(o.version === undefined ? { version: 'b1-abc' } : o.version ? { version: o.version } : {}) },
    models: [{ id: MODEL, contextWindow: o.ctx ?? 16384, tools: o.tools ?? true }],
    ...(o.template === '' ? {} : { template: o.template ?? templateId('{{ messages }}') }),
  };
}

const DEFAULTS = resolveSettings(() => undefined, {}, true).values;
const settings = (over: Partial<Settings> = {}): Settings => ({ ...DEFAULTS, ...over });
const basis = (probe: ProbeResult, agent: 'codex' | 'claude' = 'codex', s = settings()): VerdictBasis => ({
  ...(serverBasis(probe, MODEL) ? { server: serverBasis(probe, MODEL)! } : {}),
  settings: settingsBasis(agent, s),
});

describe('what makes a kept verdict out of date', () => {
  test('a restart of the same server with the same flags, the picker, switching back: the verdict holds', () => {
    const then = basis(up());
    assert.deepEqual(basisChanges(then, basis(up())), []);
    // Settings that do not change what the verifier sends or judges.
    assert.deepEqual(
      basisChanges(then, basis(up(), 'codex', settings({ 'verify.timeoutMs': 5_000, 'discovery.refreshIntervalSeconds': 0 }))),
      [],
    );
    // The other agent's settings.
    assert.deepEqual(basisChanges(then, basis(up(), 'codex', settings({ 'claude.disableThinking': true }))), []);
    assert.deepEqual(basisChanges(then, basis(up(), 'codex', settings({ 'verify.skipStages': ['chat-completions', 'count-tokens'] }))), []);
  });

  test('another context, build, template or tool support: out of date, saying what changed', () => {
    const then = basis(up());
    assert.deepEqual(basisChanges(then, basis(up({ ctx: 32768 }))), ['context 16,384 → 32,768 tokens']);
    assert.deepEqual(basisChanges(then, basis(up({ version: 'b2-def' }))), ['server version b1-abc → b2-def']);
    assert.deepEqual(basisChanges(then, basis(up({ template: templateId('{{ other }}') }))), ['another chat template']);
    assert.deepEqual(basisChanges(then, basis(up({ tools: false }))), ['tool support yes → no']);
    assert.deepEqual(basisChanges(then, basis(up({ kind: 'vllm' }))), ['server llamacpp → vllm']);
  });

  test("settings that change what an agent's verification sends: out of date for that agent only", () => {
    const codex = basis(up(), 'codex');
    const claude = basis(up(), 'claude');
    const never = settings({ 'codex.disableNonFunctionTools': 'never' });
    assert.deepEqual(basisChanges(codex, basis(up(), 'codex', never)), ['codex.disableNonFunctionTools auto → never']);
    assert.deepEqual(basisChanges(claude, basis(up(), 'claude', never)), []);
    const noThinking = settings({ 'claude.disableThinking': true });
    assert.deepEqual(basisChanges(claude, basis(up(), 'claude', noThinking)), ['Claude Code thinking on → off']);
    assert.deepEqual(basisChanges(codex, basis(up(), 'codex', settings({ 'verify.skipStages': [] }))), [
      'skipped stages [chat-completions] → []',
    ]);
  });

  test('a verdict kept from before there was a basis, or a server discovery does not see now: not called out of date by the server', () => {
    assert.deepEqual(basisChanges(undefined, basis(up({ ctx: 4096 }))), []);
    const down: ProbeResult = { kind: 'down', message: 'refused', ms: 1 };
    assert.equal(serverBasis(down, MODEL), undefined);
    assert.deepEqual(basisChanges(basis(up()), basis(down)), []);
  });

  test('the template is named by a hash of its text: the same text, the same name', () => {
    assert.equal(templateId('abc'), templateId('abc'));
    assert.notEqual(templateId('abc'), templateId('abd'));
    assert.match(templateId('x'.repeat(50_000)), /^[0-9a-f]{12}$/);
  });

  test("discovery reads the template from llama.cpp's /props: a restart with another one is seen", async () => {
    const a = await startScriptedServer({ kind: 'llamacpp', models: [{ id: MODEL, contextWindow: 16384 }] });
    const b = await startScriptedServer({ kind: 'llamacpp', models: [{ id: MODEL, contextWindow: 16384 }], template: 'chatml' });
    try {
      const pa = await probeEndpoint({ provider: 'llamacpp', baseUrl: a.baseUrl, source: 'default' });
      const pa2 = await probeEndpoint({ provider: 'llamacpp', baseUrl: a.baseUrl, source: 'default' });
      const pb = await probeEndpoint({ provider: 'llamacpp', baseUrl: b.baseUrl, source: 'default' });
      assert.ok(pa.kind === 'up' && typeof pa.template === 'string');
      assert.deepEqual(basisChanges(basis(pa), basis(pa2)), []);
      assert.deepEqual(basisChanges(basis(pa), basis(pb)), ['another chat template']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('a route follows its server', () => {
  const picked: Route = routeFor(
    { provider: 'llamacpp', baseUrl: 'http://127.0.0.1:8131/v1', source: 'default', result: up() },
    {
      id: MODEL,
      contextWindow: 16384,
      tools: true,
    },
  );
  test('a restart with a new context: the route says the new one (the tooltip and Verify use it)', () => {
    const after = followServer(picked, up({ ctx: 32768 }));
    assert.equal(after.contextWindow, 32768);
    assert.equal(after.model, MODEL);
    assert.equal(after.baseUrl, picked.baseUrl);
  });
  test('nothing changed, the model not listed, the server down: the same route object', () => {
    assert.equal(followServer(picked, up()), picked);
    assert.equal(followServer(picked, { ...up(), models: [] } as ProbeResult), picked);
    assert.equal(followServer(picked, { kind: 'down', message: 'x', ms: 1 }), picked);
  });
  test('a fact the server no longer reports is dropped, not kept from before', () => {
    const after = followServer(picked, up({ version: '' }));
    assert.equal(after.serverVersion, undefined);
    assert.ok(!('serverVersion' in after));
  });
});

describe('health: a verdict that no longer holds', () => {
  const ok: VerificationSummary = { agent: 'codex', ok: true, at: 10 };
  const bad: VerificationSummary = { agent: 'claude', ok: false, at: 10, diagnosis: 'context-too-small', message: 'small' };
  test('discovery after a change that makes the verdict out of date: up, not verified or failing', () => {
    const verified: RouteHealth = { kind: 'verified', verification: ok };
    assert.deepEqual(reduceHealth(verified, { type: 'discovered', state: { kind: 'listed' } }), { kind: 'up' });
    const failing: RouteHealth = { kind: 'failing', reason: 'small', verification: bad };
    assert.deepEqual(reduceHealth(failing, { type: 'discovered', state: { kind: 'listed' } }), { kind: 'up' });
  });
  test('changed back (or still holding): the kept verdict again', () => {
    assert.deepEqual(reduceHealth({ kind: 'up' }, { type: 'discovered', state: { kind: 'listed' }, verification: ok }), {
      kind: 'verified',
      verification: ok,
    });
    const verified: RouteHealth = { kind: 'verified', verification: ok };
    assert.equal(reduceHealth(verified, { type: 'discovered', state: { kind: 'listed' }, verification: ok }), verified);
  });
});
