// "Connect to a Remote Server over SSH…" in the real host, through a real OpenSSH server
// (test/support/sshd.ts) on 127.0.0.1 with a scripted Ollama behind it: the tunnel comes up, discovery
// shows the endpoint labelled with the host and marked remote over ssh, the route switches to it, a
// killed ssh is restarted, and Disconnect (or closing the terminal) stops it — port closed, ssh gone.
// The host runs with HOME = a temp dir; the Host alias goes into $HOME/.ssh/config, never the real one.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import { startSshd, HAVE_SSHD, type TestSshd } from '../support/sshd';
import { alive, freePort, portOpen } from '../support/ports';
import type { LocalModelRouterApi } from '../../src/api';
import type { EndpointProbe } from '../../src/core/route/discovery';
import type { ConnectResult } from '../../src/features/tunnel/connect';
import type { DisconnectResult } from '../../src/features/tunnel/disconnect';

const EXTENSION_ID = 'local-model-router.local-model-router';
const MODEL = 'gpt-oss:20b';
type PickResult = { ok: true } | { ok: false; reason: string } | undefined;

const config = () => vscode.workspace.getConfiguration('localModelRouter');
async function set(key: string, value: unknown): Promise<void> {
  await config().update(key, value, vscode.ConfigurationTarget.Global);
}
const TOUCHED = [
  'discovery.refreshIntervalSeconds',
  'discovery.probeLlamaServerDefaultPort',
  'llamacpp.baseUrl',
  'ollama.baseUrl',
  'lmstudio.baseUrl',
  'vllm.baseUrl',
  'openaiCompatible.endpoints',
];

const connect = (args: Record<string, unknown>) => vscode.commands.executeCommand<ConnectResult>('localModelRouter.connectSshTunnel', args);
const disconnect = (args: Record<string, unknown>) =>
  vscode.commands.executeCommand<DisconnectResult>('localModelRouter.disconnectSshTunnel', args);
const refresh = () => vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh');

async function until<T>(what: string, f: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

suite('tunnel: Connect to a Remote Server over SSH through a real sshd', () => {
  let api: LocalModelRouterApi;
  let sshd: TestSshd | undefined;
  let ollama: ScriptedServer;
  let sshConfig: string;
  const realSshDir = path.join(os.userInfo().homedir, '.ssh');
  const realSshDirExisted = fs.existsSync(realSshDir);

  suiteSetup(async function () {
    this.timeout(60_000);
    if (!HAVE_SSHD) {
      console.log('  tunnel suite skipped: needs /usr/sbin/sshd, ssh and ssh-keygen (Debian: apt-get install openssh-server)');
      return this.skip();
    }
    // Only a temp HOME may receive the alias: the host runner sets one (test/host/run-integration.mjs).
    assert.notEqual(
      path.resolve(os.homedir()),
      path.resolve(os.userInfo().homedir),
      `HOME (${os.homedir()}) is the real home: refusing to write ~/.ssh/config`,
    );
    sshd = await startSshd();
    ollama = await startScriptedServer({
      kind: 'ollama',
      models: [{ id: MODEL, contextWindow: 131072, capabilities: ['completion', 'tools'] }],
    });
    fs.mkdirSync(path.join(os.homedir(), '.ssh'), { recursive: true, mode: 0o700 });
    sshConfig = path.join(os.homedir(), '.ssh', 'config');
    // The fixture's client config (Host alias, IdentityFile, UserKnownHostsFile, StrictHostKeyChecking accept-new).
    fs.writeFileSync(sshConfig, fs.readFileSync(sshd.clientConfig), { mode: 0o600 });
    const closed = 'http://127.0.0.1:9';
    await set('discovery.refreshIntervalSeconds', 0);
    await set('discovery.probeLlamaServerDefaultPort', false);
    for (const p of ['llamacpp', 'ollama', 'lmstudio', 'vllm']) await set(`${p}.baseUrl`, closed);
    await set('openaiCompatible.endpoints', []);
    const ext = vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
  });

  suiteTeardown(async function () {
    this.timeout(30_000);
    if (!sshd) return;
    for (let i = 0; i < 5 && (await disconnect({ destination: sshd.alias })).kind === 'stopped'; i++) {
      /* every tunnel to it */
    }
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of TOUCHED) await set(k, undefined);
    await ollama?.close();
    await sshd.stop();
    fs.rmSync(sshConfig, { force: true });
  });

  test('Connect brings the tunnel up with ssh -N -L … -- <alias>, in a terminal named after the host', async function () {
    this.timeout(60_000);
    const local = await freePort();
    const r = await connect({ host: sshd!.alias, provider: 'ollama', remotePort: ollama.port, localPort: local });
    assert.equal(r.kind, 'up', JSON.stringify(r));
    assert.ok(r.kind === 'up');
    assert.equal(r.baseUrl, `http://127.0.0.1:${local}/v1`);
    assert.equal(r.label, `${sshd!.alias} (ssh)`);
    assert.ok(alive(r.pid));
    const argv = fs.readFileSync(`/proc/${r.pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    assert.equal(path.basename(argv[0] ?? ''), 'ssh');
    assert.deepEqual(argv.slice(-4), ['-L', `127.0.0.1:${local}:localhost:${ollama.port}`, '--', sshd!.alias]);
    assert.ok(argv.includes('BatchMode=yes') && argv.includes('ExitOnForwardFailure=yes'), argv.join(' '));
    // ssh reads ~/.ssh/config from the passwd home, not $HOME: the extension names $HOME's file.
    assert.equal(argv[argv.indexOf('-F') + 1], sshConfig, argv.join(' '));
    assert.ok(
      vscode.window.terminals.some(t => t.name === `ssh ${sshd!.alias} :${local}`),
      vscode.window.terminals.map(t => t.name).join(', '),
    );
    assert.ok(sshd!.connections() >= 1);
  });

  test('discovery shows the endpoint labelled with the host and marked remote over ssh; the route switches to it', async function () {
    this.timeout(30_000);
    const probes = await refresh();
    const mine = probes.find(p => p.source === 'tunnel');
    assert.ok(mine, JSON.stringify(probes.map(p => [p.baseUrl, p.source])));
    assert.equal(mine.label, `${sshd!.alias} (ssh)`);
    assert.deepEqual(mine.via, { kind: 'ssh', host: sshd!.alias, remotePort: ollama.port });
    assert.ok(mine.result.kind === 'up' && mine.result.models.map(m => m.id).includes(MODEL), JSON.stringify(mine.result));
    const before = ollama.requests.filter(q => q.path === '/v1/responses').length;
    const picked = await vscode.commands.executeCommand<PickResult>('localModelRouter.pickRoute', {
      select: { baseUrl: mine.baseUrl, model: MODEL },
    });
    assert.equal(picked?.ok, true, JSON.stringify(picked));
    assert.equal(api.activeRoute?.baseUrl, mine.baseUrl);
    assert.ok(ollama.requests.filter(q => q.path === '/v1/responses').length > before, 'the switch probe went through the tunnel');
    assert.equal(api.statusBar.text, `$(server-process) $(remote) ${sshd!.alias} (ssh) · ${MODEL}`);
    assert.match(api.statusBar.tooltip, /\| Remote \| over SSH to lmr\\-test\\-sshd — tunnel up \|/);
  });

  test('a killed ssh is restarted by the supervisor; Connect to the same host and port reveals it instead of a second one', async function () {
    this.timeout(60_000);
    const first = await connect({ host: sshd!.alias, provider: 'ollama', remotePort: ollama.port });
    assert.ok(first.kind === 'already-open' && first.pid, JSON.stringify(first));
    process.kill(first.pid, 'SIGKILL');
    const again = await until('ssh restarted', async () => {
      const r = await connect({ host: sshd!.alias, provider: 'ollama', remotePort: ollama.port });
      return r.kind === 'already-open' && r.state === 'up' && r.pid && r.pid !== first.pid ? r : undefined;
    });
    assert.ok(again.pid && alive(again.pid));
    assert.equal(alive(first.pid), false);
    const probe = (await refresh()).find(p => p.baseUrl === first.baseUrl);
    assert.equal(probe?.result.kind, 'up');
  });

  test('Disconnect stops it: port closed, ssh gone, the endpoint leaves discovery', async function () {
    this.timeout(30_000);
    const open = await connect({ host: sshd!.alias, provider: 'ollama', remotePort: ollama.port });
    assert.ok(open.kind === 'already-open' && open.pid);
    const local = Number(new URL(open.baseUrl).port);
    const r = await disconnect({ baseUrl: open.baseUrl });
    assert.equal(r.kind, 'stopped', JSON.stringify(r));
    assert.equal(await portOpen(local), false, 'the local end is closed');
    assert.equal(alive(open.pid), false, 'ssh is gone');
    assert.ok(!(await refresh()).some(p => p.source === 'tunnel'));
    assert.equal((await disconnect({ baseUrl: open.baseUrl })).kind, 'none');
    // The route chosen through it stays, and says its tunnel is closed.
    assert.equal(api.activeRoute?.baseUrl, open.baseUrl);
    assert.deepEqual(api.health, { kind: 'down', reason: `the SSH tunnel to ${sshd!.alias} is closed` });
    assert.match(api.statusBar.tooltip, /over SSH to lmr\\-test\\-sshd — tunnel closed \|/);
  });

  test("closing the tunnel's terminal stops the tunnel", async function () {
    this.timeout(60_000);
    const r = await connect({ host: sshd!.alias, provider: 'ollama', remotePort: ollama.port, localPort: await freePort() });
    assert.ok(r.kind === 'up', JSON.stringify(r));
    const terminal = vscode.window.terminals.find(t => t.name === `ssh ${sshd!.alias} :${r.localPort}`);
    assert.ok(terminal);
    terminal.dispose();
    await until('ssh gone', () => !alive(r.pid) || undefined);
    await until('port closed', async () => !(await portOpen(r.localPort)) || undefined);
    await until('the tunnel left discovery', async () => !(await refresh()).some(p => p.source === 'tunnel') || undefined);
  });

  test('hostile values are refused before ssh starts; sshd sees no connection; the real ~/.ssh is untouched', async function () {
    this.timeout(30_000);
    const seen = sshd!.connections();
    for (const args of [
      { host: `-oProxyCommand=touch ${path.join(sshd!.dir, 'pwned')}`, provider: 'ollama' },
      { host: `${sshd!.alias}\n-oProxyCommand=x`, provider: 'ollama' },
      { host: sshd!.alias, user: '-oProxyCommand=x', provider: 'ollama' },
      { host: sshd!.alias, remotePort: '11434 -R 1:x:1' },
    ]) {
      const r = await connect(args);
      assert.equal(r.kind, 'invalid', JSON.stringify(r));
    }
    assert.equal(sshd!.connections(), seen);
    assert.equal(fs.existsSync(path.join(sshd!.dir, 'pwned')), false);
    assert.equal(fs.existsSync(realSshDir), realSshDirExisted, 'ssh did not create or remove the real ~/.ssh');
  });
});
