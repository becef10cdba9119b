// The file-safety layer's own guarantees: reads are bounded and regular-file only, a writer holding a
// file's lock keeps others out (and a dead writer's lock is taken over), compare-and-swap refuses a
// file changed since its snapshot, a refused write leaves no backup set a restore could pick, and the
// sanitizer escapes what it must and nothing else.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileRefusal, listSets, lockPathFor, readBounded, readSnapshot, withFileLocks, writeFiles } from '../../src/core/files';
import { cut, displayLabel, displayText } from '../../src/core/text/sanitize';

const temps: string[] = [];
after(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-files-'));
  temps.push(d);
  return d;
}

test('reads: a folder, a device and a file past the bound are refused by what they are', () => {
  const d = tmp();
  assert.throws(
    () => readBounded(d),
    (e: Error) => e instanceof FileRefusal && e.reason === 'not-regular' && /is a folder/.test(e.message),
  );
  fs.symlinkSync('/dev/null', path.join(d, 'null'));
  assert.throws(() => readSnapshot(path.join(d, 'null')), /is a character device, not a regular file/);
  fs.writeFileSync(path.join(d, 'big'), Buffer.alloc(2048, 0x61));
  assert.throws(
    () => readBounded(path.join(d, 'big'), 1024),
    (e: Error) => e instanceof FileRefusal && e.reason === 'too-large',
  );
  assert.equal(readBounded(path.join(d, 'big'), 2048).exists, true);
  assert.deepEqual(readBounded(path.join(d, 'missing')), { exists: false, realPath: path.join(fs.realpathSync(d), 'missing') });
});

test("locks: a live writer's lock keeps others out; a dead writer's lock is taken over", () => {
  const d = tmp();
  const file = path.join(d, 'config.toml');
  const lock = lockPathFor(file);
  // Held by a live process (this one's parent): refused after the wait, nothing written.
  fs.writeFileSync(lock, `${process.ppid} now\n`);
  assert.throws(
    () => withFileLocks([file], () => assert.fail('ran under a lock held by another'), 100),
    (e: Error) => e instanceof FileRefusal && e.reason === 'busy' && /being written by another program/.test(e.message),
  );
  // Held by a process that is gone: taken over at once, and released afterwards.
  fs.writeFileSync(lock, '2147483646 long ago\n');
  assert.equal(
    withFileLocks([file], () => 'ran', 100),
    'ran',
  );
  assert.ok(!fs.existsSync(lock));
});

test('compare-and-swap: a file changed since its snapshot is refused and no backup set is left', () => {
  const home = tmp();
  const file = path.join(home, 'settings.json');
  fs.writeFileSync(file, '{"a": 1}\n');
  const snap = readSnapshot(file);
  fs.writeFileSync(file, '{"a": 2}\n');
  assert.throws(
    () => writeFiles(home, [{ snapshot: snap, after: '{"a": 3}\n' }], 'test'),
    (e: Error) => e instanceof FileRefusal && e.reason === 'changed',
  );
  assert.equal(fs.readFileSync(file, 'utf8'), '{"a": 2}\n');
  assert.deepEqual(listSets(home), [], 'nothing a restore could pick');
  // Another run already made the same change: nothing to write, and no set either.
  const again = readSnapshot(file);
  fs.writeFileSync(file, '{"a": 4}\n');
  assert.equal(writeFiles(home, [{ snapshot: again, after: '{"a": 4}\n' }], 'test').files.length, 0);
});

test('the sanitizer: controls, C1, lone CR and bidi escaped; newline, tab and CRLF kept; long values cut with a count', () => {
  assert.equal(displayText('a\u001b[2Jb\u0007c\u009bd\u202ee\u2066f'), 'a\\u001b[2Jb\\u0007c\\u009bd\\u202ee\\u2066f');
  assert.equal(displayText('line\r\nnext\tx\rfake'), 'line\r\nnext\tx\\u000dfake');
  assert.equal(displayText('a\nb', { singleLine: true }), 'a\\u000ab');
  assert.equal(displayText('é 日本 ✔ 😀'), 'é 日本 ✔ 😀', 'printable text is untouched');
  assert.equal(cut('x'.repeat(10), 4), 'xxxx… (6 more characters)');
  assert.equal(cut('ab😀', 3), 'ab… (2 more characters)', 'a surrogate pair is never split');
  assert.equal(displayLabel('$(alert) urgent \\$(x)'), '\\$(alert) urgent \\$(x)', 'icon syntax is escaped in labels');
  const json = JSON.stringify({ id: 'x\u202ey\u009b' });
  assert.deepEqual(JSON.parse(displayText(json)), { id: 'x\u202ey\u009b' }, 'escaped JSON is still the same JSON');
});
