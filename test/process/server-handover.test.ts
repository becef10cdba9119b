// A server that outlives the window that started it (core/launch/process.ts, processIdentity.ts): it
// writes its output to a log file, not to pipes of the extension host; another process follows that
// file and stops the server's whole group — only while the pid still names the recorded process.
// Real processes; each test stops what it starts.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachServer, spawnServer, type LineRing } from '../../src/core/launch';
import { identify, processStartTime } from '../../src/core/launch/processIdentity';
import { alive } from '../support/ports';

const dir = mkdtempSync(join(tmpdir(), 'lmr-handover-'));
const started: number[] = [];
after(() => {
  for (const pid of started)
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  rmSync(dir, { recursive: true, force: true });
});

async function waitForLine(p: { output: LineRing }, text: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!p.output.recent().some(l => l.includes(text))) {
    if (Date.now() > until) throw new Error(`no "${text}" in ${JSON.stringify(p.output.recent())}`);
    await new Promise(r => setTimeout(r, 25));
  }
}

/** A stand-in server in its own group, started as another extension host would (output to `log`). */
function startElsewhere(log: string, script: string): number {
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  started.push(child.pid!);
  return child.pid!;
}

const TICKING = 'console.log("up");let i=0;setInterval(()=>console.log("tick "+i++),100)';

test('with a log file the server writes there itself, and its output still reaches the terminal', async () => {
  const log = join(dir, 'own.log');
  const p = spawnServer(
    { command: process.execPath, args: ['-e', 'console.log("hello");console.error("warn");setInterval(()=>{},1000)'], env: {} },
    { logFile: log },
  );
  started.push(p.pid!);
  await waitForLine(p, 'warn');
  assert.deepEqual(p.output.recent(), ['hello', 'warn']);
  assert.equal(readFileSync(log, 'utf8'), 'hello\nwarn\n');
  // Its stdout is the file, not a pipe: it survives whoever started it.
  const flags = /flags:\s+(\d+)/.exec(readFileSync(`/proc/${p.pid}/fdinfo/1`, 'utf8'))?.[1];
  assert.ok(flags && (parseInt(flags, 8) & 0o2000) !== 0, `fd 1 is opened for appending (flags ${flags})`);
  const end = await p.stop(2_000);
  assert.equal(end.signal, 'SIGTERM');
});

test('another process follows a recorded server: its recent output, then what it prints; Stop ends its group', async () => {
  const log = join(dir, 'elsewhere.log');
  const pid = startElsewhere(log, TICKING);
  await new Promise(r => setTimeout(r, 400));
  const id = identify(pid);
  assert.ok(id, 'the start time of a live process can be read');
  const p = attachServer(id, log);
  assert.equal(p.running, true);
  await waitForLine(p, 'up');
  const seen = p.output.recent().length;
  await new Promise(r => setTimeout(r, 500));
  assert.ok(p.output.recent().length > seen, 'new lines keep coming');
  const end = await p.stop(2_000);
  assert.equal(end.signal, 'SIGTERM');
  assert.equal(alive(pid), false);
});

test('a pid that now names another process is never signalled', async () => {
  const log = join(dir, 'reused.log');
  const pid = startElsewhere(log, TICKING);
  await new Promise(r => setTimeout(r, 200));
  const start = processStartTime(pid);
  assert.ok(start);
  // The record says the process started at another time: the pid was reused since.
  const p = attachServer({ pid, startTime: `${start}0` }, log);
  const end = await p.stop(200);
  assert.deepEqual(end, { code: null, signal: null });
  assert.equal(p.running, false);
  assert.equal(alive(pid), true, 'the process the pid names now was left alone');
  process.kill(-pid, 'SIGKILL');
});

test('the start time of a process that has ended is unknown', async () => {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise(r => child.on('exit', r));
  assert.equal(processStartTime(child.pid!), undefined);
  assert.ok(processStartTime(process.pid));
});
