// What a tunnel is, and the ssh argv that makes it. Every value a person (or a settings file, or a
// picked ~/.ssh/config entry) supplies is checked here before it can reach ssh: a host such as
// `-oProxyCommand=touch /tmp/x` is an option to ssh, and ssh runs ProxyCommand through the shell,
// so such values are refused, never quoted or passed on. Only code-supplied values (TrustedSshOptions)
// bypass the checks, and they are typed so that a user string cannot be handed in by accident.
import { displayText } from '../text/sanitize';
import { normalizeBaseUrl } from '../endpoints';
import { PROVIDERS, isProviderId, type ProviderId } from '../providers';
import type { LaunchCommand } from '../launch/argv';

export interface TunnelRequest {
  /** An ssh destination: a ~/.ssh/config alias, a DNS name or an IP address. */
  host: string;
  user?: string;
  /** The port the server listens on at the far end; or take the provider's default. */
  remotePort?: number | string;
  provider?: string;
  /** Where the tunnel listens here (127.0.0.1); default: the remote port. */
  localPort?: number | string;
  /** The ssh server's port when it is not 22 and not set in ~/.ssh/config. */
  sshPort?: number | string;
}

export type TunnelField = keyof TunnelRequest;

export interface TunnelProblem {
  field: TunnelField;
  message: string;
}

export interface TunnelSpec {
  host: string;
  user?: string;
  remotePort: number;
  localPort: number;
  /** The port the caller asked for; false when it defaulted to the remote port. */
  localPortExplicit: boolean;
  sshPort?: number;
  /** What discovery should expect behind the tunnel. */
  provider: ProviderId;
}

export type TunnelSpecResult = { ok: true; spec: TunnelSpec } | { ok: false; problems: TunnelProblem[] };

// A DNS name, ssh alias or IPv4 address: starts with a letter, digit or `_`, then `.`, `-`, `_`.
// No `@` (user@host is split by ssh), `:` (ssh://…, host:port), `%`, `/`, spaces or controls.
const NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,252})$/;
// An IPv6 literal, brackets optional, optional zone id.
const IPV6 = /^\[?([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%[A-Za-z0-9_.-]+)?)\]?$/;
// POSIX portable user names plus `$` for machine accounts; never `@` or a leading `-`.
const USER = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}\$?$/;

/** Why a value cannot be used, in words a person can act on; undefined when it is fine. */
function describeBadText(value: string, what: string): string | undefined {
  if (value === '') return `the ${what} is empty`;
  if (value.startsWith('-')) return `the ${what} "${printable(value)}" starts with "-", which ssh would read as an option`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return `the ${what} contains a control character (a newline or similar)`;
  if (/[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/.test(value)) return `the ${what} contains an invisible formatting character`;
  if (/\s/.test(value)) return `the ${what} "${printable(value)}" contains a space`;
  if (value.includes('@')) return `the ${what} "${printable(value)}" contains "@"${what === 'host' ? '; give the user separately' : ''}`;
  return undefined;
}

// A refused value as the message shows it: control and invisible characters escaped, so a refusal
// cannot hide what it refuses, and cut short.
function printable(v: string): string {
  return displayText(v, { max: 80, singleLine: true });
}

/** DNS names are at most 253 characters (RFC 1035); ssh aliases are no longer in practice. */
export const MAX_HOST_LENGTH = 253;

export function checkHost(raw: string): { ok: true; host: string } | { ok: false; message: string } {
  if (raw.length > MAX_HOST_LENGTH)
    return {
      ok: false,
      message: `the host is ${raw.length} characters long; a host name or an ~/.ssh/config alias is at most ${MAX_HOST_LENGTH}.`,
    };
  const bad = describeBadText(raw, 'host');
  if (bad) return { ok: false, message: `${bad}.` };
  const v6 = IPV6.exec(raw);
  if (v6 && raw.includes(':')) return { ok: true, host: v6[1] as string };
  if (NAME.test(raw) && !raw.endsWith('-')) return { ok: true, host: raw };
  if (/[^\x20-\x7e]/.test(raw))
    return {
      ok: false,
      message: `the host "${printable(raw)}" has non-ASCII characters; use its punycode form (xn--…) or an alias from ~/.ssh/config.`,
    };
  return {
    ok: false,
    message: `the host "${printable(raw)}" is not a host name, an IP address or an ~/.ssh/config alias (letters, digits, ".", "-", "_").`,
  };
}

export function checkUser(raw: string): { ok: true; user: string } | { ok: false; message: string } {
  if (raw.length > 64) return { ok: false, message: `the user name is ${raw.length} characters long; a user name is at most 64.` };
  const bad = describeBadText(raw, 'user');
  if (bad) return { ok: false, message: `${bad}.` };
  if (USER.test(raw)) return { ok: true, user: raw };
  return {
    ok: false,
    message: `the user "${printable(raw)}" is not a plain user name (letters, digits, ".", "-", "_"); for other names set User in ~/.ssh/config.`,
  };
}

export function checkPort(raw: number | string, what: string): { ok: true; port: number } | { ok: false; message: string } {
  const text = typeof raw === 'number' ? (Number.isInteger(raw) ? String(raw) : 'x') : raw;
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    return { ok: false, message: `the ${what} must be a whole number from 1 to 65535, got "${printable(String(raw))}".` };
  }
  return { ok: true, port: Number(text) };
}

/**
 * The port a provider's server listens on out of the box, from PROVIDERS (the one place that knows
 * it). The far end runs the server's own default, not this machine's llama.cpp port setting.
 */
export function providerDefaultPort(provider: ProviderId): number | undefined {
  return PROVIDERS[provider].ownDefaultPort;
}

export function checkTunnelRequest(r: TunnelRequest): TunnelSpecResult {
  const problems: TunnelProblem[] = [];
  const host = checkHost(r.host);
  if (!host.ok) problems.push({ field: 'host', message: host.message });
  let user: string | undefined;
  if (r.user !== undefined && r.user !== '') {
    const u = checkUser(r.user);
    if (u.ok) user = u.user;
    else problems.push({ field: 'user', message: u.message });
  }
  let provider: ProviderId = 'openaiCompatible';
  if (r.provider !== undefined) {
    if (isProviderId(r.provider)) provider = r.provider;
    else
      problems.push({
        field: 'provider',
        message: `unknown provider "${printable(r.provider)}"; one of ${Object.keys(PROVIDERS).join(', ')}.`,
      });
  }
  let remotePort: number | undefined;
  if (r.remotePort !== undefined && r.remotePort !== '') {
    const p = checkPort(r.remotePort, 'remote port');
    if (p.ok) remotePort = p.port;
    else problems.push({ field: 'remotePort', message: p.message });
  } else if (r.provider !== undefined && isProviderId(r.provider)) {
    remotePort = providerDefaultPort(r.provider);
    if (remotePort === undefined)
      problems.push({ field: 'remotePort', message: `${PROVIDERS[r.provider].displayName} has no default port; give the remote port.` });
  } else if (r.provider === undefined) {
    problems.push({ field: 'remotePort', message: 'give the remote port or a provider (its default port is used).' });
  }
  let localPort: number | undefined;
  const localPortExplicit = r.localPort !== undefined && r.localPort !== '';
  if (localPortExplicit) {
    const p = checkPort(r.localPort as number | string, 'local port');
    if (p.ok) localPort = p.port;
    else problems.push({ field: 'localPort', message: p.message });
  }
  let sshPort: number | undefined;
  if (r.sshPort !== undefined && r.sshPort !== '') {
    const p = checkPort(r.sshPort, 'ssh port');
    if (p.ok) sshPort = p.port;
    else problems.push({ field: 'sshPort', message: p.message });
  }
  if (problems.length || !host.ok || remotePort === undefined) return { ok: false, problems };
  return {
    ok: true,
    spec: {
      host: host.host,
      remotePort,
      localPort: localPort ?? remotePort,
      localPortExplicit,
      provider,
      ...(user ? { user } : {}),
      ...(sshPort ? { sshPort } : {}),
    },
  };
}

declare const trustedConfigBrand: unique symbol;
/** An ssh config file chosen by code (a test fixture, the CLI's own --ssh-config): see trustedSshConfigFile. */
export type TrustedSshConfigFile = string & { readonly [trustedConfigBrand]: true };

/**
 * Marks a path as an ssh config file to pass with `-F`. Call it only with a path that code or the
 * person running the command chose, never with a value from a workspace or a remote: the file's
 * ProxyCommand and LocalCommand run as that person. Absolute paths only, so it can never be read
 * as an option either.
 */
export function trustedSshConfigFile(path: string): TrustedSshConfigFile {
  // eslint-disable-next-line no-control-regex
  if (!path.startsWith('/') || /[\u0000-\u001f]/.test(path))
    throw new Error(`ssh config file must be an absolute path without control characters: ${JSON.stringify(path)}`);
  return path as TrustedSshConfigFile;
}

export interface TrustedSshOptions {
  /** The ssh program (default `ssh` on PATH). */
  executable?: string;
  configFile?: TrustedSshConfigFile;
  /** True when a terminal can ask for a password or a host-key confirmation; else BatchMode=yes. */
  interactive?: boolean;
  /** Keep-alive probe every N seconds; the tunnel is dropped after `aliveCountMax` unanswered ones. */
  aliveIntervalS?: number;
  aliveCountMax?: number;
}

export interface TunnelCommand {
  spec: TunnelSpec;
  command: LaunchCommand;
  /** The base URL on this machine: http://127.0.0.1:<local>/v1. */
  localBaseUrl: string;
  /** "user@host" or "host", for labels. */
  destination: string;
}

/**
 * `ssh -N -L 127.0.0.1:<local>:localhost:<remote> … -- <host>`. The explicit 127.0.0.1 keeps the
 * forward off the network even when the user's config says GatewayPorts yes; ControlMaster=no and
 * ControlPath=none make this process own its connection, so killing it closes the forward (a shared
 * master would keep it, and a restart would then find its own port taken).
 */
export function buildTunnelCommand(spec: TunnelSpec, t: TrustedSshOptions = {}): TunnelCommand {
  const args = [
    '-N',
    '-o',
    'ExitOnForwardFailure=yes',
    '-o',
    `ServerAliveInterval=${t.aliveIntervalS ?? 15}`,
    '-o',
    `ServerAliveCountMax=${t.aliveCountMax ?? 3}`,
    '-o',
    'ControlMaster=no',
    '-o',
    'ControlPath=none',
  ];
  if (!t.interactive) args.push('-o', 'BatchMode=yes');
  if (t.configFile) args.push('-F', t.configFile);
  if (spec.sshPort) args.push('-p', String(spec.sshPort));
  if (spec.user) args.push('-l', spec.user);
  args.push('-L', `127.0.0.1:${spec.localPort}:localhost:${spec.remotePort}`, '--', spec.host);
  const url = normalizeBaseUrl(`http://127.0.0.1:${spec.localPort}/v1`);
  if (!url.ok) throw new Error(url.error);
  return {
    spec,
    command: { command: t.executable ?? 'ssh', args, env: {} },
    localBaseUrl: url.url,
    destination: spec.user ? `${spec.user}@${spec.host}` : spec.host,
  };
}
