// `local-model-router launch-command` prints what the extension would run, from a settings.json-shaped file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIo } from '../../src/cli/io';
import { buildLlamaServerArgv } from '../../src/core/launch';
import { resolveSettings, lookupFromSettingsJson } from '../../src/core/settings/resolve';

const dir = mkdtempSync(join(tmpdir(), 'lmr-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: t => out.push(t), err: t => err.push(t), env, cwd: dir };
  const code = await main(['launch-command', ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('--json prints {command, args, env} exactly as the extension builds it, from --settings', async () => {
  const json = {
    'localModelRouter.llamacpp.port': 9200,
    'localModelRouter.llamacpp.modelPath': '/m/a b.gguf',
    'localModelRouter.llamacpp.extraArgs': ['--metrics'],
  };
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(json));
  const r = await run(['--provider', 'llamacpp', '--settings', 'settings.json', '--json'], { PRODEX_LOCAL_MODEL_ALIAS: 'env-alias' });
  assert.equal(r.code, 0, r.err);
  const o = JSON.parse(r.out);
  const expected = buildLlamaServerArgv(
    resolveSettings(lookupFromSettingsJson(json), { PRODEX_LOCAL_MODEL_ALIAS: 'env-alias' }, true).values,
  );
  assert.deepEqual({ command: o.command, args: o.args, env: o.env }, expected);
  assert.equal(o.baseUrl, 'http://127.0.0.1:9200/v1');
  assert.deepEqual(o.problems, []);
  assert.ok(o.args.includes('env-alias'));
});

test('text output is a copyable sh line; LM Studio lists the load step; Ollama the env', async () => {
  // No model, no start: llama-server would come up in router mode serving nothing.
  const none = await run(['--provider', 'llamacpp']);
  assert.equal(none.code, 1);
  assert.match(none.err, /problem: No model to serve: set localModelRouter\.llamacpp\.modelPath/);
  const r = await run(['--provider', 'llamacpp'], { PRODEX_LOCAL_MODEL_PATH: '/m.gguf' });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^'llama-server' '-m' '\/m\.gguf' '--host' '127\.0\.0\.1' '--port' '8131'/);
  writeFileSync(
    join(dir, 'lms.json'),
    JSON.stringify({ 'localModelRouter.lmstudio.modelKey': 'qwen/qwen3-8b', 'localModelRouter.lmstudio.identifier': 'q' }),
  );
  const lms = JSON.parse((await run(['--provider', 'lmstudio', '--settings', 'lms.json', '--json'])).out);
  assert.deepEqual([lms.command, lms.args], ['lms', ['server', 'start', '--port=1234']]);
  assert.deepEqual(lms.then, [
    { command: 'lms', args: ['load', 'qwen/qwen3-8b', '--context-length=32768', '--identifier=q', '-y'], env: {} },
  ]);
  writeFileSync(
    join(dir, 'ol.json'),
    JSON.stringify({ 'localModelRouter.ollama.model': 'qwen3:8b', 'localModelRouter.ollama.modelsDir': '/data/ollama' }),
  );
  const ol = JSON.parse((await run(['--provider', 'ollama', '--settings', 'ol.json', '--json'])).out);
  assert.deepEqual(ol.env, { OLLAMA_HOST: '127.0.0.1:11434', OLLAMA_CONTEXT_LENGTH: '32768', OLLAMA_MODELS: '/data/ollama' });
  assert.equal(ol.pull, 'qwen3:8b');
});

test('no secrets: keys in the environment are not printed', async () => {
  const r = await run(['--provider', 'vllm', '--json'], {
    VLLM_API_KEY: 'sk-hidden',
    LLAMACPP_API_KEY: 'sk-hidden',
    LOCAL_LLM_API_KEY: 'sk-hidden',
  });
  assert.ok(!r.out.includes('sk-hidden'));
});

test('problems exit 1 and are listed; usage errors exit 2', async () => {
  const v = await run(['--provider', 'vllm']);
  assert.equal(v.code, 1);
  assert.match(v.err, /problem: No model to serve: set localModelRouter\.vllm\.model/);
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ 'localModelRouter.llamacpp.port': 'eighty' }));
  const bad = await run(['--provider', 'llamacpp', '--settings', 'bad.json', '--json']);
  assert.equal(bad.code, 1);
  assert.match(JSON.parse(bad.out).problems[0], /llamacpp\.port/);
  assert.equal((await run([])).code, 2);
  assert.equal((await run(['--provider', 'openaiCompatible'])).code, 2);
  assert.equal((await run(['--provider', 'llamacpp', '--settings', 'missing.json'])).code, 2);
  writeFileSync(join(dir, 'arr.json'), '[]');
  const arr = await run(['--provider', 'llamacpp', '--settings', 'arr.json']);
  assert.equal(arr.code, 2);
  assert.match(arr.err, /must hold a JSON object/);
  assert.equal((await run(['--provider', 'llamacpp', '--bogus'])).code, 2);
});
