// Codex project trust: `[projects."<abs path>"]` with `trust_level = "trusted"` in config.toml.
// Idempotent; an existing "untrusted" is only changed when the user explicitly said yes.
// Observed with Codex 0.169: a trusted git repository gets a workspace-write sandbox; values are
// "trusted" | "untrusted" (anything else is an error); outside a git repository `codex exec` still
// needs --skip-git-repo-check, trusted or not.
import * as path from 'node:path';
import { applyEdit, parseTomlText, type TomlEdit } from './tomlEdit';

export type TrustState = { kind: 'absent' } | { kind: 'trusted' } | { kind: 'untrusted' } | { kind: 'other'; value: unknown };

export const TRUST_EXPLANATION =
  "Trusting a folder lets Codex run in it with the workspace-write sandbox (it may edit files in the folder and run commands there without asking first) and load the folder's own .codex/config.toml. " +
  'Outside a git repository `codex exec` still needs --skip-git-repo-check.';

export function projectKey(folder: string): string {
  return path.resolve(folder);
}

export function trustEditFor(folder: string): TomlEdit {
  return { kind: 'set', path: ['projects', projectKey(folder), 'trust_level'], value: 'trusted' };
}

export function trustState(configText: string, folder: string): TrustState | { kind: 'invalid'; error: string } {
  const parsed = parseTomlText(configText);
  if (!parsed.ok) return { kind: 'invalid', error: parsed.error };
  const projects = parsed.value.projects as Record<string, unknown> | undefined;
  const entry =
    projects && typeof projects === 'object' ? (projects[projectKey(folder)] as Record<string, unknown> | undefined) : undefined;
  const level = entry && typeof entry === 'object' ? entry.trust_level : undefined;
  if (level === undefined) return { kind: 'absent' };
  if (level === 'trusted') return { kind: 'trusted' };
  if (level === 'untrusted') return { kind: 'untrusted' };
  return { kind: 'other', value: level };
}

export type TrustPlan =
  | { kind: 'unchanged'; reason: string }
  | { kind: 'change'; after: string; previous: TrustState['kind'] }
  | { kind: 'needs-confirmation'; reason: string }
  | { kind: 'refused'; error: string };

/** The new config.toml text that trusts `folder`. `overrideUntrusted` is the user's explicit yes. */
export function planTrust(configText: string, folder: string, opts: { overrideUntrusted?: boolean } = {}): TrustPlan {
  const state = trustState(configText, folder);
  const key = projectKey(folder);
  if (state.kind === 'invalid') return { kind: 'refused', error: `config.toml is not valid TOML (${state.error}); nothing was changed.` };
  if (state.kind === 'trusted') return { kind: 'unchanged', reason: `${key} is already trusted in Codex.` };
  if (state.kind === 'untrusted' && !opts.overrideUntrusted)
    return {
      kind: 'needs-confirmation',
      reason: `${key} is marked "untrusted" in config.toml. It is only changed to "trusted" when you confirm.`,
    };
  const r = applyEdit(configText, trustEditFor(folder));
  if (!r.ok) return { kind: 'refused', error: r.error };
  return { kind: 'change', after: r.text, previous: state.kind };
}
