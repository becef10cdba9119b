// Route health as one pure reducer (core/route/routeHealth.ts), over every transition: checking (a switch
// or a verification), up, verified, failing, down, and a superseded run that must say nothing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { reduceHealth, type HealthEvent, type RouteHealth, type VerificationSummary } from '../../src/core/route/routeHealth';

const ok: VerificationSummary = { agent: 'codex', ok: true, at: 1 };
const bad: VerificationSummary = {
  agent: 'codex',
  ok: false,
  at: 2,
  failedStage: 'tool-call',
  diagnosis: 'no-tool-call',
  message: 'no call',
};
const run = (h: RouteHealth, ...events: HealthEvent[]) => events.reduce(reduceHealth, h);
const unknown: RouteHealth = { kind: 'unknown' };

describe('switching', () => {
  test('started → checking, remembering what a failure returns to', () => {
    assert.deepEqual(run({ kind: 'up' }, { type: 'switch-started', runId: 1 }), {
      kind: 'checking',
      what: 'switch',
      runId: 1,
      previous: { kind: 'up' },
    });
  });
  test('succeeded → up, or the stored verdict of the new route', () => {
    assert.deepEqual(run(unknown, { type: 'switch-started', runId: 1 }, { type: 'switch-succeeded', runId: 1 }), { kind: 'up' });
    assert.deepEqual(run(unknown, { type: 'switch-started', runId: 1 }, { type: 'switch-succeeded', runId: 1, verification: ok }), {
      kind: 'verified',
      verification: ok,
    });
    assert.deepEqual(run(unknown, { type: 'switch-started', runId: 1 }, { type: 'switch-succeeded', runId: 1, verification: bad }), {
      kind: 'failing',
      reason: 'no call',
      verification: bad,
    });
  });
  test('failed → back to what it was', () => {
    const before: RouteHealth = { kind: 'verified', verification: ok };
    assert.deepEqual(run(before, { type: 'switch-started', runId: 1 }, { type: 'switch-failed', runId: 1 }), before);
  });
  test("a newer pick supersedes an older one: the older one's answer changes nothing", () => {
    const h = run(unknown, { type: 'switch-started', runId: 1 }, { type: 'switch-started', runId: 2 });
    assert.deepEqual(run(h, { type: 'switch-succeeded', runId: 1 }), h);
    assert.deepEqual(run(h, { type: 'switch-failed', runId: 1 }), h);
    assert.deepEqual(run(h, { type: 'switch-succeeded', runId: 2 }), { kind: 'up' });
  });
});

describe('verifying', () => {
  test('started → checking; finished → verified or failing', () => {
    const checking = run({ kind: 'up' }, { type: 'verify-started', runId: 3 });
    assert.deepEqual(checking, { kind: 'checking', what: 'verify', runId: 3, previous: { kind: 'up' } });
    assert.deepEqual(run(checking, { type: 'verify-finished', runId: 3, verification: ok }), { kind: 'verified', verification: ok });
    assert.deepEqual(run(checking, { type: 'verify-finished', runId: 3, verification: bad }), {
      kind: 'failing',
      reason: 'no call',
      verification: bad,
    });
  });
  test('cancelled → back to what it was', () => {
    assert.deepEqual(run({ kind: 'down', reason: 'x' }, { type: 'verify-started', runId: 3 }, { type: 'verify-cancelled', runId: 3 }), {
      kind: 'down',
      reason: 'x',
    });
  });
  test('a superseded run (a newer verification, a switch, a clear) says nothing', () => {
    const newer = run({ kind: 'up' }, { type: 'verify-started', runId: 3 }, { type: 'verify-started', runId: 4 });
    assert.deepEqual(run(newer, { type: 'verify-finished', runId: 3, verification: bad }), newer);
    assert.deepEqual(run(newer, { type: 'verify-cancelled', runId: 3 }), newer);
    const switched = run(
      { kind: 'up' },
      { type: 'verify-started', runId: 3 },
      { type: 'switch-started', runId: 5 },
      { type: 'switch-succeeded', runId: 5 },
    );
    assert.deepEqual(run(switched, { type: 'verify-finished', runId: 3, verification: ok }), { kind: 'up' });
    const cleared = run({ kind: 'up' }, { type: 'verify-started', runId: 3 }, { type: 'cleared' });
    assert.deepEqual(run(cleared, { type: 'verify-finished', runId: 3, verification: ok }), unknown);
  });
});

describe('discovery', () => {
  test("listed: up, or the last verification's verdict; a verdict stands while the model is served", () => {
    assert.deepEqual(run(unknown, { type: 'discovered', state: { kind: 'listed' } }), { kind: 'up' });
    assert.deepEqual(run({ kind: 'down', reason: 'x' }, { type: 'discovered', state: { kind: 'listed' }, verification: ok }), {
      kind: 'verified',
      verification: ok,
    });
    const failing: RouteHealth = { kind: 'failing', reason: 'no call', verification: bad };
    assert.deepEqual(run(failing, { type: 'discovered', state: { kind: 'listed' }, verification: bad }), failing);
  });
  test('not listed, loading → failing; down → down', () => {
    assert.deepEqual(run({ kind: 'up' }, { type: 'discovered', state: { kind: 'not-listed', model: 'm' } }), {
      kind: 'failing',
      reason: 'm is no longer listed',
    });
    assert.deepEqual(run({ kind: 'up' }, { type: 'discovered', state: { kind: 'loading' } }), { kind: 'failing', reason: 'loading model' });
    assert.deepEqual(run({ kind: 'verified', verification: ok }, { type: 'discovered', state: { kind: 'down', reason: 'refused' } }), {
      kind: 'down',
      reason: 'refused',
    });
  });
  test('while a check runs, discovery updates only what a cancellation returns to', () => {
    const h = run({ kind: 'up' }, { type: 'verify-started', runId: 7 }, { type: 'discovered', state: { kind: 'down', reason: 'refused' } });
    assert.deepEqual(h, { kind: 'checking', what: 'verify', runId: 7, previous: { kind: 'down', reason: 'refused' } });
    assert.deepEqual(run(h, { type: 'verify-cancelled', runId: 7 }), { kind: 'down', reason: 'refused' });
  });
  test('clear → unknown from anywhere', () => {
    for (const h of [
      { kind: 'up' },
      { kind: 'down', reason: 'x' },
      { kind: 'checking', what: 'verify', runId: 1, previous: { kind: 'up' } },
    ] as RouteHealth[])
      assert.deepEqual(run(h, { type: 'cleared' }), unknown);
  });
});
