// The small commands of the always-loaded shell: refresh, clear the route, show the log, open the
// settings, Apply/Cancel in the title bar of the diffs shown before a write. Each is one call on what activation already built, so none is worth a lazy bundle.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';

export function register(ctx: Ctx): void {
  const reg = (id: string, f: (...args: never[]) => unknown) => ctx.extension.subscriptions.push(vscode.commands.registerCommand(id, f));
  reg(COMMANDS.refresh.id, () => ctx.discovery.refresh('command'));
  reg(COMMANDS.clearRoute.id, () => ctx.routes.clear());
  reg(COMMANDS.showLog.id, () => ctx.log.show());
  reg(COMMANDS.openSettings.id, () => ctx.settingsStore.openSection());
  // The title bar of the diffs shown before a write (the feature that showed them waits for the answer).
  reg(COMMANDS.applyPreviewed.id, (uri?: vscode.Uri) => ctx.reviews.answer('apply', uri));
  reg(COMMANDS.cancelPreviewed.id, (uri?: vscode.Uri) => ctx.reviews.answer('cancel', uri));
}
