// SSH tunnels end to end: the real ssh client against a real OpenSSH server (test/support/sshd.ts) on
// 127.0.0.1, with a scripted Ollama behind the tunnel. Nothing here reads or writes the real ~/.ssh.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import { startSshd, HAVE_SSHD, type TestSshd } from '../support/sshd';
import { alive, freePort, freePorts, portOpen } from '../support/ports';
import {
  buildTunnelCommand,
  checkTunnelRequest,
  superviseTunnel,
  trustedSshConfigFile,
  type SuperviseOptions,
  type TunnelCommand,
  type TunnelState,
  type TunnelSupervisor,
} from '../../src/core/tunnel';
import { discover } from '../../src/core/route/discovery';
import { verifyRoute } from '../../src/core/codex/verify/index';

const skip = !HAVE_SSHD && 'needs /usr/sbin/sshd, ssh and ssh-keygen (Debian: apt-get install openssh-server)';
const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');
const MODEL = 'gpt-oss:20b';

function tunnelTo(sshd: TestSshd, remotePort: number, localPort: number): TunnelCommand {
  const r = checkTunnelRequest({ host: sshd.alias, provider: 'ollama', remotePort, localPort });
  assert.ok(r.ok, JSON.stringify(r));
  return buildTunnelCommand(r.spec, { configFile: trustedSshConfigFile(sshd.clientConfig) });
}

function supervise(cmd: TunnelCommand, o: SuperviseOptions = {}): { sup: TunnelSupervisor; states: TunnelState[] } {
  const states: TunnelState[] = [];
  const sup = superviseTunnel(cmd, { readyTimeoutMs: 15_000, restart: { baseDelayMs: 100 }, ...o, onState: s => states.push(s) });
  return { sup, states };
}

async function until<T>(what: string, f: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 25));
  }
}

describe('ssh tunnel through a real sshd', { skip }, () => {
  let sshd: TestSshd;
  let ollama: ScriptedServer;
  before(async () => {
    sshd = await startSshd();
    ollama = await startScriptedServer({
      kind: 'ollama',
      models: [{ id: MODEL, contextWindow: 131072, capabilities: ['completion', 'tools'] }],
    });
  });
  after(async () => {
    await ollama?.close();
    await sshd?.stop();
  });

  test(
    'comes up; the server behind it is discovered and verified; a SIGKILLed ssh is restarted; stop closes it',
    { timeout: 90_000 },
    async () => {
      const local = await freePort();
      const cmd = tunnelTo(sshd, ollama.port, local);
      assert.equal(cmd.localBaseUrl, `http://127.0.0.1:${local}/v1`);
      const { sup, states } = supervise(cmd);
      try {
        const first = await sup.firstSettled;
        assert.equal(first.kind, 'up', JSON.stringify(states));
        assert.ok(sshd.connections() >= 1, 'sshd saw the connection');

        const [probe] = await discover(
          [{ provider: 'ollama', baseUrl: cmd.localBaseUrl, source: 'extra', label: `${cmd.destination} (ssh)` }],
          { timeoutMs: 5_000 },
        );
        assert.equal(probe?.result.kind, 'up', JSON.stringify(probe?.result));
        assert.deepEqual(
          probe?.result.kind === 'up' && [probe.result.server.kind, probe.result.models.map(m => [m.id, m.contextWindow, m.tools])],
          ['ollama', [[MODEL, 131072, true]]],
        );

        const before = ollama.requests.length;
        const report = await verifyRoute({ baseUrl: cmd.localBaseUrl, model: MODEL, timeoutMs: 15_000 });
        assert.equal(report.ok, true, JSON.stringify(report.stages.map(s => [s.id, s.status, s.summary])));
        assert.ok(report.stages.some(s => s.id === 'tool-call' && s.status === 'pass'));
        assert.ok(
          ollama.requests.slice(before).some(r => r.path === '/v1/responses'),
          'the verifier reached the server behind the tunnel',
        );

        const pid1 = sup.pid as number;
        assert.ok(pid1 && alive(pid1));
        process.kill(pid1, 'SIGKILL');
        await until('the tunnel up again', () => (sup.state.kind === 'up' && sup.state.attempt === 2 ? true : undefined));
        const restarting = states.find(s => s.kind === 'restarting');
        assert.equal(restarting?.kind === 'restarting' && restarting.exit.signal, 'SIGKILL');
        const pid2 = sup.pid as number;
        assert.notEqual(pid2, pid1);
        const [again] = await discover([{ provider: 'ollama', baseUrl: cmd.localBaseUrl, source: 'extra' }], { timeoutMs: 5_000 });
        assert.equal(again?.result.kind, 'up');

        await sup.stop();
        assert.equal(sup.state.kind, 'stopped');
        assert.equal(await portOpen(local), false, 'the local end is closed');
        assert.equal(alive(pid2), false, 'ssh is gone');
        assert.deepEqual(
          states.map(s => s.kind).filter((k, i, a) => k !== a[i - 1]),
          ['starting', 'up', 'restarting', 'starting', 'up', 'stopped'],
        );
      } finally {
        await sup.stop();
      }
    },
  );

  test('a taken local port fails at once: ssh is not started and sshd sees no connection', async () => {
    const holder: Server = createServer();
    await new Promise<void>(r => holder.listen(0, '127.0.0.1', r));
    const taken = (holder.address() as { port: number }).port;
    const seen = sshd.connections();
    const { sup } = supervise(tunnelTo(sshd, ollama.port, taken));
    try {
      const s = await sup.firstSettled;
      assert.equal(s.kind === 'failed' && s.reason, 'port-taken');
      assert.equal(sup.pid, undefined);
      assert.equal(sshd.connections(), seen);
    } finally {
      await sup.stop();
      await new Promise(r => holder.close(r));
    }
  });

  test(
    'nothing listens on the remote port: ssh connects, nothing answers, failed no-answer and ssh stopped',
    { timeout: 30_000 },
    async () => {
      const [local, closed] = await freePorts(2);
      const { sup, states } = supervise(tunnelTo(sshd, closed as number, local as number), { readyTimeoutMs: 2_500 });
      try {
        const s = await sup.firstSettled;
        assert.equal(s.kind === 'failed' && s.reason, 'no-answer', JSON.stringify(s));
        assert.ok(
          states.some(x => x.kind === 'starting' && x.phase === 'forwarding'),
          'it saw ssh holding the port',
        );
        assert.equal(await portOpen(local as number), false);
      } finally {
        await sup.stop();
      }
    },
  );

  test("a user sshd refuses: ssh exits before up → failed ssh-exited with ssh's own lines, no retry", { timeout: 30_000 }, async () => {
    const r = checkTunnelRequest({
      host: sshd.alias,
      user: 'nobody-here',
      provider: 'ollama',
      remotePort: ollama.port,
      localPort: await freePort(),
    });
    assert.ok(r.ok);
    const { sup, states } = supervise(buildTunnelCommand(r.spec, { configFile: trustedSshConfigFile(sshd.clientConfig) }));
    const s = await sup.firstSettled;
    await sup.stop();
    assert.equal(s.kind === 'failed' && s.reason, 'ssh-exited', JSON.stringify(s));
    assert.match(s.kind === 'failed' ? s.lastLines.join('\n') : '', /Permission denied/);
    assert.equal(states.filter(x => x.kind === 'starting' && x.phase === 'connecting').length, 1, 'not retried');
  });

  test("after being up, fast failures back off and end in gave-up with ssh's last lines", { timeout: 60_000 }, async () => {
    const own = await startSshd();
    const { sup, states } = supervise(tunnelTo(own, ollama.port, await freePort()), { restart: { baseDelayMs: 50, maxFastFailures: 3 } });
    try {
      assert.equal((await sup.firstSettled).kind, 'up');
      // sshd's listener goes away (sessions it already forked stay), then the tunnel drops.
      await own.stopListener();
      process.kill(sup.pid as number, 'SIGKILL');
      const end = await sup.ended;
      assert.equal(end.kind === 'failed' && end.reason, 'gave-up', JSON.stringify(end));
      assert.match(end.kind === 'failed' ? end.lastLines.join('\n') : '', /Connection refused/);
      const delays = states.flatMap(s => (s.kind === 'restarting' ? [s.delayMs] : []));
      assert.deepEqual(delays, [50, 100], 'doubling from the base delay');
      assert.equal(sup.pid, undefined);
    } finally {
      await sup.stop();
      await own.stop();
    }
  });

  test('hostile host and user values never reach ssh as options; sshd sees nothing; nothing is executed', { timeout: 30_000 }, async () => {
    const marker = join(sshd.dir, 'pwned');
    // Control: the same value handed to ssh as an option does run (so the checks below can fail).
    const control = join(sshd.dir, 'control');
    spawnSync('ssh', ['-F', sshd.clientConfig, '-o', 'BatchMode=yes', `-oProxyCommand=touch ${control}`, sshd.alias, 'true'], {
      timeout: 10_000,
    });
    assert.ok(existsSync(control), 'ssh runs a ProxyCommand given as an option');
    const seen = sshd.connections();

    const hostile = [
      `-oProxyCommand=touch ${marker}`,
      `${sshd.alias} -oProxyCommand=touch ${marker}`,
      `${sshd.alias}\n-oProxyCommand=touch ${marker}`,
      '--',
      `x@${sshd.alias}`,
      `${sshd.alias} -p 1`,
    ];
    for (const host of hostile) {
      const r = checkTunnelRequest({ host, provider: 'ollama' });
      assert.equal(r.ok, false, host);
    }
    const user = checkTunnelRequest({ host: sshd.alias, user: `-oProxyCommand=touch ${marker}`, provider: 'ollama' });
    assert.equal(user.ok, false);

    if (existsSync(CLI)) {
      const flags = ['--remote-port', String(ollama.port), '--ssh-config', sshd.clientConfig, '--timeout-ms', '2000'];
      for (const args of [
        [...flags, '--', `-oProxyCommand=touch ${marker}`],
        [...flags, `-oProxyCommand=touch ${marker}`],
        [...flags, '--', `${sshd.alias}\n-oProxyCommand=touch ${marker}`],
        [...flags, '--user', `-oProxyCommand=touch ${marker}`, sshd.alias],
      ]) {
        const r = spawnSync(process.execPath, [CLI, 'tunnel', ...args], { encoding: 'utf8', timeout: 20_000 });
        assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /^\$ ssh/m, 'ssh was not started');
      }
    }
    assert.equal(existsSync(marker), false, 'nothing was executed');
    assert.equal(sshd.connections(), seen, 'sshd saw no connection');
  });

  test(
    'CLI: tunnel --json comes up, reports the discovered endpoint, and Ctrl+C stops ssh',
    { skip: !existsSync(CLI) && 'run `npm run build` first (dist/cli.js)', timeout: 60_000 },
    async () => {
      const local = await freePort();
      const child = spawn(
        process.execPath,
        [
          CLI,
          'tunnel',
          sshd.alias,
          '--provider',
          'ollama',
          '--remote-port',
          String(ollama.port),
          '--local-port',
          String(local),
          '--ssh-config',
          sshd.clientConfig,
          '--json',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', d => (out += d));
      child.stderr.on('data', d => (err += d));
      const exited = new Promise<number | null>(r => child.on('close', code => r(code)));
      try {
        const events = () =>
          out
            .split('\n')
            .filter(Boolean)
            .map(
              l =>
                JSON.parse(l) as {
                  event: string;
                  state?: TunnelState;
                  endpoint?: { state: string; label: string; baseUrl: string; models: { id: string }[] };
                  args?: string[];
                },
            );
        const found = await until('the discovered event', () => events().find(e => e.event === 'discovered'), 30_000);
        assert.equal(found.endpoint?.state, 'up', err);
        assert.equal(found.endpoint?.baseUrl, `http://127.0.0.1:${local}/v1`);
        assert.equal(found.endpoint?.label, `${sshd.alias} (ssh)`);
        assert.deepEqual(
          found.endpoint?.models.map(m => m.id),
          [MODEL],
        );
        const command = events().find(e => e.event === 'command');
        assert.deepEqual(command?.args?.slice(-2), ['--', sshd.alias]);
        const up = events().find(e => e.state?.kind === 'up')?.state;
        const pid = up?.kind === 'up' ? up.pid : 0;
        assert.ok(pid && alive(pid));
        child.kill('SIGINT');
        assert.equal(await exited, 0, err);
        assert.equal(events().at(-1)?.state?.kind, 'stopped');
        assert.equal(alive(pid), false, 'ssh stopped with the CLI');
        assert.equal(await portOpen(local), false);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  );
});
