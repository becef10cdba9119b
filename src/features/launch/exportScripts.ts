// "Export Server Wrapper Scripts…": the llama-server wrapper and the Codex launcher, as POSIX sh.
import * as vscode from 'vscode';
import { chmod, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ctx } from '../../ctx';
import { serverWrapperScript, codexLauncherScript } from '../../core/launch';
import type { LaunchOptions } from './start';
import { prepareChatTemplate } from '../../state/chatTemplates';

export interface ExportResult {
  kind: 'written' | 'cancelled';
  files: string[];
}

export async function exportWrapperScripts(ctx: Ctx, folderArg?: unknown, options?: LaunchOptions): Promise<ExportResult> {
  let folder = typeof folderArg === 'string' && folderArg ? folderArg : undefined;
  if (!folder) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      canSelectMany: false,
      openLabel: 'Export Here',
      title: 'Where should the server wrapper and the Codex launcher go?',
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    folder = picked?.[0]?.fsPath;
  }
  if (!folder) return { kind: 'cancelled', files: [] };
  const s = ctx.settings().values;
  // The same template choice as Start Server, so the wrapper starts the same argv.
  const template = s['llamacpp.wrapperScript']
    ? undefined
    : await prepareChatTemplate(ctx, s['llamacpp.chatTemplate'], s['llamacpp.modelPath']);
  const scripts = [serverWrapperScript(s, new Date(), { chatTemplateFile: template?.file }), codexLauncherScript(s)];
  const paths = scripts.map(sc => join(folder, sc.fileName));
  const existing = (
    await Promise.all(
      paths.map(p =>
        stat(p).then(
          () => p,
          () => undefined,
        ),
      ),
    )
  ).filter((p): p is string => !!p);
  if (existing.length) {
    const ok =
      options?.answers?.overwrite ??
      (await vscode.window.showWarningMessage(
        `Replace ${existing.map(p => p.split(/[\\/]/).pop()).join(' and ')}?`,
        { modal: true, detail: `In ${folder}` },
        'Replace',
      )) === 'Replace';
    if (!ok) return { kind: 'cancelled', files: [] };
  }
  for (const [i, sc] of scripts.entries()) {
    await writeFile(paths[i], sc.text, { mode: 0o755 });
    await chmod(paths[i], 0o755);
  }
  ctx.log.info(`wrote ${paths.join(', ')}`);
  void vscode.window
    .showInformationMessage(
      `Wrote ${scripts.map(sc => sc.fileName).join(' and ')}. Each reads the PRODEX_LOCAL_* variables, with your current settings as defaults.`,
      'Open Server Wrapper',
    )
    .then(c => {
      if (c) void vscode.window.showTextDocument(vscode.Uri.file(paths[0]));
    });
  return { kind: 'written', files: paths };
}
