// One chat request to a local server, streamed: the body goes out on the chosen wire, events come
// back as they arrive, and every way it can end is a typed result — done, cancelled (the socket is
// closed, which is how llama-server, Ollama and vLLM learn to stop generating), the wire missing on
// this server (so the caller can try the other one), or failed with the server's own words.
import type { Dispatcher } from 'undici';
import { httpStream, HttpFailure, type HttpLimits, type HttpStream } from '../net/http';
import { errorMessageFromBody } from '../net/errors';
import { diagnoseHttp } from '../verify/diagnose';
import { SseParser } from '../net/sse';
import type { ServerKind } from '../serverKind';
import { readerFor, type ChatEvent } from './stream';
import { WIRE_PATHS, type ChatWire } from './wire';

export interface ChatTarget {
  baseUrl: string;
  model: string;
  serverKind?: ServerKind;
  apiKey?: string;
}

export type ChatRunResult =
  | { kind: 'done'; truncated: boolean; ms: number }
  | { kind: 'cancelled' }
  /** The server has no such API (404 before anything was streamed): nothing reached the caller. */
  | { kind: 'wire-missing'; status: number }
  /** `message` is the server's own text, unsanitized; `unreachable`: nothing answers there. */
  | { kind: 'failed'; message: string; status?: number; unreachable: boolean };

/**
 * A CPU server can spend minutes on a long prompt before its first byte (llama.cpp sends its headers
 * only then), and a long answer may take many more: the person's Cancel is the bound that matters.
 */
export const CHAT_LIMITS: HttpLimits = {
  connectMs: 5_000,
  headersMs: 10 * 60_000,
  idleMs: 10 * 60_000,
  totalMs: 60 * 60_000,
  maxBytes: 64 * 1024 * 1024,
};

export interface RunOptions {
  signal: AbortSignal;
  onEvent(e: ChatEvent): void;
  dispatcher?: Dispatcher;
  limits?: Partial<HttpLimits>;
}

export async function runChat(target: ChatTarget, wire: ChatWire, body: Record<string, unknown>, o: RunOptions): Promise<ChatRunResult> {
  const t0 = performance.now();
  const path = WIRE_PATHS[wire];
  const failure = (e: unknown): ChatRunResult => {
    if (o.signal.aborted) return { kind: 'cancelled' };
    if (!(e instanceof HttpFailure)) throw e;
    if (e.kind === 'aborted') return { kind: 'cancelled' };
    return { kind: 'failed', message: e.message, unreachable: e.kind === 'refused' || (e.kind === 'network' && e.phase === 'connect') };
  };
  let stream: HttpStream;
  try {
    stream = await httpStream({
      url: target.baseUrl + path,
      method: 'POST',
      body,
      headers: { accept: 'text/event-stream', ...(target.apiKey ? { authorization: `Bearer ${target.apiKey}` } : {}) },
      limits: { ...CHAT_LIMITS, ...o.limits },
      signal: o.signal,
      dispatcher: o.dispatcher,
    });
  } catch (e) {
    return failure(e);
  }
  try {
    if (stream.status !== 200) {
      let text = '';
      for await (const c of stream.chunks) if ((text += c).length > 64 * 1024) break;
      const d = diagnoseHttp(stream.status, text, { model: target.model, serverKind: target.serverKind, path });
      if (wire === 'responses' && d.code === 'responses-api-missing') return { kind: 'wire-missing', status: stream.status };
      return { kind: 'failed', status: stream.status, message: errorMessageFromBody(text) || `HTTP ${stream.status}`, unreachable: false };
    }
    const parser = new SseParser();
    const reader = readerFor(wire);
    const deliver = (events: ChatEvent[]): ChatRunResult | undefined => {
      for (const e of events) {
        if (e.kind === 'error') return { kind: 'failed', status: 200, message: e.message, unreachable: false };
        if (e.kind === 'done') return { kind: 'done', truncated: !!e.truncated, ms: Math.round(performance.now() - t0) };
        o.onEvent(e);
      }
      return undefined;
    };
    for await (const chunk of stream.chunks) {
      for (const ev of parser.push(chunk)) {
        const r = deliver(reader.accept(ev));
        if (r) return r;
      }
    }
    for (const ev of parser.end()) {
      const r = deliver(reader.accept(ev));
      if (r) return r;
    }
    return deliver(reader.end()) ?? { kind: 'failed', message: 'the stream ended without an answer', unreachable: false };
  } catch (e) {
    return failure(e);
  } finally {
    stream.close();
  }
}
