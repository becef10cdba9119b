// Diffs of planned Codex file changes, shown before anything is written: virtual documents
// (current ↔ proposed) opened with vscode.diff, closed again after the decision.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Ctx } from '../ctx';
import type { PlannedChange } from '../core/codex/plan';
import { showInfo } from './notify';

const SCHEME = 'local-model-router-codex';

/** One per activation: the content provider and the documents it serves. */
class DiffPreview {
  private readonly docs = new Map<string, string>();
  private seq = 0;

  constructor(ctx: Ctx) {
    ctx.extension.subscriptions.push(
      vscode.workspace.registerTextDocumentContentProvider(SCHEME, {
        provideTextDocumentContent: uri => this.docs.get(uri.toString()) ?? '',
      }),
    );
  }

  private uri(kind: 'current' | 'proposed', file: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({
      scheme: SCHEME,
      path: `/${kind}${file.startsWith('/') ? '' : '/'}${file.replace(/\\/g, '/')}`,
      query: String(++this.seq),
    });
    this.docs.set(uri.toString(), text);
    return uri;
  }

  /** Opens one diff per file; returns a function that closes them again. */
  async show(changes: readonly PlannedChange[], verb: string): Promise<() => Promise<void>> {
    const opened: string[] = [];
    for (const c of changes) {
      const left = this.uri('current', c.snapshot.path, c.snapshot.text);
      const right = this.uri('proposed', c.snapshot.path, c.after ?? '');
      opened.push(left.toString(), right.toString());
      const title = `${path.basename(c.snapshot.path)}: ${c.snapshot.exists ? 'current' : '(new file)'} ↔ ${verb}`;
      await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: false, preserveFocus: changes.length > 1 });
    }
    return async () => {
      const tabs = vscode.window.tabGroups.all
        .flatMap(g => g.tabs)
        .filter(t => t.input instanceof vscode.TabInputTextDiff && opened.includes(t.input.modified.toString()));
      if (tabs.length) await vscode.window.tabGroups.close(tabs, true);
      for (const u of opened) this.docs.delete(u);
    };
  }
}

const previews = new WeakMap<Ctx, DiffPreview>();

export function showDiffs(ctx: Ctx, changes: readonly PlannedChange[], verb: string): Promise<() => Promise<void>> {
  let p = previews.get(ctx);
  if (!p) previews.set(ctx, (p = new DiffPreview(ctx)));
  return p.show(changes, verb);
}

/** Diff preview plus an Apply/Cancel modal (restore, migrate); true = apply. */
export async function previewAndConfirm(
  ctx: Ctx,
  changes: readonly PlannedChange[],
  question: string,
  detail: string,
  button: string,
  answer: boolean | undefined,
): Promise<boolean> {
  if (!ctx.settings().values['codex.previewChanges']) return answer ?? true;
  const close = await showDiffs(ctx, changes, button);
  try {
    if (answer !== undefined) return answer;
    const files = changes.map(c => `${c.snapshot.exists ? 'Change' : 'Create'} ${c.snapshot.path}`).join('\n');
    const pick = await showInfo(question, { modal: true, detail: `${files}\n\n${detail}`.trim() }, button);
    return pick === button;
  } finally {
    await close();
  }
}
