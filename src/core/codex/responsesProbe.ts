// Does the server behind a `wire_api = "chat"` provider speak the Responses API? Codex 0.169 only
// calls POST {base_url}/responses, so that is what is asked: a streamed one-line request whose
// answer is judged on its status line (the stream is closed at once, so no model has to finish a
// reply). Known servers answer an unknown route with 404 (llama.cpp "File Not Found", Ollama
// "404 page not found", vLLM {"detail":"Not Found"}), so a 404 means "no Responses API" unless its
// body says the model is missing — then the route exists and only the model name is wrong.
import { httpStream, HttpFailure, type HttpLimits } from '../net/http';
import { errorMessageFromBody } from '../net/errors';
import { diagnoseHttp, excerpt, RESPONSES_MIN_VERSIONS } from '../verify/diagnose';
import { probeEndpoint, type ServerInfo } from '../route/discovery';
import { providerOfOwnDefaultPort, type ProviderId } from '../providers';
import { kindOfProvider } from '../serverKind';

export interface ResponsesProbeTarget {
  /** The `[model_providers.<id>]` id (used to guess the server kind for the explanation). */
  providerId: string;
  /** The provider's `name`, when it has one. */
  name?: string;
  baseUrl: string;
  /** The model the configuration uses with this provider, when it names one. */
  model?: string;
  /** The key from the provider's `env_key` variable; sent as a Bearer token, never logged. */
  apiKey?: string;
}

export type ResponsesProbe =
  | { kind: 'responses'; status: number; detail: string; server?: ServerInfo }
  /** 404/405/501 on /responses: the server (or this version of it) serves chat completions only. */
  | { kind: 'no-responses'; status: number; detail: string; server?: ServerInfo }
  | { kind: 'unreachable'; detail: string }
  /** An answer that says neither (401, 5xx…): not switched, since the switch could not be shown to work. */
  | { kind: 'unclear'; status: number; detail: string; server?: ServerInfo };

export type ResponsesProber = (target: ResponsesProbeTarget, opts: { timeoutMs?: number; signal?: AbortSignal }) => Promise<ResponsesProbe>;

/** A guess of what runs there from the provider's id, name and port; only used to word the explanation. */
export function guessProvider(t: Pick<ResponsesProbeTarget, 'providerId' | 'name' | 'baseUrl'>): ProviderId {
  const words = `${t.providerId} ${t.name ?? ''}`.toLowerCase();
  if (words.includes('ollama')) return 'ollama';
  if (/lm[ -_]?studio/.test(words)) return 'lmstudio';
  if (words.includes('vllm')) return 'vllm';
  if (/llama[ ._-]?(cpp|server)/.test(words)) return 'llamacpp';
  let port = '';
  try {
    port = new URL(t.baseUrl).port;
  } catch {
    /* not a URL: no guess from the port */
  }
  return (port && providerOfOwnDefaultPort(Number(port))) || 'openaiCompatible';
}

export const probeResponsesApi: ResponsesProber = async (t, opts) => {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const base = t.baseUrl.replace(/\/+$/, '');
  // What runs there (kind, version, a model to ask for) — best effort, it only words the answer.
  const found = await probeEndpoint(
    { provider: guessProvider(t), baseUrl: base, source: 'extra', apiKey: t.apiKey },
    { timeoutMs, signal: opts.signal },
  ).catch(() => undefined);
  const server = found?.kind === 'up' ? found.server : undefined;
  const model = t.model ?? (found?.kind === 'up' ? found.models[0]?.id : undefined) ?? 'model';
  const limits: Partial<HttpLimits> = {
    connectMs: Math.min(2_000, timeoutMs),
    headersMs: timeoutMs,
    idleMs: timeoutMs,
    totalMs: timeoutMs,
    maxBytes: 64 * 1024,
  };
  const headers: Record<string, string> = { accept: 'text/event-stream, application/json' };
  if (t.apiKey) headers.authorization = `Bearer ${t.apiKey}`;
  let status: number;
  let body = '';
  try {
    const s = await httpStream({
      url: `${base}/responses`,
      method: 'POST',
      headers,
      body: { model, input: 'Reply with OK', max_output_tokens: 16, stream: true },
      limits,
      signal: opts.signal,
    });
    status = s.status;
    if (status >= 200 && status < 300) {
      // The status is the answer; one chunk is read so the stream ends through its iterator, not an abort.
      const it = s.chunks[Symbol.asyncIterator]();
      await it.next().catch(() => undefined);
      await it.return?.(undefined).catch(() => undefined);
    } else {
      for await (const c of s.chunks) body += c;
    }
  } catch (e) {
    const f = e instanceof HttpFailure ? e : new HttpFailure('network', String(e));
    return { kind: 'unreachable', detail: `POST ${base}/responses: ${f.message}` };
  }
  const said = excerpt(errorMessageFromBody(body), 200);
  const detail = `POST ${base}/responses answered ${status}${said ? ` "${said}"` : ''}`;
  if (status >= 200 && status < 300) return { kind: 'responses', status, detail, server };
  if (status === 400 || status === 422) return { kind: 'responses', status, detail, server };
  if (status === 404 || status === 405 || status === 501) {
    const d = diagnoseHttp(status, body, { model, serverKind: server?.kind, path: '/responses' });
    if (d.code === 'model-not-found') return { kind: 'responses', status, detail, server };
    return { kind: 'no-responses', status, detail, server };
  }
  return { kind: 'unclear', status, detail, server };
};

/** Which release of that server adds /v1/responses (the one table, in verify/diagnose.ts). */
export function responsesUpgradeHint(p: ResponsesProbe, target: Pick<ResponsesProbeTarget, 'providerId' | 'name' | 'baseUrl'>): string {
  const kind = ('server' in p && p.server?.kind) || kindOfProvider(guessProvider(target));
  const v = RESPONSES_MIN_VERSIONS[kind];
  const version = 'server' in p && p.server?.version ? ` (it reports version ${p.server.version})` : '';
  return `${v.what}${version} serves the Responses API from ${v.minVersion} on`;
}
