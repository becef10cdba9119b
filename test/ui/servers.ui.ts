// A server outlives the window that started it, and stays findable and stoppable. Reloading the
// browser tab gives code-server a new extension host while the old one waits for a reconnection
// (--reconnection-grace-time, 30 s in this harness; VS Code's default is 3 hours, cut to 5 minutes
// once another client connects) and then ends: the new window takes the server over at once, Stop
// Server there stops it, and the old window ending does not. A window killed outright (its
// extension host ends without stopping anything) leaves an orphan: the next window says so, owns it
// and stops it on request.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { freePort } from '../support/ports';
import type { UiFileSetup, UiHarness } from './harness';
import * as lib from '../host/lib.mjs';
import { STAND_IN, standInSettings } from './standIn';

interface Data {
  port: number;
}

export async function setup(): Promise<UiFileSetup<Data>> {
  const port = await freePort();
  return {
    settings: standInSettings(port, { executable: STAND_IN }),
    data: { port },
  };
}

const healthy = (port: number) =>
  fetch(`http://127.0.0.1:${port}/health`).then(
    r => r.ok,
    () => false,
  );
async function until(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number, h: UiHarness): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await h.page.waitForTimeout(250);
  }
}
/** The extension hosts of this code-server, by pid. */
function extensionHosts(h: UiHarness): number[] {
  return lib
    .findTagged(h.tag)
    .filter(p => readFileSync(`/proc/${p.pid}/cmdline`, 'latin1').includes('--type=extensionHost'))
    .map(p => p.pid);
}
/** The stand-in llama-server listening on the port (its launcher execs node on the script). */
function serverPids(h: UiHarness<Data>): number[] {
  return lib
    .findTagged(h.tag)
    .filter(p => {
      const argv = readFileSync(`/proc/${p.pid}/cmdline`, 'latin1').split('\0');
      return argv.some(a => a.endsWith('stand-in-server.ts')) && argv.includes(String(h.data.port));
    })
    .map(p => p.pid);
}

async function startServer(h: UiHarness<Data>): Promise<number> {
  await h.statusBarItem('Local Model Router').waitFor({ state: 'visible', timeout: 60_000 });
  await h.runCommand('Local Model Router: Start Server…');
  await h.pickRow(/^llama\.cpp/);
  await until('the server to answer', () => healthy(h.data.port), 30_000, h);
  const [pid] = serverPids(h);
  assert.ok(pid, 'no stand-in llama-server among the processes of the host');
  return pid;
}

async function reload(h: UiHarness): Promise<void> {
  await h.page.reload({ waitUntil: 'domcontentloaded' });
  await h.page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
  await h.statusBarItem('Local Model Router').waitFor({ state: 'visible', timeout: 60_000 });
}

export async function aReloadedWindowOwnsAndStopsTheServerThePreviousOneStarted(h: UiHarness<Data>): Promise<void> {
  const pid = await startServer(h);
  // A tab that loses its connection (rather than unloading): its extension host cannot answer and
  // lives on, waiting for a reconnection. A stopped process is such a host.
  const [old] = extensionHosts(h);
  assert.ok(old, 'no extension host');
  process.kill(old, 'SIGSTOP');
  try {
    await reload(h);
    // The new window follows the server in a terminal of its own.
    await until(
      'the new window to show the server in its terminal',
      async () => {
        await h.runCommand('Local Model Router: Show Server Terminal');
        // The note comes first; the server's request lines that follow can push it out of view.
        await h.runCommand('Terminal: Scroll to Top');
        return /previous window \(pid \d+/.test(await h.terminalText().catch(() => ''));
      },
      30_000,
      h,
    );
    await h.screenshot('server-taken-over');
  } finally {
    process.kill(old, 'SIGCONT');
  }
  // The old window's extension host ends (its connection is gone): the server stays.
  await until('the old extension host to end', () => !extensionHosts(h).includes(old), 60_000, h);
  assert.equal(await healthy(h.data.port), true, 'the old window ending stopped a server the new window owns');
  await h.runCommand('Local Model Router: Stop Server');
  await until('Stop Server to stop it', async () => !(await healthy(h.data.port)), 20_000, h);
  await until('the process to end', () => !serverPids(h).includes(pid), 10_000, h);
}

export async function aWindowThatUnloadsStopsItsServer(h: UiHarness<Data>): Promise<void> {
  const pid = await startServer(h);
  // A reload that unloads the page ends its extension host at once, which stops what it started.
  await reload(h);
  await until('the server to stop with its window', async () => !(await healthy(h.data.port)), 20_000, h);
  await until('the process to end', () => !serverPids(h).includes(pid), 10_000, h);
}

export async function anOrphanIsFoundByTheNextWindowAndStopped(h: UiHarness<Data>): Promise<void> {
  const pid = await startServer(h);
  // The window's extension host ends without stopping anything (a crash, a kill).
  for (const host of extensionHosts(h)) process.kill(host, 'SIGKILL');
  await reload(h);
  const text = await h.waitForNotification(/started by a window that is gone, is still running/, 30_000);
  assert.match(text, new RegExp(`pid ${pid}`));
  await h.screenshot('server-orphan-found');
  await h.clickNotificationButton(/started by a window that is gone/, 'Stop Server');
  await until('the orphan to stop', async () => !(await healthy(h.data.port)), 20_000, h);
  await until('the process to end', () => !serverPids(h).includes(pid), 10_000, h);
}
