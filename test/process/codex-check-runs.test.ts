// The Codex runs the product starts are checks only. With the real Codex (node_modules/.bin/codex):
// twenty profile writes with validation leave nothing new in $CODEX_HOME/sessions or shell_snapshots
// and no file under the Codex home holds a key from the writer's environment. With stand-ins: a
// Codex that fails with 50 MB of output (escape codes included) is quoted bounded and escaped. And
// the restore hint check-codex-config --apply prints is a command the CLI has, that restores.
// The CLI runs as a user runs it (dist/cli.js, a child process). Cost ≈ 40 s (the twenty writes).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const CODEX = path.resolve(__dirname, '../../node_modules/.bin/codex');
const HAVE_CODEX = fs.existsSync(CODEX);
const KEY = `sk-lmr-test-${Math.random().toString(36).slice(2)}${Date.now()}`;

let root: string;
before(() => {
  assert.ok(fs.existsSync(CLI), 'run `npm run build` first');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-check-runs-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise(resolve =>
    execFile(process.execPath, [CLI, ...args], { env, timeout: 120_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    ),
  );
}

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(d => d.isFile())
    .map(d => path.join(d.parentPath, d.name));
}

test(
  'real Codex: 20 profile writes with validation leave no session, no shell snapshot, no key',
  { skip: !HAVE_CODEX && 'no codex', timeout: 600_000 },
  async () => {
    const home = path.join(root, 'home');
    const codexHome = path.join(home, '.codex');
    fs.mkdirSync(path.join(codexHome, 'sessions', '2026', '01'), { recursive: true });
    fs.mkdirSync(path.join(codexHome, 'shell_snapshots'), { recursive: true });
    fs.writeFileSync(path.join(codexHome, 'sessions', '2026', '01', 'earlier.jsonl'), '{"an earlier session of the user": true}\n');
    fs.writeFileSync(path.join(codexHome, 'config.toml'), 'model = "gpt-5"\n\n[mcp_servers.docs]\ncommand = "true"\n');
    fs.writeFileSync(path.join(codexHome, 'auth.json'), '{"OPENAI_API_KEY": null}\n');
    const before = new Set(filesUnder(codexHome));
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: home,
      CODEX_HOME: codexHome,
      // Keys a user has in the shell: none of them may reach a file under the Codex home.
      MYKEY: KEY,
      OPENAI_API_KEY: KEY,
      LOCAL_VLLM_KEY: KEY,
    };
    for (let i = 0; i < 20; i++) {
      const r = await cli(
        [
          'codex-profile',
          '--name',
          `p${i % 4}`,
          '--provider-id',
          'local-vllm',
          '--base-url',
          'http://127.0.0.1:9/v1',
          '--model',
          `m${i}`,
          '--context-window',
          '32768',
          ...(i % 2 ? ['--api-key-env', 'LOCAL_VLLM_KEY'] : []),
          '--codex',
          CODEX,
          '--json',
        ],
        env,
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(JSON.parse(r.stdout).validation?.kind, 'accepted', r.stdout);
    }
    const added = filesUnder(codexHome).filter(f => !before.has(f));
    const state = added.filter(f => !/(^|\/)p\d\.(config\.toml|models\.json)$/.test(f) && !f.includes('.local-model-router-backups'));
    assert.deepEqual(state, [], 'Codex left nothing of its own in the Codex home (sessions, snapshots, databases, logs)');
    assert.deepEqual(filesUnder(path.join(codexHome, 'sessions')), [path.join(codexHome, 'sessions', '2026', '01', 'earlier.jsonl')]);
    assert.deepEqual(filesUnder(path.join(codexHome, 'shell_snapshots')), []);
    for (const f of [...filesUnder(codexHome), ...filesUnder(home)])
      assert.ok(!fs.readFileSync(f).includes(KEY), `${f} holds a key from the environment`);
  },
);

/** A stand-in Codex that knows its version and fails every run with 50 MB of escape-laden output. */
function noisyCodex(): string {
  const p = path.join(root, 'noisy-codex');
  fs.writeFileSync(
    p,
    `#!/usr/bin/env node
if (process.argv[2] === '--version') { console.log('codex-cli 0.169.0'); process.exit(0); }
const line = 'error: \\u001b]0;pwned\\u0007\\u001b[2J\\u001b[31mbroken\\u001b[0m\\r✔ all fine \\u202eevil\\n';
const chunk = line.repeat(Math.ceil((1 << 20) / line.length));
let left = 50;
(function more() { while (left > 0) { left--; if (!process.stderr.write(chunk)) return process.stderr.once('drain', more); } process.exitCode = 1; })();
`,
    { mode: 0o755 },
  );
  return p;
}

// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]|\r(?!\n)/;

test("a failing Codex's 50 MB of output is quoted bounded and escaped", { timeout: 120_000 }, async () => {
  const codexHome = path.join(root, 'noisy');
  fs.mkdirSync(codexHome, { recursive: true });
  const env = { PATH: process.env.PATH ?? '', HOME: root };
  const codex = noisyCodex();
  const w = await cli(
    [
      'codex-profile',
      '--name',
      'p',
      '--provider-id',
      'local-x',
      '--base-url',
      'http://127.0.0.1:9/v1',
      '--model',
      'm',
      '--codex',
      codex,
      '--codex-home',
      codexHome,
      '--json',
    ],
    env,
  );
  const j = JSON.parse(w.stdout) as { validation?: { message?: string }; configCheck?: { message?: string } };
  const quoted = JSON.stringify(j);
  assert.ok(quoted.length < 20_000, `the report quotes at most a bounded part (${quoted.length} characters)`);
  assert.match(quoted, /pwned/, "Codex's words are quoted");
  const c = await cli(['check-codex-config', '--codex-home', codexHome, '--codex', codex], env);
  assert.equal(c.code, 3);
  assert.ok(c.stderr.length < 10_000, `${c.stderr.length} characters`);
  assert.doesNotMatch(c.stdout + c.stderr + w.stdout + w.stderr, RAW);
  assert.match(c.stderr, /\\u001b\]0;pwned\\u0007/, 'shown escaped');
});

test(
  'the restore hint of check-codex-config --apply is a command that restores',
  { skip: !HAVE_CODEX && 'no codex', timeout: 120_000 },
  async () => {
    const codexHome = path.join(root, 'hint');
    fs.mkdirSync(codexHome, { recursive: true });
    const original = 'model = "gpt-5"\ncustom_model_provider = "vllm"\n';
    fs.writeFileSync(path.join(codexHome, 'config.toml'), original);
    const env = { PATH: process.env.PATH ?? '', HOME: root };
    const a = await cli(['check-codex-config', '--codex-home', codexHome, '--codex', CODEX, '--apply', '--yes'], env);
    assert.equal(a.code, 0, a.stdout + a.stderr);
    const hint = /undo with: local-model-router (.+?)\)/.exec(a.stdout)?.[1];
    assert.ok(hint, a.stdout);
    assert.notEqual(fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8'), original);
    const r = await cli(hint.split(' '), env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8'), original);
  },
);
