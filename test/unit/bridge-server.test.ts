// The bridge's HTTP server with the Responses adapter, against real sockets: a scripted chat-only
// upstream (no /v1/responses, as mlx_lm.server and llama-cpp-python), Host/Origin refusal, bounded
// bodies, an upstream that is down or refuses, and the agent going away mid-stream.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startBridge, type BridgeOptions, type RunningBridge } from '../../src/core/bridge/server';
import { responsesAdapter } from '../../src/core/bridge/responses';
import { SseParser } from '../../src/core/net/sse';
import { ResponsesStreamReader } from '../../src/core/codex/verify/responsesStream';
import { startScriptedServer, notFound, type ScriptedServer } from '../support/scripted-server';
import { freePort } from '../support/ports';

const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
});

async function chatOnly(opts: { apiKey?: string } = {}): Promise<ScriptedServer> {
  const s = await startScriptedServer({
    kind: 'generic',
    models: [{ id: 'local/model' }],
    ...opts,
    overrides: [
      (req, res, _body, server) => {
        if (!req.url?.includes('/responses')) return false;
        notFound(server.kind, res);
        return true;
      },
    ],
  });
  closers.push(() => s.close());
  return s;
}

async function bridge(o: Partial<BridgeOptions> & { upstream: string }): Promise<{ b: RunningBridge; lines: string[] }> {
  const lines: string[] = [];
  const b = await startBridge({ adapters: [responsesAdapter()], log: l => lines.push(l), ...o });
  closers.push(() => b.close());
  return { b, lines };
}

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}
function raw(port: number, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: opts.headers }, res => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', c => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
const post = (port: number, body: unknown, headers: Record<string, string> = {}) =>
  raw(port, '/v1/responses', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

function judge(body: string) {
  const p = new SseParser();
  const r = new ResponsesStreamReader();
  for (const e of [...p.push(body), ...p.end()]) r.accept(e);
  return r.end();
}

const turn = (text: string) => ({
  model: 'local/model',
  stream: true,
  input: [
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'You are Codex.' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
  ],
  tools: [
    { type: 'function', name: 'exec_command', parameters: { type: 'object', properties: { cmd: { type: 'string' } } } },
    { type: 'web_search' },
  ],
});

test('a streamed text turn and a tool call through the bridge to a chat-only upstream; the key goes upstream only; one log line per request, no prompt', async () => {
  const up = await chatOnly({ apiKey: 'sk-up' });
  const { b, lines } = await bridge({ upstream: up.baseUrl, apiKey: 'sk-up' });
  const text = await post(b.port, turn('Reply with exactly: PONG'));
  assert.equal(text.status, 200);
  assert.match(String(text.headers['content-type']), /text\/event-stream/);
  const o = judge(text.body);
  assert.deepEqual(o.problems, []);
  assert.equal(o.text, 'PONG');
  const call = judge((await post(b.port, turn('Show /etc/hostname'))).body);
  assert.equal(call.items[0]?.type, 'function_call');
  assert.equal(call.items[0]?.name, 'exec_command');
  assert.deepEqual(JSON.parse(String(call.items[0]?.arguments)), { cmd: 'cat /etc/hostname' });
  assert.deepEqual(
    up.requests.map(r => `${r.method} ${r.path}`),
    ['POST /v1/chat/completions', 'POST /v1/chat/completions'],
  );
  assert.equal(up.requests[0]!.headers.authorization, 'Bearer sk-up');
  const sent = JSON.parse(up.requests[0]!.body) as { messages: { role: string }[]; tools: unknown[] };
  assert.deepEqual(
    sent.messages.map(m => m.role),
    ['system', 'user'],
  );
  assert.equal(sent.tools.length, 1, 'web_search left out');
  const requestLines = lines.filter(l => l.startsWith('POST '));
  assert.equal(requestLines.length, 2);
  assert.match(requestLines[0]!, /^POST \/v1\/responses 200 [\d.]+ ms \[web-search-dropped\]$/);
  assert.ok(!lines.some(l => l.includes('PONG') || l.includes('sk-up')), 'no prompt and no key in the log');
  const models = await raw(b.port, '/v1/models');
  assert.equal(models.status, 200);
  assert.equal((JSON.parse(models.body) as { data: { id: string }[] }).data[0]!.id, 'local/model');
});

test('refused before the upstream: a Host that is not loopback (DNS rebinding), a browser Origin, an unknown path, an oversized body', async () => {
  const up = await chatOnly();
  const { b } = await bridge({ upstream: up.baseUrl, limits: { maxRequestBytes: 1000 } });
  const rebinding = await post(b.port, turn('hi'), { host: `evil.example:${b.port}` });
  assert.equal(rebinding.status, 403);
  assert.match(rebinding.body, /evil\.example.*not a loopback name/);
  const browser = await post(b.port, turn('hi'), { origin: 'https://evil.example' });
  assert.equal(browser.status, 403);
  assert.match(browser.body, /Origin/);
  assert.equal((await post(b.port, turn('hi'), { host: `localhost:${b.port}` })).status, 200);
  const unknown = await raw(b.port, '/v1/chat/completions', { method: 'POST', body: '{}' });
  assert.equal(unknown.status, 404);
  const big = await post(b.port, { ...turn('x'.repeat(2000)) });
  assert.equal(big.status, 413);
  assert.match((JSON.parse(big.body) as { error: { message: string } }).error.message, /limit of 1000 bytes/);
  assert.equal(up.requests.length, 1, 'only the loopback-named request reached the upstream');
});

test('upstream down → at once a response.failed naming the upstream; upstream refusal (400) → the agent gets HTTP 400 with its words', async () => {
  const closed = await freePort();
  const { b } = await bridge({ upstream: `http://127.0.0.1:${closed}/v1` });
  const t0 = performance.now();
  const down = await post(b.port, turn('hi'));
  assert.ok(performance.now() - t0 < 1000, 'fast');
  const o = judge(down.body);
  assert.equal(o.problems[0]?.kind, 'failed');
  assert.match(
    o.problems[0]?.serverMessage ?? '',
    new RegExp(`upstream http://127\\.0\\.0\\.1:${closed}/v1 did not answer: connection refused`),
  );
  assert.doesNotMatch(down.body, /at .*\.ts:\d+/, 'no stack trace');

  const refusing = await startScriptedServer({
    kind: 'llamacpp',
    brain: () => ({
      kind: 'http',
      status: 400,
      body: {
        error: {
          code: 400,
          message: 'request (20512 tokens) exceeds the available context size (16384 tokens), try increasing it',
          type: 'exceed_context_size_error',
        },
      },
    }),
  });
  closers.push(() => refusing.close());
  const { b: b2 } = await bridge({ upstream: refusing.baseUrl });
  const r = await post(b2.port, turn('hi'));
  assert.equal(r.status, 400);
  const msg = (JSON.parse(r.body) as { error: { message: string } }).error.message;
  assert.match(
    msg,
    /^The upstream http:\/\/127\.0\.0\.1:\d+\/v1 answered HTTP 400: request \(20512 tokens\) exceeds the available context size/,
  );
});

test('the agent going away mid-stream aborts the upstream request within a second', async () => {
  let upstreamClosedAt = 0;
  let started!: () => void;
  const streaming = new Promise<void>(r => (started = r));
  const slow = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const timer = setInterval(() => res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'x' } }] })}\n\n`), 50);
    started();
    res.on('close', () => {
      clearInterval(timer);
      upstreamClosedAt = performance.now();
    });
  });
  await new Promise<void>(r => slow.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise(r => slow.close(() => r())));
  const { b, lines } = await bridge({ upstream: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/v1` });
  const req = http.request({
    host: '127.0.0.1',
    port: b.port,
    path: '/v1/responses',
    method: 'POST',
    headers: { 'content-type': 'application/json' },
  });
  req.on('error', () => undefined);
  req.on('response', res => res.resume());
  req.end(JSON.stringify(turn('go on forever')));
  await streaming;
  await new Promise(r => setTimeout(r, 200));
  const killedAt = performance.now();
  req.destroy();
  for (let i = 0; i < 100 && !upstreamClosedAt; i++) await new Promise(r => setTimeout(r, 10));
  assert.ok(upstreamClosedAt > 0, 'the upstream saw its request end');
  assert.ok(upstreamClosedAt - killedAt < 1000, `aborted ${upstreamClosedAt - killedAt} ms after the agent left`);
  for (let i = 0; i < 50 && !lines.some(l => l.includes('went away')); i++) await new Promise(r => setTimeout(r, 10));
  assert.ok(lines.some(l => /POST \/v1\/responses 200 .*the agent went away; upstream request aborted/.test(l)));
});

test('an agent that stops reading holds the upstream back: the bridge keeps no more than the socket buffers, then passes the whole stream on', async () => {
  const CHUNKS = 300_000;
  let sent = 0;
  let blocked = false;
  let blockedAt = 0;
  const frame = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: ' token' } }] })}\n\n`;
  const fast = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const pump = () => {
      while (sent < CHUNKS) {
        sent++;
        if (!res.write(frame)) {
          if (!blocked) blockedAt = sent;
          blocked = true;
          return void res.once('drain', pump);
        }
      }
      res.end('data: [DONE]\n\n');
    };
    pump();
  });
  await new Promise<void>(r => fast.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise(r => fast.close(() => r())));
  const { b } = await bridge({ upstream: `http://127.0.0.1:${(fast.address() as AddressInfo).port}/v1` });
  let agentRes!: http.IncomingMessage;
  const gotRes = new Promise<void>(resolve => {
    const req = http.request(
      { host: '127.0.0.1', port: b.port, path: '/v1/responses', method: 'POST', headers: { 'content-type': 'application/json' } },
      res => {
        agentRes = res;
        res.pause();
        resolve();
      },
    );
    req.end(JSON.stringify(turn('write a lot')));
  });
  await gotRes;
  await new Promise(r => setTimeout(r, 500));
  // Paused: the upstream is held back well before the end (the stream translated would be several MB).
  assert.ok(blocked && sent < CHUNKS, `the upstream wrote ${sent} of ${CHUNKS} chunks while the agent read nothing`);
  const heldAt = sent;
  await new Promise(r => setTimeout(r, 300));
  assert.ok(sent - heldAt < 20_000, `the upstream kept writing while held (${heldAt} → ${sent}; first blocked at ${blockedAt})`);
  let text = '';
  agentRes.setEncoding('utf8');
  agentRes.on('data', (c: string) => (text += c));
  agentRes.resume();
  await new Promise(r => agentRes.on('end', r));
  assert.equal(sent, CHUNKS);
  assert.equal(judge(text).text, ' token'.repeat(CHUNKS));
});
