// Verification decides whether the route bridge helps, and proves it: on a server without the
// agent's API the direct verdict fails with the missing API; the same verification through the
// bridge (started for it on a free loopback port, stopped afterwards) passes, and the report shows
// both. A route the bridge cannot help gets no second run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startScriptedServer, notFound, type ScriptedServerOptions } from '../support/scripted-server';
import { verifyForAgent } from '../../src/core/agentVerify';
import { bridgeRepairsFor } from '../../src/core/bridge/decide';
import { verifyThroughBridge } from '../../src/core/bridge/verifyThrough';
import { renderText } from '../../src/core/verify/report';
import type { AgentId } from '../../src/core/agents';

/** A chat-completions-only server, as mlx_lm.server and llama-cpp-python are: the agents' own APIs answer 404. */
const chatOnly: ScriptedServerOptions = {
  kind: 'vllm',
  models: [{ id: 'm', contextWindow: 65_536 }],
  overrides: [
    (req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/v1/responses' && !path.startsWith('/v1/messages')) return false;
      notFound('vllm', res);
      return true;
    },
  ],
};

for (const [agent, missing] of [
  ['codex', 'responses-api-missing'],
  ['claude', 'messages-api-missing'],
] as [AgentId, string][])
  test(`${agent}: no ${missing === 'responses-api-missing' ? '/v1/responses' : '/v1/messages'} → fails direct, passes through the bridge, and the report says both`, async () => {
    const s = await startScriptedServer(chatOnly);
    try {
      const input = { baseUrl: s.baseUrl, model: 'm', timeoutMs: 10_000, contextWindow: 65_536 };
      const direct = await verifyForAgent(agent, input);
      assert.equal(direct.ok, false);
      assert.deepEqual(bridgeRepairsFor(direct), [missing]);
      const before = s.requests.length;
      const through = await verifyThroughBridge(agent, input, direct);
      assert.ok(through, 'verified again through the bridge');
      assert.equal(through.ok, true, JSON.stringify(through, null, 1));
      assert.deepEqual(through.repairs, [missing]);
      const asked = new Set(s.requests.slice(before).map(r => r.path));
      assert.ok(asked.has('/v1/chat/completions'), [...asked].join(', '));
      assert.ok(!asked.has('/v1/responses') && !asked.has('/v1/messages'), [...asked].join(', '));
      const text = renderText({ ...direct, throughBridge: through });
      assert.match(text, /Through the route bridge \(Start Route Bridge\): passed — the bridge repairs/);
    } finally {
      await s.close();
    }
  });

test('a route that passes, or fails on something the bridge does not repair, is not verified again', async () => {
  const s = await startScriptedServer({ kind: 'vllm', models: [{ id: 'm', contextWindow: 65_536 }] });
  try {
    const input = { baseUrl: s.baseUrl, model: 'm', timeoutMs: 10_000 };
    const ok = await verifyForAgent('codex', input);
    assert.equal(ok.ok, true);
    assert.equal(await verifyThroughBridge('codex', input, ok), undefined);
    // A key the server wants and the route does not send: the bridge cannot help.
    const keyed = await startScriptedServer({ kind: 'vllm', apiKey: 'k', models: [{ id: 'm' }] });
    try {
      const refused = await verifyForAgent('codex', { ...input, baseUrl: keyed.baseUrl });
      assert.equal(refused.ok, false);
      assert.deepEqual(bridgeRepairsFor(refused), []);
      assert.equal(await verifyThroughBridge('codex', { ...input, baseUrl: keyed.baseUrl }, refused), undefined);
    } finally {
      await keyed.close();
    }
  } finally {
    await s.close();
  }
});

/** A server with the Responses API only: chat completions and the Messages API answer 404. */
const responsesOnly: ScriptedServerOptions = {
  kind: 'vllm',
  models: [{ id: 'm', contextWindow: 65_536 }],
  overrides: [
    (req, res) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/v1/chat/completions' && !path.startsWith('/v1/messages')) return false;
      notFound('vllm', res);
      return true;
    },
  ],
};

test('claude: only /v1/responses → fails direct, passes through the bridge with its Messages side over the Responses API', async () => {
  const s = await startScriptedServer(responsesOnly);
  try {
    const input = { baseUrl: s.baseUrl, model: 'm', timeoutMs: 10_000, contextWindow: 65_536 };
    const direct = await verifyForAgent('claude', input);
    assert.equal(direct.ok, false);
    assert.deepEqual(bridgeRepairsFor(direct), ['messages-api-missing']);
    const before = s.requests.length;
    const through = await verifyThroughBridge('claude', input, direct);
    assert.ok(through, 'verified again through the bridge');
    assert.equal(through.ok, true, JSON.stringify(through, null, 1));
    assert.equal(through.upstreamApi, 'responses');
    const asked = s.requests.slice(before);
    // What the server has was asked first (two empty bodies, nothing generated), then only /v1/responses.
    const probes = asked.filter(r => r.body === '{}');
    assert.deepEqual(
      probes.map(r => r.path),
      ['/v1/chat/completions', '/v1/responses'],
    );
    const bridged = new Set(asked.filter(r => r.body !== '{}' && r.method === 'POST').map(r => r.path));
    assert.deepEqual([...bridged], ['/v1/responses']);
    const text = renderText({ ...direct, throughBridge: through });
    assert.match(
      text,
      /Through the route bridge \(Start Route Bridge\): passed — the bridge repairs messages-api-missing over the server's \/v1\/responses, translated/,
    );
  } finally {
    await s.close();
  }
});
