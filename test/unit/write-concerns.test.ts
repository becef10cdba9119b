// What the Codex profile and Claude Code settings writers ask about before writing (core/writeConcerns.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeConcern, writeConcerns } from '../../src/core/writeConcerns';
import { AGENTS } from '../../src/core/agents';

const failed = {
  ok: false,
  at: 1,
  failedStage: 'tool-call',
  diagnosis: 'template-no-tools',
  message: 'The chat template has no tool support.',
};

test('a failed last verification, and a context under what the agent needs, are concerns; a pass and enough context are not', () => {
  assert.deepEqual(writeConcerns('codex', { contextWindow: 32768 }, { ok: true, at: 1 }), []);
  assert.deepEqual(writeConcerns('codex', { contextWindow: 32768 }, undefined), []);
  assert.deepEqual(writeConcerns('codex', {}, failed), [
    { kind: 'verification-failed', agent: 'codex', stage: 'tool-call', diagnosis: 'template-no-tools', message: failed.message },
  ]);
  assert.deepEqual(writeConcerns('claude', { contextWindow: 16384 }, undefined), [
    { kind: 'context-too-small', agent: 'claude', contextWindow: 16384, needs: AGENTS.claude.minContextTokens },
  ]);
  // The same context is enough for Codex: the limit is the one the picker's "too small for …" uses.
  assert.deepEqual(writeConcerns('codex', { contextWindow: 16384 }, undefined), []);
});

test('a failure the written file itself addresses is no concern', () => {
  const refused = { ok: false, at: 1, failedStage: 'tool-types', diagnosis: 'non-function-tool-rejected' };
  assert.deepEqual(writeConcerns('codex', {}, refused, ['non-function-tool-rejected']), []);
  assert.equal(writeConcerns('codex', {}, refused).length, 1);
});

test('each concern reads as one sentence naming the agent', () => {
  assert.equal(
    describeConcern({
      kind: 'verification-failed',
      agent: 'codex',
      stage: 'tool-call',
      diagnosis: 'template-no-tools',
      message: 'No tools.',
    }),
    'The last verification of this route for Codex failed at tool-call (template-no-tools).',
  );
  assert.equal(
    describeConcern({ kind: 'context-too-small', agent: 'claude', contextWindow: 16384, needs: 32768 }),
    "The server's context holds 16,384 tokens, too small for Claude Code, which needs 32,768.",
  );
});
