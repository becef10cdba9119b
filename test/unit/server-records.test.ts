// What a window does with the record of a server an earlier window started (core/launch/serverRecords.ts),
// and how a pid is tied to one process (core/launch/processIdentity.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeRecord, parseServerRecord, type ServerRecord } from '../../src/core/launch/serverRecords';
import { parseProcStatStartTime } from '../../src/core/launch/processIdentity';
import { LAUNCH_PROVIDERS } from '../../src/core/servers';

const record: ServerRecord = {
  version: 1,
  provider: 'llamacpp',
  baseUrl: 'http://127.0.0.1:8131/v1',
  name: 'llama-server :8131',
  commandKey: 'k',
  server: { pid: 4242, startTime: '900' },
  logFile: '/tmp/x.log',
  startedAt: '2026-12-01T10:00:00.000Z',
  owner: { pid: 100, startTime: '50', workspace: 'file:///work/project' },
};

test('what a window does with a record: gone, mine, orphan, previous window, other window', () => {
  const me = { pid: 200, startTime: '70', workspace: 'file:///work/project' };
  const other = { ...me, workspace: 'file:///work/elsewhere' };
  const rows = [
    ['server gone', judgeRecord(record, { serverAlive: false, ownerAlive: true, self: me })],
    ['owner is this host', judgeRecord(record, { serverAlive: true, ownerAlive: true, self: { pid: 100, startTime: '50' } })],
    [
      'same pid, another start: not this host',
      judgeRecord(record, { serverAlive: true, ownerAlive: false, self: { pid: 100, startTime: '51' } }),
    ],
    ['owner ended', judgeRecord(record, { serverAlive: true, ownerAlive: false, self: other })],
    ['owner alive, this workspace', judgeRecord(record, { serverAlive: true, ownerAlive: true, self: me })],
    ['owner alive, another workspace', judgeRecord(record, { serverAlive: true, ownerAlive: true, self: other })],
    [
      'owner alive, no workspace on either side',
      judgeRecord(
        { ...record, owner: { pid: 100, startTime: '50' } },
        { serverAlive: true, ownerAlive: true, self: { pid: 200, startTime: '70' } },
      ),
    ],
  ];
  assert.deepEqual(rows, [
    ['server gone', 'gone'],
    ['owner is this host', 'mine'],
    ['same pid, another start: not this host', 'orphan'],
    ['owner ended', 'orphan'],
    ['owner alive, this workspace', 'previous-window'],
    ['owner alive, another workspace', 'other-window'],
    ['owner alive, no workspace on either side', 'other-window'],
  ]);
});

test('a record read back: anything malformed is not a record (and is never signalled)', () => {
  assert.deepEqual(parseServerRecord(JSON.stringify(record), LAUNCH_PROVIDERS), record);
  const bad = [
    'not json',
    JSON.stringify({ ...record, version: 2 }),
    JSON.stringify({ ...record, provider: 'sh' }),
    JSON.stringify({ ...record, server: { pid: 1, startTime: '1' } }),
    JSON.stringify({ ...record, server: { pid: -5, startTime: '1' } }),
    JSON.stringify({ ...record, owner: { pid: 3 } }),
    JSON.stringify({ ...record, logFile: 7 }),
  ];
  for (const b of bad) assert.equal(parseServerRecord(b, LAUNCH_PROVIDERS), undefined, b);
});

test("a process's start time from /proc/<pid>/stat, whatever its command name holds", () => {
  const tail = 'S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 10000 200';
  assert.equal(parseProcStatStartTime(`4242 (llama-server) ${tail}`), '987654');
  assert.equal(parseProcStatStartTime(`4242 (a) b) (c) ${tail}`), '987654');
  assert.equal(parseProcStatStartTime('4242 (truncated'), undefined);
});
