// Claude Code's settings file for a route: which file (project or user scope), what goes into it, and
// the surgical edit from the current text to the new one. Keys this writer owns are listed in the
// file itself (env LOCAL_MODEL_ROUTER_MANAGED), so a second write updates exactly them and "remove
// routing" takes exactly them out; everything else in the file stays byte for byte.
import * as path from 'node:path';
import type { Env } from '../endpoints';
import { apiKeyHelperCommand, claudeRoutingEnv, DEFAULT_CLAUDE_KEY_VAR, type ClaudeRouteInput } from './env';
import { applyJsonEdits, getJsonPath, parseSettingsText, type JsonEdit, type ParsedSettings } from './jsonEdit';

export type ClaudeScope = 'project' | 'user';

export const MANAGED_MARKER = 'LOCAL_MODEL_ROUTER_MANAGED';
/** The pseudo-key under which the marker lists the top-level apiKeyHelper. */
const HELPER = 'apiKeyHelper';
/** Values never echoed into notes or logs. */
const SECRET_LIKE = /KEY|TOKEN|SECRET|PASSWORD/i;

export interface ClaudeSettingsLocation {
  scope: ClaudeScope;
  /** The settings file. */
  path: string;
  /** Claude Code's own folder (~/.claude or $CLAUDE_CONFIG_DIR): backups go there, never into a project. */
  claudeDir: string;
}

/** Claude Code's folder: $CLAUDE_CONFIG_DIR, else ~/.claude. */
export function claudeConfigDir(home: string, env: Env = {}): string {
  const d = env.CLAUDE_CONFIG_DIR?.trim();
  return d ? path.resolve(home, d) : path.join(home, '.claude');
}

/** project: <folder>/.claude/settings.local.json (personal, not checked in); user: <claude dir>/settings.json. */
export function claudeSettingsLocation(
  scope: ClaudeScope,
  o: { home: string; folder?: string; env?: Env },
): { ok: true; location: ClaudeSettingsLocation } | { ok: false; error: string } {
  const claudeDir = claudeConfigDir(o.home, o.env);
  if (scope === 'user') return { ok: true, location: { scope, path: path.join(claudeDir, 'settings.json'), claudeDir } };
  if (!o.folder) return { ok: false, error: 'The project scope needs a folder.' };
  return { ok: true, location: { scope, path: path.join(path.resolve(o.folder), '.claude', 'settings.local.json'), claudeDir } };
}

export interface DesiredClaudeSettings {
  env: Record<string, string>;
  /** Set for keyed routes: a command whose stdout is the key, so no key is ever written. */
  apiKeyHelper?: string;
}

export interface ClaudeSettingsInput extends ClaudeRouteInput {
  /** The variable holding the key for keyed routes (default LOCAL_LLM_API_KEY, which routed terminals get from SecretStorage). */
  keyVar?: string;
}

export function desiredClaudeSettings(r: ClaudeSettingsInput): DesiredClaudeSettings {
  return { env: claudeRoutingEnv(r), ...(r.needsKey ? { apiKeyHelper: apiKeyHelperCommand(r.keyVar ?? DEFAULT_CLAUDE_KEY_VAR) } : {}) };
}

export type SettingsTextPlan =
  | {
      ok: true;
      after: string;
      set: string[];
      removed: string[];
      /** Keys whose earlier value of the user's own was put back instead of removing the key. */
      putBack: string[];
      notes: string[];
      /** The user's own values this edit leaves replaced (key → value), to keep beside the backup for a later --remove. */
      replaced: Record<string, unknown>;
    }
  | { ok: false; error: string };

/** Why a file is refused, in the words the writer's refusal uses. */
function refusalOf(p: Extract<ParsedSettings, { ok: false }>): string {
  switch (p.problem) {
    case 'duplicate-key':
      return `${p.error}. Nothing was written.`;
    case 'too-deep':
      return `${p.error}. Nothing was written.`;
    default:
      return `${p.error}. Claude Code cannot load it either; fix it first. Nothing was written.`;
  }
}

/** Keys a previous write recorded as its own. */
export function managedKeys(value: Record<string, unknown>): string[] {
  const env = value.env;
  const marker = env && typeof env === 'object' && !Array.isArray(env) ? (env as Record<string, unknown>)[MANAGED_MARKER] : undefined;
  return typeof marker === 'string'
    ? marker
        .split(',')
        .map(s => s.trim())
        .filter(Boolean)
    : [];
}

const pathOf = (key: string) => (key === HELPER ? [HELPER] : ['env', key]);

/**
 * The edit from `text` to a file that routes Claude Code as `desired` says (or, with null, to one
 * without the routing this writer added). Refuses files Claude Code itself would not load, or would
 * read differently from this writer (a duplicate key). `replacedBefore`: the user's own values earlier
 * writes replaced (from the backup store); a key this edit gives up gets that value back instead of
 * being removed.
 */
export function planSettingsText(
  text: string,
  desired: DesiredClaudeSettings | null,
  replacedBefore: Readonly<Record<string, unknown>> = {},
): SettingsTextPlan {
  const parsed = parseSettingsText(text);
  if (!parsed.ok) return { ok: false, error: refusalOf(parsed) };
  const current = parsed.value;
  const env = current.env;
  if (env !== undefined && (typeof env !== 'object' || env === null || Array.isArray(env)))
    return { ok: false, error: '"env" is not an object. Nothing was written.' };
  const helper = current[HELPER];
  const previous = new Set(managedKeys(current));
  const wanted = new Map<string, string>(desired ? Object.entries(desired.env) : []);
  if (desired?.apiKeyHelper) wanted.set(HELPER, desired.apiKeyHelper);

  const edits: JsonEdit[] = [];
  const set: string[] = [];
  const removed: string[] = [];
  const putBack: string[] = [];
  const notes: string[] = [];
  const replaced: Record<string, unknown> = {};
  for (const key of previous) {
    if (wanted.has(key) || key === MANAGED_MARKER) continue;
    if (Object.hasOwn(replacedBefore, key)) {
      edits.push({ kind: 'set', path: pathOf(key), value: replacedBefore[key] });
      putBack.push(key);
      notes.push(`puts back your own ${key === HELPER ? 'apiKeyHelper' : `env ${key}`}, which the earlier write replaced`);
      continue;
    }
    if (getJsonPath(parsed, pathOf(key)) === undefined) continue;
    edits.push({ kind: 'remove', path: pathOf(key) });
    removed.push(key);
  }
  for (const [key, value] of wanted) {
    const now = getJsonPath(parsed, pathOf(key));
    if (previous.has(key) && Object.hasOwn(replacedBefore, key)) replaced[key] = replacedBefore[key];
    if (now === value) continue;
    if (now !== undefined && !previous.has(key)) {
      replaced[key] = now;
      notes.push(
        `replaces your own ${key === HELPER ? 'apiKeyHelper' : `env ${key}`}${SECRET_LIKE.test(key) || key === HELPER ? '' : ` (was ${JSON.stringify(now)})`}; the backup keeps it and --remove puts it back`,
      );
    }
    edits.push({ kind: 'set', path: pathOf(key), value });
    set.push(key);
  }
  const marker = [...wanted.keys()].join(',');
  const markerNow = getJsonPath(parsed, ['env', MANAGED_MARKER]);
  if (desired && markerNow !== marker) edits.push({ kind: 'set', path: ['env', MANAGED_MARKER], value: marker });
  if (!desired && markerNow !== undefined) edits.push({ kind: 'remove', path: ['env', MANAGED_MARKER] });
  if (desired && !desired.apiKeyHelper && typeof helper === 'string' && !previous.has(HELPER)) {
    notes.push('your own apiKeyHelper stays: Claude Code sends its output as X-Api-Key to the local server');
  }
  if (
    desired?.apiKeyHelper &&
    typeof (env as Record<string, unknown> | undefined)?.ANTHROPIC_AUTH_TOKEN === 'string' &&
    !previous.has('ANTHROPIC_AUTH_TOKEN') &&
    !wanted.has('ANTHROPIC_AUTH_TOKEN')
  ) {
    notes.push('env ANTHROPIC_AUTH_TOKEN (yours) stays and takes precedence over the key helper for the Authorization header');
  }
  const r = applyJsonEdits(text, edits);
  if (!r.ok) return { ok: false, error: `${r.error}. Nothing was written.` };
  return { ok: true, after: r.text, set, removed, putBack, notes, replaced };
}
