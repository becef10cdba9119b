// Discovery (`local-model-router discover --json`, the same probe the picker and status bar use) on
// real llama-servers that Start Server's path launched: the endpoint found from the same settings, the
// real n_ctx from /v1/models and /props, the server's build from /props, and tool support from the
// template it really runs (/props chat_template_caps) — the model's own template (tools), and
// `--chat-template chatml` (none: issue 16, finding 1, "discovery shows tools as unknown").
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALIAS, cli, launch, real, skipReal, tempDir, type Launched } from '../support/real-route';

interface Endpoint {
  provider: string;
  baseUrl: string;
  source: string;
  state: string;
  server?: { kind: string; version?: string };
  models?: { id: string; contextWindow: number | null; contextSource: string | null; tools: boolean | null }[];
}

async function discover(s: Launched): Promise<Endpoint> {
  const file = join(tempDir('discover'), 'settings.json');
  // The settings the server was started from: discovery looks where Start Server made it listen.
  writeFileSync(file, JSON.stringify({ ...s.settingsJson, 'localModelRouter.discovery.probeLlamaServerDefaultPort': false }));
  const r = await cli(['discover', '--json', '--settings', file, '--timeout-ms', '5000'], { HOME: tempDir('home') });
  assert.equal(r.code, 0, r.out + r.err);
  const found = (JSON.parse(r.out) as { endpoints: Endpoint[] }).endpoints.find(e => e.baseUrl === s.baseUrl);
  assert.ok(found, `${s.baseUrl} in ${r.out}`);
  return found;
}

describe('discovery on the real llama-server', { skip: skipReal, timeout: 120_000 }, () => {
  const servers: Launched[] = [];
  let own: Launched;
  let chatml: Launched;
  before(async () => {
    [own, chatml] = await Promise.all([
      launch({ model: 'tiny-tools', settings: { 'llamacpp.threads': 2, 'llamacpp.contextSize': 8192 } }),
      launch({ model: 'tiny-tools', settings: { 'llamacpp.threads': 2, 'llamacpp.contextSize': 4096, 'llamacpp.chatTemplate': 'chatml' } }),
    ]);
    servers.push(own, chatml);
  });
  after(async () => {
    await Promise.all(servers.map(s => s.stop()));
  });

  test("the model's own template: up, llama.cpp with its build, the real n_ctx, tools: yes", async () => {
    assert.equal(own.plan.chatTemplate?.kind, 'model');
    const e = await discover(own);
    assert.equal(e.provider, 'llamacpp');
    assert.equal(e.state, 'up');
    assert.deepEqual(e.server, { kind: 'llamacpp', version: real.ok ? real.buildInfo : '' }, '/props build_info, as --version reports it');
    assert.deepEqual(e.models, [{ id: ALIAS, contextWindow: 8192, contextSource: 'llamacpp-slot', tools: true }]);
  });

  test('--chat-template chatml: the same model, tools: no (its template has no tool support)', async () => {
    assert.ok(chatml.command.args.join(' ').includes('--chat-template chatml'));
    const e = await discover(chatml);
    assert.equal(e.state, 'up');
    assert.deepEqual(e.models, [{ id: ALIAS, contextWindow: 4096, contextSource: 'llamacpp-slot', tools: false }]);
  });
});
