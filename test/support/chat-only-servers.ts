// Servers that answer chat completions only, shaped as two real ones answer (no real part of either
// runs here: both need Python, mlx_lm.server needs Apple silicon). What each sends is read from its
// source; the scripted server's brain decides what the "model" says, these shapes say how it is sent.
//
// mlx_lm.server (ml-explore/mlx-lm mlx_lm/server.py at d78bf58, a BaseHTTPRequestHandler):
// - GET /v1/models: {"object":"list","data":[{"id","object":"model","created"}]} (handle_models_request);
// - POST anything but /v1/completions, /v1/chat/completions, /chat/completions: 404, Content-type
//   application/json, body `Not Found` (not JSON; do_POST); so /v1/responses is a 404;
// - a stream (generate_response with stream): every chunk {"id":"chatcmpl-<uuid4>","system_fingerprint",
//   "object":"chat.completion.chunk","model","created","choices":[{"index":0,"finish_reason",
//   "delta":{"role":"assistant",…}}]}: the role in every delta, content only when there is text, a
//   tool call whole in one delta ({"function":{"name","arguments"},"type":"function","id":<uuid4>,
//   "index"}, ToolCallFormatter), the last chunk with finish_reason "stop" or "tool_calls"; with
//   stream_options.include_usage a chunk {"object":"chat.completion","choices":[],"usage"}
//   (completion_usage_response); then `data: [DONE]`.
//
// llama-cpp-python's server (abetlen/llama-cpp-python llama_cpp/server/app.py and
// llama_chat_format.py at 3691546, FastAPI + sse_starlette with sep="\n"):
// - GET /v1/models: {"object":"list","data":[{"id","object":"model","owned_by":"me","permissions":[]}]};
// - an unknown path: FastAPI's 404 {"detail":"Not Found"};
// - a stream: `data: <json>\n\n` frames, `: ping - <time>` comments while it works (every 15 s), no
//   usage (it has no stream_options); text (_convert_text_completion_chunks_to_chat): a first delta
//   {"role":"assistant"}, then {"content"}, the last {} with finish_reason, each with "logprobs":null;
//   a tool call (_stream_response_to_function_stream): a first delta with role and null content,
//   function_call and tool_calls, then per piece role/content null and BOTH function_call and
//   tool_calls carrying the name and id again beside the piece of arguments, the last with
//   finish_reason "tool_calls" and everything null; then `data: [DONE]`.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { healthyBrain, type Brain, type BrainReply, type OutputItem } from './brain';
import { sendJson, type ScriptedModel, type ScriptedServerOptions } from './scripted-server';

export type ChatOnlyShape = 'mlx-lm' | 'llama-cpp-python';

type Obj = Record<string, unknown>;
const frame = (data: unknown) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
const pieces = (text: string) => text.match(/.{1,4}/gs) ?? [''];
type Call = Extract<OutputItem, { type: 'function_call' }>;

function mlxStream(items: OutputItem[], request: Obj): string {
  const head = {
    id: `chatcmpl-${randomUUID()}`,
    system_fingerprint: '0.31.0-0.29.2-macOS-15.6-arm64-arm-64bit-applegpu_g15s',
    object: 'chat.completion.chunk',
    model: String(request.model ?? ''),
    created: Math.floor(Date.now() / 1000),
  };
  const chunk = (delta: Obj, finish: string | null = null) =>
    frame({ ...head, choices: [{ index: 0, finish_reason: finish, delta: { role: 'assistant', ...delta } }] });
  let out = '';
  let index = 0;
  for (const item of items) {
    if (item.type === 'message') for (const p of pieces(item.text)) out += chunk({ content: p });
    else if (item.type === 'function_call')
      out += chunk({
        tool_calls: [{ function: { name: item.name, arguments: item.arguments }, type: 'function', id: randomUUID(), index: index++ }],
      });
  }
  out += chunk({}, index ? 'tool_calls' : 'stop');
  if ((request.stream_options as Obj | undefined)?.include_usage === true)
    out += frame({
      ...head,
      object: 'chat.completion',
      choices: [],
      usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 },
    });
  return out + frame('[DONE]');
}

function llamaCppPythonStream(items: OutputItem[], request: Obj): string {
  const cmpl = `cmpl-${randomUUID()}`;
  const head = {
    id: `chat${cmpl}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: String(request.model ?? ''),
  };
  const chunk = (delta: Obj, finish: string | null = null) =>
    frame({ ...head, choices: [{ index: 0, finish_reason: finish, logprobs: null, delta }] });
  let out = `: ping - ${new Date().toISOString().replace('T', ' ').slice(0, 26)}\n\n`;
  const call = items.find((i): i is Call => i.type === 'function_call');
  if (call) {
    const id = `call__0_${call.name}_${cmpl}`;
    out += chunk({ role: 'assistant', content: null, function_call: null, tool_calls: null });
    for (const p of pieces(call.arguments))
      out += chunk({
        role: null,
        content: null,
        function_call: { name: call.name, arguments: p },
        tool_calls: [{ index: 0, id, type: 'function', function: { name: call.name, arguments: p } }],
      });
    out += chunk({ role: null, content: null, function_call: null, tool_calls: null }, 'tool_calls');
  } else {
    out += chunk({ role: 'assistant' });
    for (const item of items) if (item.type === 'message') for (const p of pieces(item.text)) out += chunk({ content: p });
    out += chunk({}, 'stop');
  }
  return out + frame('[DONE]');
}

const SSE_HEADERS: Record<ChatOnlyShape, Record<string, string>> = {
  'mlx-lm': { 'Content-type': 'text/event-stream', 'Cache-Control': 'no-cache' },
  'llama-cpp-python': {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  },
};

/** The brain's answer to a streamed chat request, as the server sends it. */
function shapedBrain(shape: ChatOnlyShape, inner: Brain): Brain {
  return async turn => {
    const reply: BrainReply = await inner(turn);
    if (turn.api !== 'chat' || turn.request.stream !== true || reply.kind !== 'output') return reply;
    const body = shape === 'mlx-lm' ? mlxStream(reply.items, turn.request) : llamaCppPythonStream(reply.items, turn.request);
    return { kind: 'raw', status: 200, body, headers: SSE_HEADERS[shape] };
  };
}

function notFound(shape: ChatOnlyShape, res: ServerResponse): void {
  if (shape === 'llama-cpp-python') return sendJson(res, 404, { detail: 'Not Found' });
  res.writeHead(404, { 'Content-type': 'application/json' });
  res.end('Not Found');
}

function modelsBody(shape: ChatOnlyShape, models: ScriptedModel[]): unknown {
  const created = Math.floor(Date.now() / 1000);
  return {
    object: 'list',
    data: models.map(m =>
      shape === 'mlx-lm' ? { id: m.id, object: 'model', created } : { id: m.id, object: 'model', owned_by: 'me', permissions: [] },
    ),
  };
}

/** A scripted server answering as `shape` does: /v1/models and streamed chat completions in its shape, 404 elsewhere. */
export function chatOnlyServer(shape: ChatOnlyShape, models: ScriptedModel[], inner: Brain = healthyBrain): ScriptedServerOptions {
  return {
    kind: 'generic',
    models,
    brain: shapedBrain(shape, inner),
    overrides: [
      (req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (req.method === 'GET' && path === '/v1/models') {
          sendJson(res, 200, modelsBody(shape, models));
          return true;
        }
        if (req.method === 'POST' && (path === '/v1/chat/completions' || path === '/chat/completions')) return false;
        notFound(shape, res);
        return true;
      },
    ],
  };
}
