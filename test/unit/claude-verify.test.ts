// The Claude Code verifier against scripted Messages servers (real sockets, each server's own wire
// format): healthy servers pass, and each real failure gets its stable diagnosis code and a fix that
// acts on the server that failed.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMessagesServer, type MessagesOptions } from '../support/scripted-messages';
import * as MB from '../support/messages-behaviours';
import type { ScriptedServer, ScriptedServerOptions } from '../support/scripted-server';
import { verifyClaudeRoute, type VerifyClaudeOptions } from '../../src/core/claude/verify/index';
import type { DiagnosisCode, StageId, VerifyReport } from '../../src/core/verify/types';

const servers: ScriptedServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function verify(
  server: ScriptedServerOptions & { messages?: MessagesOptions },
  model: string,
  o: Partial<VerifyClaudeOptions> = {},
): Promise<{ report: VerifyReport; server: ScriptedServer }> {
  const s = await startMessagesServer(server);
  servers.push(s);
  const report = await verifyClaudeRoute({ baseUrl: s.baseUrl, model, timeoutMs: 10_000, ...o });
  return { report, server: s };
}

const stage = (r: VerifyReport, id: StageId) => {
  const s = r.stages.find(x => x.id === id);
  assert.ok(s, `stage ${id} in ${r.stages.map(x => x.id).join(',')}`);
  return s;
};
const why = (r: VerifyReport) => r.stages.map(s => `${s.id}=${s.status}${s.diagnosis ? `(${s.diagnosis.code})` : ''}`).join(' ');
function expectCode(r: VerifyReport, id: StageId, code: DiagnosisCode, status: 'fail' | 'warn' = 'fail') {
  const s = stage(r, id);
  assert.equal(s.status, status, `${id}: ${why(r)}\n${s.evidence.join('\n')}`);
  assert.equal(s.diagnosis?.code, code, why(r));
}

const llama = (extra: Partial<ScriptedServerOptions> & { messages?: MessagesOptions } = {}) => ({
  kind: 'llamacpp' as const,
  models: [{ id: 'local/model', contextWindow: 32768 }],
  ...extra,
});

describe('healthy servers pass every stage', () => {
  for (const kind of ['llamacpp', 'ollama', 'vllm', 'lmstudio'] as const) {
    test(kind, async () => {
      const { report, server } = await verify({ kind, models: [{ id: 'm', contextWindow: 65536 }] }, 'm', { contextWindow: 65536 });
      assert.equal(report.agent, 'claude');
      assert.equal(report.ok, true, why(report));
      assert.deepEqual(
        report.stages.map(s => [s.id, s.status]),
        [
          ['models', 'pass'],
          ['messages-text', 'pass'],
          ['messages-stream', 'pass'],
          ['thinking', 'pass'],
          ['messages-tool-call', 'pass'],
          ['claude-shape', 'pass'],
          ['count-tokens', 'pass'],
        ],
      );
      const shape = server.requests.find(q => q.path === '/v1/messages' && q.body.includes('CLAUDE-OK'));
      assert.ok(shape && shape.body.length > 40_000, 'a Claude-Code-sized body (≈48 KB)');
      const body = JSON.parse(shape.body);
      assert.equal(body.tools.length, 12);
      assert.deepEqual(body.thinking, { type: 'adaptive' });
      assert.equal(body.max_tokens, 16384, 'the output budget the settings writer sets for a 64k window');
      assert.ok(stage(report, 'messages-tool-call').metrics?.rounds === 2);
      // The key is never in the report.
      assert.doesNotMatch(JSON.stringify(report), /Bearer/);
    });
  }
});

test('the base URL may be given with or without /v1: requests go to <root>/v1/messages', async () => {
  const s = await startMessagesServer(llama());
  servers.push(s);
  const r = await verifyClaudeRoute({
    baseUrl: s.root,
    model: 'local/model',
    timeoutMs: 10_000,
    skip: ['claude-shape', 'messages-tool-call', 'thinking', 'messages-stream', 'count-tokens'],
  });
  assert.equal(r.ok, true, why(r));
  assert.ok(s.requests.some(q => q.path === '/v1/messages'));
});

test('a thinking model passes; its thinking blocks are reported', async () => {
  const { report } = await verify(llama({ messages: { brain: MB.thinkingBrain() } }), 'local/model');
  assert.equal(report.ok, true, why(report));
  assert.match(stage(report, 'thinking').summary, /returned 1 thinking block/);
});

test('a server that refuses thinking: thinking-unsupported with the fix that turns it off; with it off, the route passes', async () => {
  const { report } = await verify(llama({ messages: { brain: MB.thinkingRejectedBrain('thinking-param') } }), 'local/model');
  assert.equal(report.ok, false);
  expectCode(report, 'thinking', 'thinking-unsupported');
  assert.deepEqual(stage(report, 'thinking').diagnosis?.fix, { kind: 'claudeDisableThinking', label: 'Turn thinking off for Claude Code' });
  expectCode(report, 'claude-shape', 'thinking-unsupported');
  assert.equal(stage(report, 'messages-text').status, 'pass', 'plain requests carry no thinking');
  const off = await verify(llama({ messages: { brain: MB.thinkingRejectedBrain('thinking-param') } }), 'local/model', { thinking: false });
  assert.equal(off.report.ok, true, why(off.report));
  assert.equal(stage(off.report, 'thinking').status, 'skip');
});

test('Ollama refusing thinking: no fix that cannot help (it thinks for the effort setting too)', async () => {
  const { report } = await verify(
    { kind: 'ollama', models: [{ id: 'gemma3:270m' }], messages: { brain: MB.thinkingRejectedBrain('ollama') } },
    'gemma3:270m',
    { thinking: false },
  );
  expectCode(report, 'claude-shape', 'thinking-unsupported');
  assert.equal(stage(report, 'claude-shape').diagnosis?.fix, null);
});

test("context smaller than Claude Code's prompt: context-too-small with a context fix for the server kind", async () => {
  const { report } = await verify(
    { kind: 'llamacpp', models: [{ id: 'local/model', contextWindow: 8192 }], messages: { brain: MB.messagesContextBrain(8192) } },
    'local/model',
  );
  expectCode(report, 'claude-shape', 'context-too-small');
  assert.match(stage(report, 'claude-shape').diagnosis!.message, /Claude Code/);
  assert.deepEqual(stage(report, 'claude-shape').diagnosis?.fix, {
    kind: 'changeServer',
    change: { what: 'context', tokens: 32768 },
    label: 'Make the context 32768 tokens',
  });
  assert.equal(report.ok, false);
});

test('a 24k window answers the turn but leaves little room: a warning', async () => {
  const { report } = await verify({ kind: 'vllm', models: [{ id: 'q', contextWindow: 24576 }] }, 'q');
  expectCode(report, 'claude-shape', 'context-too-small', 'warn');
  assert.equal(report.ok, true);
});

test('a window the caller knows to be tiny fails even when the server answers (Ollama truncates silently)', async () => {
  const { report } = await verify({ kind: 'ollama', models: [{ id: 'q' }] }, 'q', { contextWindow: 8192 });
  expectCode(report, 'claude-shape', 'context-too-small');
});

test('a model without tool support: tools-unsupported in the tool stage (Ollama)', async () => {
  const { report } = await verify(
    { kind: 'ollama', models: [{ id: 'gemma3:270m' }], messages: { brain: MB.messagesToolsUnsupportedBrain() } },
    'gemma3:270m',
  );
  expectCode(report, 'messages-tool-call', 'tools-unsupported');
  assert.equal(stage(report, 'messages-text').status, 'pass');
});

test('llama.cpp without --jinja: tools-unsupported with the --jinja fix', async () => {
  const { report } = await verify(llama({ messages: { brain: MB.messagesToolsUnsupportedBrain() } }), 'local/model');
  expectCode(report, 'messages-tool-call', 'tools-unsupported');
  assert.deepEqual(stage(report, 'messages-tool-call').diagnosis?.fix, {
    kind: 'changeServer',
    change: { what: 'jinja' },
    label: 'Turn on --jinja',
  });
});

test('401: unauthorized with the set-key fix; the later stages do not run', async () => {
  const { report } = await verify(llama({ apiKey: 'sekret' }), 'local/model', { apiKey: 'wrong' });
  expectCode(report, 'messages-text', 'unauthorized');
  assert.equal(stage(report, 'messages-text').diagnosis?.fix?.kind, 'setApiKey');
  assert.equal(stage(report, 'claude-shape').status, 'skip');
});

test('the right key passes, sent as Bearer and X-Api-Key', async () => {
  const { report, server } = await verify(llama({ apiKey: 'sekret' }), 'local/model', { apiKey: 'sekret' });
  assert.equal(report.ok, true, why(report));
  const q = server.requests.find(x => x.path === '/v1/messages')!;
  assert.equal(q.headers.authorization, 'Bearer sekret');
  assert.equal(q.headers['x-api-key'], 'sekret');
});

describe('a server without /v1/messages: messages-api-missing with an upgrade fix', () => {
  for (const kind of ['llamacpp', 'ollama', 'vllm'] as const) {
    test(kind, async () => {
      const { report } = await verify({ kind, models: [{ id: 'm' }], messages: { messagesApi: false } }, 'm');
      expectCode(report, 'messages-text', 'messages-api-missing');
      assert.equal(stage(report, 'messages-text').diagnosis?.fix?.kind, 'upgrade');
      assert.equal(stage(report, 'claude-shape').status, 'skip');
    });
  }
});

test('no count_tokens: a warning only', async () => {
  const { report } = await verify(llama({ messages: { countTokens: false } }), 'local/model');
  expectCode(report, 'count-tokens', 'messages-api-missing', 'warn');
  assert.equal(report.ok, true, why(report));
});

test('nothing listens: server-unreachable', async () => {
  const s = await startMessagesServer(llama());
  const url = s.baseUrl;
  await s.close();
  const r = await verifyClaudeRoute({ baseUrl: url, model: 'local/model', timeoutMs: 5_000 });
  expectCode(r, 'messages-text', 'server-unreachable');
});

test('tool call written as text: tool-call-as-text', async () => {
  const { report } = await verify(
    { kind: 'ollama', models: [{ id: 'llama3.2:3b' }], messages: { brain: MB.messagesToolCallAsTextBrain() } },
    'llama3.2:3b',
  );
  expectCode(report, 'messages-tool-call', 'tool-call-as-text');
});

test('llama.cpp under --chat-template chatml (/props: no tool support): template-no-tools, not tool-call-as-text, as for Codex', async () => {
  const { report } = await verify(
    {
      kind: 'llamacpp',
      template: 'chatml',
      models: [{ id: 'local/model', contextWindow: 65536 }],
      messages: { brain: MB.messagesToolCallAsTextBrain() },
    },
    'local/model',
  );
  expectCode(report, 'messages-tool-call', 'template-no-tools');
  assert.match(
    report.stages.find(s => s.id === 'messages-tool-call')?.diagnosis?.message ?? '',
    /Claude Code would run without working tools/,
  );
});

describe('broken streams, judged as Claude Code 2.1.328 reacts (observed)', () => {
  test('no message_stop: accepted by Claude Code, a warning', async () => {
    const { report } = await verify(llama({ messages: { brain: MB.messagesStreamFaultBrain('no-message-stop') } }), 'local/model');
    expectCode(report, 'messages-stream', 'stream-malformed', 'warn');
  });
  test('a delta outside its block: Claude Code retries without streaming, a warning when that works', async () => {
    const { report } = await verify(llama({ messages: { brain: MB.messagesStreamFaultBrain('delta-before-start') } }), 'local/model');
    expectCode(report, 'messages-stream', 'stream-malformed', 'warn');
    assert.match(stage(report, 'messages-stream').diagnosis!.message, /without streaming/);
  });
  test('an error event with a known text is diagnosed by that text', async () => {
    const { report } = await verify(llama({ messages: { brain: MB.messagesStreamFaultBrain('error-event-context') } }), 'local/model');
    expectCode(report, 'messages-stream', 'context-too-small');
  });
});
