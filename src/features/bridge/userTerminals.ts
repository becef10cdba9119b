// A terminal the user opens may run an agent whose profile or settings point at the route bridge
// (written so under bridge.use): the bridge is started then, without taking the terminal panel, so
// `codex --profile <name>` or `claude` typed there reaches the route. Whether the route needs it is
// the bridge feature's decision (core/bridge/use.ts, in its bundle: loaded on the first such terminal).
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import type { StartBridgeArgs } from '../../core/commandContracts';

export function register(ctx: Ctx): void {
  ctx.extension.subscriptions.push(
    vscode.window.onDidOpenTerminal(t => {
      // The extension's own output terminals (servers, tunnels, the bridge itself) run no agent.
      if ('pty' in t.creationOptions) return;
      if (!ctx.routes.active || !vscode.workspace.isTrusted) return;
      void vscode.commands.executeCommand(COMMANDS.startBridge.id, {
        quiet: true,
        reveal: false,
        ifNeeded: true,
      } satisfies StartBridgeArgs);
    }),
  );
}
