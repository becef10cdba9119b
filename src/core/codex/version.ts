// Which Codex is installed and where its files live: version parsing, the format choice by version,
// CODEX_HOME resolution. Pure.
import * as path from 'node:path';
import type { CodexFormat } from './profile';

export interface CodexVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

/** Since 0.134 profiles are `<name>.config.toml` files and `[profiles.<name>]` tables are refused. */
export const PROFILE_FILES_SINCE: CodexVersion = { major: 0, minor: 134, patch: 0, text: '0.134.0' };

/** `codex-cli 0.169.0`, `codex 0.98.1-alpha.2`, `0.169.0` → the version; undefined when there is none. */
export function parseCodexVersion(output: string): CodexVersion | undefined {
  const m = /(?:^|[\s v])(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.-]+)?/.exec(output.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), text: m[0].trim().replace(/^v/, '') };
}

export function compareVersions(a: CodexVersion, b: CodexVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export type FormatChoice = { format: CodexFormat; why: string };

export function chooseFormat(version: CodexVersion | undefined): FormatChoice {
  if (!version)
    return {
      format: 'profile-file',
      why: `Codex was not found, so the profile uses the current format (a profile file, Codex ${PROFILE_FILES_SINCE.text} and later).`,
    };
  if (compareVersions(version, PROFILE_FILES_SINCE) >= 0)
    return { format: 'profile-file', why: `Codex ${version.text} reads profiles from <name>.config.toml files.` };
  return {
    format: 'legacy-table',
    why: `Codex ${version.text} is older than ${PROFILE_FILES_SINCE.text}, so the profile goes into config.toml as [profiles.<name>].`,
  };
}

export type CodexHomeSource = 'env' | 'setting' | 'default';

/** CODEX_HOME: the environment variable (what Codex itself reads), then the setting, then ~/.codex. */
export function resolveCodexHome(
  env: Readonly<Record<string, string | undefined>>,
  setting: string,
  homeDir: string,
): { path: string; source: CodexHomeSource } {
  const expand = (p: string) => path.resolve(p.replace(/^~(?=$|[/\\])/, homeDir));
  if (env.CODEX_HOME?.trim()) return { path: expand(env.CODEX_HOME.trim()), source: 'env' };
  if (setting.trim()) return { path: expand(setting.trim()), source: 'setting' };
  return { path: path.join(homeDir, '.codex'), source: 'default' };
}
