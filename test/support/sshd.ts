// A real OpenSSH server for tests (Debian's openssh-server): its own host and user keys, config,
// authorized_keys, pid file and known_hosts in a temp dir; only key authentication; listening on a
// free 127.0.0.1 port. The client side gets an ssh config file of its own (passed with -F), so
// nothing reads or writes the real ~/.ssh. Stop it with stop(), also when the test fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { spawnServer, type ServerProcess } from '../../src/core/launch/process';
import { alive, freePort, portOpen } from './ports';

export const SSHD = '/usr/sbin/sshd';
export const HAVE_SSHD = existsSync(SSHD) && spawnSync('ssh', ['-V']).status === 0 && spawnSync('ssh-keygen', ['-?']).error === undefined;

export interface TestSshd {
  readonly port: number;
  readonly dir: string;
  /** The Host alias the client config defines for this server. */
  readonly alias: string;
  /** Client ssh config (pass with -F): identity, known_hosts in `dir`, accept-new. */
  readonly clientConfig: string;
  readonly process: ServerProcess;
  /** sshd's log (LogLevel VERBOSE on stderr). */
  log(): string[];
  /** TCP connections sshd accepted so far ("Connection from …" lines). */
  connections(): number;
  /** Ends the listener only; sessions already forked live on (as when a real sshd restarts). */
  stopListener(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Not ServerProcess.stop(): that waits for sshd's stderr to close, and every session sshd forked
 * (in its own session, so outside the group signal) holds a copy until its client disconnects.
 */
async function endListener(proc: ServerProcess, port: number): Promise<void> {
  const pid = proc.pid;
  if (!pid) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    /* gone */
  }
  const until = Date.now() + 3_000;
  while (alive(pid) && Date.now() < until) await new Promise(r => setTimeout(r, 25));
  if (alive(pid))
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  while ((await portOpen(port)) && Date.now() < until + 2_000) await new Promise(r => setTimeout(r, 25));
}

function keygen(path: string): void {
  const r = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'lmr-test', '-f', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
}

export async function startSshd(): Promise<TestSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'lmr-sshd-'));
  try {
    // sshd running as root refuses to start without its privilege-separation directory; Debian's
    // package creates it only when the service starts, which a container never does.
    if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
    keygen(join(dir, 'host_key'));
    keygen(join(dir, 'user_key'));
    writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_key.pub')), { mode: 0o600 });
    const port = await freePort();
    const user = userInfo().username;
    writeFileSync(
      join(dir, 'sshd_config'),
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${join(dir, 'host_key')}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        // The temp dir's owner and modes are not sshd's business here.
        'StrictModes no',
        `AllowUsers ${user}`,
        // Tests and CI run as root: allow it, with keys only.
        'PermitRootLogin prohibit-password',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'AllowTcpForwarding local',
        'AllowAgentForwarding no',
        'X11Forwarding no',
        'PermitTTY no',
        'PrintMotd no',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    const alias = 'lmr-test-sshd';
    const clientConfig = join(dir, 'ssh_config');
    writeFileSync(
      clientConfig,
      [
        `Host ${alias}`,
        '  HostName 127.0.0.1',
        `  Port ${port}`,
        `  User ${user}`,
        `  IdentityFile ${join(dir, 'user_key')}`,
        '  IdentitiesOnly yes',
        '  IdentityAgent none',
        `  UserKnownHostsFile ${join(dir, 'known_hosts')}`,
        '  GlobalKnownHostsFile /dev/null',
        '  StrictHostKeyChecking accept-new',
        '  ConnectTimeout 5',
        '',
      ].join('\n'),
    );
    const proc = spawnServer({ command: SSHD, args: ['-D', '-e', '-f', join(dir, 'sshd_config')], env: {} });
    // The whole log, not the process's ring of recent lines: connections are counted from it.
    let log = '';
    proc.onOutput(t => void (log += t));
    const until = Date.now() + 10_000;
    while (!(await portOpen(port))) {
      if (!proc.running || Date.now() > until) {
        await proc.stop(1_000);
        throw new Error(`sshd did not start: ${proc.output.recent().join('\n')}`);
      }
      await new Promise(r => setTimeout(r, 50));
    }
    return {
      port,
      dir,
      alias,
      clientConfig,
      process: proc,
      log: () => log.split('\n'),
      connections: () => log.split('\n').filter(l => l.startsWith('Connection from ')).length,
      stopListener: () => endListener(proc, port),
      stop: async () => {
        await endListener(proc, port);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
