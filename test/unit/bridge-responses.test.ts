// The Responses adapter (Codex's API over chat completions), pure: request mapping, the repairs and
// their notes, and the stream translated event by event, judged by the verifier's own reader of
// Responses streams (what Codex 0.169 accepts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_REPAIRS, type ChatRequestPlan } from '../../src/core/bridge/adapter';
import { responsesAdapter } from '../../src/core/bridge/responses';
import { SseParser } from '../../src/core/net/sse';
import { ResponsesStreamReader } from '../../src/core/codex/verify/responsesStream';
import { MCP_NAMESPACE_TOOL, PROBE_NAMESPACE } from '../../src/core/codex/verify/history';

const ids = () => {
  let n = 0;
  return (p: string) => `${p}_${n++}`;
};
const adapter = () => responsesAdapter(ids());
type Obj = Record<string, unknown>;

function plan(req: Obj, repairs = DEFAULT_REPAIRS): ChatRequestPlan {
  const r = adapter().plan(req, repairs);
  assert.ok(r.ok, JSON.stringify(r));
  return r.plan;
}
const messages = (p: ChatRequestPlan) => p.body.messages as Obj[];

/** The SSE text → events, and what Codex would make of them. */
function judge(text: string) {
  const parser = new SseParser();
  const events = [...parser.push(text), ...parser.end()];
  const reader = new ResponsesStreamReader();
  for (const e of events) reader.accept(e);
  return { types: events.map(e => e.event), data: events.map(e => JSON.parse(e.data) as Obj), outcome: reader.end() };
}

const chunk = (delta: Obj, finish: string | null = null) => ({
  id: 'c',
  model: 'm',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

test('Codex request → chat request: developer messages join into one leading system message, history mapped', () => {
  const p = plan({
    model: 'local/model',
    stream: true,
    max_output_tokens: 99,
    reasoning: { effort: 'low', summary: 'auto' },
    store: false,
    include: ['reasoning.encrypted_content'],
    input: [
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'dev one' }] },
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'dev two' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
      { type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: 'thinking' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'let me look' }] },
      { type: 'function_call', name: 'exec_command', arguments: '{"cmd":"ls"}', call_id: 'c1' },
      { type: 'function_call_output', call_id: 'c1', output: 'a.txt' },
    ],
    tools: [{ type: 'function', name: 'exec_command', description: 'run', strict: false, parameters: { type: 'object', properties: {} } }],
    tool_choice: 'auto',
    parallel_tool_calls: true,
  });
  assert.deepEqual(messages(p), [
    { role: 'system', content: 'dev one\n\ndev two' },
    { role: 'user', content: 'hi' },
    {
      role: 'assistant',
      content: 'let me look',
      reasoning_content: 'thinking',
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'exec_command', arguments: '{"cmd":"ls"}' } }],
    },
    { role: 'tool', tool_call_id: 'c1', content: 'a.txt' },
  ]);
  assert.equal(p.body.max_tokens, 99);
  assert.equal(p.body.reasoning_effort, 'low');
  assert.deepEqual(p.body.stream_options, { include_usage: true });
  assert.deepEqual(p.body.tools, [
    { type: 'function', function: { name: 'exec_command', description: 'run', parameters: { type: 'object', properties: {} } } },
  ]);
  assert.equal(p.body.tool_choice, 'auto');
  assert.equal(p.body.parallel_tool_calls, true);
  assert.ok(!('store' in p.body) && !('include' in p.body) && !('input' in p.body));
  assert.deepEqual(p.notes, []);
});

test('repairs: namespace flattened, custom as one-string function, web_search dropped, each with a note; off sends them as they are', () => {
  const req = {
    model: 'm',
    input: 'hi',
    tools: [
      MCP_NAMESPACE_TOOL,
      { type: 'custom', name: 'apply_patch', description: 'patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: x' } },
      { type: 'web_search', external_web_access: false },
    ],
  };
  const p = plan(req);
  const names = (p.body.tools as { function: { name: string; parameters: Obj } }[]).map(t => t.function.name);
  assert.deepEqual(names, [`${PROBE_NAMESPACE}__lookup_ticket`, 'apply_patch']);
  const custom = (p.body.tools as { function: { parameters: Obj; description: string } }[])[1]!.function;
  assert.deepEqual(custom.parameters.required, ['input']);
  assert.match(custom.description, /start: x/);
  assert.deepEqual(
    p.notes.map(n => n.code),
    ['namespace-tools-flattened', 'custom-tools-as-function', 'web-search-dropped'],
  );
  const off = plan(req, { ...DEFAULT_REPAIRS, namespaceTools: false, customTools: false, dropHostedTools: false });
  assert.deepEqual(
    (off.body.tools as Obj[]).map(t => t.type),
    ['namespace', 'custom', 'web_search'],
  );
  assert.deepEqual(off.notes, []);
});

test('namespace round trip: the model calls the flat name, Codex gets its namespace and bare name; the replay goes back flat', () => {
  const a = adapter();
  const r = a.plan({ model: 'm', stream: true, input: 'hi', tools: [MCP_NAMESPACE_TOOL] }, DEFAULT_REPAIRS);
  assert.ok(r.ok);
  const t = a.stream(r.plan);
  const flat = `${PROBE_NAMESPACE}__lookup_ticket`;
  const text =
    t.chunk(chunk({ role: 'assistant', content: null })) +
    t.chunk(chunk({ tool_calls: [{ index: 0, id: 'abc', type: 'function', function: { name: flat, arguments: '' } }] })) +
    t.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"id":' } }] })) +
    t.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: '"42"}' } }] })) +
    t.chunk(chunk({}, 'tool_calls')) +
    t.end();
  const { outcome } = judge(text);
  assert.equal(outcome.completed, true);
  assert.deepEqual(outcome.problems, []);
  const call = outcome.items.find(i => i.type === 'function_call')!;
  assert.equal(call.name, 'lookup_ticket');
  assert.equal(call.namespace, PROBE_NAMESPACE);
  assert.equal(call.call_id, 'abc');
  assert.equal(call.arguments, '{"id":"42"}');
  // The next turn replays the call as Codex does (namespace + bare name): the model sees its own flat name.
  const next = plan({
    model: 'm',
    input: [
      { type: 'function_call', name: 'lookup_ticket', namespace: PROBE_NAMESPACE, arguments: '{"id":"42"}', call_id: 'abc' },
      { type: 'function_call_output', call_id: 'abc', output: [{ type: 'input_text', text: 'Ticket 42: open' }] },
    ],
    tools: [MCP_NAMESPACE_TOOL],
  });
  const [asst, tool] = messages(next);
  assert.equal((asst!.tool_calls as { function: { name: string } }[])[0]!.function.name, flat);
  assert.deepEqual(tool, { role: 'tool', tool_call_id: 'abc', content: 'Ticket 42: open' });
});

test('custom tool round trip: the one argument becomes the custom call input, and back', () => {
  const a = adapter();
  const r = a.plan(
    { model: 'm', stream: true, input: 'hi', tools: [{ type: 'custom', name: 'apply_patch', description: 'd' }] },
    DEFAULT_REPAIRS,
  );
  assert.ok(r.ok);
  const t = a.stream(r.plan);
  const text =
    t.chunk(chunk({ tool_calls: [{ index: 0, id: 'p1', function: { name: 'apply_patch', arguments: '{"input":"*** Begin' } }] })) +
    t.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: ' Patch\\n"}' } }] })) +
    t.end();
  const { outcome, types } = judge(text);
  assert.ok(!types.includes('response.function_call_arguments.delta'), 'a custom call streams no function arguments');
  const call = outcome.items.find(i => i.type === 'custom_tool_call')!;
  assert.deepEqual(
    { name: call.name, input: call.input, call_id: call.call_id },
    { name: 'apply_patch', input: '*** Begin Patch\n', call_id: 'p1' },
  );
  const next = plan({
    model: 'm',
    input: [
      { type: 'custom_tool_call', name: 'apply_patch', input: 'PATCH', call_id: 'p1' },
      { type: 'custom_tool_call_output', call_id: 'p1', output: 'Done' },
    ],
  });
  assert.deepEqual((messages(next)[0]!.tool_calls as Obj[])[0], {
    id: 'p1',
    type: 'function',
    function: { name: 'apply_patch', arguments: '{"input":"PATCH"}' },
  });
  assert.deepEqual(messages(next)[1], { role: 'tool', tool_call_id: 'p1', content: 'Done' });
});

test('an image in a tool result becomes text (noted), or stays an image part with the repair off', () => {
  const req = {
    model: 'm',
    input: [
      { type: 'function_call', name: 'view_image', arguments: '{}', call_id: 'v' },
      {
        type: 'function_call_output',
        call_id: 'v',
        output: [
          { type: 'input_text', text: 'Output:' },
          { type: 'input_image', image_url: 'data:image/png;base64,AAAA' },
        ],
      },
    ],
  };
  const p = plan(req);
  assert.match(String(messages(p)[1]!.content), /^Output:\n\[an image was here/);
  assert.deepEqual(
    p.notes.map(n => n.code),
    ['image-in-tool-result-as-text'],
  );
  const keep = plan(req, { ...DEFAULT_REPAIRS, imageInToolResult: 'keep' });
  assert.deepEqual(messages(keep)[1]!.content, [
    { type: 'text', text: 'Output:' },
    { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
  ]);
});

test('a late developer message joins the leading system message (noted); with the repair off it stays in place', () => {
  const req = {
    model: 'm',
    input: [
      { role: 'developer', content: 'base' },
      { role: 'user', content: 'one' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok' }] },
      { role: 'developer', content: 'permissions changed' },
      { role: 'user', content: 'two' },
    ],
  };
  const p = plan(req);
  assert.deepEqual(
    messages(p).map(m => m.role),
    ['system', 'user', 'assistant', 'user'],
  );
  assert.equal(messages(p)[0]!.content, 'base\n\npermissions changed');
  assert.deepEqual(
    p.notes.map(n => n.code),
    ['late-system-joined'],
  );
  const off = plan(req, { ...DEFAULT_REPAIRS, lateSystem: false });
  assert.deepEqual(
    messages(off).map(m => m.role),
    ['system', 'user', 'assistant', 'system', 'user'],
  );
});

test('refused requests: not an object, no model, previous_response_id', () => {
  const a = adapter();
  for (const bad of [[], { input: 'x' }, { model: 'm', previous_response_id: 'r1' }]) {
    const r = a.plan(bad, DEFAULT_REPAIRS);
    assert.equal(r.ok, false);
  }
});

test('text stream, event by event: created, in_progress, item added, part added, deltas, done events, completed with usage', () => {
  const a = adapter();
  const r = a.plan({ model: 'm', stream: true, input: 'hi' }, DEFAULT_REPAIRS);
  assert.ok(r.ok);
  const t = a.stream(r.plan);
  const text =
    t.chunk(chunk({ role: 'assistant', content: null })) +
    t.chunk(chunk({ reasoning_content: 'hmm' })) +
    t.chunk(chunk({ content: 'Hel' })) +
    t.chunk(chunk({ content: 'lo' })) +
    t.chunk(chunk({}, 'stop')) +
    t.chunk({
      id: 'c',
      choices: [],
      usage: { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14, prompt_tokens_details: { cached_tokens: 5 } },
    }) +
    t.end();
  const { types, data, outcome } = judge(text);
  assert.deepEqual(types, [
    'response.created',
    'response.in_progress',
    'response.output_item.added',
    'response.reasoning_text.delta',
    'response.output_item.done',
    'response.output_item.added',
    'response.content_part.added',
    'response.output_text.delta',
    'response.output_text.delta',
    'response.output_text.done',
    'response.content_part.done',
    'response.output_item.done',
    'response.completed',
  ]);
  assert.deepEqual(outcome.problems, []);
  assert.equal(outcome.text, 'Hello');
  assert.equal(outcome.deltaText, 'Hello');
  assert.deepEqual(outcome.usage, {
    input_tokens: 11,
    input_tokens_details: { cached_tokens: 5 },
    output_tokens: 3,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 14,
  });
  assert.deepEqual(outcome.items[0], { type: 'reasoning', id: 'rs_1', summary: [], content: [{ type: 'reasoning_text', text: 'hmm' }] });
  // Every item event names its output index: reasoning 0, message 1.
  assert.deepEqual(
    data.filter(d => d.type === 'response.output_item.done').map(d => d.output_index),
    [0, 1],
  );
});

test('tool call stream: added with the name, argument deltas, arguments done, item done; a second call gets its own item', () => {
  const a = adapter();
  const r = a.plan({ model: 'm', stream: true, input: 'hi', tools: [{ type: 'function', name: 'f' }] }, DEFAULT_REPAIRS);
  assert.ok(r.ok);
  const t = a.stream(r.plan);
  const text =
    t.chunk(chunk({ tool_calls: [{ index: 0, id: 'x', function: { name: 'f', arguments: '{"a"' } }] })) +
    t.chunk(chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] })) +
    t.chunk(chunk({ tool_calls: [{ index: 1, id: 'y', function: { name: 'f', arguments: '{}' } }] })) +
    t.chunk(chunk({}, 'tool_calls')) +
    t.end();
  const { types, outcome } = judge(text);
  assert.deepEqual(types, [
    'response.created',
    'response.in_progress',
    'response.output_item.added',
    'response.function_call_arguments.delta',
    'response.function_call_arguments.delta',
    'response.output_item.added',
    'response.function_call_arguments.delta',
    'response.function_call_arguments.done',
    'response.output_item.done',
    'response.function_call_arguments.done',
    'response.output_item.done',
    'response.completed',
  ]);
  assert.deepEqual(
    outcome.items.map(i => [i.call_id, i.arguments]),
    [
      ['x', '{"a":1}'],
      ['y', '{}'],
    ],
  );
});

test('output cut at max_tokens → response.incomplete; an upstream failure → response.failed naming it; nothing after either', () => {
  const a = adapter();
  const r = a.plan({ model: 'm', stream: true, input: 'hi' }, DEFAULT_REPAIRS);
  assert.ok(r.ok);
  const t = a.stream(r.plan);
  const cut = judge(t.chunk(chunk({ content: 'x' })) + t.chunk(chunk({}, 'length')) + t.end());
  assert.equal(cut.outcome.problems[0]?.kind, 'incomplete');
  assert.equal(cut.outcome.problems[0]?.reason, 'max_output_tokens');
  const t2 = a.stream(r.plan);
  const failed = judge(t2.fail(0, 'The upstream http://127.0.0.1:9/v1 did not answer: connection refused') + t2.end());
  assert.equal(failed.outcome.problems[0]?.kind, 'failed');
  assert.match(failed.outcome.problems[0]?.serverMessage ?? '', /127\.0\.0\.1:9.*connection refused/);
  assert.ok(!failed.types.includes('response.completed'));
  assert.equal((failed.data.at(-1)!.response as { error: { code: string } }).error.code, 'upstream_unreachable');
});

test('a whole completion → a Responses body with the calls mapped back and usage', () => {
  const a = adapter();
  const r = a.plan({ model: 'm', input: 'hi', tools: [MCP_NAMESPACE_TOOL] }, DEFAULT_REPAIRS);
  assert.ok(r.ok);
  assert.equal(r.plan.stream, false);
  const body = a.complete(r.plan, {
    model: 'served',
    choices: [
      {
        index: 0,
        finish_reason: 'tool_calls',
        message: {
          role: 'assistant',
          content: 'ok',
          tool_calls: [{ id: 't', function: { name: `${PROBE_NAMESPACE}__lookup_ticket`, arguments: '{}' } }],
        },
      },
    ],
    usage: { prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 },
  }) as { status: string; model: string; output: Obj[]; usage: Obj };
  assert.equal(body.status, 'completed');
  assert.equal(body.model, 'served');
  assert.deepEqual(
    body.output.map(o => o.type),
    ['message', 'function_call'],
  );
  assert.equal(body.output[1]!.namespace, PROBE_NAMESPACE);
  assert.equal(body.usage.total_tokens, 6);
  assert.deepEqual(a.errorBody(400, 'bad'), { error: { message: 'bad', type: 'invalid_request_error', param: null, code: null } });
});
