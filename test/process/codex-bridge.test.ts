// The real Codex CLI 0.169 through `local-model-router bridge` (its own process) to a chat-only server:
// a scripted server that answers chat completions only and 404s /v1/responses, as mlx_lm.server and
// llama-cpp-python do. A two-turn session with a tool call; an upstream that is down (Codex shows the
// bridge's words naming it); Ctrl+C in Codex aborting the upstream request within a second; the
// bridge refusing a foreign Host and a browser Origin.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startScriptedServer, notFound, type ScriptedServer } from '../support/scripted-server';
import { CODEX, HAVE_CODEX, codexExec, codexSandbox, describeRun, writeProfile, type CodexSandbox } from '../support/codex-session';
import { startBridgeCli, type BridgeProcess } from '../support/bridge-cli';
import { freePort } from '../support/ports';

const MODEL = 'local/model';
const root = mkdtempSync(join(tmpdir(), 'lmr-codex-bridge-'));
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
  rmSync(root, { recursive: true, force: true });
});
const skip = HAVE_CODEX ? false : 'the pinned @openai/codex is not installed';

async function chatOnlyServer(): Promise<ScriptedServer> {
  const s = await startScriptedServer({
    kind: 'generic',
    models: [{ id: MODEL, contextWindow: 32768 }],
    overrides: [
      (req, res, _b, server) => {
        if (!req.url?.includes('/responses')) return false;
        notFound(server.kind, res);
        return true;
      },
    ],
  });
  closers.push(() => s.close());
  return s;
}

async function bridgeTo(upstream: string): Promise<BridgeProcess> {
  const b = await startBridgeCli(['--upstream', upstream]);
  closers.push(() => b.stop());
  return b;
}

/** A profile whose provider is the bridge (written and validated by the product's codex-profile). */
async function profileFor(sb: CodexSandbox, bridge: BridgeProcess): Promise<string> {
  await writeProfile(sb, {
    name: 'bridged',
    provider: 'openaiCompatible',
    server: { baseUrl: bridge.url } as ScriptedServer,
    model: MODEL,
    contextWindow: 32768,
  });
  return 'bridged';
}

test('real Codex: a two-turn session with a tool call through the bridge to a chat-only server', { skip }, async () => {
  const server = await chatOnlyServer();
  const bridge = await bridgeTo(server.baseUrl);
  const sb = codexSandbox(root);
  const profile = await profileFor(sb, bridge);
  const note = join(sb.work, 'note.txt');
  writeFileSync(note, 'BRIDGED-42\n');

  const first = await codexExec(sb, profile, `Show ${note}`);
  assert.equal(first.code, 0, describeRun(first));
  assert.match(first.stdout, /BRIDGED-42/, describeRun(first));
  const second = await codexExec(sb, profile, 'Reply with exactly: SECOND-TURN', { resume: true });
  assert.equal(second.code, 0, describeRun(second));
  assert.match(second.stdout, /SECOND-TURN/, describeRun(second));

  const posts = server.requests.filter(r => r.method === 'POST');
  assert.ok(posts.length >= 3, `three model requests at least (call, answer, second turn): ${posts.length}`);
  assert.ok(
    posts.every(r => r.path === '/v1/chat/completions'),
    posts.map(r => r.path).join(' '),
  );
  // The second turn carries the first's history as chat messages: the call and its output.
  const last = JSON.parse(posts.at(-1)!.body) as {
    messages: { role: string; content: unknown; tool_calls?: { function: { name: string } }[] }[];
  };
  const roles = last.messages.map(m => m.role);
  assert.equal(roles[0], 'system');
  assert.equal(roles.filter(r => r === 'system').length, 1, `one system message: ${roles.join(',')}`);
  assert.ok(last.messages.some(m => m.tool_calls?.[0]?.function.name === 'exec_command'));
  assert.ok(last.messages.some(m => m.role === 'tool' && String(m.content).includes('BRIDGED-42')));
  assert.match(bridge.log(), /POST \/v1\/responses 200 [\d.]+ ms/);
  assert.doesNotMatch(bridge.log(), /BRIDGED-42/, 'no prompt or output in the log');
});

test('real Codex: the upstream down → Codex shows the bridge’s error naming the upstream, fast', { skip }, async () => {
  const closed = await freePort();
  const bridge = await bridgeTo(`http://127.0.0.1:${closed}/v1`);
  const sb = codexSandbox(root);
  const profile = await profileFor(sb, bridge);
  const t0 = performance.now();
  const r = await codexExec(sb, profile, 'Reply with exactly: X');
  const ms = performance.now() - t0;
  assert.notEqual(r.code, 0, describeRun(r));
  assert.match(
    r.stdout + r.stderr,
    new RegExp(`upstream http://127\\.0\\.0\\.1:${closed}/v1 did not answer: connection refused`),
    describeRun(r),
  );
  assert.ok(ms < 30_000, `Codex gave up after ${ms} ms`);
});

test(
  'real Codex: an upstream failing with a 500 → Codex shows the upstream’s own words (direct, Codex 0.169 shows "high demand" instead: codex-cli.md)',
  { skip },
  async () => {
    const failing = await startScriptedServer({
      kind: 'llamacpp',
      models: [{ id: MODEL, contextWindow: 32768 }],
      brain: () => ({
        kind: 'http',
        status: 500,
        body: { error: { code: 500, message: 'Jinja Exception: System message must be at the beginning.', type: 'server_error' } },
      }),
    });
    closers.push(() => failing.close());
    const bridge = await bridgeTo(failing.baseUrl);
    const sb = codexSandbox(root);
    const profile = await profileFor(sb, bridge);
    const r = await codexExec(sb, profile, 'Reply with exactly: X');
    assert.notEqual(r.code, 0, describeRun(r));
    assert.match(
      r.stdout + r.stderr,
      /upstream http:\/\/127\.0\.0\.1:\d+\/v1 answered HTTP 500: Jinja Exception: System message must be at the beginning\./,
      describeRun(r),
    );
  },
);

test('real Codex: Ctrl+C in Codex aborts the upstream request within a second', { skip }, async () => {
  let closedAt = 0;
  let got!: () => void;
  const requested = new Promise<void>(r => (got = r));
  const upstream = http.createServer((req, res) => {
    req.resume();
    if (req.url?.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ object: 'list', data: [{ id: MODEL, object: 'model' }] }));
    }
    // A model that is still reading the prompt: the stream is open, pings only (as llama-server sends).
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const ping = setInterval(() => res.write(':\n\n'), 100);
    got();
    res.on('close', () => {
      clearInterval(ping);
      closedAt = performance.now();
    });
  });
  await new Promise<void>(r => upstream.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise(r => upstream.close(r)));
  const bridge = await bridgeTo(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`);
  const sb = codexSandbox(root);
  const profile = await profileFor(sb, bridge);
  const codex = spawn(CODEX, ['-a', 'never', '-s', 'read-only', 'exec', '-p', profile, '--skip-git-repo-check', 'Reply with exactly: X'], {
    env: sb.env,
    cwd: sb.work,
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const exited = new Promise(r => codex.once('exit', r));
  closers.push(async () => {
    if (codex.exitCode === null) codex.kill('SIGKILL');
    await exited;
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    requested,
    new Promise((_, fail) => (timer = setTimeout(() => fail(new Error('Codex sent no request in 30 s')), 30_000))),
  ]);
  clearTimeout(timer);
  await new Promise(r => setTimeout(r, 300));
  const killedAt = performance.now();
  codex.kill('SIGINT');
  await exited;
  for (let i = 0; i < 200 && !closedAt; i++) await new Promise(r => setTimeout(r, 10));
  assert.ok(closedAt > 0, 'the upstream request ended');
  assert.ok(closedAt - killedAt < 1000, `the upstream request ended ${Math.round(closedAt - killedAt)} ms after Ctrl+C`);
});

test('the bridge process refuses a foreign Host (DNS rebinding) and a browser Origin', async () => {
  const server = await chatOnlyServer();
  const bridge = await bridgeTo(server.baseUrl);
  const port = Number(new URL(bridge.url).port);
  const ask = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/v1/models', headers }, res => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  assert.equal(await ask({ host: `attacker.example:${port}` }), 403);
  assert.equal(await ask({ origin: 'http://attacker.example' }), 403);
  assert.equal(await ask({}), 200);
  assert.equal(server.requests.filter(r => r.path === '/v1/models').length, 1);
});
