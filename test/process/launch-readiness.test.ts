// Readiness, the owned process (group stop, early exit, output ring) and Ollama pulls, against real
// processes and real sockets on 127.0.0.1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { startScriptedServer, sendJson } from '../support/scripted-server';
import {
  waitUntilReady,
  spawnServer,
  LineRing,
  ollamaHasModel,
  pullOllamaModel,
  describePull,
  type ReadinessState,
  type PullProgress,
} from '../../src/core/launch';
import { alive, freePort, portOpen } from '../support/ports';

const STAND_IN = resolve(__dirname, '../support/bin/stand-in-llama-server');

async function waitForLine(p: { output: LineRing }, text: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!p.output.recent().some(l => l.includes(text))) {
    if (Date.now() > until) throw new Error(`no "${text}" in ${JSON.stringify(p.output.recent())}`);
    await new Promise(r => setTimeout(r, 25));
  }
}

test('llama.cpp: 503 "Loading model" is loading, then /health 200 is ready', async () => {
  const server = await startScriptedServer({ kind: 'llamacpp', loadingMs: 700, models: [{ id: 'm' }] });
  try {
    const states: ReadinessState[] = [];
    const r = await waitUntilReady({
      provider: 'llamacpp',
      baseUrl: server.baseUrl,
      timeoutMs: 10_000,
      intervalMs: 100,
      onState: s => states.push(s),
    });
    assert.equal(r.kind, 'ready');
    assert.equal(r.kind === 'ready' && r.sawLoading, true);
    assert.equal(r.kind === 'ready' && r.url, `${server.root}/health`);
    assert.ok(states.some(s => s.kind === 'loading' && s.message === 'Loading model'));
    assert.ok(r.ms >= 600);
  } finally {
    await server.close();
  }
});

test('nothing listening: times out with the last reason; cancel stops at once', async () => {
  const port = await freePort();
  const r = await waitUntilReady({ provider: 'llamacpp', baseUrl: `http://127.0.0.1:${port}/v1`, timeoutMs: 1_500, intervalMs: 100 });
  assert.deepEqual([r.kind, r.kind === 'timeout' && r.last], ['timeout', 'not listening yet']);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 150);
  const c = await waitUntilReady({
    provider: 'llamacpp',
    baseUrl: `http://127.0.0.1:${port}/v1`,
    timeoutMs: 30_000,
    intervalMs: 100,
    signal: ac.signal,
  });
  assert.equal(c.kind, 'cancelled');
  assert.ok(c.ms < 2_000);
});

test('the process ending stops the wait with its exit code', async () => {
  const port = await freePort();
  const r = await waitUntilReady({
    provider: 'vllm',
    baseUrl: `http://127.0.0.1:${port}/v1`,
    timeoutMs: 30_000,
    exited: new Promise(res => setTimeout(() => res({ code: 3 }), 200)),
  });
  assert.deepEqual([r.kind, r.kind === 'exited' && r.code], ['exited', 3]);
});

test('other servers: a 404 on /health moves on to /v1/models; 401 means serving', async () => {
  const lm = await startScriptedServer({ kind: 'lmstudio', models: [{ id: 'q' }] });
  const vllm = await startScriptedServer({ kind: 'generic', apiKey: 'k', models: [{ id: 'q' }] });
  try {
    const a = await waitUntilReady({ provider: 'vllm', baseUrl: lm.baseUrl, timeoutMs: 5_000 });
    assert.equal(a.kind === 'ready' && a.url, `${lm.root}/v1/models`);
    const b = await waitUntilReady({ provider: 'lmstudio', baseUrl: vllm.baseUrl, timeoutMs: 5_000 });
    assert.equal(b.kind, 'ready');
  } finally {
    await lm.close();
    await vllm.close();
  }
});

test('stand-in llama-server: spawned without a shell, loads, serves, stops with its group', async () => {
  const port = await freePort();
  const p = spawnServer({
    command: STAND_IN,
    args: ['--host', '127.0.0.1', '--port', String(port), '--alias', 'x y', '--stand-in-loading-ms', '800'],
    env: {},
  });
  try {
    assert.ok(p.pid && p.running);
    const r = await waitUntilReady({
      provider: 'llamacpp',
      baseUrl: `http://127.0.0.1:${port}/v1`,
      timeoutMs: 20_000,
      intervalMs: 100,
      exited: p.exited,
    });
    assert.equal(r.kind, 'ready');
    assert.equal(r.kind === 'ready' && r.sawLoading, true);
    assert.ok(
      p.output.recent().some(l => l.includes('HTTP server is listening')),
      p.output.recent().join('\n'),
    );
    const end = await p.stop(3_000);
    assert.equal(end.code, 0, 'SIGTERM lets it clean up and exit 0');
    assert.equal(await portOpen(port), false, 'port closed');
    assert.equal(alive(p.pid as number), false, 'process gone');
    assert.equal(p.running, false);
  } finally {
    await p.stop(500);
  }
});

test('an executable that exits at once: exit code and its error line', async () => {
  const p = spawnServer({
    command: STAND_IN,
    args: ['--stand-in-exit', '7', '--stand-in-error', 'error: failed to open GGUF file'],
    env: {},
  });
  const r = await waitUntilReady({ provider: 'llamacpp', baseUrl: 'http://127.0.0.1:9/v1', timeoutMs: 20_000, exited: p.exited });
  assert.deepEqual([r.kind, r.kind === 'exited' && r.code], ['exited', 7]);
  assert.deepEqual(p.output.recent(), ['error: failed to open GGUF file']);
  const missing = spawnServer({ command: '/nonexistent/llama-server', args: [], env: {} });
  const e = await missing.exited;
  assert.equal(e.code, 127);
  assert.match(e.error ?? '', /no such program/);
});

test('stop: SIGTERM reaches helpers in the group; SIGKILL after the grace period', async () => {
  const p = spawnServer({ command: '/bin/sh', args: ['-c', 'sleep 30 & echo "helper $!"; wait'], env: {} });
  await waitForLine(p, 'helper');
  const helper = Number(p.output.recent()[0].split(' ')[1]);
  assert.ok(helper > 0 && alive(helper));
  await p.stop(2_000);
  await new Promise(r => setTimeout(r, 100));
  assert.equal(alive(helper), false, 'the background helper was stopped with the group');

  const stubborn = spawnServer({
    command: process.execPath,
    args: ['-e', 'process.on("SIGTERM",()=>console.log("ignored"));setInterval(()=>{},1000);console.log("up")'],
    env: {},
  });
  await waitForLine(stubborn, 'up');
  const t0 = Date.now();
  const end = await stubborn.stop(300);
  assert.equal(end.signal, 'SIGKILL');
  assert.ok(Date.now() - t0 < 3_000);
  assert.deepEqual(stubborn.output.recent(), ['up', 'ignored']);
});

test('input is forwarded; Ctrl+C interrupts the group', async () => {
  const p = spawnServer({
    command: process.execPath,
    args: [
      '-e',
      'process.stdin.on("data",d=>process.stdout.write("got "+d));process.on("SIGINT",()=>{console.log("bye");process.exit(130)});console.log("ready")',
    ],
    env: {},
  });
  await waitForLine(p, 'ready');
  p.write('hello\n');
  await waitForLine(p, 'got hello');
  p.interrupt();
  const end = await p.exited;
  assert.equal(end.code, 130);
  assert.deepEqual(p.output.recent(), ['ready', 'got hello', 'bye']);
});

test('LineRing keeps the last lines, joins partial writes, folds \\r redraws', () => {
  const r = new LineRing(3);
  r.push('a\nb');
  r.push('c\r\nd\n');
  r.push('progress 10%\rprogress 90%\nlast');
  assert.deepEqual(r.recent(), ['d', 'progress 90%', 'last']);
  assert.deepEqual(r.recent(2), ['progress 90%', 'last']);
});

test('LineRing: what was printed after a mark, also once older lines dropped out', () => {
  const r = new LineRing(4);
  r.push('codex 1\ncodex 2\n');
  const claude = r.mark();
  assert.deepEqual(r.since(claude), []);
  r.push('claude 1\nclaude 2\nclaude 3\nclaude 4\nclaude 5\npart');
  assert.deepEqual(r.since(claude), ['claude 3', 'claude 4', 'claude 5', 'part']);
  assert.deepEqual(r.since(claude, 2), ['claude 5', 'part']);
  assert.deepEqual(
    r.since(0, 10).filter(l => l.startsWith('codex')),
    [],
  );
});

test('Ollama: show says present/missing; pull streams NDJSON progress until success', async () => {
  const lines = [
    { status: 'pulling manifest' },
    { status: 'pulling 3f4e2a1b9c8d7e6f', digest: 'sha256:3f4e2a1b9c8d7e6f', total: 2_000_000_000, completed: 500_000_000 },
    { status: 'pulling 3f4e2a1b9c8d7e6f', digest: 'sha256:3f4e2a1b9c8d7e6f', total: 2_000_000_000, completed: 2_000_000_000 },
    { status: 'verifying sha256 digest' },
    { status: 'writing manifest' },
    { status: 'success' },
  ];
  const pulls: string[] = [];
  const server = await startScriptedServer({
    kind: 'ollama',
    models: [{ id: 'llama3.2:latest' }],
    overrides: [
      (req, res, body) => {
        if (req.url !== '/api/pull') return false;
        const model = JSON.parse(body).model as string;
        pulls.push(body);
        if (model === 'nope') {
          sendJson(res, 500, { error: 'pull model manifest: file does not exist' });
          return true;
        }
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        const seq =
          model === 'broken' ? [lines[0], { error: 'max retries exceeded: connection reset' }] : model === 'slow' ? [lines[0]] : lines;
        let i = 0;
        const t = setInterval(() => {
          if (i < seq.length) res.write(`${JSON.stringify(seq[i++])}\n`);
          else if (model !== 'slow') {
            clearInterval(t);
            res.end();
          }
        }, 20);
        res.on('close', () => clearInterval(t));
        return true;
      },
    ],
  });
  try {
    assert.deepEqual(await ollamaHasModel(server.root, 'llama3.2:latest'), { kind: 'present' });
    assert.deepEqual(await ollamaHasModel(server.root, 'qwen3:8b'), { kind: 'missing' });
    const seen: PullProgress[] = [];
    assert.deepEqual(await pullOllamaModel(server.root, 'qwen3:8b', { onProgress: p => seen.push(p) }), { kind: 'done' });
    assert.equal(seen.length, 5);
    assert.equal(describePull(seen[1]), 'pulling 3f4e2a1b9c8d 25% (500 MB of 2.0 GB)');
    assert.deepEqual(JSON.parse(pulls[0]), { model: 'qwen3:8b', stream: true });
    assert.deepEqual(await pullOllamaModel(server.root, 'nope'), {
      kind: 'error',
      message: 'POST /api/pull answered 500: pull model manifest: file does not exist',
    });
    assert.deepEqual(await pullOllamaModel(server.root, 'broken'), { kind: 'error', message: 'max retries exceeded: connection reset' });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    assert.deepEqual(await pullOllamaModel(server.root, 'slow', { signal: ac.signal }), { kind: 'cancelled' });
  } finally {
    await server.close();
  }
});
