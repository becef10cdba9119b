// Token counts for VS Code's prompt budgeting: the server's own tokenizer where it has one
// (llama.cpp and vLLM serve POST /tokenize), an estimate otherwise.
import type { Dispatcher } from 'undici';
import { httpRequest, parseJson } from '../net/http';
import { serverRoot } from '../endpoints';
import type { ServerKind } from '../serverKind';

/** Three characters a token: a little more than most tokenizers give for English and code, so budgets err on the safe side. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3);
}

export interface TokenizerCall {
  url: string;
  body: Record<string, unknown>;
}

/** llama.cpp: `{content}` → `{tokens: [...]}`; vLLM: `{model, prompt}` → `{count, tokens, max_model_len}`. */
export function tokenizerFor(kind: ServerKind | undefined, baseUrl: string, model: string, text: string): TokenizerCall | undefined {
  const root = serverRoot(baseUrl);
  if (kind === 'llamacpp') return { url: `${root}/tokenize`, body: { content: text } };
  if (kind === 'vllm') return { url: `${root}/tokenize`, body: { model, prompt: text } };
  return undefined;
}

export function tokenCountFrom(json: unknown): number | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const o = json as { count?: unknown; tokens?: unknown };
  if (typeof o.count === 'number' && Number.isInteger(o.count) && o.count >= 0) return o.count;
  return Array.isArray(o.tokens) ? o.tokens.length : undefined;
}

export type TokenCount = { tokens: number; source: 'server' | 'estimate' };

export interface CountOptions {
  kind: ServerKind | undefined;
  baseUrl: string;
  model: string;
  apiKey?: string;
  signal?: AbortSignal;
  dispatcher?: Dispatcher;
  /** false: the text may not go to this server (plain http to another host, not approved). */
  mayAsk?: boolean;
}

export async function countTokens(text: string, o: CountOptions): Promise<TokenCount> {
  if (!text) return { tokens: 0, source: 'estimate' };
  const call = o.mayAsk === false ? undefined : tokenizerFor(o.kind, o.baseUrl, o.model, text);
  if (call) {
    try {
      const res = await httpRequest({
        url: call.url,
        body: call.body,
        headers: { accept: 'application/json', ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}) },
        limits: { connectMs: 1_000, headersMs: 5_000, idleMs: 5_000, totalMs: 10_000, maxBytes: 16 * 1024 * 1024 },
        signal: o.signal,
        dispatcher: o.dispatcher,
      });
      const parsed = res.status === 200 ? parseJson(res.text) : undefined;
      const n = parsed?.ok ? tokenCountFrom(parsed.value) : undefined;
      if (n !== undefined) return { tokens: n, source: 'server' };
    } catch {
      // A tokenizer that fails leaves the estimate; counting must never fail a chat.
    }
  }
  return { tokens: estimateTokens(text), source: 'estimate' };
}
