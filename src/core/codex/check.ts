// Asking the installed Codex whether it accepts a configuration, with its own strict validation.
// The recipe (observed with Codex 0.169.0): `codex exec --strict-config --ephemeral [-p NAME]` with NO
// prompt and stdin closed. Codex loads config.toml (and the profile) first and fails at once with its
// own message (file:line:col, caret); an accepted configuration gets as far as reading the prompt and
// stops with "No prompt provided via stdin." So no request is ever sent — whatever `model_provider`
// selects, the default OpenAI one included (strace showed not one connect() in such a run) — and
// `--ephemeral` keeps the run out of the user's session history. The run itself is a check run
// (run.ts runCodexCheck): a scratch CODEX_HOME with copies of the files, no keys in its environment.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCodexCheck } from './run';
import { FileRefusal, readBounded, readTextFile } from '../files';
import { displayMessage } from '../text/sanitize';
import { parseCodexLoadOutput, codexMessage, type CodexRejection } from './rejections';
import { profileNameProblem } from './profile';
import { findLegacyProfiles } from './migrate';
import { CONFIG_FILE, configPath, profileFileName, profilePath } from './files';

export interface CodexRunContext {
  /** The Codex executable (path or name on PATH). */
  executable: string;
  /** The caller's environment; the run gets only what finds and runs Codex (run.ts checkRunEnv). */
  env: NodeJS.ProcessEnv;
  /** Codex also reads a trusted project's `.codex/config.toml` from here. */
  cwd?: string;
  /** Per Codex run; default 20 s. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CheckInput extends CodexRunContext {
  codexHome: string;
  /** Also load `$CODEX_HOME/<profile>.config.toml` over config.toml, as `codex -p <profile>` does. */
  profile?: string;
}

export type CheckFailure = 'not-started' | 'timeout' | 'unsupported' | 'unrecognized' | 'cancelled' | 'bad-profile-name' | 'not-a-file';

export type CodexConfigCheck =
  | { kind: 'accepted'; ms: number }
  | { kind: 'rejected'; rejection: CodexRejection; ms: number }
  /** Codex would silently fall back to OpenAI (and hang retrying): the profile file is not there. */
  | { kind: 'profile-missing'; profile: string; path: string; ms: number }
  | { kind: 'failed'; reason: CheckFailure; message: string; ms: number };

export const DEFAULT_CHECK_TIMEOUT_MS = 20_000;

/** The argv of one check (also shown to users who want to run it themselves). */
export function checkArgs(profile?: string): string[] {
  return ['exec', '--strict-config', '--skip-git-repo-check', '--ephemeral', ...(profile ? ['-p', profile] : [])];
}

/**
 * Loads the configuration in `codexHome` with the installed Codex and says what it thought of it;
 * `files` (name in CODEX_HOME → text) are checked in place of the ones on disk (a candidate).
 */
export async function checkCodexConfig(input: CheckInput, files: ReadonlyMap<string, string> = new Map()): Promise<CodexConfigCheck> {
  const t0 = Date.now();
  if (input.profile !== undefined) {
    const problem = profileNameProblem(input.profile);
    if (problem) return { kind: 'failed', reason: 'bad-profile-name', message: problem, ms: 0 };
    const file = profilePath(input.codexHome, input.profile);
    // A legacy [profiles.<name>] is reason enough to run Codex: it refuses `-p <name>` while that exists.
    if (
      !files.has(path.basename(file)) &&
      !fs.existsSync(file) &&
      !legacyProfileNames(files.get(CONFIG_FILE) ?? configText(input.codexHome)).includes(input.profile)
    )
      return { kind: 'profile-missing', profile: input.profile, path: file, ms: 0 };
  }
  // The checked files as Codex would meet them: a folder or an unreadable file is given to it as
  // such (it says so in its own words); a FIFO, a device or a file past the bound is refused here.
  const mirror: { folders: string[]; unreadable: string[] } = { folders: [], unreadable: [] };
  for (const name of [CONFIG_FILE, ...(input.profile !== undefined ? [profileFileName(input.profile)] : [])]) {
    if (files.has(name)) continue;
    const p = path.join(input.codexHome, name);
    try {
      readBounded(p);
    } catch (e) {
      if (!(e instanceof FileRefusal)) throw e;
      if (isFolder(p)) mirror.folders.push(name);
      else if (e.reason === 'unreadable') mirror.unreadable.push(name);
      else return { kind: 'failed', reason: 'not-a-file', message: e.message, ms: Date.now() - t0 };
    }
  }
  const timeoutMs = input.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const r = await runCodexCheck({
    executable: input.executable,
    args: checkArgs(input.profile),
    codexHome: input.codexHome,
    files,
    mirror,
    env: input.env,
    cwd: input.cwd,
    timeoutMs,
    signal: input.signal,
  });
  const ms = Date.now() - t0;
  if (r.spawnError)
    return {
      kind: 'failed',
      reason: 'not-started',
      message: `Codex could not be started (${r.spawnError === 'ENOENT' ? `"${input.executable}" was not found` : r.spawnError}).`,
      ms,
    };
  if (input.signal?.aborted) return { kind: 'failed', reason: 'cancelled', message: 'The check was cancelled.', ms };
  if (r.timedOut)
    return {
      kind: 'failed',
      reason: 'timeout',
      message: `Codex did not finish loading the configuration within ${timeoutMs / 1000} s.`,
      ms,
    };
  const all = `${r.stderr}\n${r.stdout}`;
  // Older Codex builds lack these flags: the configuration was not checked, not rejected.
  if (/unexpected argument '--(strict-config|ephemeral)'/.test(all))
    return {
      kind: 'failed',
      reason: 'unsupported',
      message: `This Codex cannot check a configuration without running it (${displayMessage(codexMessage(all).split('\n')[0])}).`,
      ms,
    };
  const outcome = parseCodexLoadOutput(all);
  switch (outcome.kind) {
    case 'accepted':
      return { kind: 'accepted', ms };
    case 'rejected':
      return { kind: 'rejected', rejection: outcome.rejection, ms };
    case 'unrecognized':
      return {
        kind: 'failed',
        reason: 'unrecognized',
        message: outcome.text
          ? `Codex exited with code ${r.code}: ${displayMessage(outcome.text)}`
          : `Codex exited with code ${r.code} without a message.`,
        ms,
      };
  }
}

/** A check run of a candidate: `files` in place of the ones in CODEX_HOME. */
export function checkCandidate(input: CheckInput, files: ReadonlyMap<string, string>): Promise<CodexConfigCheck> {
  return checkCodexConfig(input, files);
}

function isFolder(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function configText(codexHome: string): string {
  try {
    return readTextFile(configPath(codexHome)) ?? '';
  } catch (e) {
    if (e instanceof FileRefusal) return '';
    throw e;
  }
}

function legacyProfileNames(text: string): string[] {
  const found = findLegacyProfiles(text);
  return 'error' in found ? [] : [...found.tables, ...(found.selector ? [found.selector] : [])];
}
