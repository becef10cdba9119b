// Agreement with the real Claude Code CLI (pinned 2.1.328): for healthy and failing scripted Messages
// servers, `claude -p` started as claudeLaunchFor says succeeds exactly when verifyClaudeRoute passes.
// Success for Claude Code = exit 0 AND the answer holds the token it had to read from a file with a
// tool. Bounded: CLAUDE_CODE_MAX_RETRIES=0, stdin closed, a hard timeout, an isolated HOME.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startMessagesServer, type MessagesOptions } from '../support/scripted-messages';
import * as MB from '../support/messages-behaviours';
import type { ScriptedServerOptions } from '../support/scripted-server';
import { baseEnv, CLAUDE, claudeSandbox, claudeUnavailable, runClaude, RUN_TIMEOUT_MS } from '../support/claude-cli';
import { claudeLaunchFor } from '../../src/core/claude/launch';
import { verifyClaudeRoute } from '../../src/core/claude/verify/index';
import type { DiagnosisCode } from '../../src/core/verify/types';

interface Case {
  name: string;
  server: ScriptedServerOptions & { messages?: MessagesOptions };
  model: string;
  /** The server's window as the route knows it. */
  contextWindow?: number;
  /** The key the client has; the server's is in `server.apiKey`. */
  clientKey?: string;
  /** The route's Claude Code settings turn thinking off. */
  thinkingOff?: boolean;
  expectPass: boolean;
  /** The diagnosis the verifier must give (first failing stage). */
  expectCode?: DiagnosisCode;
}

const llama = (extra: Partial<ScriptedServerOptions> & { messages?: MessagesOptions } = {}, ctx = 32768) => ({
  kind: 'llamacpp' as const,
  models: [{ id: 'local/model', contextWindow: ctx }],
  ...extra,
});

const CASES: Case[] = [
  { name: 'healthy llama.cpp', server: llama(), model: 'local/model', contextWindow: 32768, expectPass: true },
  {
    name: 'healthy Ollama',
    server: { kind: 'ollama', models: [{ id: 'qwen3:8b' }] },
    model: 'qwen3:8b',
    contextWindow: 32768,
    expectPass: true,
  },
  {
    name: 'a thinking model (thinking blocks with an empty signature, as llama.cpp sends)',
    server: llama({ messages: { brain: MB.thinkingBrain() } }),
    model: 'local/model',
    contextWindow: 32768,
    expectPass: true,
  },
  {
    name: "context smaller than Claude Code's prompt (8192)",
    server: llama({ messages: { brain: MB.messagesContextBrain(8192) } }, 8192),
    model: 'local/model',
    contextWindow: 8192,
    expectPass: false,
    expectCode: 'context-too-small',
  },
  {
    name: 'a model without tool support (Ollama)',
    server: { kind: 'ollama', models: [{ id: 'gemma3:270m' }], messages: { brain: MB.messagesToolsUnsupportedBrain() } },
    model: 'gemma3:270m',
    contextWindow: 32768,
    expectPass: false,
    expectCode: 'tools-unsupported',
  },
  {
    name: 'thinking rejected',
    server: llama({ messages: { brain: MB.thinkingRejectedBrain('thinking-param') } }),
    model: 'local/model',
    contextWindow: 32768,
    expectPass: false,
    expectCode: 'thinking-unsupported',
  },
  {
    name: 'thinking rejected, with the fix applied (CLAUDE_CODE_DISABLE_THINKING=1)',
    server: llama({ messages: { brain: MB.thinkingRejectedBrain('thinking-param') } }),
    model: 'local/model',
    contextWindow: 32768,
    thinkingOff: true,
    expectPass: true,
  },
  {
    name: 'Ollama refusing thinking also for the effort setting: the fix does not help',
    server: { kind: 'ollama', models: [{ id: 'gemma3:270m' }], messages: { brain: MB.thinkingRejectedBrain('ollama') } },
    model: 'gemma3:270m',
    contextWindow: 32768,
    thinkingOff: true,
    expectPass: false,
    expectCode: 'thinking-unsupported',
  },
  {
    name: '401 (wrong key)',
    server: llama({ apiKey: 'sekret' }),
    model: 'local/model',
    contextWindow: 32768,
    clientKey: 'nope',
    expectPass: false,
    expectCode: 'unauthorized',
  },
  {
    name: 'right key',
    server: llama({ apiKey: 'sekret' }),
    model: 'local/model',
    contextWindow: 32768,
    clientKey: 'sekret',
    expectPass: true,
  },
  {
    name: 'a server without /v1/messages',
    server: llama({ messages: { messagesApi: false } }),
    model: 'local/model',
    contextWindow: 32768,
    expectPass: false,
    expectCode: 'messages-api-missing',
  },
];

const SKIP = claudeUnavailable();

describe('the Claude Code verifier agrees with the real Claude Code CLI', { skip: SKIP }, () => {
  const roots: string[] = [];
  after(() => {
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  });

  for (const c of CASES) {
    test(c.name, { timeout: RUN_TIMEOUT_MS * 2 }, async () => {
      const s = await startMessagesServer(c.server);
      const sb = claudeSandbox('lmr-claude-agree-');
      roots.push(sb.root);
      try {
        const report = await verifyClaudeRoute({
          baseUrl: s.baseUrl,
          model: c.model,
          apiKey: c.clientKey,
          contextWindow: c.contextWindow,
          thinking: !c.thinkingOff,
          timeoutMs: 20_000,
        });

        const launch = claudeLaunchFor({
          baseUrl: s.baseUrl,
          model: c.model,
          contextWindow: c.contextWindow,
          needsKey: !!c.clientKey,
          apiKey: c.clientKey,
          disableThinking: c.thinkingOff,
          executable: CLAUDE,
        });
        assert.ok(launch.ok);
        const token = `TOKEN-${Math.random().toString(36).slice(2, 10).toUpperCase()}`;
        const file = path.join(sb.work, 'token.txt');
        fs.writeFileSync(file, `${token}\n`);
        const run = await runClaude(
          [...launch.args, '-p', `Read the file ${file} and reply with exactly its content.`],
          { ...baseEnv(sb), ...launch.env, CLAUDE_CODE_MAX_RETRIES: '0' },
          sb.work,
          launch.command,
        );
        const claudeOk = run.code === 0 && run.stdout.includes(token);

        const first = report.stages.find(st => st.status === 'fail');
        const why = `verifier: ${report.stages.map(st => `${st.id}=${st.status}${st.diagnosis ? `(${st.diagnosis.code})` : ''}`).join(' ')}\nclaude exit ${run.code}${run.timedOut ? ' (timed out)' : ''}, stdout ${JSON.stringify(run.stdout.slice(0, 300))}\nstderr tail: ${run.stderr.slice(-600)}`;
        assert.equal(run.timedOut, false, why);
        assert.equal(report.ok, claudeOk, `disagreement\n${why}`);
        assert.equal(report.ok, c.expectPass, why);
        if (c.expectCode) assert.equal(first?.diagnosis?.code, c.expectCode, why);
      } finally {
        await s.close();
      }
    });
  }
});
