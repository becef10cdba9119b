// A fix acts on the server that failed: a setting of that server's own provider plus a restart when
// this window started it; otherwise the exact flag or command for that kind of server, and no setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planServerChange, contextSizeFor } from '../../src/core/serverChanges';
import { resolveSettings } from '../../src/core/settings/resolve';
import { SERVER_KINDS } from '../../src/core/serverKind';
import { LAUNCH_PROVIDERS, SERVER_SPECS } from '../../src/core/servers';
import type { ServerChange } from '../../src/core/verify/types';

const settings = (json: Record<string, unknown> = {}) =>
  resolveSettings(k => (`localModelRouter.${k}` in json ? { globalValue: json[`localModelRouter.${k}`] } : undefined), {}, true).values;
const CHANGES: ServerChange[] = [
  { what: 'context', tokens: 32768 },
  { what: 'template', reason: 'system-message-order' },
  { what: 'template', reason: 'no-tool-support' },
  { what: 'jinja' },
  { what: 'tool-parser' },
];

test('a server started elsewhere: never a setting, for every kind and change', () => {
  for (const kind of SERVER_KINDS)
    for (const change of CHANGES) {
      const plan = planServerChange(change, {
        kind,
        settings: settings({ 'localModelRouter.llamacpp.chatTemplate': 'chatml' }),
        model: 'm',
      });
      assert.equal(plan.how, 'manual', `${kind} ${JSON.stringify(change)}`);
      assert.doesNotMatch(plan.label, /restart/i, 'the button does not promise a restart it cannot do');
    }
});

test('a server this window started: only settings of its own provider, and the label says it restarts', () => {
  for (const provider of LAUNCH_PROVIDERS) {
    const plan = planServerChange(
      { what: 'context', tokens: 65536 },
      { kind: SERVER_SPECS[provider].kind, managedProvider: provider, settings: settings(), model: 'm' },
    );
    assert.equal(plan.how, 'setting');
    assert.ok(plan.how === 'setting');
    assert.deepEqual(Object.keys(plan.set), [SERVER_SPECS[provider].contextSetting]);
    assert.ok(
      Object.keys(plan.set).every(k => k.startsWith(`${provider}.`)),
      "never another provider's setting",
    );
    assert.match(plan.label, /and restart the server/);
  }
});

test('the exact flag per kind for a bigger context', () => {
  const copy = (kind: (typeof SERVER_KINDS)[number]) => {
    const p = planServerChange({ what: 'context', tokens: 32768 }, { kind, settings: settings(), model: 'qwen/qwen3-8b' });
    return p.how === 'manual' ? p.copy : undefined;
  };
  assert.equal(copy('llamacpp'), '--ctx-size 32768');
  assert.equal(copy('vllm'), '--max-model-len 32768');
  assert.equal(copy('ollama'), 'OLLAMA_CONTEXT_LENGTH=32768 ollama serve');
  assert.equal(copy('lmstudio'), 'lms load qwen/qwen3-8b --context-length 32768');
});

test("templates: LM Studio gets LM Studio's steps, llama.cpp started here goes back to the model's own template", () => {
  const lm = planServerChange(
    { what: 'template', reason: 'system-message-order' },
    { kind: 'lmstudio', managedProvider: 'lmstudio', settings: settings(), model: 'm' },
  );
  assert.equal(lm.how, 'manual');
  assert.match(lm.detail, /LM Studio/);
  assert.doesNotMatch(JSON.stringify(lm), /llamacpp/);
  const here = planServerChange(
    { what: 'template', reason: 'no-tool-support' },
    {
      kind: 'llamacpp',
      managedProvider: 'llamacpp',
      settings: settings({ 'localModelRouter.llamacpp.chatTemplate': 'chatml' }),
      model: 'm',
    },
  );
  assert.deepEqual(here.how === 'setting' && here.set, { 'llamacpp.chatTemplate': '' });
  const elsewhere = planServerChange(
    { what: 'template', reason: 'system-message-order' },
    { kind: 'llamacpp', settings: settings(), model: 'm', relaxedTemplateFile: '/s/relaxed-1.jinja' },
  );
  assert.equal(elsewhere.how === 'manual' && elsewhere.copy, '--chat-template-file /s/relaxed-1.jinja');
});

test('context sizes leave room: a power of two, at least twice the prompt', () => {
  assert.equal(contextSizeFor(undefined), 32768);
  assert.equal(contextSizeFor(20_512), 65536);
  assert.equal(contextSizeFor(9_000), 32768);
});
