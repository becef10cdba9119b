// The route bridge between the real Codex 0.169 and the real llama-server, which is asked for chat
// completions only:
// - a two-turn session with a tool call (tiny-tools: the server's grammar makes a real call, Codex
//   runs it, the model answers after the tool result; then a second turn);
// - MCP before/after: an MCP server written with the official SDK in config.toml and tiny-mcp, which
//   calls a tool only where it is not one of Codex's own. Direct, llama.cpp leaves Codex's namespace
//   tool out of the prompt and the MCP server is never called; through the bridge the tool is a
//   function the model sees, its call goes back to Codex in the namespace form, Codex calls the MCP
//   server and the turn ends.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  CODEX,
  PROFILE,
  codexExec,
  codexSandbox,
  commandsRun,
  describeRun,
  launch,
  skipReal,
  turnCompleted,
  writeProfile,
  type CodexEvent,
  type CodexSandbox,
  type Launched,
} from '../support/real-route';
import { runBounded } from '../../src/core/codex/run';
import { startBridgeCli, type BridgeProcess } from '../support/bridge-cli';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy';

const MCP_SERVER = resolve(__dirname, '../support/mcp-sdk-server.cjs');

/** A random model picks any tool it sees: Codex's agent tools (a namespace the bridge flattens) are off, as a user without sub-agents has them. */
function agentsOff(sb: CodexSandbox): void {
  const file = join(sb.codexHome, `${PROFILE}.config.toml`);
  if (!/^\[agents\]/m.test(readFileSync(file, 'utf8'))) appendFileSync(file, '\n[agents]\nenabled = false\n');
}

/** The user's config.toml gets the SDK MCP server, which logs each call it serves. */
function addSdkMcpServer(sb: CodexSandbox): string {
  const calls = join(sb.home, 'mcp-calls.jsonl');
  appendFileSync(
    join(sb.codexHome, 'config.toml'),
    // A generous start-up time: on a loaded machine the SDK server can take longer than Codex's default
    // 10 s to list its tools, and Codex then sends the turn without them.
    `\n[mcp_servers.tickets]\ncommand = "node"\nargs = [${JSON.stringify(MCP_SERVER)}]\nstartup_timeout_sec = 60\nenv = { MCP_CALL_LOG = ${JSON.stringify(calls)} }\n`,
  );
  return calls;
}

const mcpCalls = (file: string): unknown[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(l => JSON.parse(l) as unknown)
    : [];

/** An MCP tool call Codex reports (`item.completed` of type mcp_tool_call: server, tool, status). */
const mcpItem = (e: CodexEvent) =>
  e.type === 'item.completed' && e.item?.type === 'mcp_tool_call'
    ? (e.item as unknown as { server: string; tool: string; status: string })
    : undefined;

/** `codex exec --json` with approvals and sandbox bypassed: Codex 0.169 refuses an MCP call under `-a never`. */
async function codexExecMcp(sb: CodexSandbox, prompt: string) {
  const r = await runBounded(
    CODEX,
    [
      '--dangerously-bypass-approvals-and-sandbox',
      'exec',
      '-p',
      PROFILE,
      '--skip-git-repo-check',
      '--disable',
      'unbounded_connection_retries',
      '--json',
      prompt,
    ],
    { env: sb.env, cwd: sb.work, timeoutMs: 90_000 },
  );
  const events = r.stdout
    .split('\n')
    .filter(l => l.startsWith('{'))
    .map(l => JSON.parse(l) as CodexEvent);
  return { ...r, events, text: `codex exit ${r.code}\n${r.stdout.slice(0, 3000)}\n${r.stderr.slice(-1500)}` };
}

describe('Codex through the bridge to the real llama-server (chat completions only)', { skip: skipReal, timeout: 300_000 }, () => {
  let server: Launched;
  let bridge: BridgeProcess;
  let seen: RecordingProxy;
  before(async () => {
    server = await launch({ model: 'tiny-tools' });
    seen = await startRecordingProxy(server.baseUrl);
    bridge = await startBridgeCli(['--upstream', seen.baseUrl]);
  });
  after(async () => {
    await bridge?.stop();
    await seen?.close();
    await server?.stop();
  });

  test('two turns with a tool call; the server is asked for chat completions only, never /v1/responses', async () => {
    const sb = codexSandbox();
    const w = await writeProfile(sb, { baseUrl: bridge.url, contextWindow: 16384 });
    assert.equal(w.code, 0, JSON.stringify(w.json));
    agentsOff(sb);
    const first = await codexExec(sb, 'Run the command ls');
    assert.ok(turnCompleted(first), describeRun(first));
    assert.ok(commandsRun(first).length >= 1, `Codex ran the model's command\n${describeRun(first)}`);
    const answered = first.rollout.filter(i => i.type === 'function_call_output');
    assert.ok(answered.length >= 1, 'the call was answered and sent back');
    const second = await codexExec(sb, 'Reply with exactly: OK', { resumeLast: true });
    assert.ok(turnCompleted(second), describeRun(second));

    const posts = seen.requests.filter(r => r.startsWith('POST'));
    assert.ok(posts.length >= 3, `three model requests at least: ${posts.join(', ')}`);
    assert.ok(
      posts.every(r => r === 'POST /v1/chat/completions'),
      posts.join(', '),
    );
    const bridged = bridge.log().match(/^POST \/v1\/responses 200 /gm) ?? [];
    assert.ok(bridged.length >= 3, `three model requests at least went through the bridge:\n${bridge.log()}`);
  });

  test('MCP before/after: direct, the MCP tool is dropped; through the bridge Codex calls it and ends the turn', async () => {
    const mcp = await launch({ model: 'tiny-mcp' });
    const mcpBridge = await startBridgeCli(['--upstream', mcp.baseUrl]);
    try {
      const run = async (baseUrl: string) => {
        const sb = codexSandbox();
        const calls = addSdkMcpServer(sb);
        const w = await writeProfile(sb, { baseUrl, contextWindow: 16384 });
        assert.equal(w.code, 0, JSON.stringify(w.json));
        agentsOff(sb);
        return { r: await codexExecMcp(sb, 'Look up ticket 42 in the tracker'), calls: mcpCalls(calls) };
      };
      const direct = await run(mcp.baseUrl);
      assert.deepEqual(direct.calls, [], `direct: the MCP server was never called\n${direct.r.text}`);
      assert.ok(!direct.r.events.some(e => mcpItem(e)?.server === 'tickets'), direct.r.text);

      // The model's weights are random and sampled: now and then it picks another of Codex's tools
      // (list_mcp_resource_templates was seen) and answers. Up to five turns, each of which must end
      // cleanly; the MCP server must get the call in one of them.
      let bridged = await run(mcpBridge.url);
      for (let attempt = 2; attempt <= 5 && bridged.calls.length === 0; attempt++) {
        assert.ok(turnCompleted({ ...bridged.r, ms: 0, rollout: [] }), bridged.r.text);
        bridged = await run(mcpBridge.url);
      }
      assert.equal(bridged.calls.length, 1, `through the bridge: the MCP server got the call\n${bridged.r.text}\n${mcpBridge.log()}`);
      const call = bridged.r.events.map(mcpItem).find(i => i?.server === 'tickets');
      assert.deepEqual({ tool: call?.tool, status: call?.status }, { tool: 'lookup_ticket', status: 'completed' }, bridged.r.text);
      assert.ok(turnCompleted({ ...bridged.r, ms: 0, rollout: [] }), bridged.r.text);
      assert.match(mcpBridge.log(), /\[namespace-tools-flattened/);
    } finally {
      await mcpBridge.stop();
      await mcp.stop();
    }
  });
});
