// The verifier end to end against scripted servers that reproduce each real behaviour.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { startScriptedServer, type ScriptedServerOptions } from '../support/scripted-server';
import { healthyBrain, inputItems } from '../support/brain';
import * as B from '../support/behaviours';
import { verifyRoute, type DiagnosisCode, type StageId, type VerifyOptions, type VerifyReport } from '../../src/core/codex/verify/index';

const ALL: StageId[] = [];

async function verify(
  server: ScriptedServerOptions,
  model: string,
  opts: Partial<VerifyOptions> = {},
): Promise<{ report: VerifyReport; requests: number }> {
  const s = await startScriptedServer(server);
  try {
    const report = await verifyRoute({ baseUrl: s.baseUrl, model, skip: ALL, timeoutMs: 5_000, ...opts });
    return { report, requests: s.requests.length };
  } finally {
    await s.close();
  }
}

function stage(r: VerifyReport, id: StageId) {
  const s = r.stages.find(x => x.id === id);
  assert.ok(s, `stage ${id} missing`);
  return s;
}

function expectCode(r: VerifyReport, id: StageId, code: DiagnosisCode, status: 'fail' | 'warn' = 'fail') {
  const s = stage(r, id);
  assert.equal(s.status, status, `${id}: ${s.status} ${s.summary} ${JSON.stringify(s.diagnosis)} ${s.evidence.join(' | ')}`);
  assert.equal(s.diagnosis?.code, code, `${id}: ${JSON.stringify(s.diagnosis)}`);
  if (status === 'fail') assert.equal(r.ok, false);
  // Every report must survive JSON (the CLI prints it, the extension stores it).
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
}

const LLAMA = { kind: 'llamacpp', models: [{ id: 'local/model', contextWindow: 32768 }] } as const;
const OLLAMA = { kind: 'ollama', models: [{ id: 'qwen3:8b' }] } as const;

describe('healthy servers pass every stage', () => {
  test('llama.cpp-style', async () => {
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models] }, 'local/model');
    assert.equal(report.ok, true, JSON.stringify(report, null, 1));
    assert.deepEqual(
      report.stages.map(s => [s.id, s.status]),
      [
        ['models', 'pass'],
        ['responses-text', 'pass'],
        ['responses-stream', 'pass'],
        ['tool-call', 'pass'],
        ['codex-shape', 'pass'],
        ['multi-turn', 'pass'],
        ['tool-types', 'pass'],
        ['chat-completions', 'pass'],
      ],
    );
    assert.equal(report.serverKind, 'llamacpp');
    assert.ok(stage(report, 'responses-stream').metrics?.ttftMs !== undefined);
    assert.ok(stage(report, 'codex-shape').metrics?.promptMs !== undefined);
    assert.equal(stage(report, 'models').metrics?.contextWindow, 32768);
  });
  test('Ollama-style', async () => {
    const { report } = await verify(
      { ...OLLAMA, models: [...OLLAMA.models], brain: B.modelCheckingBrain(['qwen3:8b'], 'ollama') },
      'qwen3:8b',
    );
    assert.equal(report.ok, true, JSON.stringify(report, null, 1));
    assert.ok(report.stages.every(s => s.status === 'pass'));
    assert.equal(report.serverKind, 'ollama');
  });
  test('an Ollama name without :latest matches the listed :latest', async () => {
    const { report } = await verify({ kind: 'ollama', models: [{ id: 'llama3.2:latest' }] }, 'llama3.2', {
      skip: ['responses-stream', 'tool-call', 'codex-shape', 'chat-completions'],
    });
    assert.equal(stage(report, 'models').status, 'pass');
  });
  test('chat-completions is skipped by default and the temp token file is removed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-test-'));
    try {
      const { report } = await verify({ ...LLAMA, models: [...LLAMA.models] }, 'local/model', { skip: undefined, tempDir: dir });
      assert.equal(stage(report, 'chat-completions').status, 'skip');
      assert.equal(report.ok, true);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('each failure gets its diagnosis', () => {
  test('server-unreachable: nothing listens', async () => {
    const port = await new Promise<number>(r => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => r(p));
      });
    });
    const report = await verifyRoute({ baseUrl: `http://127.0.0.1:${port}/v1`, model: 'm', skip: [] });
    expectCode(report, 'models', 'server-unreachable');
    assert.equal(stage(report, 'tool-call').status, 'skip');
    assert.equal(stage(report, 'models').diagnosis?.fix?.kind, 'openServerTerminal');
  });

  test('unauthorized: llama.cpp "Invalid API Key" (its /v1/models stays public)', async () => {
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], apiKey: 'secret', modelsPublic: true }, 'local/model', {
      apiKey: 'wrong',
    });
    assert.equal(stage(report, 'models').status, 'pass');
    expectCode(report, 'responses-text', 'unauthorized');
    assert.equal(stage(report, 'responses-text').diagnosis?.fix?.kind, 'setApiKey');
    assert.ok(!JSON.stringify(report).includes('wrong'), 'the key never appears in the report');
  });
  test('unauthorized: vLLM {"error":"Unauthorized"}', async () => {
    const { report } = await verify({ kind: 'vllm', models: [{ id: 'q' }], apiKey: 'k' }, 'q');
    expectCode(report, 'models', 'unauthorized');
  });

  test('model-not-listed: Ollama lists other models, with close matches and a pull fix', async () => {
    const { report } = await verify(
      {
        kind: 'ollama',
        models: [{ id: 'qwen3:8b' }, { id: 'llama3.2:latest' }],
        brain: B.modelCheckingBrain(['qwen3:8b', 'llama3.2:latest'], 'ollama'),
      },
      'qwen3:4b',
    );
    expectCode(report, 'models', 'model-not-listed');
    assert.match(stage(report, 'models').diagnosis!.message, /qwen3:8b/);
    assert.deepEqual(stage(report, 'models').diagnosis?.fix, { kind: 'pullModel', model: 'qwen3:4b', label: 'Pull qwen3:4b' });
  });
  test('model-not-listed is only a warning when llama.cpp answers under any name', async () => {
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models] }, 'other/name');
    expectCode(report, 'models', 'model-not-listed', 'warn');
    assert.equal(report.ok, true);
  });

  test('model-not-found: Ollama /v1 "model \'x\' not found"', async () => {
    const { report } = await verify({ kind: 'ollama', models: [], brain: B.modelCheckingBrain([], 'ollama') }, 'qwen3:4b');
    expectCode(report, 'responses-text', 'model-not-found');
    assert.equal(stage(report, 'codex-shape').status, 'skip');
  });
  test('model-not-found: vLLM "The model `x` does not exist."', async () => {
    const { report } = await verify({ kind: 'vllm', models: [{ id: 'served' }], brain: B.modelCheckingBrain(['served'], 'vllm') }, 'other');
    expectCode(report, 'responses-text', 'model-not-found');
  });
  test('model-not-found: older Ollama text "try pulling it first"', async () => {
    const { report } = await verify({ kind: 'ollama', models: [], brain: B.modelCheckingBrain([], 'ollama-old') }, 'x');
    expectCode(report, 'responses-text', 'model-not-found');
  });

  test('model-loading: llama.cpp 503 "Loading model" on every path', async () => {
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], loadingMs: 60_000 }, 'local/model');
    expectCode(report, 'models', 'model-loading');
    assert.equal(stage(report, 'tool-call').status, 'skip');
  });

  for (const kind of ['llamacpp', 'ollama', 'vllm'] as const) {
    test(`responses-api-missing: ${kind}'s own 404 for /v1/responses`, async () => {
      const { report } = await verify({ kind, models: [{ id: 'm' }], overrides: [B.noResponsesApi(kind)] }, 'm');
      expectCode(report, 'responses-text', 'responses-api-missing');
      const fix = stage(report, 'responses-text').diagnosis?.fix;
      assert.equal(fix?.kind, 'upgrade');
      if (kind === 'ollama') assert.deepEqual(fix?.kind === 'upgrade' && [fix.serverKind, fix.api], ['ollama', 'responses']);
      // A chat-only server still gets the informational chat stage.
      assert.equal(stage(report, 'chat-completions').status, 'pass');
      assert.equal(stage(report, 'tool-call').status, 'skip');
    });
  }

  for (const variant of ['llamacpp-500', 'llamacpp-400', 'lmstudio-wrapped', 'vllm'] as const) {
    test(`template-system-message: ${variant}`, async () => {
      const kind = variant.startsWith('llamacpp') ? 'llamacpp' : variant === 'vllm' ? 'vllm' : 'lmstudio';
      const { report } = await verify({ kind, models: [{ id: 'm' }], brain: B.strictTemplateBrain(variant) }, 'm');
      // Plain turns have one user message and pass; Codex's two developer messages trip the template.
      assert.equal(stage(report, 'tool-call').status, 'pass');
      expectCode(report, 'codex-shape', 'template-system-message');
      assert.deepEqual(stage(report, 'codex-shape').diagnosis?.fix, {
        kind: 'changeServer',
        change: { what: 'template', reason: 'system-message-order' },
        label: 'Use a template that accepts later system messages',
      });
    });
  }

  test('non-function-tool-rejected: older llama.cpp refuses namespace/web_search (a profile that keeps them on: codex.disableNonFunctionTools = never)', async () => {
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], brain: B.rejectNonFunctionToolsBrain() }, 'local/model', {
      nonFunctionTools: true,
    });
    expectCode(report, 'codex-shape', 'non-function-tool-rejected');
    assert.equal(stage(report, 'codex-shape').diagnosis?.fix?.kind, 'codexDisableNonFunctionTools');
  });
  test('…under "auto" (the default) the Codex-sized turns go as the profile will send them: without those tools, and the route passes with a warning to write the profile', async () => {
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], brain: B.rejectNonFunctionToolsBrain() }, 'local/model');
    assert.equal(report.ok, true, JSON.stringify(report.stages.filter(s => s.status === 'fail')));
    expectCode(report, 'tool-types', 'non-function-tool-rejected', 'warn');
    assert.equal(stage(report, 'tool-types').diagnosis?.fix?.kind, 'writeCodexProfile');
    assert.ok(stage(report, 'codex-shape').evidence.some(e => /the profile turns them off: the server refuses them/.test(e)));
  });
  test('…and the same server passes when the profile turns non-function tools off', async () => {
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], brain: B.rejectNonFunctionToolsBrain() }, 'local/model', {
      nonFunctionTools: false,
    });
    assert.equal(report.ok, true);
  });

  for (const variant of ['ollama', 'llamacpp-no-jinja', 'vllm-no-parser'] as const) {
    test(`tools-unsupported: ${variant}`, async () => {
      const kind = variant === 'ollama' ? 'ollama' : variant === 'vllm-no-parser' ? 'vllm' : 'llamacpp';
      const { report } = await verify({ kind, models: [{ id: 'gemma3:270m' }], brain: B.toolsUnsupportedBrain(variant) }, 'gemma3:270m');
      assert.equal(stage(report, 'responses-text').status, 'pass');
      expectCode(report, 'tool-call', 'tools-unsupported');
      if (variant === 'llamacpp-no-jinja')
        assert.deepEqual(stage(report, 'tool-call').diagnosis?.fix, {
          kind: 'changeServer',
          change: { what: 'jinja' },
          label: 'Turn on --jinja',
        });
      if (variant === 'vllm-no-parser')
        assert.deepEqual(stage(report, 'tool-call').diagnosis?.fix, {
          kind: 'changeServer',
          change: { what: 'tool-parser' },
          label: 'Turn on tool-call parsing',
        });
    });
  }

  for (const variant of [
    'llamacpp-newest',
    'llamacpp-mid',
    'llamacpp-old',
    'vllm',
    'vllm-old-flat',
    'ollama',
    'lmstudio-wrapped',
  ] as const) {
    test(`context-too-small: ${variant}`, async () => {
      const kind = variant.startsWith('llamacpp')
        ? 'llamacpp'
        : variant.startsWith('vllm')
          ? 'vllm'
          : variant === 'ollama'
            ? 'ollama'
            : 'lmstudio';
      // 2048 tokens: less than Codex's first request even through the profile (about 4k).
      const { report } = await verify({ kind, models: [{ id: 'm', contextWindow: 2048 }], brain: B.contextBrain(2048, variant) }, 'm');
      expectCode(report, 'codex-shape', 'context-too-small');
      assert.equal(stage(report, 'tool-call').status, 'pass');
      const fix = stage(report, 'codex-shape').diagnosis?.fix;
      assert.ok(fix?.kind === 'changeServer' && fix.change.what === 'context' && fix.change.tokens >= 32768, JSON.stringify(fix));
    });
  }
  test('context-too-small (warning): Ollama silently truncates and reports fewer input tokens', async () => {
    const { report } = await verify(
      { kind: 'ollama', models: [{ id: 'm' }], brain: B.contextBrain(1024, 'ollama-silent-truncation') },
      'm',
    );
    expectCode(report, 'codex-shape', 'context-too-small', 'warn');
  });
  test('context-too-small (warning): llama.cpp reports an 8k slot', async () => {
    const { report } = await verify({ kind: 'llamacpp', models: [{ id: 'm', contextWindow: 8192 }] }, 'm');
    expectCode(report, 'codex-shape', 'context-too-small', 'warn');
    assert.equal(report.ok, true);
  });

  for (const style of ['json', 'qwen-xml', 'hermes', 'shell'] as const) {
    test(`tool-call-as-text: ${style}`, async () => {
      const { report } = await verify({ ...OLLAMA, models: [...OLLAMA.models], brain: B.toolCallAsTextBrain(style) }, 'qwen3:8b');
      expectCode(report, 'tool-call', 'tool-call-as-text');
      expectCode(report, 'chat-completions', 'tool-call-as-text', 'warn');
    });
  }
  test('tool-call-as-text: llama.cpp 500 "Failed to parse input at pos N"', async () => {
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], brain: B.unparsableToolCallBrain() }, 'local/model');
    expectCode(report, 'tool-call', 'tool-call-as-text');
  });

  test('no-tool-call: prose instead of a call', async () => {
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], brain: B.noToolCallBrain() }, 'local/model');
    expectCode(report, 'tool-call', 'no-tool-call');
  });

  test('wrong-tool-arguments: a call that reads another file is answered "unsupported", never run', async () => {
    const s = await startScriptedServer({ ...LLAMA, models: [...LLAMA.models], brain: B.wrongArgumentsBrain() });
    try {
      const report = await verifyRoute({ baseUrl: s.baseUrl, model: 'local/model', skip: [] });
      expectCode(report, 'tool-call', 'wrong-tool-arguments');
      // The outputs the verifier sent for calls the model proposed (not the history it writes itself).
      const outputs = s.requests
        .flatMap(r => {
          try {
            return inputItems(JSON.parse(r.body));
          } catch {
            return [];
          }
        })
        .filter(i => i.type === 'function_call_output' && !/^call_verify_(history|mcp|image)$/.test(String(i.call_id)));
      assert.ok(outputs.length > 0);
      for (const o of outputs) assert.match(String(o.output), /unsupported call/);
      assert.ok(
        !outputs.some(o => /^[a-z0-9-]+\n?$/i.test(String(o.output)) && String(o.output).trim() !== ''),
        'no hostname ever sent back',
      );
    } finally {
      await s.close();
    }
  });

  test('final-answer-mismatch: the tool call works, the answer drops the token', async () => {
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], brain: B.finalAnswerMismatchBrain() }, 'local/model');
    expectCode(report, 'tool-call', 'final-answer-mismatch');
  });

  for (const fault of ['delta-without-added', 'no-completed', 'json-instead-of-sse'] as const) {
    test(`stream-malformed: ${fault}`, async () => {
      const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], brain: B.streamFaultBrain(fault) }, 'local/model');
      assert.equal(stage(report, 'responses-text').status, 'pass');
      expectCode(report, 'responses-stream', 'stream-malformed');
    });
  }
  test('server-error: response.failed, response.incomplete and data: {"error":…} after the stream began', async () => {
    for (const fault of ['response-failed', 'response-incomplete', 'error-after-start'] as const) {
      const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], brain: B.streamFaultBrain(fault) }, 'local/model');
      expectCode(report, 'responses-stream', 'server-error');
    }
  });
  test('an error after the stream began is still classified by its text (context, old `error:` line)', async () => {
    for (const fault of ['error-after-start-context', 'old-error-line'] as const) {
      const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], brain: B.streamFaultBrain(fault) }, 'local/model');
      expectCode(report, 'responses-stream', 'context-too-small');
    }
  });

  test('timeout: a stream that goes idle', async () => {
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], brain: B.streamFaultBrain('idle') }, 'local/model', {
      idleMs: 300,
    });
    // The Codex-sized turn streams first (alone, for a clean prompt time); the other streamed stages would only repeat it.
    expectCode(report, 'codex-shape', 'timeout');
    assert.equal(stage(report, 'responses-stream').status, 'skip');
  });
  test('timeout: no headers in time', async () => {
    const t0 = performance.now();
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], overrides: [B.stallOn('/responses')] }, 'local/model', {
      timeoutMs: 400,
    });
    expectCode(report, 'responses-text', 'timeout');
    assert.ok(performance.now() - t0 < 3_000);
  });

  test('server-error: llama.cpp 500 "unknown error"', async () => {
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], overrides: [B.serverErrorOn('/responses')] }, 'local/model');
    expectCode(report, 'responses-text', 'server-error');
    assert.match(stage(report, 'responses-text').diagnosis!.message, /high demand/);
  });
  test('server-error: a 200 that is not JSON is a diagnosis, not a crash', async () => {
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], overrides: [B.garbageOn('/models')] }, 'local/model');
    expectCode(report, 'models', 'server-error');
  });
});

describe('runs', () => {
  test('cancelling stops the run and reports it', async () => {
    const ac = new AbortController();
    const s = await startScriptedServer({
      ...LLAMA,
      models: [...LLAMA.models],
      brain: async t => {
        await new Promise(r => setTimeout(r, 2_000));
        return healthyBrain(t);
      },
    });
    try {
      setTimeout(() => ac.abort(), 100);
      const t0 = performance.now();
      const report = await verifyRoute({ baseUrl: s.baseUrl, model: 'local/model', signal: ac.signal });
      assert.ok(performance.now() - t0 < 1_500);
      assert.equal(report.cancelled, true);
      assert.equal(report.ok, false);
    } finally {
      await s.close();
    }
  });
  test('progress reports each stage start and end', async () => {
    const events: string[] = [];
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models] }, 'local/model', {
      onProgress: p => events.push(p.kind === 'stage-start' ? `start:${p.id}` : `done:${p.result.id}`),
    });
    assert.equal(report.ok, true);
    for (const id of ['models', 'tool-call', 'codex-shape']) {
      assert.ok(events.indexOf(`start:${id}`) < events.indexOf(`done:${id}`));
    }
  });
  test('serial runs give each stage the server alone', async () => {
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models] }, 'local/model', { concurrent: false });
    assert.equal(report.ok, true);
  });
  test('the token file never outlives the run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'verify-test-'));
    try {
      await verify({ ...LLAMA, models: [...LLAMA.models], brain: B.noToolCallBrain() }, 'local/model', { tempDir: dir });
      assert.deepEqual(readdirSync(dir), []);
      assert.ok(existsSync(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('servers that differ from the common case', () => {
  test('no /models endpoint (a proxy): a warning, the route still passes', async () => {
    const { report } = await verify(
      {
        kind: 'generic',
        models: [{ id: 'm' }],
        overrides: [
          (req, res) => {
            if ((req.url ?? '').endsWith('/models')) {
              res.writeHead(404, { 'content-type': 'text/plain' });
              res.end('Not Found');
              return true;
            }
            return false;
          },
        ],
      },
      'm',
    );
    expectCode(report, 'models', 'model-not-listed', 'warn');
    assert.equal(report.ok, true);
  });
  test("a thinking model that only reasons within the check's output budget is a warning", async () => {
    const brain: import('../support/brain').Brain = t =>
      t.request.max_output_tokens ? { kind: 'output', items: [{ type: 'reasoning', text: 'Let me think about LOCAL…' }] } : healthyBrain(t);
    const { report } = await verify({ ...LLAMA, models: [...LLAMA.models], brain }, 'local/model');
    expectCode(report, 'responses-text', 'final-answer-mismatch', 'warn');
    expectCode(report, 'responses-stream', 'final-answer-mismatch', 'warn');
    assert.equal(report.ok, true);
  });
});

describe('safety', () => {
  test('a redirect is never followed (it could carry the key elsewhere)', async () => {
    const target = await startScriptedServer({ ...LLAMA, models: [...LLAMA.models] });
    try {
      const { report } = await verify(
        {
          kind: 'generic',
          models: [{ id: 'local/model' }],
          overrides: [
            (req, res) => {
              res.writeHead(307, { location: `${target.root}${req.url}` });
              res.end();
              return true;
            },
          ],
        },
        'local/model',
        { apiKey: 'k' },
      );
      assert.equal(target.requests.length, 0);
      expectCode(report, 'models', 'server-error');
      assert.match(stage(report, 'models').diagnosis!.message, /307/);
    } finally {
      await target.close();
    }
  });
});
