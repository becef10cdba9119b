// The question before a key or a prompt goes to another host over plain http (asked once per URL;
// state/plainHttpConsent.ts keeps the answer), and its way out: an SSH tunnel to the same server.
import * as vscode from 'vscode';
import { COMMANDS } from '../../core/commands';
import type { PlainHttpAnswer } from '../../ctx';
import type { PlainHttpQuestion } from '../../state/plainHttpConsent';
import type { ConnectArgs } from '../../core/commandContracts';
import { showWarning } from '../../ui/notify';

const SEND = 'Send over Plain HTTP';
const TUNNEL = 'Use an SSH Tunnel Instead…';

export async function askPlainHttp(q: PlainHttpQuestion): Promise<PlainHttpAnswer> {
  const choice = await showWarning(
    `Send prompts and keys to ${q.host} over plain http?`,
    {
      modal: true,
      detail: `${q.baseUrl} is on another machine and the connection is not encrypted: anyone on the network path can read your prompts, your code and the API key, and change the answers. An SSH tunnel carries the same requests encrypted. You are asked once for this URL.`,
    },
    SEND,
    ...(vscode.workspace.isTrusted ? [TUNNEL] : []),
  );
  return choice === SEND ? 'send' : choice === TUNNEL ? 'tunnel' : 'cancel';
}

export function openTunnelInstead(q: PlainHttpQuestion): void {
  const u = new URL(q.baseUrl);
  const suggest: ConnectArgs['suggest'] = {
    host: q.host,
    remotePort: Number(u.port || 80),
    ...(q.provider ? { provider: q.provider } : {}),
  };
  void vscode.commands.executeCommand(COMMANDS.connectSshTunnel.id, { suggest } satisfies ConnectArgs);
}
