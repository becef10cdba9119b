// The real Codex CLI (the pinned @openai/codex devDependency) against scripted Responses servers, with
// an isolated CODEX_HOME and HOME per test. For every provider kind, a profile written by the
// `codex-profile` command (in-process) passes Codex's own --strict-config validation, then
// `codex -a never -s read-only exec -p <name>` gets a text reply and completes a full tool round
// trip (exec_command → function_call_output → answer). Every Codex run is bounded by a timeout and
// runs with --disable unbounded_connection_retries.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startScriptedServer, type ScriptedKind, type ScriptedServer } from '../support/scripted-server';
import { main } from '../../src/cli/main';
import { runBounded, validateWithCodex } from '../../src/core/codex/run';
import { PROVIDERS, PROVIDER_IDS, type ProviderId } from '../../src/core/providers';
import { planMigration } from '../../src/core/codex/migrate';
import { writeFiles, readSnapshot } from '../../src/core/files';
import { existsIn } from '../../src/core/codex/plan';
import { configPath } from '../../src/core/codex/files';

const CODEX = path.resolve(__dirname, '../../node_modules/.bin/codex');
const HAVE_CODEX = fs.existsSync(CODEX);
const RUN_TIMEOUT_MS = 60_000;
const temps: string[] = [];
const servers: ScriptedServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

function sandbox(): { home: string; codexHome: string; work: string; env: NodeJS.ProcessEnv } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-codex-real-'));
  temps.push(root);
  const home = path.join(root, 'home');
  const codexHome = path.join(root, 'codex-home');
  const work = path.join(root, 'work');
  for (const d of [home, codexHome, work]) fs.mkdirSync(d);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, CODEX_HOME: codexHome, XDG_CONFIG_HOME: path.join(home, '.config') };
  delete env.OPENAI_API_KEY;
  return { home, codexHome, work, env };
}

async function cli(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['codex-profile', ...args], {
    out: t => {
      out += `${t}\n`;
    },
    err: t => {
      err += `${t}\n`;
    },
    env,
    cwd,
  });
  return { code, out, err };
}

function codexExec(profile: string, prompt: string, sb: ReturnType<typeof sandbox>, extra: string[] = []) {
  return runBounded(
    CODEX,
    [
      '-a',
      'never',
      '-s',
      'read-only',
      'exec',
      '-p',
      profile,
      '--skip-git-repo-check',
      '--strict-config',
      '--disable',
      'unbounded_connection_retries',
      ...extra,
      prompt,
    ],
    { env: sb.env, cwd: sb.work, timeoutMs: RUN_TIMEOUT_MS },
  );
}

const KIND: Record<ProviderId, ScriptedKind> = {
  ollama: 'ollama',
  lmstudio: 'lmstudio',
  vllm: 'vllm',
  llamacpp: 'llamacpp',
  openaiCompatible: 'generic',
};
const MODEL: Record<ProviderId, string> = {
  ollama: 'qwen3-coder:30b',
  lmstudio: 'qwen/qwen3-coder-30b',
  vllm: 'Qwen/Qwen3-Coder-30B-A3B-Instruct',
  llamacpp: 'local/model',
  openaiCompatible: 'my-model',
};

// Each kind also exercises one variant of the file, so every shape the writer produces meets --strict-config.
const VARIANT: Record<ProviderId, string[]> = {
  ollama: [],
  lmstudio: [],
  vllm: ['--no-catalog'],
  llamacpp: ['--non-function-tools', 'always'],
  openaiCompatible: [],
};

for (const provider of PROVIDER_IDS) {
  test(
    `real Codex: a ${provider} profile passes --strict-config, answers a text prompt and completes a tool round trip`,
    { skip: !HAVE_CODEX && 'node_modules/.bin/codex is not installed', timeout: 4 * RUN_TIMEOUT_MS },
    async () => {
      const key = provider === 'openaiCompatible' ? 'sk-local-test-key' : undefined;
      const server = await startScriptedServer({
        kind: KIND[provider],
        models: [{ id: MODEL[provider], contextWindow: 32768 }],
        ...(key ? { apiKey: key } : {}),
      });
      servers.push(server);
      const sb = sandbox();
      if (key) sb.env.LMR_TEST_KEY = key;
      const name = `lmr-${provider.toLowerCase()}`;
      const providerId = PROVIDERS[provider].codexProviderId;
      const w = await cli(
        [
          '--name',
          name,
          '--provider-id',
          providerId,
          '--provider',
          provider,
          '--base-url',
          server.baseUrl,
          '--model',
          MODEL[provider],
          '--context-window',
          '32768',
          '--codex',
          CODEX,
          '--json',
          ...(key ? ['--api-key-env', 'LMR_TEST_KEY'] : []),
          ...(provider === 'ollama' || provider === 'lmstudio' ? ['--set-oss-provider'] : []),
          ...VARIANT[provider],
        ],
        sb.env,
        sb.work,
      );
      const report = JSON.parse(w.out);
      assert.equal(w.code, 0, `${w.out}\n${w.err}`);
      assert.equal(report.codex.version, '0.169.0');
      assert.equal(report.format, 'profile-file');
      assert.deepEqual(report.validation, { kind: 'accepted' }, 'Codex loaded the written profile with --strict-config');
      const profileText = fs.readFileSync(path.join(sb.codexHome, `${name}.config.toml`), 'utf8');
      if (key) {
        assert.match(profileText, /env_key = "LMR_TEST_KEY"/);
        assert.doesNotMatch(profileText, /sk-local-test-key/, 'the key itself is never written');
      }
      if (provider === 'ollama' || provider === 'lmstudio')
        assert.match(fs.readFileSync(path.join(sb.codexHome, 'config.toml'), 'utf8'), new RegExp(`oss_provider = "${provider}"`));

      // A text reply, with --strict-config on the run itself.
      const text = await codexExec(name, 'Reply with exactly: PONG-7F3A', sb);
      assert.equal(text.timedOut, false, 'codex exec finished in time');
      assert.equal(text.code, 0, text.stderr);
      assert.equal(text.stdout.trim(), 'PONG-7F3A');
      if (provider === 'vllm') assert.match(text.stderr, /Model metadata for .* not found/, 'without the catalog Codex warns');
      else assert.doesNotMatch(text.stderr, /Model metadata for .* not found/, 'the model catalog replaces the fallback metadata');
      const firstTurn = JSON.parse(server.requests.filter(r => r.method === 'POST' && r.path.endsWith('/responses')).pop()!.body) as {
        tools: { type: string }[];
      };
      const nonFunction = firstTurn.tools.filter(t => t.type !== 'function').map(t => t.type);
      if (provider === 'llamacpp') assert.deepEqual(nonFunction, [], 'web_search and the agents namespace are off');
      else assert.deepEqual(nonFunction.sort(), ['namespace', 'web_search'], 'left on, Codex sends both');
      assert.doesNotMatch(text.stderr, /unrecognized configuration|ignoring/i);

      // A full tool round trip: the model asks for exec_command, Codex runs it and sends the output back.
      const file = path.join(sb.work, 'note.txt');
      fs.writeFileSync(file, 'TOOL-ROUND-TRIP-91\n');
      const before = server.requests.length;
      const tool = await codexExec(name, `Show me ${file}`, sb);
      assert.equal(tool.timedOut, false);
      assert.equal(tool.code, 0, tool.stderr);
      assert.match(tool.stdout, /TOOL-ROUND-TRIP-91/);
      const posts = server.requests.slice(before).filter(r => r.method === 'POST' && r.path.endsWith('/responses'));
      assert.ok(posts.length >= 2, 'a second request carried the tool output');
      const second = JSON.parse(posts[posts.length - 1].body) as { input: { type?: string; output?: string }[] };
      assert.ok(
        second.input.some(i => i.type === 'function_call_output' && String(i.output).includes('TOOL-ROUND-TRIP-91')),
        'function_call_output holds the file contents',
      );
      if (key)
        assert.ok(
          posts.every(p => p.headers.authorization === `Bearer ${key}`),
          'Codex sent the key from env_key',
        );
    },
  );
}

test(
  "real Codex: validation shows Codex's own error for a profile it rejects",
  { skip: !HAVE_CODEX && 'no codex', timeout: RUN_TIMEOUT_MS },
  async () => {
    const sb = sandbox();
    fs.writeFileSync(
      path.join(sb.codexHome, 'bad.config.toml'),
      'model_provider = "local-x"\nmodel = "m"\nmodel_context_window = "big"\n[model_providers.local-x]\nname = "x"\nbase_url = "http://127.0.0.1:9/v1"\nwire_api = "chat"\n',
    );
    const r = await validateWithCodex({
      executable: CODEX,
      codexHome: sb.codexHome,
      profile: 'bad',
      providerId: 'local-x',
      env: sb.env,
      cwd: sb.work,
      timeoutMs: RUN_TIMEOUT_MS,
    });
    assert.equal(r.kind, 'rejected');
    assert.match((r as { message: string }).message, /bad\.config\.toml:\d+:\d+/, 'file:line:col from Codex');
  },
);

test(
  'real Codex: the legacy format Codex refuses is moved into a profile file it runs',
  { skip: !HAVE_CODEX && 'no codex', timeout: 3 * RUN_TIMEOUT_MS },
  async () => {
    const server = await startScriptedServer({ kind: 'llamacpp', models: [{ id: 'local/model', contextWindow: 16384 }] });
    servers.push(server);
    const sb = sandbox();
    const legacy = `# my settings\nprofile = "old"\n\n[model_providers.local-old] # kept in config.toml\nname = "old"\nbase_url = "${server.baseUrl}"\nwire_api = "responses"\nrequest_max_retries = 0\nstream_max_retries = 0\n\n[profiles.old]\nmodel_provider = "local-old"\nmodel = "local/model"\n\n[features]\nplugins = false\n`;
    fs.writeFileSync(configPath(sb.codexHome), legacy);
    const refused = await codexExec('old', 'Reply with exactly: NO', sb);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /legacy/);
    const plan = planMigration(legacy, sb.codexHome, existsIn(sb.codexHome));
    assert.ok(plan.ok, !plan.ok ? plan.error : '');
    writeFiles(
      sb.codexHome,
      [
        { snapshot: readSnapshot(configPath(sb.codexHome)), after: plan.configAfter },
        ...plan.files.map(f => ({ snapshot: readSnapshot(f.path), after: f.text })),
      ],
      'test',
    );
    const ok = await codexExec('old', 'Reply with exactly: MOVED-1', sb);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'MOVED-1');
    assert.match(
      fs.readFileSync(configPath(sb.codexHome), 'utf8'),
      /^# my settings\n\n\[model_providers\.local-old\] # kept in config.toml\n/,
    );
  },
);

test(
  'real Codex: a trusted git repository gets the workspace-write sandbox',
  { skip: (!HAVE_CODEX || spawnSync('git', ['--version']).status !== 0) && 'no codex or git', timeout: 3 * RUN_TIMEOUT_MS },
  async () => {
    const server = await startScriptedServer({ kind: 'vllm', models: [{ id: 'm', contextWindow: 32768 }] });
    servers.push(server);
    const sb = sandbox();
    assert.equal(spawnSync('git', ['init', '-q', sb.work]).status, 0);
    const base = [
      '--name',
      'lmr-trust',
      '--provider-id',
      'local-vllm',
      '--base-url',
      server.baseUrl,
      '--model',
      'm',
      '--codex',
      CODEX,
      '--no-validate',
      '--json',
    ];
    const run = () =>
      runBounded(
        CODEX,
        ['exec', '-p', 'lmr-trust', '--strict-config', '--disable', 'unbounded_connection_retries', 'Reply with exactly: T'],
        { env: sb.env, cwd: sb.work, timeoutMs: RUN_TIMEOUT_MS },
      );
    assert.equal((await cli(base, sb.env, sb.work)).code, 0);
    const untrusted = await run();
    assert.equal(untrusted.code, 0, untrusted.stderr);
    assert.match(untrusted.stderr, /sandbox: read-only/, 'without a projects entry Codex runs read-only');
    const w = await cli(
      [
        '--name',
        'lmr-trust',
        '--provider-id',
        'local-vllm',
        '--base-url',
        server.baseUrl,
        '--model',
        'm',
        '--codex',
        CODEX,
        '--trust-project',
        sb.work,
        '--no-validate',
        '--json',
      ],
      sb.env,
      sb.work,
    );
    assert.equal(w.code, 0, w.err);
    assert.equal(JSON.parse(w.out).trust, 'added');
    const r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /sandbox: workspace-write/);
    // Idempotent: a second run adds nothing.
    const again = await cli(
      [
        '--name',
        'lmr-trust',
        '--provider-id',
        'local-vllm',
        '--base-url',
        server.baseUrl,
        '--model',
        'm',
        '--codex',
        CODEX,
        '--trust-project',
        sb.work,
        '--no-validate',
        '--json',
      ],
      sb.env,
      sb.work,
    );
    assert.equal(JSON.parse(again.out).trust, 'already');
    assert.equal(JSON.parse(again.out).files.filter((f: { action: string }) => f.action !== 'unchanged').length, 0);
  },
);
