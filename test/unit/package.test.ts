// The .vsix carries the bundles, media, package.json, README, CHANGELOG and LICENSE — nothing else —
// and every image the README shows: the extension's details page renders the README from the package.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function packagedFiles(): string[] {
  const out = execFileSync(process.execPath, [join(ROOT, 'node_modules/@vscode/vsce/vsce'), 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\n').map(l => l.trim()).filter(Boolean).sort();
}

/** Relative image paths of the README, Markdown `![alt](path)` and HTML `<img src="path">`. */
function readmeImages(markdown: string): string[] {
  const refs = [...markdown.matchAll(/!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g), ...markdown.matchAll(/<img\b[^>]*\bsrc="([^"]+)"/gi)].map(m => m[1]!);
  return refs.filter(r => !/^[a-z][a-z0-9+.-]*:/i.test(r)).map(r => r.replace(/^\.\//, ''));
}

test('vsce would package only the allowlist', () => {
  const files = packagedFiles();
  const allowed = /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|dist\/(extension|cli)\.js|dist\/lazy\/[a-z]+\.js|media\/icon\.png|media\/walkthrough\/[A-Za-z]+\.md|media\/screenshots\/[a-z0-9-]+\.png)$/;
  assert.deepEqual(files.filter(f => !allowed.test(f)), []);
  for (const must of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'dist/extension.js', 'dist/cli.js', 'media/icon.png']) assert.ok(files.includes(must), `${must} missing from the package`);
  assert.ok(!files.some(f => f.endsWith('.map')), 'no source maps in the package');
});

test('every image the README shows is in the package (the details page would show a broken image)', () => {
  const images = readmeImages(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  assert.ok(images.includes('media/screenshots/picker.png'), `the README's picker screenshot is not found by the parser: ${JSON.stringify(images)}`);
  const files = packagedFiles();
  assert.deepEqual(images.filter(i => !files.includes(i)), []);
});

test('readmeImages finds relative Markdown and HTML images and skips URLs', () => {
  const md = '![a](media/a.png) ![b](./media/b.png "title") <img alt="c" src="media/c.png"> ![d](https://example.invalid/d.png) [link](media/e.png)';
  assert.deepEqual(readmeImages(md), ['media/a.png', 'media/b.png', 'media/c.png']);
});
