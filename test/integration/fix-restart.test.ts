// A one-click fix that restarts the server clears its own finding (real host, real llama-server from
// `npm run setup:real-server`; skipped without it unless CI is set). Start Server serves the tiny
// model with the default 16,384-token context; Verify Route says Claude Code's context is too small
// and offers "Set the context to 32768 tokens and restart the server"; the fix writes the setting
// and restarts the server; then Verify Again, as the report's button sends it (with the route the
// report was made for): the finding is gone, the status bar's tooltip shows the new context, and no
// "launch settings changed; the running server still uses the old ones" notification was shown for
// the server that was just restarted with them. A launch setting changed by hand afterwards is still
// offered a restart. The notification calls are observed with a pass-through wrapper around
// vscode.window.show*Message: the API has no other way to read what a window shows.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LocalModelRouterApi } from '../../src/api';
import type { EndpointProbe } from '../../src/core/route/discovery';
import type { Route } from '../../src/core/route/route';
import type { VerifyReport } from '../../src/core/verify/types';
import type { FixOutcome } from '../../src/features/verify/fixes';
import type { StartResult } from '../../src/features/launch/start';
import { findRealLlama } from '../support/real-llama';
import { freePort } from '../support/ports';

const EXTENSION_ID = 'local-model-router.local-model-router';
const MODEL = 'local/model';
const STALE = /launch settings changed; the running server still uses the old ones/;
const real = findRealLlama();

const config = () => vscode.workspace.getConfiguration('localModelRouter');
async function set(key: string, value: unknown): Promise<void> {
  await config().update(key, value, vscode.ConfigurationTarget.Global);
}
const KEYS = [
  'llamacpp.executable',
  'llamacpp.port',
  'llamacpp.modelPath',
  'llamacpp.contextSize',
  'llamacpp.batchSize',
  'launch.readyTimeoutSeconds',
  'discovery.refreshIntervalSeconds',
  'discovery.probeLlamaServerDefaultPort',
  'llamacpp.baseUrl',
  'verify.agents',
];

type Show = (message: string, ...rest: unknown[]) => Thenable<unknown>;

/** Records every notification text the window is asked to show, and shows it as before. */
function recordNotifications(): { shown: string[]; restore(): void } {
  const w = vscode.window as unknown as Record<'showInformationMessage' | 'showWarningMessage' | 'showErrorMessage', Show>;
  const shown: string[] = [];
  const originals = { ...w };
  for (const k of ['showInformationMessage', 'showWarningMessage', 'showErrorMessage'] as const) {
    const original = w[k];
    w[k] = (message: string, ...rest: unknown[]) => {
      shown.push(message);
      return original.call(vscode.window, message, ...rest);
    };
  }
  return {
    shown,
    restore: () => {
      for (const k of ['showInformationMessage', 'showWarningMessage', 'showErrorMessage'] as const) w[k] = originals[k];
    },
  };
}

async function until<T>(what: string, ms: number, f: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise(r => setTimeout(r, 250));
  }
}

suite('journey: a fix that restarts the server clears its own finding (real llama-server)', () => {
  let api: LocalModelRouterApi;
  let baseUrl: string;
  let notes: { shown: string[]; restore(): void } | undefined;

  suiteSetup(async function () {
    this.timeout(60_000);
    if (!real.ok) {
      if (process.env.CI) throw new Error(real.reason);
      this.skip();
    }
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}/v1`;
    await set('discovery.refreshIntervalSeconds', 0);
    await set('discovery.probeLlamaServerDefaultPort', false);
    await set('llamacpp.baseUrl', undefined);
    await set('llamacpp.executable', real.binary);
    await set('llamacpp.port', port);
    await set('llamacpp.modelPath', real.model('tiny-chat'));
    await set('llamacpp.contextSize', 16384);
    await set('launch.readyTimeoutSeconds', 60);
    // The finding is Claude Code's (its practical minimum is 32,768 tokens); Codex's stages are not needed here.
    await set('verify.agents', ['claude']);
    api = (await vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID)?.activate()) as LocalModelRouterApi;
  });

  suiteTeardown(async function () {
    this.timeout(30_000);
    notes?.restore();
    if (!real.ok) return;
    await vscode.commands.executeCommand('localModelRouter.stopServer', 'llamacpp');
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of KEYS) await set(k, undefined);
  });

  test('Set the context and restart → Verify Again: the finding is gone, the tooltip says 32,768, no "still uses the old ones"', async function () {
    this.timeout(240_000);
    if (!real.ok) return this.skip();
    const started = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp');
    assert.ok(started.kind === 'ready', JSON.stringify(started));
    await vscode.commands.executeCommand('localModelRouter.refresh');
    const picked = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', {
      select: { baseUrl, model: MODEL },
    });
    assert.equal(picked?.ok, true, JSON.stringify(picked));
    const before: Route | undefined = api.activeRoute;
    assert.equal(before?.contextWindow, 16384);
    assert.match(api.statusBar.tooltip, /\| Context window \| 16,384 tokens/);

    const first = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute');
    assert.equal(first.agent, 'claude');
    const shape = first.stages.find(s => s.id === 'claude-shape');
    assert.equal(shape?.diagnosis?.code, 'context-too-small', JSON.stringify(first.stages, null, 1));
    const fix = shape.diagnosis.fix;
    assert.ok(fix?.kind === 'changeServer' && fix.change.what === 'context' && fix.change.tokens === 32768, JSON.stringify(fix));

    notes = recordNotifications();
    const outcome = await vscode.commands.executeCommand<FixOutcome>('localModelRouter.applyFix', fix, {
      provider: 'llamacpp',
      baseUrl,
      model: MODEL,
      serverKind: 'llamacpp',
    });
    assert.equal(outcome.applied, true, JSON.stringify(outcome));
    assert.match(outcome.detail, /restarts the llama\.cpp .*server/);
    // The fix restarts the server in the background: wait until discovery sees the new context.
    await until('the restarted server serving 32,768 tokens', 90_000, async () => {
      const probes = await vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh');
      const r = probes.find(p => p.baseUrl === baseUrl)?.result;
      return r?.kind === 'up' && r.models.find(m => m.id === MODEL)?.contextWindow === 32768 ? true : undefined;
    });

    // "Verify Again" in the report: the route the report was made for, and this agent.
    const again = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute', { route: before, agent: 'claude' });
    const codes = again.stages.map(s => s.diagnosis?.code).filter(Boolean);
    assert.ok(!codes.includes('context-too-small'), `the finding is gone: ${JSON.stringify(again.stages, null, 1)}`);
    assert.match(again.stages.find(s => s.id === 'models')?.summary ?? '', /context 32768 tokens/);
    assert.equal(api.activeRoute?.contextWindow, 32768, 'the route follows the server');
    assert.match(api.statusBar.tooltip, /\| Context window \| 32,768 tokens \|/);
    assert.doesNotMatch(api.statusBar.tooltip, /16,384/);

    // Past the time a settings change takes to settle: nothing said the restarted server is behind.
    await new Promise(r => setTimeout(r, 2_000));
    assert.deepEqual(
      notes.shown.filter(m => STALE.test(m)),
      [],
      `notifications: ${JSON.stringify(notes.shown)}`,
    );

    // A launch setting changed by hand while the server runs is still offered a restart.
    await set('llamacpp.batchSize', 128);
    await until('the restart offer after a hand-made change', 10_000, async () =>
      notes!.shown.some(m => STALE.test(m)) ? true : undefined,
    );
  });
});
