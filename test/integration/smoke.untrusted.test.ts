// Runs in its own host launch with workspace trust on and the folder untrusted (Restricted Mode).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'local-model-router.local-model-router';

suite('smoke: restricted mode', () => {
  test('the workspace is untrusted in this launch', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  test('the extension activates in an untrusted workspace ("limited" support)', async function () {
    this.timeout(60_000);
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not installed in the host`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });
});
