// Where this extension keeps its own files (backups of the files it replaces, chat templates, server
// records): VS Code's global storage folder for the extension, one per user and machine.
import type { Ctx } from '../ctx';

/** The folder under which the wrapper scripts' backup sets are kept (core/files backups). */
export function backupsHome(ctx: Ctx): string {
  return ctx.extension.globalStorageUri.fsPath;
}
