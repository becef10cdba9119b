// One bounded request for a stage: JSON or SSE, with every failure turned into a diagnosis.
import type { Dispatcher } from 'undici';
import { httpRequest, httpStream, HttpFailure, parseJson, type HttpLimits } from '../net/http';
import { diagnoseHttp, diagnoseNetwork, excerpt, type DiagnoseContext } from './diagnose';
import { SseParser, type SseEvent } from '../net/sse';
import type { AgentId, Diagnosis } from './types';
import { kindFromEvidence, type ServerKind } from '../serverKind';

export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

export interface RequestEnv {
  baseUrl: string;
  model: string;
  headers: Record<string, string>;
  dispatcher: Dispatcher;
  signal?: AbortSignal;
  limits: Partial<HttpLimits>;
  /** Learned from headers and bodies as the run goes; read by diagnoses for the right fix. */
  serverKind?: ServerKind;
  /** Whose needs the diagnoses speak of (default codex). */
  agent?: AgentId;
}

export type Failed = { ok: false; diagnosis: Diagnosis; evidence: string[]; ms: number; status?: number };

export type JsonResult = { ok: true; status: number; json: unknown; text: string; ms: number; headers: Record<string, string> } | Failed;

export function ctxOf(env: RequestEnv, path: string): DiagnoseContext {
  return { model: env.model, serverKind: env.serverKind, path, agent: env.agent };
}

export function noteServer(env: RequestEnv, headers: Record<string, string>): void {
  env.serverKind ??= kindFromEvidence({ headers, body: undefined });
}

function networkFailure(e: unknown, env: RequestEnv, t0: number): Failed {
  if (!(e instanceof HttpFailure)) throw e;
  const d = diagnoseNetwork(e, env.baseUrl);
  if (!d) throw new Cancelled();
  return { ok: false, diagnosis: d, evidence: [`${e.kind}${e.phase ? ` (${e.phase})` : ''}: ${e.message}`], ms: performance.now() - t0 };
}

function httpFailure(status: number, text: string, env: RequestEnv, path: string, ms: number): Failed {
  return {
    ok: false,
    diagnosis: diagnoseHttp(status, text, ctxOf(env, path)),
    evidence: [`HTTP ${status}: ${excerpt(text, 600)}`],
    ms,
    status,
  };
}

export async function getJson(env: RequestEnv, path: string): Promise<JsonResult> {
  return call(env, path, undefined);
}

export async function postJson(env: RequestEnv, path: string, body: unknown): Promise<JsonResult> {
  return call(env, path, body);
}

async function call(env: RequestEnv, path: string, body: unknown): Promise<JsonResult> {
  const t0 = performance.now();
  try {
    const res = await httpRequest({
      url: env.baseUrl + path,
      method: body === undefined ? 'GET' : 'POST',
      body,
      headers: env.headers,
      limits: env.limits,
      signal: env.signal,
      dispatcher: env.dispatcher,
    });
    noteServer(env, res.headers);
    if (res.status < 200 || res.status >= 300) return httpFailure(res.status, res.text, env, path, res.ms);
    const parsed = parseJson(res.text);
    if (!parsed.ok) {
      return {
        ok: false,
        diagnosis: {
          code: 'server-error',
          message: `The server answered ${res.status} with a body that is not JSON (${parsed.error}).`,
          fix: null,
        },
        evidence: [`HTTP ${res.status} ${res.headers['content-type'] ?? ''}: ${excerpt(res.text, 400)}`],
        ms: res.ms,
      };
    }
    return { ok: true, status: res.status, json: parsed.value, text: res.text, ms: res.ms, headers: res.headers };
  } catch (e) {
    return networkFailure(e, env, t0);
  }
}

/** What postSse needs from a stream reader (Responses or Messages). */
export interface SseReader<O extends { eventTypes: string[]; eventCount: number }> {
  readonly outcome: O;
  readonly done: boolean;
  accept(ev: SseEvent): void;
  end(): O;
}

/**
 * `headersAt`: ms from the request to its response headers (Codex's stream idle timer starts there).
 * `stopped`: the caller's `stopWhen` ended the stream early (the request was aborted, so the server
 * stops working on it); the outcome then holds what came before.
 */
export type SseResult<O> =
  { ok: true; outcome: O; ms: number; headersAt: number; headers: Record<string, string>; contentType: string; stopped: boolean } | Failed;

/** When to stop reading a stream and abort the request: its judgement needs nothing after that. */
export type StopWhen<O> = (outcome: O) => boolean;

/** Stops at the first output item: everything the prompt decides (acceptance, prompt time) is known by then. */
export const atFirstItem: StopWhen<{ firstItemAt?: number }> = o => o.firstItemAt !== undefined;

/** POSTs `{...body, stream: true}` and feeds the server-sent events to a reader; every failure becomes a diagnosis. */
export async function postSse<O extends { eventTypes: string[]; eventCount: number }>(
  env: RequestEnv,
  path: string,
  body: Record<string, unknown>,
  makeReader: (t0: number) => SseReader<O>,
  notSse: (contentType: string) => string,
  stopWhen?: StopWhen<O>,
): Promise<SseResult<O>> {
  const t0 = performance.now();
  const reader = makeReader(t0);
  const parser = new SseParser();
  let stream;
  try {
    stream = await httpStream({
      url: env.baseUrl + path,
      method: 'POST',
      body: { ...body, stream: true },
      headers: { ...env.headers, accept: 'text/event-stream' },
      limits: env.limits,
      signal: env.signal,
      dispatcher: env.dispatcher,
    });
  } catch (e) {
    return networkFailure(e, env, t0);
  }
  const headersAt = performance.now() - t0;
  noteServer(env, stream.headers);
  const contentType = stream.headers['content-type'] ?? '';
  if (stream.status < 200 || stream.status >= 300) {
    let text = '';
    try {
      for await (const c of stream.chunks) text += c;
    } catch (e) {
      if (e instanceof HttpFailure && e.kind === 'aborted') throw new Cancelled();
    }
    return httpFailure(stream.status, text, env, path, performance.now() - t0);
  }
  let raw = '';
  let stopped = false;
  try {
    for await (const chunk of stream.chunks) {
      if (raw.length < 4_000) raw += chunk;
      for (const ev of parser.push(chunk)) reader.accept(ev);
      if (reader.done) break;
      // Closing the body aborts the request: the server sees the connection go and cancels the task.
      if (stopWhen?.(reader.outcome)) {
        stopped = true;
        break;
      }
    }
    if (!reader.done && !stopped) for (const ev of parser.end()) reader.accept(ev);
  } catch (e) {
    stream.close();
    const f = networkFailure(e, env, t0);
    f.evidence.push(`events so far: ${summarizeEvents(reader.outcome.eventTypes)}`);
    return f;
  } finally {
    stream.close();
  }
  const outcome = stopped ? reader.outcome : reader.end();
  if (!/text\/event-stream/i.test(contentType) && outcome.eventCount === 0) {
    return {
      ok: false,
      diagnosis: { code: 'stream-malformed', message: notSse(contentType), fix: null },
      evidence: [`HTTP ${stream.status}: ${excerpt(raw, 400)}`],
      ms: performance.now() - t0,
    };
  }
  return { ok: true, outcome, ms: performance.now() - t0, headersAt, headers: stream.headers, contentType, stopped };
}

/** "response.created, response.output_text.delta ×12, response.completed" */
export function summarizeEvents(types: readonly string[]): string {
  const out: string[] = [];
  let prev = '';
  let n = 0;
  const flush = () => {
    if (prev) out.push(n > 1 ? `${prev} ×${n}` : prev);
  };
  for (const t of types) {
    if (t === prev) n++;
    else {
      flush();
      prev = t;
      n = 1;
    }
  }
  flush();
  const s = out.join(', ');
  return s.length > 600 ? `${s.slice(0, 599)}…` : s || '(none)';
}
