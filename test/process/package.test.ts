// The .vsix carries the bundles, media, package.json, README, CHANGELOG and LICENSE — nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

test('vsce would package only the allowlist', () => {
  const out = execFileSync(process.execPath, [join(ROOT, 'node_modules/@vscode/vsce/vsce'), 'ls', '--no-dependencies'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const files = out
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean)
    .sort();
  const allowed =
    /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|dist\/(extension|cli)\.js|dist\/lazy\/[a-z]+\.js|media\/icon\.png|media\/walkthrough\/[A-Za-z]+\.md)$/;
  assert.deepEqual(
    files.filter(f => !allowed.test(f)),
    [],
  );
  for (const must of ['package.json', 'CHANGELOG.md', 'LICENSE', 'dist/extension.js', 'dist/cli.js', 'media/icon.png'])
    assert.ok(files.includes(must), `${must} missing from the package`);
  assert.ok(!files.some(f => f.endsWith('.map')), 'no source maps in the package');
});

test('the packaged README has no relative images (the details page shows them broken) and says where they are', () => {
  const out = join(ROOT, 'out', 'README.package.test.md');
  execFileSync(process.execPath, [join(ROOT, 'test/tools/package-readme.mjs'), out], { cwd: ROOT, encoding: 'utf8' });
  const text = readFileSync(out, 'utf8');
  assert.doesNotMatch(text, /!\[[^\]]*\]\((?!https:)/, 'no relative image');
  assert.match(
    readFileSync(join(ROOT, 'README.md'), 'utf8'),
    /!\[[^\]]*\]\(media\/screenshots\//,
    'the repository README keeps its screenshots',
  );
  assert.match(text, /Screenshot in the repository: .*media\/screenshots\/picker\.png/);
});
