// The one owner of the chat feature's state: the models offered to VS Code (recomputed from discovery,
// the stored verifications and plain-http consent, with a change event only when what VS Code shows
// changes), which wire API each server turned out to speak, the plain-http routes refused in this
// window, the one-at-a-time gate for llama.cpp, and a small cache of token counts.
import type * as vscode from 'vscode';
import { createHash } from 'node:crypto';
import type { DiscoveryService, PlainHttpConsent, RouteStore } from '../../ctx';
import { chatModelOffers, type ChatConsent, type ChatModelOffer } from '../../core/chat/offers';
import { SerialGate } from '../../core/chat/gate';
import type { ChatWire } from '../../core/chat/wire';
import { normalizeBaseUrl } from '../../core/endpoints';

const TOKEN_CACHE_SIZE = 512;

export class ChatState implements vscode.Disposable {
  private offers: ChatModelOffer[] = [];
  private signature = '';
  private readonly wires = new Map<string, ChatWire>();
  private readonly refused = new Set<string>();
  private readonly tokenCounts = new Map<string, number>();
  private readonly subscriptions: vscode.Disposable[];
  readonly gate = new SerialGate();

  constructor(
    private readonly ctx: {
      discovery: Pick<DiscoveryService, 'latest' | 'ran' | 'onDidChange' | 'refresh'>;
      routes: Pick<RouteStore, 'holdingOf' | 'onDidChange'>;
      plainHttp: Pick<PlainHttpConsent, 'decide'>;
    },
    private readonly changed: () => void,
  ) {
    this.subscriptions = [ctx.discovery.onDidChange(() => this.update()), ctx.routes.onDidChange(() => this.update())];
    // VS Code asks for the models when it loads this: nothing to announce yet.
    this.update(false);
  }

  /** The models to offer; waits for the first discovery round when none has run yet. */
  async current(): Promise<readonly ChatModelOffer[]> {
    if (!this.ctx.discovery.ran) {
      await this.ctx.discovery.refresh('chat-models');
      this.update();
    }
    return this.offers;
  }

  find(id: string): ChatModelOffer | undefined {
    return this.offers.find(o => o.id === id);
  }

  wireOf(baseUrl: string): ChatWire | undefined {
    return this.wires.get(baseUrl);
  }

  learnWire(baseUrl: string, wire: ChatWire): void {
    this.wires.set(baseUrl, wire);
  }

  /** The person said no to plain http there: its models leave VS Code's list for this window. */
  refuse(baseUrl: string): void {
    this.refused.add(keyOf(baseUrl));
    this.update();
  }

  cachedTokens(baseUrl: string, text: string): { key: string; tokens: number | undefined } {
    const key = createHash('sha256').update(baseUrl).update('\0').update(text).digest('base64');
    return { key, tokens: this.tokenCounts.get(key) };
  }

  rememberTokens(key: string, tokens: number): void {
    if (this.tokenCounts.size >= TOKEN_CACHE_SIZE) this.tokenCounts.delete(this.tokenCounts.keys().next().value!);
    this.tokenCounts.set(key, tokens);
  }

  /** Recomputes the offers; VS Code hears of it only when what it shows changed. */
  update(announce = true): void {
    const next = chatModelOffers({
      probes: this.ctx.discovery.latest,
      verifications: route => this.ctx.routes.holdingOf(route),
      consent: baseUrl => this.consent(baseUrl),
    });
    const signature = JSON.stringify(
      next.map(o => [o.id, o.name, o.family, o.version, o.maxInputTokens, o.maxOutputTokens, o.capabilities, o.tooltip, o.detail]),
    );
    this.offers = next;
    if (signature === this.signature) return;
    this.signature = signature;
    if (announce) this.changed();
  }

  private consent(baseUrl: string): ChatConsent {
    if (this.refused.has(keyOf(baseUrl))) return 'refused';
    const d = this.ctx.plainHttp.decide(baseUrl);
    return d.kind === 'invalid' ? 'refused' : d.kind;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}

function keyOf(baseUrl: string): string {
  const n = normalizeBaseUrl(baseUrl);
  return n.ok ? n.url : baseUrl;
}
