// The CLI against an attacker and an unlucky user: restore never destroys a hand edit and restores
// only the file it was asked for, --remove puts back what a write replaced, settings files that a
// reader and this writer would read differently are refused, hostile text from a server reaches the
// terminal escaped, and bad flag values are refused for the right reason.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { startScriptedServer, sendJson } from '../support/scripted-server';

const temps: string[] = [];
after(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-cli-safety-'));
  temps.push(d);
  return d;
}

async function run(args: string[], o: { env?: Record<string, string>; cwd?: string } = {}) {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: t => {
      out += `${t}\n`;
    },
    err: t => {
      err += `${t}\n`;
    },
    env: o.env ?? {},
    cwd: o.cwd ?? process.cwd(),
  });
  return { code, out, err };
}

const ROUTE = ['--base-url', 'http://127.0.0.1:8131/v1', '--model', 'local/model'];
const read = (p: string) => fs.readFileSync(p, 'utf8');

test('--restore after a hand edit: refused and nothing lost; --force keeps the hand edit in a backup and says where', async () => {
  const home = tmp();
  const file = path.join(home, '.claude', 'settings.json');
  assert.equal((await run(['claude-settings', '--scope', 'user', '--home', home, ...ROUTE])).code, 0);
  const edited = JSON.parse(read(file)) as Record<string, unknown>;
  edited.theme = 'my hand edit';
  fs.writeFileSync(file, JSON.stringify(edited, null, 2));
  const handEdited = read(file);

  const refused = await run(['claude-settings', '--scope', 'user', '--home', home, '--restore']);
  assert.equal(refused.code, 1, refused.out);
  assert.match(refused.err, /changed since Local Model Router wrote it/);
  assert.match(refused.err, /--force/);
  assert.equal(read(file), handEdited, 'the hand edit is still in the file');

  const forced = await run(['claude-settings', '--scope', 'user', '--home', home, '--restore', '--force', '--json']);
  assert.equal(forced.code, 0, forced.err);
  const j = JSON.parse(forced.out) as { savedIn: string; from: string };
  assert.ok(!fs.existsSync(file) || !read(file).includes('my hand edit'), 'restored to before the write');
  const kept = fs.readdirSync(j.savedIn).filter(n => n !== 'manifest.json');
  assert.equal(kept.length, 1);
  assert.equal(read(path.join(j.savedIn, kept[0])), handEdited, 'the hand edit is kept in the backup named');
  assert.ok(fs.existsSync(path.join(j.from, 'manifest.json')), 'the restored backup set is not deleted');
});

test('--restore restores only its own scope and project, never the newest set of another', async () => {
  const home = tmp();
  const a = tmp();
  const b = tmp();
  const userFile = path.join(home, '.claude', 'settings.json');
  const aFile = path.join(a, '.claude', 'settings.local.json');
  fs.mkdirSync(path.dirname(userFile), { recursive: true });
  fs.writeFileSync(userFile, '{"model": "opus"}\n');
  fs.mkdirSync(path.dirname(aFile), { recursive: true });
  fs.writeFileSync(aFile, '{"permissions": {}}\n');
  assert.equal((await run(['claude-settings', '--scope', 'user', '--home', home, ...ROUTE])).code, 0);
  assert.equal((await run(['claude-settings', '--scope', 'project', '--folder', a, '--home', home, ...ROUTE])).code, 0);
  const userAfter = read(userFile);
  const aAfter = read(aFile);

  // Project B was never written: nothing to restore there, and nobody else's file is touched.
  const inB = await run(['claude-settings', '--scope', 'project', '--folder', b, '--home', home, '--restore']);
  assert.equal(inB.code, 1);
  assert.match(inB.err, /No backup of .*settings\.local\.json/);
  assert.equal(read(userFile), userAfter);
  assert.equal(read(aFile), aAfter);
  assert.ok(!fs.existsSync(path.join(b, '.claude')));

  // The user scope restores the user file, though project A's set is newer.
  const user = await run(['claude-settings', '--scope', 'user', '--home', home, '--restore']);
  assert.equal(user.code, 0, user.err);
  assert.equal(read(userFile), '{"model": "opus"}\n');
  assert.equal(read(aFile), aAfter);
  const projA = await run(['claude-settings', '--scope', 'project', '--folder', a, '--home', home, '--restore']);
  assert.equal(projA.code, 0, projA.err);
  assert.equal(read(aFile), '{"permissions": {}}\n');
});

test('--remove puts back the values of your own the write replaced', async () => {
  const home = tmp();
  const file = path.join(home, '.claude', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, '{\n  "env": {\n    "ANTHROPIC_MODEL": "my-own-model",\n    "KEEP": "x"\n  }\n}\n');
  const w = await run(['claude-settings', '--scope', 'user', '--home', home, ...ROUTE]);
  assert.equal(w.code, 0, w.err);
  assert.match(w.out, /replaces your own env ANTHROPIC_MODEL/);
  // A second write (the route changed) keeps knowing what was the user's.
  assert.equal(
    (await run(['claude-settings', '--scope', 'user', '--home', home, '--base-url', 'http://127.0.0.1:8132/v1', '--model', 'other'])).code,
    0,
  );
  const r = await run(['claude-settings', '--scope', 'user', '--home', home, '--remove', '--json']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(JSON.parse(read(file)), { env: { ANTHROPIC_MODEL: 'my-own-model', KEEP: 'x' } });
  assert.deepEqual(JSON.parse(r.out).putBack, ['ANTHROPIC_MODEL']);
});

test('duplicate keys are refused, naming the key and its lines; the file is unchanged', async () => {
  const home = tmp();
  const file = path.join(home, '.claude', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (const [text, key, lines] of [
    ['{"env": {"ANTHROPIC_BASE_URL": "a", "ANTHROPIC_BASE_URL": "b"}}', '"ANTHROPIC_BASE_URL" in "env"', 'lines 1 and 1'],
    ['{\n  "env": {"A": "1"},\n  "model": "x",\n  "env": {"B": "2"}\n}\n', '"env"', 'lines 2 and 4'],
    ['{"a": {"b": {"k": 1, "\\u006b": 2}}}', '"k" in "a.b"', 'lines 1 and 1'],
  ] as const) {
    fs.writeFileSync(file, text);
    const r = await run(['claude-settings', '--scope', 'user', '--home', home, ...ROUTE]);
    assert.equal(r.code, 1, `${text}: ${r.out}`);
    assert.ok(r.err.includes(`the key ${key} appears twice (${lines})`), r.err);
    assert.equal(read(file), text);
  }
});

test('100,000-deep nesting: a clear refusal, no stack trace, the file unchanged', async () => {
  const home = tmp();
  const file = path.join(home, '.claude', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const text = `{"deep": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
  fs.writeFileSync(file, text);
  const r = await run(['claude-settings', '--scope', 'user', '--home', home, ...ROUTE]);
  assert.equal(r.code, 1);
  assert.match(r.err, /nested more than 100 levels deep/);
  assert.doesNotMatch(r.err + r.out, /RangeError|Maximum call stack|\n\s+at /);
  assert.equal(read(file), text);
});

test('a settings file that is a device: refused at once for what it is', async () => {
  const home = tmp();
  const file = path.join(home, '.claude', 'settings.json');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.symlinkSync('/dev/zero', file);
  const r = await run(['claude-settings', '--scope', 'user', '--home', home, ...ROUTE]);
  assert.equal(r.code, 1);
  assert.match(r.err, /is a character device, not a regular file/);
});

/** A server whose model id and error bodies carry terminal escapes, bidi overrides and HTML. */
const HOSTILE =
  'evil\u001b]0;pwned\u0007\u001b[2J\u001b[31mred\u001b[0m\r✔ all checks passed \u202egnp.exe\u009b31m<img src=x onerror=alert(1)>';
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/;

test('hostile text from a server reaches the terminal escaped: verify and discover, text and JSON', async () => {
  const s = await startScriptedServer({
    kind: 'generic',
    models: [{ id: HOSTILE }],
    overrides: [
      (req, res) => {
        if (req.method !== 'POST') return false;
        sendJson(res, 500, { error: { message: `bad things ${HOSTILE}`, type: 'server_error' } });
        return true;
      },
    ],
  });
  try {
    for (const args of [
      ['verify', '--base-url', s.baseUrl, '--model', HOSTILE, '--skip', 'none'],
      ['verify', '--base-url', s.baseUrl, '--model', HOSTILE, '--json'],
      ['discover', '--base-url', s.baseUrl, '--timeout-ms', '3000'],
      ['discover', '--base-url', s.baseUrl, '--timeout-ms', '3000', '--json'],
    ]) {
      const r = await run(args);
      const all = r.out + r.err;
      assert.doesNotMatch(all, RAW, `${args[0]}: a raw control or bidi character reached the terminal`);
      assert.ok(all.includes('evil\\u001b]0;pwned\\u0007'), `${args.join(' ').slice(0, 30)}: the value is shown escaped, not dropped`);
      if (args.includes('--json')) assert.doesNotThrow(() => JSON.parse(r.out), 'JSON output stays JSON');
    }
    const j = JSON.parse((await run(['discover', '--base-url', s.baseUrl, '--timeout-ms', '3000', '--json'])).out);
    const up = j.endpoints.find((e: { baseUrl: string }) => e.baseUrl === s.baseUrl);
    assert.equal(up.models[0].id, HOSTILE, 'JSON consumers still get the exact value');
  } finally {
    await s.close();
  }
});

test('a newline inside --base-url is refused with the reason, not dropped', async () => {
  for (const cmd of [
    ['claude-settings', '--scope', 'user', '--home', tmp(), '--model', 'm'],
    ['verify', '--model', 'm'],
    ['codex-profile', '--name', 'p', '--provider-id', 'local-x', '--model', 'm', '--codex-version', '0.169.0', '--codex-home', tmp()],
  ]) {
    const r = await run([...cmd, '--base-url', 'http://127.0.0.1:8131\n/v1']);
    assert.equal(r.code, 2, `${cmd[0]}: ${r.out}${r.err}`);
    assert.match(r.err, /line break or another control character/);
  }
});

function report(findings: unknown): string {
  const f = path.join(tmp(), 'report.json');
  fs.writeFileSync(f, JSON.stringify({ agent: 'codex', ok: true, stages: [], findings }));
  return f;
}

test('--from-verify values are type-checked: no NaN s or -5 tokens/s in a profile', async () => {
  const home = tmp();
  const base = [
    'codex-profile',
    '--name',
    'p',
    '--provider-id',
    'local-x',
    ...ROUTE,
    '--context-window',
    '32768',
    '--codex-version',
    '0.169.0',
    '--codex-home',
    home,
  ];
  for (const [findings, field] of [
    [{ promptTps: -5, firstPromptMs: 2000 }, 'promptTps'],
    [{ promptTps: 950, firstPromptMs: 'soon' }, 'firstPromptMs'],
    [{ promptTps: 950, firstPromptMs: 2000, firstPromptTokens: 1.5 }, 'firstPromptTokens'],
    [{ toolTypes: { namespace: '\u001b[2Jrejected' } }, 'toolTypes.namespace'],
    [{ laterTurns: 'yes' }, 'laterTurns'],
  ] as const) {
    const r = await run([...base, '--from-verify', report(findings)]);
    assert.equal(r.code, 2, `${field}: ${r.out}`);
    assert.match(r.err, new RegExp(`findings\\.${field.replace('.', '\\.')} is `));
    assert.ok(!fs.existsSync(path.join(home, 'p.config.toml')));
  }
  const ok = await run([...base, '--from-verify', report({ promptTps: 950, firstPromptMs: 2000, firstPromptTokens: 1910 })]);
  assert.equal(ok.code, 0, ok.err);
  assert.match(read(path.join(home, 'p.config.toml')), /measured at 950 tokens\/s/);
});

test('--codex naming a path that does not exist says so (not "not on PATH")', async () => {
  const home = tmp();
  const r = await run([
    'codex-profile',
    '--name',
    'p',
    '--provider-id',
    'local-x',
    ...ROUTE,
    '--codex',
    '/nonexistent/codex',
    '--codex-home',
    home,
    '--json',
  ]);
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).codex.reason, '"/nonexistent/codex" does not exist');
  const c = await run(['check-codex-config', '--codex', '/nonexistent/codex', '--codex-home', home]);
  assert.equal(c.code, 3);
  assert.match(c.err, /"\/nonexistent\/codex" does not exist/);
  const onPath = await run(['check-codex-config', '--codex', 'no-such-codex-anywhere', '--codex-home', home], {
    env: { PATH: '/nonexistent' },
  });
  assert.match(onPath.err, /"no-such-codex-anywhere" was not found on PATH/);
});
