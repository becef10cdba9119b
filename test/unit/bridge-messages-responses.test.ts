// The route bridge's Messages adapter over the Responses API (Claude Code on a server that has
// /v1/responses and neither chat completions nor /v1/messages), without a socket: the request as
// Responses input items llama.cpp's /v1/responses takes, the Responses events (in llama.cpp's own
// order: no ids on function calls, every output_item.done at the end) as the Messages events Claude
// Code reads, read back by the verifier's own MessagesStreamReader; the whole answer; failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REPAIRS, type ChatRequestPlan, type RepairSwitches } from '../../src/core/bridge/adapter';
import { COUNT_TOKENS_PATH, MESSAGES_PATH, messagesOverResponsesAdapter } from '../../src/core/bridge/messages';
import { MessagesStreamReader } from '../../src/core/claude/verify/messagesStream';
import { SseParser } from '../../src/core/net/sse';
import { claudeShapedRequest } from '../../src/core/claude/verify/shape';
import { bridgeAdapters } from '../../src/core/bridge/decide';
import { bridgeCommand } from '../../src/cli/bridge';
import { UsageError } from '../../src/cli/io';

type Obj = Record<string, unknown>;

const ids = () => {
  let n = 0;
  return (prefix: string) => `${prefix}_${n++}`;
};
const adapter = () => messagesOverResponsesAdapter(ids());

function plan(request: Obj, repairs: RepairSwitches = DEFAULT_REPAIRS): ChatRequestPlan {
  const r = adapter().plan(request, repairs);
  assert.ok(r.ok, JSON.stringify(r));
  return r.plan;
}
const bodyOf = (request: Obj, repairs?: RepairSwitches) => plan(request, repairs).body as Obj & { input: Obj[] };

/** The SSE text → its events as objects. */
function events(text: string): Obj[] {
  const p = new SseParser();
  return [...p.push(text), ...p.end()].map(e => {
    const data = JSON.parse(e.data) as Obj;
    assert.equal(e.event, data.type, 'the event: line names the data type');
    return data;
  });
}

/** The translated stream as the verifier's reader (Claude Code's way of reading it) sees it. */
function read(text: string) {
  const reader = new MessagesStreamReader();
  const p = new SseParser();
  for (const e of [...p.push(text), ...p.end()]) reader.accept(e);
  return reader.end();
}

test('the adapter serves /v1/messages for Claude Code, asks the upstream’s /responses, answers count_tokens itself', () => {
  const a = adapter();
  assert.equal(a.agent, 'claude');
  assert.equal(a.path, MESSAGES_PATH);
  assert.equal(a.upstreamPath, '/responses');
  assert.ok(!a.passThrough);
  assert.ok(a.local?.[COUNT_TOKENS_PATH]);
  assert.deepEqual(a.errorBody(404, 'no'), { type: 'error', error: { type: 'not_found_error', message: 'no' } });
  assert.deepEqual(a.errorHeaders?.(502), { 'x-should-retry': 'false' });
  assert.deepEqual(a.errorHeaders?.(503), {});
});

test('bridgeAdapters: each agent’s side over the API named for it; the CLI takes --claude-upstream-api chat|responses', async () => {
  const paths = (a: ReturnType<typeof bridgeAdapters>) => a.map(x => `${x.agent} ${x.path} → ${x.upstreamPath ?? '/chat/completions'}`);
  assert.deepEqual(paths(bridgeAdapters()), ['codex /v1/responses → /chat/completions', 'claude /v1/messages → /chat/completions']);
  assert.deepEqual(paths(bridgeAdapters({ claude: 'responses' })), [
    'codex /v1/responses → /chat/completions',
    'claude /v1/messages → /responses',
  ]);
  assert.deepEqual(paths(bridgeAdapters({ codex: 'responses', claude: 'responses' })), [
    'codex /v1/responses → /responses',
    'claude /v1/messages → /responses',
  ]);
  assert.match(bridgeCommand.help, /--claude-upstream-api API/);
  const io = { out: () => undefined, err: () => undefined, env: {}, cwd: '/' };
  await assert.rejects(
    bridgeCommand.run(['--upstream', 'http://127.0.0.1:9/v1', '--claude-upstream-api', 'messages'], io),
    (e: unknown) => e instanceof UsageError && /--claude-upstream-api takes chat or responses; not "messages"/.test(e.message),
  );
});

test('system (text blocks) and Claude Code’s system message inside messages → one `instructions`, with a note; sampling and budget mapped', () => {
  const p = plan({
    model: 'local/model',
    system: [
      { type: 'text', text: 'You are Claude Code.' },
      { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } },
    ],
    messages: [
      { role: 'user', content: 'hi' },
      { role: 'system', content: 'Today is Monday.' },
      { role: 'assistant', content: 'Hello.' },
      { role: 'user', content: [{ type: 'text', text: 'again' }] },
    ],
    max_tokens: 512,
    temperature: 0.2,
    top_p: 0.9,
    top_k: 20,
    stop_sequences: ['END'],
    stream: true,
    metadata: { user_id: 'x' },
    thinking: { type: 'enabled', budget_tokens: 1000 },
  });
  const b = p.body;
  assert.equal(b.instructions, 'You are Claude Code.\nBe brief.\n\nToday is Monday.');
  assert.deepEqual(b.input, [
    { type: 'message', role: 'user', content: 'hi' },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello.', annotations: [] }], status: 'completed' },
    { type: 'message', role: 'user', content: 'again' },
  ]);
  assert.equal(b.model, 'local/model');
  assert.equal(b.max_output_tokens, 512);
  assert.equal(b.temperature, 0.2);
  assert.equal(b.top_p, 0.9);
  assert.equal(b.stream, true);
  assert.equal(b.store, false);
  for (const k of ['top_k', 'stop', 'stop_sequences', 'max_tokens', 'messages', 'system', 'metadata', 'thinking', 'stream_options'])
    assert.ok(!(k in b), `${k} not sent`);
  assert.deepEqual(
    p.notes.map(n => n.code),
    ['system-in-messages-joined', 'stop-sequences-dropped', 'top-k-dropped'],
  );
  assert.equal(p.stream, true);
  // With the repair off the late system message stays where Claude Code put it.
  const off = bodyOf(
    {
      model: 'm',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'system', content: 'late' },
      ],
    },
    { ...DEFAULT_REPAIRS, lateSystem: false },
  );
  assert.equal(off.instructions, undefined);
  assert.deepEqual(off.input[1], { type: 'message', role: 'system', content: 'late' });
});

test('tool round trip: thinking → a reasoning item, tool_use → function_call (call_id = its id), tool_result → function_call_output before the user’s text', () => {
  const b = bodyOf({
    model: 'm',
    messages: [
      { role: 'user', content: 'read a' },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'I should read it.', signature: '' },
          { type: 'text', text: 'Reading.' },
          { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/a' } },
          { type: 'tool_use', id: 'toolu_2', name: 'Read', input: { file_path: '/b' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'A' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'no such file' }], is_error: true },
          { type: 'text', text: 'and?' },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_3', name: 'Bash', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_3', content: '' }] },
    ],
  });
  assert.deepEqual(b.input, [
    { type: 'message', role: 'user', content: 'read a' },
    { type: 'reasoning', id: 'rs_0', summary: [], content: [{ type: 'reasoning_text', text: 'I should read it.' }], status: 'completed' },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Reading.', annotations: [] }], status: 'completed' },
    { type: 'function_call', call_id: 'toolu_1', name: 'Read', arguments: '{"file_path":"/a"}', status: 'completed' },
    { type: 'function_call', call_id: 'toolu_2', name: 'Read', arguments: '{"file_path":"/b"}', status: 'completed' },
    { type: 'function_call_output', call_id: 'toolu_1', output: 'A' },
    { type: 'function_call_output', call_id: 'toolu_2', output: 'Error: no such file' },
    { type: 'message', role: 'user', content: 'and?' },
    // A turn with only a call: no empty assistant message before it.
    { type: 'function_call', call_id: 'toolu_3', name: 'Bash', arguments: '{}', status: 'completed' },
    { type: 'function_call_output', call_id: 'toolu_3', output: '' },
  ]);
});

test('images: a user image as input_image (base64 as a data: URL); in a tool result a line of text with a note, or kept with the repair off', () => {
  const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } };
  const request = {
    model: 'm',
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'look' }, image] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Read', input: { file_path: '/i.png' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'the image:' }, image] }] },
    ],
  };
  const p = plan(request);
  const input = (p.body as { input: Obj[] }).input;
  assert.deepEqual(input[0], {
    type: 'message',
    role: 'user',
    content: [
      { type: 'input_text', text: 'look' },
      { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'auto' },
    ],
  });
  const out = input[2] as Obj;
  assert.equal(out.type, 'function_call_output');
  assert.equal(typeof out.output, 'string', 'llama.cpp takes only text in a function_call_output');
  assert.match(out.output as string, /^the image:\n\[an image was here/);
  assert.deepEqual(
    p.notes.map(n => n.code),
    ['image-in-tool-result-as-text'],
  );
  const kept = bodyOf(request, { ...DEFAULT_REPAIRS, imageInToolResult: 'keep' }).input[2] as Obj;
  assert.deepEqual(kept.output, [
    { type: 'input_text', text: 'the image:' },
    { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'auto' },
  ]);
});

test('tools: flat Responses function tools (input_schema → parameters); server tools left out with a note; tool_choice mapped', () => {
  const tools = [
    { name: 'Read', description: 'Reads a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } },
    { name: 'Bare' },
    { type: 'web_search_20250305', name: 'web_search' },
  ];
  const p = plan({ model: 'm', messages: [{ role: 'user', content: 'x' }], tools });
  assert.deepEqual(p.body.tools, [
    {
      type: 'function',
      name: 'Read',
      description: 'Reads a file',
      parameters: { type: 'object', properties: { file_path: { type: 'string' } } },
    },
    { type: 'function', name: 'Bare', parameters: { type: 'object', properties: {} } },
  ]);
  assert.deepEqual(
    p.notes.map(n => n.code),
    ['hosted-tools-dropped'],
  );
  const choice = (c: Obj) => {
    const b = bodyOf({ model: 'm', messages: [{ role: 'user', content: 'x' }], tools, tool_choice: c });
    return { tool_choice: b.tool_choice, parallel_tool_calls: b.parallel_tool_calls };
  };
  assert.deepEqual(choice({ type: 'auto' }), { tool_choice: 'auto', parallel_tool_calls: undefined });
  assert.deepEqual(choice({ type: 'any', disable_parallel_tool_use: true }), { tool_choice: 'required', parallel_tool_calls: false });
  assert.deepEqual(choice({ type: 'tool', name: 'Read' }), {
    tool_choice: { type: 'function', name: 'Read' },
    parallel_tool_calls: undefined,
  });
  assert.deepEqual(choice({ type: 'none' }), { tool_choice: 'none', parallel_tool_calls: undefined });
});

test('a request that is not a Messages request is refused with a 400', () => {
  for (const bad of [[], { messages: [] }, { model: 'm' }, 'x']) {
    const r = adapter().plan(bad, DEFAULT_REPAIRS);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.status, 400);
  }
});

test('a Claude-Code-shaped request plans whole: every tool, the reminder kept in instructions', () => {
  const request = claudeShapedRequest({ model: 'local/model', marker: 'OK', cwd: '/w', thinking: true, maxTokens: 32_000 }) as Obj;
  const p = plan(request);
  const b = p.body as Obj & { input: Obj[]; tools: Obj[] };
  assert.equal(b.tools.length, (request.tools as unknown[]).length);
  assert.ok(b.tools.every(t => t.type === 'function' && typeof t.name === 'string' && typeof t.parameters === 'object'));
  assert.ok(typeof b.instructions === 'string' && b.instructions.length > 1000);
  assert.ok(
    b.input.every(i => i.role !== 'system'),
    'no system item left in the input (one leading system message)',
  );
});

/** llama.cpp's /v1/responses stream for reasoning, text and a tool call, in its own order and shapes. */
function llamaToolStream(): Obj[] {
  const resp = { id: 'resp_x', object: 'response', status: 'in_progress' };
  const call = { type: 'function_call', status: 'in_progress', arguments: '', call_id: 'fc_abc', name: 'Read' };
  return [
    { type: 'response.created', response: resp },
    { type: 'response.in_progress', response: resp },
    {
      type: 'response.output_item.added',
      item: { id: 'rs_1', summary: [], type: 'reasoning', content: [], encrypted_content: '', status: 'in_progress' },
    },
    { type: 'response.reasoning_text.delta', delta: 'Think', item_id: 'rs_1' },
    { type: 'response.reasoning_text.delta', delta: 'ing.', item_id: 'rs_1' },
    { type: 'response.output_item.added', item: { content: [], id: 'msg_1', role: 'assistant', status: 'in_progress', type: 'message' } },
    { type: 'response.content_part.added', item_id: 'msg_1', part: { type: 'output_text', text: '' } },
    { type: 'response.output_text.delta', item_id: 'msg_1', delta: 'Sure' },
    { type: 'response.output_text.delta', item_id: 'msg_1', delta: '.' },
    { type: 'response.output_item.added', item: call },
    { type: 'response.function_call_arguments.delta', delta: '{"file_path":', item_id: 'fc_abc' },
    { type: 'response.function_call_arguments.delta', delta: '"/a"}', item_id: 'fc_abc' },
    {
      type: 'response.output_item.done',
      item: { id: 'rs_1', type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: 'Thinking.' }], status: 'completed' },
    },
    { type: 'response.output_text.done', item_id: 'msg_1', text: 'Sure.' },
    { type: 'response.content_part.done', item_id: 'msg_1', part: { type: 'output_text', annotations: [], text: 'Sure.' } },
    {
      type: 'response.output_item.done',
      item: { id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Sure.' }] },
    },
    { type: 'response.output_item.done', item: { ...call, status: 'completed', arguments: '{"file_path":"/a"}' } },
    {
      type: 'response.completed',
      response: {
        id: 'resp_x',
        object: 'response',
        status: 'completed',
        model: 'served',
        output: [],
        usage: { input_tokens: 1500, output_tokens: 12, total_tokens: 1512, input_tokens_details: { cached_tokens: 1000 } },
      },
    },
  ];
}

test('stream: llama.cpp’s reasoning, text and tool call → thinking, text and tool_use blocks (input_json_delta), tool_use stop, the server’s usage', () => {
  const t = adapter().stream(plan({ model: 'local/model', messages: [{ role: 'user', content: 'read a' }], stream: true }));
  const text = llamaToolStream()
    .map(e => t.chunk(e))
    .join('');
  const after = t.end();
  assert.equal(after, '', 'nothing after message_stop');
  const ev = events(text);
  assert.deepEqual(
    ev.map(e => `${e.type}${isDelta(e) ? `:${(e.delta as Obj).type}` : ''}`),
    [
      'message_start',
      'content_block_start',
      'content_block_delta:thinking_delta',
      'content_block_delta:thinking_delta',
      'content_block_delta:signature_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta:text_delta',
      'content_block_delta:text_delta',
      'content_block_stop',
      'content_block_start',
      'content_block_delta:input_json_delta',
      'content_block_delta:input_json_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ],
  );
  assert.deepEqual(ev[10], {
    type: 'content_block_start',
    index: 2,
    content_block: { type: 'tool_use', id: 'fc_abc', name: 'Read', input: {} },
  });
  assert.equal((ev[0].message as Obj).model, 'local/model', 'the model Claude Code asked for');
  assert.deepEqual(ev.at(-2), {
    type: 'message_delta',
    delta: { stop_reason: 'tool_use', stop_sequence: null },
    usage: { input_tokens: 500, output_tokens: 12, cache_read_input_tokens: 1000 },
  });
  const o = read(text);
  assert.equal(o.completed, true);
  assert.deepEqual(o.problems, []);
  assert.equal(o.stopReason, 'tool_use');
  assert.deepEqual(
    o.blocks.map(b => [b.type, b.thinking ?? b.text ?? b.inputJson, b.name]),
    [
      ['thinking', 'Thinking.', undefined],
      ['text', 'Sure.', undefined],
      ['tool_use', '{"file_path":"/a"}', 'Read'],
    ],
  );
  assert.equal(o.usage?.output_tokens, 12);
});
const isDelta = (e: Obj) => e.type === 'content_block_delta';

test('stream: items that come only whole (output_item.done, or only in response.completed) are written then; a summary is thinking', () => {
  const t = adapter().stream(plan({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true }));
  const text = [
    { type: 'response.created', response: { id: 'r', status: 'in_progress' } },
    {
      type: 'response.output_item.done',
      item: { id: 'rs_9', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Summed up.' }] },
    },
    {
      type: 'response.output_item.done',
      item: { id: 'fc_9', type: 'function_call', call_id: 'call_9', name: 'Bash', arguments: '{"c":1}' },
    },
    {
      type: 'response.completed',
      response: {
        status: 'completed',
        output: [
          { id: 'rs_9', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Summed up.' }] },
          { id: 'fc_9', type: 'function_call', call_id: 'call_9', name: 'Bash', arguments: '{"c":1}' },
          { id: 'msg_9', type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Late text.' }] },
        ],
        usage: { input_tokens: 10, output_tokens: 5 },
      },
    },
  ]
    .map(e => t.chunk(e))
    .join('');
  const o = read(text);
  assert.equal(o.completed, true);
  assert.deepEqual(o.problems, []);
  assert.deepEqual(
    o.blocks.map(b => [b.type, b.thinking ?? b.text ?? b.inputJson, b.id ?? b.name]),
    [
      ['thinking', 'Summed up.', undefined],
      ['tool_use', '{"c":1}', 'call_9'],
      ['text', 'Late text.', undefined],
    ],
    'each item once, in order',
  );
  assert.equal(o.stopReason, 'tool_use');
});

test('stream: response.incomplete → max_tokens; a stream cut before response.completed still ends the message, with estimated usage', () => {
  const p = plan({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true });
  const t = adapter().stream(p);
  const text =
    t.chunk({ type: 'response.output_text.delta', item_id: 'm1', delta: 'abc' }) +
    t.chunk({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } });
  const ev = events(text);
  assert.deepEqual((ev.at(-2)!.delta as Obj).stop_reason, 'max_tokens');
  const cut = adapter().stream(p);
  const o = read(cut.chunk({ type: 'response.output_text.delta', item_id: 'm1', delta: 'abcdefgh' }) + cut.end());
  assert.equal(o.completed, true);
  assert.equal(o.stopReason, 'end_turn');
  assert.ok((o.usage?.input_tokens ?? 0) > 0 && o.usage?.output_tokens === 2, JSON.stringify(o.usage));
});

test('stream: response.failed and an error event → an `event: error` in Anthropic’s shape with the server’s words, ending the stream', () => {
  const p = plan({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true });
  for (const failure of [
    { type: 'response.failed', response: { status: 'failed', error: { code: 'server_error', message: 'out of memory' } } },
    { type: 'error', code: 'server_error', message: 'out of memory', param: null },
  ]) {
    const t = adapter().stream(p);
    const text = t.chunk({ type: 'response.output_text.delta', item_id: 'm1', delta: 'a' }) + t.chunk(failure);
    const ev = events(text);
    assert.deepEqual(ev.at(-1), {
      type: 'error',
      error: { type: 'api_error', message: 'The upstream failed the response: out of memory' },
    });
    assert.equal(t.chunk({ type: 'response.output_text.delta', item_id: 'm1', delta: 'b' }) + t.end(), '', 'nothing after the error');
    const reader = new MessagesStreamReader();
    const sp = new SseParser();
    for (const e of sp.push(text)) reader.accept(e);
    assert.equal(reader.outcome.problems[0]?.serverMessage, 'The upstream failed the response: out of memory');
  }
  // The bridge's own failure (no connection) before anything came.
  assert.deepEqual(events(adapter().stream(p).fail(502, 'down')), [{ type: 'error', error: { type: 'api_error', message: 'down' } }]);
});

test('a whole (non-streamed) response → a Messages body: thinking, text, tool_use (input parsed, id = call_id), usage, stop reason', () => {
  const p = plan({ model: 'local/model', messages: [{ role: 'user', content: 'x' }] });
  assert.equal(p.stream, false);
  assert.ok(!('stream' in p.body));
  const body = adapter().complete(p, {
    id: 'resp_1',
    object: 'response',
    status: 'completed',
    model: 'served',
    output: [
      { id: 'rs_1', type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: 'Hmm.' }], status: 'completed' },
      {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', annotations: [], logprobs: [], text: 'Here.' }],
      },
      { type: 'function_call', status: 'completed', arguments: '{"file_path":"/a"}', call_id: 'fc_1', name: 'Read' },
      { type: 'function_call', status: 'completed', arguments: 'not json', call_id: 'fc_2', name: 'Read' },
    ],
    usage: { input_tokens: 100, output_tokens: 20, total_tokens: 120 },
  }) as Obj;
  assert.deepEqual(body.content, [
    { type: 'thinking', thinking: 'Hmm.', signature: '' },
    { type: 'text', text: 'Here.' },
    { type: 'tool_use', id: 'fc_1', name: 'Read', input: { file_path: '/a' } },
    { type: 'tool_use', id: 'fc_2', name: 'Read', input: {} },
  ]);
  assert.equal(body.type, 'message');
  assert.equal(body.role, 'assistant');
  assert.equal(body.model, 'local/model');
  assert.equal(body.stop_reason, 'tool_use');
  assert.deepEqual(body.usage, { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 0 });
  const plain = adapter().complete(p, {
    status: 'completed',
    output: [{ type: 'message', content: [{ type: 'output_text', text: 'abcd' }] }],
  }) as Obj;
  assert.equal(plain.stop_reason, 'end_turn');
  assert.equal((plain.usage as Obj).output_tokens, 1, 'estimated when the server counts nothing');
});
