// The route bridge in the real host: Start Route Bridge serves Codex's Responses API and Claude
// Code's Messages API on 127.0.0.1 over the active route's server, asking that server only for chat
// completions; its terminal names the URL and logs each request; a foreign Host is refused; Stop
// Route Bridge (or closing its terminal) stops it and the port no longer answers.
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import * as vscode from 'vscode';
import { notFound, startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import type { VerifyReport } from '../../src/core/verify/types';
import type { LocalModelRouterApi } from '../../src/api';

const EXTENSION_ID = 'local-model-router.local-model-router';
const MODEL = 'local/chat-only';
const config = () => vscode.workspace.getConfiguration('localModelRouter');

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      res => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

suite("bridge: Start Route Bridge serves the agents over the route's chat completions", () => {
  let server: ScriptedServer;
  let api: LocalModelRouterApi;

  suiteSetup(async function () {
    this.timeout(60_000);
    server = await startScriptedServer({ kind: 'generic', models: [{ id: MODEL, contextWindow: 32_768 }] });
    await config().update('discovery.refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
    await config().update(
      'openaiCompatible.endpoints',
      [{ label: 'Chat only', baseUrl: server.baseUrl }],
      vscode.ConfigurationTarget.Global,
    );
    const ext = vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    await vscode.commands.executeCommand('localModelRouter.refresh');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('localModelRouter.stopBridge');
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of ['discovery.refreshIntervalSeconds', 'openaiCompatible.endpoints'])
      await config().update(k, undefined, vscode.ConfigurationTarget.Global);
    await server?.close();
  });

  test('without a route it asks to pick one and starts nothing', async () => {
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    const r = await vscode.commands.executeCommand<{ ok: boolean; reason?: string }>('localModelRouter.startBridge');
    assert.deepEqual(r, { ok: false, reason: 'no route' });
    assert.ok(!vscode.window.terminals.some(t => t.name.startsWith('Route Bridge')));
  });

  test('a streamed Codex turn and a Claude Code turn through the bridge reach only /v1/chat/completions; a foreign Host is refused; Stop ends it and closes its terminal', async function () {
    this.timeout(60_000);
    const picked = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', {
      select: { baseUrl: server.baseUrl, model: MODEL },
    });
    assert.equal(picked?.ok, true, JSON.stringify(picked));
    assert.equal(api.activeRoute?.model, MODEL);
    const started = await vscode.commands.executeCommand<{ ok: boolean; url: string }>('localModelRouter.startBridge');
    assert.equal(started?.ok, true, JSON.stringify(started));
    assert.match(started.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const terminal = vscode.window.terminals.find(t => t.name === `Route Bridge · ${MODEL}`);
    assert.ok(terminal, vscode.window.terminals.map(t => t.name).join(', '));
    // Starting again for the same route reuses it.
    const again = await vscode.commands.executeCommand<{ ok: boolean; url: string }>('localModelRouter.startBridge');
    assert.equal(again.url, started.url);

    const before = server.requests.length;
    const codex = await post(`${started.url}/responses`, {
      model: MODEL,
      instructions: 'You are a coding agent.',
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Reply with exactly: LOCAL-OK' }] }],
      stream: true,
    });
    assert.equal(codex.status, 200, codex.text);
    assert.match(codex.text, /event: response\.created/);
    assert.match(codex.text, /event: response\.completed/);
    const claude = await post(`${started.url}/messages`, {
      model: MODEL,
      max_tokens: 64,
      system: 'You are Claude Code.',
      messages: [{ role: 'user', content: 'Reply with exactly: LOCAL-OK' }],
      stream: true,
    });
    assert.equal(claude.status, 200, claude.text);
    assert.match(claude.text, /event: message_start/);
    assert.match(claude.text, /event: message_stop/);
    const paths = server.requests.slice(before).map(q => `${q.method} ${q.path}`);
    assert.deepEqual(paths, ['POST /v1/chat/completions', 'POST /v1/chat/completions'], 'the server saw chat completions only');

    // A web page that rebinds its name to 127.0.0.1 sends that name as Host: refused.
    const rebound = await post(`${started.url}/responses`, { model: MODEL, input: 'x' }, { host: 'evil.example' });
    assert.equal(rebound.status, 403, rebound.text);
    assert.equal(server.requests.length, before + 2, 'nothing reached the server');

    const stopped = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.stopBridge');
    assert.equal(stopped?.ok, true);
    await assert.rejects(post(`${started.url}/responses`, { model: MODEL, input: 'x' }), /ECONNREFUSED/);
    const end = Date.now() + 5_000;
    while (vscode.window.terminals.some(t => t.name === `Route Bridge · ${MODEL}`) && Date.now() < end)
      await new Promise(r => setTimeout(r, 100));
    assert.ok(!vscode.window.terminals.some(t => t.name === `Route Bridge · ${MODEL}`), 'its terminal closed');
  });

  test('closing its terminal stops the bridge', async function () {
    this.timeout(30_000);
    const started = await vscode.commands.executeCommand<{ ok: boolean; url: string }>('localModelRouter.startBridge');
    assert.equal(started?.ok, true, JSON.stringify(started));
    const terminal = vscode.window.terminals.find(t => t.name === `Route Bridge · ${MODEL}`);
    assert.ok(terminal);
    terminal.dispose();
    const end = Date.now() + 5_000;
    let refused = false;
    while (!refused && Date.now() < end) {
      refused = await post(`${started.url}/responses`, { model: MODEL, input: 'x' }).then(
        () => false,
        (e: Error) => /ECONNREFUSED/.test(e.message),
      );
      if (!refused) await new Promise(r => setTimeout(r, 100));
    }
    assert.ok(refused, 'the port no longer answers');
  });

  test('Verify Route on a server without /v1/responses: fails direct, and the report shows it passing through the bridge', async function () {
    this.timeout(60_000);
    const chatOnly = await startScriptedServer({
      kind: 'generic',
      models: [{ id: MODEL, contextWindow: 32_768 }],
      overrides: [
        (req, res) => {
          if ((req.url ?? '').split('?')[0] !== '/v1/responses') return false;
          notFound('generic', res);
          return true;
        },
      ],
    });
    try {
      const route = { provider: 'openaiCompatible', baseUrl: chatOnly.baseUrl, model: MODEL };
      const report = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute', { route, agent: 'codex' });
      assert.equal(report.ok, false);
      assert.ok(
        report.stages.some(st => st.diagnosis?.code === 'responses-api-missing'),
        JSON.stringify(report.stages.map(st => st.id)),
      );
      assert.equal(report.throughBridge?.ok, true, JSON.stringify(report.throughBridge));
      assert.deepEqual(report.throughBridge?.repairs, ['responses-api-missing']);
      assert.ok(
        chatOnly.requests.some(q => q.path === '/v1/chat/completions'),
        'the bridge asked the server for chat completions',
      );
    } finally {
      await chatOnly.close();
    }
  });
});
