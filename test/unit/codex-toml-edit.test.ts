// Worked examples of the surgical TOML editor (the property test covers the space; these pin the
// exact bytes for the layouts users write, and the refusals).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEdit, type TomlEdit } from '../../src/core/codex/tomlEdit';

function ok(text: string, edit: TomlEdit): string {
  const r = applyEdit(text, edit);
  assert.ok(r.ok, !r.ok ? r.error : '');
  return r.text;
}
const trust = (p: string): TomlEdit => ({ kind: 'set', path: ['projects', p, 'trust_level'], value: 'trusted' });

test('set: replaces only the value, keeps the trailing comment', () => {
  assert.equal(ok('[projects."/a"]\ntrust_level = "untrusted" # hi\n', trust('/a')), '[projects."/a"]\ntrust_level = "trusted" # hi\n');
});

test('set: an equal value in another quoting is left alone', () => {
  const r = applyEdit("[projects.'/a']\ntrust_level = 'trusted'\n", trust('/a'));
  assert.ok(r.ok && !r.changed && r.changes.length === 0);
});

test("set: a new table goes at the end, separated by one blank line, in the file's line endings", () => {
  assert.equal(ok('a = 1\r\n', trust('/b c')), 'a = 1\r\n\r\n[projects."/b c"]\r\ntrust_level = "trusted"\r\n');
  assert.equal(ok('a = 1', trust('/x')), 'a = 1\n\n[projects."/x"]\ntrust_level = "trusted"\n');
  assert.equal(ok('', trust('/x')), '[projects."/x"]\ntrust_level = "trusted"\n');
});

test('set: into an inline table (TOML 1.0 and 1.1 layouts) and beside dotted keys', () => {
  assert.equal(
    ok('projects = { "/a" = { trust_level = "untrusted" } }\n', trust('/b')),
    'projects = { "/a" = { trust_level = "untrusted" }, "/b".trust_level = "trusted" }\n',
  );
  assert.equal(ok('projects = {\n  "/a" = {},\n}\n', trust('/b')), 'projects = {\n  "/a" = {}, "/b".trust_level = "trusted",\n}\n');
  assert.equal(
    ok('[projects]\n"/a".trust_level = "trusted"\n"/b".x = 1\n[z]\n', trust('/b')),
    '[projects]\n"/a".trust_level = "trusted"\n"/b".x = 1\n"/b".trust_level = "trusted"\n[z]\n',
  );
});

test('set: a top-level key goes after the last top-level key, never into a table', () => {
  assert.equal(
    ok('# c\nmodel = "x"\n\n[t]\nk = 1\n', { kind: 'set', path: ['oss_provider'], value: 'ollama' }),
    '# c\nmodel = "x"\noss_provider = "ollama"\n\n[t]\nk = 1\n',
  );
  assert.equal(ok('[t]\nk = 1\n', { kind: 'set', path: ['oss_provider'], value: 'ollama' }), 'oss_provider = "ollama"\n[t]\nk = 1\n');
});

test('remove: a table with its sub-tables; `[profiles.x]` inside a string or comment is not a table', () => {
  const text =
    '\uFEFF# [profiles.x] in a comment\r\nq = """\r\n[profiles.x]\r\n"""\r\n\r\n[profiles.x]\r\nmodel = "m"\r\n\r\n[other]\r\na = 1\r\n\r\n[profiles.x.features]\r\nplugins = false\r\n';
  assert.equal(
    ok(text, { kind: 'remove', path: ['profiles', 'x'] }),
    '\uFEFF# [profiles.x] in a comment\r\nq = """\r\n[profiles.x]\r\n"""\r\n\r\n\r\n[other]\r\na = 1\r\n\r\n',
  );
});

test('refusals: conflicts and invalid files leave a clear message', () => {
  const r1 = applyEdit('projects = "no"\n', trust('/a'));
  assert.ok(!r1.ok && /projects is already a value/.test(r1.error));
  const r2 = applyEdit('[[projects]]\nx = 1\n', trust('/a'));
  assert.ok(!r2.ok, 'an array of tables cannot hold a named project');
  const r3 = applyEdit('a = 1\na = 2\n', trust('/a'));
  assert.ok(!r3.ok && /not valid TOML/.test(r3.error));
  const r4 = applyEdit('projects = ["/a"]\n', trust('/a'));
  assert.ok(!r4.ok && /list/.test(r4.error));
});
