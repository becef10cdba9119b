// "Choose the llama.cpp Model File…": a file picker for a .gguf, written to llamacpp.modelPath; a
// server this window started with another model is offered a restart.
import * as vscode from 'vscode';
import { stat } from 'node:fs/promises';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { readGgufString } from '../../core/launch';
import { isActive, managed } from './ui';
import { showError, showInfo, showWarning } from '../../ui/notify';

export type ChooseResult = { kind: 'set'; path: string } | { kind: 'cancelled' } | { kind: 'refused'; message: string };

export async function chooseLlamaModel(ctx: Ctx, raw?: unknown): Promise<ChooseResult> {
  if (!vscode.workspace.isTrusted) {
    void showWarning('Choosing the model a server runs is turned off in Restricted Mode (this workspace is not trusted).');
    return { kind: 'refused', message: 'untrusted' };
  }
  const given = typeof raw === 'string' ? raw : (raw as { path?: string } | undefined)?.path;
  let file = given;
  if (!file) {
    const current = ctx.settings().values['llamacpp.modelPath'];
    const picked = await vscode.window.showOpenDialog({
      title: 'The model llama-server serves',
      openLabel: 'Use This Model',
      canSelectMany: false,
      canSelectFolders: false,
      filters: { 'GGUF models': ['gguf'] },
      ...(current ? { defaultUri: vscode.Uri.file(current) } : {}),
    });
    file = picked?.[0]?.fsPath;
  }
  if (!file) return { kind: 'cancelled' };
  // A quick look inside: a file that is not GGUF would only fail later, in the server's terminal.
  const isFile = await stat(file).then(
    s => s.isFile(),
    () => false,
  );
  const header = isFile
    ? await readGgufString(file, 'general.name', 8 * 1024 * 1024)
    : { ok: false as const, error: `${file} is not a file` };
  if (!header.ok && /not a GGUF file|is not a file|ENOENT/.test(header.error)) {
    void showError(`Not a model llama-server can load: ${header.error}.`);
    return { kind: 'refused', message: header.error };
  }
  await ctx.settingsStore.update('llamacpp.modelPath', file);
  ctx.log.info(`llamacpp.modelPath = ${file}`);
  const running = managed(ctx, 'llamacpp');
  if (isActive(running)) {
    void showInfo(`llama-server will serve ${file} after a restart.`, 'Restart Server').then(c => {
      if (c) void vscode.commands.executeCommand(COMMANDS.restartServer.id, 'llamacpp');
    });
  }
  return { kind: 'set', path: file };
}
