// Plain http to another host, in the real host: scripted servers bound to a non-loopback address of
// this machine (os.networkInterfaces()), so the URLs are truly "remote" to the extension while the
// traffic stays on this machine. The question comes before the route switch's probe and before a
// verification (pre-answered through `answers`), once per URL; discovery probes /models there
// without the stored key until the person said yes.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as vscode from 'vscode';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import type { LocalModelRouterApi } from '../../src/api';
import type { EndpointProbe } from '../../src/core/route/discovery';
import type { PickResult } from '../../src/features/route/picker';
import type { VerifyReport } from '../../src/core/verify/types';

const EXTENSION_ID = 'local-model-router.local-model-router';
const KEY = 'sk-lan-test';

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
  'verify.skipStages',
];

/** A non-internal IPv4 address of this machine, if it has one. */
function lanAddress(): string | undefined {
  return Object.values(os.networkInterfaces())
    .flat()
    .find(a => a && a.family === 'IPv4' && !a.internal)?.address;
}

const pick = (baseUrl: string, model: string, plainHttp: 'send' | 'cancel') =>
  vscode.commands.executeCommand<PickResult>('localModelRouter.pickRoute', { select: { baseUrl, model }, answers: { plainHttp } });
const prompts = (s: ScriptedServer) => s.requests.filter(r => r.method === 'POST').length;

suite('plainHttp: another host over plain http is asked about once per URL', () => {
  let api: LocalModelRouterApi;
  let open: ScriptedServer;
  let keyed: ScriptedServer;

  suiteSetup(async function () {
    this.timeout(60_000);
    const ip = lanAddress();
    if (!ip) {
      console.log(
        '  plainHttp suite skipped: this machine has no non-loopback IPv4 address to bind a "remote" server to (the decision itself is unit-tested in test/unit/remote-endpoints.test.ts)',
      );
      return this.skip();
    }
    open = await startScriptedServer({ kind: 'generic', host: ip, models: [{ id: 'lan-model' }] });
    keyed = await startScriptedServer({ kind: 'generic', host: ip, apiKey: KEY, models: [{ id: 'keyed-model' }] });
    const closed = 'http://127.0.0.1:9';
    await set('discovery.refreshIntervalSeconds', 0);
    await set('discovery.probeLlamaServerDefaultPort', false);
    for (const p of ['llamacpp', 'ollama', 'lmstudio', 'vllm']) await set(`${p}.baseUrl`, closed);
    await set('openaiCompatible.endpoints', [
      { label: 'LAN box', baseUrl: open.baseUrl },
      { label: 'Keyed LAN box', baseUrl: keyed.baseUrl },
    ]);
    await set('verify.skipStages', ['chat-completions', 'codex-shape']);
    const ext = vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    await vscode.commands.executeCommand('localModelRouter.setApiKey', keyed.baseUrl, KEY);
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
  });

  suiteTeardown(async () => {
    if (!open) return;
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    await vscode.commands.executeCommand('localModelRouter.setApiKey', keyed.baseUrl, '');
    for (const k of TOUCHED) await set(k, undefined);
    await Promise.all([open.close(), keyed.close()]);
  });

  test('the switch asks before its probe: a no sends nothing; a yes sends; the next switch does not ask again', async function () {
    this.timeout(30_000);
    assert.match(open.baseUrl, /^http:\/\/(?!127\.)\d+\.\d+\.\d+\.\d+:\d+\/v1$/);
    const no = await pick(open.baseUrl, 'lan-model', 'cancel');
    assert.deepEqual(no && { ok: no.ok, code: !no.ok && no.code }, { ok: false, code: 'plain-http-declined' }, JSON.stringify(no));
    assert.equal(prompts(open), 0, 'no prompt went out');
    assert.equal(api.activeRoute, undefined);

    const yes = await pick(open.baseUrl, 'lan-model', 'send');
    assert.equal(yes?.ok, true, JSON.stringify(yes));
    assert.equal(prompts(open), 1, 'the switch probe went out after the yes');
    assert.equal(api.statusBar.text, '$(server-process) $(remote) LAN box · lan-model');
    assert.match(api.statusBar.tooltip, /over plain http — not encrypted/);
    assert.match(yes?.row?.description ?? '', /over plain http — not encrypted/);

    // Asked once per URL: a "no" given in advance is not consulted any more.
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    const again = await pick(open.baseUrl, 'lan-model', 'cancel');
    assert.equal(again?.ok, true, JSON.stringify(again));
    assert.equal(prompts(open), 2);
  });

  test('discovery probes without the stored key until approved; Verify asks first; afterwards the key goes with every request', async function () {
    this.timeout(60_000);
    const probe = (ps: EndpointProbe[]) => ps.find(p => p.baseUrl === keyed.baseUrl);
    const before = probe(await vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh'));
    assert.equal(before?.result.kind, 'unauthorized', JSON.stringify(before));
    assert.equal(before?.keyWithheld, true);
    assert.ok(keyed.requests.length > 0 && keyed.requests.every(r => r.headers.authorization === undefined), 'the key was never sent');

    const route = { provider: 'openaiCompatible', baseUrl: keyed.baseUrl, model: 'keyed-model' };
    const declined = await vscode.commands.executeCommand<VerifyReport | undefined>('localModelRouter.verifyRoute', route, {
      answers: { plainHttp: 'cancel' },
    });
    assert.equal(declined, undefined);
    assert.equal(prompts(keyed), 0, 'Verify sent nothing');

    const report = await vscode.commands.executeCommand<VerifyReport | undefined>('localModelRouter.verifyRoute', route, {
      answers: { plainHttp: 'send' },
    });
    assert.equal(report?.ok, true, JSON.stringify(report?.stages.map(s => [s.id, s.status, s.summary])));
    assert.ok(keyed.requests.some(r => r.method === 'POST' && r.headers.authorization === `Bearer ${KEY}`));

    const after = probe(await vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh'));
    assert.equal(after?.result.kind, 'up', JSON.stringify(after));
    assert.equal(after?.keyWithheld, undefined);
  });
});
