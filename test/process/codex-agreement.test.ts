// Agreement with the real Codex CLI (the pinned @openai/codex devDependency): for healthy and
// failing scripted servers, `codex exec` on the profile the product writes (buildProfile) succeeds
// exactly when the verifier passes. Success for Codex = exit 0 AND the answer holds the token it
// had to read from a file with a tool (Codex exits 0 with empty output on some broken streams).
// Slow-ish (a real binary per case) but bounded: retries 0, no unbounded connection retries,
// stdin /dev/null, a hard timeout per run. Codex never sees the user's ~/.codex: CODEX_HOME and
// HOME are temp dirs.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startScriptedServer, type ScriptedServerOptions } from '../support/scripted-server';
import * as B from '../support/behaviours';
import { buildProfile, type ProfileSettings } from '../../src/core/codex/profile';
import { verifyRoute, type VerifyReport } from '../../src/core/codex/verify/index';
import type { Route } from '../../src/core/route/route';
import type { ProviderId } from '../../src/core/providers';

const CODEX = resolve(__dirname, '../../node_modules/.bin/codex');
const RUN_TIMEOUT_MS = 60_000;

interface CodexRun {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function runCodex(home: string, cwd: string, providerId: string, prompt: string, extraEnv: Record<string, string> = {}): Promise<CodexRun> {
  return new Promise(resolveRun => {
    const args = [
      '-a',
      'never',
      '-s',
      'read-only',
      'exec',
      '--skip-git-repo-check',
      '-p',
      'local',
      '--disable',
      'unbounded_connection_retries',
      '-c',
      `model_providers.${providerId}.request_max_retries=0`,
      '-c',
      `model_providers.${providerId}.stream_max_retries=0`,
      prompt,
    ];
    const child = spawn(CODEX, args, {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CODEX_HOME: home, HOME: home, NO_COLOR: '1', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', d => {
      stdout += d;
    });
    child.stderr.on('data', d => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('close', code => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr, timedOut });
    });
  });
}

interface Case {
  name: string;
  provider: ProviderId;
  server: ScriptedServerOptions;
  model: string;
  disableNonFunctionTools?: ProfileSettings['codex.disableNonFunctionTools'];
  /** The key the client sends (Codex through env_key, the verifier as apiKey); the server's is in `server.apiKey`. */
  clientKey?: string;
  /** What both must conclude. */
  expectPass: boolean;
}

const llama = (extra: Partial<ScriptedServerOptions> = {}): ScriptedServerOptions => ({
  kind: 'llamacpp',
  models: [{ id: 'local/model', contextWindow: 32768 }],
  ...extra,
});

const CASES: Case[] = [
  { name: 'healthy llama.cpp', provider: 'llamacpp', server: llama(), model: 'local/model', expectPass: true },
  {
    name: 'healthy Ollama',
    provider: 'ollama',
    server: { kind: 'ollama', models: [{ id: 'qwen3:8b' }], brain: B.modelCheckingBrain(['qwen3:8b'], 'ollama') },
    model: 'qwen3:8b',
    expectPass: true,
  },
  {
    name: 'no /v1/responses (old Ollama)',
    provider: 'ollama',
    server: { kind: 'ollama', models: [{ id: 'qwen3:8b' }], overrides: [B.noResponsesApi('ollama')] },
    model: 'qwen3:8b',
    expectPass: false,
  },
  {
    name: 'strict template (System message must be at the beginning)',
    provider: 'llamacpp',
    server: llama({ brain: B.strictTemplateBrain('llamacpp-500') }),
    model: 'local/model',
    expectPass: false,
  },
  {
    name: 'context too small (4096)',
    provider: 'llamacpp',
    server: { kind: 'llamacpp', models: [{ id: 'local/model', contextWindow: 4096 }], brain: B.contextBrain(4096, 'llamacpp-newest') },
    model: 'local/model',
    expectPass: false,
  },
  {
    name: 'delta without output_item.added',
    provider: 'llamacpp',
    server: llama({ brain: B.streamFaultBrain('delta-without-added') }),
    model: 'local/model',
    expectPass: false,
  },
  {
    name: 'tool call written as text',
    provider: 'ollama',
    server: { kind: 'ollama', models: [{ id: 'llama3.2:3b' }], brain: B.toolCallAsTextBrain('json') },
    model: 'llama3.2:3b',
    expectPass: false,
  },
  {
    name: 'model without tools (Ollama)',
    provider: 'ollama',
    server: { kind: 'ollama', models: [{ id: 'gemma3:270m' }], brain: B.toolsUnsupportedBrain('ollama') },
    model: 'gemma3:270m',
    expectPass: false,
  },
  {
    name: 'llama.cpp answers under any model name (not listed: a warning only)',
    provider: 'llamacpp',
    server: llama(),
    model: 'qwen/unlisted',
    expectPass: true,
  },
  {
    name: 'model not pulled (Ollama 404 model not found)',
    provider: 'ollama',
    server: { kind: 'ollama', models: [], brain: B.modelCheckingBrain([], 'ollama') },
    model: 'qwen3:8b',
    expectPass: false,
  },
  {
    name: 'LM Studio wraps the template error in a string',
    provider: 'lmstudio',
    server: { kind: 'lmstudio', models: [{ id: 'qwen/qwen3-8b' }], brain: B.strictTemplateBrain('lmstudio-wrapped') },
    model: 'qwen/qwen3-8b',
    expectPass: false,
  },
  {
    name: 'stream without response.completed',
    provider: 'vllm',
    server: { kind: 'vllm', models: [{ id: 'q' }], brain: B.streamFaultBrain('no-completed') },
    model: 'q',
    expectPass: false,
  },
  {
    name: 'right API key (env_key)',
    provider: 'vllm',
    server: { kind: 'vllm', models: [{ id: 'q' }], apiKey: 'sekret' },
    model: 'q',
    clientKey: 'sekret',
    expectPass: true,
  },
  {
    name: 'wrong API key',
    provider: 'llamacpp',
    server: llama({ apiKey: 'sekret' }),
    model: 'local/model',
    clientKey: 'nope',
    expectPass: false,
  },
  {
    name: 'old llama.cpp rejects non-function tools, profile leaves them on',
    provider: 'llamacpp',
    server: llama({ brain: B.rejectNonFunctionToolsBrain() }),
    model: 'local/model',
    disableNonFunctionTools: 'never',
    expectPass: false,
  },
  {
    name: 'old llama.cpp rejects non-function tools, profile turns them off',
    provider: 'llamacpp',
    server: llama({ brain: B.rejectNonFunctionToolsBrain() }),
    model: 'local/model',
    disableNonFunctionTools: 'always',
    expectPass: true,
  },
];

describe('the verifier agrees with the real Codex CLI', { skip: !existsSync(CODEX) && 'node_modules/.bin/codex is not installed' }, () => {
  let root: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'codex-agreement-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  for (const c of CASES) {
    test(c.name, { timeout: RUN_TIMEOUT_MS * 2 }, async () => {
      const s = await startScriptedServer(c.server);
      const dir = mkdtempSync(join(root, 'case-'));
      try {
        const home = join(dir, 'home');
        const work = join(dir, 'work');
        mkdirSync(home);
        mkdirSync(work);
        const contextWindow = c.server.models?.[0]?.contextWindow;
        const route: Route = {
          provider: c.provider,
          baseUrl: s.baseUrl,
          model: c.model,
          contextWindow,
          ...(c.clientKey ? { keyVar: 'LMR_AGREEMENT_KEY' } : {}),
        };
        const settings: ProfileSettings = {
          'codex.disableNonFunctionTools': c.disableNonFunctionTools ?? 'auto',
          'codex.autoCompactFraction': 0.75,
          'llamacpp.autoCompactTokenLimit': 14000,
        };
        const profile = buildProfile(route, settings, { name: 'local', codexHome: home });
        writeFileSync(join(home, profile.fileName!), profile.fileText!);
        if (profile.catalog) writeFileSync(profile.catalog.path, profile.catalog.json);

        const report: VerifyReport = await verifyRoute({
          baseUrl: s.baseUrl,
          model: c.model,
          nonFunctionTools: !profile.nonFunctionToolsOff,
          timeoutMs: 20_000,
          apiKey: c.clientKey,
        });

        const token = `TOKEN-${Math.random().toString(36).slice(2, 10).toUpperCase()}`;
        const file = join(work, 'token.txt');
        writeFileSync(file, `${token}\n`);
        const run = await runCodex(
          home,
          work,
          profile.providerId,
          `Read the file ${file} and reply with exactly its content.`,
          c.clientKey ? { LMR_AGREEMENT_KEY: c.clientKey } : {},
        );
        const codexOk = run.code === 0 && run.stdout.includes(token);

        const why = `verifier: ${report.stages.map(st => `${st.id}=${st.status}${st.diagnosis ? `(${st.diagnosis.code})` : ''}`).join(' ')}\ncodex exit ${run.code}${run.timedOut ? ' (timed out)' : ''}, stdout ${JSON.stringify(run.stdout.slice(0, 300))}\nstderr tail: ${run.stderr.slice(-800)}`;
        assert.equal(run.timedOut, false, why);
        assert.equal(report.ok, codexOk, `disagreement\n${why}`);
        assert.equal(report.ok, c.expectPass, why);
      } finally {
        await s.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
