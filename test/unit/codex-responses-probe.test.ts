// The question asked of a `wire_api = "chat"` provider's server before it is switched: does POST
// {base_url}/responses answer like a Responses server? Real scripted servers on 127.0.0.1, each with
// its own 404 body for a missing route; a model the server does not have still proves the route exists.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startScriptedServer, type ScriptedKind, type ScriptedServer } from '../support/scripted-server';
import { noResponsesApi, modelCheckingBrain } from '../support/behaviours';
import { freePort } from '../support/ports';
import { probeResponsesApi, guessProvider, responsesUpgradeHint } from '../../src/core/codex/responsesProbe';
import { RESPONSES_MIN_VERSIONS } from '../../src/core/verify/diagnose';

const servers: ScriptedServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});
async function serve(kind: ScriptedKind, extra: Parameters<typeof startScriptedServer>[0] | object = {}): Promise<ScriptedServer> {
  const s = await startScriptedServer({ kind, models: [{ id: 'm' }], ...extra });
  servers.push(s);
  return s;
}

for (const kind of ['llamacpp', 'ollama', 'vllm', 'lmstudio', 'generic'] as const) {
  test(`${kind}: a server with /v1/responses is a Responses server; the same server without it is chat-only`, async () => {
    const yes = await serve(kind);
    const r = await probeResponsesApi({ providerId: 'p', baseUrl: yes.baseUrl, model: 'm' }, {});
    assert.equal(r.kind, 'responses', JSON.stringify(r));
    const no = await serve(kind, { overrides: [noResponsesApi(kind)] });
    const n = await probeResponsesApi({ providerId: 'p', baseUrl: no.baseUrl, model: 'm' }, {});
    assert.equal(n.kind, 'no-responses', JSON.stringify(n));
    assert.match(n.kind === 'no-responses' ? n.detail : '', /answered 404/);
    // The chat-only server still answers chat completions: it is the Responses route that is missing.
    const chat = await fetch(`${no.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(chat.status, 200);
  });
}

test('a 404 that says the model is missing means the route exists (Ollama, vLLM): not chat-only', async () => {
  for (const [kind, variant] of [
    ['ollama', 'ollama'],
    ['vllm', 'vllm'],
  ] as const) {
    const s = await serve(kind, { brain: modelCheckingBrain(['other'], variant) });
    const r = await probeResponsesApi({ providerId: 'p', baseUrl: s.baseUrl, model: 'missing-model' }, {});
    assert.equal(r.kind, 'responses', `${kind}: ${JSON.stringify(r)}`);
  }
});

test('nothing listening: unreachable; a key the server refuses: unclear (never switched blindly)', async () => {
  const port = await freePort();
  const down = await probeResponsesApi({ providerId: 'p', baseUrl: `http://127.0.0.1:${port}/v1` }, { timeoutMs: 2000 });
  assert.equal(down.kind, 'unreachable');
  const guarded = await serve('generic', { apiKey: 'sk-right' });
  const wrong = await probeResponsesApi({ providerId: 'p', baseUrl: guarded.baseUrl, model: 'm', apiKey: 'sk-wrong' }, {});
  assert.equal(wrong.kind, 'unclear');
  const right = await probeResponsesApi({ providerId: 'p', baseUrl: guarded.baseUrl, model: 'm', apiKey: 'sk-right' }, {});
  assert.equal(right.kind, 'responses');
  assert.ok(!JSON.stringify([wrong, right]).includes('sk-'), 'the key never appears in what the probe reports');
  const posts = guarded.requests.filter(q => q.method === 'POST' && q.path === '/v1/responses');
  assert.equal(posts.at(-1)?.headers.authorization, 'Bearer sk-right');
});

test('the explanation names the version that adds the Responses API, from the one table in diagnose.ts', () => {
  assert.equal(guessProvider({ providerId: 'vllm', baseUrl: 'http://h:9/v1' }), 'vllm');
  assert.equal(guessProvider({ providerId: 'x', name: 'LM Studio', baseUrl: 'http://h:9/v1' }), 'lmstudio');
  assert.equal(guessProvider({ providerId: 'llama-cpp', baseUrl: 'http://h:9/v1' }), 'llamacpp');
  assert.equal(guessProvider({ providerId: 'x', baseUrl: 'http://127.0.0.1:11434/v1' }), 'ollama');
  assert.equal(guessProvider({ providerId: 'x', baseUrl: 'http://127.0.0.1:9999/v1' }), 'openaiCompatible');
  const hint = responsesUpgradeHint(
    { kind: 'no-responses', status: 404, detail: '', server: { kind: 'ollama', version: '0.12.0' } },
    { providerId: 'x', baseUrl: '' },
  );
  assert.equal(
    hint,
    `${RESPONSES_MIN_VERSIONS.ollama.what} (it reports version 0.12.0) serves the Responses API from ${RESPONSES_MIN_VERSIONS.ollama.minVersion} on`,
  );
  assert.match(
    responsesUpgradeHint({ kind: 'unreachable', detail: '' }, { providerId: 'vllm', baseUrl: '' }),
    new RegExp(RESPONSES_MIN_VERSIONS.vllm.minVersion.replace(/[()./]/g, '\\$&')),
  );
});
