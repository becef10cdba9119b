// One SSH tunnel in a read-only terminal named after its host: ssh runs from an argv (no shell), kept
// up by the core supervisor (restarts with backoff when it drops); the terminal shows ssh's own
// output and the tunnel's state, and closing it stops the tunnel.
import * as vscode from 'vscode';
import type { OpenTunnel } from '../../ctx';
import { superviseTunnel, type TunnelCommand, type TunnelState, type TunnelSupervisor } from '../../core/tunnel';
import { commandLine } from '../../core/launch';
import { OutputTerminal } from '../../ui/outputTerminal';

export function describeTunnelState(s: TunnelState, destination: string): string {
  switch (s.kind) {
    case 'starting':
      return s.phase === 'connecting'
        ? `${s.attempt > 1 ? `attempt ${s.attempt}: ` : ''}connecting to ${destination}…`
        : 'connected; waiting for the server behind the tunnel…';
    case 'up':
      return `up: ${s.localBaseUrl} → ${destination} (ssh pid ${s.pid}, ${s.ms} ms)`;
    case 'restarting':
      return `ssh ended (${s.exit.signal ?? `code ${s.exit.code}`}); restarting in ${s.delayMs} ms`;
    case 'failed':
      return `failed: ${s.message}`;
    case 'stopped':
      return 'tunnel stopped';
  }
}

export interface SshTunnelOptions {
  /** The environment ssh starts from (SSH_AUTH_SOCK, HOME …). */
  baseEnv: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  log: Pick<vscode.LogOutputChannel, 'info' | 'warn'>;
  /** The person closed the terminal: the tunnel is stopping. */
  onUserClose(t: SshTunnel): void;
}

export class SshTunnel implements OpenTunnel {
  readonly provider: OpenTunnel['provider'];
  readonly destination: string;
  readonly remotePort: number;
  readonly localBaseUrl: string;
  readonly terminalName: string;
  private readonly supervisor: TunnelSupervisor;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly pty: OutputTerminal;
  private readonly terminal: vscode.Terminal;

  constructor(
    readonly command: TunnelCommand,
    o: SshTunnelOptions,
  ) {
    this.provider = command.spec.provider;
    this.destination = command.destination;
    this.remotePort = command.spec.remotePort;
    this.localBaseUrl = command.localBaseUrl;
    this.terminalName = `ssh ${command.destination} :${command.spec.localPort}`;
    this.pty = new OutputTerminal(() => o.onUserClose(this));
    this.terminal = vscode.window.createTerminal({
      name: this.terminalName,
      pty: this.pty,
      iconPath: new vscode.ThemeIcon('remote'),
      isTransient: true,
    });
    const c = command.command;
    this.pty.note(`> ${commandLine(c.command, c.args)}`);
    this.pty.note(
      `forwards ${command.localBaseUrl.replace(/\/v1$/, '')} here to port ${command.spec.remotePort} on ${command.destination}`,
    );
    this.supervisor = superviseTunnel(command, {
      baseEnv: o.baseEnv,
      ...(o.readyTimeoutMs ? { readyTimeoutMs: o.readyTimeoutMs } : {}),
      onOutput: t => this.pty.print(t),
      onState: s => {
        this.pty.note(`[${describeTunnelState(s, command.destination)}]`);
        if (s.kind === 'failed' || s.kind === 'stopped') this.pty.ended = true;
        const line = `tunnel ${command.destination}:${command.spec.remotePort} → ${command.localBaseUrl}: ${s.kind}${s.kind === 'failed' ? ` (${s.reason}) ${s.message}` : ''}`;
        if (s.kind === 'failed' || s.kind === 'restarting') o.log.warn(line);
        else o.log.info(line);
        this.changed.fire();
      },
    });
  }

  get state(): TunnelState {
    return this.supervisor.state;
  }
  get pid(): number | undefined {
    return this.supervisor.pid;
  }
  /** The first `up`, `failed` or `stopped`. */
  get firstSettled(): Promise<TunnelState> {
    return this.supervisor.firstSettled;
  }
  /** `failed` (gave up) or `stopped`. */
  get ended(): Promise<TunnelState> {
    return this.supervisor.ended;
  }

  showTerminal(preserveFocus = false): void {
    this.terminal.show(preserveFocus);
  }

  stop(graceMs = 3_000): Promise<void> {
    return this.supervisor.stop(graceMs);
  }

  dispose(): void {
    this.terminal.dispose();
    this.pty.dispose();
    this.changed.dispose();
  }
}
