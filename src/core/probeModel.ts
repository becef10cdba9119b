// The cheap check before a route becomes active: does this model answer one token on /responses?
import { httpRequest, HttpFailure, type HttpLimits } from './net/http';
import { errorMessageFromBody } from './net/errors';

export type ModelProbe =
  | { ok: true; ms: number }
  | { ok: false; code: 'unreachable' | 'timeout' | 'unauthorized' | 'responses-missing' | 'model-not-found' | 'loading' | 'server-error'; reason: string };

export async function probeModelAnswers(baseUrl: string, model: string, opts: { apiKey?: string; signal?: AbortSignal; timeoutMs?: number } = {}): Promise<ModelProbe> {
  const t0 = performance.now();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const limits: Partial<HttpLimits> = { connectMs: 2_000, headersMs: timeoutMs, idleMs: timeoutMs, totalMs: timeoutMs, maxBytes: 1024 * 1024 };
  const headers: Record<string, string> = {};
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  let res;
  try {
    res = await httpRequest({ url: `${baseUrl}/responses`, method: 'POST', headers, body: { model, input: 'Reply with exactly: OK', max_output_tokens: 1, stream: false, store: false }, limits, signal: opts.signal });
  } catch (e) {
    const f = e instanceof HttpFailure ? e : new HttpFailure('network', String(e));
    if (f.kind === 'timeout') return { ok: false, code: 'timeout', reason: `${model} did not answer within ${Math.round(timeoutMs / 1000)} s (${f.message}).` };
    return { ok: false, code: 'unreachable', reason: `Cannot reach ${baseUrl}: ${f.message}.` };
  }
  const msg = errorMessageFromBody(res.text);
  if (res.status === 200) return { ok: true, ms: Math.round(performance.now() - t0) };
  if (res.status === 401 || res.status === 403) return { ok: false, code: 'unauthorized', reason: `${baseUrl} refused the key (${res.status}: ${msg}).` };
  if (res.status === 503 && /loading model/i.test(msg)) return { ok: false, code: 'loading', reason: 'The server is still loading the model.' };
  if (res.status === 404 && /model/i.test(msg) && !/^File Not Found$|page not found|^Not Found$/i.test(msg)) return { ok: false, code: 'model-not-found', reason: `The server does not have ${model}: ${msg}` };
  if (res.status === 404 || res.status === 405) return { ok: false, code: 'responses-missing', reason: `${baseUrl}/responses does not exist (${res.status}: ${msg}). Codex needs the Responses API: upgrade the server (Ollama ≥ 0.13.4, LM Studio ≥ 0.3.29, a recent llama.cpp or vLLM).` };
  return { ok: false, code: 'server-error', reason: `The server answered ${res.status}: ${msg}` };
}
