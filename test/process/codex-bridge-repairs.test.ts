// The real Codex CLI 0.169 agrees with the bridge's verdict on the servers no real part here shows:
// chat-only servers shaped as mlx_lm.server and llama-cpp-python answer, vLLM 0.19.1 refusing replayed
// history without `status`, LM Studio refusing `text` without `format` (test/support/chat-only-servers.ts,
// codex-behaviours.ts). For each: the verifier's direct verdict picks the bridge's upstream API
// (bridgeModeFor); Codex straight to the server fails with the server's own error; Codex through
// `local-model-router bridge --upstream-api <that mode>` completes (two turns with `resume --last` where
// the failure is the second turn's).
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScriptedServer, type ScriptedServer, type ScriptedServerOptions } from '../support/scripted-server';
import { chatOnlyServer } from '../support/chat-only-servers';
import { inputItems } from '../support/brain';
import * as C from '../support/codex-behaviours';
import { HAVE_CODEX, codexExec, codexSandbox, describeRun, editCatalog, writeProfile, type CodexSandbox } from '../support/codex-session';
import { startBridgeCli, type BridgeProcess } from '../support/bridge-cli';
import { verifyForAgent } from '../../src/core/agentVerify';
import { bridgeModeFor } from '../../src/core/bridge/decide';
import type { BridgeUpstreamApi } from '../../src/core/verify/types';
import { PROVIDERS, type ProviderId } from '../../src/core/providers';

const root = mkdtempSync(join(tmpdir(), 'lmr-bridge-repairs-'));
const closers: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
  rmSync(root, { recursive: true, force: true });
});
const skip = HAVE_CODEX ? false : 'the pinned @openai/codex is not installed';

async function serve(o: ScriptedServerOptions): Promise<ScriptedServer> {
  const s = await startScriptedServer(o);
  closers.push(() => s.close());
  return s;
}

/** The mode the verifier's direct verdict picks for the bridge. */
async function modeFor(server: ScriptedServer, model: string): Promise<BridgeUpstreamApi> {
  const report = await verifyForAgent('codex', { baseUrl: server.baseUrl, model, timeoutMs: 10_000, contextWindow: 32_768 });
  return bridgeModeFor(report);
}

async function bridgeTo(server: ScriptedServer, mode: BridgeUpstreamApi): Promise<BridgeProcess> {
  const b = await startBridgeCli(['--upstream', server.baseUrl, '--upstream-api', mode]);
  closers.push(() => b.stop());
  return b;
}

/** Two profiles written by the product: one straight to the server, one to the bridge. */
async function profiles(sb: CodexSandbox, provider: ProviderId, server: ScriptedServer, bridge: BridgeProcess, model: string) {
  const direct = await writeProfile(sb, { name: 'direct', provider, server, model, contextWindow: 32768 });
  const bridged = await writeProfile(sb, {
    name: 'bridged',
    provider: 'openaiCompatible',
    server: { baseUrl: bridge.url } as ScriptedServer,
    model,
    contextWindow: 32768,
  });
  return { direct, bridged };
}

const posts = (s: ScriptedServer, from: number) => s.requests.slice(from).filter(r => r.method === 'POST');

describe('real Codex through the bridge in the mode the verdict picks', { skip }, () => {
  for (const shape of ['mlx-lm', 'llama-cpp-python'] as const)
    test(`${shape} (chat completions only): direct Codex gets the 404; through the bridge (chat) a turn with a tool call completes`, async () => {
      const model = shape === 'mlx-lm' ? 'mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit' : 'qwen2.5-coder-7b-instruct-q4_k_m.gguf';
      const server = await serve(chatOnlyServer(shape, [{ id: model }]));
      const mode = await modeFor(server, model);
      assert.equal(mode, 'chat');
      const bridge = await bridgeTo(server, mode);
      const sb = codexSandbox(root);
      await profiles(sb, 'openaiCompatible', server, bridge, model);

      // Codex retries a 404 before it gives up; once is enough to see the server's answer.
      const noRetry = `model_providers.${PROVIDERS.openaiCompatible.codexProviderId}.request_max_retries=0`;
      const bad = await codexExec(sb, 'direct', 'Reply with exactly: X', { config: [noRetry] });
      assert.notEqual(bad.code, 0, describeRun(bad));
      assert.match(bad.stdout + bad.stderr, /404 Not Found/, describeRun(bad));

      const note = join(sb.work, 'note.txt');
      writeFileSync(note, `${shape.toUpperCase()}-42\n`);
      const mark = server.requests.length;
      const ok = await codexExec(sb, 'bridged', `Show ${note}`);
      assert.equal(ok.code, 0, describeRun(ok));
      assert.match(ok.stdout, new RegExp(`${shape.toUpperCase()}-42`), describeRun(ok));
      const sent = posts(server, mark);
      assert.ok(sent.length >= 2 && sent.every(r => r.path === '/v1/chat/completions'), sent.map(r => r.path).join(' '));
      const last = JSON.parse(sent.at(-1)!.body) as { messages: { role: string; tool_calls?: { function: { name: string } }[] }[] };
      // The call went back to Codex under its own name (llama-cpp-python repeats it in every piece).
      assert.ok(
        last.messages.some(m => m.tool_calls?.[0]?.function.name === 'exec_command'),
        JSON.stringify(last.messages.map(m => m.tool_calls)),
      );
    });

  test('vLLM 0.19.1: direct, the resumed turn fails with "Field required"; through the bridge (responses, replay-status) both turns complete', async () => {
    const model = 'glm-5.1';
    const server = await serve({ kind: 'vllm', models: [{ id: model, contextWindow: 65536 }], brain: C.vllmHistoryStatusBrain() });
    const mode = await modeFor(server, model);
    assert.equal(mode, 'responses');
    const bridge = await bridgeTo(server, mode);
    const sb = codexSandbox(root);
    await profiles(sb, 'vllm', server, bridge, model);

    const d1 = await codexExec(sb, 'direct', 'Reply with exactly: TURN1-OK');
    assert.equal(d1.code, 0, describeRun(d1));
    const d2 = await codexExec(sb, 'direct', 'Reply with exactly: TURN2-OK', { resume: true });
    assert.notEqual(d2.code, 0, describeRun(d2));
    assert.match(d2.stdout + d2.stderr, /Field required/, describeRun(d2));

    const b1 = await codexExec(sb, 'bridged', 'Reply with exactly: TURN1-OK');
    assert.equal(b1.code, 0, describeRun(b1));
    assert.equal(b1.stdout.trim(), 'TURN1-OK');
    const mark = server.requests.length;
    const b2 = await codexExec(sb, 'bridged', 'Reply with exactly: TURN2-OK', { resume: true });
    assert.equal(b2.code, 0, describeRun(b2));
    assert.equal(b2.stdout.trim(), 'TURN2-OK');
    const sent = posts(server, mark);
    assert.ok(sent.length >= 1 && sent.every(r => r.path === '/v1/responses'), sent.map(r => r.path).join(' '));
    const replayed = inputItems(JSON.parse(sent[0]!.body) as Record<string, unknown>).filter(i => i.type === 'reasoning');
    assert.ok(replayed.length > 0 && replayed.every(i => i.status === 'completed'), JSON.stringify(replayed));
    assert.match(bridge.log(), /POST \/v1\/responses 200 [\d.]+ ms \[replay-status-added\]/);
    assert.doesNotMatch(bridge.log(), /TURN2-OK/, 'no prompt in the log');
  });

  test('LM Studio with a verbosity model: direct Codex fails on text.format; through the bridge (responses, text-format) it completes', async () => {
    const model = 'qwen/qwen3-coder-30b';
    const server = await serve({ kind: 'lmstudio', models: [{ id: model, contextWindow: 32768 }], brain: C.textFormatRequiredBrain() });
    const mode = await modeFor(server, model);
    assert.equal(mode, 'responses');
    const bridge = await bridgeTo(server, mode);
    const sb = codexSandbox(root);
    const { direct, bridged } = await profiles(sb, 'lmstudio', server, bridge, model);
    // A catalog that says the model takes a verbosity (as one written by hand or another tool might):
    // Codex then sends `text: {verbosity}` without a format.
    for (const p of [direct, bridged]) editCatalog(p, { support_verbosity: true, default_verbosity: 'low' });

    const bad = await codexExec(sb, 'direct', 'Reply with exactly: FORMAT-OK');
    assert.notEqual(bad.code, 0, describeRun(bad));
    assert.match(bad.stdout + bad.stderr, /"param":"text\.format"/, describeRun(bad));

    const mark = server.requests.length;
    const ok = await codexExec(sb, 'bridged', 'Reply with exactly: FORMAT-OK');
    assert.equal(ok.code, 0, describeRun(ok));
    assert.equal(ok.stdout.trim(), 'FORMAT-OK');
    const [sent] = posts(server, mark);
    assert.equal(sent?.path, '/v1/responses');
    assert.deepEqual(JSON.parse(sent!.body).text, { verbosity: 'low', format: { type: 'text' } });
  });
});
