// VS Code's chat models from this extension, pure parts: which models are offered and how they are
// described (context from the server, tools and images only as verified), the request bodies for both
// wire APIs, the stream readers, one request end to end against scripted servers on 127.0.0.1 (text,
// tool calls, a server without the Responses API, the server's own error, cancellation closing the
// socket), token counts from the server's tokenizer, and one generation at a time.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EndpointProbe, ModelInfo } from '../../src/core/route/discovery';
import type { VerificationSummary } from '../../src/core/route/routeHealth';
import type { AgentId } from '../../src/core/agents';
import { chatModelOffers, splitContext, ASSUMED_CONTEXT, type ChatConsent } from '../../src/core/chat/offers';
import { CHAT_VENDOR } from '../../src/core/chat/vendor';
import { chatCompletionsBody, chooseWire, modelOptionsOf, responsesBody, turnText, type ChatRequest } from '../../src/core/chat/wire';
import { readerFor, type ChatEvent } from '../../src/core/chat/stream';
import { runChat } from '../../src/core/chat/run';
import { countTokens, estimateTokens } from '../../src/core/chat/tokens';
import { SerialGate } from '../../src/core/chat/gate';
import { presentServerText } from '../../src/core/chat/serverText';
import { summarize } from '../../src/core/verify/report';
import type { VerifyReport } from '../../src/core/verify/types';
import { SseParser } from '../../src/core/net/sse';
import { startScriptedServer, sendJson, type ScriptedServer } from '../support/scripted-server';
import { freePort } from '../support/ports';
import type { Brain } from '../support/brain';

const closers: (() => Promise<unknown>)[] = [];
after(() => Promise.all(closers.map(c => c())));
async function scripted(o: Parameters<typeof startScriptedServer>[0]): Promise<ScriptedServer> {
  const s = await startScriptedServer(o);
  closers.push(() => s.close());
  return s;
}

function up(baseUrl: string, provider: EndpointProbe['provider'], kind: string, models: ModelInfo[], version?: string): EndpointProbe {
  return {
    provider,
    baseUrl,
    source: 'default',
    result: { kind: 'up', models, server: { kind: kind as 'llamacpp', ...(version ? { version } : {}) }, ms: 1 },
  };
}

const LLAMA = 'http://127.0.0.1:8131/v1';
const llamaModel: ModelInfo = { id: 'local/model', contextWindow: 8192, contextSource: 'llamacpp-slot', tools: true };

function offersFor(
  probes: EndpointProbe[],
  verifications: Record<string, Partial<Record<AgentId, VerificationSummary>>> = {},
  consent: (u: string) => ChatConsent = () => 'send',
) {
  return chatModelOffers({ probes, verifications: r => verifications[`${r.baseUrl}#${r.model}`] ?? {}, consent });
}

describe('which models VS Code is offered, and how they are described', () => {
  test('the vendor is the one package.json contributes', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
    assert.deepEqual(
      pkg.contributes.languageModelChatProviders.map((p: { vendor: string }) => p.vendor),
      [CHAT_VENDOR],
    );
  });

  test("a llama.cpp model: the slot's context split between prompt and answer, family and version from the server", () => {
    const [o] = offersFor([up(LLAMA, 'llamacpp', 'llamacpp', [llamaModel], 'b1-5b4ebc5')]);
    assert.equal(o.id, `${LLAMA}#local/model`);
    assert.equal(o.name, 'local/model');
    assert.equal(o.family, 'llamacpp');
    assert.equal(o.version, 'b1-5b4ebc5');
    assert.equal(o.maxInputTokens + o.maxOutputTokens, 8192);
    assert.deepEqual([o.maxInputTokens, o.maxOutputTokens], [6144, 2048]);
    assert.match(o.tooltip, /Context: 8,192 tokens \(llama\.cpp's per-slot n_ctx\): up to 6,144 in, 2,048 out/);
  });

  test('the split keeps a quarter for the answer, at most 4,096 tokens', () => {
    assert.deepEqual(splitContext(16384), { maxInputTokens: 12288, maxOutputTokens: 4096 });
    assert.deepEqual(splitContext(131072), { maxInputTokens: 126976, maxOutputTokens: 4096 });
    assert.deepEqual(splitContext(2048), { maxInputTokens: 1536, maxOutputTokens: 512 });
  });

  test('tool calling is unknown until verified: no capability claimed, and the tooltip and detail say so', () => {
    const [o] = offersFor([up(LLAMA, 'llamacpp', 'llamacpp', [llamaModel])]);
    assert.equal(o.capabilities.toolCalling, undefined);
    assert.equal(o.capabilities.imageInput, undefined);
    assert.match(o.detail, /tools not verified/);
    assert.match(
      o.tooltip,
      /Tool calling: unknown — not verified yet: the server says it supports tools; pick this model in Local Model Router's status bar and run "Verify Route"/,
    );
    assert.match(o.tooltip, /Image input: unknown/);
  });

  test("a passed tool-call stage turns tool calling on; a failed one turns it off and the picker's detail says why", () => {
    const key = `${LLAMA}#local/model`;
    const pass: VerificationSummary = { agent: 'codex', ok: true, at: Date.UTC(2026, 11, 1), toolCall: { status: 'pass' } };
    const [ok] = offersFor([up(LLAMA, 'llamacpp', 'llamacpp', [llamaModel])], { [key]: { codex: pass } });
    assert.equal(ok.capabilities.toolCalling, true);
    assert.match(ok.detail, /tools verified/);
    assert.match(ok.tooltip, /Tool calling: yes — a tool-call round trip passed verification \(2026-12-01\)/);

    const fail: VerificationSummary = {
      agent: 'codex',
      ok: false,
      at: Date.UTC(2026, 11, 2),
      failedStage: 'tool-call',
      diagnosis: 'no-tool-call',
      message: 'The model answered without calling the tool.',
      toolCall: { status: 'fail', code: 'no-tool-call', message: 'The model answered without calling the tool.' },
    };
    const [off] = offersFor([up(LLAMA, 'llamacpp', 'llamacpp', [llamaModel])], { [key]: { codex: fail } });
    assert.equal(off.capabilities.toolCalling, false);
    assert.match(off.detail, /no tools: failed verification \(no-tool-call\)/);
    assert.match(off.tooltip, /Tool calling: no — tool calls failed verification \(no-tool-call, 2026-12-02\): The model answered without/);

    // A summary stored before the tool-call field existed still says it through failedStage.
    const { toolCall: _t, ...old } = fail;
    const [older] = offersFor([up(LLAMA, 'llamacpp', 'llamacpp', [llamaModel])], { [key]: { codex: old } });
    assert.equal(older.capabilities.toolCalling, false);
    assert.match(older.detail, /failed verification \(no-tool-call\)/);
  });

  test('the server\'s own "no tools" (a chat template without them) is an answer too', () => {
    const [o] = offersFor([
      up(LLAMA, 'llamacpp', 'llamacpp', [{ ...llamaModel, tools: false, toolsWhy: 'its chat template has no tool support' }]),
    ]);
    assert.equal(o.capabilities.toolCalling, false);
    assert.match(o.detail, /no tools: the server reports none/);
    assert.match(o.tooltip, /its chat template has no tool support/);
  });

  test('image input from the verification; Ollama without "vision" says no', () => {
    const key = `${LLAMA}#local/model`;
    const v = (outcome: 'accepted' | 'rejected'): VerificationSummary => ({
      agent: 'codex',
      ok: true,
      at: 1,
      findings: { toolTypes: { 'image-output': outcome } },
    });
    assert.equal(
      offersFor([up(LLAMA, 'llamacpp', 'llamacpp', [llamaModel])], { [key]: { codex: v('accepted') } })[0].capabilities.imageInput,
      true,
    );
    assert.equal(
      offersFor([up(LLAMA, 'llamacpp', 'llamacpp', [llamaModel])], { [key]: { codex: v('rejected') } })[0].capabilities.imageInput,
      false,
    );
    const ollama = up('http://127.0.0.1:11434/v1', 'ollama', 'ollama', [
      { id: 'qwen3:8b', contextWindow: 40960, contextSource: 'ollama-model-info', capabilities: ['completion', 'tools'], tools: true },
    ]);
    assert.equal(offersFor([ollama])[0].capabilities.imageInput, false);
  });

  test('only servers that are up; embedding-only models, refused plain-http routes and duplicates are left out', () => {
    const ollama = up('http://127.0.0.1:11434/v1', 'ollama', 'ollama', [
      { id: 'nomic-embed-text', capabilities: ['embedding'] },
      { id: 'qwen3:8b', contextWindow: 40960, contextSource: 'ollama-model-info', capabilities: ['completion', 'tools'], tools: true },
    ]);
    const down: EndpointProbe = {
      provider: 'vllm',
      baseUrl: 'http://127.0.0.1:8000/v1',
      source: 'default',
      result: { kind: 'down', message: 'refused', ms: 1 },
    };
    const remote = up('http://gpu-box:8080/v1', 'llamacpp', 'llamacpp', [llamaModel]);
    const refused = up('http://other-box:8080/v1', 'llamacpp', 'llamacpp', [llamaModel]);
    const offers = offersFor([ollama, down, remote, refused, ollama], {}, u =>
      u.includes('gpu-box') ? 'ask' : u.includes('other-box') ? 'refused' : 'send',
    );
    assert.deepEqual(
      offers.map(o => o.id),
      ['http://127.0.0.1:11434/v1#qwen3:8b', 'http://gpu-box:8080/v1#local/model'],
    );
    assert.match(offers[0].tooltip, /Ollama serves with its own num_ctx/);
    assert.match(offers[1].detail, /asks before sending over plain http/);
    assert.match(offers[1].tooltip, /remote: gpu-box over plain http — not encrypted/);
  });

  test('a server that does not report its context: an assumed window, said as such', () => {
    const [o] = offersFor([up('http://127.0.0.1:1234/v1', 'lmstudio', 'lmstudio', [{ id: 'qwen3-coder-30b' }])]);
    assert.equal(o.maxInputTokens + o.maxOutputTokens, ASSUMED_CONTEXT);
    assert.match(o.tooltip, /not reported by the server; 8,192 tokens assumed/);
    assert.equal(o.version, 'unknown');
  });

  test("the verification summary keeps the tool-call stage's verdict", () => {
    const report: VerifyReport = {
      agent: 'codex',
      ok: true,
      baseUrl: LLAMA,
      model: 'm',
      startedAt: '',
      ms: 1,
      cancelled: false,
      stages: [
        {
          id: 'tool-call',
          title: 't',
          status: 'fail',
          ms: 1,
          summary: 's',
          evidence: [],
          diagnosis: { code: 'tool-call-as-text', message: 'as text', fix: null },
        },
      ],
    };
    assert.deepEqual(summarize(report, 5).toolCall, { status: 'fail', code: 'tool-call-as-text', message: 'as text' });
    assert.equal(summarize({ ...report, stages: [] }, 5).toolCall, undefined);
  });
});

const request = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'local/model',
  turns: [
    { role: 'system', parts: [{ kind: 'text', text: 'Be brief.' }] },
    { role: 'user', parts: [{ kind: 'text', text: 'Weather in Paris?' }] },
    {
      role: 'assistant',
      parts: [
        { kind: 'text', text: 'Checking.' },
        { kind: 'toolCall', callId: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
      ],
    },
    {
      role: 'user',
      parts: [
        { kind: 'toolResult', callId: 'call_1', text: 'sunny' },
        { kind: 'text', text: 'And tomorrow?' },
        { kind: 'image', mimeType: 'image/png', base64: 'AAAA' },
      ],
    },
  ],
  tools: [
    { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
  ],
  toolChoice: 'auto',
  maxOutputTokens: 2048,
  ...over,
});

describe('request bodies', () => {
  test('Responses API: messages, the call and its output as items in order, function tools, the output limit', () => {
    assert.deepEqual(responsesBody(request()), {
      model: 'local/model',
      input: [
        { type: 'message', role: 'system', content: [{ type: 'input_text', text: 'Be brief.' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'And tomorrow?' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAAA' },
          ],
        },
      ],
      stream: true,
      store: false,
      max_output_tokens: 2048,
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
      tool_choice: 'auto',
    });
  });

  test('Chat Completions: tool_calls on the assistant message, the tool message right after it, then the text', () => {
    const body = chatCompletionsBody(request({ toolChoice: 'required', temperature: 0.2 }));
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'And tomorrow?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
    ]);
    assert.equal(body.tool_choice, 'required');
    assert.equal(body.max_tokens, 2048);
    assert.equal(body.temperature, 0.2);
    assert.equal(body.stream, true);
  });

  test('no tools: no tools field; a tool without a schema gets an empty object schema', () => {
    assert.equal('tools' in responsesBody(request({ tools: [] })), false);
    const t = responsesBody(request({ tools: [{ name: 'now', description: 'The time' }] })).tools as { parameters: unknown }[];
    assert.deepEqual(t[0].parameters, { type: 'object', properties: {} });
  });

  test('the wire: learned here, else the last verification, else the Responses API', () => {
    assert.equal(chooseWire(undefined, undefined), 'responses');
    assert.equal(chooseWire(undefined, { ok: false, at: 1, diagnosis: 'responses-api-missing' }), 'chat-completions');
    assert.equal(chooseWire('responses', { ok: false, at: 1, diagnosis: 'responses-api-missing' }), 'responses');
  });

  test('model options: temperature and top_p only', () => {
    assert.deepEqual(modelOptionsOf({ temperature: 0.1, top_p: 0.9, seed: 4, max_tokens: 5 }), { temperature: 0.1, topP: 0.9 });
    assert.deepEqual(modelOptionsOf({ temperature: 'hot' }), {});
    assert.deepEqual(modelOptionsOf(undefined), {});
  });

  test('the text a turn carries, for counting', () => {
    assert.equal(turnText(request().turns[2]), 'Checking.\nget_weather {"city":"Paris"}');
  });
});

function read(wire: 'responses' | 'chat-completions', sse: string): ChatEvent[] {
  const p = new SseParser();
  const r = readerFor(wire);
  return [...p.push(sse), ...p.end()].flatMap(e => r.accept(e)).concat(r.end());
}
const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

describe('stream readers', () => {
  test("Responses, llama.cpp's order: text as it streams, the call when its item is done, then the end", () => {
    const sse =
      ev('response.created', { response: {} }) +
      ev('response.output_item.added', { item: { id: 'msg_1', type: 'message' } }) +
      ev('response.output_text.delta', { item_id: 'msg_1', delta: 'Hel' }) +
      ev('response.output_text.delta', { item_id: 'msg_1', delta: 'lo' }) +
      ev('response.output_item.added', { item: { id: 'fc_1', type: 'function_call', name: 'f' } }) +
      ev('response.function_call_arguments.delta', { item_id: 'fc_1', delta: '{"a":' }) +
      ev('response.output_item.done', { item: { id: 'msg_1', type: 'message', content: [{ type: 'output_text', text: 'Hello' }] } }) +
      ev('response.output_item.done', { item: { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{"a":1}' } }) +
      ev('response.completed', { response: {} });
    assert.deepEqual(read('responses', sse), [
      { kind: 'text', text: 'Hel' },
      { kind: 'text', text: 'lo' },
      { kind: 'toolCall', callId: 'call_1', name: 'f', input: { a: 1 } },
      { kind: 'done' },
    ]);
  });

  test('Responses: a message sent without deltas still reaches the chat', () => {
    const sse =
      ev('response.output_item.done', { item: { id: 'msg_9', type: 'message', content: [{ type: 'output_text', text: 'Whole' }] } }) +
      ev('response.completed', { response: {} });
    assert.deepEqual(read('responses', sse), [{ kind: 'text', text: 'Whole' }, { kind: 'done' }]);
  });

  test("Responses: the server's error in all its forms, and a stream that closes early", () => {
    assert.deepEqual(read('responses', ev('response.failed', { response: { error: { message: 'boom' } } })), [
      { kind: 'error', message: 'boom' },
    ]);
    assert.deepEqual(read('responses', `data: {"error":{"code":500,"message":"peg-native format"}}\n\n`), [
      { kind: 'error', message: 'peg-native format' },
    ]);
    assert.deepEqual(read('responses', ev('response.output_text.delta', { delta: 'x' })), [
      { kind: 'text', text: 'x' },
      { kind: 'error', message: 'the stream closed before the answer was complete' },
    ]);
    assert.deepEqual(read('responses', ev('response.incomplete', { response: {} })), [{ kind: 'done', truncated: true }]);
  });

  test('a call whose arguments are not a JSON object is an error, not a guess', () => {
    const sse = ev('response.output_item.done', { item: { type: 'function_call', call_id: 'c', name: 'f', arguments: '[1,2]' } });
    const [e] = read('responses', sse);
    assert.equal(e.kind, 'error');
    assert.match((e as { message: string }).message, /called f with arguments that are not a JSON object: \[1,2\]/);
  });

  test('Chat Completions: content deltas, a call assembled from its pieces, [DONE]', () => {
    const chunk = (delta: unknown, finish: string | null = null) =>
      `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const sse =
      chunk({ role: 'assistant', content: null }) +
      chunk({ content: 'Hi' }) +
      chunk({ tool_calls: [{ index: 0, id: 'call_7', type: 'function', function: { name: 'get_weather', arguments: '' } }] }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city"' } }] }) +
      chunk({ tool_calls: [{ index: 0, function: { arguments: ':"Paris"}' } }] }) +
      chunk({}, 'tool_calls') +
      'data: [DONE]\n\n';
    assert.deepEqual(read('chat-completions', sse), [
      { kind: 'text', text: 'Hi' },
      { kind: 'toolCall', callId: 'call_7', name: 'get_weather', input: { city: 'Paris' } },
      { kind: 'done' },
    ]);
    assert.deepEqual(read('chat-completions', `data: {"error":{"message":"bad"}}\n\n`), [{ kind: 'error', message: 'bad' }]);
    assert.deepEqual(read('chat-completions', chunk({ content: 'x' })), [
      { kind: 'text', text: 'x' },
      { kind: 'error', message: 'the stream closed before the answer was complete' },
    ]);
  });
});

const brain =
  (reply: (turn: Parameters<Brain>[0]) => ReturnType<Brain>): Brain =>
  turn =>
    reply(turn);

async function run(s: { baseUrl: string }, wire: 'responses' | 'chat-completions', r: ChatRequest, signal = new AbortController().signal) {
  const events: ChatEvent[] = [];
  const result = await runChat(
    { baseUrl: s.baseUrl, model: r.model, serverKind: 'llamacpp' },
    wire,
    (wire === 'responses' ? responsesBody : chatCompletionsBody)(r),
    {
      signal,
      onEvent: e => events.push(e),
    },
  );
  return { result, events };
}

describe('one chat request against a scripted server', () => {
  test('text streams in pieces and the request ends done', async () => {
    const s = await scripted({
      kind: 'llamacpp',
      models: [{ id: 'local/model' }],
      brain: brain(() => ({ kind: 'output', items: [{ type: 'message', text: 'Hello there' }] })),
    });
    const { result, events } = await run(s, 'responses', request({ tools: [] }));
    assert.equal(result.kind, 'done');
    assert.ok(events.length > 1, 'several deltas');
    assert.equal(events.map(e => (e.kind === 'text' ? e.text : '')).join(''), 'Hello there');
    const sent = JSON.parse(s.requests.find(q => q.path === '/v1/responses')!.body);
    assert.equal(sent.stream, true);
    assert.equal(sent.max_output_tokens, 2048);
  });

  test('a tool call arrives as one event with its parsed input', async () => {
    const s = await scripted({
      kind: 'llamacpp',
      models: [{ id: 'local/model' }],
      brain: brain(() => ({
        kind: 'output',
        items: [{ type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}', callId: 'call_x' }],
      })),
    });
    const { result, events } = await run(s, 'responses', request());
    assert.equal(result.kind, 'done');
    assert.deepEqual(events, [{ kind: 'toolCall', callId: 'call_x', name: 'get_weather', input: { city: 'Paris' } }]);
  });

  test('no Responses API (404): wire-missing, and the same request on Chat Completions streams', async () => {
    const s = await scripted({
      kind: 'vllm',
      models: [{ id: 'local/model' }],
      overrides: [(req, res) => (req.url?.endsWith('/responses') ? (sendJson(res, 404, { detail: 'Not Found' }), true) : false)],
      brain: brain(() => ({
        kind: 'output',
        items: [
          { type: 'message', text: 'via chat' },
          { type: 'function_call', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        ],
      })),
    });
    const first = await run(s, 'responses', request());
    assert.deepEqual(first.result, { kind: 'wire-missing', status: 404 });
    assert.equal(first.events.length, 0);
    const { result, events } = await run(s, 'chat-completions', request());
    assert.equal(result.kind, 'done');
    assert.equal(
      events
        .filter(e => e.kind === 'text')
        .map(e => (e as { text: string }).text)
        .join(''),
      'via chat',
    );
    assert.deepEqual(events.at(-1), {
      kind: 'toolCall',
      callId: (events.at(-1) as { callId: string }).callId,
      name: 'get_weather',
      input: { city: 'Oslo' },
    });
  });

  test("an HTTP error carries the server's own words", async () => {
    const s = await scripted({
      kind: 'llamacpp',
      models: [{ id: 'local/model' }],
      brain: brain(() => ({
        kind: 'http',
        status: 400,
        body: {
          error: {
            code: 400,
            message: 'request (9000 tokens) exceeds the available context size (8192 tokens), try increasing it',
            type: 'exceed_context_size_error',
          },
        },
      })),
    });
    const { result } = await run(s, 'responses', request());
    assert.deepEqual(result, {
      kind: 'failed',
      status: 400,
      message: 'request (9000 tokens) exceeds the available context size (8192 tokens), try increasing it',
      unreachable: false,
    });
  });

  test('nothing listening: failed and unreachable', async () => {
    const port = await freePort();
    const { result } = await run({ baseUrl: `http://127.0.0.1:${port}/v1` }, 'responses', request());
    assert.equal(result.kind, 'failed');
    assert.equal(result.kind === 'failed' && result.unreachable, true);
  });

  test('cancelling closes the request: the server sees its connection end', async () => {
    let closed!: () => void;
    const serverSawClose = new Promise<void>(r => (closed = r));
    const s = await scripted({
      kind: 'llamacpp',
      models: [{ id: 'local/model' }],
      overrides: [
        (req, res) => {
          if (!req.url?.endsWith('/responses')) return false;
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(ev('response.output_text.delta', { delta: 'endless' }));
          res.on('close', () => closed());
          return true;
        },
      ],
    });
    const ac = new AbortController();
    const events: ChatEvent[] = [];
    const pending = runChat({ baseUrl: s.baseUrl, model: 'local/model' }, 'responses', responsesBody(request()), {
      signal: ac.signal,
      onEvent: e => {
        events.push(e);
        ac.abort();
      },
    });
    assert.deepEqual(await pending, { kind: 'cancelled' });
    await serverSawClose;
    assert.deepEqual(events, [{ kind: 'text', text: 'endless' }]);
  });
});

describe('token counts', () => {
  test("llama.cpp and vLLM: the server's tokenizer; others: the estimate", async () => {
    const text = 'Hello, world: count me.';
    const llama = await scripted({ kind: 'llamacpp', models: [{ id: 'local/model' }] });
    assert.deepEqual(await countTokens(text, { kind: 'llamacpp', baseUrl: llama.baseUrl, model: 'local/model' }), {
      tokens: 7,
      source: 'server',
    });
    assert.deepEqual(JSON.parse(llama.requests.find(r => r.path === '/tokenize')!.body), { content: text });
    const vllm = await scripted({ kind: 'vllm', models: [{ id: 'm' }] });
    assert.deepEqual(await countTokens(text, { kind: 'vllm', baseUrl: vllm.baseUrl, model: 'm' }), { tokens: 7, source: 'server' });
    assert.deepEqual(JSON.parse(vllm.requests.find(r => r.path === '/tokenize')!.body), { model: 'm', prompt: text });
    const ollama = await scripted({ kind: 'ollama', models: [{ id: 'm' }] });
    assert.deepEqual(await countTokens(text, { kind: 'ollama', baseUrl: ollama.baseUrl, model: 'm' }), {
      tokens: estimateTokens(text),
      source: 'estimate',
    });
    assert.equal(ollama.requests.length, 0);
  });

  test('text that may not go to the server is estimated without a request; a failing tokenizer falls back', async () => {
    const llama = await scripted({ kind: 'llamacpp', models: [{ id: 'local/model' }] });
    assert.equal(
      (await countTokens('abc def', { kind: 'llamacpp', baseUrl: llama.baseUrl, model: 'x', mayAsk: false })).source,
      'estimate',
    );
    assert.equal(llama.requests.length, 0);
    const port = await freePort();
    assert.equal(
      (await countTokens('abc def', { kind: 'llamacpp', baseUrl: `http://127.0.0.1:${port}/v1`, model: 'x' })).source,
      'estimate',
    );
  });
});

describe('one generation at a time', () => {
  test('tasks on one key run in turn; other keys do not wait; a failure does not block the next', async () => {
    const gate = new SerialGate();
    const log: string[] = [];
    const task =
      (name: string, ms: number, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await new Promise(r => setTimeout(r, ms));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const a = gate.run('llama', task('a', 30, true));
    const b = gate.run('llama', task('b', 5));
    const c = gate.run('other', task('c', 5));
    await assert.rejects(a);
    assert.equal(await b, 'b');
    assert.equal(await c, 'c');
    assert.ok(log.indexOf('end a') < log.indexOf('start b'), log.join(', '));
    assert.ok(log.indexOf('start c') < log.indexOf('end a'), log.join(', '));
    assert.equal(gate.busy, 0);
  });
});

describe("the server's words, fit to show", () => {
  test('terminal escapes, control and bidirectional characters shown escaped; whitespace collapsed; bounded', () => {
    assert.equal(
      presentServerText('\u001b[31mred\u001b[0m\u0000 text\n\nnext\u202eevil'),
      '\\u001b[31mred\\u001b[0m\\u0000 text next\\u202eevil',
    );
    assert.equal(presentServerText('x'.repeat(700)), `${'x'.repeat(600)}… (100 more characters)`);
  });
});
