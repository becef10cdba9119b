// Restricted Mode (this launch has workspace trust on and the folder untrusted): no SSH tunnel is
// opened — the command is hidden, and run by id it refuses before anything starts.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ConnectResult } from '../../src/features/tunnel/connect';

const EXTENSION_ID = 'local-model-router.local-model-router';

suite('tunnel: restricted mode', () => {
  test('Connect to a Remote Server over SSH refuses in an untrusted workspace; no terminal, no ssh', async function () {
    this.timeout(30_000);
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    assert.equal(vscode.workspace.isTrusted, false);
    const terminals = vscode.window.terminals.length;
    const r = await vscode.commands.executeCommand<ConnectResult>('localModelRouter.connectSshTunnel', {
      host: 'gpu-box',
      provider: 'ollama',
    });
    assert.deepEqual(r, { kind: 'refused', reason: 'untrusted' });
    assert.equal(vscode.window.terminals.length, terminals);
  });
});
