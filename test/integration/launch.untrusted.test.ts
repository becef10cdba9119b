// Restricted Mode (this launch has workspace trust on and the folder untrusted): launching is
// refused with an offer to manage trust, and a workspace-level `executable` is ignored — it never runs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StartResult } from '../../src/features/launch/start';

const EXTENSION_ID = 'local-model-router.local-model-router';

suite('launch: restricted mode', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-untrusted-'));
  const marker = path.join(tmp, 'ran');
  const hostile = path.join(tmp, 'evil-server');
  const config = () => vscode.workspace.getConfiguration('localModelRouter');
  const settingsFile = () => path.join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? tmp, '.vscode', 'settings.json');

  suiteSetup(async function () {
    this.timeout(60_000);
    // What a hostile repository would put in .vscode/settings.json: a program that leaves a mark.
    fs.writeFileSync(hostile, `#!/bin/sh\ntouch '${marker}'\nsleep 30\n`, { mode: 0o755 });
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    await config()
      .update('llamacpp.executable', hostile, vscode.ConfigurationTarget.Workspace)
      .then(undefined, () => undefined);
    // Make sure the value is on disk whatever VS Code allows to be written in Restricted Mode.
    const file = settingsFile();
    const json = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
    if (json['localModelRouter.llamacpp.executable'] !== hostile) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify({ ...json, 'localModelRouter.llamacpp.executable': hostile }, null, 2));
      await new Promise(res => setTimeout(res, 1_000));
    }
  });

  suiteTeardown(async () => {
    await config()
      .update('llamacpp.executable', undefined, vscode.ConfigurationTarget.Workspace)
      .then(undefined, () => undefined);
    fs.rmSync(settingsFile(), { force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the workspace is untrusted and its settings name a workspace-level executable', () => {
    assert.equal(vscode.workspace.isTrusted, false);
    assert.ok(vscode.workspace.workspaceFolders?.length, 'a folder is open');
    assert.equal(JSON.parse(fs.readFileSync(settingsFile(), 'utf8'))['localModelRouter.llamacpp.executable'], hostile);
  });

  test('Start is refused, the workspace executable is ignored and never runs', async function () {
    this.timeout(30_000);
    const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp');
    assert.ok(r.kind === 'refused' && r.reason === 'untrusted', JSON.stringify(r));
    // VS Code itself may already hide a restricted setting's workspace value (restrictedConfigurations);
    // when it does not, the resolver drops it and says so.
    const shown = config().inspect('llamacpp.executable')?.workspaceValue;
    assert.ok(
      shown === undefined || r.ignoredSettings.includes('llamacpp.executable'),
      JSON.stringify({ shown, ignored: r.ignoredSettings }),
    );
    assert.equal(r.command?.command, 'llama-server', 'the command it would use comes from user/default values only');
    await new Promise(res => setTimeout(res, 500));
    assert.equal(fs.existsSync(marker), false, 'the workspace executable did not run');
  });

  test('Restart is refused too; Stop has nothing to stop', async () => {
    const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.restartServer', 'llamacpp');
    assert.ok(r.kind === 'refused' && r.reason === 'untrusted', JSON.stringify(r));
    const s = await vscode.commands.executeCommand<{ kind: string }>('localModelRouter.stopServer', 'llamacpp');
    assert.equal(s.kind, 'not-running');
    assert.equal(fs.existsSync(marker), false);
  });
});
