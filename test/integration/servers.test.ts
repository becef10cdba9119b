// Servers started by other windows, found through their records in the extension's global storage
// (what every window of this user on this machine reads): a record whose window is gone is taken
// over and stoppable here; one of another open window is stopped on request without being taken
// over; one whose server has ended is forgotten, and nothing is signalled. The records are written
// as another extension host writes them; the servers are real processes in their own groups.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StopResult } from '../../src/features/launch/start';
import type { AdoptResult } from '../../src/features/launch/adopt';
import type { ServerRecord } from '../../src/core/launch/serverRecords';
import { processStartTime } from '../../src/core/launch/processIdentity';
import { alive, freePort, portOpen } from '../support/ports';

const EXTENSION_ID = 'local-model-router.local-model-router';
const ROOT = path.resolve(__dirname, '../..');
const STAND_IN = path.join(ROOT, 'test/support/bin/stand-in-llama-server');
const RECORDS = path.join(process.env.LMR_HOST_RUN_DIR ?? '', 'user-data/User/globalStorage', EXTENSION_ID, 'servers');

async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}

/** A stand-in llama-server in its own group writing to a log, as another window's Start Server leaves it. */
async function serverElsewhere(port: number): Promise<{ pid: number; startTime: string; logFile: string }> {
  fs.mkdirSync(RECORDS, { recursive: true });
  const logFile = path.join(RECORDS, `llamacpp-test-${port}.log`);
  const fd = fs.openSync(logFile, 'a');
  const child = spawn(STAND_IN, ['-m', '/models/x.gguf', '--host', '127.0.0.1', '--port', String(port)], {
    detached: true,
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  child.unref();
  await until('the stand-in to listen', () => portOpen(port));
  // The launcher execs node: the pid keeps naming the server.
  const startTime = processStartTime(child.pid!);
  assert.ok(startTime);
  return { pid: child.pid!, startTime, logFile };
}

/** A process standing for another window's extension host; `ended` ones have exited since. */
async function ownerProcess(ended: boolean): Promise<{ pid: number; startTime: string }> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  const startTime = processStartTime(child.pid!);
  assert.ok(startTime);
  if (ended) {
    child.kill('SIGKILL');
    await new Promise(r => child.on('exit', r));
  } else child.unref();
  return { pid: child.pid!, startTime };
}

function writeRecord(r: ServerRecord): string {
  const file = path.join(RECORDS, `${r.provider}-${r.server.pid}-${r.server.startTime}.json`);
  fs.writeFileSync(file, JSON.stringify(r));
  return file;
}

function record(port: number, server: { pid: number; startTime: string; logFile: string }, owner: ServerRecord['owner']): ServerRecord {
  return {
    version: 1,
    provider: 'llamacpp',
    baseUrl: `http://127.0.0.1:${port}/v1`,
    name: `stand-in-llama-server :${port}`,
    commandKey: 'test',
    server: { pid: server.pid, startTime: server.startTime },
    logFile: server.logFile,
    startedAt: new Date().toISOString(),
    owner,
  };
}

suite('servers of other windows: found, taken over, stopped', () => {
  const owners: number[] = [];
  const servers: number[] = [];

  suiteSetup(async function () {
    this.timeout(30_000);
    assert.ok(process.env.LMR_HOST_RUN_DIR, 'LMR_HOST_RUN_DIR');
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
  });

  suiteTeardown(() => {
    for (const pid of [...owners, ...servers])
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
  });

  test("a server whose window is gone is taken over: it shows in this window's terminal and Stop Server stops it", async function () {
    this.timeout(60_000);
    const port = await freePort();
    const server = await serverElsewhere(port);
    servers.push(server.pid);
    const file = writeRecord(record(port, server, { ...(await ownerProcess(true)), workspace: 'file:///elsewhere' }));
    const r = await vscode.commands.executeCommand<AdoptResult>('localModelRouter.adoptServers');
    assert.deepEqual(r.adopted, [{ name: `stand-in-llama-server :${port}`, pid: server.pid, why: 'orphan' }]);
    assert.ok(
      vscode.window.terminals.some(t => t.name === `stand-in-llama-server :${port}`),
      vscode.window.terminals.map(t => t.name).join(', '),
    );
    const taken = JSON.parse(fs.readFileSync(file, 'utf8')) as ServerRecord;
    assert.equal(taken.owner.pid, process.pid, 'the record now names this window');
    const stopped = await vscode.commands.executeCommand<StopResult>('localModelRouter.stopServer', 'llamacpp');
    assert.equal(stopped.kind, 'stopped', JSON.stringify(stopped));
    await until('the process to end', () => !alive(server.pid));
    await until('its record and log to go', () => !fs.existsSync(file) && !fs.existsSync(server.logFile));
  });

  test("another open window's server is not taken over, and Stop Server stops it on request", async function () {
    this.timeout(60_000);
    const port = await freePort();
    const server = await serverElsewhere(port);
    servers.push(server.pid);
    const owner = await ownerProcess(false);
    owners.push(owner.pid);
    const file = writeRecord(record(port, server, { ...owner, workspace: 'file:///elsewhere' }));
    const r = await vscode.commands.executeCommand<AdoptResult>('localModelRouter.adoptServers');
    assert.deepEqual([r.adopted, r.others], [[], 1]);
    const stopped = await vscode.commands.executeCommand<StopResult>('localModelRouter.stopServer', 'llamacpp');
    assert.deepEqual(stopped.kind === 'stopped' && [stopped.pid, stopped.signal], [server.pid, 'SIGTERM']);
    await until('the process to end', () => !alive(server.pid));
    assert.equal(fs.existsSync(file), false);
  });

  test('a record whose pid now names another process is forgotten, and that process is left alone', async function () {
    this.timeout(30_000);
    const stranger = await ownerProcess(false);
    owners.push(stranger.pid);
    const file = writeRecord(
      record(
        9,
        { pid: stranger.pid, startTime: `${stranger.startTime}7`, logFile: path.join(RECORDS, 'none.log') },
        { ...(await ownerProcess(true)) },
      ),
    );
    const r = await vscode.commands.executeCommand<AdoptResult>('localModelRouter.adoptServers');
    assert.deepEqual([r.adopted, r.forgotten], [[], 1]);
    assert.equal(fs.existsSync(file), false);
    assert.equal(alive(stranger.pid), true);
  });
});
