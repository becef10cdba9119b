// Probes every known and configured endpoint in parallel and says what each one is doing.
import { createAgent, Deadline, httpRequest, HttpFailure, parseJson, type HttpLimits } from '../net/http';
import { errorMessageFromBody, saysModelLoading } from '../net/errors';
import { serverRoot, type BaseUrlSource } from '../endpoints';
import type { ProviderId } from '../providers';
import type { TunnelVia } from './endpointReach';
import type { Dispatcher } from 'undici';

import { detectServerKind, type ServerKind } from '../serverKind';
import { templateId } from '../templateId';
import { listedContext, llamaPropsFacts, positive, type ContextSource, type ModelsEntry } from '../serverFacts';

export type { ServerKind } from '../serverKind';

export interface ModelInfo {
  id: string;
  /** Tokens the server will actually hold for one request, when it says so. */
  contextWindow?: number;
  /** Where contextWindow came from, for tooltips and reports. */
  contextSource?: ContextSource;
  /** true/false when the server says; undefined when it does not. */
  tools?: boolean;
  /** Why the server says no tools (shown beside "tools: no"). */
  toolsWhy?: string;
  capabilities?: string[];
}

export interface ServerInfo {
  kind: ServerKind;
  version?: string;
}

export type ProbeResult =
  /** `template`: llama.cpp's chat template, as a short hash (core/templateId.ts). */
  | { kind: 'up'; models: ModelInfo[]; server: ServerInfo; ms: number; template?: string }
  | { kind: 'loading'; message: string; ms: number }
  | { kind: 'down'; message: string; ms: number }
  | { kind: 'timeout'; message: string; ms: number }
  | { kind: 'unauthorized'; status: number; message: string; ms: number }
  | { kind: 'error'; status?: number; message: string; ms: number };

export type ProbeState = ProbeResult['kind'];

export interface DiscoveryTarget {
  provider: ProviderId;
  baseUrl: string;
  /** Where the base URL came from; `extra`: an endpoint the user added; `launched`: a server this window started; `tunnel`: an SSH tunnel this window opened. */
  source: BaseUrlSource | 'extra' | 'launched' | 'tunnel';
  /** Label shown for generic endpoints ("Work GPU box") and tunnels ("gpu-box (ssh)"). */
  label?: string;
  /** Set when the server is on another host behind an SSH tunnel (the base URL is the tunnel's local end). */
  via?: TunnelVia;
  apiKey?: string;
  /** A key exists but was not sent: plain http to another host that the person has not approved. */
  keyWithheld?: true;
}

export interface EndpointProbe extends DiscoveryTarget {
  result: ProbeResult;
}

export interface DiscoverOptions {
  /** Connection pool to use; default: one shared pool whose idle sockets close after a second. */
  dispatcher?: Dispatcher;
  /** Whole budget for one endpoint, including the follow-up requests for context windows. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** At most this many per-model detail requests (Ollama /api/show) per endpoint. */
  maxModelDetails?: number;
}

export async function discover(targets: DiscoveryTarget[], opts: DiscoverOptions = {}): Promise<EndpointProbe[]> {
  const seen = new Set<string>();
  const unique = targets.filter(t => (seen.has(t.baseUrl) ? false : (seen.add(t.baseUrl), true)));
  const dispatcher = opts.dispatcher ?? sharedAgent();
  return Promise.all(unique.map(async t => ({ ...t, result: await probeEndpoint(t, { ...opts, dispatcher }) })));
}

// One pool for every discovery run: a new undici Agent per run costs native memory that the
// process keeps as a high-water mark (BENCHMARKS.md, memory rows). Its sockets close after one
// idle second (createAgent), so nothing stays open between refreshes.
let shared: Dispatcher | undefined;
function sharedAgent(): Dispatcher {
  return (shared ??= createAgent(1_000));
}

export async function probeEndpoint(target: DiscoveryTarget, opts: DiscoverOptions = {}): Promise<ProbeResult> {
  const budget = opts.timeoutMs ?? 1_500;
  // The whole probe (follow-ups included) within the budget; the caller's signal cancels it.
  const deadline = new Deadline(budget, opts.signal);
  try {
    return await probe(target, opts, budget, deadline);
  } finally {
    deadline.end();
  }
}

async function probe(target: DiscoveryTarget, opts: DiscoverOptions, budget: number, deadline: Deadline): Promise<ProbeResult> {
  const signal = deadline.signal;
  const t0 = performance.now();
  const limits: Partial<HttpLimits> = {
    connectMs: Math.min(1_000, budget),
    headersMs: budget,
    idleMs: budget,
    totalMs: budget,
    maxBytes: 2 * 1024 * 1024,
  };
  const headers: Record<string, string> = { accept: 'application/json' };
  if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
  const get = (url: string, body?: unknown) =>
    httpRequest({ url, method: body === undefined ? 'GET' : 'POST', body, headers, limits, signal, dispatcher: opts.dispatcher });
  const ms = () => Math.round(performance.now() - t0);

  let res;
  try {
    res = await get(`${target.baseUrl}/models`);
  } catch (e) {
    const f = e instanceof HttpFailure ? e : new HttpFailure('network', String(e));
    if (deadline.timedOut || f.kind === 'timeout') return { kind: 'timeout', message: `no answer within ${budget} ms`, ms: ms() };
    if (f.kind === 'refused') return { kind: 'down', message: f.message, ms: ms() };
    if (f.kind === 'aborted') return { kind: 'error', message: 'cancelled', ms: ms() };
    return { kind: 'error', message: f.message, ms: ms() };
  }
  const message = errorMessageFromBody(res.text);
  if (saysModelLoading(res.status, message)) return { kind: 'loading', message, ms: ms() };
  if (res.status === 401 || res.status === 403)
    return { kind: 'unauthorized', status: res.status, message: message || 'unauthorized', ms: ms() };
  if (res.status >= 300 && res.status < 400)
    return {
      kind: 'error',
      status: res.status,
      message: `redirects to ${res.headers.location ?? '?'} (redirects are not followed)`,
      ms: ms(),
    };
  if (res.status !== 200) return { kind: 'error', status: res.status, message: message || `HTTP ${res.status}`, ms: ms() };
  const parsed = parseJson(res.text);
  if (!parsed.ok) return { kind: 'error', status: 200, message: `GET /models did not return JSON: ${parsed.error}`, ms: ms() };
  const body = parsed.value as ModelsBody;
  if (typeof body !== 'object' || body === null || !('data' in body))
    return { kind: 'error', status: 200, message: 'GET /models returned no "data" list', ms: ms() };

  const kind = detectServerKind(target.provider, { headers: res.headers, body });
  const models = parseModels(body, kind);
  const server: ServerInfo = { kind };
  let template: string | undefined;
  const root = serverRoot(target.baseUrl);
  // Follow-ups are best effort: a failure leaves the field unknown, never the endpoint down.
  const soft = async <T>(f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch {
      return undefined;
    }
  };
  if (kind === 'llamacpp') {
    const props = await soft(() => get(`${root}/props`));
    const p = props?.status === 200 ? parseJson(props.text) : undefined;
    if (p?.ok) {
      const f = llamaPropsFacts(p.value);
      if (f.build !== undefined) server.version = f.build;
      if (f.chatTemplate !== undefined) template = templateId(f.chatTemplate);
      if (f.slotContext)
        for (const m of models)
          if (m.contextSource !== 'llamacpp-slot') Object.assign(m, { contextWindow: f.slotContext, contextSource: 'llamacpp-slot' });
      // The template decides: under one without tool support (chatml) llama-server leaves the tools
      // out of the prompt and returns a call the model writes as plain text.
      const caps = f.templateTools;
      if (typeof caps === 'boolean')
        for (const m of models)
          Object.assign(m, caps ? { tools: true } : { tools: false, toolsWhy: 'its chat template has no tool support' });
    }
  } else if (kind === 'ollama') {
    const [version] = await Promise.all([
      soft(() => get(`${root}/api/version`)),
      Promise.all(
        models.slice(0, opts.maxModelDetails ?? 24).map(m =>
          soft(async () => {
            const r = await get(`${root}/api/show`, { model: m.id });
            const j = r.status === 200 ? parseJson(r.text) : undefined;
            if (j?.ok) applyOllamaShow(m, j.value as OllamaShow);
          }),
        ),
      ),
    ]);
    const v = version?.status === 200 ? parseJson(version.text) : undefined;
    if (v?.ok && typeof (v.value as { version?: unknown }).version === 'string') server.version = (v.value as { version: string }).version;
  }
  return { kind: 'up', models, server, ms: ms(), ...(template !== undefined ? { template } : {}) };
}

interface ModelsBody {
  object?: string;
  data: null | ModelsEntry[];
  models?: unknown[];
}
interface OllamaShow {
  capabilities?: unknown;
  model_info?: Record<string, unknown>;
}

export function parseModels(body: ModelsBody, kind: ServerKind): ModelInfo[] {
  // Ollama answers "data": null when it has no models.
  const out: ModelInfo[] = [];
  for (const d of body.data ?? []) {
    if (!d || typeof d.id !== 'string' || !d.id) continue;
    out.push({ id: d.id, ...listedContext(d, kind) });
  }
  return out;
}

function applyOllamaShow(m: ModelInfo, show: OllamaShow): void {
  if (Array.isArray(show.capabilities)) {
    m.capabilities = show.capabilities.filter((c): c is string => typeof c === 'string');
    m.tools = m.capabilities.includes('tools');
  }
  const info = show.model_info ?? {};
  const arch = typeof info['general.architecture'] === 'string' ? (info['general.architecture'] as string) : undefined;
  const ctx =
    positive(arch ? info[`${arch}.context_length`] : undefined) ??
    positive(Object.entries(info).find(([k]) => k.endsWith('.context_length'))?.[1]);
  if (ctx) Object.assign(m, { contextWindow: ctx, contextSource: 'ollama-model-info' });
}

/** "up · 3 models", "down", "loading", "unauthorized" — the picker's separator text. */
export function describeProbe(r: ProbeResult): string {
  switch (r.kind) {
    case 'up':
      return `up · ${r.models.length} model${r.models.length === 1 ? '' : 's'}`;
    case 'loading':
      return 'loading';
    case 'down':
      return 'down';
    case 'timeout':
      return 'timeout';
    case 'unauthorized':
      return 'unauthorized';
    case 'error':
      return r.status ? `error ${r.status}` : 'error';
  }
}
