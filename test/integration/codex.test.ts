// Codex profile commands in the real host: the write command opens a diff of virtual documents
// before anything is written, Apply writes (and the real Codex accepts the file), Cancel writes
// nothing; the trust modal adds the projects entry only on yes. CODEX_HOME is a temp folder given
// through the codex.home setting. Modals are pre-answered through the commands' `answers` argument
// (see src/features/codex/writeProfile.ts); the diff preview is opened either way and observed here.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import type { Route } from '../../src/core/route/route';

const EXTENSION_ID = 'local-model-router.local-model-router';
const SCHEME = 'local-model-router-codex';
const CODEX = path.resolve(__dirname, '../../node_modules/.bin/codex');
const USER_CONFIG = '# my own settings — keep these comments\nmodel = "gpt-5"\n\n[mcp_servers.docs]\ncommand = "npx"\n';

type Outcome =
  | { kind: 'written'; files: string[]; validation?: { kind: string; message?: string }; notes: string[] }
  | { kind: 'unchanged' | 'nothing'; message: string }
  | { kind: 'cancelled' }
  | { kind: 'refused'; error: string };

const config = () => vscode.workspace.getConfiguration('localModelRouter');
async function set(key: string, value: unknown): Promise<void> {
  await config().update(key, value, vscode.ConfigurationTarget.Global);
}

/** Runs a command and records the diff editors it opened on the preview scheme. */
async function withDiffs<T>(
  run: () => Thenable<T>,
): Promise<{ result: T; diffs: { original: string; modified: string; label: string }[] }> {
  const diffs: { original: string; modified: string; label: string }[] = [];
  const seen = new Set<string>();
  const record = () => {
    for (const tab of vscode.window.tabGroups.all.flatMap(g => g.tabs)) {
      if (
        tab.input instanceof vscode.TabInputTextDiff &&
        tab.input.modified.scheme === SCHEME &&
        !seen.has(tab.input.modified.toString())
      ) {
        seen.add(tab.input.modified.toString());
        diffs.push({ original: tab.input.original.path, modified: tab.input.modified.path, label: tab.label });
      }
    }
  };
  const sub = vscode.window.tabGroups.onDidChangeTabs(record);
  try {
    const result = await run();
    record();
    return { result, diffs };
  } finally {
    sub.dispose();
  }
}

suite('codex: profile, diff preview, trust', () => {
  let server: ScriptedServer;
  let root: string;
  let codexHome: string;
  let project: string;
  let route: Route;
  const savedCodexHomeEnv = process.env.CODEX_HOME;

  suiteSetup(async function () {
    this.timeout(60_000);
    // The environment wins over the setting (as for Codex itself): this host must not point elsewhere.
    delete process.env.CODEX_HOME;
    server = await startScriptedServer({ kind: 'llamacpp', models: [{ id: 'local/model', contextWindow: 32768 }] });
    route = { provider: 'llamacpp', baseUrl: server.baseUrl, model: 'local/model', contextWindow: 32768 };
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
  });

  setup(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-codex-host-'));
    codexHome = path.join(root, 'codex-home');
    project = path.join(root, 'project');
    fs.mkdirSync(codexHome);
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(codexHome, 'config.toml'), USER_CONFIG);
    await set('codex.home', codexHome);
    await set('codex.previewChanges', true);
    await set('codex.validateAfterWrite', false);
    await set('codex.executable', fs.existsSync(CODEX) ? CODEX : 'codex');
  });

  teardown(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  suiteTeardown(async () => {
    for (const k of ['codex.home', 'codex.previewChanges', 'codex.validateAfterWrite', 'codex.executable']) await set(k, undefined);
    if (savedCodexHomeEnv !== undefined) process.env.CODEX_HOME = savedCodexHomeEnv;
    await server?.close();
  });

  const write = (answers: Record<string, boolean>, extra: Record<string, unknown> = {}) =>
    withDiffs(() =>
      vscode.commands.executeCommand<Outcome>('localModelRouter.writeCodexProfile', {
        route,
        name: 'lmr-host',
        folder: project,
        answers,
        ...extra,
      }),
    );

  test('Write Codex Profile shows the diff; Cancel writes nothing', async () => {
    const { result, diffs } = await write({ apply: false, trust: false });
    assert.deepEqual(result, { kind: 'cancelled' });
    assert.ok(
      diffs.some(d => d.modified.endsWith('/lmr-host.config.toml')),
      `a diff of the profile file was shown: ${JSON.stringify(diffs)}`,
    );
    assert.ok(diffs.some(d => d.modified.endsWith('/lmr-host.models.json')));
    assert.deepEqual(fs.readdirSync(codexHome), ['config.toml'], 'nothing was written');
    assert.equal(fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8'), USER_CONFIG);
    const open = vscode.window.tabGroups.all
      .flatMap(g => g.tabs)
      .filter(t => t.input instanceof vscode.TabInputTextDiff && t.input.modified.scheme === SCHEME);
    assert.equal(open.length, 0, 'the preview closes after the answer');
  });

  test('Apply writes the profile, the real Codex accepts it, config.toml is untouched without trust', async function () {
    this.timeout(90_000);
    await set('codex.validateAfterWrite', true);
    const { result, diffs } = await write({ apply: true, trust: false });
    assert.equal(result.kind, 'written', JSON.stringify(result));
    assert.ok(diffs.length >= 2);
    const profile = fs.readFileSync(path.join(codexHome, 'lmr-host.config.toml'), 'utf8');
    assert.match(profile, /model_provider = "local-llamacpp"/);
    assert.match(profile, new RegExp(`base_url = "${server.baseUrl.replace(/[.]/g, '\\.')}"`));
    assert.equal(fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8'), USER_CONFIG, 'no trust: config.toml unchanged');
    if (fs.existsSync(CODEX))
      assert.deepEqual(
        (result as { validation?: unknown }).validation && (result as { validation: { kind: string } }).validation.kind,
        'accepted',
        JSON.stringify(result),
      );

    // The backup restores the state before the write (the new files go away).
    const restored = await withDiffs(() =>
      vscode.commands.executeCommand<Outcome>('localModelRouter.restoreCodexBackup', { answers: { restore: true } }),
    );
    assert.equal(restored.result.kind, 'written');
    assert.ok(restored.diffs.length >= 1, 'restore is previewed too');
    assert.ok(!fs.existsSync(path.join(codexHome, 'lmr-host.config.toml')));
  });

  test('trust in the write command: yes adds [projects."<folder>"] to config.toml, keeping every byte', async () => {
    const { result, diffs } = await write({ apply: true, trust: true });
    assert.equal(result.kind, 'written', JSON.stringify(result));
    assert.ok(
      diffs.some(d => d.modified.endsWith('/config.toml')),
      'the config.toml change was previewed',
    );
    const text = fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8');
    assert.ok(text.startsWith(USER_CONFIG));
    assert.equal(text.slice(USER_CONFIG.length), `\n[projects.${JSON.stringify(project)}]\ntrust_level = "trusted"\n`);
  });

  test('Trust This Folder in Codex: no adds nothing, yes adds once, an "untrusted" entry changes only on yes', async () => {
    const cfg = path.join(codexHome, 'config.toml');
    const no = await vscode.commands.executeCommand<Outcome>('localModelRouter.trustFolderInCodex', {
      folder: project,
      answers: { trust: false },
    });
    assert.deepEqual(no, { kind: 'cancelled' });
    assert.equal(fs.readFileSync(cfg, 'utf8'), USER_CONFIG);
    const { result: yes, diffs } = await withDiffs(() =>
      vscode.commands.executeCommand<Outcome>('localModelRouter.trustFolderInCodex', { folder: project, answers: { trust: true } }),
    );
    assert.equal(yes.kind, 'written');
    assert.ok(
      diffs.some(d => d.modified.endsWith('/config.toml')),
      'the change is previewed beside the trust modal',
    );
    const trusted = fs.readFileSync(cfg, 'utf8');
    assert.match(trusted, /trust_level = "trusted"/);
    const again = await vscode.commands.executeCommand<Outcome>('localModelRouter.trustFolderInCodex', {
      folder: project,
      answers: { trust: true },
    });
    assert.equal(again.kind, 'unchanged');
    assert.equal(fs.readFileSync(cfg, 'utf8'), trusted);

    const untrusted = `${USER_CONFIG}\n[projects.${JSON.stringify(project)}]\ntrust_level = "untrusted" # decided by me\n`;
    fs.writeFileSync(cfg, untrusted);
    const keep = await vscode.commands.executeCommand<Outcome>('localModelRouter.trustFolderInCodex', {
      folder: project,
      answers: { trust: false },
    });
    assert.deepEqual(keep, { kind: 'cancelled' });
    assert.equal(fs.readFileSync(cfg, 'utf8'), untrusted);
    const change = await vscode.commands.executeCommand<Outcome>('localModelRouter.trustFolderInCodex', {
      folder: project,
      answers: { trust: true },
    });
    assert.equal(change.kind, 'written');
    assert.equal(fs.readFileSync(cfg, 'utf8'), untrusted.replace('"untrusted"', '"trusted"'));
  });

  test('with codex.previewChanges off no diff is opened; an invalid config.toml is refused untouched', async () => {
    await set('codex.previewChanges', false);
    const { result, diffs } = await write({ trust: false });
    assert.equal(result.kind, 'written');
    assert.equal(diffs.length, 0);
    const broken = '# oops\nmodel = "gpt-5\n';
    fs.writeFileSync(path.join(codexHome, 'config.toml'), broken);
    const refused = await vscode.commands.executeCommand<Outcome>('localModelRouter.trustFolderInCodex', {
      folder: project,
      answers: { trust: true },
    });
    assert.equal(refused.kind, 'refused');
    assert.equal(fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8'), broken);
  });

  test('legacy profiles move into profile files', async () => {
    fs.writeFileSync(path.join(codexHome, 'config.toml'), `${USER_CONFIG}\n[profiles.old]\nmodel = "m"\n`);
    const { result, diffs } = await withDiffs(() =>
      vscode.commands.executeCommand<Outcome>('localModelRouter.migrateLegacyProfiles', { answers: { migrate: true } }),
    );
    assert.equal(result.kind, 'written', JSON.stringify(result));
    assert.ok(diffs.some(d => d.modified.endsWith('/old.config.toml')));
    assert.equal(fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8'), `${USER_CONFIG}\n`);
    assert.match(fs.readFileSync(path.join(codexHome, 'old.config.toml'), 'utf8'), /model = "m"/);
  });
});
