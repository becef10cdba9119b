// The one owner of "changes shown as diffs, waiting for Apply or Cancel". The question also comes as
// a notification, which VS Code moves into the notification centre after a few seconds; the diffs'
// title bar keeps Apply and Cancel while the person reads them (core/commands.ts previewTitle), and
// those commands answer here, whichever feature bundle showed the diffs.
import type * as vscode from 'vscode';
import type { ReviewChoice, Reviews } from '../ctx';

export function createReviews(): Reviews {
  const open = new Map<string, (c: ReviewChoice) => void>();
  let seq = 0;
  return {
    begin() {
      const id = `r${++seq}`;
      let settle!: (c: ReviewChoice) => void;
      const decided = new Promise<ReviewChoice>(r => (settle = r));
      open.set(id, c => {
        open.delete(id);
        settle(c);
      });
      return { id, decided, end: () => open.get(id)?.('cancel') };
    },
    answer(choice: ReviewChoice, uri?: vscode.Uri) {
      // The review whose diff the action was clicked on (its id leads the URI's query), else the latest.
      const id = uri?.query.split('.')[0];
      const settle = (id && open.get(id)) || [...open.values()].pop();
      settle?.(choice);
      return !!settle;
    },
  };
}
