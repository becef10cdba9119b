// Bounded HTTP for everything that talks to a local server: connect, headers, idle and total
// timeouts, a body cap, an abort path, and never a redirect (a local endpoint that redirects is
// misconfigured or hostile; following it could send a key elsewhere).
import type { Agent, Dispatcher } from 'undici';

// undici is loaded on first request, not at import: the extension's activation path imports this
// module but must not pay for parsing undici (see BENCHMARKS.md, bytes loaded at activation).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const undici = (): typeof import('undici') => require('undici');

export interface HttpLimits {
  connectMs: number;
  headersMs: number;
  /** Longest silence between two body chunks. */
  idleMs: number;
  totalMs: number;
  maxBytes: number;
}

export const DEFAULT_LIMITS: HttpLimits = { connectMs: 1_000, headersMs: 5_000, idleMs: 5_000, totalMs: 10_000, maxBytes: 4 * 1024 * 1024 };

export type HttpFailureKind = 'refused' | 'timeout' | 'aborted' | 'too-large' | 'network';

export class HttpFailure extends Error {
  constructor(
    readonly kind: HttpFailureKind,
    message: string,
    readonly phase: 'connect' | 'headers' | 'body' | 'total' = 'total',
  ) {
    super(message);
    this.name = 'HttpFailure';
  }
}

export interface HttpRequest {
  url: string;
  method?: 'GET' | 'POST' | 'HEAD' | 'DELETE';
  headers?: Record<string, string>;
  /** Serialized as JSON when an object. */
  body?: unknown;
  limits?: Partial<HttpLimits>;
  signal?: AbortSignal;
  dispatcher?: Dispatcher;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  ms: number;
}

export interface HttpStream {
  status: number;
  headers: Record<string, string>;
  /** Body chunks as text; enforces idle time, total time and the byte cap. */
  chunks: AsyncIterable<string>;
  /** Stops the request and frees the socket. Safe to call twice. */
  close(): void;
}

/** One agent per caller batch; `close()` it when done so nothing idles open (no sockets while idle). */
export function createAgent(connectMs = DEFAULT_LIMITS.connectMs): Agent {
  return new (undici().Agent)({ connect: { timeout: connectMs }, keepAliveTimeout: 1_000, keepAliveMaxTimeout: 2_000 });
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export function classifyNetworkError(e: unknown, signal?: AbortSignal, timeoutSignal?: AbortSignal): HttpFailure {
  if (e instanceof HttpFailure) return e;
  const err = e as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = err?.code ?? err?.cause?.code;
  if (signal?.aborted) return new HttpFailure('aborted', 'cancelled');
  if (timeoutSignal?.aborted) return new HttpFailure('timeout', 'no complete answer within the time limit', 'total');
  switch (code) {
    case 'ECONNREFUSED':
      return new HttpFailure('refused', 'connection refused (nothing listens there)', 'connect');
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new HttpFailure('timeout', 'connect timed out', 'connect');
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new HttpFailure('timeout', 'no response headers in time', 'headers');
    case 'UND_ERR_BODY_TIMEOUT':
      return new HttpFailure('timeout', 'the body stalled', 'body');
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return new HttpFailure('network', 'the connection was closed by the server');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new HttpFailure('network', `host not found (${code})`, 'connect');
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new HttpFailure('network', `host unreachable (${code})`, 'connect');
    default:
      return new HttpFailure('network', err?.message ?? String(e));
  }
}

function prepare(req: HttpRequest) {
  const limits = { ...DEFAULT_LIMITS, ...req.limits };
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), limits.totalMs);
  const signals = [timeout.signal, ...(req.signal ? [req.signal] : [])];
  const headers: Record<string, string> = { ...req.headers };
  let body: string | undefined;
  if (req.body !== undefined) {
    body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    headers['content-type'] ??= 'application/json';
  }
  return { limits, timeout, timer, signal: AbortSignal.any(signals), headers, body };
}

/** Opens a request and returns once headers arrive; the caller reads `chunks`. */
export async function httpStream(req: HttpRequest): Promise<HttpStream> {
  const p = prepare(req);
  let res: Dispatcher.ResponseData;
  try {
    res = await undici().request(req.url, {
      method: req.method ?? (p.body === undefined ? 'GET' : 'POST'),
      headers: p.headers,
      body: p.body,
      signal: p.signal,
      headersTimeout: p.limits.headersMs,
      bodyTimeout: p.limits.idleMs,
      dispatcher: req.dispatcher,
      // undici's request() never follows redirects unless a redirect interceptor is installed.
    });
  } catch (e) {
    clearTimeout(p.timer);
    throw classifyNetworkError(e, req.signal, p.timeout.signal);
  }
  const close = () => {
    clearTimeout(p.timer);
    // A body read to its end needs no destroy (which would build an AbortError for nothing).
    if (!res.body.destroyed && !res.body.readableEnded) res.body.destroy();
  };
  async function* chunks(): AsyncGenerator<string> {
    let bytes = 0;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > p.limits.maxBytes) throw new HttpFailure('too-large', `the answer exceeded ${p.limits.maxBytes} bytes`, 'body');
        yield decoder.decode(chunk, { stream: true });
      }
      const tail = decoder.decode();
      if (tail) yield tail;
    } catch (e) {
      throw classifyNetworkError(e, req.signal, p.timeout.signal);
    } finally {
      close();
    }
  }
  return { status: res.statusCode, headers: flatHeaders(res.headers), chunks: chunks(), close };
}

/** A whole request: status, headers and the (capped) body as text. Throws HttpFailure. */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const t0 = performance.now();
  const s = await httpStream(req);
  let text = '';
  for await (const c of s.chunks) text += c;
  return { status: s.status, headers: s.headers, text, ms: performance.now() - t0 };
}

/** JSON.parse that never throws. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}
