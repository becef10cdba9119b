// The real Claude Code CLI (pinned 2.1.328) through `local-model-router bridge` (its own process) to a
// chat-only server: a scripted server that answers chat completions only and 404s /v1/messages, as
// mlx_lm.server, llama-cpp-python and servers before their Messages API do. A model that does what it
// is asked, so what Claude Code prints is judged exactly: a text turn, and a tool round trip in which
// Claude Code reads a real file and the file's text comes back through the bridge as a tool result.
// The same with a Responses-only server (404 on chat completions too) and the bridge's Messages side
// over its /v1/responses (`--claude-upstream-api responses`).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startScriptedServer, notFound, type ScriptedServer } from '../support/scripted-server';
import { inputItems, textOf, type Brain } from '../support/brain';
import { startBridgeCli } from '../support/bridge-cli';
import { baseEnv, claudeSandbox, claudeUnavailable, runClaude, RUN_TIMEOUT_MS } from '../support/claude-cli';
import { claudeRoutingEnv } from '../../src/core/claude/env';

const SKIP = claudeUnavailable();
const closers: (() => Promise<unknown>)[] = [];
const temps: string[] = [];
after(async () => {
  for (const c of closers.reverse()) await c();
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

/** Chat messages or Responses items in: a tool result → its text; "Reply with exactly: X" → X; an absolute path → a Read call. */
const obedient: Brain = ({ request }) => {
  const messages = inputItems(request);
  const last = messages.at(-1);
  if (last?.role === 'tool') return { kind: 'output', items: [{ type: 'message', text: `The file says: ${textOf(last.content)}` }] };
  if (last?.type === 'function_call_output')
    return { kind: 'output', items: [{ type: 'message', text: `The file says: ${textOf(last.output)}` }] };
  // The user's own words: the last line (Claude Code's <system-reminder> text blocks come first).
  const said =
    textOf(messages.filter(m => m.role === 'user').at(-1)?.content)
      .trim()
      .split('\n')
      .at(-1) ?? '';
  const exact = /Reply with exactly:\s*(\S+)/.exec(said);
  if (exact) return { kind: 'output', items: [{ type: 'message', text: exact[1]! }] };
  const file = /(\/[\w./-]*\w)/.exec(said)?.[1];
  if (file) return { kind: 'output', items: [{ type: 'function_call', name: 'Read', arguments: JSON.stringify({ file_path: file }) }] };
  return { kind: 'output', items: [{ type: 'message', text: 'OK' }] };
};

/** A server that answers 404 on /v1/messages and on every path `missing` names. */
async function serverWithout(...missing: string[]): Promise<ScriptedServer> {
  const s = await startScriptedServer({
    kind: 'generic',
    models: [{ id: 'local/model', contextWindow: 32768 }],
    brain: obedient,
    overrides: [
      (req, res, _b, server) => {
        if (!req.url?.startsWith('/v1/messages') && !missing.some(m => req.url?.startsWith(m))) return false;
        notFound(server.kind, res);
        return true;
      },
    ],
  });
  closers.push(() => s.close());
  return s;
}

test(
  'real Claude Code through the bridge process to a chat-only server: a text turn and a tool round trip with the file’s text',
  { skip: SKIP, timeout: 3 * RUN_TIMEOUT_MS },
  async () => {
    const s = await serverWithout();
    const b = await startBridgeCli(['--upstream', s.baseUrl]);
    closers.push(() => b.stop());
    const sb = claudeSandbox('lmr-claude-bridge-');
    temps.push(sb.root);
    const env = { ...baseEnv(sb), ...claudeRoutingEnv({ baseUrl: b.url, model: 'local/model', contextWindow: 32768, needsKey: false }) };

    const text = await runClaude(['-p', 'Reply with exactly: BRIDGED-OK-7'], env, sb.work);
    assert.equal(text.code, 0, `${text.stdout}\n${text.stderr}\n${b.log()}`);
    assert.equal(text.stdout.trim(), 'BRIDGED-OK-7');

    const file = path.join(sb.work, 'note.txt');
    fs.writeFileSync(file, 'TOOL-THROUGH-BRIDGE-3K\n');
    const tool = await runClaude(['-p', `Show me the content of ${file}`], env, sb.work);
    assert.equal(tool.code, 0, `${tool.stdout}\n${tool.stderr}\n${b.log()}`);
    assert.match(tool.stdout, /The file says: .*TOOL-THROUGH-BRIDGE-3K/s);

    const posts = s.requests.filter(r => r.method === 'POST');
    assert.ok(
      posts.every(r => r.path === '/v1/chat/completions'),
      posts.map(r => r.path).join(', '),
    );
    // The second request of the tool turn: Claude Code's tool_result as a tool message answering the call.
    const last = JSON.parse(posts.at(-1)!.body) as { messages: { role: string; tool_call_id?: string; content: unknown }[] };
    const call = last.messages.findLast(m => m.role === 'assistant') as { tool_calls?: { id: string; function: { name: string } }[] };
    const result = last.messages.at(-1)!;
    assert.equal(call.tool_calls?.[0]?.function.name, 'Read');
    assert.equal(result.role, 'tool');
    assert.equal(result.tool_call_id, call.tool_calls?.[0]?.id);
    assert.match(textOf(result.content), /TOOL-THROUGH-BRIDGE-3K/);
    assert.equal(last.messages.filter(m => m.role === 'system').length, 1, 'one system message: Claude Code’s inner one joined in');
    assert.match(b.log(), /^POST \/v1\/messages\?beta=true 200 .*\[system-in-messages-joined\]/m);
  },
);

test(
  'real Claude Code through the bridge process (--claude-upstream-api responses) to a Responses-only server: a text turn and a tool round trip with the file’s text',
  { skip: SKIP, timeout: 3 * RUN_TIMEOUT_MS },
  async () => {
    const s = await serverWithout('/v1/chat/completions');
    const b = await startBridgeCli(['--upstream', s.baseUrl, '--claude-upstream-api', 'responses']);
    closers.push(() => b.stop());
    const sb = claudeSandbox('lmr-claude-bridge-');
    temps.push(sb.root);
    const env = { ...baseEnv(sb), ...claudeRoutingEnv({ baseUrl: b.url, model: 'local/model', contextWindow: 32768, needsKey: false }) };

    const text = await runClaude(['-p', 'Reply with exactly: BRIDGED-OK-8'], env, sb.work);
    assert.equal(text.code, 0, `${text.stdout}\n${text.stderr}\n${b.log()}`);
    assert.equal(text.stdout.trim(), 'BRIDGED-OK-8');

    const file = path.join(sb.work, 'note.txt');
    fs.writeFileSync(file, 'TOOL-OVER-RESPONSES-4M\n');
    const tool = await runClaude(['-p', `Show me the content of ${file}`], env, sb.work);
    assert.equal(tool.code, 0, `${tool.stdout}\n${tool.stderr}\n${b.log()}`);
    assert.match(tool.stdout, /The file says: .*TOOL-OVER-RESPONSES-4M/s);

    const posts = s.requests.filter(r => r.method === 'POST');
    assert.ok(
      posts.every(r => r.path === '/v1/responses'),
      posts.map(r => r.path).join(', '),
    );
    // The second request of the tool turn: the model's call as a function_call item, Claude Code's
    // tool_result as the function_call_output answering it, the system prompt as instructions.
    const last = JSON.parse(posts.at(-1)!.body) as {
      instructions?: string;
      input: { type?: string; role?: string; call_id?: string; name?: string; output?: unknown }[];
    };
    const call = last.input.findLast(i => i.type === 'function_call');
    const result = last.input.at(-1)!;
    assert.equal(call?.name, 'Read');
    assert.equal(result.type, 'function_call_output');
    assert.equal(result.call_id, call?.call_id);
    assert.match(textOf(result.output), /TOOL-OVER-RESPONSES-4M/);
    assert.ok(last.instructions && last.instructions.length > 100, 'the system prompt as instructions');
    assert.equal(last.input.filter(i => i.role === 'system').length, 0, 'Claude Code’s inner system message joined into instructions');
    assert.match(b.log(), /^POST \/v1\/messages\?beta=true 200 .*\[system-in-messages-joined\]/m);
  },
);
