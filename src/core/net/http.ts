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

export function classifyNetworkError(e: unknown, signal?: AbortSignal, timedOut = false): HttpFailure {
  if (e instanceof HttpFailure) return e;
  const err = e as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = err?.code ?? err?.cause?.code;
  if (signal?.aborted) return new HttpFailure('aborted', 'cancelled');
  if (timedOut) return new HttpFailure('timeout', 'no complete answer within the time limit', 'total');
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

/**
 * An AbortSignal that the caller's signal and a timer both abort. A listener on the caller's signal
 * (not AbortSignal.any, not AbortSignal.timeout), so that once `end()` ran nothing is left behind:
 * no composite signal, no weak references, no timer. Discovery sends thousands of requests in a
 * long session (BENCHMARKS.md, memory rows).
 */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout>;
  private expired = false;
  private readonly onCallerAbort = () => this.controller.abort();

  constructor(
    ms: number,
    private readonly caller?: AbortSignal,
  ) {
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort();
    }, ms);
    if (caller?.aborted) this.controller.abort();
    else caller?.addEventListener('abort', this.onCallerAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True when the time ran out (rather than the caller cancelling). */
  get timedOut(): boolean {
    return this.expired;
  }

  /** Stops the timer and lets go of the caller's signal; safe to call twice. */
  end(): void {
    clearTimeout(this.timer);
    this.caller?.removeEventListener('abort', this.onCallerAbort);
  }
}

/** One request in flight: its limits, its serialized body, and its deadline (limits.totalMs). */
class InFlight extends Deadline {
  readonly limits: HttpLimits;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;

  constructor(private readonly req: HttpRequest) {
    const limits = { ...DEFAULT_LIMITS, ...req.limits };
    super(limits.totalMs, req.signal);
    this.limits = limits;
    this.headers = { ...req.headers };
    if (req.body !== undefined) {
      this.body = typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
      this.headers['content-type'] ??= 'application/json';
    }
  }

  failure(e: unknown): HttpFailure {
    return classifyNetworkError(e, this.req.signal, this.timedOut);
  }
}

async function open(req: HttpRequest): Promise<{ f: InFlight; res: Dispatcher.ResponseData }> {
  const f = new InFlight(req);
  try {
    const res = await undici().request(req.url, {
      method: req.method ?? (f.body === undefined ? 'GET' : 'POST'),
      headers: f.headers,
      body: f.body,
      signal: f.signal,
      headersTimeout: f.limits.headersMs,
      bodyTimeout: f.limits.idleMs,
      dispatcher: req.dispatcher,
      // undici's request() never follows redirects unless a redirect interceptor is installed.
    });
    return { f, res };
  } catch (e) {
    f.end();
    throw f.failure(e);
  }
}

/** Opens a request and returns once headers arrive; the caller reads `chunks`. */
export async function httpStream(req: HttpRequest): Promise<HttpStream> {
  const { f, res } = await open(req);
  const close = () => {
    f.end();
    // A body read to its end needs no destroy (which would build an AbortError for nothing).
    if (!res.body.destroyed && !res.body.readableEnded) res.body.destroy();
  };
  async function* chunks(): AsyncGenerator<string> {
    let bytes = 0;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > f.limits.maxBytes) throw new HttpFailure('too-large', `the answer exceeded ${f.limits.maxBytes} bytes`, 'body');
        yield decoder.decode(chunk, { stream: true });
      }
      const tail = decoder.decode();
      if (tail) yield tail;
    } catch (e) {
      throw f.failure(e);
    } finally {
      close();
    }
  }
  return { status: res.statusCode, headers: flatHeaders(res.headers), chunks: chunks(), close };
}

/** A whole request: status, headers and the (capped) body as text. Throws HttpFailure. */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const t0 = performance.now();
  const { f, res } = await open(req);
  try {
    const text = await readText(res.body, f.limits.maxBytes);
    return { status: res.statusCode, headers: flatHeaders(res.headers), text, ms: performance.now() - t0 };
  } catch (e) {
    if (!res.body.destroyed) res.body.destroy();
    throw f.failure(e);
  } finally {
    f.end();
  }
}

/**
 * The whole body as UTF-8 text (a leading byte-order mark dropped, malformed bytes as U+FFFD, as
 * TextDecoder does), read with 'data' events into one buffer and decoded once: a whole-body read
 * needs no async iterator and no streaming decoder.
 */
function readText(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let bytes = 0;
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) return void body.destroy(new HttpFailure('too-large', `the answer exceeded ${maxBytes} bytes`, 'body'));
      parts.push(chunk);
    });
    body.on('error', reject);
    body.on('end', () => {
      const text = (parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes)).toString('utf8');
      resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    });
  });
}

/** JSON.parse that never throws. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}
