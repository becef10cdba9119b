// Anthropic Messages API (`/v1/messages`, `/v1/messages/count_tokens`) on the scripted servers, in the
// real servers' own wire formats, hooked into scripted-server.ts through its `overrides` option.
// Shapes read in the servers' sources:
// - llama.cpp tools/server/server-task.cpp: `to_json_anthropic` / `to_json_anthropic_stream` (final
//   chunk) and `server_task_result_cmpl_partial::to_json_anthropic` (message_start on the first token;
//   usage {cache_read_input_tokens, input_tokens, output_tokens}; thinking block first with an empty
//   signature_delta before it closes; no terminator). Errors keep llama.cpp's own body
//   {"error":{"code","message","type"}} (format_error_response), as before headers; idle pings `:`.
// - Ollama anthropic/anthropic.go @017eb8ae: `NewError` → {"type":"error","error":{"type","message"},
//   "request_id":"req_…"} with the type taken from the status; `StreamConverter.Process` (message_start
//   with usage.input_tokens, tool_use blocks sent whole as one input_json_delta, message_delta with
//   usage {input_tokens, output_tokens}); CountTokensResponse {"input_tokens"} estimated as len/4.
// - vLLM and LM Studio follow Anthropic's own error envelope {"type":"error","error":{…}} [unverified
//   beyond the docs]; their streams are modelled on Anthropic's reference sequence, with `ping`.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  sendJson,
  sendText,
  startScriptedServer,
  type RouteOverride,
  type ScriptedKind,
  type ScriptedServer,
  type ScriptedServerOptions,
} from './scripted-server';

type Json = Record<string, unknown>;

export type MessagesBlock =
  { type: 'text'; text: string } | { type: 'thinking'; thinking: string } | { type: 'tool_use'; name: string; input: Json; id?: string };

export type MessagesReply =
  | { kind: 'output'; blocks: MessagesBlock[]; stopReason?: 'end_turn' | 'tool_use' | 'max_tokens'; inputTokens?: number }
  /** An error as the server would send it before any stream begins: status + body. */
  | { kind: 'http'; status: number; body: unknown }
  | { kind: 'raw'; status: number; body: string; headers?: Record<string, string> }
  /** Hand-written SSE frames, `delayMs` apart; `hang` keeps the stream open. */
  | { kind: 'sse'; frames: string[]; delayMs?: number; hang?: boolean };

export interface MessagesTurn {
  request: Json;
  headers: IncomingMessage['headers'];
  server: ScriptedServer;
}

export type MessagesBrain = (turn: MessagesTurn) => MessagesReply | Promise<MessagesReply>;

export interface MessagesOptions {
  brain?: MessagesBrain;
  /** Serve /v1/messages at all (false: the server's own 404 for an unknown route). Default true. */
  messagesApi?: boolean;
  /** Serve /v1/messages/count_tokens. Default true. */
  countTokens?: boolean;
}

const rand = (n: number) => randomBytes(n).toString('hex').slice(0, n);

// ── reading a Messages request ────────────────────────────────────────────────────────────────

export function messagesOf(request: Json): Json[] {
  return Array.isArray(request.messages) ? (request.messages as Json[]) : [];
}

export function blocksOf(message: Json | undefined): Json[] {
  const c = message?.content;
  if (typeof c === 'string') return [{ type: 'text', text: c }];
  return Array.isArray(c) ? (c as Json[]) : [];
}

function textOfContent(c: unknown): string {
  if (typeof c === 'string') return c;
  if (Array.isArray(c))
    return c.map(p => (typeof p === 'string' ? p : typeof (p as Json).text === 'string' ? String((p as Json).text) : '')).join('');
  return '';
}

/** The user's own words in the last user message: its last text block (Claude Code puts <system-reminder> blocks first). */
export function lastUserText(request: Json): string {
  const u = [...messagesOf(request)].reverse().find(m => m.role === 'user');
  const texts = blocksOf(u).filter(
    b => b.type === 'text' && typeof b.text === 'string' && !String(b.text).trimStart().startsWith('<system-reminder>'),
  );
  return texts.length ? String(texts[texts.length - 1].text) : '';
}

export function toolNamesOf(request: Json): string[] {
  return (Array.isArray(request.tools) ? (request.tools as Json[]) : []).map(t => String(t.name ?? ''));
}

/** The tool_result blocks of the last user message (a round trip's second request). */
export function toolResultsOf(request: Json): Json[] {
  const msgs = messagesOf(request);
  const last = msgs[msgs.length - 1];
  return last?.role === 'user' ? blocksOf(last).filter(b => b.type === 'tool_result') : [];
}

/** Roughly what a server counts: system + messages + tools, about 4 characters a token (Ollama's own estimate). */
export function estimateMessagesTokens(request: Json): number {
  const parts = [request.system ?? '', request.messages ?? [], request.tools ?? []];
  return Math.ceil(parts.reduce<number>((n, p) => n + (typeof p === 'string' ? p.length : JSON.stringify(p).length), 0) / 4);
}

/** The text a tool returned, without the line numbers Claude Code's Read tool adds ("     1→…" or "1\t…"). */
export function toolResultText(block: Json): string {
  return textOfContent(block.content)
    .split('\n')
    .map(l => l.replace(/^\s*\d+(→|\t)/, ''))
    .join('\n')
    .trim();
}

/** A model that does what it is asked: "Reply with exactly: X" → X; a path → a tool call that reads it; a tool result → its text. */
export const healthyMessagesBrain: MessagesBrain = ({ request }) => {
  const inputTokens = estimateMessagesTokens(request);
  const results = toolResultsOf(request);
  if (results.length) return { kind: 'output', blocks: [{ type: 'text', text: results.map(toolResultText).join('\n') }], inputTokens };
  const text = lastUserText(request);
  const exact = /Reply with exactly:\s*(\S+)/.exec(text);
  if (exact) return { kind: 'output', blocks: [{ type: 'text', text: exact[1] }], inputTokens };
  const path = /(\/[\w./-]*[\w])/.exec(text)?.[1];
  const names = toolNamesOf(request);
  if (path) {
    if (names.includes('Read'))
      return {
        kind: 'output',
        blocks: [{ type: 'tool_use', name: 'Read', input: { file_path: path } }],
        stopReason: 'tool_use',
        inputTokens,
      };
    if (names.includes('read_file'))
      return { kind: 'output', blocks: [{ type: 'tool_use', name: 'read_file', input: { path } }], stopReason: 'tool_use', inputTokens };
    if (names.includes('Bash'))
      return {
        kind: 'output',
        blocks: [{ type: 'tool_use', name: 'Bash', input: { command: `cat ${path}`, description: 'Show the file' } }],
        stopReason: 'tool_use',
        inputTokens,
      };
  }
  return { kind: 'output', blocks: [{ type: 'text', text: 'OK' }], inputTokens };
};

// ── writing answers in each server's format ───────────────────────────────────────────────────

const LLAMA = { server: 'llama.cpp' };

function headersFor(kind: ScriptedKind): Record<string, string> {
  return kind === 'llamacpp' ? LLAMA : {};
}

/** An error in the server's own envelope for the Messages endpoints. */
export function messagesError(kind: ScriptedKind, status: number, message: string, llamaType?: string): unknown {
  if (kind === 'llamacpp') return { error: { code: status, message, type: llamaType ?? LLAMA_TYPES[status] ?? 'server_error' } };
  const type = ANTHROPIC_TYPES[status] ?? 'api_error';
  return { type: 'error', error: { type, message }, ...(kind === 'ollama' ? { request_id: `req_${rand(24)}` } : {}) };
}

const LLAMA_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  500: 'server_error',
  501: 'not_supported_error',
  503: 'unavailable_error',
};
const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  429: 'rate_limit_error',
  503: 'overloaded_error',
  529: 'overloaded_error',
};

interface Built {
  id: string;
  content: Json[];
  stopReason: string;
  inputTokens: number;
  outputTokens: number;
}

function build(kind: ScriptedKind, reply: Extract<MessagesReply, { kind: 'output' }>): Built {
  const content = reply.blocks.map((b): Json => {
    if (b.type === 'text') return { type: 'text', text: b.text };
    if (b.type === 'thinking') return { type: 'thinking', thinking: b.thinking, signature: '' };
    return { type: 'tool_use', id: b.id ?? (kind === 'ollama' ? `call_${rand(8)}` : rand(32)), name: b.name, input: b.input };
  });
  const outputTokens = reply.blocks.reduce((n, b) => n + Math.ceil(JSON.stringify(b).length / 4), 0);
  const stopReason = reply.stopReason ?? (reply.blocks.some(b => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
  return {
    id: kind === 'llamacpp' ? `chatcmpl-${rand(32)}` : `msg_${rand(24)}`,
    content,
    stopReason,
    inputTokens: reply.inputTokens ?? 10,
    outputTokens,
  };
}

function writeJson(res: ServerResponse, kind: ScriptedKind, reply: Extract<MessagesReply, { kind: 'output' }>, model: string): void {
  const b = build(kind, reply);
  const usage =
    kind === 'llamacpp'
      ? { cache_read_input_tokens: 0, input_tokens: b.inputTokens, output_tokens: b.outputTokens }
      : { input_tokens: b.inputTokens, output_tokens: b.outputTokens };
  sendJson(
    res,
    200,
    { id: b.id, type: 'message', role: 'assistant', content: b.content, model, stop_reason: b.stopReason, stop_sequence: null, usage },
    headersFor(kind),
  );
}

export const sseFrame = (type: string, data: Json) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** The event sequence of a healthy stream for these blocks, in the server's format. */
export function messagesStreamFrames(kind: ScriptedKind, reply: Extract<MessagesReply, { kind: 'output' }>, model: string): string[] {
  const b = build(kind, reply);
  const frames: string[] = [];
  const startUsage =
    kind === 'llamacpp'
      ? { cache_read_input_tokens: 0, input_tokens: b.inputTokens, output_tokens: 0 }
      : { input_tokens: b.inputTokens, output_tokens: 0 };
  frames.push(
    sseFrame('message_start', {
      message: {
        id: b.id,
        type: 'message',
        role: 'assistant',
        content: [],
        model,
        stop_reason: null,
        stop_sequence: null,
        usage: startUsage,
      },
    }),
  );
  if (kind === 'vllm' || kind === 'lmstudio' || kind === 'generic') frames.push(sseFrame('ping', {}));
  b.content.forEach((block, index) => {
    if (block.type === 'text') {
      frames.push(sseFrame('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      for (const piece of String(block.text).match(/[\s\S]{1,6}/g) ?? [])
        frames.push(sseFrame('content_block_delta', { index, delta: { type: 'text_delta', text: piece } }));
    } else if (block.type === 'thinking') {
      frames.push(sseFrame('content_block_start', { index, content_block: { type: 'thinking', thinking: '' } }));
      frames.push(sseFrame('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: block.thinking } }));
      frames.push(sseFrame('content_block_delta', { index, delta: { type: 'signature_delta', signature: '' } }));
    } else {
      frames.push(
        sseFrame('content_block_start', {
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, ...(kind === 'ollama' ? { input: {} } : {}) },
        }),
      );
      const json = JSON.stringify(block.input);
      // Ollama sends the arguments whole; llama.cpp as they are generated.
      const pieces = kind === 'ollama' ? [json] : (json.match(/[\s\S]{1,8}/g) ?? [json]);
      for (const p of pieces) frames.push(sseFrame('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: p } }));
    }
    frames.push(sseFrame('content_block_stop', { index }));
  });
  const deltaUsage = kind === 'ollama' ? { input_tokens: b.inputTokens, output_tokens: b.outputTokens } : { output_tokens: b.outputTokens };
  frames.push(sseFrame('message_delta', { delta: { stop_reason: b.stopReason, stop_sequence: null }, usage: deltaUsage }));
  frames.push(sseFrame('message_stop', {}));
  return frames;
}

function writeSse(res: ServerResponse, kind: ScriptedKind, frames: string[], delayMs = 0, hang = false): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    ...(kind === 'llamacpp' ? { ...LLAMA, 'x-accel-buffering': 'no' } : {}),
  });
  let i = 0;
  const next = () => {
    if (res.destroyed) return;
    if (i < frames.length) {
      res.write(frames[i++]);
      if (delayMs) setTimeout(next, delayMs);
      else next();
    } else if (!hang) res.end();
  };
  next();
}

/** The unknown-route 404 each server sends (for a build without the Messages API). */
function notFoundBody(kind: ScriptedKind, res: ServerResponse): void {
  switch (kind) {
    case 'llamacpp':
      return sendJson(res, 404, { error: { message: 'File Not Found', type: 'not_found_error', code: 404 } }, LLAMA);
    case 'ollama':
      return sendText(res, 404, '404 page not found');
    case 'vllm':
      return sendJson(res, 404, { detail: 'Not Found' });
    default:
      return sendJson(res, 404, { error: { message: 'Unexpected endpoint or method.', type: 'invalid_request_error' } });
  }
}

function authorized(req: IncomingMessage, key: string | undefined): boolean {
  if (!key) return true;
  // llama.cpp accepts either header; so do the others' Anthropic layers.
  return req.headers.authorization === `Bearer ${key}` || req.headers['x-api-key'] === key;
}

/** The route override that adds the Messages API to a scripted server. */
export function messagesRoute(o: MessagesOptions = {}): RouteOverride {
  return async (req, res, body, server) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || (path !== '/v1/messages' && path !== '/v1/messages/count_tokens')) return false;
    const kind = server.kind;
    if (o.messagesApi === false) {
      notFoundBody(kind, res);
      return true;
    }
    if (!authorized(req, server.options.apiKey)) {
      if (kind === 'llamacpp')
        sendJson(res, 401, { error: { message: 'Invalid API Key', type: 'authentication_error', code: 401 } }, LLAMA);
      else if (kind === 'vllm') sendJson(res, 401, { error: 'Unauthorized' });
      else sendJson(res, 401, messagesError(kind, 401, 'Invalid API key'));
      return true;
    }
    let request: Json;
    try {
      request = JSON.parse(body) as Json;
    } catch {
      sendJson(res, 400, messagesError(kind, 400, 'Invalid JSON body'), headersFor(kind));
      return true;
    }
    if (path.endsWith('/count_tokens')) {
      if (o.countTokens === false) notFoundBody(kind, res);
      else sendJson(res, 200, { input_tokens: estimateMessagesTokens(request) }, headersFor(kind));
      return true;
    }
    const reply = await (o.brain ?? healthyMessagesBrain)({ request, headers: req.headers, server });
    const model = kind === 'llamacpp' ? (server.options.models?.[0]?.id ?? String(request.model ?? '')) : String(request.model ?? '');
    if (reply.kind === 'http') sendJson(res, reply.status, reply.body, headersFor(kind));
    else if (reply.kind === 'raw') {
      res.writeHead(reply.status, reply.headers ?? {});
      res.end(reply.body);
    } else if (reply.kind === 'sse') writeSse(res, kind, reply.frames, reply.delayMs, reply.hang);
    else if (request.stream) writeSse(res, kind, messagesStreamFrames(kind, reply, model));
    else writeJson(res, kind, reply, model);
    return true;
  };
}

/** A scripted server that also speaks the Messages API. */
export function startMessagesServer(options: ScriptedServerOptions & { messages?: MessagesOptions }): Promise<ScriptedServer> {
  const { messages, ...rest } = options;
  return startScriptedServer({ ...rest, overrides: [...(rest.overrides ?? []), messagesRoute(messages)] });
}
