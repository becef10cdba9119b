// Writes a brain's answer in each server's own wire format (local-servers.md): llama.cpp has no
// sequence_number and no output_index, names a call `fc_X` with call_id `call_X`, and closes every
// item only in its last chunk (tools/server/server-task.cpp; test/real/llama-wire.test.ts holds this to
// the real server); Ollama numbers its events and prefixes ids.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { BrainReply, OutputItem } from './brain';
import type { ScriptedKind } from './scripted-server';

const rand = (n: number) => randomBytes(n).toString('hex').slice(0, n);

interface Built {
  id: string;
  items: Record<string, unknown>[];
  usage: { input_tokens: number; output_tokens: number; total_tokens: number; input_tokens_details?: { cached_tokens: number } };
}

function build(kind: ScriptedKind, reply: Extract<BrainReply, { kind: 'output' }>): Built {
  const id = kind === 'ollama' ? `resp_${Math.floor(Math.random() * 999999)}` : `resp_${rand(32)}`;
  const items = reply.items.map((it, i) => toItem(kind, it, id, i));
  const out = reply.items.reduce((n, it) => n + Math.ceil(('text' in it ? it.text : it.arguments).length / 4), 0);
  const inp = reply.inputTokens ?? 10;
  const usage = { input_tokens: inp, output_tokens: out, total_tokens: inp + out };
  return { id, items, usage: kind === 'llamacpp' ? { ...usage, input_tokens_details: { cached_tokens: 0 } } : usage };
}

function toItem(kind: ScriptedKind, it: OutputItem, respId: string, i: number): Record<string, unknown> {
  switch (it.type) {
    case 'message':
      return {
        id: `msg_${rand(32)}`,
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', annotations: [], logprobs: [], text: it.text }],
      };
    case 'reasoning':
      return {
        id: `rs_${rand(32)}`,
        type: 'reasoning',
        summary: [],
        content: [{ type: 'reasoning_text', text: it.text }],
        encrypted_content: '',
        status: 'completed',
      };
    case 'function_call': {
      if (kind === 'llamacpp') {
        const x = rand(32);
        return {
          id: `fc_${x}`,
          type: 'function_call',
          status: 'completed',
          arguments: it.arguments,
          call_id: it.callId ?? `call_${x}`,
          name: it.name,
          ...(it.namespace ? { namespace: it.namespace } : {}),
        };
      }
      const callId = it.callId ?? (kind === 'ollama' ? `call_${rand(8)}` : `fc_${rand(32)}`);
      return {
        id: `fc_${respId}_${i}`,
        type: 'function_call',
        status: 'completed',
        arguments: it.arguments,
        call_id: callId,
        name: it.name,
        ...(it.namespace ? { namespace: it.namespace } : {}),
      };
    }
  }
}

export function writeResponsesJson(
  res: ServerResponse,
  kind: ScriptedKind,
  reply: Extract<BrainReply, { kind: 'output' }>,
  req: Record<string, unknown>,
): void {
  const b = build(kind, reply);
  const now = Math.floor(Date.now() / 1000);
  const body = {
    id: b.id,
    object: 'response',
    created_at: now,
    completed_at: now,
    status: 'completed',
    model: String(req.model ?? ''),
    output: b.items,
    usage: b.usage,
  };
  const text = JSON.stringify(body);
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...(kind === 'llamacpp' ? { server: 'llama.cpp' } : {}),
  });
  res.end(text);
}

/**
 * `promptDelayMs`: the prompt's processing time, spent where the server spends it, which decides what
 * a client's idle timer sees: llama.cpp reads the first result before any header goes out
 * (local-servers.md, handle_completions_impl); vLLM answers 200 and sends response.created and
 * response.in_progress before the engine runs the prompt (vllm/entrypoints/openai/responses/serving.py,
 * responses_stream_generator). Other kinds: before the headers, like llama.cpp (not observed).
 */
export async function writeResponsesSse(
  res: ServerResponse,
  kind: ScriptedKind,
  reply: BrainReply,
  req: Record<string, unknown>,
  promptDelayMs = 0,
): Promise<void> {
  const processPrompt = () => new Promise(r => setTimeout(r, promptDelayMs));
  if (promptDelayMs && kind !== 'vllm') await processPrompt();
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    ...(kind === 'llamacpp' ? { server: 'llama.cpp', 'x-accel-buffering': 'no' } : {}),
  });
  if (reply.kind === 'sse') {
    let i = 0;
    const next = () => {
      if (i < reply.frames.length) {
        res.write(reply.frames[i++]);
        setTimeout(next, reply.delayMs ?? 0);
      } else if (!reply.hang) res.end();
    };
    return next();
  }
  if (reply.kind !== 'output') return void res.end();
  const b = build(kind, reply);
  if (kind === 'llamacpp') return writeLlamaResponsesSse(res, b, String(req.model ?? ''));
  let seq = 0;
  const send = (type: string, data: Record<string, unknown>) => {
    const payload = kind === 'ollama' || kind === 'vllm' ? { type, ...data, sequence_number: seq++ } : { type, ...data };
    res.write(`event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`);
  };
  const model = String(req.model ?? '');
  const shell = { id: b.id, object: 'response', status: 'in_progress' };
  send('response.created', { response: shell });
  send('response.in_progress', { response: shell });
  if (promptDelayMs && kind === 'vllm') await processPrompt();
  b.items.forEach((item, index) => {
    if (item.type === 'message') {
      const text = (item.content as { text: string }[])[0].text;
      send('response.output_item.added', { output_index: index, item: { ...item, status: 'in_progress', content: [] } });
      send('response.content_part.added', {
        item_id: item.id,
        output_index: index,
        content_index: 0,
        part: { type: 'output_text', text: '' },
      });
      // Split into a few deltas like a real model.
      for (const piece of text.match(/.{1,4}/gs) ?? [''])
        send('response.output_text.delta', { item_id: item.id, output_index: index, content_index: 0, delta: piece });
      send('response.output_text.done', { item_id: item.id, output_index: index, content_index: 0, text });
      send('response.content_part.done', {
        item_id: item.id,
        output_index: index,
        content_index: 0,
        part: { type: 'output_text', annotations: [], logprobs: [], text },
      });
      send('response.output_item.done', { output_index: index, item });
    } else if (item.type === 'function_call') {
      send('response.output_item.added', { output_index: index, item: { ...item, arguments: '', status: 'in_progress' } });
      send('response.function_call_arguments.delta', { item_id: item.id ?? item.call_id, output_index: index, delta: item.arguments });
      send('response.output_item.done', { output_index: index, item });
    } else {
      send('response.output_item.added', { output_index: index, item: { ...item, content: [], status: 'in_progress' } });
      send('response.output_item.done', { output_index: index, item });
    }
  });
  send('response.completed', {
    response: {
      id: b.id,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status: 'completed',
      model,
      output: b.items,
      usage: b.usage,
    },
  });
  res.end();
}

export function writeChatCompletion(res: ServerResponse, kind: ScriptedKind, reply: BrainReply, req: Record<string, unknown>): void {
  if (reply.kind !== 'output') {
    res.writeHead(500);
    return void res.end();
  }
  if (req.stream) return writeChatCompletionSse(res, kind, reply, req);
  const text = reply.items
    .filter(i => i.type === 'message')
    .map(i => (i as { text: string }).text)
    .join('');
  const calls = reply.items
    .filter((i): i is Extract<OutputItem, { type: 'function_call' }> => i.type === 'function_call')
    .map(c => ({
      id: c.callId ?? (kind === 'ollama' ? `call_${rand(8)}` : rand(32)),
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
  const message: Record<string, unknown> = { role: 'assistant', content: calls.length ? null : text };
  if (calls.length) message.tool_calls = calls;
  const body = {
    id: `chatcmpl-${rand(16)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: String(req.model ?? ''),
    choices: [{ index: 0, finish_reason: calls.length ? 'tool_calls' : 'stop', message }],
    usage: { prompt_tokens: reply.inputTokens ?? 10, completion_tokens: 5, total_tokens: (reply.inputTokens ?? 10) + 5 },
  };
  const t = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(t) });
  res.end(t);
}

/** Split into a few deltas like a real model. */
const pieces = (text: string) => text.match(/.{1,4}/gs) ?? [''];

/**
 * A streamed Chat Completion as llama-server sends it (recorded from the pinned build): a first chunk
 * with the role, content deltas, each call's id and name in its first piece and its arguments in
 * pieces after, a last chunk with `finish_reason` and empty delta, then `data: [DONE]`.
 */
function writeChatCompletionSse(
  res: ServerResponse,
  kind: ScriptedKind,
  reply: Extract<BrainReply, { kind: 'output' }>,
  req: Record<string, unknown>,
): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    ...(kind === 'llamacpp' ? { server: 'llama.cpp' } : {}),
  });
  const id = `chatcmpl-${rand(16)}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
    res.write(
      `data: ${JSON.stringify({ choices: [{ finish_reason: finish, index: 0, delta }], created, id, model: String(req.model ?? ''), object: 'chat.completion.chunk' })}\n\n`,
    );
  chunk({ role: 'assistant', content: null });
  let calls = 0;
  for (const item of reply.items) {
    if (item.type === 'message') for (const p of pieces(item.text)) chunk({ content: p });
    else if (item.type === 'function_call') {
      const index = calls++;
      chunk({ tool_calls: [{ index, id: item.callId ?? rand(32), type: 'function', function: { name: item.name, arguments: '' } }] });
      for (const p of pieces(item.arguments)) chunk({ tool_calls: [{ index, function: { arguments: p } }] });
    }
  }
  chunk({}, calls ? 'tool_calls' : 'stop');
  // Asked for (stream_options.include_usage), the usage comes in a last chunk without choices, as
  // llama-server and OpenAI send it.
  const streamOptions = req.stream_options as { include_usage?: unknown } | undefined;
  if (streamOptions?.include_usage === true) {
    const usage = { completion_tokens: 5, prompt_tokens: reply.inputTokens ?? 10, total_tokens: (reply.inputTokens ?? 10) + 5 };
    res.write(
      `data: ${JSON.stringify({ choices: [], created, id, model: String(req.model ?? ''), object: 'chat.completion.chunk', usage })}\n\n`,
    );
  }
  res.write('data: [DONE]\n\n');
  res.end();
}

/** llama-server's order: items open and stream as tokens arrive; its final chunk closes them all
 * (reasoning, then the message, then each call) and completes, with `timings` beside `response`. */
function writeLlamaResponsesSse(res: ServerResponse, b: Built, model: string): void {
  const send = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  const shell = { id: b.id, object: 'response', status: 'in_progress' };
  send('response.created', { response: shell });
  send('response.in_progress', { response: shell });
  const textOf = (item: Record<string, unknown>) => (item.content as { text: string }[])[0].text;
  for (const item of b.items) {
    if (item.type === 'reasoning') {
      send('response.output_item.added', {
        item: { id: item.id, summary: [], type: 'reasoning', content: [], encrypted_content: '', status: 'in_progress' },
      });
      for (const delta of pieces(textOf(item))) send('response.reasoning_text.delta', { delta, item_id: item.id });
    } else if (item.type === 'message') {
      send('response.output_item.added', { item: { content: [], id: item.id, role: 'assistant', status: 'in_progress', type: 'message' } });
      send('response.content_part.added', { item_id: item.id, part: { type: 'output_text', text: '' } });
      for (const delta of pieces(textOf(item))) send('response.output_text.delta', { item_id: item.id, delta });
    } else {
      send('response.output_item.added', {
        item: { id: item.id, arguments: '', call_id: item.call_id, name: item.name, type: 'function_call', status: 'in_progress' },
      });
      for (const delta of pieces(String(item.arguments))) send('response.function_call_arguments.delta', { delta, item_id: item.id });
    }
  }
  const output: Record<string, unknown>[] = [];
  for (const item of b.items.filter(i => i.type === 'reasoning')) {
    const { status: _status, ...done } = item;
    send('response.output_item.done', { item: done });
    output.push(done);
  }
  for (const item of b.items.filter(i => i.type === 'message')) {
    const part = (item.content as Record<string, unknown>[])[0];
    send('response.output_text.done', { item_id: item.id, text: textOf(item) });
    send('response.content_part.done', { item_id: item.id, part });
    send('response.output_item.done', { item });
    output.push(item);
  }
  for (const item of b.items.filter(i => i.type === 'function_call')) {
    send('response.output_item.done', { item });
    output.push(item);
  }
  const timings = { cache_n: 0, prompt_n: b.usage.input_tokens, prompt_ms: 1, predicted_n: b.usage.output_tokens, predicted_ms: 1 };
  send('response.completed', {
    response: {
      id: b.id,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status: 'completed',
      model,
      output,
      usage: b.usage,
    },
    timings,
  });
  res.end();
}
