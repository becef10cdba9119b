// Check Codex Config, the pure parts: Codex's own messages (real outputs kept in
// test/fixtures/codex-messages/, re-observed by codex-check-real.test.ts) become typed rejections;
// comment-out and rename edits touch only their own bytes; values written as strings are converted
// only when the conversion is exact; `codex --oss` resolves its server as Codex does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseCodexLoadOutput, codexMessage, describeRejection, type CodexRejection } from '../../src/core/codex/rejections';
import { applyEdit, keyPathAt } from '../../src/core/codex/tomlEdit';
import { coerce, commentNote, localDate } from '../../src/core/codex/repairs';
import { resolveOssRoute } from '../../src/core/codex/ossRoute';
import { checkArgs } from '../../src/core/codex/check';
import { parseFeatureList, featureAdvisories, describeAdvisory } from '../../src/core/codex/features';

const FIXTURES = path.resolve(__dirname, '../fixtures/codex-messages');
const output = (name: string) => fs.readFileSync(path.join(FIXTURES, `${name}.txt`), 'utf8');

function rejection(name: string): CodexRejection {
  const o = parseCodexLoadOutput(output(name));
  assert.equal(o.kind, 'rejected', `${name}: ${JSON.stringify(o)}`);
  return (o as { rejection: CodexRejection }).rejection;
}

/** What each real output must parse to (fields that matter; `text` is checked to be Codex's own words). */
export const EXPECTED: Record<string, (Partial<CodexRejection> & { kind: CodexRejection['kind'] }) | 'accepted'> = {
  accepted: 'accepted',
  'wire-api-chat': { kind: 'wire-api-chat', at: { file: '/tmp/lmr-fx/wire-api-chat/.codex/config.toml', line: 7, col: 12 } },
  'wire-api-chat-inline': { kind: 'wire-api-chat', at: { file: '/tmp/lmr-fx/wire-api-chat-inline/.codex/config.toml', line: 2, col: 86 } },
  'wire-api-chat-in-profile': {
    kind: 'wire-api-chat',
    at: { file: '/tmp/lmr-fx/wire-api-chat-in-profile/.codex/local.config.toml', line: 7, col: 12 },
  },
  'unknown-field-top': {
    kind: 'unknown-field',
    key: 'custom_model_provider',
    at: { file: '/tmp/lmr-fx/unknown-field-top/.codex/config.toml', line: 2, col: 1 },
  },
  'unknown-field-table': {
    kind: 'unknown-field',
    key: 'model_providers.local-vllm.model_options',
    at: { file: '/tmp/lmr-fx/unknown-field-table/.codex/config.toml', line: 5, col: 29 },
  },
  'unknown-field-features': {
    kind: 'unknown-field',
    key: 'features.streamable_shell',
    at: { file: '/tmp/lmr-fx/unknown-field-features/.codex/config.toml', line: 2, col: 1 },
  },
  'reserved-provider-ids': { kind: 'reserved-provider-id', ids: ['lmstudio', 'ollama'] },
  'invalid-type-i64': { kind: 'invalid-type', found: 'string "32768"', expected: 'i64' },
  'invalid-type-bool': { kind: 'invalid-type', found: 'string "false"', expected: 'a boolean' },
  'unknown-variant': { kind: 'invalid-value', value: 'auto', expected: ['untrusted', 'on-failure', 'on-request', 'granular', 'never'] },
  'legacy-profile-selector': { kind: 'legacy-profile-selector', profile: 'gpt-oss' },
  'legacy-profile-conflict': { kind: 'legacy-profile-conflict', profile: 'gpt-oss' },
  'provider-not-found': { kind: 'provider-not-found', providerId: 'oss' },
  'ollama-chat': { kind: 'ollama-chat-removed' },
  'not-a-file': { kind: 'not-a-file', path: '/tmp/lmr-fx/not-a-file/.codex/config.toml' },
  'invalid-toml': { kind: 'unknown', at: { file: '/tmp/lmr-fx/invalid-toml/.codex/config.toml', line: 1, col: 22 } },
  'missing-instructions-file': { kind: 'unknown' },
};

test("every real Codex output in the fixtures parses to its typed rejection, with Codex's words kept", () => {
  const files = fs
    .readdirSync(FIXTURES)
    .filter(f => f.endsWith('.txt'))
    .map(f => f.replace(/\.txt$/, ''))
    .sort();
  assert.deepEqual(files, Object.keys(EXPECTED).sort(), 'a fixture without an expectation (or the reverse)');
  for (const [name, want] of Object.entries(EXPECTED)) {
    if (want === 'accepted') {
      assert.deepEqual(parseCodexLoadOutput(output(name)), { kind: 'accepted' }, name);
      continue;
    }
    const got = rejection(name);
    for (const [k, v] of Object.entries(want)) assert.deepEqual((got as Record<string, unknown>)[k], v, `${name}.${k}`);
    assert.ok(got.text.length > 0 && output(name).includes(got.text.split('\n')[0]), `${name}: text is Codex's own`);
    assert.doesNotMatch(got.text, /Stack backtrace|PATH aliases|^\s+\d+: <unknown>/m, `${name}: no banner or backtrace`);
    assert.ok(describeRejection(got).length > 0);
  }
});

test('an unknown message is kept verbatim; output without an error is not mistaken for acceptance', () => {
  const r = rejection('missing-instructions-file');
  assert.equal(r.kind, 'unknown');
  assert.match(r.text, /^Error: failed to read model instructions file .*instructions\.md: No such file or directory/);
  assert.equal(describeRejection(r), r.text.split('\n')[0]);
  assert.equal(parseCodexLoadOutput("error: unexpected argument '--ephemeral' found\n").kind, 'unrecognized');
  assert.equal(parseCodexLoadOutput('').kind, 'unrecognized');
  assert.equal(
    codexMessage(output('legacy-profile-selector')),
    'Error: legacy `profile = "gpt-oss"` config is no longer supported; use `--profile gpt-oss` with `gpt-oss.config.toml` instead',
  );
});

test('the check never gives Codex a prompt (so it stops after loading the configuration)', () => {
  assert.deepEqual(checkArgs(), ['exec', '--strict-config', '--skip-git-repo-check', '--ephemeral']);
  assert.deepEqual(checkArgs('local'), ['exec', '--strict-config', '--skip-git-repo-check', '--ephemeral', '-p', 'local']);
});

// ── edits ──

const NOTE = commentNote('2026-11-28', '0.169.0', 'unknown configuration field `x`');
const GUIDE =
  '\uFEFF# top\r\nmodel = "m" # mine\r\ncustom_model = "m"\r\n\r\n[model_providers.vllm]\r\nname = "vLLM"\r\nwire_api = "chat"\r\n\r\n[model_providers.vllm.model_options]\r\ntemperature = 0.2\r\n  top_p = 0.9   # indented\r\n\r\n[features]\r\nstreamable_shell = true\r\nother = 1\r\n';

test('comment-out: the key or table becomes comments under a dated note; every other byte stays (BOM, CRLF, comments)', () => {
  assert.equal(NOTE, 'Commented out by Local Model Router on 2026-11-28: Codex 0.169.0 rejects it (unknown configuration field `x`)');
  const top = applyEdit(GUIDE, { kind: 'comment-out', path: ['custom_model'], note: NOTE });
  assert.ok(top.ok);
  assert.equal(top.text, GUIDE.replace('custom_model = "m"\r\n', `# ${NOTE}\r\n# custom_model = "m"\r\n`));
  const tbl = applyEdit(GUIDE, { kind: 'comment-out', path: ['model_providers', 'vllm', 'model_options'], note: NOTE });
  assert.ok(tbl.ok);
  assert.equal(
    tbl.text,
    GUIDE.replace(
      '[model_providers.vllm.model_options]\r\ntemperature = 0.2\r\n  top_p = 0.9   # indented\r\n',
      `# ${NOTE}\r\n# [model_providers.vllm.model_options]\r\n# temperature = 0.2\r\n  # top_p = 0.9   # indented\r\n`,
    ),
    'a commented-out table keeps all its lines',
  );
  const provider = applyEdit(GUIDE, { kind: 'comment-out', path: ['model_providers', 'vllm'], note: NOTE });
  assert.ok(provider.ok);
  assert.match(provider.text, /# \[model_providers\.vllm\]\r\n# name = "vLLM"\r\n# wire_api = "chat"\r\n/);
  assert.match(provider.text, /# \[model_providers\.vllm\.model_options\]/, 'sub-tables go with it');
  assert.equal(provider.text.split('\r\n').filter(l => l === `# ${NOTE}`).length, 2, 'one note above each commented block');
  const inKey = applyEdit('[features]\nstreamable_shell = true\n', {
    kind: 'comment-out',
    path: ['features', 'streamable_shell'],
    note: NOTE,
  });
  assert.ok(inKey.ok);
  assert.equal(inKey.text, `[features]\n# ${NOTE}\n# streamable_shell = true\n`);
});

test('comment-out refuses half a line (a key inside an inline table) and multi-line notes', () => {
  const inline = 'model_providers = { x = { name = "x", bad = 1 } }\n';
  const r = applyEdit(inline, { kind: 'comment-out', path: ['model_providers', 'x', 'bad'], note: NOTE });
  assert.ok(!r.ok && /inline table/.test(r.error));
  const whole = applyEdit(inline, { kind: 'comment-out', path: ['model_providers'], note: NOTE });
  assert.ok(whole.ok && whole.text === `# ${NOTE}\n# ${inline}`, 'the whole line can');
  assert.ok(!applyEdit('a = 1\n', { kind: 'comment-out', path: ['a'], note: 'two\nlines' }).ok);
});

test('rename: every spelling of the table key (headers, sub-tables, dotted keys, inline) and nothing else', () => {
  const text =
    'model_provider = "ollama" # the built-in? no, mine\n[model_providers.ollama]\nname = "ollama"\n[model_providers.ollama.http_headers]\nX = "1"\n[model_providers.other]\nname = "ollama"\n';
  const r = applyEdit(text, { kind: 'rename', path: ['model_providers', 'ollama'], to: 'local-ollama' });
  assert.ok(r.ok, !r.ok ? r.error : '');
  assert.equal(
    r.text,
    text
      .replace('[model_providers.ollama]', '[model_providers.local-ollama]')
      .replace('[model_providers.ollama.http_headers]', '[model_providers.local-ollama.http_headers]'),
    'values that merely say "ollama" stay',
  );
  const dotted = '[model_providers]\nollama.name = "O"\nollama.env_key = "K"\nother.name = "ollama"\n';
  const d = applyEdit(dotted, { kind: 'rename', path: ['model_providers', 'ollama'], to: 'local-ollama' });
  assert.ok(d.ok && d.text === dotted.replace('ollama.name', 'local-ollama.name').replace('ollama.env_key', 'local-ollama.env_key'));
  const inline = applyEdit('model_providers = { ollama = { name = "o" } }\n', {
    kind: 'rename',
    path: ['model_providers', 'ollama'],
    to: 'local-ollama',
  });
  assert.ok(inline.ok && inline.text === 'model_providers = { local-ollama = { name = "o" } }\n');
  const taken = applyEdit('[model_providers.ollama]\nname = "a"\n[model_providers.local-ollama]\nname = "b"\n', {
    kind: 'rename',
    path: ['model_providers', 'ollama'],
    to: 'local-ollama',
  });
  assert.ok(!taken.ok && /taken/.test(taken.error));
});

test('keyPathAt: the key Codex points at, cut at the segment its column falls on', () => {
  const t =
    'model = "m"\n[model_providers.vllm.model_options]\nx = 1\n[features]\nstreamable_shell = true\n[a]\nb.c = 1\nm = { wire_api = "chat" }\n';
  assert.deepEqual(keyPathAt(t, 1, 1), ['model']);
  assert.deepEqual(keyPathAt(t, 2, 23), ['model_providers', 'vllm', 'model_options']);
  assert.deepEqual(keyPathAt(t, 2, 18), ['model_providers', 'vllm']);
  assert.deepEqual(keyPathAt(t, 5, 1), ['features', 'streamable_shell']);
  assert.deepEqual(keyPathAt(t, 7, 1), ['a', 'b']);
  assert.deepEqual(keyPathAt(t, 7, 3), ['a', 'b', 'c']);
  assert.deepEqual(keyPathAt(t, 8, 18), ['a', 'm', 'wire_api'], 'inside an inline table: the innermost key');
  assert.equal(keyPathAt(t, 40, 1), undefined);
  assert.equal(keyPathAt('a = "', 1, 1), undefined);
});

test('coerce: only exact conversions of a string Codex wanted as a number or boolean', () => {
  assert.equal(coerce('string "32768"', 'i64'), 32768);
  assert.equal(coerce('string "-3"', 'i32'), -3);
  assert.equal(coerce('string "-3"', 'u64'), undefined);
  assert.equal(coerce('string "0.5"', 'f64'), 0.5);
  assert.equal(coerce('string "false"', 'a boolean'), false);
  assert.equal(coerce('string "big"', 'i64'), undefined);
  assert.equal(coerce('string "99999999999999999999"', 'i64'), undefined);
  assert.equal(coerce('integer `3`', 'a string'), undefined);
  assert.match(localDate(new Date(2026, 0, 5)), /^2026-01-05$/);
});

// ── codex --oss ──

test('codex --oss: flag, then the profile, then config.toml; CODEX_OSS_BASE_URL, then CODEX_OSS_PORT, then the default', () => {
  const cfg = 'oss_provider = "lmstudio"\n';
  assert.deepEqual(resolveOssRoute({ configText: cfg, env: {} }), {
    kind: 'route',
    provider: 'lmstudio',
    providerSource: 'config',
    baseUrl: 'http://localhost:1234/v1',
    baseUrlSource: 'default',
    warnings: [],
  });
  const r = resolveOssRoute({ configText: cfg, profileText: 'oss_provider = "ollama"\n', env: { CODEX_OSS_PORT: '41001' } });
  assert.ok(r.kind === 'route');
  assert.deepEqual(
    [r.provider, r.providerSource, r.baseUrl, r.baseUrlSource],
    ['ollama', 'profile', 'http://localhost:41001/v1', 'CODEX_OSS_PORT'],
  );
  const flag = resolveOssRoute({
    configText: cfg,
    localProvider: 'ollama',
    env: { CODEX_OSS_PORT: '41001', CODEX_OSS_BASE_URL: 'http://127.0.0.1:41002/v1/' },
  });
  assert.ok(flag.kind === 'route');
  assert.deepEqual(
    [flag.provider, flag.providerSource, flag.baseUrl, flag.baseUrlSource],
    ['ollama', 'flag', 'http://127.0.0.1:41002/v1', 'CODEX_OSS_BASE_URL'],
  );
  assert.match(flag.warnings.join(' '), /CODEX_OSS_PORT is ignored/);
  const empty = resolveOssRoute({ configText: cfg, env: { CODEX_OSS_BASE_URL: '', CODEX_OSS_PORT: '41001' } });
  assert.ok(empty.kind === 'route' && empty.baseUrlSource === 'CODEX_OSS_PORT', 'an empty CODEX_OSS_BASE_URL is ignored');
  for (const bad of ['abc', '99999', ' 41001']) {
    const b = resolveOssRoute({ configText: cfg, env: { CODEX_OSS_PORT: bad } });
    assert.ok(
      b.kind === 'route' && b.baseUrlSource === 'default' && b.warnings.length === 1,
      `CODEX_OSS_PORT=${JSON.stringify(bad)} is ignored`,
    );
  }
  const noV1 = resolveOssRoute({ configText: 'oss_provider = "ollama"', env: { CODEX_OSS_BASE_URL: 'http://127.0.0.1:41002' } });
  assert.ok(noV1.kind === 'route' && /does not end in \/v1/.test(noV1.warnings[0]));
  assert.equal(resolveOssRoute({ configText: '', env: {} }).kind, 'unconfigured');
  assert.equal(resolveOssRoute({ configText: 'oss_provider = "ollama-chat"', env: {} }).kind, 'invalid');
  assert.equal(resolveOssRoute({ configText: 'oss_provider = "vllm"', env: {} }).kind, 'invalid');
  assert.equal(resolveOssRoute({ configText: 'not toml = =', env: {} }).kind, 'unconfigured');
});

test('codex features list: deprecated and removed [features] keys become advisories, never edits', () => {
  // Lines as Codex 0.169.0 prints them (`codex features list`).
  const list = parseFeatureList(
    'apply_patch_freeform                     removed            false\nmulti_agent                              deprecated         true\nmulti_agent_v2_dynamic_tools             under development  false\nweb_search_request                       deprecated         true\nplugins                                  stable             true\n',
  );
  assert.deepEqual(list[2], { name: 'multi_agent_v2_dynamic_tools', stage: 'under development', enabled: false });
  const adv = featureAdvisories(
    '[features]\nweb_search_request = true\nplugins = false\napply_patch_freeform = true\nstreamable_shell = true\n',
    list,
  );
  assert.deepEqual(adv, [
    { key: 'features.web_search_request', stage: 'deprecated', enabled: true },
    { key: 'features.apply_patch_freeform', stage: 'removed', enabled: false },
  ]);
  assert.match(describeAdvisory(adv[0], '0.169.0'), /deprecated; it still loads \(effective: true\), so it is left as it is/);
  assert.deepEqual(featureAdvisories('model = "m"\n', list), []);
});
