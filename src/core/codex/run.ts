// Running the installed Codex to check something, never to work: `codex --version`, the configuration
// check (check.ts), `codex features list`, and a validation run that loads a profile with
// --strict-config and sends no request (its provider points at a closed loopback port).
// Observed with 0.169: a config error exits 1 at once with Codex's own message (file, line, caret);
// an accepted profile gets as far as "Connection failed: error sending request" (exit 1, ~0.3 s).
// Every such run is a check only: `--ephemeral` (no session rollout), a scratch CODEX_HOME holding
// copies of the user's files (scratch.ts; Codex's own state, snapshots and logs land there and go
// with it), and an environment reduced to what finds and runs Codex — no keys, no user variables,
// HOME pointing at the scratch. Codex's output is read up to a bound and quoted sanitized.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createServer } from 'node:net';
import { parseCodexVersion, type CodexVersion } from './version';
import { withScratchHome, type Mirror } from './scratch';
import { displayMessage, displayText } from '../text/sanitize';

/** What a check run keeps of each output stream; Codex's messages are a few lines. */
export const MAX_RUN_OUTPUT = 1024 * 1024;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Set when the executable could not be started (ENOENT…). */
  spawnError?: string;
  /** An output stream passed MAX_RUN_OUTPUT; the rest was not kept. */
  truncated?: boolean;
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
    let truncated = false;
    let settled = false;
    const done = (r: RunResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve(truncated ? { ...r, truncated } : r);
    };
    const keep = (have: string, d: Buffer): string => {
      if (have.length >= MAX_RUN_OUTPUT) {
        truncated = true;
        return have;
      }
      const add = String(d);
      if (have.length + add.length > MAX_RUN_OUTPUT) truncated = true;
      return have + add.slice(0, MAX_RUN_OUTPUT - have.length);
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
    child.stdout?.on('data', (d: Buffer) => {
      stdout = keep(stdout, d);
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr = keep(stderr, d);
    });
    child.on('error', e => done({ code: null, stdout, stderr, timedOut, spawnError: (e as NodeJS.ErrnoException).code ?? e.message }));
    child.on('close', code => done({ code, stdout, stderr, timedOut }));
  });
}

export type CodexDetection =
  | { kind: 'found'; executable: string; version: CodexVersion }
  | { kind: 'unknown-version'; executable: string; output: string }
  | { kind: 'not-found'; executable: string; reason: string };

/** Variables a check run of Codex keeps from the caller's environment: enough to find and start it. */
const KEPT_VARIABLES = [
  'PATH',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'LC_MESSAGES',
  'TZ',
  'TMPDIR',
  'TMP',
  'TEMP',
  // Windows needs these to start any program.
  'SystemRoot',
  'SYSTEMROOT',
  'windir',
  'ComSpec',
  'PATHEXT',
];

/**
 * The environment of a check run: the variables above, HOME (and USERPROFILE) and CODEX_HOME set to
 * the scratch home, and `extra` (a placeholder for the provider's env_key, never a key).
 */
export function checkRunEnv(parent: NodeJS.ProcessEnv, scratchHome: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const k of KEPT_VARIABLES) if (parent[k] !== undefined) env[k] = parent[k];
  return { ...env, HOME: scratchHome, USERPROFILE: scratchHome, CODEX_HOME: scratchHome, ...extra };
}

export interface CheckRunOptions {
  executable: string;
  args: readonly string[];
  /** The user's CODEX_HOME: its files are copied into the scratch home the run gets. */
  codexHome?: string;
  /** Files (name in CODEX_HOME → text) that replace or add to the copies. */
  files?: ReadonlyMap<string, string>;
  /** Checked files that are folders or unreadable: the same in the scratch home. */
  mirror?: Mirror;
  /** The caller's environment, reduced by checkRunEnv. */
  env: NodeJS.ProcessEnv;
  extraEnv?: Record<string, string>;
  cwd?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/**
 * Runs Codex for a check in a scratch home with the reduced environment; paths of the scratch home in
 * its output are given back as the user's CODEX_HOME, so messages name the real files.
 */
export function runCodexCheck(o: CheckRunOptions): Promise<RunResult> {
  return withScratchHome(
    o.codexHome,
    o.files ?? new Map(),
    async scratch => {
      const r = await runBounded(o.executable, o.args, {
        env: checkRunEnv(o.env, scratch, o.extraEnv),
        cwd: o.cwd,
        timeoutMs: o.timeoutMs,
        signal: o.signal,
      });
      if (!o.codexHome) return r;
      const from = [fs.realpathSync(scratch), scratch];
      const fix = (t: string) => from.reduce((acc, f) => acc.split(f).join(o.codexHome as string), t);
      return { ...r, stdout: fix(r.stdout), stderr: fix(r.stderr) };
    },
    o.mirror,
  );
}

/** Why an executable could not be started, in words that say where to look. */
function notStarted(executable: string, spawnError: string, env: NodeJS.ProcessEnv): string {
  if (spawnError !== 'ENOENT') return `"${executable}" could not be started (${spawnError})`;
  if (executable.includes('/') || executable.includes(path.sep))
    return fs.existsSync(executable)
      ? `"${executable}" could not be started: the program it names to run it (its #! line) was not found`
      : `"${executable}" does not exist`;
  return `"${executable}" was not found on PATH${env.PATH ? '' : ' (PATH is not set)'}`;
}

export async function detectCodex(executable: string, env: NodeJS.ProcessEnv, timeoutMs = 15_000): Promise<CodexDetection> {
  const r = await runCodexCheck({ executable, args: ['--version'], env, timeoutMs });
  if (r.spawnError) return { kind: 'not-found', executable, reason: notStarted(executable, r.spawnError, env) };
  if (r.timedOut) return { kind: 'not-found', executable, reason: `"${executable} --version" did not answer within ${timeoutMs / 1000} s` };
  const version = parseCodexVersion(r.stdout) ?? parseCodexVersion(r.stderr);
  if (r.code === 0 && version) return { kind: 'found', executable, version };
  return { kind: 'unknown-version', executable, output: displayText((r.stdout + r.stderr).trim(), { max: 300 }) };
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
  /** The caller's environment (reduced by checkRunEnv). */
  env: NodeJS.ProcessEnv;
  /** The variable the provider's env_key names: it gets a placeholder, never the key. */
  keyVar?: string;
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
    '--ephemeral',
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
  const r = await runCodexCheck({
    executable: o.executable,
    args: validationArgs(o.profile, o.providerId, port),
    codexHome: o.codexHome,
    env: o.env,
    // Codex refuses to start without the variable env_key names; the run sends nothing, so a placeholder does.
    extraEnv: o.keyVar ? { [o.keyVar]: 'placeholder-for-validation' } : {},
    cwd: o.cwd,
    timeoutMs: o.timeoutMs ?? 30_000,
    signal: o.signal,
  });
  const ms = Date.now() - t0;
  const all = `${r.stderr}\n${r.stdout}`;
  if (r.spawnError)
    return { kind: 'failed', message: `Codex could not be started (${notStarted(o.executable, r.spawnError, o.env)}).`, ms };
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

/** Codex's own error, without the stack backtrace, banner and sandbox warnings; bounded and sanitized for display. */
export function codexErrorText(output: string): string {
  const lines = output.split(/\r?\n/);
  const stop = lines.findIndex(l => /^Stack backtrace:/.test(l));
  const kept = (stop >= 0 ? lines.slice(0, stop) : lines).filter(
    l => l.trim() && !/^\s*\d+: /.test(l) && !/could not create PATH aliases|bubblewrap|^Reading additional input/i.test(l),
  );
  const first = kept.findIndex(l => /error|invalid|unknown|missing|cannot|unsupported|no longer/i.test(l));
  return displayMessage((first >= 0 ? kept.slice(first) : kept).join('\n').trim());
}
