// "Verify Route" in the real host: the command verifies the active route against scripted servers,
// returns the report, shows it in a webview, sets the status bar (verified / failing), and a fix
// acts on the server that failed — for a server started elsewhere, the flag to copy and no setting.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import { contextBrain, rejectNonFunctionToolsBrain } from '../support/behaviours';
import type { LocalModelRouterApi } from '../../src/api';
import type { VerifyReport } from '../../src/core/verify/types';
import type { FixOutcome } from '../../src/features/verify/fixes';

const EXTENSION_ID = 'local-model-router.local-model-router';
type PickResult = { ok: true } | { ok: false; reason: string } | undefined;

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
  'llamacpp.contextSize',
  'codex.disableNonFunctionTools',
];

/** Waits (the tab model updates asynchronously) for the report's webview tab; returns the tabs seen otherwise. */
async function reportTab(model: string): Promise<true | string> {
  const labels = () =>
    vscode.window.tabGroups.all.flatMap(g =>
      g.tabs.map(
        t =>
          `${t.label} [${t.input?.constructor?.name ?? typeof t.input}${t.input instanceof vscode.TabInputWebview ? ` ${t.input.viewType}` : ''}]`,
      ),
    );
  for (let i = 0; i < 50; i++) {
    if (
      vscode.window.tabGroups.all.some(g =>
        g.tabs.some(
          t =>
            t.input instanceof vscode.TabInputWebview &&
            t.input.viewType.endsWith('localModelRouter.verifyReport') &&
            t.label === `Verify: ${model}`,
        ),
      )
    )
      return true;
    await new Promise(r => setTimeout(r, 100));
  }
  return labels().join(', ') || '(no tabs)';
}

async function pick(baseUrl: string, model: string): Promise<void> {
  const r = await vscode.commands.executeCommand<PickResult>('localModelRouter.pickRoute', { select: { baseUrl, model } });
  assert.equal(r?.ok, true, JSON.stringify(r));
}

suite('verify: Verify Route command, report, status bar, fixes', () => {
  let api: LocalModelRouterApi;
  let healthy: ScriptedServer;
  let small: ScriptedServer;
  let oldLlama: ScriptedServer;

  suiteSetup(async function () {
    this.timeout(60_000);
    healthy = await startScriptedServer({ kind: 'llamacpp', models: [{ id: 'local/model', contextWindow: 32768 }] });
    // A llama.cpp whose context (2048) cannot hold a Codex turn; small requests still work.
    small = await startScriptedServer({
      kind: 'llamacpp',
      models: [{ id: 'small/model', contextWindow: 2048 }],
      brain: contextBrain(2048, 'llamacpp-newest'),
    });
    oldLlama = await startScriptedServer({
      kind: 'llamacpp',
      models: [{ id: 'old/model', contextWindow: 32768 }],
      brain: rejectNonFunctionToolsBrain(),
    });
    const closed = 'http://127.0.0.1:9';
    await set('discovery.refreshIntervalSeconds', 0);
    await set('discovery.probeLlamaServerDefaultPort', false);
    await set('llamacpp.baseUrl', healthy.baseUrl);
    await set('ollama.baseUrl', closed);
    await set('lmstudio.baseUrl', closed);
    await set('vllm.baseUrl', closed);
    await set('openaiCompatible.endpoints', [
      { label: 'Small box', baseUrl: small.baseUrl },
      { label: 'Old llama', baseUrl: oldLlama.baseUrl },
    ]);
    await set('verify.skipStages', ['chat-completions']);
    await set('codex.disableNonFunctionTools', 'auto');
    const ext = vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    await vscode.commands.executeCommand('localModelRouter.refresh');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of TOUCHED) await set(k, undefined);
    await Promise.all([healthy?.close(), small?.close(), oldLlama?.close()]);
  });

  test('a healthy route: every stage passes, the report opens, the status bar says verified', async function () {
    this.timeout(60_000);
    await pick(healthy.baseUrl, 'local/model');
    const before = healthy.requests.length;
    const report = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute');
    assert.ok(report, 'the command returns the report');
    assert.equal(report.ok, true, JSON.stringify(report.stages, null, 1));
    assert.deepEqual(
      report.stages.map(s => [s.id, s.status]),
      [
        ['models', 'pass'],
        ['responses-text', 'pass'],
        ['responses-stream', 'pass'],
        ['tool-call', 'pass'],
        ['codex-shape', 'pass'],
        ['multi-turn', 'pass'],
        ['tool-types', 'pass'],
        ['chat-completions', 'skip'],
      ],
    );
    assert.ok(healthy.requests.length - before >= 14, 'the stages really reached the server');
    assert.match(
      report.headline ?? '',
      /^Codex here can answer, run commands through tools, keep going across turns and use MCP tools; first prompt ≈/,
    );
    assert.equal(api.health.kind, 'verified');
    assert.match(api.statusBar.text, /^\$\(pass-filled\) llama\.cpp · local\/model/);
    assert.equal(api.statusBar.background, 'none');
    assert.equal(await reportTab('local/model'), true, 'the report webview is open');
  });

  test('a context too small on a server started elsewhere: the stage fails, the status bar says failing, the fix copies the flag and writes no setting', async function () {
    this.timeout(60_000);
    await pick(small.baseUrl, 'small/model');
    const report = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute');
    assert.equal(report.ok, false);
    const stage = report.stages.find(s => s.id === 'codex-shape');
    assert.equal(stage?.status, 'fail');
    assert.equal(stage?.diagnosis?.code, 'context-too-small');
    assert.equal(api.health.kind, 'failing');
    assert.equal(api.statusBar.background, 'warning');
    assert.match(api.statusBar.text, /^\$\(warning\)/);
    assert.equal(await reportTab('small/model'), true);

    const fix = stage.diagnosis.fix;
    assert.ok(fix && fix.kind === 'changeServer' && fix.change.what === 'context', JSON.stringify(fix));
    const before = JSON.stringify(config().inspect('llamacpp'));
    await vscode.env.clipboard.writeText('');
    const outcome = await vscode.commands.executeCommand<FixOutcome>('localModelRouter.applyFix', fix, {
      provider: 'openaiCompatible',
      baseUrl: small.baseUrl,
      model: 'small/model',
      serverKind: report.serverKind,
    });
    assert.equal(outcome.applied, false, 'nothing of ours started it: the fix cannot restart it');
    assert.match(outcome.detail, /--ctx-size \d+/);
    assert.equal(await vscode.env.clipboard.readText(), `--ctx-size ${fix.change.tokens}`, 'the exact flag is on the clipboard');
    assert.equal(config().inspect('llamacpp.contextSize')?.globalValue, undefined, 'no setting was written');
    assert.equal(JSON.stringify(config().inspect('llamacpp')), before);
  });

  test('non-function tools rejected with codex.disableNonFunctionTools = never: the fix sets auto and writes the profile without them; verifying again passes', async function () {
    this.timeout(90_000);
    await config().update('codex.disableNonFunctionTools', 'never', vscode.ConfigurationTarget.Global);
    try {
      await pick(oldLlama.baseUrl, 'old/model');
      const first = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute');
      const stage = first.stages.find(s => s.id === 'codex-shape');
      assert.equal(stage?.diagnosis?.code, 'non-function-tool-rejected');
      const fix = stage.diagnosis.fix;
      assert.equal(fix?.kind, 'codexDisableNonFunctionTools');
      const outcome = await vscode.commands.executeCommand<{ applied: boolean; detail: string }>(
        'localModelRouter.applyFix',
        fix,
        { provider: 'openaiCompatible', baseUrl: oldLlama.baseUrl, model: 'old/model' },
        { name: 'verify-fix', folder: false, answers: { apply: true } },
      );
      assert.equal(config().get('codex.disableNonFunctionTools'), 'auto');
      assert.match(outcome.detail, /written with web search, agent and MCP tools off/, JSON.stringify(outcome));
      const profile = fs.readFileSync(path.join(process.env.CODEX_HOME as string, 'verify-fix.config.toml'), 'utf8');
      assert.match(profile, /web_search = "disabled"/);
      assert.match(profile, /\[agents\]\nenabled = false/);
      const second = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute');
      assert.equal(second.ok, true, JSON.stringify(second.stages, null, 1));
      assert.equal(api.health.kind, 'verified');
    } finally {
      for (const f of ['verify-fix.config.toml', 'verify-fix.models.json'])
        fs.rmSync(path.join(process.env.CODEX_HOME as string, f), { force: true });
      await config().update('codex.disableNonFunctionTools', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
