// The .vsix carries the bundles, media, package.json, README, CHANGELOG and LICENSE — nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

test('vsce would package only the allowlist', () => {
  const out = execFileSync(process.execPath, [join(ROOT, 'node_modules/@vscode/vsce/vsce'), 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' });
  const files = out.split('\n').map(l => l.trim()).filter(Boolean).sort();
  const allowed = /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|dist\/(extension|cli)\.js|dist\/lazy\/[a-z]+\.js|media\/icon\.png|media\/walkthrough\/[A-Za-z]+\.md)$/;
  assert.deepEqual(files.filter(f => !allowed.test(f)), []);
  for (const must of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'dist/extension.js', 'dist/cli.js', 'media/icon.png']) assert.ok(files.includes(must), `${must} missing from the package`);
  assert.ok(!files.some(f => f.endsWith('.map')), 'no source maps in the package');
});
