// The small commands of the always-loaded shell: refresh, clear the route, show the log, open the
// settings. Each is one call on what activation already built, so none is worth a lazy bundle.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';

export function register(ctx: Ctx): void {
  const reg = (id: string, f: () => unknown) => ctx.extension.subscriptions.push(vscode.commands.registerCommand(id, f));
  reg(COMMANDS.refresh.id, () => ctx.discovery.refresh('command'));
  reg(COMMANDS.clearRoute.id, () => ctx.routes.clear());
  reg(COMMANDS.showLog.id, () => ctx.log.show());
  reg(COMMANDS.openSettings.id, () =>
    vscode.commands.executeCommand('workbench.action.openSettings', '@ext:local-model-router.local-model-router'),
  );
}
