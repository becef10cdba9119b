// "Export Server Wrapper Scripts…": the llama-server wrapper and the Codex launcher, as POSIX sh.
import { backupsHome } from '../../state/storage';
import * as vscode from 'vscode';
import { stat } from 'node:fs/promises';
import { FileRefusal, readSnapshot, writeFiles } from '../../core/files';
import { join } from 'node:path';
import type { Ctx } from '../../ctx';
import { serverWrapperScript, codexLauncherScript } from '../../core/launch';
import type { LaunchOptions } from './start';
import { prepareChatTemplate } from '../../state/chatTemplates';
import { showError, showInfo, showWarning } from '../../ui/notify';

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
      (await showWarning(
        `Replace ${existing.map(p => p.split(/[\\/]/).pop()).join(' and ')}?`,
        { modal: true, detail: `In ${folder}` },
        'Replace',
      )) === 'Replace';
    if (!ok) return { kind: 'cancelled', files: [] };
  }
  // Replaced like every user file: compare-and-swap, the old scripts kept in the extension's storage.
  try {
    const planned = scripts.map((sc, i) => {
      const snapshot = readSnapshot(paths[i], 'template');
      return { snapshot: { ...snapshot, mode: (snapshot.mode ?? 0o755) | 0o755 }, after: sc.text };
    });
    writeFiles(backupsHome(ctx), planned, `export wrapper scripts to ${folder}`, { label: 'wrapper-scripts' });
  } catch (e) {
    if (!(e instanceof FileRefusal)) throw e;
    void showError(e.message);
    return { kind: 'cancelled', files: [] };
  }
  ctx.log.info(`wrote ${paths.join(', ')}`);
  void showInfo(
    `Wrote ${scripts.map(sc => sc.fileName).join(' and ')}. Each reads the PRODEX_LOCAL_* variables, with your current settings as defaults.`,
    'Open Server Wrapper',
  ).then(c => {
    if (c) void vscode.window.showTextDocument(vscode.Uri.file(paths[0]));
  });
  return { kind: 'written', files: paths };
}
