// Discovery (the picker, the status bar) and the verifier read a server's context window and its
// template's tool support from the same answers by one rule (core/serverFacts.ts): on each kind of
// server they must report the same numbers, or the picker and the report would disagree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startScriptedServer, type ScriptedServerOptions } from '../support/scripted-server';
import { probeEndpoint } from '../../src/core/route/discovery';
import { verifyRoute } from '../../src/core/codex/verify/index';
import { CODEX_STAGE_IDS } from '../../src/core/verify/types';
import type { ProviderId } from '../../src/core/providers';

const ONLY_MODELS = CODEX_STAGE_IDS.filter(id => id !== 'models');

const CASES: { name: string; provider: ProviderId; server: ScriptedServerOptions; tools?: boolean }[] = [
  {
    name: 'llama.cpp (slot context from /props)',
    provider: 'llamacpp',
    server: { kind: 'llamacpp', models: [{ id: 'm', contextWindow: 24_576 }] },
    tools: true,
  },
  {
    name: 'llama.cpp with a template without tools',
    provider: 'llamacpp',
    server: { kind: 'llamacpp', template: 'chatml', models: [{ id: 'm', contextWindow: 8_192 }] },
    tools: false,
  },
  { name: 'vLLM (max_model_len)', provider: 'vllm', server: { kind: 'vllm', models: [{ id: 'm', contextWindow: 32_768 }] } },
];

for (const c of CASES)
  test(`discovery and the verifier agree on the context window and tool support: ${c.name}`, async () => {
    const s = await startScriptedServer(c.server);
    try {
      const probe = await probeEndpoint({ provider: c.provider, baseUrl: s.baseUrl, source: 'default' });
      assert.equal(probe.kind, 'up');
      const listed = probe.kind === 'up' ? probe.models.find(m => m.id === 'm') : undefined;
      assert.ok(listed?.contextWindow, 'discovery read a context window');
      const report = await verifyRoute({ baseUrl: s.baseUrl, model: 'm', skip: ONLY_MODELS, timeoutMs: 5_000 });
      const models = report.stages.find(x => x.id === 'models');
      assert.equal(models?.metrics?.contextWindow, listed.contextWindow, 'the same context window');
      assert.equal(c.server.models?.[0].contextWindow, listed.contextWindow, "the server's own number");
      if (c.tools !== undefined) {
        assert.equal(listed.tools, c.tools, 'discovery: tool support as the template says');
        assert.equal(/no tool support/.test(models?.summary ?? ''), !c.tools, 'the verifier: the same');
      }
    } finally {
      await s.close();
    }
  });
