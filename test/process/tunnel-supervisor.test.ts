// The supervisor's failure paths that need no ssh server: a missing ssh, an ssh that exits at once,
// real ssh against a closed port and against a server that never speaks, stop() while connecting.
// Restarts after a drop are shown against a real sshd in tunnel-sshd.test.ts.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  backoffMs,
  buildTunnelCommand,
  checkTunnelRequest,
  DEFAULT_RESTART,
  superviseTunnel,
  trustedSshConfigFile,
  type TrustedSshOptions,
  type TunnelState,
} from '../../src/core/tunnel';
import { alive, freePort, portOpen } from '../support/ports';

const HAVE_SSH = spawnSync('ssh', ['-V']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'lmr-tunnel-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A client config of the test's own, so nothing reads ~/.ssh; `port` is where "the ssh server" is. */
function clientConfig(port: number): string {
  const file = join(dir, `ssh_config_${port}`);
  writeFileSync(
    file,
    `Host fake\n  HostName 127.0.0.1\n  Port ${port}\n  UserKnownHostsFile ${join(dir, 'known_hosts')}\n  GlobalKnownHostsFile /dev/null\n  IdentityAgent none\n  IdentityFile ${join(dir, 'none')}\n`,
  );
  return file;
}

async function tunnel(t: TrustedSshOptions, o: { readyTimeoutMs?: number } = {}) {
  const r = checkTunnelRequest({ host: 'fake', provider: 'ollama', localPort: await freePort() });
  assert.ok(r.ok);
  const states: TunnelState[] = [];
  const sup = superviseTunnel(buildTunnelCommand(r.spec, t), {
    onState: s => states.push(s),
    readyTimeoutMs: o.readyTimeoutMs ?? 10_000,
    restart: { baseDelayMs: 50 },
  });
  return { sup, states, localPort: r.spec.localPort };
}

describe('tunnel supervisor without an ssh server', () => {
  test("ssh missing: failed ssh-not-found, with the launcher's reason", async () => {
    const { sup } = await tunnel({ executable: join(dir, 'no-such-ssh') });
    const s = await sup.firstSettled;
    await sup.stop();
    assert.equal(s.kind === 'failed' && s.reason, 'ssh-not-found');
    assert.match(s.kind === 'failed' ? s.message : '', /no such program/);
  });

  test('ssh that exits at once, before up: failed ssh-exited with its code, and no restart', async () => {
    const { sup, states } = await tunnel({ executable: '/bin/false' });
    const s = await sup.firstSettled;
    await sup.stop();
    assert.deepEqual(s.kind === 'failed' && [s.reason, s.exit?.code], ['ssh-exited', 1]);
    assert.equal(states.filter(x => x.kind === 'starting').length, 1);
    assert.equal(sup.state.kind, 'failed', 'stop() keeps the failure');
  });

  test(
    "real ssh, nothing on the ssh port: failed ssh-exited, and ssh's own words come along",
    { skip: !HAVE_SSH && 'no ssh client' },
    async () => {
      const { sup } = await tunnel({ configFile: trustedSshConfigFile(clientConfig(await freePort())) });
      const s = await sup.firstSettled;
      await sup.stop();
      assert.deepEqual(s.kind === 'failed' && [s.reason, s.exit?.code], ['ssh-exited', 255]);
      assert.match(s.kind === 'failed' ? s.lastLines.join('\n') : '', /Connection refused/);
    },
  );

  describe('an ssh server that accepts and never speaks', { skip: !HAVE_SSH && 'no ssh client' }, () => {
    const sockets = new Set<Socket>();
    const silent = createServer(s => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    const listening = new Promise<number>(r => silent.listen(0, '127.0.0.1', () => r((silent.address() as { port: number }).port)));
    after(() => {
      for (const s of sockets) s.destroy();
      silent.close();
    });

    test('stop() while connecting: stopped, ssh gone, the local port never opened', async () => {
      const { sup, states, localPort } = await tunnel({ configFile: trustedSshConfigFile(clientConfig(await listening)) });
      await new Promise(r => setTimeout(r, 300));
      const pid = sup.pid as number;
      assert.ok(pid && alive(pid), JSON.stringify(states));
      await sup.stop();
      assert.equal(sup.state.kind, 'stopped');
      assert.equal((await sup.firstSettled).kind, 'stopped');
      assert.equal(alive(pid), false);
      assert.equal(await portOpen(localPort), false);
    });

    test('no local port within the time limit: failed timeout, ssh stopped', async () => {
      const { sup } = await tunnel({ configFile: trustedSshConfigFile(clientConfig(await listening)) }, { readyTimeoutMs: 800 });
      const s = await sup.firstSettled;
      const pid = sup.pid;
      await sup.stop();
      assert.equal(s.kind === 'failed' && s.reason, 'timeout', JSON.stringify(s));
      assert.equal(pid, undefined, 'ssh was stopped by the supervisor itself');
    });
  });

  test('backoff doubles from the base delay up to the cap', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 7].map(n => backoffMs(n, DEFAULT_RESTART)),
      [500, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000],
    );
  });
});
