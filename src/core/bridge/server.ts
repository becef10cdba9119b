// The bridge's HTTP side: an agent's API on 127.0.0.1, chat completions (or, for a pass-through
// adapter, the agent's own API) to the upstream server. It knows no agent's wire format (each adapter
// does) and no model: it checks who is asking, reads a bounded request, lets the path's adapter plan
// the upstream request, and pipes the upstream's stream through the adapter's translator (a
// pass-through adapter's unchanged) chunk by chunk, so a long answer never sits in memory here.
// What it guards:
// - only this machine's programs: it binds loopback, and refuses a `Host` that is not a loopback name
//   (a web page that rebinds its own name to 127.0.0.1 sends its name as Host) and any request with
//   an `Origin` (a browser; agents send none);
// - the upstream's key goes only to the upstream, read from an environment variable by the caller;
// - nothing of a prompt or an answer is logged unless `debugLog` is on: one line per request
//   (method, path, status, time, the adapter's notes);
// - an upstream that is down, slow or failing is answered fast in the agent's own error shape,
//   naming the upstream and its words (sanitized), never a stack trace;
// - the agent going away (Ctrl+C) aborts the upstream request, so the server stops generating.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Agent } from 'undici';
import type { AgentAdapter, ChatRequestPlan, RepairSwitches, StreamTranslator } from './adapter';
import { DEFAULT_REPAIRS } from './adapter';
import { createAgent, httpRequest, httpStream, HttpFailure, parseJson, type HttpStream } from '../net/http';
import { errorMessageFromBody } from '../net/errors';
import { isLoopbackHost } from '../endpoints';
import { SseParser } from '../net/sse';
import { displayMessage } from '../text/sanitize';
import { BRIDGE_IDENTITY_PATH, isBridgeIdentity, type BridgeIdentity } from './facts';

export interface BridgeOptions {
  /** The upstream's base URL, normalized, with its `/v1` (chat completions at `<upstream>/chat/completions`, Responses at `<upstream>/responses`). */
  readonly upstream: string;
  /** The adapters served, each at its own path (`/v1/responses`, `/v1/messages`). */
  readonly adapters: readonly AgentAdapter[];
  /** 0 or absent: any free port. */
  readonly port?: number;
  /** Sent to the upstream as `Authorization: Bearer …` and nowhere else. */
  readonly apiKey?: string;
  readonly repairs?: RepairSwitches;
  /** Log the agent's request bodies and the upstream's stream (prompts included). Off by default. */
  readonly debugLog?: boolean;
  /** One line per request (and the debug log when on). */
  readonly log?: (line: string) => void;
  readonly limits?: Partial<BridgeLimits>;
}

export interface BridgeLimits {
  /** Largest request body an agent may send (Codex's long sessions send a few MB at most). */
  readonly maxRequestBytes: number;
  /** Longest silence from the upstream between two stream chunks (a prompt being read counts: llama.cpp sends pings while it reads). */
  readonly idleMs: number;
  /** Longest wait for the upstream's first byte (a long prompt on CPU takes minutes). */
  readonly headersMs: number;
  readonly connectMs: number;
  /** Largest upstream stream (a whole generation). */
  readonly maxStreamBytes: number;
  /** Largest upstream error body or whole (non-streamed) answer read into memory. */
  readonly maxBodyBytes: number;
}

export const DEFAULT_BRIDGE_LIMITS: BridgeLimits = {
  maxRequestBytes: 32 * 1024 * 1024,
  idleMs: 300_000,
  headersMs: 600_000,
  connectMs: 2_000,
  maxStreamBytes: 256 * 1024 * 1024,
  maxBodyBytes: 32 * 1024 * 1024,
};

/** A whole generation may take this long (a stream idle for `idleMs` ends sooner). */
const TOTAL_MS = 6 * 60 * 60 * 1000;

export interface RunningBridge {
  /** `http://127.0.0.1:<port>/v1`: the base URL an agent is pointed at. */
  readonly url: string;
  readonly port: number;
  /** Stops listening, ends the requests in flight (aborting their upstream requests). */
  close(): Promise<void>;
}

/** Why a request was refused before any adapter saw it. */
export function refusal(headers: http.IncomingHttpHeaders): string | undefined {
  const host = headers.host;
  if (!host) return 'a request without a Host header';
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname;
  } catch {
    return 'a malformed Host header';
  }
  if (!isLoopbackHost(name)) return `Host "${host}" is not a loopback name (the bridge serves this machine only)`;
  if (headers.origin !== undefined) return 'a browser request (it carries an Origin header); the bridge serves agents on this machine only';
  return undefined;
}

const GENERIC_ERROR = (message: string) => ({ error: { message, type: 'invalid_request_error', code: null, param: null } });

export async function startBridge(o: BridgeOptions): Promise<RunningBridge> {
  const limits: BridgeLimits = { ...DEFAULT_BRIDGE_LIMITS, ...o.limits };
  const repairs = o.repairs ?? DEFAULT_REPAIRS;
  const log = o.log ?? (() => undefined);
  const upstream = o.upstream.replace(/\/+$/, '');
  const byPath = new Map(o.adapters.map(a => [a.path, a]));
  const localByPath = new Map(
    o.adapters.flatMap(adapter => Object.entries(adapter.local ?? {}).map(([path, answer]) => [path, { adapter, answer }])),
  );
  // One connection pool to the upstream, kept alive between requests: a new connection per request
  // would add its set-up to every first byte.
  const agent: Agent = createAgent(limits.connectMs);
  const upstreamHeaders = (extra: Record<string, string>): Record<string, string> => ({
    ...extra,
    ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}),
  });
  const inFlight = new Set<AbortController>();

  const server = http.createServer((req, res) => {
    const t0 = performance.now();
    const controller = new AbortController();
    inFlight.add(controller);
    let notes: readonly string[] = [];
    // The agent went away before the answer ended: stop the upstream generating.
    res.on('close', () => {
      inFlight.delete(controller);
      if (!res.writableFinished) controller.abort();
      const ms = (performance.now() - t0).toFixed(1);
      const aborted = res.writableFinished ? '' : ' (the agent went away; upstream request aborted)';
      log(`${req.method} ${req.url} ${res.statusCode} ${ms} ms${notes.length ? ` [${notes.join(', ')}]` : ''}${aborted}`);
    });
    const pathname = (req.url ?? '/').split('?')[0]!;
    const local = localByPath.get(pathname);
    const adapter = byPath.get(pathname) ?? local?.adapter;
    const sendJson = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      if (res.headersSent) return void res.end();
      const text = JSON.stringify(body);
      res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const errorJson = (status: number, message: string) =>
      sendJson(status, adapter ? adapter.errorBody(status, message) : GENERIC_ERROR(message), adapter?.errorHeaders?.(status));

    const refused = refusal(req.headers);
    if (refused) {
      req.resume();
      return errorJson(403, `Refused: ${refused}.`);
    }
    const handle = async () => {
      if (req.method === 'GET' && pathname === '/v1/models') return passThrough(res, `${upstream}/models`, controller.signal);
      if (req.method === 'GET' && pathname === BRIDGE_IDENTITY_PATH) {
        const identity: BridgeIdentity = { bridge: 'local-model-router', upstream };
        return sendJson(200, identity);
      }
      if (!adapter) {
        req.resume();
        return errorJson(
          404,
          `The bridge serves ${[...byPath.keys(), ...localByPath.keys(), 'GET /v1/models'].join(', ')}; not ${req.method} ${pathname}.`,
        );
      }
      if (req.method !== 'POST') {
        req.resume();
        return errorJson(405, `${pathname} takes POST.`);
      }
      const body = await readBody(req, limits.maxRequestBytes);
      if (!body.ok) return errorJson(body.status, body.message);
      const parsed = parseJson(body.text);
      if (!parsed.ok) return errorJson(400, `The request body is not JSON: ${parsed.error}`);
      if (o.debugLog) log(`request ${pathname}: ${body.text}`);
      if (local) return sendJson(200, local.answer(parsed.value));
      const planned = adapter.plan(parsed.value, repairs);
      if (!planned.ok) return errorJson(planned.status, planned.message);
      const plan = planned.plan;
      notes = plan.notes.map(n => n.code);
      for (const n of plan.notes) log(`note ${n.code}: ${n.detail}`);
      if (o.debugLog) log(`upstream request: ${JSON.stringify(plan.body)}`);
      await forward(adapter, plan, res, controller.signal);
    };
    handle().catch((e: unknown) => {
      // Nothing here may reach the agent as a stack trace: the message only, sanitized.
      if (!res.headersSent) errorJson(500, `The bridge failed: ${displayMessage(String((e as Error)?.message ?? e))}`);
      else res.end();
    });
  });

  const upstreamFailure = (e: unknown): string => {
    const f = e instanceof HttpFailure ? e : new HttpFailure('network', String((e as Error)?.message ?? e));
    return `The upstream ${upstream} did not answer: ${f.message}`;
  };

  async function passThrough(res: http.ServerResponse, url: string, signal: AbortSignal): Promise<void> {
    let up: HttpStream;
    try {
      up = await httpStream({
        url,
        headers: upstreamHeaders({}),
        signal,
        dispatcher: agent,
        limits: { connectMs: limits.connectMs, headersMs: 30_000, idleMs: 30_000, totalMs: 60_000, maxBytes: limits.maxBodyBytes },
      });
    } catch (e) {
      return void sendGeneric(res, 502, upstreamFailure(e));
    }
    res.writeHead(up.status, { 'content-type': up.headers['content-type'] ?? 'application/json' });
    try {
      for await (const c of up.chunks) if (!res.write(c)) await drained(res);
    } catch {
      // The status is out already: a cut body is all the agent can be told.
    } finally {
      up.close();
      res.end();
    }
  }

  async function forward(adapter: AgentAdapter, plan: ChatRequestPlan, res: http.ServerResponse, signal: AbortSignal): Promise<void> {
    const send = (status: number, message: string, failStream: boolean) => {
      if (plan.stream && failStream) {
        res.writeHead(200, SSE_HEADERS);
        res.end(adapter.stream(plan).fail(status, message));
      } else {
        const text = JSON.stringify(adapter.errorBody(status, message));
        res.writeHead(status, {
          ...adapter.errorHeaders?.(status),
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
        });
        res.end(text);
      }
    };
    const request = {
      url: `${upstream}${adapter.upstreamPath ?? '/chat/completions'}`,
      method: 'POST' as const,
      headers: upstreamHeaders({ 'content-type': 'application/json', ...(plan.stream ? { accept: 'text/event-stream' } : {}) }),
      body: plan.body,
      signal,
      dispatcher: agent,
      limits: {
        connectMs: limits.connectMs,
        headersMs: limits.headersMs,
        idleMs: limits.idleMs,
        totalMs: TOTAL_MS,
        maxBytes: plan.stream ? limits.maxStreamBytes : limits.maxBodyBytes,
      },
    };
    if (!plan.stream) {
      let r;
      try {
        r = await httpRequest(request);
      } catch (e) {
        if (signal.aborted) return;
        return send(502, displayMessage(upstreamFailure(e)), false);
      }
      if (r.status !== 200) return send(r.status, upstreamError(upstream, r.status, r.text), false);
      if (adapter.passThrough) {
        res.writeHead(200, {
          'content-type': r.headers['content-type'] ?? 'application/json',
          'content-length': Buffer.byteLength(r.text),
        });
        return void res.end(r.text);
      }
      const completion = parseJson(r.text);
      if (!completion.ok) return send(502, displayMessage(`The upstream ${upstream} answered with a body that is not JSON`), false);
      const text = JSON.stringify(adapter.complete(plan, completion.value));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      return void res.end(text);
    }

    let up: HttpStream;
    try {
      up = await httpStream(request);
    } catch (e) {
      if (signal.aborted) return;
      // No connection, or no answer in time: the agent's own failure event, at once.
      return send(0, displayMessage(upstreamFailure(e)), true);
    }
    if (up.status !== 200) {
      let text = '';
      try {
        for await (const c of up.chunks) {
          text += c;
          if (text.length > 64 * 1024) break;
        }
      } catch {
        // What arrived is enough to name the failure.
      } finally {
        up.close();
      }
      // A refusal (4xx: context too long, a bad request) is the agent's HTTP error with the upstream's
      // words; a failing upstream (5xx) too, in the stream so the agent shows its message.
      return send(up.status, upstreamError(upstream, up.status, text), up.status >= 500);
    }
    if (adapter.passThrough) return pipe(up, res, signal);
    const translator: StreamTranslator = adapter.stream(plan);
    res.writeHead(200, SSE_HEADERS);
    const parser = new SseParser();
    let ended = false;
    // What one upstream read produced goes out in one write: a write per event would cost a syscall each.
    let out = '';
    const handleData = (data: string): boolean => {
      if (data === '[DONE]') {
        out += translator.end();
        return true;
      }
      const chunk = parseJson(data);
      if (!chunk.ok) return false;
      const err = (chunk.value as { error?: unknown } | null)?.error;
      if (err !== undefined) {
        out += translator.fail(200, upstreamError(upstream, 200, data));
        return true;
      }
      out += translator.chunk(chunk.value);
      return false;
    };
    try {
      for await (const c of up.chunks) {
        if (o.debugLog) log(`upstream chunk: ${c}`);
        for (const ev of parser.push(c)) {
          if (ev.other && 'error' in ev.other) {
            out += translator.fail(200, upstreamError(upstream, 200, ev.other.error));
            ended = true;
          } else ended = handleData(ev.data);
          if (ended) break;
        }
        // An agent reading slower than the upstream writes: wait for it rather than hold the rest here.
        if (out && !res.write(out)) await drained(res);
        out = '';
        if (ended) break;
      }
      if (!ended) {
        for (const ev of parser.end()) if (!ended && handleData(ev.data)) ended = true;
        // A body that ended without `[DONE]` ended all the same (some servers send none).
        if (!ended) out += translator.end();
        res.write(out);
      }
    } catch (e) {
      if (!signal.aborted) res.write(translator.fail(0, displayMessage(upstreamFailure(e))));
    } finally {
      up.close();
      res.end();
    }
  }

  /**
   * The upstream's stream as it came, each read written on at once: the agent's API is the upstream's,
   * so there is nothing to translate and nothing is held. A stream cut in the middle cannot be told in
   * the agent's words without breaking an event; the agent sees it end early, as it would direct.
   */
  async function pipe(up: HttpStream, res: http.ServerResponse, signal: AbortSignal): Promise<void> {
    res.writeHead(200, { ...SSE_HEADERS, 'content-type': up.headers['content-type'] ?? SSE_HEADERS['content-type'] });
    try {
      for await (const c of up.chunks) {
        if (o.debugLog) log(`upstream chunk: ${c}`);
        res.write(c);
      }
    } catch (e) {
      if (!signal.aborted) log(`the upstream stream broke off: ${displayMessage(upstreamFailure(e))}`);
    } finally {
      up.close();
      res.end();
    }
  }

  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    async close() {
      for (const c of inFlight) c.abort();
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await agent.close();
    },
  };
}

/** Resolves when the agent has taken what was written, or has gone away. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise(resolve => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

function sendGeneric(res: http.ServerResponse, status: number, message: string): void {
  const text = JSON.stringify(GENERIC_ERROR(displayMessage(message)));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The upstream's own words for a failure, naming it. */
export function upstreamError(upstream: string, status: number, body: string): string {
  const said = errorMessageFromBody(body, 1_000) || '(an empty body)';
  return displayMessage(`The upstream ${upstream} answered${status && status !== 200 ? ` HTTP ${status}` : ''}: ${said}`);
}

type BodyResult = { ok: true; text: string } | { ok: false; status: number; message: string };

function readBody(req: http.IncomingMessage, max: number): Promise<BodyResult> {
  return new Promise(resolve => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > max) {
      req.resume();
      return resolve({
        ok: false,
        status: 413,
        message: `The request body (${declared} bytes) is over the bridge's limit of ${max} bytes.`,
      });
    }
    const parts: Buffer[] = [];
    let bytes = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      bytes += c.length;
      if (bytes > max) {
        over = true;
        parts.length = 0;
        return;
      }
      parts.push(c);
    });
    req.on('end', () =>
      resolve(
        over
          ? { ok: false, status: 413, message: `The request body is over the bridge's limit of ${max} bytes.` }
          : { ok: true, text: Buffer.concat(parts, bytes).toString('utf8') },
      ),
    );
    req.on('error', () => resolve({ ok: false, status: 400, message: 'The request body could not be read.' }));
  });
}

/** What listens on 127.0.0.1:`port` when it is a route bridge (of this or another window), else undefined. */
export async function bridgeOnPort(port: number): Promise<BridgeIdentity | undefined> {
  try {
    const r = await httpRequest({
      url: `http://127.0.0.1:${port}${BRIDGE_IDENTITY_PATH}`,
      limits: { connectMs: 1_000, headersMs: 2_000, idleMs: 2_000, totalMs: 3_000, maxBytes: 4096 },
    });
    const parsed = r.status === 200 ? parseJson(r.text) : undefined;
    return parsed?.ok && isBridgeIdentity(parsed.value) ? parsed.value : undefined;
  } catch {
    return undefined;
  }
}
