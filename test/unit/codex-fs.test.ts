// Writing Codex's files never loses the user's: symlinks stay links, read-only and changed-on-disk
// files are refused with nothing written, invalid TOML is refused, backups restore every byte.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSnapshot, writeFiles, writeAtomic, planRestore, restore, FileRefusal, lastWriteOf, resolveLinks } from '../../src/core/files';
import { planProfileWrite, planTrustWrite } from '../../src/core/codex/plan';
import { configPath } from '../../src/core/codex/files';
import { buildProfile } from '../../src/core/codex/profile';

const temps: string[] = [];
after(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-codex-fs-'));
  temps.push(d);
  return d;
}

const USER_CONFIG =
  '\uFEFF# my precious comments\r\nmodel = "gpt-5" # inline\r\n\r\n[mcp_servers.docs]\r\ncommand = "npx"\r\nargs = ["-y", "docs"]\r\n';
const settings = {
  'codex.disableNonFunctionTools': 'auto',
  'codex.autoCompactFraction': 0.75,
  'llamacpp.autoCompactTokenLimit': 14000,
} as const;
const route = { provider: 'vllm' as const, baseUrl: 'http://127.0.0.1:8000/v1', model: 'm', contextWindow: 32768 };

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter(n => n !== '.local-model-router-backups')
    .sort();
}

test('a config.toml behind a symlink: the link stays a link, its target gets the change', () => {
  const root = tmp();
  const dotfiles = path.join(root, 'dotfiles');
  const home = path.join(root, 'codex');
  fs.mkdirSync(dotfiles);
  fs.mkdirSync(home);
  fs.writeFileSync(path.join(dotfiles, 'codex.toml'), USER_CONFIG);
  fs.symlinkSync('../dotfiles/codex.toml', configPath(home));
  const plan = planTrustWrite(home, '/srv/project', false);
  assert.ok(plan.ok && plan.change);
  writeFiles(home, [plan.change], 'test');
  assert.ok(fs.lstatSync(configPath(home)).isSymbolicLink(), 'still a symlink');
  assert.equal(fs.readlinkSync(configPath(home)), '../dotfiles/codex.toml', 'pointing where it did');
  const text = fs.readFileSync(path.join(dotfiles, 'codex.toml'), 'utf8');
  assert.ok(text.startsWith(USER_CONFIG), 'every original byte kept, BOM and CRLF included');
  assert.equal(text.slice(USER_CONFIG.length), '\r\n[projects."/srv/project"]\r\ntrust_level = "trusted"\r\n');
  assert.deepEqual(fs.readdirSync(dotfiles), ['codex.toml'], 'no temp file left beside the target');
});

test('a dangling symlink (target not created yet) is written through, not replaced', () => {
  const root = tmp();
  fs.symlinkSync(path.join(root, 'real.toml'), path.join(root, 'config.toml'));
  assert.equal(resolveLinks(path.join(root, 'config.toml')), path.join(fs.realpathSync(root), 'real.toml'));
  const snap = readSnapshot(path.join(root, 'config.toml'));
  assert.equal(snap.exists, false);
  writeAtomic(snap, 'a = 1\n');
  assert.ok(fs.lstatSync(path.join(root, 'config.toml')).isSymbolicLink());
  assert.equal(fs.readFileSync(path.join(root, 'real.toml'), 'utf8'), 'a = 1\n');
});

test('a read-only config.toml is refused and nothing is written', () => {
  const home = tmp();
  fs.writeFileSync(configPath(home), USER_CONFIG, { mode: 0o444 });
  fs.chmodSync(configPath(home), 0o444);
  const plan = planTrustWrite(home, '/srv/project', false);
  assert.ok(plan.ok && plan.change);
  assert.throws(
    () => writeFiles(home, [plan.change!], 'test'),
    (e: Error) => e instanceof FileRefusal && /read-only/.test(e.message) && /Nothing was written/.test(e.message),
  );
  assert.equal(fs.readFileSync(configPath(home), 'utf8'), USER_CONFIG);
  assert.deepEqual(listFiles(home), ['config.toml']);
});

test('a file changed on disk since it was read is refused; nothing of the set is written', () => {
  const home = tmp();
  fs.writeFileSync(configPath(home), USER_CONFIG);
  const profile = buildProfile(route, settings, { name: 'p', codexHome: home });
  const plan = planProfileWrite({ codexHome: home, profile, trustProject: '/srv/x' });
  assert.ok(plan.ok);
  assert.equal(plan.changes.length, 3, 'profile, catalog and config.toml');
  fs.appendFileSync(configPath(home), '# saved by the user meanwhile\n');
  assert.throws(
    () => writeFiles(home, plan.changes, 'test'),
    (e: Error) => e instanceof FileRefusal && /changed on disk/.test(e.message),
  );
  assert.equal(fs.readFileSync(configPath(home), 'utf8'), `${USER_CONFIG}# saved by the user meanwhile\n`);
  assert.deepEqual(listFiles(home), ['config.toml'], 'the profile file was not written either');
});

test("an invalid config.toml is refused with the parser's location and nothing is written", () => {
  const home = tmp();
  const broken = '# hand-edited\nmodel = "gpt-5\n[profiles.x]\n';
  fs.writeFileSync(configPath(home), broken);
  const profile = buildProfile(route, settings, { name: 'p', codexHome: home });
  const plan = planProfileWrite({ codexHome: home, profile });
  assert.equal(plan.ok, false);
  assert.match((plan as { error: string }).error, /config\.toml is not valid TOML .*line 2/i);
  const trust = planTrustWrite(home, '/srv/p', false);
  assert.equal(trust.ok, false);
  assert.equal(fs.readFileSync(configPath(home), 'utf8'), broken);
  assert.deepEqual(listFiles(home), ['config.toml']);
});

test('a file that is not UTF-8 is refused', () => {
  const home = tmp();
  fs.writeFileSync(configPath(home), Buffer.from([0x61, 0x20, 0x3d, 0x20, 0x22, 0xff, 0xfe, 0x22, 0x0a]));
  assert.throws(() => readSnapshot(configPath(home)), /not UTF-8/);
});

test('backup and restore: every replaced file comes back byte for byte, created files go away', () => {
  const home = tmp();
  fs.writeFileSync(configPath(home), USER_CONFIG, { mode: 0o640 });
  fs.chmodSync(configPath(home), 0o640);
  const profile = buildProfile(route, settings, { name: 'p', codexHome: home });
  const plan = planProfileWrite({ codexHome: home, profile, trustProject: '/srv/x' });
  assert.ok(plan.ok);
  writeFiles(home, plan.changes, 'write p');
  assert.equal(fs.statSync(configPath(home)).mode & 0o777, 0o640, 'permissions kept');
  assert.deepEqual(listFiles(home), ['config.toml', 'p.config.toml', 'p.models.json']);
  assert.equal(lastWriteOf(home)?.reason, 'write p');
  const r = planRestore(home);
  assert.ok(r);
  assert.equal(r.files.filter(f => f.changedSinceWrite).length, 0);
  restore(r);
  assert.equal(fs.readFileSync(configPath(home), 'utf8'), USER_CONFIG);
  assert.deepEqual(listFiles(home), ['config.toml']);
  assert.equal(planRestore(home), undefined, 'the restored set is used up');
});

test('restore marks files edited after the write', () => {
  const home = tmp();
  fs.writeFileSync(configPath(home), 'a = 1\n');
  const plan = planTrustWrite(home, '/srv/p', false);
  assert.ok(plan.ok && plan.change);
  writeFiles(home, [plan.change], 'trust');
  fs.appendFileSync(configPath(home), 'b = 2\n');
  const r = planRestore(home);
  assert.ok(r);
  assert.deepEqual(
    r.files.map(f => f.changedSinceWrite),
    [true],
  );
});

test('an unchanged plan writes nothing and a second identical write is a no-op', () => {
  const home = tmp();
  const profile = buildProfile(route, settings, { name: 'p', codexHome: home });
  const first = planProfileWrite({ codexHome: home, profile });
  assert.ok(first.ok);
  writeFiles(home, first.changes, 'first');
  const second = planProfileWrite({ codexHome: home, profile });
  assert.ok(second.ok);
  assert.equal(second.changes.length, 0);
  assert.equal(second.unchanged.length, 2);
});
