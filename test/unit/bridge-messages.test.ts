// The route bridge's Messages adapter (Claude Code over chat completions), without a socket: each
// request mapping, the stream event by event (a tool call split across chunks, usage), and the
// translated stream read back by the verifier's own MessagesStreamReader, the reader that judges
// real servers the way Claude Code 2.1.328 reads them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REPAIRS, type ChatRequestPlan, type RepairSwitches } from '../../src/core/bridge/adapter';
import { countTokens, messagesAdapter, MESSAGES_PATH } from '../../src/core/bridge/messages';
import { MessagesStreamReader } from '../../src/core/claude/verify/messagesStream';
import { SseParser } from '../../src/core/net/sse';
import { claudeShapedRequest } from '../../src/core/claude/verify/shape';

type Obj = Record<string, unknown>;

const ids = () => {
  let n = 0;
  return (prefix: string) => `${prefix}_${n++}`;
};
const adapter = () => messagesAdapter(ids());

function plan(request: Obj, repairs: RepairSwitches = DEFAULT_REPAIRS): ChatRequestPlan {
  const r = adapter().plan(request, repairs);
  assert.ok(r.ok, JSON.stringify(r));
  return r.plan;
}
const bodyOf = (request: Obj, repairs?: RepairSwitches) => plan(request, repairs).body as Obj & { messages: Obj[] };

/** The SSE text → its events as objects. */
function events(text: string): Obj[] {
  const p = new SseParser();
  return [...p.push(text), ...p.end()].map(e => {
    const data = JSON.parse(e.data) as Obj;
    assert.equal(e.event, data.type, 'the event: line names the data type');
    return data;
  });
}

const chunk = (delta: Obj, finish: string | null = null, extra: Obj = {}): Obj => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  model: 'served-name',
  choices: [{ index: 0, delta, finish_reason: finish }],
  ...extra,
});

test('the adapter serves /v1/messages for Claude Code', () => {
  const a = adapter();
  assert.equal(a.path, MESSAGES_PATH);
  assert.equal(a.agent, 'claude');
});

test('system as a string and as text blocks becomes one leading system message', () => {
  assert.deepEqual(bodyOf({ model: 'm', system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] }).messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'hi' },
  ]);
  const blocks = bodyOf({
    model: 'm',
    system: [
      { type: 'text', text: 'A', cache_control: { type: 'ephemeral' } },
      { type: 'text', text: 'B' },
    ],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
  });
  assert.deepEqual(blocks.messages[0], { role: 'system', content: 'A\nB' });
  assert.deepEqual(blocks.messages[1], { role: 'user', content: 'hi' });
});

test('the system message Claude Code puts inside messages is joined into the leading one, with a note (never dropped)', () => {
  const env = `Environment: working directory /w\nSkills: …\nToday's date: 2026-12-07\n${'x'.repeat(9_000)}`;
  const request = {
    model: 'local/model',
    system: [{ type: 'text', text: 'You are a Claude agent.' }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Show me the file' }] },
      { role: 'system', content: env },
      { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
    ],
  };
  const p = plan(request);
  const body = p.body as { messages: Obj[] };
  assert.equal(body.messages.filter(m => m.role === 'system').length, 1);
  assert.equal(body.messages[0].role, 'system');
  assert.ok((body.messages[0].content as string).startsWith('You are a Claude agent.\n\nEnvironment:'));
  assert.ok((body.messages[0].content as string).includes(env), 'all 9 KB of it');
  assert.deepEqual(
    body.messages.slice(1).map(m => m.role),
    ['user', 'assistant'],
  );
  assert.deepEqual(
    p.notes.map(n => n.code),
    ['system-in-messages-joined'],
  );
  assert.match(p.notes[0].detail, /9\d{3} characters, at position 2/);
  // With the repair off it stays where Claude Code put it (for a server whose template takes it there).
  const kept = bodyOf(request, { ...DEFAULT_REPAIRS, lateSystem: false });
  assert.deepEqual(
    kept.messages.map(m => m.role),
    ['system', 'user', 'system', 'assistant'],
  );
});

test('text and image blocks: text joined, images as image_url parts (base64 as a data: URL, url as it is)', () => {
  const body = bodyOf({
    model: 'm',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
          { type: 'image', source: { type: 'url', url: 'https://example.invalid/a.jpg' } },
        ],
      },
    ],
  });
  assert.deepEqual(body.messages[0], {
    role: 'user',
    content: [
      { type: 'text', text: 'what is this?' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      { type: 'image_url', image_url: { url: 'https://example.invalid/a.jpg' } },
    ],
  });
});

test('tool_use → assistant tool_calls (thinking → reasoning_content); tool_result → tool messages right after, before the user text', () => {
  const p = plan({
    model: 'm',
    messages: [
      { role: 'user', content: 'read /a' },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'I should read it.', signature: '' },
          { type: 'text', text: 'Reading.' },
          { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/a' } },
          { type: 'tool_use', id: 'toolu_2', name: 'Bash', input: { command: 'ls' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '1\tHELLO', cache_control: { type: 'ephemeral' } },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'permission denied' }], is_error: true },
          { type: 'text', text: 'go on' },
        ],
      },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_3', name: 'Read', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_3', content: [] }] },
    ],
  });
  const m = (p.body as { messages: Obj[] }).messages;
  assert.deepEqual(m[1], {
    role: 'assistant',
    content: 'Reading.',
    reasoning_content: 'I should read it.',
    tool_calls: [
      { id: 'toolu_1', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/a"}' } },
      { id: 'toolu_2', type: 'function', function: { name: 'Bash', arguments: '{"command":"ls"}' } },
    ],
  });
  assert.deepEqual(m[2], { role: 'tool', tool_call_id: 'toolu_1', content: '1\tHELLO' });
  assert.deepEqual(m[3], { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: permission denied' });
  assert.deepEqual(m[4], { role: 'user', content: 'go on' });
  assert.deepEqual(m[5], {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'toolu_3', type: 'function', function: { name: 'Read', arguments: '{}' } }],
  });
  assert.deepEqual(m[6], { role: 'tool', tool_call_id: 'toolu_3', content: '' }, 'no empty user message after a tool result alone');
  assert.equal(m.length, 7);
  assert.deepEqual(p.notes, []);
});

test('an image inside a tool result: a line of text with a note (or kept as an image part when the repair is off)', () => {
  const request = {
    model: 'm',
    messages: [
      { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Read', input: { file_path: '/p.png' } }] },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 't1',
            content: [
              { type: 'text', text: 'the picture:' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
            ],
          },
        ],
      },
    ],
  };
  const p = plan(request);
  const tool = (p.body as { messages: Obj[] }).messages[1];
  assert.equal(tool.role, 'tool');
  assert.match(tool.content as string, /^the picture:\n\[an image was here; this server does not take images in tool results\]$/);
  assert.deepEqual(
    p.notes.map(n => n.code),
    ['image-in-tool-result-as-text'],
  );
  const kept = bodyOf(request, { ...DEFAULT_REPAIRS, imageInToolResult: 'keep' }).messages[1];
  assert.deepEqual(kept.content, [
    { type: 'text', text: 'the picture:' },
    { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
  ]);
});

test('tools: input_schema → parameters; server tools left out with a note; defer_loading and cache_control not sent', () => {
  const p = plan({
    model: 'm',
    messages: [{ role: 'user', content: 'hi' }],
    tools: [
      {
        name: 'Read',
        description: 'Reads a file',
        input_schema: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] },
        cache_control: { type: 'ephemeral' },
      },
      { name: 'DeferredToolPlaceholder', description: 'd', input_schema: { type: 'object', properties: {} }, defer_loading: true },
      { type: 'web_search_20250305', name: 'web_search', max_uses: 3 },
    ],
    tool_choice: { type: 'auto', disable_parallel_tool_use: true },
  });
  const body = p.body as Obj;
  assert.deepEqual(body.tools, [
    {
      type: 'function',
      function: {
        name: 'Read',
        description: 'Reads a file',
        parameters: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] },
      },
    },
    { type: 'function', function: { name: 'DeferredToolPlaceholder', description: 'd', parameters: { type: 'object', properties: {} } } },
  ]);
  assert.equal(body.tool_choice, 'auto');
  assert.equal(body.parallel_tool_calls, false);
  assert.deepEqual(
    p.notes.map(n => n.code),
    ['hosted-tools-dropped'],
  );
});

test('tool_choice: any → required, tool → the named function, none → none', () => {
  const tools = [{ name: 'Read', input_schema: { type: 'object' } }];
  const choice = (c: Obj) => bodyOf({ model: 'm', messages: [{ role: 'user', content: 'x' }], tools, tool_choice: c }).tool_choice;
  assert.equal(choice({ type: 'any' }), 'required');
  assert.deepEqual(choice({ type: 'tool', name: 'Read' }), { type: 'function', function: { name: 'Read' } });
  assert.equal(choice({ type: 'none' }), 'none');
});

test('max_tokens, stop_sequences, temperature/top_p; a stream asks for usage; thinking and metadata are not sent upstream', () => {
  const body = bodyOf({
    model: 'local/model',
    messages: [{ role: 'user', content: 'x' }],
    max_tokens: 8192,
    stop_sequences: ['END'],
    temperature: 0.2,
    top_p: 0.9,
    stream: true,
    thinking: { type: 'adaptive', display: 'omitted' },
    metadata: { user_id: 'u' },
    context_management: { edits: [] },
    output_config: { effort: 'high' },
  });
  assert.deepEqual(body, {
    model: 'local/model',
    messages: [{ role: 'user', content: 'x' }],
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: 8192,
    stop: ['END'],
    temperature: 0.2,
    top_p: 0.9,
  });
});

test('a request that is not a Messages request is refused with a 400 in Anthropic’s error shape', () => {
  const a = adapter();
  for (const bad of [null, [], { model: 'm' }, { messages: [] }]) {
    const r = a.plan(bad, DEFAULT_REPAIRS);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.status, 400);
  }
  assert.deepEqual(a.errorBody(400, 'bad'), { type: 'error', error: { type: 'invalid_request_error', message: 'bad' } });
  assert.deepEqual(a.errorBody(502, 'The upstream http://127.0.0.1:9/v1 did not answer: connection refused'), {
    type: 'error',
    error: { type: 'api_error', message: 'The upstream http://127.0.0.1:9/v1 did not answer: connection refused' },
  });
});

test('stream: text, event by event, with the upstream usage in message_delta', () => {
  const p = plan({ model: 'local/model', messages: [{ role: 'user', content: 'hi' }], stream: true });
  const t = adapter().stream(p);
  const out: string[] = [];
  out.push(t.chunk(chunk({ role: 'assistant', content: '' })));
  out.push(t.chunk(chunk({ content: 'Hel' })));
  out.push(t.chunk(chunk({ content: 'lo' })));
  out.push(t.chunk(chunk({}, 'stop')));
  out.push(
    t.chunk({ id: 'c', choices: [], usage: { prompt_tokens: 1200, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 1000 } } }),
  );
  out.push(t.end());
  const ev = events(out.join(''));
  assert.deepEqual(
    ev.map(e => e.type),
    [
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ],
  );
  const start = ev[0].message as Obj;
  assert.equal(start.model, 'local/model', 'the model Claude Code asked for');
  assert.equal(start.role, 'assistant');
  assert.ok(((start.usage as Obj).input_tokens as number) > 0, 'an estimate until the upstream counts');
  assert.deepEqual(ev[1], { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  assert.deepEqual(ev[2], { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } });
  assert.deepEqual(ev[5], {
    type: 'message_delta',
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { input_tokens: 200, output_tokens: 3, cache_read_input_tokens: 1000 },
  });
});

test('stream: a tool call split across chunks (id and name first, arguments in pieces) after reasoning and text', () => {
  const p = plan({
    model: 'm',
    messages: [{ role: 'user', content: 'read /a' }],
    tools: [{ name: 'Read', input_schema: {} }],
    stream: true,
  });
  const t = adapter().stream(p);
  const text = [
    t.chunk(chunk({ reasoning_content: 'Think' })),
    t.chunk(chunk({ reasoning_content: 'ing.' })),
    t.chunk(chunk({ content: 'Sure.' })),
    t.chunk(chunk({ tool_calls: [{ index: 0, id: 'call_abc', type: 'function', function: { name: 'Read', arguments: '' } }] })),
    t.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"file_' } }] })),
    t.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: 'path":"/a"}' } }] })),
    t.chunk(chunk({ tool_calls: [{ index: 1, id: 'call_def', function: { name: 'Re' } }] })),
    t.chunk(chunk({ tool_calls: [{ index: 1, function: { name: 'ad', arguments: '{}' } }] })),
    t.chunk(chunk({}, 'tool_calls', { usage: { prompt_tokens: 50, completion_tokens: 20 } })),
    t.end(),
  ].join('');
  const ev = events(text);
  assert.deepEqual(
    ev.map(
      e => `${String(e.type)}${e.index !== undefined ? `#${String(e.index)}` : ''}${isDelta(e) ? `:${String((e.delta as Obj).type)}` : ''}`,
    ),
    [
      'message_start',
      'content_block_start#0',
      'content_block_delta#0:thinking_delta',
      'content_block_delta#0:thinking_delta',
      'content_block_delta#0:signature_delta',
      'content_block_stop#0',
      'content_block_start#1',
      'content_block_delta#1:text_delta',
      'content_block_stop#1',
      'content_block_start#2',
      'content_block_delta#2:input_json_delta',
      'content_block_delta#2:input_json_delta',
      'content_block_stop#2',
      'content_block_start#3',
      'content_block_delta#3:input_json_delta',
      'content_block_stop#3',
      'message_delta',
      'message_stop',
    ],
  );
  assert.deepEqual(ev[9], {
    type: 'content_block_start',
    index: 2,
    content_block: { type: 'tool_use', id: 'call_abc', name: 'Read', input: {} },
  });
  assert.deepEqual(ev[13], {
    type: 'content_block_start',
    index: 3,
    content_block: { type: 'tool_use', id: 'call_def', name: 'Read', input: {} },
  });
  assert.deepEqual((ev.at(-2)!.delta as Obj).stop_reason, 'tool_use');
  assert.deepEqual(ev.at(-2)!.usage, { input_tokens: 50, output_tokens: 20, cache_read_input_tokens: 0 });

  // The verifier's reader, which reads as Claude Code does, finds every block whole.
  const reader = new MessagesStreamReader();
  const p2 = new SseParser();
  for (const e of [...p2.push(text), ...p2.end()]) reader.accept(e);
  const o = reader.end();
  assert.equal(o.completed, true);
  assert.deepEqual(o.problems, []);
  assert.equal(o.stopReason, 'tool_use');
  assert.deepEqual(
    o.blocks.map(b => [b.type, b.thinking ?? b.text ?? b.inputJson, b.name]),
    [
      ['thinking', 'Thinking.', undefined],
      ['text', 'Sure.', undefined],
      ['tool_use', '{"file_path":"/a"}', 'Read'],
      ['tool_use', '{}', 'Read'],
    ],
  );
});

function isDelta(e: Obj): boolean {
  return e.type === 'content_block_delta';
}

test('stream: finish_reason length → max_tokens; no usage from the upstream → estimates, never zeros', () => {
  const p = plan({ model: 'm', system: 'x'.repeat(4_000), messages: [{ role: 'user', content: 'hi' }], stream: true });
  const t = adapter().stream(p);
  const ev = events(t.chunk(chunk({ content: 'abcdefgh' })) + t.chunk(chunk({}, 'length')) + t.end());
  const delta = ev.find(e => e.type === 'message_delta')!;
  assert.equal((delta.delta as Obj).stop_reason, 'max_tokens');
  const usage = delta.usage as { input_tokens: number; output_tokens: number };
  assert.ok(usage.input_tokens >= 1_000, `input estimated from the request: ${usage.input_tokens}`);
  assert.equal(usage.output_tokens, 2);
});

test('stream: an upstream that ends without any chunk still gives Claude Code a whole (empty) message', () => {
  const t = adapter().stream(plan({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }));
  assert.deepEqual(
    events(t.end()).map(e => e.type),
    ['message_start', 'message_delta', 'message_stop'],
  );
  assert.equal(t.end(), '', 'ended once');
});

test('stream: a failure is an `event: error` in Anthropic’s shape naming the upstream, before or after the stream began, and ends it', () => {
  const message = 'The upstream http://127.0.0.1:8080/v1 answered: Loading model';
  const before = adapter().stream(plan({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }));
  assert.deepEqual(events(before.fail(0, message)), [{ type: 'error', error: { type: 'api_error', message } }]);
  const during = adapter().stream(plan({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }));
  const ev = events(during.chunk(chunk({ content: 'par' })) + during.fail(400, 'request exceeds the available context size'));
  assert.deepEqual(ev.at(-1), {
    type: 'error',
    error: { type: 'invalid_request_error', message: 'request exceeds the available context size' },
  });
  assert.equal(during.chunk(chunk({ content: 'more' })), '', 'nothing after the failure');
  assert.equal(during.end(), '');
  // The verifier's reader sees the failure with the server's words.
  const reader = new MessagesStreamReader();
  const p = new SseParser();
  const fresh = adapter().stream(plan({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }));
  for (const e of p.push(fresh.fail(502, message))) reader.accept(e);
  assert.equal(reader.outcome.problems[0]?.serverMessage, message);
});

test('a whole (non-streamed) completion → a Messages body with text, tool_use (input parsed) and usage', () => {
  const a = adapter();
  const p = plan({ model: 'local/model', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(p.stream, false);
  const body = a.complete(p, {
    model: 'served',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: 'Reading.',
          reasoning_content: 'hm',
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/a"}' } }],
        },
        finish_reason: 'tool_calls',
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 5 },
  });
  assert.deepEqual(body, {
    id: 'msg_0',
    type: 'message',
    role: 'assistant',
    model: 'local/model',
    content: [
      { type: 'thinking', thinking: 'hm', signature: '' },
      { type: 'text', text: 'Reading.' },
      { type: 'tool_use', id: 'call_1', name: 'Read', input: { file_path: '/a' } },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 0 },
  });
});

test('count_tokens: an estimate of about 4 characters a token over system, messages and tools, grows with the request', () => {
  const small = countTokens({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  const big = countTokens(claudeShapedRequest({ model: 'm', marker: 'X', cwd: '/w', thinking: true, maxTokens: 32_000 }));
  assert.ok(small.input_tokens > 0 && small.input_tokens < 20, JSON.stringify(small));
  assert.ok(big.input_tokens > 9_000 && big.input_tokens < 16_000, `a Claude-Code-sized request ≈ 12k tokens: ${big.input_tokens}`);
  assert.deepEqual(countTokens('nonsense'), { input_tokens: 0 });
});

test('a Claude-Code-shaped request plans whole: 12 tools, the reminder kept, nothing noted', () => {
  const request = claudeShapedRequest({ model: 'local/model', marker: 'OK', cwd: '/w', thinking: true, maxTokens: 32_000 });
  const p = plan(request);
  const body = p.body as { messages: Obj[]; tools: Obj[] };
  assert.equal(body.tools.length, 12);
  assert.deepEqual(
    body.messages.map(m => m.role),
    ['system', 'user'],
  );
  assert.match(body.messages[1].content as string, /^<system-reminder>/);
  assert.deepEqual(p.notes, []);
});
