// `local-model-router verify`: exit codes, the stable JSON shape, usage errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';
import { startScriptedServer } from '../support/scripted-server';
import * as B from '../support/behaviours';

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = { out: t => out.push(t), err: t => err.push(t), env, cwd: process.cwd() };
  return { value, out, err };
}

test('a healthy server: exit 0 and the documented JSON', async () => {
  const s = await startScriptedServer({ kind: 'llamacpp', models: [{ id: 'local/model', contextWindow: 32768 }] });
  try {
    const c = io();
    const code = await main(['verify', '--base-url', s.baseUrl, '--model', 'local/model', '--json'], c.value);
    assert.equal(code, 0, c.err.join('\n'));
    const j = JSON.parse(c.out.join(''));
    assert.equal(j.ok, true);
    assert.equal(j.baseUrl, s.baseUrl);
    assert.equal(j.model, 'local/model');
    assert.deepEqual(
      j.stages.map((x: { id: string }) => x.id),
      ['models', 'responses-text', 'responses-stream', 'tool-call', 'codex-shape', 'multi-turn', 'tool-types', 'chat-completions'],
    );
    for (const st of j.stages) {
      assert.ok(['pass', 'warn', 'fail', 'skip'].includes(st.status));
      assert.equal(typeof st.ms, 'number');
    }
    assert.equal(j.stages.at(-1).status, 'skip', 'chat-completions is skipped by default');
  } finally {
    await s.close();
  }
});

test('a failing server: exit 1 with a diagnosis and its fix; the key comes from a variable', async () => {
  const s = await startScriptedServer({
    kind: 'llamacpp',
    models: [{ id: 'm' }],
    apiKey: 'k1',
    brain: B.contextBrain(2048, 'llamacpp-newest'),
  });
  try {
    const c = io({ MY_KEY: 'k1' });
    const code = await main(
      ['verify', '--base-url', s.baseUrl, '--model', 'm', '--api-key-env', 'MY_KEY', '--skip', 'chat-completions', '--json'],
      c.value,
    );
    assert.equal(code, 1);
    const j = JSON.parse(c.out.join(''));
    const shape = j.stages.find((x: { id: string }) => x.id === 'codex-shape');
    assert.equal(shape.diagnosis.code, 'context-too-small');
    assert.deepEqual(shape.diagnosis.fix.change.what, 'context');
    assert.ok(!c.out.join('').includes('k1'));
    const human = io({ MY_KEY: 'k1' });
    assert.equal(
      await main(['verify', '--base-url', s.baseUrl.replace('http://', ''), '--model', 'm', '--api-key-env', 'MY_KEY'], human.value),
      1,
    );
    assert.match(human.out.join('\n'), /context-too-small/);
    // The CLI did not start the server: the fix is llama-server's own flag, not an extension setting.
    assert.match(human.out.join('\n'), /fix: Restart llama-server with --ctx-size \d+/);
    assert.doesNotMatch(human.out.join('\n'), /localModelRouter\./);
  } finally {
    await s.close();
  }
});

test('usage errors exit 2', async () => {
  for (const args of [
    [],
    ['--model', 'm'],
    ['--base-url', 'http://127.0.0.1:1/v1'],
    ['--base-url', 'ftp://x', '--model', 'm'],
    ['--base-url', 'http://127.0.0.1:1/v1', '--model', 'm', '--skip', 'nope'],
    ['--base-url', 'http://127.0.0.1:1/v1', '--model', 'm', '--api-key-env', 'UNSET_VAR'],
    ['--base-url', 'http://127.0.0.1:1/v1', '--model', 'm', '--timeout-ms', 'soon'],
    ['--bogus'],
  ]) {
    const c = io();
    assert.equal(await main(['verify', ...args], c.value), 2, `${args.join(' ')}: ${c.err.join('')}`);
  }
});
