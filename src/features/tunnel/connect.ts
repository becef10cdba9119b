// "Connect to a Remote Server over SSH…": a host from ~/.ssh/config (or typed), an optional user, and
// what runs there (a provider's default port, or a port); then ssh -N -L in a read-only terminal,
// kept up until Disconnect, the terminal is closed, or the window closes. The endpoint joins
// discovery labelled "<host> (ssh)". Every value is checked by core/tunnel/spec.ts before ssh sees it.
// With `host` in the argument nothing is asked (tests and scripted callers); `suggest` only prefills.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { PROVIDERS, PROVIDER_IDS, type ProviderId } from '../../core/providers';
import {
  buildTunnelCommand,
  checkHost,
  checkPort,
  checkTunnelRequest,
  checkUser,
  chooseLocalPort,
  providerDefaultPort,
  type TunnelFailure,
  type TunnelProblem,
  type TunnelRequest,
  type TunnelState,
} from '../../core/tunnel';
import { tunnelLabel } from '../../core/route/targets';
import type { ConnectArgs } from '../../core/commandContracts';
import { SshTunnel } from './sshTunnel';
import { sshConfigHosts, userSshConfigFile } from './hosts';
import { showError, showInfo, showWarning } from '../../ui/notify';
import { displayLabel } from '../../core/text/sanitize';

export type { ConnectArgs } from '../../core/commandContracts';

export type ConnectResult =
  | { kind: 'up'; baseUrl: string; label: string; destination: string; pid: number; localPort: number; portTaken?: number }
  /** `pid` is absent while ssh is being restarted. */
  | { kind: 'already-open'; baseUrl: string; label: string; destination: string; state: TunnelState['kind']; pid?: number }
  | { kind: 'failed'; reason: TunnelFailure; message: string; lastLines: string[] }
  | { kind: 'invalid'; problems: TunnelProblem[] }
  | { kind: 'refused'; reason: 'untrusted' }
  | { kind: 'cancelled' };

export async function connectCommand(ctx: Ctx, raw?: unknown): Promise<ConnectResult> {
  // Hidden in Restricted Mode, and checked again: a command can be run by id.
  if (!vscode.workspace.isTrusted) {
    void showWarning('SSH tunnels are not opened from an untrusted workspace.', 'Manage Workspace Trust').then(c => {
      if (c) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return { kind: 'refused', reason: 'untrusted' };
  }
  const args = (raw && typeof raw === 'object' ? raw : {}) as ConnectArgs;
  const request: TunnelRequest | undefined =
    args.host !== undefined
      ? {
          host: String(args.host),
          user: text(args.user),
          provider: text(args.provider),
          remotePort: args.remotePort,
          localPort: args.localPort,
          sshPort: args.sshPort,
        }
      : await askRequest(args.suggest ?? {});
  if (!request) return { kind: 'cancelled' };
  const checked = checkTunnelRequest(request);
  if (!checked.ok) {
    void showError(`Cannot open the SSH tunnel: ${checked.problems.map(p => p.message).join(' ')}`);
    return { kind: 'invalid', problems: checked.problems };
  }
  const destination = checked.spec.user ? `${checked.spec.user}@${checked.spec.host}` : checked.spec.host;
  const open = ctx.tunnels
    .all()
    .find(t => t.destination === destination && t.remotePort === checked.spec.remotePort && t.state.kind !== 'failed');
  if (open) {
    open.showTerminal();
    return {
      kind: 'already-open',
      baseUrl: open.localBaseUrl,
      label: tunnelLabel(destination),
      destination,
      state: open.state.kind,
      ...(open.pid ? { pid: open.pid } : {}),
    };
  }
  const port = await chooseLocalPort(checked.spec);
  if (port.kind === 'taken') {
    const message = `Port ${port.port} on 127.0.0.1 is already in use by another program.`;
    void showError(`Cannot open the SSH tunnel: ${message}`);
    return { kind: 'failed', reason: 'port-taken', message, lastLines: [] };
  }
  const cmd = buildTunnelCommand(port.spec, { interactive: false, configFile: userSshConfigFile() });
  const label = tunnelLabel(cmd.destination);
  ctx.log.info(
    `tunnel: ${cmd.command.command} ${cmd.command.args.join(' ')}${port.kind === 'moved' ? ` (port ${port.taken} is taken here)` : ''}`,
  );
  const tunnel = new SshTunnel(cmd, {
    baseEnv: process.env,
    ...(args.timeoutMs ? { readyTimeoutMs: args.timeoutMs } : {}),
    log: ctx.log,
    onUserClose: t => void close(ctx, t),
  });
  ctx.tunnels.add(tunnel);
  tunnel.showTerminal(true);

  const first = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Connecting to ${cmd.destination} over SSH`, cancellable: true },
    async (progress, token) => {
      const sub = tunnel.onDidChange(() => {
        const s = tunnel.state;
        if (s.kind === 'starting')
          progress.report({ message: s.phase === 'connecting' ? 'connecting…' : 'connected; waiting for the server behind the tunnel…' });
      });
      const cancelled = new Promise<undefined>(r => token.onCancellationRequested(() => r(undefined)));
      try {
        return await Promise.race([tunnel.firstSettled, cancelled]);
      } finally {
        sub.dispose();
      }
    },
  );
  if (first?.kind !== 'failed' && first?.kind !== 'up') {
    await close(ctx, tunnel);
    return { kind: 'cancelled' };
  }
  if (first.kind === 'failed') {
    // The terminal stays, with ssh's own explanation, until the person closes it.
    await tunnel.stop();
    ctx.tunnels.remove(tunnel);
    const said = first.lastLines.slice(-3).join(' ⏎ ');
    void showError(`SSH tunnel to ${cmd.destination} failed: ${first.message}${said ? ` ssh said: ${said}` : ''}`, 'Show Terminal').then(
      c => {
        if (c) tunnel.showTerminal();
      },
    );
    return { kind: 'failed', reason: first.reason, message: first.message, lastLines: first.lastLines };
  }
  watch(ctx, tunnel);
  await ctx.discovery.refresh('tunnel-up');
  if (args.host === undefined) {
    void showInfo(`SSH tunnel to ${cmd.destination} is up: ${cmd.localBaseUrl}`, 'Pick a Model').then(c => {
      if (c) void vscode.commands.executeCommand(COMMANDS.pickRoute.id);
    });
  }
  return {
    kind: 'up',
    baseUrl: cmd.localBaseUrl,
    label,
    destination: cmd.destination,
    pid: first.pid,
    localPort: cmd.spec.localPort,
    ...(port.kind === 'moved' ? { portTaken: port.taken } : {}),
  };
}

/** Arguments come from any caller (a command can be run by id with anything): checked as text. */
function text(v: unknown): string | undefined {
  return v === undefined ? undefined : String(v);
}

/** After the first `up`: discovery follows the tunnel's drops and returns, and a give-up is said once. */
function watch(ctx: Ctx, tunnel: SshTunnel): void {
  let last = tunnel.state.kind;
  const sub = tunnel.onDidChange(() => {
    const kind = tunnel.state.kind;
    if (kind === last) return;
    last = kind;
    if (kind === 'up' || kind === 'restarting' || kind === 'failed') void ctx.discovery.refresh(`tunnel-${kind}`);
  });
  void tunnel.ended.then(s => {
    sub.dispose();
    if (s.kind !== 'failed') return;
    void showError(`The SSH tunnel to ${tunnel.destination} is down: ${s.message}`, 'Show Terminal', 'Reconnect').then(c => {
      if (c === 'Show Terminal') tunnel.showTerminal();
      else if (c === 'Reconnect') {
        void close(ctx, tunnel).then(() =>
          vscode.commands.executeCommand(COMMANDS.connectSshTunnel.id, {
            host: tunnel.command.spec.host,
            user: tunnel.command.spec.user,
            provider: tunnel.provider,
            remotePort: tunnel.remotePort,
            localPort: tunnel.command.spec.localPort,
            sshPort: tunnel.command.spec.sshPort,
          } satisfies ConnectArgs),
        );
      }
    });
  });
}

/** Stops the tunnel, closes its terminal and takes it out of discovery. */
export async function close(ctx: Ctx, tunnel: SshTunnel): Promise<void> {
  await tunnel.stop();
  ctx.tunnels.remove(tunnel);
  tunnel.dispose();
  void ctx.discovery.refresh('tunnel-closed');
}

type HostItem = vscode.QuickPickItem & { host: string };

async function askHost(suggested?: string): Promise<string | undefined> {
  const { hosts, problems } = sshConfigHosts();
  // Text from ~/.ssh/config: shown through the sanitizer; the item keeps the exact alias.
  const fromConfig: HostItem[] = hosts.map(h => ({
    label: displayLabel(h.alias),
    description: displayLabel([h.user && `${h.user}@`, h.hostName ?? '', h.port && `:${h.port}`].filter(Boolean).join('')) || undefined,
    detail: displayLabel(`${h.file}:${h.line}`),
    host: h.alias,
  }));
  const qp = vscode.window.createQuickPick<HostItem>();
  qp.title = 'Connect to a remote server over SSH (1/3): host';
  qp.placeholder = hosts.length
    ? 'A Host from ~/.ssh/config, or type a host name or IP address'
    : 'Type a host name, an IP address or an ~/.ssh/config alias';
  qp.ignoreFocusOut = true;
  if (problems.length) qp.placeholder += ` (${problems.length} line(s) of ~/.ssh/config could not be read)`;
  const typed = (value: string): HostItem[] => {
    const v = value.trim();
    if (!v || hosts.some(h => h.alias === v)) return [];
    const c = checkHost(v);
    return [
      {
        label: displayLabel(v),
        description: c.ok ? 'connect to this host' : 'cannot be used',
        detail: c.ok ? 'ssh reads ~/.ssh/config for it as usual' : c.message,
        host: c.ok ? c.host : '',
        alwaysShow: true,
      },
    ];
  };
  const render = () => {
    qp.items = [...typed(qp.value), ...fromConfig];
  };
  if (suggested) qp.value = suggested;
  render();
  try {
    return await new Promise<string | undefined>(resolve => {
      qp.onDidChangeValue(render);
      qp.onDidHide(() => resolve(undefined));
      qp.onDidAccept(() => {
        const item = qp.selectedItems[0] ?? qp.activeItems[0];
        if (item?.host) resolve(item.host);
      });
      qp.show();
    });
  } finally {
    qp.dispose();
  }
}

type ProviderItem = vscode.QuickPickItem & { provider: ProviderId };

async function askRequest(suggest: NonNullable<ConnectArgs['suggest']>): Promise<TunnelRequest | undefined> {
  const host = await askHost(suggest.host);
  if (!host) return undefined;
  const fromConfig = sshConfigHosts().hosts.find(h => h.alias === host);
  let user: string | undefined;
  if (!fromConfig?.user) {
    user = await vscode.window.showInputBox({
      title: `Connect to ${host} over SSH (2/3): user`,
      prompt: "The user to log in as; leave empty for ssh's default (User in ~/.ssh/config, else your user name)",
      ignoreFocusOut: true,
      validateInput: v => (v.trim() ? (c => (c.ok ? undefined : c.message))(checkUser(v.trim())) : undefined),
    });
    if (user === undefined) return undefined;
    user = user.trim() || undefined;
  }
  const items: ProviderItem[] = PROVIDER_IDS.map(p => {
    const port = providerDefaultPort(p);
    return { label: PROVIDERS[p].displayName, description: port ? `port ${port}` : 'give the port', provider: p };
  });
  const picked = await vscode.window.showQuickPick(
    items.sort((a, b) => Number(b.provider === suggest.provider) - Number(a.provider === suggest.provider)),
    {
      title: `Connect to ${host} over SSH (3/3): what runs there`,
      placeHolder: 'The server on the remote machine (its port can be changed next)',
      ignoreFocusOut: true,
    },
  );
  if (!picked) return undefined;
  const portText = await vscode.window.showInputBox({
    title: `${picked.label} on ${host}: port`,
    prompt: `The port ${picked.label} listens on at ${host} (on its loopback is fine: the tunnel ends there)`,
    value: String(suggest.remotePort ?? providerDefaultPort(picked.provider) ?? ''),
    ignoreFocusOut: true,
    validateInput: v => (c => (c.ok ? undefined : c.message))(checkPort(v.trim(), 'remote port')),
  });
  if (portText === undefined) return undefined;
  return { host, ...(user ? { user } : {}), provider: picked.provider, remotePort: portText.trim() };
}
