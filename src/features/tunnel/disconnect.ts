// "Disconnect SSH Tunnel": stops one of the tunnels this window opened (picked when there are several).
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { tunnelLabel } from '../../core/route/targets';
import { SshTunnel, describeTunnelState } from './sshTunnel';
import { close } from './connect';
import { showInfo } from '../../ui/notify';

export interface DisconnectArgs {
  /** The tunnel's local base URL, or its destination (`user@host` or `host`); else asked. */
  baseUrl?: string;
  destination?: string;
}

export type DisconnectResult =
  { kind: 'stopped'; baseUrl: string; destination: string; pid?: number } | { kind: 'none' } | { kind: 'cancelled' };

export async function disconnectCommand(ctx: Ctx, raw?: unknown): Promise<DisconnectResult> {
  const args = (raw && typeof raw === 'object' ? raw : {}) as DisconnectArgs;
  const open = ctx.tunnels.all().filter((t): t is SshTunnel => t instanceof SshTunnel);
  const named = args.baseUrl !== undefined || args.destination !== undefined;
  const matching = open.filter(
    t =>
      (args.baseUrl === undefined || t.localBaseUrl === args.baseUrl) &&
      (args.destination === undefined || t.destination === args.destination),
  );
  if (!matching.length) {
    if (!named) void showInfo('No SSH tunnel is open in this window.');
    return { kind: 'none' };
  }
  let tunnel: SshTunnel | undefined = matching[0];
  if (matching.length > 1) {
    const picked = await vscode.window.showQuickPick(
      matching.map(t => ({
        label: tunnelLabel(t.destination),
        description: `${t.localBaseUrl} → port ${t.remotePort}`,
        detail: describeTunnelState(t.state, t.destination),
        tunnel: t,
      })),
      { title: 'Disconnect which SSH tunnel?' },
    );
    tunnel = picked?.tunnel;
  }
  if (!tunnel) return { kind: 'cancelled' };
  const pid = tunnel.pid;
  await close(ctx, tunnel);
  ctx.log.info(`tunnel to ${tunnel.destination} disconnected`);
  return { kind: 'stopped', baseUrl: tunnel.localBaseUrl, destination: tunnel.destination, ...(pid ? { pid } : {}) };
}
