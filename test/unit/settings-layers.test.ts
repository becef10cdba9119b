// Where a setting is read from, written to and shown, per scope, in a local and in a remote window
// (core/settings/layers.ts). The remote rows are also walked in a real remote window (code-server) by
// test/integration/settings.test.ts and test/ui/settings.ui.ts; the local rows only here: every host
// this project can run its suites in offline is a remote one.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  appliedLayers,
  sectionTabFor,
  settingsTabFor,
  userLayersFor,
  workspaceLayersFor,
  writeLevelFor,
  type RawLayers,
  type WindowKind,
} from '../../src/core/settings/layers';
import { resolveSettings } from '../../src/core/settings/resolve';
import { SETTINGS, SETTING_KEYS, RESTRICTED_KEYS, type SettingDef, type SettingScope } from '../../src/core/settings/catalog';

const SCOPES: SettingScope[] = ['application', 'machine', 'machine-overridable', 'window', 'resource'];
const all: RawLayers = {
  globalValue: 'merged',
  globalLocalValue: 'local',
  globalRemoteValue: 'remote',
  split: true,
  workspaceValue: 'workspace',
  workspaceFolderValue: 'folder',
};

describe('the layers VS Code applies', () => {
  test('user level, per scope and window (VS Code 1.139: local User settings lose machine scopes in a remote window)', () => {
    const table = Object.fromEntries(
      SCOPES.map(s => [s, { local: userLayersFor(s, 'local').join('>'), remote: userLayersFor(s, 'remote').join('>') }]),
    );
    assert.deepEqual(table, {
      application: { local: 'local', remote: 'local' },
      machine: { local: 'local', remote: 'remote' },
      'machine-overridable': { local: 'local', remote: 'remote' },
      window: { local: 'local', remote: 'remote>local' },
      resource: { local: 'local', remote: 'remote>local' },
    });
  });

  test('workspace and folder layers, per scope', () => {
    assert.deepEqual(
      SCOPES.map(s => workspaceLayersFor(s)),
      [
        { workspace: false, folder: false },
        { workspace: false, folder: false },
        { workspace: true, folder: true },
        { workspace: true, folder: false },
        { workspace: true, folder: true },
      ],
    );
  });

  test('a machine-scoped value only in the local User settings does not apply in a remote window', () => {
    const onlyLocal: RawLayers = { globalValue: '/home/me/llama-server', globalLocalValue: '/home/me/llama-server', split: true };
    assert.deepEqual(appliedLayers('machine-overridable', 'remote', onlyLocal), {});
    assert.deepEqual(appliedLayers('machine-overridable', 'local', onlyLocal), {
      globalValue: '/home/me/llama-server',
      globalLayer: 'local',
    });
    // Window-scoped settings apply from either file; the remote machine's wins.
    assert.deepEqual(appliedLayers('window', 'remote', onlyLocal), { globalValue: '/home/me/llama-server', globalLayer: 'local' });
    assert.deepEqual(appliedLayers('window', 'remote', all), {
      globalValue: 'remote',
      globalLayer: 'remote',
      workspaceValue: 'workspace',
    });
  });

  test('every layer at once, per scope and window', () => {
    const rows = SCOPES.flatMap(s => (['local', 'remote'] as WindowKind[]).map(w => [`${s} ${w}`, appliedLayers(s, w, all)]));
    assert.deepEqual(Object.fromEntries(rows), {
      'application local': { globalValue: 'local', globalLayer: 'local' },
      'application remote': { globalValue: 'local', globalLayer: 'local' },
      'machine local': { globalValue: 'local', globalLayer: 'local' },
      'machine remote': { globalValue: 'remote', globalLayer: 'remote' },
      'machine-overridable local': {
        globalValue: 'local',
        globalLayer: 'local',
        workspaceValue: 'workspace',
        workspaceFolderValue: 'folder',
      },
      'machine-overridable remote': {
        globalValue: 'remote',
        globalLayer: 'remote',
        workspaceValue: 'workspace',
        workspaceFolderValue: 'folder',
      },
      'window local': { globalValue: 'local', globalLayer: 'local', workspaceValue: 'workspace' },
      'window remote': { globalValue: 'remote', globalLayer: 'remote', workspaceValue: 'workspace' },
      'resource local': { globalValue: 'local', globalLayer: 'local', workspaceValue: 'workspace', workspaceFolderValue: 'folder' },
      'resource remote': { globalValue: 'remote', globalLayer: 'remote', workspaceValue: 'workspace', workspaceFolderValue: 'folder' },
    });
  });

  test('a host without the local/remote split: its merged user value', () => {
    assert.deepEqual(appliedLayers('machine', 'remote', { globalValue: 'x', split: false }), { globalValue: 'x', globalLayer: 'remote' });
  });

  test('the value in effect says which file it came from', () => {
    const s = resolveSettings(
      k =>
        k === 'llamacpp.executable'
          ? appliedLayers('machine-overridable', 'remote', { globalRemoteValue: '/opt/llama-server', split: true })
          : undefined,
      {},
      true,
    );
    assert.deepEqual([s.values['llamacpp.executable'], s.origin['llamacpp.executable']], ['/opt/llama-server', 'remote']);
  });
});

describe('where a setting is shown and written', () => {
  test('the Settings editor tab, per scope, window and the origin of the value in effect', () => {
    const rows: string[] = [];
    for (const s of SCOPES)
      for (const w of ['local', 'remote'] as WindowKind[])
        rows.push(
          `${s} ${w}: default→${settingsTabFor(s, w, 'default')} user→${settingsTabFor(s, w, 'user')} remote→${settingsTabFor(s, w, 'remote')} workspace→${settingsTabFor(s, w, 'workspace')}`,
        );
    assert.deepEqual(rows, [
      'application local: default→user user→user remote→user workspace→workspace',
      'application remote: default→user user→user remote→user workspace→workspace',
      'machine local: default→user user→user remote→user workspace→workspace',
      'machine remote: default→remote user→remote remote→remote workspace→workspace',
      'machine-overridable local: default→user user→user remote→user workspace→workspace',
      'machine-overridable remote: default→remote user→remote remote→remote workspace→workspace',
      'window local: default→user user→user remote→user workspace→workspace',
      'window remote: default→remote user→user remote→remote workspace→workspace',
      'resource local: default→user user→user remote→user workspace→workspace',
      'resource remote: default→remote user→user remote→remote workspace→workspace',
    ]);
    assert.deepEqual([sectionTabFor('local'), sectionTabFor('remote')], ['user', 'remote']);
  });

  test('a write goes to the layer the value in effect comes from, when that layer can hold the scope', () => {
    assert.equal(writeLevelFor('machine-overridable', 'workspace'), 'workspace');
    assert.equal(writeLevelFor('machine-overridable', 'folder'), 'folder');
    assert.equal(writeLevelFor('window', 'folder'), 'user');
    assert.equal(writeLevelFor('machine', 'workspace'), 'user');
    for (const o of ['default', 'user', 'remote', 'env'] as const) assert.equal(writeLevelFor('machine-overridable', o), 'user');
  });
});

describe('the scopes the catalog chose', () => {
  const scopeOf = (k: (typeof SETTING_KEYS)[number]) => (SETTINGS[k] as SettingDef).scope;
  test('what names a program, a file, a port or where keys go is read on the machine the extension runs on', () => {
    const notMachine = RESTRICTED_KEYS.filter(k => !['machine', 'machine-overridable'].includes(scopeOf(k)));
    assert.deepEqual(notMachine, []);
  });
  test('nothing is application-scoped: the Remote tab of a remote window lists every setting', () => {
    assert.deepEqual(
      SETTING_KEYS.filter(k => scopeOf(k) === 'application'),
      [],
    );
  });
  test('machine scope (never from a workspace) for keys in terminals, the Codex home, the safety switches of its edits, and prompts in the bridge log', () => {
    assert.deepEqual(
      SETTING_KEYS.filter(k => scopeOf(k) === 'machine'),
      ['terminal.includeApiKey', 'codex.home', 'codex.previewChanges', 'codex.validateAfterWrite', 'bridge.debugLog'],
    );
  });
});
