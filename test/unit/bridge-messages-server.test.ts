// The bridge's HTTP server with the Messages adapter, against real sockets: a scripted chat-only
// upstream (llama-server's chat stream, usage when asked for), read back with the verifier's
// MessagesStreamReader; count_tokens answered without the upstream; an upstream that is down or
// fails answered in Anthropic's error shape with `x-should-retry: false`, except where a retry helps.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { startBridge, type RunningBridge } from '../../src/core/bridge/server';
import { messagesAdapter } from '../../src/core/bridge/messages';
import { MessagesStreamReader } from '../../src/core/claude/verify/messagesStream';
import { SseParser } from '../../src/core/net/sse';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import type { Brain } from '../support/brain';
import { freePort } from '../support/ports';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

async function upstream(brain: Brain): Promise<ScriptedServer> {
  const s = await startScriptedServer({ kind: 'llamacpp', models: [{ id: 'local/model' }], brain });
  closers.push(() => s.close());
  return s;
}

async function bridge(upstreamUrl: string): Promise<{ b: RunningBridge; lines: string[] }> {
  const lines: string[] = [];
  const b = await startBridge({ upstream: upstreamUrl, adapters: [messagesAdapter()], log: l => lines.push(l) });
  closers.push(() => b.close());
  return { b, lines };
}

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}
function post(port: number, path: string, body: unknown): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' } },
      res => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', c => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function read(sse: string) {
  const reader = new MessagesStreamReader();
  const p = new SseParser();
  for (const e of [...p.push(sse), ...p.end()]) reader.accept(e);
  return reader.end();
}

const request = (extra: Record<string, unknown> = {}) => ({
  model: 'local/model',
  max_tokens: 1024,
  system: [{ type: 'text', text: 'You are a coding agent.' }],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Show me /a' }] },
    { role: 'system', content: 'Environment: /w' },
  ],
  tools: [{ name: 'Read', description: 'Reads a file', input_schema: { type: 'object', properties: { file_path: { type: 'string' } } } }],
  stream: true,
  ...extra,
});

test('a streamed tool call through the bridge: the upstream gets chat completions with usage asked for; Claude Code gets tool_use and the usage', async () => {
  const up = await upstream(() => ({
    kind: 'output',
    items: [{ type: 'function_call', name: 'Read', arguments: '{"file_path":"/a"}', callId: 'call_1' }],
    inputTokens: 2345,
  }));
  const { b, lines } = await bridge(up.baseUrl);
  const r = await post(b.port, '/v1/messages?beta=true', request());
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/event-stream/);
  const o = read(r.body);
  assert.equal(o.completed, true);
  assert.deepEqual(o.problems, []);
  assert.equal(o.stopReason, 'tool_use');
  assert.deepEqual(
    o.blocks.map(x => [x.type, x.id, x.name, x.inputJson]),
    [['tool_use', 'call_1', 'Read', '{"file_path":"/a"}']],
  );
  assert.match(r.body, /"usage":\{"input_tokens":2345,"output_tokens":5,"cache_read_input_tokens":0\}/);

  const sent = up.requests.filter(q => q.method === 'POST');
  assert.deepEqual(
    sent.map(q => q.path),
    ['/v1/chat/completions'],
  );
  const body = JSON.parse(sent[0].body) as { messages: { role: string; content: string }[]; stream_options: unknown };
  assert.deepEqual(body.stream_options, { include_usage: true });
  assert.deepEqual(
    body.messages.map(m => m.role),
    ['system', 'user'],
  );
  assert.equal(body.messages[0].content, 'You are a coding agent.\n\nEnvironment: /w');
  assert.ok(
    lines.some(l => /^POST \/v1\/messages\?beta=true 200 .*\[system-in-messages-joined\]/.test(l)),
    lines.join('\n'),
  );
});

test('count_tokens is answered by the bridge itself (the upstream is not asked)', async () => {
  const up = await upstream(() => ({ kind: 'output', items: [{ type: 'message', text: 'x' }] }));
  const { b } = await bridge(up.baseUrl);
  const r = await post(b.port, '/v1/messages/count_tokens?beta=true', request({ stream: undefined }));
  assert.equal(r.status, 200);
  const counted = JSON.parse(r.body) as { input_tokens: number };
  assert.ok(counted.input_tokens > 20 && counted.input_tokens < 200, r.body);
  assert.equal(up.requests.filter(q => q.method === 'POST').length, 0);
});

test('upstream down: a stream gets `event: error`, a plain request HTTP 502, both naming the upstream; Claude Code is told not to retry', async () => {
  const closed = `http://127.0.0.1:${await freePort()}/v1`;
  const { b } = await bridge(closed);
  const streamed = await post(b.port, '/v1/messages', request());
  assert.equal(streamed.status, 200);
  const o = read(streamed.body);
  assert.match(
    String(o.problems[0]?.serverMessage),
    new RegExp(`^The upstream ${closed.replace(/\./g, '\\.')} did not answer: connection refused`),
  );
  assert.match(streamed.body, /^event: error\ndata: \{"type":"error","error":\{"type":"api_error"/);

  const plain = await post(b.port, '/v1/messages', request({ stream: false }));
  assert.equal(plain.status, 502);
  assert.equal(plain.headers['x-should-retry'], 'false');
  const err = JSON.parse(plain.body) as { type: string; error: { type: string; message: string } };
  assert.equal(err.type, 'error');
  assert.equal(err.error.type, 'api_error');
  assert.match(err.error.message, /did not answer: connection refused/);
  assert.doesNotMatch(plain.body, /\bat .+:\d+:\d+/, 'no stack trace');
});

test('an upstream still loading its model (503) may be retried; its refusal (400) may not', async () => {
  let status = 503;
  const up = await upstream(() => ({
    kind: 'http',
    status,
    body: { error: { code: status, message: status === 503 ? 'Loading model' : 'request exceeds the available context size', type: 'x' } },
  }));
  const { b } = await bridge(up.baseUrl);
  const loading = await post(b.port, '/v1/messages', request({ stream: false }));
  assert.equal(loading.status, 503);
  assert.equal(loading.headers['x-should-retry'], undefined);
  assert.match(loading.body, /Loading model/);
  status = 400;
  const refused = await post(b.port, '/v1/messages', request({ stream: false }));
  assert.equal(refused.status, 400);
  assert.equal(refused.headers['x-should-retry'], 'false');
  assert.equal((JSON.parse(refused.body) as { error: { type: string } }).error.type, 'invalid_request_error');
});
