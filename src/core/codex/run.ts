// Running the installed Codex: `codex --version`, and a validation run that loads a profile with
// --strict-config and sends no request (its provider points at a closed loopback port).
// Observed with 0.169: a config error exits 1 at once with Codex's own message (file, line, caret);
// an accepted profile gets as far as "Connection failed: error sending request" (exit 1, ~0.3 s).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { parseCodexVersion, type CodexVersion } from './version';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the executable could not be started (ENOENT…). */
  spawnError?: string;
}

/** Runs a command with stdin closed (Codex waits for EOF on an open pipe) and a hard timeout. */
export function runBounded(
  exe: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number; signal?: AbortSignal },
): Promise<RunResult> {
  return new Promise(resolve => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const done = (r: RunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const child = spawn(exe, args, {
      env: opts.env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
    });
    const kill = () => {
      try {
        if (child.pid && process.platform !== 'win32') process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    const onAbort = () => kill();
    opts.signal?.addEventListener('abort', onAbort);
    child.stdout?.on('data', d => {
      stdout += String(d);
    });
    child.stderr?.on('data', d => {
      stderr += String(d);
    });
    child.on('error', e => done({ code: null, stdout, stderr, timedOut, spawnError: (e as NodeJS.ErrnoException).code ?? e.message }));
    child.on('close', code => done({ code, stdout, stderr, timedOut }));
  });
}

export type CodexDetection =
  | { kind: 'found'; executable: string; version: CodexVersion }
  | { kind: 'unknown-version'; executable: string; output: string }
  | { kind: 'not-found'; executable: string; reason: string };

export async function detectCodex(executable: string, env: NodeJS.ProcessEnv, timeoutMs = 15_000): Promise<CodexDetection> {
  const r = await runBounded(executable, ['--version'], { env, timeoutMs });
  if (r.spawnError)
    return {
      kind: 'not-found',
      executable,
      reason:
        r.spawnError === 'ENOENT' ? `"${executable}" was not found on PATH` : `"${executable}" could not be started (${r.spawnError})`,
    };
  if (r.timedOut) return { kind: 'not-found', executable, reason: `"${executable} --version" did not answer within ${timeoutMs / 1000} s` };
  const version = parseCodexVersion(r.stdout) ?? parseCodexVersion(r.stderr);
  if (r.code === 0 && version) return { kind: 'found', executable, version };
  return { kind: 'unknown-version', executable, output: (r.stdout + r.stderr).trim().slice(0, 300) };
}

/** A loopback port nothing listens on (bound, then released). */
export function closedLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export type ValidationResult =
  { kind: 'accepted'; ms: number } | { kind: 'rejected'; message: string; ms: number } | { kind: 'failed'; message: string; ms: number };

export interface ValidateOptions {
  executable: string;
  codexHome: string;
  profile: string;
  providerId: string;
  /** Environment for Codex (HOME etc.); CODEX_HOME is set from codexHome. */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The argv of the validation run (also shown to users who want to run it themselves). */
export function validationArgs(profile: string, providerId: string, port: number): string[] {
  const p = `model_providers.${providerId}`;
  return [
    'exec',
    '-p',
    profile,
    '--strict-config',
    '--skip-git-repo-check',
    '--disable',
    'unbounded_connection_retries',
    '-c',
    `${p}.base_url="http://127.0.0.1:${port}/v1"`,
    '-c',
    `${p}.request_max_retries=0`,
    '-c',
    `${p}.stream_max_retries=0`,
    'Reply with exactly: OK',
  ];
}

/** Loads the profile with Codex itself. Check that the profile exists first: a missing one falls back to OpenAI. */
export async function validateWithCodex(o: ValidateOptions): Promise<ValidationResult> {
  const t0 = Date.now();
  const port = await closedLoopbackPort();
  const r = await runBounded(o.executable, validationArgs(o.profile, o.providerId, port), {
    env: { ...o.env, CODEX_HOME: o.codexHome },
    cwd: o.cwd,
    timeoutMs: o.timeoutMs ?? 30_000,
    signal: o.signal,
  });
  const ms = Date.now() - t0;
  const all = `${r.stderr}\n${r.stdout}`;
  if (r.spawnError) return { kind: 'failed', message: `Codex could not be started (${r.spawnError}).`, ms };
  if (/Connection failed|error sending request/i.test(all)) return { kind: 'accepted', ms };
  if (r.timedOut)
    return { kind: 'failed', message: `Codex did not finish within ${(o.timeoutMs ?? 30_000) / 1000} s while loading the profile.`, ms };
  // Older Codex builds lack --strict-config or the feature flag: the profile was not checked, not rejected.
  if (/unexpected argument '--(strict-config|disable)'|unknown feature/i.test(all))
    return {
      kind: 'failed',
      message: `This Codex cannot check a profile without sending a request (${codexErrorText(all).split('\n')[0]}); the profile was written but not checked.`,
      ms,
    };
  return { kind: 'rejected', message: codexErrorText(all) || `Codex exited with code ${r.code} without an error message.`, ms };
}

/** Codex's own error, without the stack backtrace, banner and sandbox warnings. */
export function codexErrorText(output: string): string {
  const lines = output.split(/\r?\n/);
  const stop = lines.findIndex(l => /^Stack backtrace:/.test(l));
  const kept = (stop >= 0 ? lines.slice(0, stop) : lines).filter(
    l => l.trim() && !/^\s*\d+: /.test(l) && !/could not create PATH aliases|bubblewrap|^Reading additional input/i.test(l),
  );
  const first = kept.findIndex(l => /error|invalid|unknown|missing|cannot|unsupported|no longer/i.test(l));
  return (first >= 0 ? kept.slice(first) : kept).join('\n').trim().slice(0, 2000);
}
