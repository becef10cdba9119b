// The default Ollama model sized to this machine, in the real host: a scripted Ollama that lacks the
// recommended model; the picker shows the recommendation row with why; accepting it pulls the model
// through the pull command (NDJSON progress from /api/pull) and then the route is that model. The
// person's own choice wins: ollama.model is what is proposed, and a route already set gets no proposal.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import type { LocalModelRouterApi } from '../../src/api';
import type { PickResult } from '../../src/features/route/picker';
import { memoryTier } from '../../src/core/route/defaultModel';

const EXTENSION_ID = 'local-model-router.local-model-router';
const INSTALLED = 'llama3.2:1b';

const config = () => vscode.workspace.getConfiguration('localModelRouter');
async function set(key: string, value: unknown): Promise<void> {
  await config().update(key, value, vscode.ConfigurationTarget.Global);
}
const TOUCHED = [
  'discovery.refreshIntervalSeconds',
  'discovery.probeLlamaServerDefaultPort',
  'llamacpp.baseUrl',
  'ollama.baseUrl',
  'lmstudio.baseUrl',
  'vllm.baseUrl',
  'openaiCompatible.endpoints',
  'ollama.model',
];

const pickRecommended = (baseUrl: string) =>
  vscode.commands.executeCommand<PickResult>('localModelRouter.pickRoute', { select: { baseUrl, recommended: true } });

suite('recommend: the Ollama model sized to this machine, pulled when missing', () => {
  let api: LocalModelRouterApi;
  let ollama: ScriptedServer;
  /** Progress lines /api/pull streamed, per model. */
  const streamed = new Map<string, number>();
  // This machine's tier, as the extension host sees it (the same os module).
  const tier = memoryTier(os.totalmem()).model;

  suiteSetup(async function () {
    this.timeout(60_000);
    ollama = await startScriptedServer({
      kind: 'ollama',
      models: [{ id: INSTALLED, capabilities: ['completion', 'tools'] }],
      // Ollama's pull: NDJSON progress lines, then {"status":"success"}, after which the model is listed.
      overrides: [
        (req, res, body, server) => {
          if (req.method !== 'POST' || req.url !== '/api/pull') return false;
          const model = String((JSON.parse(body) as { model?: unknown }).model ?? '');
          res.writeHead(200, { 'content-type': 'application/x-ndjson' });
          const total = 13_800_000_000;
          const lines = [
            { status: 'pulling manifest' },
            ...[1, 2, 3, 4].map(i => ({
              status: 'pulling e7b273f96360',
              digest: 'sha256:e7b273f96360',
              total,
              completed: (total * i) / 4,
            })),
            { status: 'verifying sha256 digest' },
            { status: 'writing manifest' },
          ];
          let i = 0;
          const t = setInterval(() => {
            if (i < lines.length) {
              res.write(`${JSON.stringify(lines[i++])}\n`);
              streamed.set(model, i);
              return;
            }
            clearInterval(t);
            server.options.models?.push({ id: model, capabilities: ['completion', 'tools'] });
            res.end(`${JSON.stringify({ status: 'success' })}\n`);
          }, 60);
          return true;
        },
      ],
    });
    const closed = 'http://127.0.0.1:9';
    await set('discovery.refreshIntervalSeconds', 0);
    await set('discovery.probeLlamaServerDefaultPort', false);
    for (const p of ['llamacpp', 'lmstudio', 'vllm']) await set(`${p}.baseUrl`, closed);
    await set('ollama.baseUrl', ollama.baseUrl);
    await set('openaiCompatible.endpoints', []);
    await set('ollama.model', undefined);
    const ext = vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
  });

  setup(async () => {
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    await set('ollama.model', undefined);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of TOUCHED) await set(k, undefined);
    await ollama?.close();
  });

  test('no route: the row says which model fits this machine and why; accepting pulls it with progress, then the route is that model', async function () {
    this.timeout(60_000);
    const r = await pickRecommended(ollama.baseUrl);
    assert.ok(r?.ok, JSON.stringify(r));
    assert.equal(r.row?.label, `Recommended for this machine: ${tier}`);
    assert.match(r.row?.description ?? '', /^not installed — choose to pull it \(about \d+\.\d GB\) · http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const gib = os.totalmem() / 1024 ** 3;
    assert.match(
      r.row?.detail ?? '',
      new RegExp(
        `^${tier.replace('.', '\\.')}: this host has ${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB of memory \\(≥ 64 GiB: gpt-oss:120b, else gpt-oss:20b\\); it is not installed, so it must be pulled`,
      ),
    );
    assert.equal(r.pulled, true);
    assert.ok((streamed.get(tier) ?? 0) >= 5, `the pull streamed its progress lines: ${JSON.stringify([...streamed])}`);
    assert.equal(ollama.requests.filter(q => q.path === '/api/pull').length, 1);
    assert.equal(api.activeRoute?.model, tier);
    assert.equal(api.activeRoute?.baseUrl, ollama.baseUrl);
    assert.ok(
      ollama.requests.some(q => q.path === '/v1/responses' && (JSON.parse(q.body) as { model?: string }).model === tier),
      'the switch probe asked the pulled model',
    );
  });

  test('installed now: the same row needs no pull and just switches', async function () {
    this.timeout(30_000);
    const pulls = ollama.requests.filter(q => q.path === '/api/pull').length;
    const r = await pickRecommended(ollama.baseUrl);
    assert.ok(r?.ok, JSON.stringify(r));
    assert.match(r.row?.description ?? '', /^installed · /);
    assert.equal(r.pulled, false);
    assert.equal(ollama.requests.filter(q => q.path === '/api/pull').length, pulls);
  });

  test('ollama.model set in settings is what is recommended', async function () {
    this.timeout(30_000);
    await set('ollama.model', INSTALLED);
    const r = await pickRecommended(ollama.baseUrl);
    assert.ok(r?.ok, JSON.stringify(r));
    assert.equal(r.row?.label, `Recommended for this machine: ${INSTALLED}`);
    assert.match(r.row?.detail ?? '', /is your choice/);
    assert.equal(api.activeRoute?.model, INSTALLED);
  });

  test("a route already set gets no proposal: the user's choice is never replaced", async function () {
    this.timeout(30_000);
    const set1 = await vscode.commands.executeCommand<PickResult>('localModelRouter.pickRoute', {
      select: { baseUrl: ollama.baseUrl, model: INSTALLED },
    });
    assert.ok(set1?.ok, JSON.stringify(set1));
    const r = await pickRecommended(ollama.baseUrl);
    assert.deepEqual(r, { ok: false, reason: `No recommendation for ${ollama.baseUrl} in the picker.` });
    assert.equal(api.activeRoute?.model, INSTALLED);
  });
});
