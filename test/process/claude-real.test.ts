// The real Claude Code CLI (pinned 2.1.328 native binary) against scripted Messages servers, with an
// isolated HOME per test and CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 (nothing leaves 127.0.0.1).
// Started exactly as claudeLaunchFor says (command, args, env), and separately with nothing but the
// settings file the claude-settings command writes (user and project scope): a text turn and a full
// tool round trip (Read → tool_result → answer) each. Every run is bounded by a timeout.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startMessagesServer, toolResultsOf, toolResultText } from '../support/scripted-messages';
import type { ScriptedServer } from '../support/scripted-server';
import { baseEnv, CLAUDE, claudeSandbox, claudeUnavailable, runClaude, RUN_TIMEOUT_MS, type ClaudeSandbox } from '../support/claude-cli';
import { claudeLaunchFor } from '../../src/core/claude/launch';
import { claudeRoutingEnv } from '../../src/core/claude/env';
import { AGENTS } from '../../src/core/agents';
import { main } from '../../src/cli/main';

const SKIP = claudeUnavailable();
const servers: ScriptedServer[] = [];
const temps: string[] = [];
after(async () => {
  for (const s of servers) await s.close();
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

function sandbox(): ClaudeSandbox {
  const sb = claudeSandbox();
  temps.push(sb.root);
  return sb;
}

async function server(apiKey?: string): Promise<ScriptedServer> {
  const s = await startMessagesServer({
    kind: 'llamacpp',
    models: [{ id: 'local/model', contextWindow: 32768 }],
    ...(apiKey ? { apiKey } : {}),
  });
  servers.push(s);
  return s;
}

const posts = (s: ScriptedServer, from = 0) => s.requests.slice(from).filter(r => r.method === 'POST' && r.path === '/v1/messages');

/** A text turn, then a tool round trip; returns the requests of each. */
async function textAndTool(s: ScriptedServer, sb: ClaudeSandbox, env: NodeJS.ProcessEnv, command = CLAUDE, args: string[] = []) {
  const text = await runClaude([...args, '-p', 'Reply with exactly: LOCAL-OK-42'], env, sb.work, command);
  assert.equal(text.timedOut, false, 'claude finished in time');
  assert.equal(text.code, 0, `${text.stdout}\n${text.stderr}`);
  assert.equal(text.stdout.trim(), 'LOCAL-OK-42');
  const textPosts = posts(s);
  assert.ok(textPosts.length >= 1);

  const file = path.join(sb.work, 'note.txt');
  fs.writeFileSync(file, 'TOOL-ROUND-TRIP-7Q\n');
  const before = s.requests.length;
  const tool = await runClaude([...args, '-p', `Show me the content of ${file}`], env, sb.work, command);
  assert.equal(tool.timedOut, false);
  assert.equal(tool.code, 0, `${tool.stdout}\n${tool.stderr}`);
  assert.match(tool.stdout, /TOOL-ROUND-TRIP-7Q/);
  const toolPosts = posts(s, before);
  assert.ok(toolPosts.length >= 2, 'a second request carried the tool result');
  const second = JSON.parse(toolPosts[toolPosts.length - 1].body) as Record<string, unknown>;
  assert.ok(
    toolResultsOf(second).some(b => toolResultText(b).includes('TOOL-ROUND-TRIP-7Q')),
    'Claude Code ran Read itself and sent the file back as tool_result',
  );
  return { text, textPosts, tool, toolPosts };
}

async function cli(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  let out = '';
  let err = '';
  const code = await main(['claude-settings', ...args], {
    out: t => {
      out += `${t}\n`;
    },
    err: t => {
      err += `${t}\n`;
    },
    env,
    cwd,
  });
  return { code, out, err };
}

test(
  'real Claude Code started as claudeLaunchFor says: text turn and tool round trip, routed as written',
  { skip: SKIP, timeout: 3 * RUN_TIMEOUT_MS },
  async () => {
    const s = await server();
    const sb = sandbox();
    const launch = claudeLaunchFor({ baseUrl: s.baseUrl, model: 'local/model', contextWindow: 32768, needsKey: false, executable: CLAUDE });
    assert.ok(launch.ok);
    assert.deepEqual(launch.secretEnv, []);
    const env = { ...baseEnv(sb), ...launch.env };
    const r = await textAndTool(s, sb, env, launch.command, launch.args);
    const body = JSON.parse(r.textPosts[0].body) as { model: string; max_tokens: number; system: { text: string }[]; thinking?: unknown };
    assert.equal(body.model, 'local/model');
    assert.equal(body.max_tokens, 8192, 'CLAUDE_CODE_MAX_OUTPUT_TOKENS: a quarter of the 32k window');
    assert.ok(
      !body.system.some(b => /x-anthropic-billing-header/.test(b.text)),
      'the attribution header is off (the prompt prefix stays cacheable)',
    );
    assert.doesNotMatch(r.text.stderr, /assumes a context window/, 'CLAUDE_CODE_MAX_CONTEXT_TOKENS names the real window');
    assert.equal(r.textPosts[0].headers.authorization, 'Bearer local-model-router', 'the placeholder token for a keyless server');
    assert.ok(!fs.existsSync(path.join(sb.work, '.claude')), 'nothing written into the project');
  },
);

test(
  'the context limits written for Claude Code: under the minimum the writers warn at, a tool call fails; a context limit alone sends nothing',
  { skip: SKIP, timeout: 4 * RUN_TIMEOUT_MS },
  async () => {
    const s = await server();
    const small = AGENTS.claude.minContextTokens / 2;
    const written = claudeRoutingEnv({ baseUrl: s.baseUrl, model: 'local/model', contextWindow: small, needsKey: false });
    assert.deepEqual([written.CLAUDE_CODE_MAX_CONTEXT_TOKENS, written.CLAUDE_CODE_MAX_OUTPUT_TOKENS], [String(small), '4096']);
    // Both limits as written: Claude Code accepts them and answers a prompt…
    let sb = sandbox();
    const text = await runClaude(['-p', 'Reply with exactly: SMALL-OK'], { ...baseEnv(sb), ...written }, sb.work);
    assert.equal(text.code, 0, text.stdout + text.stderr);
    assert.equal(text.stdout.trim(), 'SMALL-OK');
    // …but a tool call fills the context again at once, which is why the writers ask under the minimum.
    fs.writeFileSync(path.join(sb.work, 'note.txt'), 'TOOL-ROUND-TRIP-7Q\n');
    const tool = await runClaude(
      ['-p', `Show me the content of ${path.join(sb.work, 'note.txt')}`],
      { ...baseEnv(sb), ...written },
      sb.work,
    );
    assert.notEqual(tool.code, 0);
    assert.match(tool.stdout + tool.stderr, /Autocompact is thrashing/);
    // The context limit without the output limit: Claude Code keeps its default 32,000 output tokens free and sends nothing.
    sb = sandbox();
    const before = posts(s).length;
    const alone = await runClaude(
      ['-p', 'Reply with exactly: X'],
      { ...baseEnv(sb), ...written, CLAUDE_CODE_MAX_OUTPUT_TOKENS: undefined },
      sb.work,
    );
    assert.equal(alone.stdout.trim(), 'Prompt is too long');
    assert.equal(posts(s).length, before, 'no request was sent');
  },
);

test(
  'real Claude Code launched for a keyed server: the key only in the environment',
  { skip: SKIP, timeout: 3 * RUN_TIMEOUT_MS },
  async () => {
    const s = await server('sekret-7');
    const sb = sandbox();
    assert.equal(claudeLaunchFor({ baseUrl: s.baseUrl, model: 'local/model', needsKey: true }).ok, false, 'no key, no launch');
    const launch = claudeLaunchFor({
      baseUrl: s.baseUrl,
      model: 'local/model',
      contextWindow: 32768,
      needsKey: true,
      apiKey: 'sekret-7',
      executable: CLAUDE,
    });
    assert.ok(launch.ok);
    assert.ok(!launch.args.some(a => a.includes('sekret-7')), 'never in argv');
    assert.deepEqual(launch.secretEnv.sort(), ['ANTHROPIC_AUTH_TOKEN', 'LOCAL_LLM_API_KEY']);
    const r = await textAndTool(s, sb, { ...baseEnv(sb), ...launch.env }, launch.command, launch.args);
    assert.ok([...r.textPosts, ...r.toolPosts].every(p => p.headers.authorization === 'Bearer sekret-7'));
  },
);

test(
  'real Claude Code with only the user settings file the CLI wrote (keyless), a cloud key in the shell stays home',
  { skip: SKIP, timeout: 3 * RUN_TIMEOUT_MS },
  async () => {
    const s = await server();
    const sb = sandbox();
    const w = await cli(
      ['--scope', 'user', '--base-url', s.baseUrl, '--model', 'local/model', '--context-window', '32768', '--json'],
      { HOME: sb.home },
      sb.work,
    );
    assert.equal(w.code, 0, w.out + w.err);
    const settings = path.join(sb.home, '.claude', 'settings.json');
    assert.equal(JSON.parse(w.out).path, settings);
    const env = { ...baseEnv(sb), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', ANTHROPIC_API_KEY: 'sk-ant-cloud-key-must-not-leak' };
    const r = await textAndTool(s, sb, env);
    assert.doesNotMatch(JSON.stringify(s.requests.map(q => q.headers)), /sk-ant-cloud-key-must-not-leak/);
    assert.doesNotMatch(r.text.stderr, /assumes a context window/);
    // Claude Code itself may add keys to its files, but the routing entries stay as written.
    assert.equal(JSON.parse(fs.readFileSync(settings, 'utf8')).env.ANTHROPIC_BASE_URL, s.root);
  },
);

test(
  'real Claude Code with only a project settings.local.json (keyed through apiKeyHelper; no key in the file)',
  { skip: SKIP, timeout: 3 * RUN_TIMEOUT_MS },
  async () => {
    const s = await server('sekret-9');
    const sb = sandbox();
    const w = await cli(
      [
        '--scope',
        'project',
        '--folder',
        sb.work,
        '--base-url',
        s.baseUrl,
        '--model',
        'local/model',
        '--context-window',
        '32768',
        '--api-key-env',
        'LMR_TEST_KEY',
        '--json',
      ],
      { HOME: sb.home },
      sb.work,
    );
    assert.equal(w.code, 0, w.out + w.err);
    const file = path.join(sb.work, '.claude', 'settings.local.json');
    const text = fs.readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /sekret-9/, 'the key itself is never written');
    assert.equal(JSON.parse(text).apiKeyHelper, 'printenv LMR_TEST_KEY');
    const r = await textAndTool(s, sb, { ...baseEnv(sb), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', LMR_TEST_KEY: 'sekret-9' });
    const first = r.textPosts[0];
    assert.equal(first.headers['x-api-key'], 'sekret-9', "the helper's output as X-Api-Key");
    assert.equal(first.headers.authorization, 'Bearer sekret-9');
    // Outside the project the file does not apply: Claude Code is not routed (it says it is not logged in).
    const outside = fs.mkdtempSync(path.join(sb.root, 'elsewhere-'));
    const o = await runClaude(
      ['-p', 'Reply with exactly: X'],
      { ...baseEnv(sb), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', LMR_TEST_KEY: 'sekret-9' },
      outside,
    );
    assert.notEqual(o.code, 0);
    assert.match(o.stdout + o.stderr, /Not logged in/);
  },
);

test(
  'real Claude Code refuses a settings file with comments; so does the writer, leaving it untouched',
  { skip: SKIP, timeout: 2 * RUN_TIMEOUT_MS },
  async () => {
    const s = await server();
    const sb = sandbox();
    const dir = path.join(sb.home, '.claude');
    fs.mkdirSync(dir);
    const text = `{\n  // mine\n  "env": { "ANTHROPIC_BASE_URL": "${s.root}", "ANTHROPIC_AUTH_TOKEN": "x" }\n}\n`;
    fs.writeFileSync(path.join(dir, 'settings.json'), text);
    const r = await runClaude(['-p', 'Reply with exactly: X'], { ...baseEnv(sb), CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1' }, sb.work);
    assert.match(r.stderr, /Invalid or malformed JSON/);
    assert.equal(posts(s).length, 0);
    const w = await cli(['--scope', 'user', '--base-url', s.baseUrl, '--model', 'local/model', '--json'], { HOME: sb.home }, sb.work);
    assert.equal(w.code, 1);
    assert.match(JSON.parse(w.out).error, /comments are not allowed/);
    assert.equal(fs.readFileSync(path.join(dir, 'settings.json'), 'utf8'), text);
  },
);
