// The exported wrapper scripts run under sh and pass exactly what the extension's own launch passes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { resolveSettings, lookupFromSettingsJson } from '../../src/core/settings/resolve';
import { MIRRORED_KEYS, SETTINGS, type SettingDef } from '../../src/core/settings/catalog';
import { startScriptedServer } from '../support/scripted-server';
import { buildLlamaServerArgv, serverWrapperScript, codexLauncherScript, shQuote, mirrorTable } from '../../src/core/launch';

const ARGV_JSON = resolve(__dirname, '../support/bin/argv-json');
const dir = mkdtempSync(join(tmpdir(), 'lmr-wrapper-'));
const bin = join(dir, 'bin');
mkdirSync(bin);
// Stand-ins on PATH that print their argv: the wrappers call `llama-server` and `codex` by name.
symlinkSync(ARGV_JSON, join(bin, 'llama-server'));
symlinkSync(ARGV_JSON, join(bin, 'codex'));
const marker = join(dir, 'marker');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const SHELLS = ['/bin/sh', '/bin/dash', '/bin/bash'].filter(s => existsSync(s));

const HOSTILE = [
  `$(touch ${marker})`,
  `\`touch ${marker}\``,
  `it's "quoted"; touch ${marker}`,
  'two words\tand\nnewline',
  'ünïcødé 🚀',
  '-dash',
  '\\back\\slash',
  '${HOME}',
];

function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: `${bin}:${process.env.PATH}`, ARGV_JSON_OUT: '' };
  return { ...env, ...extra };
}

function runScript(
  shell: string,
  text: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): { status: number | null; argv?: string[]; stderr: string } {
  const file = join(dir, `script-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(file, text);
  chmodSync(file, 0o755);
  const r = spawnSync(shell, [file, ...args], { env, encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stderr: r.stderr, argv: r.status === 0 ? (JSON.parse(r.stdout) as string[]) : undefined };
}

const settingsOf = (json: Record<string, unknown>, env: Record<string, string> = {}) =>
  resolveSettings(lookupFromSettingsJson(json), env, true).values;

test('shQuote survives every hostile value', () => {
  for (const h of HOSTILE) {
    const r = spawnSync('/bin/sh', ['-c', `printf '%s' ${shQuote(h)}`], { encoding: 'utf8' });
    assert.equal(r.stdout, h);
  }
  assert.equal(existsSync(marker), false);
});

test("server wrapper passes the same flags as the extension's launch (defaults, every shell)", () => {
  const s = settingsOf({ 'localModelRouter.llamacpp.modelPath': '/models/q.gguf' });
  for (const shell of SHELLS) {
    const r = runScript(shell, serverWrapperScript(s).text, [], cleanEnv());
    assert.equal(r.status, 0, `${shell}: ${r.stderr}`);
    assert.deepEqual(r.argv, buildLlamaServerArgv(s).args, shell);
  }
});

test('server wrapper with hostile saved values: same argv, nothing executed', () => {
  for (const h of HOSTILE) {
    const s = settingsOf({
      'localModelRouter.llamacpp.modelPath': h,
      'localModelRouter.llamacpp.modelAlias': h,
      'localModelRouter.llamacpp.chatTemplate': h,
      'localModelRouter.llamacpp.host': h,
      'localModelRouter.llamacpp.extraArgs': [h, '--x', h],
      'localModelRouter.llamacpp.flashAttention': 'on',
    });
    for (const shell of SHELLS) {
      const r = runScript(shell, serverWrapperScript(s).text, [], cleanEnv());
      assert.equal(r.status, 0, `${shell} ${JSON.stringify(h)}: ${r.stderr}`);
      assert.deepEqual(r.argv, buildLlamaServerArgv(s).args, `${shell} ${JSON.stringify(h)}`);
    }
  }
  assert.equal(existsSync(marker), false);
});

test('server wrapper: PRODEX_LOCAL_* variables replace the saved values exactly as the extension reads them', () => {
  const saved = settingsOf({});
  const env = {
    PRODEX_LOCAL_PORT: '9555',
    PRODEX_LOCAL_MODEL_ALIAS: HOSTILE[2],
    PRODEX_LOCAL_MODEL_PATH: HOSTILE[0],
    PRODEX_LOCAL_HOST: '',
    PRODEX_LOCAL_CHAT_TEMPLATE: 'qwen',
  };
  const expected = buildLlamaServerArgv(settingsOf({}, env)).args;
  for (const shell of SHELLS) {
    const r = runScript(shell, serverWrapperScript(saved).text, [], cleanEnv(env));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.argv, expected, shell);
  }
  assert.equal(existsSync(marker), false);
});

test('server wrapper: arguments given to it go after the saved ones', () => {
  const s = settingsOf({ 'localModelRouter.llamacpp.extraArgs': ['--metrics'] });
  const r = runScript('/bin/sh', serverWrapperScript(s).text, ['--verbose', 'a b', HOSTILE[0]], cleanEnv());
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.argv, [...buildLlamaServerArgv(s).args, '--verbose', 'a b', HOSTILE[0]]);
});

test('server wrapper names every mirrored variable with the current value as default', () => {
  const text = serverWrapperScript(settingsOf({ 'localModelRouter.llamacpp.port': 9001 })).text;
  for (const k of MIRRORED_KEYS) {
    const name = (SETTINGS[k] as SettingDef).env as string;
    if (name === 'PRODEX_LOCAL_AUTO_COMPACT_LIMIT') continue; // a Codex setting, used by the launcher
    assert.ok(text.includes(`${name}=\${${name}:-$saved}`), name);
  }
  assert.match(text, /saved='9001'\nPRODEX_LOCAL_PORT=/);
  assert.match(text, /^#!\/bin\/sh\n/);
});

function codexConfig(argv: string[]): { toml: Record<string, unknown>; rest: string[] } {
  const lines: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-c') lines.push(argv[++i].replace('=', ' = '));
    else rest.push(argv[i]);
  }
  return { toml: parseToml(lines.join('\n')) as Record<string, unknown>, rest };
}

test('Codex launcher: -c overrides that point Codex at the local server, as valid TOML', () => {
  const s = settingsOf({ 'localModelRouter.llamacpp.modelAlias': 'qwen "coder" \\ 30b', 'localModelRouter.llamacpp.port': 8200 });
  for (const shell of SHELLS) {
    const r = runScript(shell, codexLauncherScript(s).text, ['exec', 'say hi'], cleanEnv());
    assert.equal(r.status, 0, r.stderr);
    const { toml, rest } = codexConfig(r.argv as string[]);
    assert.deepEqual(rest, ['exec', 'say hi']);
    assert.equal(toml.model_provider, 'local-llamacpp');
    assert.equal(toml.model, 'qwen "coder" \\ 30b');
    assert.equal(toml.model_context_window, 16384);
    assert.equal(toml.model_auto_compact_token_limit, 14000);
    const p = { ...(toml.model_providers as Record<string, Record<string, unknown>>)['local-llamacpp'] };
    assert.deepEqual(p, { name: 'llama.cpp (127.0.0.1:8200)', base_url: 'http://127.0.0.1:8200/v1', wire_api: 'responses' });
  }
});

test('Codex launcher: variables override; bad values fail with a clear message; nothing is executed', () => {
  const s = settingsOf({});
  const ok = runScript(
    '/bin/sh',
    codexLauncherScript(s).text,
    [],
    cleanEnv({ PRODEX_LOCAL_HOST: '0.0.0.0', PRODEX_LOCAL_PORT: '9100', PRODEX_LOCAL_MODEL_ALIAS: HOSTILE[0], PRODEX_LOCAL_CONTEXT: '0' }),
  );
  assert.equal(ok.status, 0, ok.stderr);
  const { toml } = codexConfig(ok.argv as string[]);
  assert.equal(toml.model, HOSTILE[0]);
  assert.equal((toml.model_providers as Record<string, Record<string, unknown>>)['local-llamacpp'].base_url, 'http://127.0.0.1:9100/v1');
  assert.equal(toml.model_context_window, undefined, 'context 0 (from the model) sets no window');
  const v6 = runScript('/bin/sh', codexLauncherScript(s).text, [], cleanEnv({ PRODEX_LOCAL_HOST: '::1' }));
  assert.equal(
    (codexConfig(v6.argv as string[]).toml.model_providers as Record<string, Record<string, unknown>>)['local-llamacpp'].base_url,
    'http://[::1]:8131/v1',
  );
  const badPort = runScript('/bin/sh', codexLauncherScript(s).text, [], cleanEnv({ PRODEX_LOCAL_PORT: '80; touch x' }));
  assert.equal(badPort.status, 2);
  assert.match(badPort.stderr, /PRODEX_LOCAL_PORT must be a whole number/);
  const nl = runScript('/bin/sh', codexLauncherScript(s).text, [], cleanEnv({ PRODEX_LOCAL_MODEL_ALIAS: 'a\nb' }));
  assert.equal(nl.status, 2);
  assert.match(nl.stderr, /PRODEX_LOCAL_MODEL_ALIAS contains a line break/);
  assert.equal(existsSync(marker), false);
});

const CODEX = resolve(__dirname, '../../node_modules/.bin/codex');

test(
  'Codex launcher runs the real Codex CLI (--strict-config) against a scripted llama-server',
  { skip: !existsSync(CODEX) && 'codex CLI not installed', timeout: 90_000 },
  async () => {
    const server = await startScriptedServer({ kind: 'llamacpp', models: [{ id: 'local/model' }] });
    const home = mkdtempSync(join(dir, 'codex-home-'));
    try {
      const s = settingsOf({ 'localModelRouter.llamacpp.port': server.port, 'localModelRouter.codex.executable': CODEX });
      const file = join(home, 'codex-local.sh');
      writeFileSync(file, codexLauncherScript(s).text, { mode: 0o755 });
      // Async spawn: the scripted server lives in this process and must keep answering.
      const child = spawn('/bin/sh', [file, 'exec', '--skip-git-repo-check', '--strict-config', 'say hi'], {
        cwd: home,
        env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', d => (out += d));
      child.stderr.on('data', d => (out += d));
      const code = await new Promise<number | null>(res => {
        const t = setTimeout(() => child.kill('SIGKILL'), 75_000);
        child.on('close', c => {
          clearTimeout(t);
          res(c);
        });
      });
      assert.equal(code, 0, out);
      assert.match(out, /provider: local-llamacpp/);
      assert.match(out, /model: local\/model/);
      assert.ok(
        server.requests.some(r => r.method === 'POST' && r.path === '/v1/responses'),
        'Codex talked to the local server',
      );
    } finally {
      await server.close();
    }
  },
);

test('mirrorTable: one row per llama.cpp launch setting, with variable, flag and default', () => {
  const t = mirrorTable();
  assert.match(t, /^\| Setting \| Variable \| llama-server flag \| Default \| Notes \|/);
  assert.match(t, /\| `localModelRouter\.llamacpp\.port` \| `PRODEX_LOCAL_PORT` \| `--port` \| `8131` \|/);
  assert.match(t, /\| `localModelRouter\.llamacpp\.modelPath` \| `PRODEX_LOCAL_MODEL_PATH` \| `-m` \| \(empty\) \|/);
  assert.match(t, /\| `localModelRouter\.llamacpp\.parallel` \| — \| `--parallel` \| `1` \|/);
  for (const k of MIRRORED_KEYS) assert.ok(t.includes(`\`${(SETTINGS[k] as SettingDef).env}\``), k);
});
