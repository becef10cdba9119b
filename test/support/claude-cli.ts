// The real Claude Code CLI for tests: the pinned native binary (@anthropic-ai/claude-code-linux-x64
// 2.1.328, a self-contained executable that needs no Node), run bounded with stdin closed and an
// isolated HOME, so the user's ~/.claude is never read or written.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { runBounded, type RunResult } from '../../src/core/codex/run';

export const CLAUDE = path.resolve(__dirname, '../../node_modules/@anthropic-ai/claude-code-linux-x64/claude');

/** Why the real CLI cannot run here (false when it can): other platforms get no Linux binary to run. */
export function claudeUnavailable(): string | false {
  if (!fs.existsSync(CLAUDE)) return 'node_modules/@anthropic-ai/claude-code-linux-x64 is not installed';
  const r = spawnSync(CLAUDE, ['--version'], {
    encoding: 'utf8',
    timeout: 15_000,
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir() },
  });
  if (r.status !== 0 || !/2\.1\.328/.test(r.stdout))
    return `the Claude Code binary does not run here (${r.error?.message ?? r.stderr.slice(0, 200)})`;
  return false;
}

export interface ClaudeSandbox {
  root: string;
  home: string;
  work: string;
}

export function claudeSandbox(prefix = 'lmr-claude-'): ClaudeSandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const home = path.join(root, 'home');
  const work = path.join(root, 'work');
  fs.mkdirSync(home);
  fs.mkdirSync(work);
  return { root, home, work };
}

/** Only what a terminal would give: PATH and HOME; no variable from the test runner's own environment leaks in. */
export function baseEnv(sb: ClaudeSandbox): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sb.home, NO_COLOR: '1' };
}

export const RUN_TIMEOUT_MS = 60_000;

export function runClaude(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string, command = CLAUDE): Promise<RunResult> {
  return runBounded(command, args, { env, cwd, timeoutMs: RUN_TIMEOUT_MS });
}
