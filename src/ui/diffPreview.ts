// Diffs of planned file changes, shown before anything is written: virtual documents (current ↔
// proposed) opened with vscode.diff, closed again after the decision. While they are open their title
// bar carries Apply and Cancel (state/reviews.ts), so the decision does not depend on a notification
// that VS Code moves into the notification centre after a few seconds; closing every diff cancels.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { Ctx, ReviewChoice } from '../ctx';
import type { PlannedChange } from '../core/codex/plan';
import { showInfo } from './notify';
import { COMMANDS, PREVIEW_SCHEME } from '../core/commands';

/** The diffs of one decision. */
export interface Preview {
  /** Apply or Cancel from the diffs' title bar (or their palette commands), or 'cancel' once every diff is closed. */
  readonly decided: Promise<ReviewChoice>;
  /** Closes the diffs (and ends the review). */
  close(): Promise<void>;
}

/** One per activation: the content provider and the documents it serves. */
class DiffPreview {
  private readonly docs = new Map<string, string>();
  private seq = 0;

  constructor(private readonly ctx: Ctx) {
    ctx.extension.subscriptions.push(
      vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, {
        provideTextDocumentContent: uri => this.docs.get(uri.toString()) ?? '',
      }),
    );
  }

  private uri(review: string, kind: 'current' | 'proposed', file: string, text: string): vscode.Uri {
    const uri = vscode.Uri.from({
      scheme: PREVIEW_SCHEME,
      path: `/${kind}${file.startsWith('/') ? '' : '/'}${file.replace(/\\/g, '/')}`,
      // The review leads the query: the title-bar actions find their review from the URI they get.
      query: `${review}.${++this.seq}`,
    });
    this.docs.set(uri.toString(), text);
    return uri;
  }

  /** Opens one diff per file. */
  async show(changes: readonly PlannedChange[], verb: string): Promise<Preview> {
    const review = this.ctx.reviews.begin();
    const opened: string[] = [];
    const tabs = () =>
      vscode.window.tabGroups.all
        .flatMap(g => g.tabs)
        .filter(t => t.input instanceof vscode.TabInputTextDiff && opened.includes(t.input.modified.toString()));
    for (const c of changes) {
      const left = this.uri(review.id, 'current', c.snapshot.path, c.snapshot.text);
      const right = this.uri(review.id, 'proposed', c.snapshot.path, c.after ?? '');
      opened.push(left.toString(), right.toString());
      const title = `${path.basename(c.snapshot.path)}: ${c.snapshot.exists ? 'current' : '(new file)'} ↔ ${verb}`;
      await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: false, preserveFocus: changes.length > 1 });
    }
    const watch = vscode.window.tabGroups.onDidChangeTabs(e => {
      if (e.closed.length && !tabs().length) review.end();
    });
    return {
      decided: review.decided,
      close: async () => {
        watch.dispose();
        review.end();
        const open = tabs();
        if (open.length) await vscode.window.tabGroups.close(open, true);
        for (const u of opened) this.docs.delete(u);
      },
    };
  }
}

const previews = new WeakMap<Ctx, DiffPreview>();

export function showDiffs(ctx: Ctx, changes: readonly PlannedChange[], verb: string): Promise<Preview> {
  let p = previews.get(ctx);
  if (!p) previews.set(ctx, (p = new DiffPreview(ctx)));
  return p.show(changes, verb);
}

/** Where the diffs' own Apply is, for the question beside them. */
export const TITLE_BAR_HINT = `(or ${COMMANDS.applyPreviewed.title} in the diff's title bar)`;

/**
 * The question as a notification, answered there or by the diffs' title bar, whichever comes first:
 * the title bar's Apply is `apply`; Cancel, a closed notification or closed diffs are undefined.
 */
export async function askBesideDiffs<T extends string>(preview: Preview, asked: Thenable<T | undefined>, apply: T): Promise<T | undefined> {
  return Promise.race([asked, preview.decided.then(c => (c === 'apply' ? apply : undefined))]);
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
  const preview = await showDiffs(ctx, changes, button);
  try {
    if (answer !== undefined) return answer;
    const files = changes.map(c => `${c.snapshot.exists ? 'Change' : 'Create'} ${c.snapshot.path}`).join('\n');
    const pick = await showInfo(question, { modal: true, detail: `${files}\n\n${detail}`.trim() }, button);
    return pick === button;
  } finally {
    await preview.close();
  }
}
