// Offers the models of the servers found here to VS Code's chat model picker and to every extension
// that uses `vscode.lm`, where the host has the Language Model Chat Provider API (VS Code 1.104+,
// checked at run time: engines stays ^1.80.0 and older hosts simply get no chat models). Activation
// only registers; the provider's code (dist/lazy/chat.js) loads when VS Code first asks for models.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { loadBundle } from '../../lazy';
import { CHAT_VENDOR } from '../../core/chat/vendor';
import type { ChatModelOffer } from '../../core/chat/offers';
import type { ChatBundle, ChatProvider } from './provider';

export interface ChatModels {
  /** False in hosts without the API. */
  readonly available: boolean;
  /** The models VS Code is offered now, as the provider describes them. */
  offers(): Promise<readonly ChatModelOffer[]>;
}

export function register(ctx: Ctx): ChatModels {
  const lm = (vscode as { lm?: Partial<typeof vscode.lm> }).lm;
  if (typeof lm?.registerLanguageModelChatProvider !== 'function') {
    ctx.log.info(`VS Code ${vscode.version} has no Language Model Chat Provider API (1.104+): no chat models offered`);
    return { available: false, offers: async () => [] };
  }
  const changed = new vscode.EventEmitter<void>();
  let impl: ChatProvider | undefined;
  const provider = () => (impl ??= loadBundle<ChatBundle>('chat').createChatProvider(ctx, () => changed.fire()));
  try {
    ctx.extension.subscriptions.push(
      changed,
      lm.registerLanguageModelChatProvider(CHAT_VENDOR, {
        onDidChangeLanguageModelChatInformation: changed.event,
        provideLanguageModelChatInformation: (options, token) => provider().provideLanguageModelChatInformation(options, token),
        provideLanguageModelChatResponse: (model, messages, options, progress, token) =>
          provider().provideLanguageModelChatResponse(model, messages, options, progress, token),
        provideTokenCount: (model, text, token) => provider().provideTokenCount(model, text, token),
      }),
      { dispose: () => impl?.dispose() },
    );
  } catch (e) {
    // A host that knows the API but refuses this registration must not take the rest of the extension down.
    ctx.log.warn(`chat models not offered: ${(e as Error).message}`);
    return { available: false, offers: async () => [] };
  }
  return { available: true, offers: () => provider().offers() };
}
