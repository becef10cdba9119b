// Settings in a remote window (code-server is one, as Remote-SSH, WSL and containers are): the
// extension reads a setting from exactly the files VS Code applies it from, and writes it there.
// A launch setting in the local User settings.json — which VS Code marks "cannot be applied in this
// window" — is not used; the same value in the remote machine's settings (<user-data-dir>/Machine/
// settings.json, the Settings editor's Remote tab) is. Values are put into the files as a person
// editing them would, not through the API. The local-window rows of the same rules are unit-tested
// (test/unit/settings-layers.test.ts): no local VS Code window can be run here.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LocalModelRouterApi } from '../../src/api';
import type { StartResult, StopResult } from '../../src/features/launch/start';
import { freePort } from '../support/ports';

const EXTENSION_ID = 'local-model-router.local-model-router';
const ROOT = path.resolve(__dirname, '../..');
const STAND_IN = path.join(ROOT, 'test/support/bin/stand-in-llama-server');
const USER_DATA = path.join(process.env.LMR_HOST_RUN_DIR ?? '', 'user-data');
const USER_FILE = path.join(USER_DATA, 'User/settings.json');
const MACHINE_FILE = path.join(USER_DATA, 'Machine/settings.json');
const config = () => vscode.workspace.getConfiguration('localModelRouter');

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}
function edit(file: string, values: Record<string, unknown>): void {
  const json = readJson(file);
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete json[k];
    else json[k] = v;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(json, null, 2));
}
async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
}
/** Edits a settings file and waits until VS Code has read it (a window-scoped marker in the same write). */
async function editAndWait(file: string, values: Record<string, unknown>): Promise<void> {
  const marker = 1000 + Math.floor(Math.random() * 50_000);
  edit(file, { ...values, 'localModelRouter.discovery.timeoutMs': marker });
  await until(`${path.basename(path.dirname(file))}/settings.json to be read`, () => config().get('discovery.timeoutMs') === marker);
}
/** A GGUF header with no metadata: enough for "Choose the llama.cpp Model File…". */
function writeGguf(file: string): void {
  const b = Buffer.alloc(24);
  b.write('GGUF', 0, 'latin1');
  b.writeUInt32LE(3, 4);
  fs.writeFileSync(file, b);
}

suite('settings: read and written where VS Code applies them in a remote window', () => {
  let api: LocalModelRouterApi;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-settings-'));
  const keys = ['llamacpp.executable', 'llamacpp.port', 'llamacpp.modelPath', 'openaiCompatible.endpoints', 'discovery.timeoutMs'];

  suiteSetup(async function () {
    this.timeout(60_000);
    assert.ok(process.env.LMR_HOST_RUN_DIR && fs.existsSync(USER_FILE), `no user settings at ${USER_FILE}`);
    assert.ok(vscode.env.remoteName, 'this suite needs a remote window (code-server)');
    const ext = vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    await config().update('discovery.refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async function () {
    this.timeout(30_000);
    await vscode.commands.executeCommand('localModelRouter.stopServer', 'llamacpp');
    const clear = Object.fromEntries(keys.map(k => [`localModelRouter.${k}`, undefined]));
    edit(USER_FILE, clear);
    edit(MACHINE_FILE, clear);
    await config().update('llamacpp.modelPath', undefined, vscode.ConfigurationTarget.Workspace);
    await config().update('discovery.refreshIntervalSeconds', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('a launch setting only in the local User settings is not used (VS Code: "cannot be applied in this window")', async function () {
    this.timeout(30_000);
    await editAndWait(USER_FILE, { 'localModelRouter.llamacpp.executable': STAND_IN });
    assert.deepEqual(api.setting('llamacpp.executable'), { value: 'llama-server', origin: 'default' });
    // A window-scoped setting from the same file applies.
    assert.equal(api.setting('discovery.timeoutMs').origin, 'user');
  });

  test('the same value in the remote machine settings is used, and Start Server runs it', async function () {
    this.timeout(60_000);
    const port = await freePort();
    await editAndWait(MACHINE_FILE, {
      'localModelRouter.llamacpp.executable': STAND_IN,
      'localModelRouter.llamacpp.port': port,
      'localModelRouter.llamacpp.modelPath': '/models/stand-in.gguf',
    });
    assert.deepEqual(api.setting('llamacpp.executable'), { value: STAND_IN, origin: 'remote' });
    const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp');
    assert.equal(r.kind, 'ready', JSON.stringify(r));
    assert.equal(r.kind === 'ready' && r.baseUrl, `http://127.0.0.1:${port}/v1`);
    const stopped = await vscode.commands.executeCommand<StopResult>('localModelRouter.stopServer', 'llamacpp');
    assert.equal(stopped.kind, 'stopped');
  });

  test('a machine-scoped write lands in the remote machine settings, not in the local User settings', async function () {
    this.timeout(30_000);
    const r = await vscode.commands.executeCommand<{ baseUrl: string } | undefined>('localModelRouter.addEndpoint', {
      baseUrl: 'http://127.0.0.1:9/v1',
      label: 'written by the typed path',
    });
    assert.equal(r?.baseUrl, 'http://127.0.0.1:9/v1');
    await until('the Machine settings file to hold the endpoint', () =>
      JSON.stringify(readJson(MACHINE_FILE)['localModelRouter.openaiCompatible.endpoints'] ?? '').includes('127.0.0.1:9'),
    );
    assert.equal(readJson(USER_FILE)['localModelRouter.openaiCompatible.endpoints'], undefined);
    assert.equal(api.setting('openaiCompatible.endpoints').origin, 'remote');
  });

  test('a value in effect from the workspace is changed in the workspace, where it takes effect', async function () {
    this.timeout(30_000);
    const model = path.join(tmp, 'chosen.gguf');
    writeGguf(model);
    await config().update('llamacpp.modelPath', '/models/from-the-workspace.gguf', vscode.ConfigurationTarget.Workspace);
    await until('the workspace value to apply', () => api.setting('llamacpp.modelPath').origin === 'workspace');
    const r = await vscode.commands.executeCommand<{ kind: string }>('localModelRouter.chooseLlamaModel', model);
    assert.equal(r.kind, 'set', JSON.stringify(r));
    await until('the chosen model to be in effect', () => api.setting('llamacpp.modelPath').value === model);
    assert.equal(config().inspect('llamacpp.modelPath')?.workspaceValue, model);
    assert.equal(readJson(MACHINE_FILE)['localModelRouter.llamacpp.modelPath'], '/models/stand-in.gguf', 'the user value is left alone');
  });
});
