// Context keys for `when` clauses and the walkthrough's completion events, derived from the state
// owners' events (a view: it never changes state).
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';

export function register(ctx: Ctx): void {
  const last = new Map<string, boolean>();
  const set = (key: string, value: boolean) => {
    // A key never set reads as false in `when` clauses (and no key outlives the window): only a change
    // from false is sent, so activation sends nothing unless a key is true already.
    if ((last.get(key) ?? false) === value) return;
    last.set(key, value);
    void vscode.commands.executeCommand('setContext', `localModelRouter.${key}`, value);
  };
  const update = () => {
    set(
      'serverFound',
      ctx.discovery.latest.some(p => p.result.kind === 'up'),
    );
    set('hasRoute', ctx.routes.active !== undefined);
    set('verified', ctx.routes.health.kind === 'verified');
    // Once true it stays true for the window: the walkthrough step is done.
    if (ctx.routes.active?.codexProfile) set('profileWritten', true);
  };
  ctx.extension.subscriptions.push(ctx.discovery.onDidChange(update), ctx.routes.onDidChange(update));
  update();
}
