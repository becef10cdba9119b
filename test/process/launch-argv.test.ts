// Every setting value reaches the server as one argv element, byte for byte, and nothing runs:
// the built argv is spawned for real (no shell) against a stand-in that writes its argv as JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { resolveSettings, lookupFromSettingsJson } from '../../src/core/settings/resolve';
import type { Settings } from '../../src/core/settings/catalog';
import { listenAddress } from '../../src/core/servers';
import {
  buildLlamaServerArgv,
  buildVllmArgv,
  buildOllamaServeCommand,
  buildLmsCommands,
  buildServerCommand,
  buildWrapperScriptCommand,
  launchProblems,
  launchIssues,
  exposesBeyondLoopback,
  redactLaunchCommand,
  launchSettingKeys,
  mirroredEnv,
  launchFingerprint,
  type LaunchCommand,
} from '../../src/core/launch';

const ARGV_JSON = resolve(__dirname, '../support/bin/argv-json');
const STAND_IN = resolve(__dirname, '../support/bin/stand-in-llama-server');

const dir = mkdtempSync(join(tmpdir(), 'lmr-argv-'));
const marker = join(dir, 'marker');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Values a shell would act on, and values that look like flags. */
const HOSTILE = [
  '; rm -rf ~',
  `$(touch ${marker})`,
  `\`touch ${marker}\``,
  `"double" and 'single' quotes`,
  'two  spaces\tand a tab',
  `line one\nline two; touch ${marker}`,
  'ünïcødé 模型 🚀 ‮rtl',
  '-leading-dash',
  '--port',
  '$HOME ${PATH} * ? [a]',
  "'; touch " + marker + "; echo '",
  '\\ backslash \\n',
];

function settings(json: Record<string, unknown>, env: Record<string, string> = {}): Settings {
  const r = resolveSettings(lookupFromSettingsJson(json), env, true);
  assert.deepEqual(r.problems, [], 'the test settings are valid');
  return r.values;
}

/** Runs the command exactly as the extension would (spawn, shell:false) with the argv printer. */
function runArgv(cmd: LaunchCommand): string[] {
  const out = execFileSync(ARGV_JSON, cmd.args, { env: { ...process.env, ...cmd.env, ARGV_JSON_OUT: '' }, encoding: 'utf8', shell: false });
  return JSON.parse(out) as string[];
}

function assertPair(args: string[], flag: string, value: string) {
  const i = args.indexOf(flag);
  assert.ok(i >= 0, `${flag} present in ${JSON.stringify(args)}`);
  assert.equal(args[i + 1], value, `${flag} is followed by the value as one element`);
}

test('llama-server: hostile values arrive as single argv elements, verbatim, and nothing runs', () => {
  for (const h of HOSTILE) {
    const s = settings({
      'localModelRouter.llamacpp.executable': ARGV_JSON,
      'localModelRouter.llamacpp.modelPath': h,
      'localModelRouter.llamacpp.modelAlias': h,
      'localModelRouter.llamacpp.chatTemplate': h,
      'localModelRouter.llamacpp.host': h,
      'localModelRouter.llamacpp.extraArgs': ['--api-key-file', h],
    });
    const cmd = buildLlamaServerArgv(s);
    assert.equal(cmd.command, ARGV_JSON);
    const got = runArgv(cmd);
    assert.deepEqual(got, cmd.args, 'the process received exactly the built argv');
    for (const flag of ['-m', '--alias', '--chat-template', '--host']) assertPair(got, flag, h);
    assert.equal(got.at(-1), h);
    assert.equal(got.filter(a => a === h).length, h === '--port' ? 6 : 5, 'five settings, five elements (plus the real --port flag)');
  }
  assert.equal(existsSync(marker), false, 'no command in a value was executed');
});

test('llama-server: a value with a leading "-" is consumed as the value, as llama-server\'s own parser does', () => {
  // llama-server rejects `--alias=-x` (it looks up the whole word as a flag) but takes the element
  // after a flag as its value whatever it looks like; the stand-in parses the same way and fails
  // with "invalid argument" if a value were read as a flag.
  const s = settings({
    'localModelRouter.llamacpp.executable': STAND_IN,
    'localModelRouter.llamacpp.modelAlias': '-leading-dash',
    'localModelRouter.llamacpp.modelPath': '--port',
    'localModelRouter.llamacpp.chatTemplate': '-m',
    'localModelRouter.llamacpp.extraArgs': ['--stand-in-print-argv', '--stand-in-exit', '0', '--stand-in-error', 'parsed'],
  });
  const cmd = buildLlamaServerArgv(s);
  const r = spawnSync(cmd.command, cmd.args, { encoding: 'utf8', shell: false, timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim()), cmd.args);
  assertPair(cmd.args, '--alias', '-leading-dash');
  assertPair(cmd.args, '-m', '--port');
});

test('llama-server argv follows the settings, in the known-good order', () => {
  // The wrapper's own values, as PRODEX_LOCAL_* variables set them.
  const wrapper = { PRODEX_LOCAL_GPU_LAYERS: '20', PRODEX_LOCAL_THREADS: '8', PRODEX_LOCAL_CHAT_TEMPLATE: 'chatml' };
  const s = settings(
    {
      'localModelRouter.llamacpp.modelPath': '/models/q.gguf',
      'localModelRouter.llamacpp.flashAttention': 'on',
      'localModelRouter.llamacpp.jinja': false,
    },
    wrapper,
  );
  assert.deepEqual(buildLlamaServerArgv(s), {
    command: 'llama-server',
    args: [
      '-m',
      '/models/q.gguf',
      '--host',
      '127.0.0.1',
      '--port',
      '8131',
      '--alias',
      'local/model',
      '--n-gpu-layers',
      '20',
      '--threads',
      '8',
      '--ctx-size',
      '16384',
      '--batch-size',
      '256',
      '--ubatch-size',
      '256',
      '--chat-template',
      'chatml',
      '--parallel',
      '1',
      '--flash-attn',
      'on',
      '--no-jinja',
      '--keep',
      '1024',
      '--cache-type-k',
      'q8_0',
      '--cache-type-v',
      'q8_0',
      '--reasoning',
      'off',
    ],
    env: {},
  });
  const d = buildLlamaServerArgv(settings({ 'localModelRouter.llamacpp.reasoning': 'auto', 'localModelRouter.llamacpp.modelAlias': '' }));
  assert.ok(!d.args.includes('--flash-attn') && !d.args.includes('--reasoning'), 'auto leaves the flag out');
  assert.ok(
    !d.args.includes('-m') && !d.args.includes('--alias') && !d.args.includes('--chat-template'),
    'empty strings leave the flag out',
  );
  assert.ok(d.args.includes('--jinja'));
});

test("defaults fit the host: GPU layers and threads are left to llama-server, the model's own template is used", () => {
  const d = buildLlamaServerArgv(settings({ 'localModelRouter.llamacpp.modelPath': '/m.gguf' }));
  for (const f of ['--n-gpu-layers', '--threads', '--chat-template', '--chat-template-file'])
    assert.ok(!d.args.includes(f), `${f} left out by default`);
  // A relaxed copy of a strict template goes in as a file; a template the user chose wins.
  const relaxed = buildLlamaServerArgv(settings({ 'localModelRouter.llamacpp.modelPath': '/m.gguf' }), {
    chatTemplateFile: '/t/relaxed.jinja',
  });
  assertPair(relaxed.args, '--chat-template-file', '/t/relaxed.jinja');
  const chosen = buildLlamaServerArgv(
    settings({ 'localModelRouter.llamacpp.modelPath': '/m.gguf', 'localModelRouter.llamacpp.chatTemplate': 'chatml' }),
    { chatTemplateFile: '/t/relaxed.jinja' },
  );
  assertPair(chosen.args, '--chat-template', 'chatml');
  assert.ok(!chosen.args.includes('--chat-template-file'));
});

test('PRODEX_LOCAL_* variables fill settings left at their default; a user value wins', () => {
  const env = { PRODEX_LOCAL_PORT: '9123', PRODEX_LOCAL_MODEL_PATH: '/env/model.gguf', PRODEX_LOCAL_MODEL_ALIAS: 'env-alias' };
  const s = settings({ 'localModelRouter.llamacpp.modelAlias': 'user-alias' }, env);
  const args = buildLlamaServerArgv(s).args;
  assertPair(args, '--port', '9123');
  assertPair(args, '-m', '/env/model.gguf');
  assertPair(args, '--alias', 'user-alias');
});

test('API keys go in the environment, never argv, and are redacted for display', () => {
  const s = settings({});
  const c = buildLlamaServerArgv(s, { apiKey: 'sk-secret' });
  assert.equal(c.env.LLAMA_API_KEY, 'sk-secret');
  assert.ok(!c.args.some(a => a.includes('sk-secret')));
  assert.equal(redactLaunchCommand(c).env.LLAMA_API_KEY, '<redacted>');
  const v = buildVllmArgv(settings({ 'localModelRouter.vllm.model': 'Qwen/Qwen3-8B' }), { apiKey: 'sk-v' });
  assert.equal(v.env.VLLM_API_KEY, 'sk-v');
  assert.ok(!JSON.stringify(redactLaunchCommand(v)).includes('sk-v'));
});

test('vLLM: string values use --flag=value so argparse cannot take them for flags', () => {
  for (const h of HOSTILE) {
    const s = settings({
      'localModelRouter.vllm.executable': ARGV_JSON,
      'localModelRouter.vllm.model': h,
      'localModelRouter.vllm.servedModelName': h,
      'localModelRouter.vllm.host': h,
    });
    const cmd = buildVllmArgv(s);
    const got = runArgv(cmd);
    assert.deepEqual(got, cmd.args);
    assert.equal(got[0], 'serve');
    assert.equal(got[1], h.startsWith('-') ? `--model=${h}` : h);
    assert.ok(got.includes(`--served-model-name=${h}`));
    assert.ok(got.includes(`--host=${h}`));
  }
  assert.equal(existsSync(marker), false);
});

test(
  'vLLM: Python argparse reads every hostile value back unchanged',
  { skip: spawnSync('python3', ['-c', '1']).status !== 0 && 'python3 not available' },
  () => {
    const parser = [
      'import argparse, json, sys',
      'p = argparse.ArgumentParser()',
      'p.add_argument("cmd"); p.add_argument("model_tag", nargs="?"); p.add_argument("--model")',
      'p.add_argument("--host"); p.add_argument("--port", type=int); p.add_argument("--served-model-name")',
      'p.add_argument("--max-model-len", type=int); p.add_argument("--enable-auto-tool-choice", action="store_true"); p.add_argument("--tool-call-parser")',
      'a = p.parse_args(sys.argv[1:])',
      'print(json.dumps({"model": a.model_tag or a.model, "name": a.served_model_name, "host": a.host}))',
    ].join('\n');
    for (const h of HOSTILE) {
      const cmd = buildVllmArgv(
        settings({ 'localModelRouter.vllm.model': h, 'localModelRouter.vllm.servedModelName': h, 'localModelRouter.vllm.host': h }),
      );
      const r = spawnSync('python3', ['-c', parser, ...cmd.args], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${JSON.stringify(h)}: ${r.stderr}`);
      assert.deepEqual(JSON.parse(r.stdout), { model: h, name: h, host: h });
    }
    // The two-element form is what breaks: argparse reads "-leading-dash" as an unknown option.
    const broken = spawnSync('python3', ['-c', parser, 'serve', 'm', '--served-model-name', '-leading-dash'], { encoding: 'utf8' });
    assert.notEqual(broken.status, 0);
  },
);

test('Ollama: everything goes through its environment variables, verbatim', () => {
  for (const h of HOSTILE) {
    const cmd = buildOllamaServeCommand(
      settings({
        'localModelRouter.ollama.executable': process.execPath,
        'localModelRouter.ollama.host': h,
        'localModelRouter.ollama.modelsDir': h,
        'localModelRouter.ollama.contextLength': 8192,
      }),
      { env: {} },
    );
    assert.deepEqual(cmd.args, ['serve']);
    const out = execFileSync(
      process.execPath,
      [
        '-e',
        'process.stdout.write(JSON.stringify([process.env.OLLAMA_HOST, process.env.OLLAMA_MODELS, process.env.OLLAMA_CONTEXT_LENGTH]))',
      ],
      { env: { ...process.env, ...cmd.env }, encoding: 'utf8' },
    );
    assert.deepEqual(JSON.parse(out), [h, h, '8192']);
  }
  assert.equal(existsSync(marker), false);
});

test('LM Studio: `lms server start --port`, then `lms load <model> --context-length --identifier -y`', () => {
  const s = settings({
    'localModelRouter.lmstudio.modelKey': 'qwen/qwen3-8b',
    'localModelRouter.lmstudio.identifier': '-odd id; $(x)',
    'localModelRouter.lmstudio.contextLength': 16384,
  });
  const c = buildLmsCommands(s);
  assert.deepEqual(c.server, { command: 'lms', args: ['server', 'start', '--port=1234'], env: {} });
  assert.deepEqual(c.load?.args, ['load', 'qwen/qwen3-8b', '--context-length=16384', '--identifier=-odd id; $(x)', '-y']);
  assert.equal(buildLmsCommands(settings({})).load, undefined, 'no model key, no load step');
  assert.match(launchProblems('lmstudio', settings({ 'localModelRouter.lmstudio.modelKey': '-x' })).join(), /starts with "-"/);
});

test("wrapperScript: runs the user's wrapper with every mirrored setting as PRODEX_LOCAL_*", () => {
  const s = settings({
    'localModelRouter.llamacpp.wrapperScript': '/home/me/bin/serve.sh',
    'localModelRouter.llamacpp.modelAlias': HOSTILE[1],
    'localModelRouter.llamacpp.extraArgs': ['--verbose'],
  });
  const cmd = buildServerCommand('llamacpp', s);
  assert.deepEqual(cmd, buildWrapperScriptCommand(s));
  assert.equal(cmd.command, '/home/me/bin/serve.sh');
  assert.deepEqual(cmd.args, ['--verbose']);
  assert.equal(cmd.env.PRODEX_LOCAL_MODEL_ALIAS, HOSTILE[1]);
  assert.equal(cmd.env.PRODEX_LOCAL_PORT, '8131');
  assert.deepEqual(Object.keys(cmd.env).sort(), Object.keys(mirroredEnv(s)).sort());
  assert.ok(Object.keys(cmd.env).every(k => k.startsWith('PRODEX_LOCAL_')));
});

test('problems: NUL bytes, missing vLLM model, empty executable', () => {
  const m = { 'localModelRouter.llamacpp.modelPath': '/m.gguf' };
  assert.match(launchProblems('llamacpp', settings({ ...m, 'localModelRouter.llamacpp.modelAlias': 'a\0b' })).join(), /NUL/);
  assert.match(launchProblems('vllm', settings({})).join(), /vllm\.model/);
  assert.match(launchProblems('llamacpp', settings({ ...m, 'localModelRouter.llamacpp.executable': ' ' })).join(), /llamacpp\.executable/);
  assert.deepEqual(launchProblems('llamacpp', settings(m)), []);
});

test('no model, no start: llama.cpp without a model path is a problem, router mode only on purpose', () => {
  const issues = launchIssues('llamacpp', settings({}));
  assert.deepEqual(
    issues.map(i => [i.kind, i.setting]),
    [['no-model', 'llamacpp.modelPath']],
  );
  assert.match(issues[0].message, /\.gguf/);
  assert.deepEqual(
    launchIssues('llamacpp', settings({ 'localModelRouter.llamacpp.extraArgs': ['--models-dir', '/models'] })),
    [],
    '--models-dir asks for router mode',
  );
  assert.deepEqual(launchIssues('llamacpp', settings({}, { PRODEX_LOCAL_MODEL_PATH: '/env.gguf' })), [], 'the wrapper variable fills it');
});

test('where the server listens, and when that is beyond this machine', () => {
  const url = (p: 'llamacpp' | 'ollama' | 'lmstudio' | 'vllm', json: Record<string, unknown>, env: Record<string, string> = {}) =>
    listenAddress(p, settings(json), env).baseUrl;
  assert.equal(url('llamacpp', {}), 'http://127.0.0.1:8131/v1');
  assert.equal(url('llamacpp', { 'localModelRouter.llamacpp.host': '0.0.0.0' }), 'http://127.0.0.1:8131/v1');
  assert.equal(url('llamacpp', { 'localModelRouter.llamacpp.host': '::' }), 'http://[::1]:8131/v1');
  assert.equal(url('ollama', { 'localModelRouter.ollama.host': '0.0.0.0:11500' }), 'http://127.0.0.1:11500/v1');
  assert.equal(
    url('ollama', {}, { OLLAMA_HOST: '127.0.0.1:11600' }),
    'http://127.0.0.1:11600/v1',
    'OLLAMA_HOST when the setting is empty, as ollama serve itself',
  );
  assert.equal(url('lmstudio', { 'localModelRouter.lmstudio.port': 4321 }), 'http://127.0.0.1:4321/v1');
  assert.equal(url('vllm', { 'localModelRouter.vllm.port': 8001 }), 'http://127.0.0.1:8001/v1');
  assert.equal(exposesBeyondLoopback('llamacpp', settings({})), false);
  assert.equal(exposesBeyondLoopback('llamacpp', settings({ 'localModelRouter.llamacpp.host': '0.0.0.0' })), true);
  assert.equal(exposesBeyondLoopback('vllm', settings({ 'localModelRouter.vllm.host': '192.168.1.20' })), true);
  assert.equal(exposesBeyondLoopback('ollama', settings({ 'localModelRouter.ollama.host': '0.0.0.0:11434' })), true);
  assert.equal(exposesBeyondLoopback('ollama', settings({})), false);
});

test("a provider's launch keys are its own (a change elsewhere does not offer a restart)", () => {
  const k = launchSettingKeys('llamacpp');
  assert.ok(k.includes('llamacpp.port') && k.includes('llamacpp.executable') && k.includes('llamacpp.extraArgs'));
  assert.ok(!k.includes('llamacpp.baseUrl') && !k.some(x => !x.startsWith('llamacpp.')));
  assert.ok(!launchSettingKeys('vllm').includes('llamacpp.port'));
});

test('"Restart server" is offered only when the provider\'s own launch command changes', () => {
  const base = settings({});
  const fp = (json: Record<string, unknown>, p: 'llamacpp' | 'vllm' | 'ollama' | 'lmstudio' = 'llamacpp') =>
    launchFingerprint(p, settings(json));
  assert.notEqual(fp({ 'localModelRouter.llamacpp.port': 9000 }), launchFingerprint('llamacpp', base));
  assert.notEqual(fp({ 'localModelRouter.llamacpp.extraArgs': ['--metrics'] }), launchFingerprint('llamacpp', base));
  assert.equal(fp({ 'localModelRouter.vllm.port': 9000 }), launchFingerprint('llamacpp', base), "another provider's setting");
  assert.equal(fp({ 'localModelRouter.llamacpp.autoCompactTokenLimit': 1000 }), launchFingerprint('llamacpp', base), 'a Codex-only value');
  assert.equal(fp({ 'localModelRouter.llamacpp.port': 8131 }), launchFingerprint('llamacpp', base), 'same effective value');
  assert.notEqual(fp({ 'localModelRouter.ollama.model': 'qwen3:8b' }, 'ollama'), launchFingerprint('ollama', base));
  assert.notEqual(
    fp({ 'localModelRouter.lmstudio.identifier': 'x', 'localModelRouter.lmstudio.modelKey': 'm' }, 'lmstudio'),
    fp({ 'localModelRouter.lmstudio.modelKey': 'm' }, 'lmstudio'),
  );
});

test('marker check is meaningful: the same text run by a shell does create the marker', () => {
  execFileSync('/bin/sh', ['-c', `echo ${HOSTILE[1]}`]);
  assert.equal(existsSync(marker), true);
  rmSync(marker);
});
