// A hostile server in the real extension host: its model id and error bodies carry terminal escapes,
// a carriage return, a bidi override, a C1 control and HTML. What the extension gives VS Code for
// the status bar (text, accessible name, Markdown tooltip) holds none of it raw and no command link
// made from it; the route and the verification keep the exact id (it is what the server is sent).
// What the workbench renders from it (picker, notification, tooltip, report) is read in the UI
// suite: test/ui/hostile-server.ui.ts.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { sendJson, startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import type { LocalModelRouterApi } from '../../src/api';

const EXTENSION_ID = 'local-model-router.local-model-router';
const HOSTILE =
  'evil\u001b]0;pwned\u0007\u001b[2J\u001b[31mred\u001b[0m\r✔ all checks passed \u202egnp.exe\u009b31m<img src=x onerror=alert(1)>`[x](command:localModelRouter.clearRoute)`';
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/;

const config = () => vscode.workspace.getConfiguration('localModelRouter');

suite('hostile server: what the extension hands to VS Code', () => {
  let api: LocalModelRouterApi;
  let server: ScriptedServer;

  suiteSetup(async function () {
    this.timeout(60_000);
    server = await startScriptedServer({
      kind: 'generic',
      models: [{ id: HOSTILE, contextWindow: 65536 }],
      overrides: [
        (req, res, body) => {
          if (req.method !== 'POST' || (JSON.parse(body || '{}') as { max_output_tokens?: number }).max_output_tokens === 1) return false;
          sendJson(res, 500, { error: { message: `bad things happened: ${HOSTILE}`, type: 'server_error' } });
          return true;
        },
      ],
    });
    await config().update('discovery.refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
    await config().update(
      'openaiCompatible.endpoints',
      [{ label: 'Hostile box', baseUrl: server.baseUrl }],
      vscode.ConfigurationTarget.Global,
    );
    await config().update(
      'verify.skipStages',
      ['chat-completions', 'codex-shape', 'multi-turn', 'tool-types'],
      vscode.ConfigurationTarget.Global,
    );
    const ext = vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    await vscode.commands.executeCommand('localModelRouter.refresh');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of ['discovery.refreshIntervalSeconds', 'openaiCompatible.endpoints', 'verify.skipStages'])
      await config().update(k, undefined, vscode.ConfigurationTarget.Global);
    await server?.close();
  });

  test('the status bar text, its accessible name and its tooltip show the id escaped, with no link made from it', async () => {
    const r = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', {
      select: { baseUrl: server.baseUrl, model: HOSTILE },
    });
    assert.equal(r?.ok, true, JSON.stringify(r));
    assert.equal(api.activeRoute?.model, HOSTILE, 'the route keeps the exact id: it is what the server is sent');
    const v = api.statusBar;
    for (const [what, text] of [
      ['text', v.text],
      ['accessible name', v.accessibility],
      ['tooltip', v.tooltip],
    ])
      assert.doesNotMatch(text, RAW, `${what}: ${JSON.stringify(text)}`);
    assert.match(v.accessibility, /evil\\u001b\]0;pwned\\u0007/);
    assert.match(v.tooltip, /evil\\\\u001b/, 'the tooltip shows the escape as text (Markdown-escaped)');
    // The only command links are the tooltip's own actions.
    const links = [...v.tooltip.matchAll(/\]\(command:([^)]+)\)/g)].map(m => m[1]);
    assert.ok(!links.includes('localModelRouter.clearRoute'), `a link made from the id: ${links.join(', ')}`);
    assert.doesNotMatch(v.tooltip, /(?<!\\)<img/, 'HTML is escaped in the Markdown');
  });

  test('a verification keeps the exact id and reports the server failing', async function () {
    this.timeout(60_000);
    const report = await vscode.commands.executeCommand<{
      ok: boolean;
      model: string;
      stages: { status: string; diagnosis?: { message: string } }[];
    }>('localModelRouter.verifyRoute');
    assert.equal(report.ok, false);
    assert.equal(report.model, HOSTILE);
    assert.ok(
      report.stages.some(s => s.status === 'fail' && s.diagnosis?.message.includes('bad things happened')),
      JSON.stringify(report.stages),
    );
    assert.doesNotMatch(api.statusBar.tooltip, RAW);
  });
});
