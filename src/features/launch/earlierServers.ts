// After start-up: when servers started by earlier windows are recorded, the launch feature (loaded
// only then) takes over those whose window is gone (core/launch/serverRecords.ts judgeRecord).
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';

export function register(ctx: Ctx): void {
  // Off the activation path: a directory listing, and the launch bundle only when there is a record.
  setTimeout(() => {
    if (ctx.serverRecords.all().length) void vscode.commands.executeCommand(COMMANDS.adoptServers.id);
  }, 0);
}
