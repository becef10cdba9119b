import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveSettings, lookupFromSettingsJson, type Layered } from '../../src/core/settings/resolve';
import { SETTINGS, SETTING_KEYS, RESTRICTED_KEYS, type SettingKey } from '../../src/core/settings/catalog';
import { applyToManifest } from '../tools/gen-manifest';
import { applyReadmeBlocks } from '../tools/readme-blocks';
import { DOCS } from '../../src/core/settings/docs';
import { COMMANDS } from '../../src/core/commands';

const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));

describe('settings precedence', () => {
  const layered = (m: Partial<Record<SettingKey, Layered>>) => (k: SettingKey) => m[k];
  test('folder → workspace → user → PRODEX_LOCAL_* → default, each level wins over the next', () => {
    const env = { PRODEX_LOCAL_PORT: '9004' };
    const all = { workspaceFolderValue: 9001, workspaceValue: 9002, globalValue: 9003 };
    assert.equal(resolveSettings(layered({ 'llamacpp.port': all }), env, true).values['llamacpp.port'], 9001);
    assert.equal(
      resolveSettings(layered({ 'llamacpp.port': { workspaceValue: 9002, globalValue: 9003 } }), env, true).values['llamacpp.port'],
      9002,
    );
    assert.equal(resolveSettings(layered({ 'llamacpp.port': { globalValue: 9003 } }), env, true).values['llamacpp.port'], 9003);
    const fromEnv = resolveSettings(layered({}), env, true);
    assert.deepEqual([fromEnv.values['llamacpp.port'], fromEnv.origin['llamacpp.port']], [9004, 'env']);
    const def = resolveSettings(layered({}), {}, true);
    assert.deepEqual([def.values['llamacpp.port'], def.origin['llamacpp.port']], [8131, 'default']);
  });
  test('every PRODEX_LOCAL_* variable fills its setting', () => {
    const env = {
      PRODEX_LOCAL_MODEL_PATH: '/models/q.gguf',
      PRODEX_LOCAL_HOST: '127.0.0.2',
      PRODEX_LOCAL_PORT: '9000',
      PRODEX_LOCAL_MODEL_ALIAS: 'q/coder',
      PRODEX_LOCAL_GPU_LAYERS: '99',
      PRODEX_LOCAL_THREADS: '4',
      PRODEX_LOCAL_CONTEXT: '32768',
      PRODEX_LOCAL_BATCH: '512',
      PRODEX_LOCAL_UBATCH: '128',
      PRODEX_LOCAL_CHAT_TEMPLATE: 'qwen',
      PRODEX_LOCAL_AUTO_COMPACT_LIMIT: '24000',
    };
    const v = resolveSettings(() => undefined, env, true).values;
    assert.deepEqual(
      [
        v['llamacpp.modelPath'],
        v['llamacpp.host'],
        v['llamacpp.port'],
        v['llamacpp.modelAlias'],
        v['llamacpp.gpuLayers'],
        v['llamacpp.threads'],
        v['llamacpp.contextSize'],
        v['llamacpp.batchSize'],
        v['llamacpp.ubatchSize'],
        v['llamacpp.chatTemplate'],
        v['llamacpp.autoCompactTokenLimit'],
      ],
      ['/models/q.gguf', '127.0.0.2', 9000, 'q/coder', 99, 4, 32768, 512, 128, 'qwen', 24000],
    );
  });
  test('a malformed variable keeps the default and says so', () => {
    const r = resolveSettings(() => undefined, { PRODEX_LOCAL_PORT: '80x' }, true);
    assert.equal(r.values['llamacpp.port'], 8131);
    assert.match(r.problems.join('\n'), /PRODEX_LOCAL_PORT="80x" is not an integer/);
  });
  test('a wrongly typed value is ignored with a message, the next layer applies', () => {
    const r = resolveSettings(
      layered({ 'llamacpp.port': { workspaceValue: 'eighty', globalValue: 9100 }, 'llamacpp.flashAttention': { globalValue: 'maybe' } }),
      {},
      true,
    );
    assert.equal(r.values['llamacpp.port'], 9100);
    assert.equal(r.values['llamacpp.flashAttention'], 'auto');
    assert.equal(r.problems.length, 2);
  });
  test('untrusted: workspace values of restricted settings are ignored, user values kept', () => {
    const r = resolveSettings(
      layered({
        'llamacpp.executable': { workspaceValue: '/tmp/evil', globalValue: '/opt/llama/llama-server' },
        'llamacpp.extraArgs': { workspaceFolderValue: ['--evil'] },
        'discovery.timeoutMs': { workspaceValue: 999 },
      }),
      {},
      false,
    );
    assert.equal(r.values['llamacpp.executable'], '/opt/llama/llama-server');
    assert.deepEqual(r.values['llamacpp.extraArgs'], []);
    assert.equal(r.values['discovery.timeoutMs'], 999, 'unrestricted settings still apply');
    assert.deepEqual(r.ignoredUntrusted.sort(), ['llamacpp.executable', 'llamacpp.extraArgs']);
    const trusted = resolveSettings(layered({ 'llamacpp.executable': { workspaceValue: '/tmp/evil' } }), {}, true);
    assert.equal(trusted.values['llamacpp.executable'], '/tmp/evil');
  });
  test('settings.json-shaped objects (the CLI --settings)', () => {
    const r = resolveSettings(lookupFromSettingsJson({ 'localModelRouter.vllm.port': 8001, 'other.key': 1 }), {}, true);
    assert.equal(r.values['vllm.port'], 8001);
    assert.equal(r.values['vllm.host'], '127.0.0.1');
  });
  test('defaults are copies: mutating one result does not leak into the next', () => {
    const a = resolveSettings(() => undefined, {}, true);
    a.values['llamacpp.extraArgs'].push('--x');
    assert.deepEqual(resolveSettings(() => undefined, {}, true).values['llamacpp.extraArgs'], []);
  });
});

describe('manifest agrees with the code', () => {
  test('package.json contributes are generated from the catalog (run `npm run gen:manifest`)', () => {
    assert.deepEqual(applyToManifest(pkg), pkg);
  });
  test("the README's generated blocks (the wrapper settings table) agree with the catalog (run `npm run gen:manifest`)", () => {
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
    assert.equal(applyReadmeBlocks(readme), readme);
  });
  test('every setting has an explicit scope and a markdownDescription', () => {
    for (const group of pkg.contributes.configuration)
      for (const [k, v] of Object.entries<Record<string, unknown>>(group.properties)) {
        assert.ok(v.scope, `${k} scope`);
        assert.ok(typeof v.markdownDescription === 'string' && (v.markdownDescription as string).length > 20, `${k} description`);
      }
  });
  test('settings that name an executable, arguments, env, a model path, a script or a URL are restricted and never window/resource scoped', () => {
    const risky = SETTING_KEYS.filter(k =>
      /executable|Path|Args|env|Dir|wrapperScript|baseUrl|endpoints|codex\.home|\.model$|modelKey|host$/i.test(k),
    );
    assert.ok(risky.length >= 20);
    for (const k of risky) {
      assert.ok(RESTRICTED_KEYS.includes(k), `${k} must be restricted`);
      assert.ok(['machine', 'machine-overridable'].includes(SETTINGS[k].scope), `${k} scope ${SETTINGS[k].scope}`);
      assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(`localModelRouter.${k}`), `${k} in package.json`);
    }
  });
  test('every command has the category, an icon, and is in the command table', () => {
    const ids = Object.values(COMMANDS).map(c => c.id);
    assert.deepEqual(
      pkg.contributes.commands.map((c: { command: string }) => c.command),
      ids,
    );
    for (const c of pkg.contributes.commands) {
      assert.equal(c.category, 'Local Model Router');
      assert.match(c.icon, /^\$\([a-z-~]+\)$/);
    }
  });
  test("the mirrored settings and their defaults match the server wrapper, except where the wrapper's value does not fit", () => {
    // Departures, each said in the setting's description: the wrapper's -ngl 20 / -t 8 are passed
    // unchanged on a 2-core machine without a GPU (llama-server sizes both to the host when left
    // out: -1), and its chatml template turns tool calling off (real-llama-server.md: '' = the
    // model's own template, relaxed when it refuses later system messages).
    const want: Record<string, [string, unknown]> = {
      'llamacpp.modelPath': ['PRODEX_LOCAL_MODEL_PATH', ''],
      'llamacpp.host': ['PRODEX_LOCAL_HOST', '127.0.0.1'],
      'llamacpp.port': ['PRODEX_LOCAL_PORT', 8131],
      'llamacpp.modelAlias': ['PRODEX_LOCAL_MODEL_ALIAS', 'local/model'],
      'llamacpp.gpuLayers': ['PRODEX_LOCAL_GPU_LAYERS', -1],
      'llamacpp.threads': ['PRODEX_LOCAL_THREADS', -1],
      'llamacpp.contextSize': ['PRODEX_LOCAL_CONTEXT', 16384],
      'llamacpp.batchSize': ['PRODEX_LOCAL_BATCH', 256],
      'llamacpp.ubatchSize': ['PRODEX_LOCAL_UBATCH', 256],
      'llamacpp.chatTemplate': ['PRODEX_LOCAL_CHAT_TEMPLATE', ''],
      'llamacpp.autoCompactTokenLimit': ['PRODEX_LOCAL_AUTO_COMPACT_LIMIT', 14000],
    };
    for (const k of ['llamacpp.gpuLayers', 'llamacpp.threads', 'llamacpp.chatTemplate'] as const)
      assert.match(DOCS[k].md, /wrapper/, `${k} says why it departs from the wrapper`);
    for (const [k, [env, def]] of Object.entries(want)) {
      const s = SETTINGS[k as SettingKey] as { env?: string; default: unknown };
      assert.deepEqual([s.env, s.default], [env, def], k);
    }
  });
  test('activation, kind and trust declarations', () => {
    assert.deepEqual(pkg.activationEvents, ['onStartupFinished']);
    assert.deepEqual(pkg.extensionKind, ['workspace']);
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.equal(pkg.main, './dist/extension.js');
  });
});
