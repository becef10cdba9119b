// The ~/.ssh/config reader: which Host entries are offered, split the way OpenSSH splits lines.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  expandInclude,
  nodeSshConfigFs,
  readSshConfigHosts,
  splitSshConfigLine,
  tunnelHostChoices,
  type SshConfigFs,
} from '../../src/core/tunnel';

describe('splitSshConfigLine (readconf.c + argv_split)', () => {
  const cases: [string, ReturnType<typeof splitSshConfigLine>][] = [
    ['Host gpu', { kind: 'line', keyword: 'host', args: ['gpu'] }],
    ['  HOST   gpu  box\t', { kind: 'line', keyword: 'host', args: ['gpu', 'box'] }],
    ['Host=gpu', { kind: 'line', keyword: 'host', args: ['gpu'] }],
    ['Host = gpu', { kind: 'line', keyword: 'host', args: ['gpu'] }],
    ['HostName "my host"', { kind: 'line', keyword: 'hostname', args: ['my host'] }],
    ["User 'a b'c", { kind: 'line', keyword: 'user', args: ['a bc'] }],
    ['Host a\\ b', { kind: 'line', keyword: 'host', args: ['a b'] }],
    ['Host "a\\"b"', { kind: 'line', keyword: 'host', args: ['a"b'] }],
    ['Host gpu # the big one', { kind: 'line', keyword: 'host', args: ['gpu'] }],
    ['Host gpu#1', { kind: 'line', keyword: 'host', args: ['gpu#1'] }],
    ['Host "#x"', { kind: 'line', keyword: 'host', args: ['#x'] }],
    ['# Host commented', { kind: 'empty' }],
    ['   #Host commented', { kind: 'empty' }],
    ['', { kind: 'empty' }],
    ['   \t', { kind: 'empty' }],
    ['Host gpu\r', { kind: 'line', keyword: 'host', args: ['gpu'] }],
    ['Host "unterminated', { kind: 'error', message: 'invalid quotes after "Host"' }],
  ];
  for (const [line, want] of cases) test(JSON.stringify(line), () => assert.deepEqual(splitSshConfigLine(line), want));
});

/** An in-memory file system: path → text; folders are listed from the paths. */
function memFs(files: Record<string, string>): SshConfigFs {
  return {
    readFile: p => files[p],
    readDir: d => {
      const prefix = d.endsWith('/') ? d : `${d}/`;
      const names = Object.keys(files)
        .filter(f => f.startsWith(prefix))
        .map(f => f.slice(prefix.length).split('/')[0] as string);
      return names.length ? [...new Set(names)] : undefined;
    },
  };
}

const HOME = '/home/me';
const read = (files: Record<string, string>) => readSshConfigHosts(`${HOME}/.ssh/config`, { home: HOME, fs: memFs(files) });
const aliases = (files: Record<string, string>) => read(files).hosts.map(h => h.alias);

describe('readSshConfigHosts', () => {
  test('concrete Host patterns only: wildcards, ? and negations are not destinations', () => {
    assert.deepEqual(
      aliases({ [`${HOME}/.ssh/config`]: 'Host *\n  ServerAliveInterval 30\nHost gpu gpu.lan *.lan !bastion db? web[12]\nHost gpu\n' }),
      ['gpu', 'gpu.lan', 'web[12]'],
    );
  });

  test('HostName, User, Port: first value wins, per alias, with case-insensitive keywords', () => {
    const r = read({
      [`${HOME}/.ssh/config`]:
        'host gpu\n  HOSTNAME 10.0.0.5\n  user alice\n  Port=2222\nHost gpu other\n  HostName 10.9.9.9\n  User bob\n',
    });
    assert.deepEqual(r.hosts, [
      { alias: 'gpu', hostName: '10.0.0.5', user: 'alice', port: '2222', file: `${HOME}/.ssh/config`, line: 1 },
      { alias: 'other', hostName: '10.9.9.9', user: 'bob', file: `${HOME}/.ssh/config`, line: 5 },
    ]);
  });

  test('Match ends the Host block: its options belong to no alias, and it names none', () => {
    const r = read({ [`${HOME}/.ssh/config`]: 'Host gpu\n  User alice\nMatch host gpu exec "true"\n  HostName 6.6.6.6\n  User mallory\n' });
    assert.deepEqual(
      r.hosts.map(h => [h.alias, h.hostName, h.user]),
      [['gpu', undefined, 'alice']],
    );
  });

  test('Include: relative to ~/.ssh, ~ and absolute paths, globs in sorted order, no dot files', () => {
    const files = {
      [`${HOME}/.ssh/config`]: 'Include config.d/*.conf ~/extra/ssh.conf\nInclude /etc/ssh/shared_config\nHost last\n',
      [`${HOME}/.ssh/config.d/20-b.conf`]: 'Host b\n',
      [`${HOME}/.ssh/config.d/10-a.conf`]: 'Host a\n',
      [`${HOME}/.ssh/config.d/.30-hidden.conf`]: 'Host hidden\n',
      [`${HOME}/.ssh/config.d/40-c.txt`]: 'Host notconf\n',
      [`${HOME}/extra/ssh.conf`]: 'Host extra\n',
      '/etc/ssh/shared_config': 'Host shared\n',
    };
    assert.deepEqual(aliases(files), ['a', 'b', 'extra', 'shared', 'last']);
  });

  test('Include inside a Host block: the included Host lines start their own blocks, then the outer block resumes', () => {
    const r = read({
      [`${HOME}/.ssh/config`]: 'Host gpu\n  Include inc\n  User alice\n',
      [`${HOME}/.ssh/inc`]: 'HostName 10.0.0.1\nHost inner\n  User bob\n',
    });
    assert.deepEqual(
      r.hosts.map(h => [h.alias, h.hostName, h.user]),
      [
        ['gpu', '10.0.0.1', 'alice'],
        ['inner', undefined, 'bob'],
      ],
    );
  });

  test("a missing file or include is no error; a self-include stops at ssh's depth limit; bad quotes are reported with the line", () => {
    assert.deepEqual(read({}), { hosts: [], problems: [] });
    assert.deepEqual(aliases({ [`${HOME}/.ssh/config`]: 'Include nowhere/*\nInclude missing\nHost x\n' }), ['x']);
    const loop = read({ [`${HOME}/.ssh/config`]: 'Host a\nInclude config\n' });
    assert.deepEqual(
      loop.hosts.map(h => h.alias),
      ['a'],
    );
    assert.deepEqual(
      loop.problems.map(p => p.message),
      ['Include nested deeper than 16 levels'],
    );
    const bad = read({ [`${HOME}/.ssh/config`]: 'Host ok\nHost "broken\nHost after\n' });
    assert.deepEqual(
      bad.hosts.map(h => h.alias),
      ['ok', 'after'],
    );
    assert.deepEqual(bad.problems, [{ file: `${HOME}/.ssh/config`, line: 2, message: 'invalid quotes after "Host"' }]);
  });

  test('tunnelHostChoices leaves out aliases that cannot be passed to ssh safely', () => {
    const r = read({ [`${HOME}/.ssh/config`]: 'Host gpu "my box" -oProxyCommand=x db.lan\n' });
    assert.deepEqual(
      r.hosts.map(h => h.alias),
      ['gpu', 'my box', '-oProxyCommand=x', 'db.lan'],
    );
    assert.deepEqual(
      tunnelHostChoices(r.hosts).map(h => h.alias),
      ['gpu', 'db.lan'],
    );
  });
});

describe('on a real file system', () => {
  const home = mkdtempSync(join(tmpdir(), 'lmr-sshcfg-'));
  after(() => rmSync(home, { recursive: true, force: true }));

  test('reads ~/.ssh/config with CRLF lines and a globbed Include through node:fs', () => {
    mkdirSync(join(home, '.ssh', 'conf.d'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'config'), 'Include conf.d/*\r\nHost main\r\n  HostName 192.168.1.2\r\n');
    writeFileSync(join(home, '.ssh', 'conf.d', 'work'), 'Host work-gpu\n');
    const r = readSshConfigHosts(join(home, '.ssh', 'config'), { home });
    assert.deepEqual(
      r.hosts.map(h => [h.alias, h.hostName]),
      [
        ['work-gpu', undefined],
        ['main', '192.168.1.2'],
      ],
    );
    assert.deepEqual(expandInclude('conf.d/*', home, nodeSshConfigFs), [join(home, '.ssh', 'conf.d', 'work')]);
  });
});
