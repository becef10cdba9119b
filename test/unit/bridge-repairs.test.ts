// The route bridge on the servers no real part here shows: chat-only servers shaped as mlx_lm.server
// and llama-cpp-python answer (test/support/chat-only-servers.ts), vLLM 0.19.1 refusing replayed
// history without `status`, LM Studio refusing `text` without `format` (test/support/codex-behaviours.ts).
// For each: the direct Codex verdict names the server's failure, the verdict picks the bridge's
// upstream API, and the verification through a bridge in that mode passes; in pass-through mode the
// server's own /v1/responses got the request with the repair applied. Plus the pass-through repairs
// themselves, each switchable, and the stream piped back unchanged.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { startScriptedServer, type ScriptedServer, type ScriptedServerOptions } from '../support/scripted-server';
import { chatOnlyServer } from '../support/chat-only-servers';
import { inputItems } from '../support/brain';
import * as C from '../support/codex-behaviours';
import { verifyForAgent } from '../../src/core/agentVerify';
import { bridgeAdapters, bridgeCanHelp, bridgeModeFor, bridgeRepairsFor } from '../../src/core/bridge/decide';
import { verifyInBridge, verifyThroughBridge } from '../../src/core/bridge/verifyThrough';
import { planPassThrough } from '../../src/core/bridge/responses/passThrough';
import { DEFAULT_REPAIRS } from '../../src/core/bridge/adapter';
import { startBridge, type RunningBridge } from '../../src/core/bridge/server';
import { renderText } from '../../src/core/verify/report';
import type { DiagnosisCode, StageId, VerifyReport } from '../../src/core/verify/types';

type Obj = Record<string, unknown>;
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

async function serve(o: ScriptedServerOptions): Promise<ScriptedServer> {
  const s = await startScriptedServer(o);
  closers.push(() => s.close());
  return s;
}

const stageOf = (r: VerifyReport, id: StageId) => {
  const s = r.stages.find(x => x.id === id);
  return { status: s?.status, code: s?.diagnosis?.code };
};
const notPassing = (r: VerifyReport) =>
  JSON.stringify(r.stages.filter(s => s.status !== 'pass' && s.status !== 'skip').map(s => [s.id, s.status, s.diagnosis?.code, s.summary]));
const postsTo = (s: ScriptedServer, from: number) => s.requests.slice(from).filter(r => r.method === 'POST');
const bodyOf = (r: { body: string }) => JSON.parse(r.body) as Obj;

describe('the pass-through repairs', () => {
  const history = [
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'rules' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] },
    { type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: 'think' }], encrypted_content: null },
    { type: 'function_call', name: 'exec_command', arguments: '{}', call_id: 'c1' },
    { type: 'function_call_output', call_id: 'c1', output: 'x' },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'done' }] },
    { type: 'message', role: 'assistant', status: 'incomplete', content: [{ type: 'output_text', text: 'cut' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'again' }] },
  ];
  const request = { model: 'm', stream: true, input: history, text: { verbosity: 'low' }, store: false };

  test('replayStatus: `status: "completed"` on reasoning items and assistant messages without one, nothing else; textFormat: a text format beside the verbosity; each noted', () => {
    const r = planPassThrough(request, DEFAULT_REPAIRS);
    assert.ok(r.ok);
    const input = r.plan.body.input as Obj[];
    assert.deepEqual(
      input.map(i => i.status),
      [undefined, undefined, 'completed', undefined, undefined, 'completed', 'incomplete', undefined],
    );
    assert.deepEqual(r.plan.body.text, { verbosity: 'low', format: { type: 'text' } });
    assert.deepEqual(
      r.plan.notes.map(n => n.code),
      ['replay-status-added', 'text-format-added'],
    );
    // Everything else goes as Codex sent it; Codex's own object is not changed.
    assert.deepEqual({ ...r.plan.body, input: history, text: request.text }, request);
    assert.equal((history[2] as Obj).status, undefined);
    assert.equal(r.plan.stream, true);
  });

  test('each repair is switched off by name; a request that needs neither is sent as it is, without a note', () => {
    const off = planPassThrough(request, { ...DEFAULT_REPAIRS, replayStatus: false, textFormat: false });
    assert.ok(off.ok);
    assert.deepEqual(off.plan.body, request);
    assert.deepEqual(off.plan.notes, []);
    const plain = { model: 'm', input: [history[1]], text: { format: { type: 'json_object' } } };
    const p = planPassThrough(plain, DEFAULT_REPAIRS);
    assert.ok(p.ok);
    assert.equal(p.plan.body, plain);
    assert.deepEqual(p.plan.notes, []);
    // No `text` at all is what Codex sends through the product's profile: LM Studio takes it, nothing is added.
    const none = planPassThrough({ model: 'm', input: 'hi' }, DEFAULT_REPAIRS);
    assert.ok(none.ok && none.plan.body.text === undefined);
    const bad = planPassThrough([], DEFAULT_REPAIRS);
    assert.deepEqual(bad, { ok: false, status: 400, message: 'The request body must be a JSON object.' });
  });
});

describe('a stream passed through is the upstream’s, unchanged; a refusal comes back in Codex’s error shape', () => {
  test('the bytes Codex gets are the bytes the server sent, and what the server got was repaired', async () => {
    const s = await serve({ kind: 'vllm', models: [{ id: 'glm-5.1', contextWindow: 65536 }], brain: C.vllmHistoryStatusBrain() });
    const request = {
      model: 'glm-5.1',
      stream: true,
      input: [
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'one' }] },
        { type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: 'think' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ONE' }] },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Reply with exactly: TWO' }] },
      ],
    };
    const lines: string[] = [];
    const b = await startBridge({ upstream: s.baseUrl, adapters: bridgeAdapters({ codex: 'responses' }), log: l => lines.push(l) });
    closers.push(() => b.close());
    const through = await post(b, request);
    assert.equal(through.status, 200);
    assert.match(through.headers['content-type'] ?? '', /text\/event-stream/);
    assert.match(through.body, /response\.completed/);
    const sent = bodyOf(postsTo(s, 0).at(-1)!);
    assert.equal(postsTo(s, 0).at(-1)!.path, '/v1/responses');
    assert.deepEqual(
      inputItems(sent).map(i => i.status),
      [undefined, 'completed', 'completed', undefined],
    );
    // The same repaired request straight to the server: the stream it sends is what the bridge passed on,
    // but for the ids and times it draws anew each time.
    const direct = await postUrl(`${s.baseUrl}/responses`, sent);
    const unstamp = (t: string) => t.replace(/"(id|item_id|created_at|call_id)":("[^"]*"|\d+)/g, '"$1":_');
    assert.equal(unstamp(through.body), unstamp(direct.body));
    assert.ok(
      lines.some(l => /^POST \/v1\/responses 200 .*\[replay-status-added\]/.test(l)),
      lines.join('\n'),
    );
    assert.ok(!lines.join('\n').includes('TWO'), 'no prompt in the log');

    // With the repair off the server's refusal reaches Codex as an HTTP error in its shape, with vLLM's words.
    const off = await startBridge({
      upstream: s.baseUrl,
      adapters: bridgeAdapters({ codex: 'responses' }),
      repairs: { ...DEFAULT_REPAIRS, replayStatus: false },
    });
    closers.push(() => off.close());
    const refused = await post(off, request);
    assert.equal(refused.status, 400);
    const err = (JSON.parse(refused.body) as { error: Obj }).error;
    assert.equal(err.type, 'invalid_request_error');
    assert.match(String(err.message), /^The upstream http:\/\/127\.0\.0\.1:\d+\/v1 answered HTTP 400: .*Field required/s);
  });
});

test('a whole (non-streamed) answer comes back as the server sent it; a failing server (5xx) reaches Codex as a response.failed event with its words', async () => {
  const s = await serve({
    kind: 'vllm',
    models: [{ id: 'm', contextWindow: 32768 }],
    brain: ({ request }) =>
      JSON.stringify(request).includes('BREAK')
        ? {
            kind: 'http',
            status: 500,
            body: { error: { message: 'EngineCore encountered an issue.', type: 'InternalServerError', param: null, code: 500 } },
          }
        : { kind: 'output', items: [{ type: 'message', text: 'WHOLE' }] },
  });
  const b = await startBridge({ upstream: s.baseUrl, adapters: bridgeAdapters({ codex: 'responses' }) });
  closers.push(() => b.close());
  const whole = await post(b, { model: 'm', input: 'Reply with exactly: WHOLE' });
  assert.equal(whole.status, 200);
  assert.equal(postsTo(s, 0).at(-1)!.path, '/v1/responses');
  const body = JSON.parse(whole.body) as { object: string; output: { content?: { text: string }[] }[] };
  assert.equal(body.object, 'response');
  assert.equal(body.output.at(-1)?.content?.[0]?.text, 'WHOLE');
  const failed = await post(b, { model: 'm', stream: true, input: 'BREAK' });
  assert.equal(failed.status, 200);
  assert.match(failed.body, /event: response\.failed\ndata: .*answered HTTP 500: EngineCore encountered an issue\./);
});

function postUrl(url: string, body: unknown): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, res => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', c => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
const post = (b: RunningBridge, body: unknown) => postUrl(`${b.url}/responses`, body);

describe('each server: the direct verdict names its failure, picks the bridge’s mode, and passes through the bridge', () => {
  const cases: {
    name: string;
    server: () => ScriptedServerOptions;
    model: string;
    direct: { stage: StageId; status: 'fail' | 'warn'; code: DiagnosisCode };
    mode: 'chat' | 'responses';
    /** What the server must have been sent through the bridge. */
    check: (posts: { path: string; body: string }[]) => void;
  }[] = [
    {
      name: 'mlx_lm.server (chat completions only)',
      server: () => chatOnlyServer('mlx-lm', [{ id: 'mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit' }]),
      model: 'mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit',
      direct: { stage: 'responses-text', status: 'fail', code: 'responses-api-missing' },
      mode: 'chat',
      check: posts => assert.ok(posts.length > 0 && posts.every(p => p.path === '/v1/chat/completions'), posts.map(p => p.path).join(' ')),
    },
    {
      name: 'llama-cpp-python (chat completions only)',
      server: () => chatOnlyServer('llama-cpp-python', [{ id: 'qwen2.5-coder-7b-instruct-q4_k_m.gguf' }]),
      model: 'qwen2.5-coder-7b-instruct-q4_k_m.gguf',
      direct: { stage: 'responses-text', status: 'fail', code: 'responses-api-missing' },
      mode: 'chat',
      check: posts => assert.ok(posts.length > 0 && posts.every(p => p.path === '/v1/chat/completions'), posts.map(p => p.path).join(' ')),
    },
    {
      name: 'vLLM 0.19.1 (replayed history without status refused)',
      server: () => ({ kind: 'vllm', models: [{ id: 'glm-5.1', contextWindow: 65536 }], brain: C.vllmHistoryStatusBrain() }),
      model: 'glm-5.1',
      direct: { stage: 'multi-turn', status: 'fail', code: 'history-rejected' },
      mode: 'responses',
      check: posts => {
        assert.ok(posts.length > 0 && posts.every(p => p.path === '/v1/responses'), posts.map(p => p.path).join(' '));
        const replayed = posts.flatMap(p => inputItems(bodyOf(p))).filter(i => i.type === 'reasoning' || i.role === 'assistant');
        assert.ok(replayed.length > 0, 'history was replayed');
        assert.ok(
          replayed.every(i => i.status === 'completed'),
          JSON.stringify(replayed.map(i => [i.type, i.status])),
        );
      },
    },
    {
      name: 'LM Studio 0.4.x (`text` without `format` refused)',
      server: () => ({
        kind: 'lmstudio',
        models: [{ id: 'qwen/qwen3-coder-30b', contextWindow: 32768 }],
        brain: C.textFormatRequiredBrain(),
      }),
      model: 'qwen/qwen3-coder-30b',
      direct: { stage: 'tool-types', status: 'warn', code: 'text-format-required' },
      mode: 'responses',
      check: posts => {
        assert.ok(posts.length > 0 && posts.every(p => p.path === '/v1/responses'), posts.map(p => p.path).join(' '));
        const withText = posts.map(bodyOf).filter(b => b.text !== undefined);
        assert.ok(withText.length > 0, 'the verifier sent `text`');
        assert.ok(
          withText.every(b => (b.text as Obj).format !== undefined),
          JSON.stringify(withText.map(b => b.text)),
        );
      },
    },
  ];

  for (const c of cases)
    test(c.name, async () => {
      const s = await serve(c.server());
      const input = { baseUrl: s.baseUrl, model: c.model, timeoutMs: 10_000, contextWindow: 32_768 };
      const direct = await verifyForAgent('codex', input);
      assert.deepEqual(stageOf(direct, c.direct.stage), { status: c.direct.status, code: c.direct.code }, notPassing(direct));
      assert.deepEqual(bridgeRepairsFor(direct), [c.direct.code], notPassing(direct));
      assert.equal(bridgeModeFor(direct), c.mode);
      const mark = s.requests.length;
      if (c.direct.status === 'fail') {
        assert.equal(direct.ok, false);
        const through = await verifyThroughBridge('codex', input, direct);
        assert.ok(through, 'verified again through the bridge');
        assert.deepEqual(
          { ok: through.ok, upstreamApi: through.upstreamApi, failed: through.failed },
          { ok: true, upstreamApi: c.mode, failed: undefined },
        );
        const text = renderText({ ...direct, throughBridge: through });
        assert.match(
          text,
          c.mode === 'responses'
            ? /Through the route bridge \(Start Route Bridge\): passed — the bridge repairs history-rejected over the server's own \/v1\/responses, repaired \(bridge --upstream-api responses\)/
            : /Through the route bridge \(Start Route Bridge\): passed — the bridge repairs responses-api-missing over the server's chat completions/,
        );
      } else {
        // A warning alone: Codex works here through the product's profile, so Verify Route runs no
        // second verification; the bridge in the mode the verdict picks still clears the warning.
        assert.equal(direct.ok, true);
        assert.equal(bridgeCanHelp(direct), false);
        const through = await verifyInBridge('codex', input, bridgeModeFor(direct));
        assert.equal(through.ok, true, notPassing(through));
        assert.equal(stageOf(through, c.direct.stage).status, 'pass', notPassing(through));
      }
      c.check(postsTo(s, mark));
    });
});

describe('bridgeModeFor: the server’s own Responses API only when every repair needed is a pass-through one', () => {
  const report = (codes: [DiagnosisCode, 'fail' | 'warn'][], agent: 'codex' | 'claude' = 'codex'): VerifyReport =>
    ({
      agent,
      ok: false,
      cancelled: false,
      stages: codes.map(([code, status], i) => ({ id: `s${i}`, status, diagnosis: { code, message: '', fix: null } })),
    }) as unknown as VerifyReport;
  for (const [codes, mode] of [
    [[['history-rejected', 'fail']], 'responses'],
    [[['text-format-required', 'warn']], 'responses'],
    [
      [
        ['history-rejected', 'fail'],
        ['text-format-required', 'warn'],
      ],
      'responses',
    ],
    [
      [
        ['history-rejected', 'fail'],
        ['mcp-tools-dropped', 'warn'],
      ],
      'chat',
    ],
    [[['responses-api-missing', 'fail']], 'chat'],
    [[['template-system-message', 'fail']], 'chat'],
    [[['model-not-found', 'fail']], 'chat'],
    [[], 'chat'],
  ] as [[DiagnosisCode, 'fail' | 'warn'][], string][])
    test(`${codes.map(c => c.join(' ')).join(' + ') || 'nothing to repair'} → ${mode}`, () => {
      assert.equal(bridgeModeFor(report(codes)), mode);
    });
  test('Claude Code’s side: chat completions, unless the server has no /v1/messages, no chat completions and the Responses API', () => {
    const missing = report([['messages-api-missing', 'fail']], 'claude');
    assert.equal(bridgeModeFor(missing), 'chat', 'the server not asked: chat');
    assert.equal(bridgeModeFor(missing, { chat: true, responses: true }), 'chat');
    assert.equal(bridgeModeFor(missing, { chat: false, responses: false }), 'chat');
    assert.equal(bridgeModeFor(missing, { chat: false, responses: true }), 'responses');
    const strict = report([['template-system-message', 'fail']], 'claude');
    assert.equal(bridgeModeFor(strict, { chat: false, responses: true }), 'chat', 'a server with /v1/messages keeps chat');
    assert.equal(bridgeModeFor(report([['history-rejected', 'fail']], 'claude')), 'chat');
  });
});
