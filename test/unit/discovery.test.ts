import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { discover, probeEndpoint } from '../../src/core/route/discovery';
import { startScriptedServer, sendJson, type ScriptedServer } from '../support/scripted-server';
import { freePort as closedPort } from '../support/ports';

const closers: (() => Promise<unknown>)[] = [];
after(() => Promise.all(closers.map(c => c())));
async function scripted(o: Parameters<typeof startScriptedServer>[0]): Promise<ScriptedServer> {
  const s = await startScriptedServer(o);
  closers.push(() => s.close());
  return s;
}

describe('discovery outcomes', () => {
  test('up: llama.cpp reports its model, the per-slot context from /props and its build', async () => {
    const s = await scripted({ kind: 'llamacpp', models: [{ id: 'local/model', contextWindow: 32768 }], version: 'b10438-abc' });
    const r = await probeEndpoint({ provider: 'llamacpp', baseUrl: s.baseUrl, source: 'default' });
    assert.equal(r.kind, 'up');
    assert.ok(r.kind === 'up');
    assert.deepEqual(r.server, { kind: 'llamacpp', version: 'b10438-abc' });
    assert.deepEqual(r.models, [{ id: 'local/model', contextWindow: 32768, contextSource: 'llamacpp-slot', tools: true }]);
    assert.ok(s.requests.some(q => q.path === '/props'));
  });

  test('up: Ollama context and tool support come from /api/show, version from /api/version', async () => {
    const s = await scripted({
      kind: 'ollama',
      version: '0.33.0',
      models: [
        { id: 'qwen3-coder:30b', contextWindow: 262144, capabilities: ['completion', 'tools'] },
        { id: 'gemma3:270m', contextWindow: 32768, capabilities: ['completion'] },
      ],
    });
    const r = await probeEndpoint({ provider: 'ollama', baseUrl: s.baseUrl, source: 'default' });
    assert.ok(r.kind === 'up');
    assert.equal(r.server.version, '0.33.0');
    assert.deepEqual(
      r.models.map(m => [m.id, m.contextWindow, m.tools]),
      [
        ['qwen3-coder:30b', 262144, true],
        ['gemma3:270m', 32768, false],
      ],
    );
  });

  test('up: vLLM max_model_len is the context window', async () => {
    const s = await scripted({ kind: 'vllm', models: [{ id: 'Qwen/Qwen3-Coder-30B', contextWindow: 40960 }] });
    const r = await probeEndpoint({ provider: 'vllm', baseUrl: s.baseUrl, source: 'default' });
    assert.ok(r.kind === 'up');
    assert.deepEqual(r.models, [{ id: 'Qwen/Qwen3-Coder-30B', contextWindow: 40960, contextSource: 'vllm-max-model-len' }]);
    assert.equal(r.server.kind, 'vllm');
  });

  test('up with no models: Ollama answers "data": null', async () => {
    const s = await scripted({ kind: 'ollama', models: [] });
    const raw = await fetch(`${s.baseUrl}/models`).then(r => r.text());
    assert.match(raw, /"data":null/);
    const r = await probeEndpoint({ provider: 'ollama', baseUrl: s.baseUrl, source: 'default' });
    assert.ok(r.kind === 'up');
    assert.deepEqual(r.models, []);
  });

  test('loading: llama.cpp answers 503 "Loading model"', async () => {
    const s = await scripted({ kind: 'llamacpp', models: [{ id: 'm' }], loadingMs: 60_000 });
    const r = await probeEndpoint({ provider: 'llamacpp', baseUrl: s.baseUrl, source: 'default' });
    assert.equal(r.kind, 'loading');
    assert.ok(r.kind === 'loading' && r.message === 'Loading model');
  });

  test('down: connection refused, quickly', async () => {
    const port = await closedPort();
    const r = await probeEndpoint({ provider: 'vllm', baseUrl: `http://127.0.0.1:${port}/v1`, source: 'default' });
    assert.equal(r.kind, 'down');
    assert.ok(r.ms < 200, `took ${r.ms} ms`);
  });

  test('timeout: a server that never answers is cut at the budget', async () => {
    const s = await scripted({ kind: 'generic', models: [{ id: 'm' }], latencyMs: 5_000 });
    const t0 = Date.now();
    const r = await probeEndpoint({ provider: 'openaiCompatible', baseUrl: s.baseUrl, source: 'extra' }, { timeoutMs: 300 });
    assert.equal(r.kind, 'timeout');
    assert.ok(Date.now() - t0 < 1_500, `took ${Date.now() - t0} ms`);
  });

  test('unauthorized: vLLM with --api-key answers 401 {"error":"Unauthorized"} until the key is sent', async () => {
    const v = await scripted({ kind: 'vllm', models: [{ id: 'm' }], apiKey: 'sekret' });
    const r = await probeEndpoint({ provider: 'vllm', baseUrl: v.baseUrl, source: 'default' });
    assert.ok(r.kind === 'unauthorized' && r.status === 401 && r.message === 'Unauthorized', JSON.stringify(r));
    const ok = await probeEndpoint({ provider: 'vllm', baseUrl: v.baseUrl, source: 'default', apiKey: 'sekret' });
    assert.equal(ok.kind, 'up');
    assert.equal(v.requests.at(-1)?.headers.authorization, 'Bearer sekret');
  });

  test('error: a 500 carries status and the server message; a non-JSON 200 is an error, not a crash', async () => {
    const s = await scripted({
      kind: 'generic',
      overrides: [(_q, res) => (sendJson(res, 500, { error: { message: 'boom', type: 'server_error', code: 500 } }), true)],
    });
    const r = await probeEndpoint({ provider: 'openaiCompatible', baseUrl: s.baseUrl, source: 'extra' });
    assert.deepEqual([r.kind, r.kind === 'error' && r.status, r.kind === 'error' && r.message], ['error', 500, 'boom']);
    const t = await scripted({
      kind: 'generic',
      overrides: [(_q, res) => (res.writeHead(200, { 'content-type': 'text/html' }), res.end('<html>hi</html>'), true)],
    });
    const r2 = await probeEndpoint({ provider: 'openaiCompatible', baseUrl: t.baseUrl, source: 'extra' });
    assert.ok(r2.kind === 'error' && /did not return JSON/.test(r2.message));
  });

  test('error: a redirect is reported, never followed', async () => {
    const target = await scripted({ kind: 'generic', models: [{ id: 'elsewhere' }] });
    const s = await scripted({
      kind: 'generic',
      overrides: [(_q, res) => (res.writeHead(302, { location: `${target.baseUrl}/models` }), res.end(), true)],
    });
    const r = await probeEndpoint({ provider: 'openaiCompatible', baseUrl: s.baseUrl, source: 'extra', apiKey: 'k' });
    assert.ok(r.kind === 'error' && r.status === 302 && /not followed/.test(r.message));
    assert.equal(target.requests.length, 0);
  });

  test('error: bodies are capped', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024);
    const s = await scripted({ kind: 'generic', overrides: [(_q, res) => (sendJson(res, 200, { data: [{ id: big }] }), true)] });
    const r = await probeEndpoint({ provider: 'openaiCompatible', baseUrl: s.baseUrl, source: 'extra' });
    assert.ok(r.kind === 'error' && /exceeded/.test(r.message), JSON.stringify(r).slice(0, 200));
  });
});

describe('discover', () => {
  test('probes in parallel: five slow endpoints take about one latency, not five', async () => {
    const servers = await Promise.all([0, 1, 2, 3, 4].map(() => scripted({ kind: 'generic', models: [{ id: 'm' }], latencyMs: 150 })));
    const t0 = Date.now();
    const res = await discover(
      servers.map(s => ({ provider: 'openaiCompatible' as const, baseUrl: s.baseUrl, source: 'extra' as const })),
      { timeoutMs: 2_000 },
    );
    const ms = Date.now() - t0;
    assert.deepEqual(
      res.map(r => r.result.kind),
      ['up', 'up', 'up', 'up', 'up'],
    );
    assert.ok(ms < 5 * 150, `took ${ms} ms`);
  });
  test('the same URL is probed once', async () => {
    const s = await scripted({ kind: 'generic', models: [{ id: 'm' }] });
    const res = await discover([
      { provider: 'openaiCompatible', baseUrl: s.baseUrl, source: 'extra' },
      { provider: 'llamacpp', baseUrl: s.baseUrl, source: 'default' },
    ]);
    assert.equal(res.length, 1);
  });
  test('cancellation stops every probe', async () => {
    const s = await scripted({ kind: 'generic', models: [{ id: 'm' }], latencyMs: 5_000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const t0 = Date.now();
    const [r] = await discover([{ provider: 'openaiCompatible', baseUrl: s.baseUrl, source: 'extra' }], {
      timeoutMs: 10_000,
      signal: ac.signal,
    });
    assert.ok(Date.now() - t0 < 1_000);
    assert.notEqual(r.result.kind, 'up');
  });
});
