// The first time the extension runs for a person, its walkthrough opens beside what they see
// (VS Code itself opens an extension's walkthrough only when it is installed from the Marketplace
// into an open window). Once: the answer is kept (state/rememberedAnswers.ts). Not when the person
// asked for no editor at start-up (workbench.startupEditor "none").
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { WALKTHROUGH_ID } from '../../core/commands';

export function register(ctx: Ctx): void {
  if (ctx.remembered.walkthroughOpened()) return;
  if (ctx.settingsStore.vscodeSetting('workbench.startupEditor') === 'none') return;
  setTimeout(() => void open(ctx), 0);
}

async function open(ctx: Ctx): Promise<void> {
  try {
    await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${ctx.extension.extension.id}#${WALKTHROUGH_ID}`, false);
    await ctx.remembered.markWalkthroughOpened();
  } catch (e) {
    ctx.log.warn(`could not open the walkthrough: ${(e as Error).message}`);
  }
}
