// The user's own ssh config: the Host aliases to offer, and the file ssh must read to resolve them.
// Never a file named by a workspace setting: its ProxyCommand or LocalCommand would run as the user.
import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import {
  readSshConfigHosts,
  trustedSshConfigFile,
  tunnelHostChoices,
  type SshHostEntry,
  type TrustedSshConfigFile,
} from '../../core/tunnel';

export function userSshConfigPath(home = homedir()): string {
  return join(home, '.ssh', 'config');
}

/** The aliases of ~/.ssh/config that can be passed to ssh safely, with where each was read. */
export function sshConfigHosts(home = homedir()): { hosts: SshHostEntry[]; problems: string[] } {
  const r = readSshConfigHosts(userSshConfigPath(home), { home });
  return { hosts: tunnelHostChoices(r.hosts), problems: r.problems.map(p => `${p.file}:${p.line}: ${p.message}`) };
}

/**
 * ssh reads ~/.ssh/config from the home directory of the passwd entry, never from $HOME (observed
 * with OpenSSH 9.2: `HOME=/tmp/h ssh -G alias` ignores /tmp/h/.ssh/config). When the two differ —
 * a sandbox, a test host, a HOME pointed elsewhere — the hosts offered came from $HOME's file, so
 * ssh is given that file (-F) to resolve them the same way. -F also skips /etc/ssh/ssh_config, so
 * when the two agree ssh is left to read both itself.
 */
export function userSshConfigFile(home = homedir(), passwdHome = safePasswdHome()): TrustedSshConfigFile | undefined {
  if (passwdHome !== undefined && resolve(home) === resolve(passwdHome)) return undefined;
  const file = userSshConfigPath(home);
  return file.startsWith('/') && existsSync(file) ? trustedSshConfigFile(file) : undefined;
}

function safePasswdHome(): string | undefined {
  try {
    return userInfo().homedir;
  } catch {
    return undefined;
  }
}
