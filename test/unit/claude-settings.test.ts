// The Claude Code settings writer: what goes into the file, second writes and removal touching only
// its own keys, refusals with nothing written, backup and restore, symlinks, and the CLI's JSON.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  claudeSettingsLocation,
  desiredClaudeSettings,
  managedKeys,
  planSettingsText,
  MANAGED_MARKER,
} from '../../src/core/claude/settings';
import { applyClaudeSettingsWrite, planClaudeRestore, planClaudeSettingsWrite, restoreClaudeBackup } from '../../src/core/claude/write';
import { claudeLaunchFor, claudeTerminalEnv } from '../../src/core/claude/launch';
import { anthropicBaseUrl } from '../../src/core/claude/env';
import { main } from '../../src/cli/main';

const route = { baseUrl: 'http://127.0.0.1:8131/v1', model: 'local/model', contextWindow: 65536, needsKey: false };

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-claude-settings-'));
}

test('the routing entries: root URL, every tier, the real window, attribution and traffic off, no secret', () => {
  const d = desiredClaudeSettings(route);
  assert.deepEqual(d.env, {
    ANTHROPIC_BASE_URL: 'http://127.0.0.1:8131',
    ANTHROPIC_MODEL: 'local/model',
    ANTHROPIC_DEFAULT_OPUS_MODEL: 'local/model',
    ANTHROPIC_DEFAULT_SONNET_MODEL: 'local/model',
    ANTHROPIC_DEFAULT_HAIKU_MODEL: 'local/model',
    CLAUDE_CODE_SUBAGENT_MODEL: 'local/model',
    CLAUDE_CODE_MAX_CONTEXT_TOKENS: '65536',
    CLAUDE_CODE_MAX_OUTPUT_TOKENS: '16384',
    CLAUDE_CODE_ATTRIBUTION_HEADER: '0',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    ANTHROPIC_API_KEY: '',
    ANTHROPIC_AUTH_TOKEN: 'local-model-router',
  });
  assert.equal(d.apiKeyHelper, undefined);
  const keyed = desiredClaudeSettings({ ...route, needsKey: true, keyVar: 'VLLM_API_KEY', disableThinking: true });
  assert.equal(keyed.apiKeyHelper, 'printenv VLLM_API_KEY');
  assert.equal(keyed.env.ANTHROPIC_AUTH_TOKEN, undefined, 'a placeholder would win over the helper for Authorization');
  assert.equal(keyed.env.CLAUDE_CODE_DISABLE_THINKING, '1');
  assert.throws(() => desiredClaudeSettings({ ...route, needsKey: true, keyVar: 'X; rm -rf /' }));
  assert.equal(anthropicBaseUrl('http://h:1/v1/'), 'http://h:1');
});

test('a user file: every byte outside the edit stays; a second write updates only its keys; removal takes only them out', () => {
  const before =
    '{\r\n\t"permissions": { "allow": ["Bash(ls:*)"] },\r\n\t"env": {\r\n\t\t"MY_VAR": "keep me"\r\n\t},\r\n\t"theme": "dark"\r\n}\r\n';
  const first = planSettingsText(before, desiredClaudeSettings(route));
  assert.ok(first.ok);
  assert.ok(
    first.after.startsWith('{\r\n\t"permissions": { "allow": ["Bash(ls:*)"] },\r\n\t"env": {\r\n\t\t"MY_VAR": "keep me",\r\n'),
    'tabs and CRLF kept',
  );
  assert.ok(first.after.endsWith('\r\n\t},\r\n\t"theme": "dark"\r\n}\r\n'));
  const v = JSON.parse(first.after);
  assert.equal(v.env.MY_VAR, 'keep me');
  assert.equal(v.theme, 'dark');
  assert.deepEqual(managedKeys(v).sort(), Object.keys(desiredClaudeSettings(route).env).sort());

  const second = planSettingsText(first.after, desiredClaudeSettings({ ...route, model: 'other', needsKey: true }));
  assert.ok(second.ok);
  const v2 = JSON.parse(second.after);
  assert.equal(v2.env.ANTHROPIC_MODEL, 'other');
  assert.equal(v2.env.ANTHROPIC_AUTH_TOKEN, undefined, 'the placeholder written before is taken out');
  assert.equal(v2.apiKeyHelper, 'printenv LOCAL_LLM_API_KEY');
  assert.deepEqual(second.removed, ['ANTHROPIC_AUTH_TOKEN']);
  const third = planSettingsText(second.after, desiredClaudeSettings({ ...route, model: 'other', needsKey: true }));
  assert.ok(third.ok);
  assert.deepEqual([third.set, third.after], [[], second.after], 'idempotent');

  const removed = planSettingsText(second.after, null);
  assert.ok(removed.ok);
  const v3 = JSON.parse(removed.after);
  assert.deepEqual(v3.env, { MY_VAR: 'keep me' });
  assert.equal(v3.apiKeyHelper, undefined);
  assert.equal(v3.theme, 'dark');
  assert.equal(v3.env[MANAGED_MARKER], undefined);
});

test("values of the user's own entries are replaced with a note, secrets never echoed", () => {
  const r = planSettingsText(
    '{"env":{"ANTHROPIC_BASE_URL":"https://proxy.example","ANTHROPIC_API_KEY":"sk-ant-secret"}}',
    desiredClaudeSettings(route),
  );
  assert.ok(r.ok);
  assert.ok(r.notes.some(n => /ANTHROPIC_BASE_URL \(was "https:\/\/proxy\.example"\)/.test(n)));
  assert.ok(!r.notes.join(' ').includes('sk-ant-secret'));
});

test('refused with nothing written: comments, trailing commas, a non-object, env not an object', () => {
  for (const bad of ['{ // c\n "a": 1 }', '{"a": 1,}', '[1]', '{"env": "x"}', '{"a": }']) {
    const r = planSettingsText(bad, desiredClaudeSettings(route));
    assert.equal(r.ok, false, bad);
  }
  assert.ok(planSettingsText('', desiredClaudeSettings(route)).ok, 'an empty file is {}');
  const bom = planSettingsText('\uFEFF{"a": 1}\n', desiredClaudeSettings(route));
  assert.ok(bom.ok && bom.after.startsWith('\uFEFF{'), 'a BOM stays');
});

test('files: project scope creates .claude/settings.local.json; backup in ~/.claude; restore; symlink followed; changed-on-disk refused', () => {
  const root = tmp();
  try {
    const home = path.join(root, 'home');
    const proj = path.join(root, 'proj');
    fs.mkdirSync(home);
    fs.mkdirSync(proj);
    const loc = claudeSettingsLocation('project', { home, folder: proj });
    assert.ok(loc.ok);
    assert.equal(loc.location.path, path.join(proj, '.claude', 'settings.local.json'));
    assert.equal(loc.location.claudeDir, path.join(home, '.claude'));
    const p1 = planClaudeSettingsWrite(loc.location, desiredClaudeSettings(route));
    assert.ok(p1.ok && p1.changed);
    assert.match(p1.change.diff, /^--- \/dev\/null/);
    assert.ok(!fs.existsSync(loc.location.path), 'planning writes nothing');
    assert.ok(applyClaudeSettingsWrite(p1.change).ok);
    assert.equal(JSON.parse(fs.readFileSync(loc.location.path, 'utf8')).env.ANTHROPIC_MODEL, 'local/model');

    // A dotfiles-style link: the link stays, its target gets the bytes.
    const user = claudeSettingsLocation('user', { home });
    assert.ok(user.ok);
    const target = path.join(root, 'dotfiles-settings.json');
    fs.writeFileSync(target, '{\n  "model": "opus"\n}\n');
    fs.mkdirSync(path.dirname(user.location.path), { recursive: true });
    fs.symlinkSync(target, user.location.path);
    const p2 = planClaudeSettingsWrite(user.location, desiredClaudeSettings(route));
    assert.ok(p2.ok);
    assert.ok(applyClaudeSettingsWrite(p2.change).ok);
    assert.ok(fs.lstatSync(user.location.path).isSymbolicLink());
    assert.equal(JSON.parse(fs.readFileSync(target, 'utf8')).model, 'opus');
    assert.ok(fs.readFileSync(target, 'utf8').startsWith('{\n  "model": "opus",\n  "env": {\n'));

    const restorePlan = planClaudeRestore(user.location);
    assert.ok(restorePlan);
    restoreClaudeBackup(restorePlan);
    assert.equal(fs.readFileSync(target, 'utf8'), '{\n  "model": "opus"\n}\n');

    // Changed on disk between plan and write: refused, the other program's bytes stay.
    const p3 = planClaudeSettingsWrite(user.location, desiredClaudeSettings(route));
    assert.ok(p3.ok);
    fs.writeFileSync(target, '{"edited": true}\n');
    const w = applyClaudeSettingsWrite(p3.change);
    assert.equal(w.ok, false);
    assert.equal(fs.readFileSync(target, 'utf8'), '{"edited": true}\n');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('CLAUDE_CONFIG_DIR moves the user file and the backups', () => {
  const loc = claudeSettingsLocation('user', { home: '/h', env: { CLAUDE_CONFIG_DIR: '/cfg/claude' } });
  assert.ok(loc.ok);
  assert.equal(loc.location.path, '/cfg/claude/settings.json');
});

test('launch and terminal: argv without secrets, the key only in env', () => {
  const l = claudeLaunchFor({ ...route, needsKey: true, apiKey: 'k-1', keyVar: 'VLLM_API_KEY', args: ['--continue'] });
  assert.ok(l.ok);
  assert.equal(l.command, 'claude');
  assert.deepEqual(l.args, ['--continue']);
  assert.equal(l.env.ANTHROPIC_AUTH_TOKEN, 'k-1');
  assert.equal(l.env.VLLM_API_KEY, 'k-1');
  assert.doesNotMatch(l.describe, /k-1/);
  const t = claudeTerminalEnv(route);
  assert.equal(t.ANTHROPIC_BASE_URL, 'http://127.0.0.1:8131');
  assert.equal(t.ANTHROPIC_AUTH_TOKEN, 'local-model-router');
});

test('CLI claude-settings: --dry-run JSON, write, unchanged, --remove, --restore, usage errors', async () => {
  const root = tmp();
  const run = async (args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(['claude-settings', ...args], {
      out: t => {
        out += `${t}\n`;
      },
      err: t => {
        err += `${t}\n`;
      },
      env: { HOME: root },
      cwd: root,
    });
    return { code, out, err };
  };
  try {
    const base = ['--scope', 'user', '--base-url', 'http://127.0.0.1:9/v1', '--model', 'm', '--json'];
    const dry = await run([...base, '--dry-run']);
    assert.equal(dry.code, 0, dry.err);
    const j = JSON.parse(dry.out);
    assert.equal(j.action, 'create');
    assert.equal(j.dryRun, true);
    assert.match(j.diff, /"ANTHROPIC_BASE_URL": "http:\/\/127\.0\.0\.1:9"/);
    assert.ok(!fs.existsSync(j.path));
    assert.equal((await run(base)).code, 0);
    assert.equal(JSON.parse((await run(base)).out).action, 'unchanged');
    const rm = await run(['--scope', 'user', '--remove', '--json']);
    assert.equal(rm.code, 0, rm.err);
    assert.deepEqual(JSON.parse(fs.readFileSync(j.path, 'utf8')), { env: {} });
    const rs = await run(['--scope', 'user', '--restore', '--json']);
    assert.equal(rs.code, 0, rs.out);
    assert.equal(JSON.parse(fs.readFileSync(j.path, 'utf8')).env.ANTHROPIC_MODEL, 'm');
    assert.equal((await run(['--scope', 'nowhere'])).code, 2);
    assert.equal((await run(['--scope', 'user', '--base-url', 'http://x', '--model', 'm', '--api-key-env', 'A B'])).code, 2);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('CLI verify --agent claude: the documented JSON; Codex stays the default; usage errors', async () => {
  const { startMessagesServer } = await import('../support/scripted-messages');
  const s = await startMessagesServer({ kind: 'llamacpp', models: [{ id: 'local/model', contextWindow: 32768 }] });
  const run = async (args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(['verify', ...args], {
      out: t => {
        out += `${t}\n`;
      },
      err: t => {
        err += `${t}\n`;
      },
      env: {},
      cwd: process.cwd(),
    });
    return { code, out, err };
  };
  try {
    const r = await run(['--agent', 'claude', '--base-url', s.root, '--model', 'local/model', '--context-window', '32768', '--json']);
    assert.equal(r.code, 0, r.out + r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.agent, 'claude');
    assert.deepEqual(
      j.stages.map((x: { id: string }) => x.id),
      ['models', 'messages-text', 'messages-stream', 'thinking', 'messages-tool-call', 'claude-shape', 'count-tokens'],
    );
    const text = await run(['--agent', 'claude', '--base-url', s.baseUrl, '--model', 'local/model', '--skip', 'claude-shape']);
    assert.equal(text.code, 0);
    assert.match(text.out, /OK: Claude Code can use this route/);
    assert.equal(
      (await run(['--agent', 'claude', '--base-url', s.baseUrl, '--model', 'm', '--skip', 'codex-shape'])).code,
      2,
      'stages are per agent',
    );
    assert.equal((await run(['--agent', 'gemini', '--base-url', s.baseUrl, '--model', 'm'])).code, 2);
    assert.equal((await run(['--base-url', s.baseUrl, '--model', 'm', '--no-thinking'])).code, 2, '--no-thinking is for claude');
  } finally {
    await s.close();
  }
});
