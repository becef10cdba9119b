// Failure behaviours for the scripted servers, each reproducing a real server's wire text
// (copied from the reference notes on llama.cpp, Ollama, vLLM and LM Studio; kept here so tests do
// not depend on ../shared). Brains decide what the "model" answers; overrides replace a route.
import type { Brain, BrainReply, BrainTurn } from './brain';
import { healthyBrain, inputItems, textOf, toolNames, estimateTokens } from './brain';
import { notFound, sendJson, sendText, type RouteOverride, type ScriptedKind } from './scripted-server';

type Item = Record<string, unknown>;
const llamaErr = (code: number, message: string, type: string, extra: Record<string, unknown> = {}) => ({
  error: { code, message, type, ...extra },
});
const ollamaV1Err = (message: string, type: string) => ({ error: { message, type, param: null, code: null } });
const vllmErr = (message: string, code = 400, param: string | null = null) => ({
  error: { message, type: code === 404 ? 'NotFoundError' : 'BadRequestError', param, code },
});

// ── texts ──────────────────────────────────────────────────────────────────────────────────────

export const TEXTS = {
  jinjaSystem500:
    "\n------------\nWhile executing CallExpression at line 106, column 32 in source:\n...first %}\u21b5 {{- raise_exception('System message must be at the beginnin...\n ^\nError: Jinja Exception: System message must be at the beginning.",
  jinjaSystem400:
    'Unable to generate parser for this template. Automatic parser generation failed: \n------------\nWhile executing CallExpression at line 110\nError: Jinja Exception: System message must be at the beginning.',
  toolTypeMustBeFunction: "'type' of tool must be 'function'",
  toolsNeedJinja: 'tools param requires --jinja flag',
  vllmAutoToolChoice: '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
  llamaCtxNewest: (p: number, c: number) => `request (${p} tokens) exceeds the available context size (${c} tokens), try increasing it`,
  llamaCtxMid: 'the request exceeds the available context size, try increasing it',
  llamaCtxOld: 'the request exceeds the available context size. try increasing the context size or enable context shift',
  vllmCtx: (c: number, p: number) =>
    `This model's maximum context length is ${c} tokens. However, you requested 0 output tokens and your prompt contains at least ${p} input tokens, for a total of at least ${p} tokens. Please reduce the length of the input prompt or the number of requested output tokens. (parameter=input_tokens, value=${p})`,
  vllmCtxOld: (c: number, p: number) =>
    `This model's maximum context length is ${c} tokens. However, you requested ${p + 16} tokens (${p} in the messages, 16 in the completion). Please reduce the length of the messages or completion.`,
  ollamaCtx:
    'the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the context length in settings, or use a model with a longer context length',
  lmstudioCtx: 'tokens to keep from the initial prompt is greater than the context length',
  parseFailure: 'Failed to parse input at pos 37: <tool_call>\n{"name": "exec_command", "arguments": {"cmd": "cat',
} as const;

// ── template: "System message must be at the beginning" ────────────────────────────────────────

/** llama.cpp's conversion: `instructions` → first system message; developer/system items → system messages. */
export function systemMessageNotFirst(request: Record<string, unknown>): boolean {
  const roles: string[] = [];
  if (typeof request.instructions === 'string' && request.instructions) roles.push('system');
  for (const it of inputItems(request)) {
    const role = String(it.role ?? '');
    if (role) roles.push(role === 'developer' ? 'system' : role);
  }
  return roles.some((r, i) => r === 'system' && i > 0);
}

export type TemplateVariant = 'llamacpp-500' | 'llamacpp-400' | 'lmstudio-wrapped' | 'vllm';

/** A strict (Qwen-like) template: a system message anywhere but first raises. */
export function strictTemplateBrain(variant: TemplateVariant, inner: Brain = healthyBrain): Brain {
  return turn => {
    if (!systemMessageNotFirst(turn.request)) return inner(turn);
    switch (variant) {
      case 'llamacpp-500':
        return { kind: 'http', status: 500, body: llamaErr(500, TEXTS.jinjaSystem500, 'server_error') };
      case 'llamacpp-400':
        return { kind: 'http', status: 400, body: llamaErr(400, TEXTS.jinjaSystem400, 'invalid_request_error') };
      case 'lmstudio-wrapped':
        return {
          kind: 'http',
          status: 500,
          body: {
            error: `Engine protocol predict request returned 500: ${JSON.stringify(llamaErr(500, TEXTS.jinjaSystem500, 'server_error'))}`,
          },
        };
      case 'vllm':
        return { kind: 'http', status: 400, body: vllmErr('System message must be at the beginning.') };
    }
  };
}

// ── tools ──────────────────────────────────────────────────────────────────────────────────────

function tools(request: Record<string, unknown>): Item[] {
  return Array.isArray(request.tools) ? (request.tools as Item[]) : [];
}

/** Older llama.cpp builds (b8580): a Responses tool whose type is not `function` → 400. */
export function rejectNonFunctionToolsBrain(inner: Brain = healthyBrain): Brain {
  return turn => {
    if (turn.api === 'responses' && tools(turn.request).some(t => t.type !== 'function')) {
      return { kind: 'http', status: 400, body: llamaErr(400, TEXTS.toolTypeMustBeFunction, 'invalid_request_error') };
    }
    return inner(turn);
  };
}

export type ToolsVariant = 'ollama' | 'llamacpp-no-jinja' | 'vllm-no-parser';

/** The model or server refuses any request that carries tools. */
export function toolsUnsupportedBrain(variant: ToolsVariant, inner: Brain = healthyBrain): Brain {
  return turn => {
    if (!tools(turn.request).length) return inner(turn);
    switch (variant) {
      case 'ollama':
        return {
          kind: 'http',
          status: 400,
          body: ollamaV1Err(
            `registry.ollama.ai/library/${String(turn.request.model).replace(/:.*/, '')}:latest does not support tools`,
            'invalid_request_error',
          ),
        };
      case 'llamacpp-no-jinja':
        return { kind: 'http', status: 500, body: llamaErr(500, TEXTS.toolsNeedJinja, 'server_error') };
      case 'vllm-no-parser':
        return { kind: 'http', status: 400, body: vllmErr(TEXTS.vllmAutoToolChoice) };
    }
  };
}

// ── context ────────────────────────────────────────────────────────────────────────────────────

export type ContextVariant =
  | 'llamacpp-newest'
  | 'llamacpp-mid'
  | 'llamacpp-old'
  | 'vllm'
  | 'vllm-old-flat'
  | 'ollama'
  | 'lmstudio-wrapped'
  | 'ollama-silent-truncation';

/** A server whose context holds `nCtx` tokens (estimated as the scripted brain does: JSON chars / 4). */
export function contextBrain(nCtx: number, variant: ContextVariant, inner: Brain = healthyBrain): Brain {
  return async turn => {
    const n = estimateTokens(turn.request);
    if (n <= nCtx) return inner(turn);
    switch (variant) {
      case 'llamacpp-newest':
        return {
          kind: 'http',
          status: 400,
          body: llamaErr(400, TEXTS.llamaCtxNewest(n, nCtx), 'exceed_context_size_error', { n_prompt_tokens: n, n_ctx: nCtx }),
        };
      case 'llamacpp-mid':
        return {
          kind: 'http',
          status: 400,
          body: llamaErr(400, TEXTS.llamaCtxMid, 'exceed_context_size_error', { n_prompt_tokens: n, n_ctx: nCtx }),
        };
      case 'llamacpp-old':
        return { kind: 'http', status: 400, body: llamaErr(400, TEXTS.llamaCtxOld, 'invalid_request_error') };
      case 'vllm':
        return { kind: 'http', status: 400, body: vllmErr(TEXTS.vllmCtx(nCtx, n), 400, 'input_tokens') };
      case 'vllm-old-flat':
        return {
          kind: 'http',
          status: 400,
          body: { object: 'error', message: TEXTS.vllmCtxOld(nCtx, n), type: 'BadRequestError', param: null, code: 400 },
        };
      case 'ollama':
        return { kind: 'http', status: 400, body: ollamaV1Err(TEXTS.ollamaCtx, 'invalid_request_error') };
      case 'lmstudio-wrapped':
        return { kind: 'http', status: 400, body: { error: TEXTS.lmstudioCtx } };
      case 'ollama-silent-truncation': {
        // Ollama keeps going and reports what it actually kept.
        const reply = await inner(turn);
        return reply.kind === 'output' ? { ...reply, inputTokens: nCtx } : reply;
      }
    }
  };
}

// ── how the model uses tools ───────────────────────────────────────────────────────────────────

function lastUserText(request: Record<string, unknown>): string {
  const u = [...inputItems(request)].reverse().find(i => i.role === 'user');
  return textOf(u?.content);
}

function wantsFile(turn: BrainTurn): string | undefined {
  if (!toolNames(turn.request).length) return undefined;
  const items = inputItems(turn.request);
  if (items.some(i => i.type === 'function_call_output' || i.role === 'tool')) return undefined;
  return /(\/[\w./-]*[\w])/.exec(lastUserText(turn.request))?.[1];
}

export type AsTextStyle = 'json' | 'qwen-xml' | 'hermes' | 'shell';

/** The model writes the call into its text (ollama#13519, opencode#26162). */
export function toolCallAsTextBrain(style: AsTextStyle = 'json', inner: Brain = healthyBrain): Brain {
  return turn => {
    const path = wantsFile(turn);
    if (!path) return inner(turn);
    const text = {
      json: `{"name": "exec_command", "parameters": {"cmd": "cat ${path}"}}`,
      'qwen-xml': `<tool_call><function=exec_command><parameter=cmd>cat ${path}</parameter></function></tool_call>`,
      hermes: `<tool_call>{"name": "read_file", "arguments": {"path": "${path}"}}</tool_call>`,
      shell: `Let me look.\n\n\`\`\`bash\ncat ${path}\n\`\`\``,
    }[style];
    return { kind: 'output', items: [{ type: 'message', text }] };
  };
}

/** Prose, no call (llama.cpp#22786). */
export function noToolCallBrain(inner: Brain = healthyBrain): Brain {
  return turn =>
    wantsFile(turn)
      ? { kind: 'output', items: [{ type: 'message', text: 'Ciao. Ecco un riepilogo delle missioni attuali.' }] }
      : inner(turn);
}

/** Calls a tool, but reads the wrong thing; after "unsupported call" it gives up in prose. */
export function wrongArgumentsBrain(inner: Brain = healthyBrain): Brain {
  return turn => {
    const items = inputItems(turn.request);
    const last = items[items.length - 1];
    if (last?.type === 'function_call_output') return { kind: 'output', items: [{ type: 'message', text: 'I could not read the file.' }] };
    if (wantsFile(turn))
      return {
        kind: 'output',
        items: [{ type: 'function_call', name: 'exec_command', arguments: JSON.stringify({ cmd: 'cat /etc/hostname' }) }],
      };
    return inner(turn);
  };
}

/** Reads the file properly, then answers without its content. */
export function finalAnswerMismatchBrain(inner: Brain = healthyBrain): Brain {
  return async turn => {
    const items = inputItems(turn.request);
    const last = items[items.length - 1];
    if (last?.type === 'function_call_output')
      return { kind: 'output', items: [{ type: 'message', text: 'The file contains a random token.' }] };
    return inner(turn);
  };
}

/** A tool call llama.cpp could not parse: HTTP 500 "Failed to parse input at pos N" (llama.cpp#20532). */
export function unparsableToolCallBrain(inner: Brain = healthyBrain): Brain {
  return turn => (wantsFile(turn) ? { kind: 'http', status: 500, body: llamaErr(500, TEXTS.parseFailure, 'server_error') } : inner(turn));
}

// ── model presence ─────────────────────────────────────────────────────────────────────────────

export type ModelNotFoundVariant = 'ollama' | 'ollama-old' | 'vllm' | 'llamacpp-router';

/** Servers that check the `model` field (llama.cpp single-model mode does not). */
export function modelCheckingBrain(known: string[], variant: ModelNotFoundVariant, inner: Brain = healthyBrain): Brain {
  return turn => {
    const m = String(turn.request.model ?? '');
    if (known.includes(m) || known.includes(`${m}:latest`)) return inner(turn);
    switch (variant) {
      case 'ollama':
        return { kind: 'http', status: 404, body: ollamaV1Err(`model '${m}' not found`, 'not_found_error') };
      case 'ollama-old':
        return { kind: 'http', status: 404, body: { error: `model "${m}" not found, try pulling it first` } };
      case 'vllm':
        return { kind: 'http', status: 404, body: vllmErr(`The model \`${m}\` does not exist.`, 404, 'model') };
      case 'llamacpp-router':
        return { kind: 'http', status: 400, body: llamaErr(400, `model '${m}' not found`, 'invalid_request_error') };
    }
  };
}

// ── streams ────────────────────────────────────────────────────────────────────────────────────

const frame = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const created = (id = 'resp_1') => [
  frame('response.created', { response: { id, object: 'response', status: 'in_progress' } }),
  frame('response.in_progress', { response: { id, object: 'response', status: 'in_progress' } }),
];
const completedFrame = (text: string, id = 'resp_1') =>
  frame('response.completed', {
    response: {
      id,
      object: 'response',
      status: 'completed',
      output: [
        { id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] },
      ],
      usage: { input_tokens: 20, output_tokens: 3, total_tokens: 23 },
    },
  });

/** The brain's text for this turn (so the stream carries what a healthy model would say). */
async function healthyText(turn: BrainTurn): Promise<string> {
  const r = await healthyBrain(turn);
  return r.kind === 'output'
    ? r.items
        .filter(i => i.type === 'message')
        .map(i => (i as { text: string }).text)
        .join('')
    : 'OK';
}

export type StreamFault =
  | 'delta-without-added'
  | 'no-completed'
  | 'response-failed'
  | 'response-incomplete'
  | 'error-after-start'
  | 'error-after-start-context'
  | 'idle'
  | 'old-error-line'
  | 'json-instead-of-sse';

/** Streams (only streamed requests; JSON requests stay healthy) that break in one specific way. */
export function streamFaultBrain(fault: StreamFault): Brain {
  return async turn => {
    if (!turn.request.stream) return healthyBrain(turn);
    const text = await healthyText(turn);
    const item = {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text, annotations: [] }],
    };
    const deltas = [frame('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: text })];
    const added = frame('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } });
    switch (fault) {
      case 'delta-without-added':
        // No output_item.added and no output_item.done: Codex drops the deltas and prints nothing.
        return {
          kind: 'sse',
          frames: [
            ...created(),
            ...deltas,
            frame('response.output_text.done', { item_id: 'msg_1', text }),
            frame('response.completed', {
              response: {
                id: 'resp_1',
                object: 'response',
                status: 'completed',
                usage: { input_tokens: 20, output_tokens: 3, total_tokens: 23 },
              },
            }),
          ],
        };
      case 'no-completed':
        return { kind: 'sse', frames: [...created(), added, ...deltas, frame('response.output_item.done', { output_index: 0, item })] };
      case 'response-failed':
        return {
          kind: 'sse',
          frames: [
            ...created(),
            frame('response.failed', {
              response: {
                id: 'resp_1',
                object: 'response',
                status: 'failed',
                error: { code: 'server_error', message: 'The model crashed while generating.' },
              },
            }),
          ],
        };
      case 'response-incomplete':
        return {
          kind: 'sse',
          frames: [
            ...created(),
            added,
            ...deltas,
            frame('response.incomplete', {
              response: { id: 'resp_1', object: 'response', status: 'incomplete', incomplete_details: { reason: 'content_filter' } },
            }),
          ],
        };
      case 'error-after-start':
        return {
          kind: 'sse',
          frames: [...created(), added, `data: ${JSON.stringify(llamaErr(500, 'unknown error', 'server_error'))}\n\n`],
        };
      case 'error-after-start-context':
        return {
          kind: 'sse',
          frames: [
            ...created(),
            added,
            `data: ${JSON.stringify(llamaErr(400, TEXTS.llamaCtxNewest(20512, 16384), 'exceed_context_size_error', { n_prompt_tokens: 20512, n_ctx: 16384 }))}\n\n`,
          ],
        };
      case 'idle':
        return { kind: 'sse', frames: [...created(), added], hang: true };
      case 'old-error-line':
        // Very old llama.cpp streaming builds: HTTP 200 and a non-SSE `error:` line.
        return { kind: 'sse', frames: [`error: ${JSON.stringify(llamaErr(400, TEXTS.llamaCtxOld, 'invalid_request_error'))}\n\n`] };
      case 'json-instead-of-sse':
        return {
          kind: 'raw',
          status: 200,
          body: JSON.stringify({ id: 'resp_1', object: 'response', status: 'completed', output: [item] }),
          headers: { 'content-type': 'application/json' },
        };
    }
  };
}

/** A Responses stream that is well-formed: exported so tests can build variants. */
export function healthyStreamFrames(text: string): string[] {
  const item = {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    status: 'completed',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
  return [
    ...created(),
    frame('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }),
    frame('response.output_text.delta', { item_id: 'msg_1', output_index: 0, content_index: 0, delta: text }),
    frame('response.output_item.done', { output_index: 0, item }),
    completedFrame(text),
  ];
}

// ── whole-server behaviours (route overrides) ──────────────────────────────────────────────────

/** A build without /v1/responses: the server's own 404 for an unknown route (Ollama < 0.13.3: plain text). */
export function noResponsesApi(kind: ScriptedKind): RouteOverride {
  return (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'POST' && (path === '/v1/responses' || path === '/responses')) {
      notFound(kind, res);
      return true;
    }
    return false;
  };
}

/** A generic 500 with no useful text (llama.cpp's ex_wrapper for unknown exceptions). */
export function serverErrorOn(pathSuffix: string): RouteOverride {
  return (req, res) => {
    if (req.method === 'POST' && (req.url ?? '').endsWith(pathSuffix)) {
      sendJson(res, 500, llamaErr(500, 'unknown error', 'server_error'), { server: 'llama.cpp' });
      return true;
    }
    return false;
  };
}

/** 200 with a body that is not JSON. */
export function garbageOn(pathSuffix: string): RouteOverride {
  return (req, res) => {
    if ((req.url ?? '').endsWith(pathSuffix)) {
      sendText(res, 200, '<html>proxy error page</html>');
      return true;
    }
    return false;
  };
}

/** Holds the answer back longer than any test waits (timeouts). */
export function stallOn(pathSuffix: string): RouteOverride {
  return (req, res) => {
    if ((req.url ?? '').endsWith(pathSuffix)) {
      // Never answers; the socket is destroyed when the server closes.
      res.on('close', () => undefined);
      return true;
    }
    return false;
  };
}

export type { Brain, BrainReply, BrainTurn };
