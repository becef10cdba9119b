// The Language Model Chat Provider behind VS Code's chat model picker and `vscode.lm` (dist/lazy/chat.js,
// loaded on VS Code's first question). Each request goes to the route's server as it is: the wire API
// the server has, the key from the one key store, the plain-http consent asked first, one generation
// at a time to llama.cpp, cancellation closing the request so the server stops generating, and a
// failure reported with the server's own words.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import type { ChatModelOffer } from '../../core/chat/offers';
import { chooseWire, modelOptionsOf, requestBody, turnText, type ChatRequest, type ChatWire } from '../../core/chat/wire';
import { runChat, type ChatRunResult } from '../../core/chat/run';
import { countTokens, estimateTokens } from '../../core/chat/tokens';
import { presentServerText } from '../../core/chat/serverText';
import { serverRoot } from '../../core/endpoints';
import { PROVIDERS } from '../../core/providers';
import { ChatState } from './state';
import { toResponsePart, toTools, toTurn } from './convert';

export interface ChatProvider extends vscode.LanguageModelChatProvider, vscode.Disposable {
  /** What VS Code is offered now (tests and the extension API read it). */
  offers(): Promise<readonly ChatModelOffer[]>;
}

/** What dist/lazy/chat.js exports (features/chat/register.ts loads it). */
export interface ChatBundle {
  createChatProvider(ctx: Ctx, changed: () => void): ChatProvider;
}

function info(o: ChatModelOffer): vscode.LanguageModelChatInformation {
  const { id, name, family, version, maxInputTokens, maxOutputTokens, capabilities, tooltip, detail } = o;
  return { id, name, family, version, maxInputTokens, maxOutputTokens, capabilities, tooltip, detail };
}

export function createChatProvider(ctx: Ctx, changed: () => void): ChatProvider {
  const state = new ChatState(ctx, changed);

  async function respond(
    model: vscode.LanguageModelChatInformation,
    messages: readonly vscode.LanguageModelChatRequestMessage[],
    options: vscode.ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelResponsePart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const offer = state.find(model.id);
    if (!offer)
      throw vscode.LanguageModelError.NotFound(
        `${model.name} is no longer served: its server stopped or no longer lists it. Pick another model.`,
      );
    const { route } = offer;
    const where = `${route.endpointLabel ?? PROVIDERS[route.provider].displayName} at ${new URL(route.baseUrl).host}`;
    // The prompt (and the key) cross the network in clear text to another host only after a yes.
    const consent = await ctx.plainHttp.confirm(route.baseUrl, { provider: route.provider });
    if (consent.kind !== 'send') {
      state.refuse(route.baseUrl);
      throw vscode.LanguageModelError.NoPermissions(`Nothing was sent to ${where}: plain http to another host was not approved.`);
    }
    const { apiKey } = await ctx.keys.resolve(route.provider, route.baseUrl);
    const request: ChatRequest = {
      model: route.model,
      turns: messages.map(toTurn),
      tools: toTools(options.tools),
      toolChoice: options.toolMode === vscode.LanguageModelChatToolMode.Required ? 'required' : 'auto',
      maxOutputTokens: offer.maxOutputTokens,
      ...modelOptionsOf(options.modelOptions),
    };
    const abort = new AbortController();
    const cancelled = token.onCancellationRequested(() => abort.abort());
    if (token.isCancellationRequested) abort.abort();
    const target = { baseUrl: route.baseUrl, model: route.model, serverKind: route.serverKind, apiKey };
    const onEvent = (e: Parameters<typeof toResponsePart>[0]) => progress.report(toResponsePart(e));
    const send = async (): Promise<{ result: ChatRunResult; wire: ChatWire }> => {
      if (abort.signal.aborted) return { result: { kind: 'cancelled' }, wire: 'responses' };
      let wire = chooseWire(state.wireOf(route.baseUrl), ctx.routes.holdingOf(route).codex);
      let result = await runChat(target, wire, requestBody(wire, request), { signal: abort.signal, onEvent });
      // A server without the Responses API: Chat Completions, remembered for this window.
      if (result.kind === 'wire-missing') {
        wire = 'chat-completions';
        result = await runChat(target, wire, requestBody(wire, request), { signal: abort.signal, onEvent });
      }
      if (result.kind === 'done') state.learnWire(route.baseUrl, wire);
      return { result, wire };
    };
    const t0 = Date.now();
    try {
      // llama-server: one generation at a time, whoever asks (the pinned build crashed on two).
      const { result, wire } = route.serverKind === 'llamacpp' ? await state.gate.run(serverRoot(route.baseUrl), send) : await send();
      const line = `chat: ${route.model} at ${route.baseUrl} on ${wire}`;
      switch (result.kind) {
        case 'done':
          ctx.log.info(`${line}: answered in ${result.ms} ms${result.truncated ? ' (cut at the output limit)' : ''}`);
          return;
        case 'cancelled':
          ctx.log.info(`${line}: cancelled after ${Date.now() - t0} ms`);
          return;
        case 'wire-missing':
        case 'failed': {
          const said = result.kind === 'failed' ? presentServerText(result.message) : 'no chat API found';
          ctx.log.warn(`${line}: failed${result.status ? ` (HTTP ${result.status})` : ''}: ${said}`);
          // Nothing answers there any more: let discovery see it, so the model leaves the list.
          if (result.kind === 'failed' && result.unreachable) void ctx.discovery.refresh('chat-server-unreachable');
          throw new Error(`${where} answered${result.status ? ` HTTP ${result.status}` : ''}: ${said}`);
        }
      }
    } finally {
      cancelled.dispose();
    }
  }

  async function tokens(
    model: vscode.LanguageModelChatInformation,
    text: string | vscode.LanguageModelChatRequestMessage,
    token: vscode.CancellationToken,
  ): Promise<number> {
    const s = typeof text === 'string' ? text : turnText(toTurn(text));
    const offer = state.find(model.id);
    if (!offer) return estimateTokens(s);
    const { route } = offer;
    const cached = state.cachedTokens(route.baseUrl, s);
    if (cached.tokens !== undefined) return cached.tokens;
    // Counting sends the text too: only where a prompt may go without asking.
    const mayAsk = ctx.plainHttp.decide(route.baseUrl).kind === 'send';
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      const { apiKey } = mayAsk ? await ctx.keys.resolve(route.provider, route.baseUrl) : { apiKey: undefined };
      const n = await countTokens(s, {
        kind: route.serverKind,
        baseUrl: route.baseUrl,
        model: route.model,
        apiKey,
        signal: abort.signal,
        mayAsk,
      });
      if (n.source === 'server') state.rememberTokens(cached.key, n.tokens);
      return n.tokens;
    } finally {
      sub.dispose();
    }
  }

  return {
    async provideLanguageModelChatInformation() {
      return (await state.current()).map(info);
    },
    provideLanguageModelChatResponse: respond,
    provideTokenCount: tokens,
    offers: () => state.current(),
    dispose: () => state.dispose(),
  };
}
