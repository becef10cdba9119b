// The verifier's pure parts: SSE parsing, Codex's stream rules, diagnosis texts, tool-call judging.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SseParser, type SseEvent } from '../../src/core/net/sse';
import { ResponsesStreamReader } from '../../src/core/codex/verify/responsesStream';
import { diagnoseHttp, diagnoseMessage } from '../../src/core/verify/diagnose';
import { judgeCall, judgeCommand, looksLikeToolCallText, execOutput } from '../../src/core/verify/toolcall';
import { codexShapedRequest, CODEX_REQUEST_SIZES } from '../../src/core/codex/verify/shape';
import { generatedInstructions } from '../../src/core/verify/filler';
import { LOCAL_BASE_INSTRUCTIONS } from '../../src/core/codex/modelCatalog';
import { closeMatches } from '../../src/core/verify/stage';
import { TEXTS, healthyStreamFrames } from '../support/behaviours';

function parseAll(chunks: string[]): SseEvent[] {
  const p = new SseParser();
  return [...chunks.flatMap(c => p.push(c)), ...p.end()];
}

describe('SseParser', () => {
  test('events, comments, multi-line data, CRLF', () => {
    const evs = parseAll([': ping\r\n\r\nevent: a\r\ndata: {"x":1}\r\n\r\ndata: line1\ndata: line2\n\n']);
    assert.deepEqual(evs, [
      { event: 'a', data: '{"x":1}' },
      { event: undefined, data: 'line1\nline2' },
    ]);
  });
  test('any split of the bytes gives the same events', () => {
    const text = healthyStreamFrames('hello').join('').replace(/\n/g, '\r\n');
    const whole = parseAll([text]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 12 }), cuts => {
        const sorted = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: string[] = [];
        let prev = 0;
        for (const c of sorted) {
          chunks.push(text.slice(prev, c));
          prev = c;
        }
        chunks.push(text.slice(prev));
        assert.deepEqual(parseAll(chunks), whole);
      }),
    );
  });
  test('an event without its final blank line is delivered at the end', () => {
    assert.deepEqual(parseAll(['data: {"a":1}']), [{ event: undefined, data: '{"a":1}' }]);
  });
  test('unknown fields are kept (old llama.cpp `error:` lines)', () => {
    assert.deepEqual(parseAll(['error: {"x":1}\n\n']), [{ event: undefined, data: '', other: { error: '{"x":1}' } }]);
  });
});

function read(frames: string[]) {
  const r = new ResponsesStreamReader();
  for (const ev of parseAll(frames)) r.accept(ev);
  return r.end();
}
const f = (type: string, data: Record<string, unknown> = {}) => `data: ${JSON.stringify({ type, ...data })}\n\n`;

describe('ResponsesStreamReader follows Codex', () => {
  test('a healthy stream completes with its text', () => {
    const o = read(healthyStreamFrames('LOCAL-OK'));
    assert.equal(o.completed, true);
    assert.equal(o.text, 'LOCAL-OK');
    assert.deepEqual(o.problems, []);
  });
  test('minimal accepted: output_item.done then completed, data-only frames', () => {
    const o = read([
      f('response.output_item.done', { item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hi' }] } }),
      f('response.completed', { response: { id: 'r' } }),
    ]);
    assert.equal(o.text, 'hi');
    assert.deepEqual(o.problems, []);
  });
  test('a delta before any output_item.added is a problem', () => {
    const o = read([f('response.output_text.delta', { delta: 'x' }), f('response.completed', { response: { id: 'r' } })]);
    assert.equal(o.problems[0].kind, 'malformed');
    assert.match(o.problems[0].message, /without active item/);
  });
  test('no response.completed', () => {
    assert.match(read([f('response.created')]).problems[0].message, /stream closed before response.completed/);
  });
  test('response.failed and response.incomplete', () => {
    assert.equal(read([f('response.failed', { response: { error: { message: 'boom' } } })]).problems[0].serverMessage, 'boom');
    assert.equal(
      read([f('response.incomplete', { response: { incomplete_details: { reason: 'max_output_tokens' } } })]).problems[0].reason,
      'max_output_tokens',
    );
  });
  test('data: {"error":…} after the stream began', () => {
    const o = read([f('response.created'), `data: {"error":{"code":500,"message":"unknown error","type":"server_error"}}\n\n`]);
    assert.equal(o.problems[0].kind, 'error');
    assert.equal(o.problems[0].serverMessage, 'unknown error');
  });
  test('frames that are not JSON are counted and skipped, as Codex does', () => {
    const o = read(['data: [DONE]\n\n', ...healthyStreamFrames('x')]);
    assert.equal(o.unparsable, 1);
    assert.deepEqual(o.problems, []);
  });
  test('function calls are collected from output_item.done', () => {
    const item = { type: 'function_call', name: 'exec_command', call_id: 'fc_1', arguments: '{"cmd":"cat /x"}' };
    const o = read([
      f('response.output_item.added', { item: { ...item, arguments: '' } }),
      f('response.function_call_arguments.delta', { delta: item.arguments }),
      f('response.output_item.done', { item }),
      f('response.completed', { response: {} }),
    ]);
    assert.deepEqual(o.items, [item]);
  });
});

const ctx = { model: 'm', path: '/responses' };
describe('diagnoses match the real texts, also wrapped', () => {
  const cases: [string, number, unknown, string][] = [
    ['llama.cpp jinja 500', 500, { error: { code: 500, message: TEXTS.jinjaSystem500, type: 'server_error' } }, 'template-system-message'],
    [
      'llama.cpp auto-parser 400',
      400,
      { error: { code: 400, message: TEXTS.jinjaSystem400, type: 'invalid_request_error' } },
      'template-system-message',
    ],
    [
      'LM Studio string-wrapped llama.cpp',
      500,
      {
        error: `Engine protocol predict request returned 500: ${JSON.stringify({ error: { code: 500, message: TEXTS.jinjaSystem500, type: 'server_error' } })}`,
      },
      'template-system-message',
    ],
    [
      'vLLM template',
      400,
      { error: { message: 'System message must be at the beginning.', type: 'BadRequestError', param: null, code: 400 } },
      'template-system-message',
    ],
    [
      'non-function tool',
      400,
      { error: { code: 400, message: TEXTS.toolTypeMustBeFunction, type: 'invalid_request_error' } },
      'non-function-tool-rejected',
    ],
    [
      'Ollama tools',
      400,
      {
        error: {
          message: 'registry.ollama.ai/library/gemma3:270m does not support tools',
          type: 'invalid_request_error',
          param: null,
          code: null,
        },
      },
      'tools-unsupported',
    ],
    ['Ollama native tools', 400, { error: 'registry.ollama.ai/library/gemma3:270m does not support tools' }, 'tools-unsupported'],
    ['jinja off', 500, { error: { code: 500, message: TEXTS.toolsNeedJinja, type: 'server_error' } }, 'tools-unsupported'],
    [
      'vLLM parser',
      400,
      { error: { message: TEXTS.vllmAutoToolChoice, type: 'BadRequestError', param: null, code: 400 } },
      'tools-unsupported',
    ],
    [
      'llama ctx newest',
      400,
      {
        error: {
          code: 400,
          message: TEXTS.llamaCtxNewest(20512, 16384),
          type: 'exceed_context_size_error',
          n_prompt_tokens: 20512,
          n_ctx: 16384,
        },
      },
      'context-too-small',
    ],
    ['llama ctx old', 400, { error: { code: 400, message: TEXTS.llamaCtxOld, type: 'invalid_request_error' } }, 'context-too-small'],
    [
      'vLLM ctx',
      400,
      { error: { message: TEXTS.vllmCtx(40960, 40961), type: 'BadRequestError', param: 'input_tokens', code: 400 } },
      'context-too-small',
    ],
    [
      'old vLLM flat ctx',
      400,
      { object: 'error', message: TEXTS.vllmCtxOld(4096, 5000), type: 'BadRequestError', param: null, code: 400 },
      'context-too-small',
    ],
    [
      'Ollama ctx',
      400,
      { error: { message: TEXTS.ollamaCtx, type: 'invalid_request_error', param: null, code: null } },
      'context-too-small',
    ],
    ['Ollama old ctx', 500, { error: 'prompt too long; exceeded max context length by 412 tokens' }, 'context-too-small'],
    ['LM Studio ctx', 400, { error: TEXTS.lmstudioCtx }, 'context-too-small'],
    ['Loading model', 503, { error: { message: 'Loading model', type: 'unavailable_error', code: 503 } }, 'model-loading'],
    [
      'Ollama model',
      404,
      { error: { message: "model 'x' not found", type: 'not_found_error', param: null, code: null } },
      'model-not-found',
    ],
    [
      'vLLM model',
      404,
      { error: { message: 'The model `x` does not exist.', type: 'NotFoundError', param: 'model', code: 404 } },
      'model-not-found',
    ],
    [
      'old vLLM flat model',
      404,
      { object: 'error', message: 'The model `x` does not exist.', type: 'NotFoundError', param: null, code: 404 },
      'model-not-found',
    ],
    [
      'llama.cpp router model',
      400,
      { error: { code: 400, message: "model 'x' not found", type: 'invalid_request_error' } },
      'model-not-found',
    ],
    ['llama.cpp 401', 401, { error: { message: 'Invalid API Key', type: 'authentication_error', code: 401 } }, 'unauthorized'],
    ['vLLM 401', 401, { error: 'Unauthorized' }, 'unauthorized'],
    ['llama.cpp 404 route', 404, { error: { message: 'File Not Found', type: 'not_found_error', code: 404 } }, 'responses-api-missing'],
    ['Ollama 404 text', 404, '404 page not found', 'responses-api-missing'],
    ['FastAPI 404', 404, { detail: 'Not Found' }, 'responses-api-missing'],
    ['parse failure', 500, { error: { code: 500, message: TEXTS.parseFailure, type: 'server_error' } }, 'tool-call-as-text'],
    ['unknown 500', 500, { error: { code: 500, message: 'unknown error', type: 'server_error' } }, 'server-error'],
    ['httplib plain text 500', 500, 'std::bad_alloc', 'server-error'],
  ];
  for (const [name, status, body, code] of cases) {
    test(`${name} → ${code}`, () => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      assert.equal(diagnoseHttp(status, text, ctx).code, code);
    });
  }
  test('context sizes are read from the message and the fix leaves room', () => {
    const d = diagnoseHttp(
      400,
      JSON.stringify({ error: { code: 400, message: TEXTS.llamaCtxNewest(20512, 16384), type: 'exceed_context_size_error' } }),
      { ...ctx, serverKind: 'llamacpp' },
    );
    assert.match(d.message, /prompt 20512 tokens, context 16384/);
    assert.deepEqual(d.fix, { kind: 'changeServer', change: { what: 'context', tokens: 65536 }, label: 'Make the context 65536 tokens' });
  });
  test('the template fix is a change of the failing server, never chatml (which drops tools)', () => {
    for (const serverKind of ['vllm', 'llamacpp', 'lmstudio'] as const) {
      assert.deepEqual(diagnoseMessage('System message must be at the beginning.', { ...ctx, serverKind })?.fix, {
        kind: 'changeServer',
        change: { what: 'template', reason: 'system-message-order' },
        label: 'Use a template that accepts later system messages',
      });
    }
  });
  test('any text gives a diagnosis, never a throw', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), fc.string(), (status, body) => {
        const d = diagnoseHttp(status, body, ctx);
        assert.ok(d.code && d.message);
      }),
    );
  });
});

describe('tool-call judging never runs anything and recognizes reads', () => {
  const file = '/tmp/lmr-verify-abc/token.txt';
  const reads = [
    `cat ${file}`,
    `cat '${file}'`,
    `head -n 5 ${file}`,
    `tail ${file}`,
    `sed -n '1,5p' ${file}`,
    `sed -n 1p "${file}"`,
    `cd /tmp/lmr-verify-abc && cat token.txt`,
    `type ${file}`,
    `Get-Content -Path ${file}`,
    `Get-Content ${file} -Raw`,
  ];
  for (const cmd of reads) test(`reads: ${cmd}`, () => assert.equal(judgeCommand(cmd, file).kind, 'reads-token-file'));
  const others = [
    `cat /etc/passwd`,
    `cat ${file} | sh`,
    `cat ${file}; rm -rf /`,
    `rm ${file}`,
    `cat ${file} > /tmp/x`,
    `cat $(echo ${file})`,
    `cat ${file} /etc/hosts`,
    `echo hi`,
  ];
  for (const cmd of others) test(`not a read: ${cmd}`, () => assert.equal(judgeCommand(cmd, file).kind, 'other'));
  test('exec_command with workdir and a relative path', () => {
    assert.equal(
      judgeCall({ name: 'exec_command', arguments: JSON.stringify({ cmd: 'cat token.txt', workdir: '/tmp/lmr-verify-abc' }) }, file).kind,
      'reads-token-file',
    );
  });
  test('read_file, shell argv, Windows paths, bad JSON, unknown tools', () => {
    assert.equal(judgeCall({ name: 'read_file', arguments: JSON.stringify({ path: file }) }, file).kind, 'reads-token-file');
    assert.equal(
      judgeCall({ name: 'shell', arguments: JSON.stringify({ command: ['bash', '-lc', `cat ${file}`] }) }, file).kind,
      'reads-token-file',
    );
    assert.equal(
      judgeCall(
        { name: 'exec_command', arguments: JSON.stringify({ cmd: 'type C:\\Users\\me\\AppData\\Local\\Temp\\lmr-verify-x\\token.txt' }) },
        'C:\\Users\\me\\AppData\\Local\\Temp\\lmr-verify-x\\token.txt',
      ).kind,
      'reads-token-file',
    );
    assert.equal(judgeCall({ name: 'exec_command', arguments: '{"cmd": "cat' }, file).kind, 'other');
    assert.equal(judgeCall({ name: 'web_fetch', arguments: '{}' }, file).kind, 'other');
  });
  test('tool calls written as text are recognized', () => {
    assert.ok(looksLikeToolCallText(`{"name": "exec_command", "parameters": {"cmd": "cat ${file}"}}`, file));
    assert.ok(looksLikeToolCallText('<tool_call><function=exec_command>', file));
    assert.ok(!looksLikeToolCallText('I cannot access files.', file));
  });
  test("the output sent back ends the way Codex's does", () => {
    assert.match(execOutput('TOKEN\n'), /\nProcess exited with code 0\n.*\nOutput:\nTOKEN\n$/s);
  });
});

describe('codex-shape', () => {
  test('shaped like Codex through the written profile: its short instructions, two developer messages before the user ones', () => {
    const body = codexShapedRequest({ model: 'm', profile: { catalog: true, nonFunctionTools: true }, marker: 'X', cwd: '/w' });
    const input = body.input as { role: string; content: { text: string }[] }[];
    assert.deepEqual(
      input.map(i => i.role),
      ['developer', 'developer', 'user', 'user'],
    );
    assert.equal(
      input[0].content[0].text,
      LOCAL_BASE_INSTRUCTIONS,
      "the catalog's base instructions, as the profile makes Codex send them",
    );
    const types = (body.tools as { type: string }[]).map(t => t.type);
    assert.ok(types.includes('namespace') && types.includes('web_search'));
    const off = codexShapedRequest({ model: 'm', profile: { catalog: true, nonFunctionTools: false }, marker: 'X', cwd: '/w' });
    assert.ok((off.tools as { type: string }[]).every(t => t.type === 'function'));
    // Without a profile Codex sends its own ~17 kB prompt.
    const own = codexShapedRequest({ model: 'm', profile: { catalog: false, nonFunctionTools: true }, marker: 'X', cwd: '/w' });
    const chars = (b: Record<string, unknown>) => JSON.stringify(b.input).length + JSON.stringify(b.tools).length;
    assert.ok(chars(own) > chars(body) + CODEX_REQUEST_SIZES.fallbackInstructions * 0.9, `${chars(own)} vs ${chars(body)}`);
    assert.equal(generatedInstructions(30_000), generatedInstructions(30_000));
  });
  test('close matches for a model that is not listed', () => {
    assert.deepEqual(closeMatches('qwen3:4b', ['qwen3:8b', 'llama3.2:latest']), ['qwen3:8b']);
    assert.deepEqual(closeMatches('Local/Model', ['local/model']), ['local/model']);
    assert.deepEqual(closeMatches('zzz', ['local/model']), []);
  });
});

describe('report rendering', () => {
  const report = {
    agent: 'codex' as const,
    ok: false,
    baseUrl: 'http://127.0.0.1:1/v1',
    model: '<m>',
    startedAt: '2026-01-01T00:00:00Z',
    ms: 12,
    cancelled: false,
    stages: [
      {
        id: 'codex-shape' as const,
        title: 'A Codex-sized turn',
        status: 'fail' as const,
        ms: 5,
        summary: 'failed <b>',
        evidence: ['HTTP 400: <script>alert(1)</script>'],
        diagnosis: {
          code: 'context-too-small' as const,
          message: 'too small',
          fix: {
            kind: 'changeServer' as const,
            change: { what: 'context' as const, tokens: 32768 },
            label: 'Make the context 32768 tokens',
          },
        },
      },
    ],
  };
  test('HTML escapes server text, carries the CSP nonce and a fix button per failing stage', async () => {
    const { renderHtml } = await import('../../src/core/verify/html');
    const { planServerChange } = await import('../../src/core/serverChanges');
    const { resolveSettings } = await import('../../src/core/settings/resolve');
    const settings = resolveSettings(() => undefined, {}, true).values;
    // A llama-server started elsewhere: the button copies the flag; no setting is involved.
    const html = renderHtml(report, {
      cspSource: 'vscode-resource:',
      nonce: 'N0NCE',
      serverOutput: { 'codex-shape': ['srv: error <x>'] },
      resolve: c => planServerChange(c, { kind: 'llamacpp', settings, model: 'm' }),
    });
    assert.ok(!html.includes('<script>alert'));
    assert.match(html, /&lt;script&gt;alert/);
    assert.match(html, /script-src 'nonce-N0NCE'/);
    assert.match(html, /<button data-stage="codex-shape"/);
    assert.match(html, /srv: error &lt;x&gt;/);
    assert.match(html, />Copy the flag</);
    assert.match(html, /<code>--ctx-size 32768<\/code>/);
    assert.doesNotMatch(html, /localModelRouter\.llamacpp\.contextSize/);
    // Started here: the setting, then a restart, and the button says so.
    const managed = renderHtml(report, {
      cspSource: 'x',
      nonce: 'n',
      resolve: c => planServerChange(c, { kind: 'llamacpp', managedProvider: 'llamacpp', settings, model: 'm' }),
    });
    assert.match(managed, />Set the context to 32768 tokens and restart the server</);
  });
  test('text and Markdown name the code and the fix', async () => {
    const { renderText, renderMarkdown, summarize } = await import('../../src/core/codex/verify/index');
    assert.match(renderText(report), /context-too-small: too small\n\s+fix: make the context 32768 tokens/);
    assert.match(renderMarkdown(report), /\*\*context-too-small\*\*/);
    assert.deepEqual(summarize(report, 1), {
      agent: 'codex',
      ok: false,
      at: 1,
      failedStage: 'codex-shape',
      diagnosis: 'context-too-small',
      message: 'too small',
    });
  });
});
