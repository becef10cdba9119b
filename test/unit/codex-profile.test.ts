// Pure decisions of the Codex feature: profile content, version → format, CODEX_HOME, trust,
// legacy migration, diffs, and the codex-profile CLI (in-process, --codex-version, no Codex needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { buildProfile, autoCompactLimit, CodexProfileError, providerIdProblem } from '../../src/core/codex/profile';
import { buildModelCatalog } from '../../src/core/codex/modelCatalog';
import { chooseFormat, parseCodexVersion, resolveCodexHome } from '../../src/core/codex/version';
import { planTrust, trustState } from '../../src/core/codex/trust';
import { planMigration, findLegacyProfiles } from '../../src/core/codex/migrate';
import { unifiedDiff } from '../../src/core/files/diff';
import { codexErrorText, validationArgs } from '../../src/core/codex/run';
import { main } from '../../src/cli/main';
import type { Route } from '../../src/core/route/route';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed TOML is probed freely in assertions
type Doc = Record<string, any>;
/** Plain objects (smol-toml's tables have a null prototype). */
const parse = (t: string): Doc => JSON.parse(JSON.stringify(parseToml(t)));

const S = { 'codex.disableNonFunctionTools': 'auto', 'codex.autoCompactFraction': 0.75, 'llamacpp.autoCompactTokenLimit': 14000 } as const;
const llama: Route = { provider: 'llamacpp', baseUrl: 'http://127.0.0.1:8131/v1', model: 'local/model', contextWindow: 32768 };

test('profile file: provider table, responses wire API, retries, idle timeout, window and compaction', () => {
  const p = buildProfile(llama, S, { name: 'local', codexHome: '/h' });
  const doc = parse(p.fileText!) as Doc;
  assert.deepEqual(doc, p.config as unknown);
  assert.equal(doc.model_provider, 'local-llamacpp');
  assert.equal(doc.model, 'local/model');
  assert.equal(doc.model_context_window, 32768);
  assert.equal(doc.model_auto_compact_token_limit, 14000);
  assert.equal(doc.model_catalog_json, path.join('/h', 'local.models.json'));
  assert.deepEqual(doc.model_providers['local-llamacpp'], {
    name: 'llama.cpp (127.0.0.1:8131)',
    base_url: 'http://127.0.0.1:8131/v1',
    wire_api: 'responses',
    request_max_retries: 1,
    stream_max_retries: 1,
    stream_idle_timeout_ms: 300000,
  });
  assert.deepEqual(doc.features, { goals: false, plugins: false });
  assert.deepEqual(doc.analytics, { enabled: false });
  assert.equal(doc.web_search, undefined, "'auto' leaves the tools on when the server accepts them");
  assert.equal(doc.agents, undefined);
});

test('non-function tools: auto follows the server, always and never are fixed', () => {
  const off = (mode: 'auto' | 'always' | 'never', rejects?: boolean) => {
    const p = buildProfile(llama, { ...S, 'codex.disableNonFunctionTools': mode }, { name: 'x', serverRejectsNonFunctionTools: rejects });
    const d = parse(p.fileText!) as Doc;
    assert.equal(d.web_search === 'disabled', p.nonFunctionToolsOff);
    assert.equal(d.agents?.enabled === false, p.nonFunctionToolsOff);
    return p.nonFunctionToolsOff;
  };
  assert.equal(off('auto', true), true);
  assert.equal(off('auto', false), false);
  assert.equal(off('auto'), false);
  assert.equal(off('always', false), true);
  assert.equal(off('never', true), false);
});

test('auto-compact: the llama.cpp setting below the window, else the fraction; never at or above the window', () => {
  assert.equal(autoCompactLimit({ provider: 'llamacpp' }, 32768, S).value, 14000);
  assert.equal(autoCompactLimit({ provider: 'llamacpp' }, 8192, S).value, 6144, 'setting above the window: the fraction');
  assert.equal(autoCompactLimit({ provider: 'llamacpp' }, undefined, S).value, 14000);
  assert.equal(autoCompactLimit({ provider: 'vllm' }, 32768, S).value, 24576);
  assert.equal(autoCompactLimit({ provider: 'vllm' }, undefined, S).value, undefined);
  assert.throws(() => buildProfile(llama, S, { name: 'x', autoCompact: 32768 }), /below the context window/);
  const p = buildProfile({ ...llama, provider: 'ollama', contextWindow: undefined }, S, { name: 'x' });
  assert.equal((parse(p.fileText!) as Record<string, unknown>).model_context_window, undefined);
});

test('keys: env_key names the variable, the key is never written; reserved ids and bad names are refused', () => {
  const p = buildProfile({ ...llama, provider: 'openaiCompatible', keyVar: 'MY_KEY' }, S, { name: 'x' });
  assert.equal((p.provider as Record<string, unknown>).env_key, 'MY_KEY');
  assert.throws(() => buildProfile(llama, S, { name: 'x', apiKeyEnv: 'sk-123 abc' }), CodexProfileError);
  for (const id of ['openai', 'ollama', 'LMStudio', 'ollama-chat']) assert.match(providerIdProblem(id) ?? '', /built-in/);
  assert.throws(() => buildProfile(llama, S, { name: 'x', providerId: 'ollama' }), /Built-in providers cannot be overridden/);
  assert.throws(() => buildProfile(llama, S, { name: '../evil' }), /profile name/);
  assert.throws(() => buildProfile(llama, S, { name: 'config' }), /collide/);
  assert.equal(
    buildProfile({ ...llama, baseUrl: '127.0.0.1:9000' }, S, { name: 'x' }).provider.base_url,
    'http://127.0.0.1:9000/v1',
    'base_url gets /v1',
  );
  assert.equal(buildProfile({ ...llama, provider: 'ollama' }, S, { name: 'x' }).ossProvider, 'ollama');
  assert.equal(buildProfile({ ...llama, provider: 'vllm' }, S, { name: 'x' }).ossProvider, undefined);
});

test('legacy format: [profiles.<name>] and [model_providers.<id>] tables, no profile file', () => {
  const p = buildProfile(llama, S, { name: 'local', format: 'legacy-table', codexHome: '/h' });
  assert.equal(p.fileText, undefined);
  assert.equal(p.catalog, undefined);
  assert.deepEqual(Object.keys(p.config), ['profiles', 'model_providers']);
  assert.equal((p.config.profiles as Record<string, Record<string, unknown>>).local.model_provider, 'local-llamacpp');
});

test('model catalog: one entry with the window, the compaction limit and short instructions', () => {
  const c = buildModelCatalog({ model: 'm', contextWindow: 16384, autoCompact: 12000 });
  assert.equal(c.models.length, 1);
  const m = c.models[0];
  assert.equal(m.slug, 'm');
  assert.equal(m.context_window, 16384);
  assert.equal(m.auto_compact_token_limit, 12000);
  assert.deepEqual(m.truncation_policy, { mode: 'tokens', limit: 4096 });
  assert.ok(typeof m.base_instructions === 'string' && m.base_instructions.length > 100 && m.base_instructions.length < 2000);
});

test('versions: parse, and 0.134 is the first with profile files; not found → current format', () => {
  assert.deepEqual(parseCodexVersion('codex-cli 0.169.0'), { major: 0, minor: 169, patch: 0, text: '0.169.0' });
  assert.equal(parseCodexVersion('codex-cli 0.98.1-alpha.2\n')?.minor, 98);
  assert.equal(parseCodexVersion('no version'), undefined);
  assert.equal(chooseFormat(parseCodexVersion('0.134.0')).format, 'profile-file');
  assert.equal(chooseFormat(parseCodexVersion('0.133.9')).format, 'legacy-table');
  assert.equal(chooseFormat(parseCodexVersion('1.0.0')).format, 'profile-file');
  const none = chooseFormat(undefined);
  assert.equal(none.format, 'profile-file');
  assert.match(none.why, /not found/);
});

test('CODEX_HOME: environment, then the setting (with ~), then ~/.codex', () => {
  assert.deepEqual(resolveCodexHome({ CODEX_HOME: '/e' }, '/s', '/home/u'), { path: '/e', source: 'env' });
  assert.deepEqual(resolveCodexHome({}, '~/codex', '/home/u'), { path: '/home/u/codex', source: 'setting' });
  assert.deepEqual(resolveCodexHome({ CODEX_HOME: '  ' }, '', '/home/u'), { path: '/home/u/.codex', source: 'default' });
});

test('trust: added once, idempotent, "untrusted" changes only on an explicit yes', () => {
  const first = planTrust('# mine\n', '/srv/app');
  assert.equal(first.kind, 'change');
  const text = (first as { after: string }).after;
  assert.equal(text, '# mine\n\n[projects."/srv/app"]\ntrust_level = "trusted"\n');
  assert.equal(planTrust(text, '/srv/app').kind, 'unchanged');
  const untrusted = '[projects."/srv/app"]\ntrust_level = "untrusted" # I said no\n';
  assert.equal(planTrust(untrusted, '/srv/app').kind, 'needs-confirmation');
  const yes = planTrust(untrusted, '/srv/app', { overrideUntrusted: true });
  assert.equal((yes as { after: string }).after, '[projects."/srv/app"]\ntrust_level = "trusted" # I said no\n');
  assert.deepEqual(trustState('x = [', '/a').kind, 'invalid');
});

test('migration: tables become profile files, the selector goes, everything else stays byte for byte', () => {
  const cfg =
    '# top\r\nprofile = "fast"\r\nmodel = "gpt-5"\r\n\r\n[profiles.fast] # quick\r\nmodel = "o4-mini"\r\nq = """\r\n[profiles.fake]\r\n"""\r\n\r\n[profiles.fast.features]\r\nplugins = false\r\n\r\n[mcp_servers.x]\r\ncommand = "y"\r\n';
  assert.deepEqual(findLegacyProfiles(cfg), { tables: ['fast'], selector: 'fast' });
  const plan = planMigration(cfg, '/h', () => false);
  assert.ok(plan.ok);
  // Blank lines around the table stay; those between two of its own sections go with it.
  assert.equal(plan.configAfter, '# top\r\nmodel = "gpt-5"\r\n\r\n\r\n[mcp_servers.x]\r\ncommand = "y"\r\n');
  assert.equal(plan.files.length, 1);
  assert.deepEqual(parse(plan.files[0].text), { model: 'o4-mini', q: '[profiles.fake]\r\n', features: { plugins: false } });
  assert.equal(planMigration(cfg, '/h', f => f === 'fast.config.toml').ok, false, 'an existing profile file is never overwritten');
});

test('migration keeps the comments inside a legacy profile: own-line and trailing, in its sub-tables too', () => {
  const cfg = [
    'model = "gpt-5"',
    '',
    '[profiles.local] # my local box',
    '# the model I use at night',
    'model = "qwen3-coder"  # 30B, fits',
    'model_provider = "local-vllm"',
    '# keep this low: the box is small',
    '[profiles.local.features]',
    '# off: the server refuses them',
    'web_search_request = false # see issue 12',
    '',
    '[mcp_servers.x]',
    'command = "y"',
    '',
  ].join('\n');
  const plan = planMigration(cfg, '/h', () => false);
  assert.ok(plan.ok);
  const moved = plan.files[0].text;
  for (const c of [
    '# my local box',
    '# the model I use at night',
    '# 30B, fits',
    '# keep this low: the box is small',
    '# off: the server refuses them',
    '# see issue 12',
  ])
    assert.ok(moved.includes(c), `${c} moved with the table:\n${moved}`);
  assert.deepEqual(parse(moved), { model: 'qwen3-coder', model_provider: 'local-vllm', features: { web_search_request: false } });
  assert.match(moved, /^\[features\] *$/m, 'the sub-table header is relative to the profile');
  assert.equal(plan.configAfter, 'model = "gpt-5"\n\n\n[mcp_servers.x]\ncommand = "y"\n', 'every other byte of config.toml stays');
  assert.ok(!plan.notes.some(n => /comments/.test(n)));

  // Written with dotted keys the table has no text of its own: its values move, and the note says where the comments stay.
  const dotted = planMigration('# mine\nprofiles.d.model = "m" # a comment\n', '/h', () => false);
  assert.ok(dotted.ok);
  assert.deepEqual(parse(dotted.files[0].text), { model: 'm' });
  assert.ok(
    dotted.notes.some(n => /comments in it stay only in config\.toml's backup/.test(n)),
    dotted.notes.join('\n'),
  );
});

test('diff: unified hunks with context, CRLF shown as lines', () => {
  const d = unifiedDiff('a\nb\nc\nd\ne\nf\ng\nh\n', 'a\nb\nc\nD\ne\nf\ng\nh\n', 'old', 'new', 1);
  assert.equal(d, '--- old\n+++ new\n@@ -3,3 +3,3 @@\n c\n-d\n+D\n e\n');
  assert.equal(unifiedDiff('x', 'x', 'a', 'b'), '');
  assert.match(unifiedDiff('', 'new\n', '/dev/null', 'f'), /@@ -0,0 \+1,1 @@\n\+new/);
});

test('validation argv and Codex error extraction', () => {
  const args = validationArgs('p', 'local-x', 4242);
  assert.deepEqual(args.slice(0, 8), [
    'exec',
    '-p',
    'p',
    '--strict-config',
    '--skip-git-repo-check',
    // A check run: no session rollout in the user's history.
    '--ephemeral',
    '--disable',
    'unbounded_connection_retries',
  ]);
  assert.ok(args.includes('model_providers.local-x.base_url="http://127.0.0.1:4242/v1"'));
  const out =
    'WARNING: proceeding, even though we could not create PATH aliases\nError loading config.toml:\n/h/p.config.toml:3:24: invalid type: string "big", expected i64\n  |\n3 | x\nStack backtrace:\n   0: <unknown>\n';
  assert.equal(
    codexErrorText(out),
    'Error loading config.toml:\n/h/p.config.toml:3:24: invalid type: string "big", expected i64\n  |\n3 | x',
  );
});

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['codex-profile', ...args], {
    out: t => {
      out += `${t}\n`;
    },
    err: t => {
      err += `${t}\n`;
    },
    env: { HOME: '/nonexistent', PATH: '', ...env },
    cwd: os.tmpdir(),
  });
  return { code, out, err };
}

test('CLI: --dry-run --json prints the plan and writes nothing; usage errors exit 2', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-codex-cli-'));
  try {
    fs.writeFileSync(path.join(home, 'config.toml'), 'model = "gpt-5"\n');
    const base = [
      '--name',
      'p',
      '--provider-id',
      'local-vllm',
      '--base-url',
      'http://127.0.0.1:8000',
      '--model',
      'm',
      '--codex-home',
      home,
    ];
    const r = await cli([...base, '--codex-version', '0.169.0', '--trust-project', '/srv/a', '--dry-run', '--json']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.equal(j.ok, true);
    assert.equal(j.format, 'profile-file');
    assert.deepEqual(
      j.files.map((f: { role: string; action: string }) => `${f.role}:${f.action}`),
      ['profile:create', 'catalog:create', 'config:update'],
    );
    assert.match(j.files[2].diff, /\+\[projects\."\/srv\/a"\]/);
    assert.equal(j.trust, 'added');
    assert.deepEqual(fs.readdirSync(home), ['config.toml'], 'dry run wrote nothing');

    const legacy = await cli([...base, '--codex-version', '0.120.0', '--json', '--no-validate']);
    assert.equal(legacy.code, 0, legacy.err);
    assert.equal(JSON.parse(legacy.out).format, 'legacy-table');
    assert.deepEqual(parse(fs.readFileSync(path.join(home, 'config.toml'), 'utf8')), {
      model: 'gpt-5',
      profiles: { p: { model_provider: 'local-vllm', model: 'm' } },
      model_providers: {
        'local-vllm': {
          name: 'vLLM (127.0.0.1:8000)',
          base_url: 'http://127.0.0.1:8000/v1',
          wire_api: 'responses',
          request_max_retries: 1,
          stream_max_retries: 1,
          stream_idle_timeout_ms: 300000,
        },
      },
    });

    const noCodex = await cli([...base, '--dry-run', '--json']);
    assert.equal(JSON.parse(noCodex.out).codex.found, false, 'an empty PATH: Codex not found');
    assert.equal(JSON.parse(noCodex.out).format, 'profile-file');

    assert.equal((await cli(['--name', 'p'])).code, 2);
    assert.equal((await cli([...base.slice(0, 2), '--provider-id', 'ollama', ...base.slice(4), '--codex-version', '0.169.0'])).code, 2);
    assert.equal((await cli([...base, '--codex-version', 'latest'])).code, 2);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test('default profile names: one per provider, and one per generic endpoint (label, else host and port)', async () => {
  const { defaultProfileName, profileNameProblem } = await import('../../src/core/codex/profile');
  assert.equal(defaultProfileName({ provider: 'llamacpp', baseUrl: 'http://127.0.0.1:8131/v1' }), 'local-llamacpp');
  const a = defaultProfileName({ provider: 'openaiCompatible', baseUrl: 'http://127.0.0.1:9000/v1', endpointLabel: 'GPU box' });
  const b = defaultProfileName({ provider: 'openaiCompatible', baseUrl: 'http://127.0.0.1:9001/v1' });
  const c = defaultProfileName({ provider: 'openaiCompatible', baseUrl: 'https://models.lan/v1' });
  assert.deepEqual([a, b, c], ['local-gpu-box', 'local-127-0-0-1-9001', 'local-models-lan-443']);
  for (const n of [a, b, c]) assert.equal(profileNameProblem(n), undefined, n);
});
