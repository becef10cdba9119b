// Scripted stand-ins for the real local servers: real sockets on 127.0.0.1, real JSON and SSE, with
// the wire formats and error texts of llama-server, Ollama, vLLM and LM Studio
// (see docs in ../shared/reference/local-servers.md, copied into the behaviours where used).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { healthyBrain, type Brain, type BrainReply, type BrainTurn } from './brain';
import { systemMessageNotFirst, TEXTS } from './behaviours';
import { writeResponsesJson, writeResponsesSse, writeChatCompletion } from './wire';

export type ScriptedKind = 'llamacpp' | 'ollama' | 'vllm' | 'lmstudio' | 'generic';

/** llama.cpp: the chat template the server renders with (test/real/llama-wire.test.ts holds these to the
 * real server).
 * - `tools`: the model's own tool-capable template (llama-server's default when no --chat-template is
 *   given and the GGUF has one): `/props` says `supports_tools: true` and tool calls come back.
 * - `chatml`: `--chat-template chatml`: no tool support. `/props` says `supports_tools: false`, the
 *   tools are left out of the prompt, so the model never calls one.
 * - `strict`: a tool-capable template that raises (HTTP 500) when a system or developer message is not
 *   the first message (Qwen3.5's "System message must be at the beginning."). */
export type LlamaTemplate = 'tools' | 'chatml' | 'strict';

export interface ScriptedModel {
  id: string;
  contextWindow?: number;
  /** Ollama capabilities; `tools` present means the model supports tools. */
  capabilities?: string[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  at: number;
}

/** Return true when the request was answered; false lets the default handling continue. */
export type RouteOverride = (req: IncomingMessage, res: ServerResponse, body: string, server: ScriptedServer) => boolean | Promise<boolean>;

export interface ScriptedServerOptions {
  kind: ScriptedKind;
  models?: ScriptedModel[];
  host?: string;
  port?: number;
  /** Fixed delay before every answer (benchmarks, timeouts). */
  latencyMs?: number;
  /** Require `Authorization: Bearer <key>` on guarded paths, with the server's own 401 body. */
  apiKey?: string;
  /** llama.cpp: answer 503 "Loading model" on every path for this long after start. */
  loadingMs?: number;
  version?: string;
  /** How the "model" answers /responses and /chat/completions. */
  brain?: Brain;
  /** Per-path overrides, checked before the default routes (e.g. make /v1/responses a 404). */
  overrides?: RouteOverride[];
  /** llama.cpp only (default `tools`). */
  template?: LlamaTemplate;
  /** llama.cpp with `apiKey`: /models and /v1/models answer without the key, as builds before 0.4.0
   * did (e.g. b10438); the pinned build asks for the key there too. */
  modelsPublic?: boolean;
  /** Called with every request as it arrives (a stand-in server logs them as the real one does). */
  onRequest?: (r: RecordedRequest) => void;
}

export interface ScriptedServer {
  readonly port: number;
  readonly root: string;
  readonly baseUrl: string;
  readonly kind: ScriptedKind;
  readonly requests: RecordedRequest[];
  options: ScriptedServerOptions;
  setLoading(loading: boolean): void;
  close(): Promise<void>;
}

const LLAMA_HEADERS = { server: 'llama.cpp' };

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** The body each server sends for an unknown route. */
export function notFound(kind: ScriptedKind, res: ServerResponse): void {
  switch (kind) {
    case 'llamacpp':
      return sendJson(res, 404, { error: { message: 'File Not Found', type: 'not_found_error', code: 404 } }, LLAMA_HEADERS);
    case 'ollama':
      return sendText(res, 404, '404 page not found');
    case 'vllm':
      return sendJson(res, 404, { detail: 'Not Found' });
    default:
      return sendJson(res, 404, { error: { message: 'Unexpected endpoint or method.', type: 'invalid_request_error' } });
  }
}

export function unauthorized(kind: ScriptedKind, res: ServerResponse): void {
  switch (kind) {
    case 'llamacpp':
      return sendJson(res, 401, { error: { message: 'Invalid API Key', type: 'authentication_error', code: 401 } }, LLAMA_HEADERS);
    case 'vllm':
      return sendJson(res, 401, { error: 'Unauthorized' });
    default:
      return sendJson(res, 401, {
        error: { message: 'Invalid API key', type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
      });
  }
}

function modelsBody(kind: ScriptedKind, models: ScriptedModel[]): unknown {
  const now = Math.floor(Date.now() / 1000);
  switch (kind) {
    case 'llamacpp':
      return {
        models: models.map(m => ({
          name: m.id,
          model: m.id,
          modified_at: '',
          size: '',
          digest: '',
          type: 'model',
          description: '',
          tags: [''],
          capabilities: ['completion'],
          parameters: '',
          details: { parent_model: '', format: 'gguf', family: '', families: [''], parameter_size: '', quantization_level: '' },
        })),
        object: 'list',
        data: models.map(m => ({
          id: m.id,
          aliases: [m.id],
          tags: [],
          object: 'model',
          created: now,
          owned_by: 'llamacpp',
          meta: {
            vocab_type: 2,
            n_vocab: 151936,
            n_ctx: m.contextWindow ?? 16384,
            n_ctx_train: 262144,
            n_embd: 2048,
            n_params: 30532122624,
            size: 17284915200,
            ftype: 'Q4_K - Medium',
          },
        })),
      };
    case 'ollama':
      // Ollama leaves `data` nil when there are no models: the JSON says null.
      return {
        object: 'list',
        data: models.length
          ? models.map(m => ({ id: m.id, object: 'model', created: now, owned_by: m.id.includes('/') ? m.id.split('/')[0] : 'library' }))
          : null,
      };
    case 'vllm':
      return {
        object: 'list',
        data: models.map(m => ({
          id: m.id,
          object: 'model',
          created: now,
          owned_by: 'vllm',
          root: `/models/${m.id}`,
          parent: null,
          max_model_len: m.contextWindow ?? 32768,
          permission: [],
        })),
      };
    default:
      return { object: 'list', data: models.map(m => ({ id: m.id, object: 'model', owned_by: 'organization_owner' })) };
  }
}

/** GET /props as llama-server answers it (every top-level key; values of a typical Qwen GGUF). */
function llamaProps(m: ScriptedModel | undefined, options: ScriptedServerOptions): Record<string, unknown> {
  const tools = (options.template ?? 'tools') !== 'chatml';
  return {
    default_generation_settings: {
      params: { temperature: 0.8, top_k: 40, top_p: 0.95, min_p: 0.05, n_predict: -1, chat_format: 'Content-only' },
      n_ctx: m?.contextWindow ?? 16384,
    },
    total_slots: 1,
    model_alias: m?.id ?? '',
    model_ftype: 'Q4_K - Medium',
    model_path: `/models/${m?.id}.gguf`,
    modalities: { vision: false, video: false, audio: false },
    media_marker: '<__media_0123456789abcdef__>',
    endpoint_slots: true,
    endpoint_props: false,
    endpoint_metrics: false,
    ui: true,
    ui_settings: {},
    chat_template: tools
      ? '{%- if tools %}<tool_call>…{%- endif %}'
      : "{%- for message in messages -%}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' -}}{%- endfor -%}",
    chat_template_caps: {
      supports_object_arguments: tools,
      supports_parallel_tool_calls: tools,
      supports_preserve_reasoning: false,
      supports_reasoning_effort: false,
      supports_string_content: true,
      supports_system_role: true,
      supports_tool_calls: tools,
      supports_tools: tools,
      supports_typed_content: false,
    },
    bos_token: '<|endoftext|>',
    eos_token: '<|im_end|>',
    build_info: options.version ?? 'b10438-d1a1ef5c',
    is_sleeping: false,
    cors_proxy_enabled: false,
  };
}

// llama-server's public paths under --api-key: /health, /v1/health and the web UI's ("/"); /models
// and /v1/models need the key like every other path (tools/server/server-http.cpp), except in older builds.
const LLAMA_PUBLIC = new Set(['/health', '/v1/health', '/']);
const LLAMA_PUBLIC_OLD = new Set([...LLAMA_PUBLIC, '/models', '/v1/models']);

export async function startScriptedServer(options: ScriptedServerOptions): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  let loadingUntil = options.loadingMs ? Date.now() + options.loadingMs : 0;
  let forcedLoading = false;
  const server: ScriptedServer = {
    port: 0,
    root: '',
    baseUrl: '',
    kind: options.kind,
    requests,
    options,
    setLoading: l => {
      forcedLoading = l;
      if (!l) loadingUntil = 0;
    },
    // Pending latency timers go too: a slow answer nobody waits for must not keep the process alive.
    close: () =>
      new Promise(r => {
        for (const t of pending) clearTimeout(t);
        pending.clear();
        http.closeAllConnections();
        http.close(() => r());
      }),
  };
  const pending = new Set<NodeJS.Timeout>();
  const http = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0];
      // Sub-millisecond (epoch ms with a fraction): the bench orders requests by it.
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body, at: performance.timeOrigin + performance.now() });
      options.onRequest?.(requests[requests.length - 1]!);
      const go = () =>
        handle(req, res, path, body).catch(e => {
          if (!res.headersSent) sendJson(res, 500, { error: { message: String(e) } });
          else res.destroy();
        });
      if (options.latencyMs) {
        const t = setTimeout(() => {
          pending.delete(t);
          void go();
        }, options.latencyMs);
        pending.add(t);
      } else void go();
    });
  });
  const kind = options.kind;
  const models = () => options.models ?? [];

  // What the chat template does before the model sees the turn (llama.cpp); other kinds pass through.
  async function think(turn: BrainTurn): Promise<BrainReply> {
    const brain = options.brain ?? healthyBrain;
    if (kind !== 'llamacpp') return brain(turn);
    switch (options.template ?? 'tools') {
      case 'tools':
        return brain(turn);
      case 'chatml': {
        const { tools: _dropped, ...request } = turn.request;
        return brain({ ...turn, request });
      }
      case 'strict':
        if (systemMessageNotFirst(turn.request))
          return { kind: 'http', status: 500, body: { error: { code: 500, message: TEXTS.jinjaSystem500, type: 'server_error' } } };
        return brain(turn);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, path: string, body: string): Promise<void> {
    for (const o of options.overrides ?? []) if (await o(req, res, body, server)) return;
    const isLlama = kind === 'llamacpp';
    if (isLlama && (forcedLoading || Date.now() < loadingUntil)) {
      return sendJson(res, 503, { error: { message: 'Loading model', type: 'unavailable_error', code: 503 } }, LLAMA_HEADERS);
    }
    if (options.apiKey) {
      const auth = String(req.headers.authorization ?? '');
      const guarded =
        kind === 'llamacpp'
          ? !(options.modelsPublic ? LLAMA_PUBLIC_OLD : LLAMA_PUBLIC).has(path)
          : kind === 'vllm'
            ? path.startsWith('/v1')
            : true;
      if (guarded && auth !== `Bearer ${options.apiKey}` && req.headers['x-api-key'] !== options.apiKey) return unauthorized(kind, res);
    }
    const extra = isLlama ? LLAMA_HEADERS : {};
    const method = req.method ?? 'GET';
    if (method === 'GET' && (path === '/v1/models' || path === '/models')) return sendJson(res, 200, modelsBody(kind, models()), extra);
    if (method === 'GET' && (path === '/health' || path === '/v1/health')) {
      if (kind === 'llamacpp') return sendJson(res, 200, { status: 'ok' }, extra);
      if (kind === 'vllm') {
        res.writeHead(200, { 'content-length': 0 });
        return void res.end();
      }
    }
    if (kind === 'llamacpp' && method === 'GET' && path === '/props') return sendJson(res, 200, llamaProps(models()[0], options), extra);
    // POST /tokenize: llama-server `{content}` → `{tokens}`, vLLM `{model, prompt}` → `{count, max_model_len, tokens}`.
    // One token per word or punctuation mark stands in for the model's vocabulary.
    if ((kind === 'llamacpp' || kind === 'vllm') && method === 'POST' && path === '/tokenize') {
      const parsed = JSON.parse(body || '{}') as { content?: unknown; prompt?: unknown };
      const text = String((kind === 'llamacpp' ? parsed.content : parsed.prompt) ?? '');
      const tokens = (text.match(/\w+|[^\w\s]/g) ?? []).map((_, i) => 1000 + i);
      return sendJson(
        res,
        200,
        kind === 'llamacpp' ? { tokens } : { count: tokens.length, max_model_len: models()[0]?.contextWindow ?? 32768, tokens },
        extra,
      );
    }
    if (kind === 'ollama') {
      if ((method === 'GET' || method === 'HEAD') && path === '/') return sendText(res, 200, 'Ollama is running');
      if (method === 'GET' && path === '/api/version') return sendJson(res, 200, { version: options.version ?? '0.33.0' });
      if (method === 'GET' && path === '/api/tags')
        return sendJson(res, 200, {
          models: models().map(m => ({
            name: m.id,
            model: m.id,
            modified_at: new Date().toISOString(),
            size: 1,
            digest: 'ab',
            details: { format: 'gguf', family: 'llama' },
            capabilities: m.capabilities ?? ['completion', 'tools'],
          })),
        });
      if (method === 'POST' && path === '/api/show') {
        let name = '';
        try {
          name = JSON.parse(body).model ?? '';
        } catch {
          /* handled below */
        }
        if (!name) return sendJson(res, 400, { error: 'model is required' });
        const m = models().find(x => x.id === name || `${x.id}:latest` === name);
        if (!m) return sendJson(res, 404, { error: `model '${name}' not found` });
        return sendJson(res, 200, {
          details: { format: 'gguf', family: 'llama' },
          model_info: { 'general.architecture': 'llama', 'llama.context_length': m.contextWindow ?? 131072 },
          capabilities: m.capabilities ?? ['completion', 'tools'],
          modified_at: new Date().toISOString(),
        });
      }
    }
    if (method === 'POST' && (path === '/v1/responses' || path === '/responses')) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(body);
      } catch {
        return sendJson(res, 400, { error: { message: 'Invalid JSON body', type: 'invalid_request_error', code: 400 } }, extra);
      }
      const reply = await think({ api: 'responses', request: parsed, server });
      if (reply.kind === 'http') return sendJson(res, reply.status, reply.body, { ...extra, ...(reply.headers ?? {}) });
      if (reply.kind === 'raw') {
        res.writeHead(reply.status, reply.headers ?? {});
        return void res.end(reply.body);
      }
      // llama.cpp names the response after its own model (the first --alias), whatever was asked.
      const answered = isLlama && models()[0] ? { ...parsed, model: models()[0]!.id } : parsed;
      const promptDelayMs = reply.kind === 'output' ? (reply.promptDelayMs ?? 0) : 0;
      if (parsed.stream || reply.kind === 'sse') return writeResponsesSse(res, kind, reply, answered, promptDelayMs);
      // A slow prompt without streaming: nothing is sent until the server has "processed" it.
      if (promptDelayMs) await new Promise(r => setTimeout(r, promptDelayMs));
      return writeResponsesJson(res, kind, reply, answered);
    }
    if (method === 'POST' && (path === '/v1/chat/completions' || path === '/chat/completions')) {
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(body);
      } catch {
        return sendJson(res, 400, { error: { message: 'Invalid JSON body' } }, extra);
      }
      const reply = await think({ api: 'chat', request: parsed, server });
      if (reply.kind === 'http') return sendJson(res, reply.status, reply.body, extra);
      if (reply.kind === 'raw') {
        res.writeHead(reply.status, reply.headers ?? {});
        return void res.end(reply.body);
      }
      return writeChatCompletion(res, kind, reply, isLlama && models()[0] ? { ...parsed, model: models()[0]!.id } : parsed);
    }
    return notFound(kind, res);
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const host = options.host ?? '127.0.0.1';
  Object.assign(server, { port, root: `http://${host.includes(':') ? `[${host}]` : host}:${port}` });
  Object.assign(server, { baseUrl: `${server.root}/v1` });
  return server;
}
