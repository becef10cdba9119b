// Smoke tests in the real extension host: the extension activates, the manifest and the code agree,
// and settings that decide what gets executed are declared safely for untrusted workspaces.
// The manifest is read at run time from the extension's own folder, never copied into the test.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS, LAZY_COMMANDS } from '../../src/core/commands';
import { RESTRICTED_KEYS, fullKey } from '../../src/core/settings/catalog';
import type { LocalModelRouterApi } from '../../src/api';

const EXTENSION_ID = 'local-model-router.local-model-router';
const STATUS_ITEM_ID = 'localModelRouter.status'; // src/features/route/statusBar.ts

interface ConfigProperty {
  scope?: string;
}
interface Manifest {
  contributes?: {
    commands?: { command: string; title: string }[];
    configuration?: { properties?: Record<string, ConfigProperty> } | { properties?: Record<string, ConfigProperty> }[];
  };
  capabilities?: { untrustedWorkspaces?: { supported?: boolean | 'limited'; restrictedConfigurations?: string[] } };
}

/** The last segment of a setting key names an executable, arguments, env, a path/dir, a script, a model or a base URL. */
const DECIDES_WHAT_RUNS = /(executable|path|args|env|dir|script|baseurl|endpoints|home|^model)$/i;

function extension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in the host`);
  return ext;
}

function manifest(): Manifest {
  return JSON.parse(fs.readFileSync(path.join(extension().extensionPath, 'package.json'), 'utf8')) as Manifest;
}

function configurationProperties(m: Manifest): Record<string, ConfigProperty> {
  const c = m.contributes?.configuration;
  const sections = Array.isArray(c) ? c : c ? [c] : [];
  return Object.assign({}, ...sections.map(s => s.properties ?? {})) as Record<string, ConfigProperty>;
}

suite('smoke: activation and manifest', () => {
  suiteSetup(async function () {
    this.timeout(60_000);
    await extension().activate();
  });

  test('the extension activates in the real host without errors', async () => {
    const ext = extension();
    // activate() rejects with the activation error; awaiting it again returns the same outcome.
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  test('the workspace is trusted in this launch (Restricted Mode suites are *.untrusted.test.ts)', () => {
    assert.equal(vscode.workspace.isTrusted, true);
  });

  test('every command in package.json contributes.commands is registered', async () => {
    const contributed = (manifest().contributes?.commands ?? []).map(c => c.command);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter(id => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  test('every lazily registered command has a handler in its bundle, and every handler there is a lazily registered command', () => {
    const lazyDir = path.join(extension().extensionPath, 'dist', 'lazy');
    const bundles = [...new Set(Object.values(LAZY_COMMANDS))].sort();
    // dist/lazy holds the bundles LAZY_COMMANDS names, undici, which they share, and chat, which the
    // chat models' provider loads when VS Code first asks for models (features/chat/register.ts).
    assert.ok(fs.existsSync(path.join(lazyDir, 'chat.js')), 'dist/lazy/chat.js');
    const files = fs
      .readdirSync(lazyDir)
      .filter(f => f.endsWith('.js') && f !== 'undici.js' && f !== 'chat.js')
      .map(f => f.replace(/\.js$/, ''))
      .sort();
    assert.deepEqual(files, bundles);
    for (const bundle of bundles) {
      // The very file src/lazy.ts loads (same path, so the same module instance).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { commands } = require(path.join(lazyDir, `${bundle}.js`)) as { commands?: Record<string, unknown> };
      const handlers = Object.keys(commands ?? {}).sort();
      const named = Object.entries(LAZY_COMMANDS)
        .filter(([, b]) => b === bundle)
        .map(([key]) => key)
        .sort();
      assert.deepEqual(handlers, named, `dist/lazy/${bundle}.js`);
      for (const key of handlers) assert.equal(typeof commands![key], 'function', `${bundle}: ${key}`);
    }
  });

  test('package.json contributes exactly the commands of src/commands.ts', () => {
    const contributed = (manifest().contributes?.commands ?? []).map(c => c.command).sort();
    const table = Object.values(COMMANDS)
      .map(c => c.id as string)
      .sort();
    assert.deepEqual(contributed, table);
  });

  test('settings that decide what gets executed are restricted and machine-scoped', () => {
    const m = manifest();
    const props = configurationProperties(m);
    const keys = Object.keys(props);
    assert.ok(keys.length > 0, 'package.json contributes no settings');
    assert.equal(m.capabilities?.untrustedWorkspaces?.supported, 'limited');
    const restricted = new Set(m.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? []);
    const sensitive = keys.filter(k => DECIDES_WHAT_RUNS.test(k.split('.').pop() ?? ''));
    assert.ok(sensitive.length > 0, 'no setting names an executable, arguments, env, path, script or base URL');
    const notRestricted = sensitive.filter(k => !restricted.has(k));
    assert.deepEqual(notRestricted, [], `not in restrictedConfigurations: ${notRestricted.join(', ')}`);
    const badScope = [...restricted].filter(k => ['window', 'resource', 'application', undefined].includes(props[k]?.scope));
    assert.deepEqual(
      badScope,
      [],
      `restricted settings with window/resource/application/no scope: ${badScope.map(k => `${k}=${props[k]?.scope}`).join(', ')}`,
    );
  });

  test('restrictedConfigurations lists exactly the restricted settings of the catalog', () => {
    const declared = [...(manifest().capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? [])].sort();
    assert.deepEqual(declared, RESTRICTED_KEYS.map(k => fullKey(k) as string).sort());
    const props = configurationProperties(manifest());
    const unknown = declared.filter(k => !(k in props));
    assert.deepEqual(unknown, [], `restrictedConfigurations names settings that do not exist: ${unknown.join(', ')}`);
  });

  test(`the status-bar item ${STATUS_ITEM_ID} exists`, () => {
    // The host API cannot list status-bar items; activate() returns what the item shows (src/api.ts).
    // The UI suite (test/ui/smoke.ui.ts) checks that it is visible and opens the picker.
    const api = extension().exports as Partial<LocalModelRouterApi> | undefined;
    assert.ok(api?.statusBar, 'activate() returned no statusBar view (src/api.ts)');
    assert.match(api.statusBar.accessibility, /^Local Model Router\b/);
    assert.ok(api.statusBar.text.trim().length > 0, 'the status-bar item has no text');
  });
});
