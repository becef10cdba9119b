// Claude Code on the real llama-server (issue 13's last point): the server started by Start Server's
// path (test/support/real-route.ts) with a context that holds Claude Code's ~12k-token first request,
// the verifier's Claude Code stages on it, the settings written by the product (`claude-settings`,
// project scope), and the real Claude Code CLI (2.1.328, native binary from npm) running a text turn
// through nothing but that settings file. The model's weights are random: what is judged is that
// the turn goes through the real server's /v1/messages to its end, not what it says.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { launch, skipReal, cli, tempDir, type Launched } from '../support/real-route';
import { baseEnv, claudeSandbox, claudeUnavailable, runClaude } from '../support/claude-cli';
import type { VerifyReport } from '../../src/core/verify/types';

const SKIP = skipReal || claudeUnavailable();
const CONTEXT = 32768;
let server: Launched | undefined;
const temps: string[] = [];
after(async () => {
  await server?.stop();
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

test(
  'real llama-server: Claude Code verified by the product and run through the settings it writes ends a text turn',
  { skip: SKIP, timeout: 240_000 },
  async () => {
    server = await launch({ model: 'tiny-chat', settings: { 'llamacpp.contextSize': CONTEXT } });
    const dir = tempDir('claude');

    // The verifier's Claude Code stages against the real /v1/messages.
    const v = await cli(
      [
        'verify',
        '--agent',
        'claude',
        '--base-url',
        server.baseUrl,
        '--model',
        'local/model',
        '--context-window',
        String(CONTEXT),
        '--json',
      ],
      {},
      dir,
    );
    const report = JSON.parse(v.out) as VerifyReport;
    const stages = Object.fromEntries(report.stages.map(s => [s.id, s]));
    assert.equal(report.agent, 'claude');
    for (const id of ['messages-text', 'messages-stream', 'claude-shape'] as const) {
      assert.notEqual(stages[id]?.status, 'fail', `${id}: ${JSON.stringify(stages[id])}`);
    }
    assert.notEqual(stages['messages-text']?.diagnosis?.code, 'messages-api-missing', 'the pinned llama-server serves /v1/messages');

    // The settings the product writes, and Claude Code started with nothing else (a terminal's PATH and HOME).
    const sb = claudeSandbox('lmr-real-claude-');
    temps.push(sb.root);
    const w = await cli(
      [
        'claude-settings',
        '--scope',
        'project',
        '--folder',
        sb.work,
        '--base-url',
        server.baseUrl,
        '--model',
        'local/model',
        '--context-window',
        String(CONTEXT),
        '--home',
        sb.home,
        '--json',
      ],
      { HOME: sb.home },
      sb.work,
    );
    assert.equal(w.code, 0, `${w.out}${w.err}`);
    const settings = JSON.parse(fs.readFileSync(path.join(sb.work, '.claude', 'settings.local.json'), 'utf8')) as {
      env: Record<string, string>;
    };
    assert.equal(settings.env.ANTHROPIC_BASE_URL, server.root);

    const seen = new Set(server.log().split('\n'));
    const r = await runClaude(['-p', 'Reply with exactly: OK'], baseEnv(sb), sb.work);
    assert.equal(r.timedOut, false, 'Claude Code finished in time');
    assert.equal(
      r.code,
      0,
      `exit ${r.code}\nstdout: ${r.stdout.slice(0, 400)}\nstderr: ${r.stderr.slice(-800)}\nserver: ${server.log().slice(-1500)}`,
    );
    // The turn reached the real server: new lines in its log (each carries its own timestamp) show a
    // generation over a prompt of Claude Code's size.
    const fresh = server
      .log()
      .split('\n')
      .filter(l => !seen.has(l));
    const prompts = fresh
      .map(l => /prompt eval time = .*\/\s*(\d+) tokens/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
    assert.ok(prompts.length > 0, `the server ran a generation for Claude Code:\n${fresh.slice(-30).join('\n')}`);
    assert.ok(
      Math.max(...prompts) > 3_000 || fresh.some(l => /n_tokens = \d{4,}/.test(l)),
      `a Claude-Code-sized prompt (${prompts.join(', ')} new tokens; a cached prefix counts less):\n${fresh.slice(-30).join('\n')}`,
    );
  },
);
