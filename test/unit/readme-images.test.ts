// Every image the README shows is in the repository (screenshots come from the UI suite with
// UPDATE_SCREENSHOTS=1): a README that names a missing file shows a broken image on GitHub.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

test('every local image the README shows exists in the repository', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const images = [...readme.matchAll(/!\[[^\]]*\]\((?!https?:)([^)\s]+)\)/g)].map(m => m[1]);
  assert.ok(images.length >= 2, `${images.length} images`);
  assert.deepEqual(
    images.filter(src => !existsSync(join(ROOT, src))),
    [],
  );
});
