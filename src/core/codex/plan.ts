// Everything one "write the profile" action would change, computed before anything is written:
// the profile file and its model catalog (Codex ≥ 0.134), or tables in config.toml (older Codex),
// plus optional edits of config.toml (project trust, oss_provider, a same-named legacy profile that
// Codex would refuse). The caller previews the plan (diffs), then hands it to writeFiles().
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSnapshot, FileRefusal, type FileSnapshot, type PlannedFile } from '../files';
import { applyEdit, parseTomlText, type TomlEdit } from './tomlEdit';
import { planTrust, projectKey } from './trust';
import { findLegacyProfiles } from './migrate';
import { isTable, type TomlScalar, type TomlTable } from './tomlText';
import type { CodexProfile } from './profile';
import { unifiedDiff } from '../files/diff';
import { configPath } from './files';

export type FileRole = 'profile' | 'catalog' | 'config';

export interface PlannedChange extends PlannedFile {
  role: FileRole;
  after: string;
  /** Unified diff from the current contents ('' when unchanged). */
  diff: string;
}

export interface ProfileWriteInput {
  codexHome: string;
  profile: CodexProfile;
  /** A folder the user agreed to trust in Codex. */
  trustProject?: string;
  /** The user explicitly agreed to change an existing "untrusted" entry. */
  overrideUntrusted?: boolean;
  /** Also set `oss_provider` in config.toml (Ollama and LM Studio routes). */
  setOssProvider?: boolean;
}

export type ProfileWritePlan =
  | { ok: true; changes: PlannedChange[]; unchanged: string[]; notes: string[]; trust?: 'added' | 'already' | 'needs-confirmation' }
  | { ok: false; error: string };

function change(role: FileRole, snapshot: FileSnapshot, after: string): PlannedChange {
  const label = snapshot.path;
  return { role, snapshot, after, diff: unifiedDiff(snapshot.text, after, snapshot.exists ? label : '/dev/null', label) };
}

function tableEdits(base: string[], table: TomlTable): TomlEdit[] {
  const edits: TomlEdit[] = [];
  for (const [k, v] of Object.entries(table)) {
    if (isTable(v)) edits.push(...tableEdits([...base, k], v));
    else edits.push({ kind: 'set', path: [...base, k], value: v as TomlScalar });
  }
  return edits;
}

export function planProfileWrite(input: ProfileWriteInput): ProfileWritePlan {
  try {
    return planUnsafe(input);
  } catch (e) {
    if (e instanceof FileRefusal) return { ok: false, error: e.message };
    throw e;
  }
}

function planUnsafe(input: ProfileWriteInput): ProfileWritePlan {
  const { codexHome, profile } = input;
  const notes = [...profile.notes];
  const changes: PlannedChange[] = [];
  const unchanged: string[] = [];
  const cfg = readSnapshot(configPath(codexHome));
  const parsed = parseTomlText(cfg.text);
  if (!parsed.ok)
    return {
      ok: false,
      error: `${cfg.path} is not valid TOML (${parsed.error}). Fix it first (Codex cannot read it either); nothing was written.`,
    };
  let cfgText = cfg.text;
  const edit = (e: TomlEdit): string | undefined => {
    const r = applyEdit(cfgText, e);
    if (!r.ok) return `${cfg.path}: ${r.error}`;
    cfgText = r.text;
    return undefined;
  };

  if (profile.format === 'profile-file') {
    const file = readSnapshot(path.join(codexHome, profile.fileName as string));
    if (file.exists && !file.text.includes('written by Local Model Router'))
      notes.push(`${profile.fileName} exists and was not written by Local Model Router; it is replaced (a backup is kept).`);
    if (file.text !== profile.fileText) changes.push(change('profile', file, profile.fileText as string));
    else unchanged.push(file.path);
    if (profile.catalog) {
      const cat = readSnapshot(profile.catalog.path);
      if (cat.text !== profile.catalog.json) changes.push(change('catalog', cat, profile.catalog.json));
      else unchanged.push(cat.path);
    }
    // Codex ≥ 0.134 refuses `-p <name>` while config.toml still has the legacy form of the same profile.
    const legacy = findLegacyProfiles(cfg.text);
    if (!('error' in legacy)) {
      if (legacy.tables.includes(profile.name)) {
        const err = edit({ kind: 'remove', path: ['profiles', profile.name] });
        if (err) return { ok: false, error: err };
        notes.push(
          `removes the legacy [profiles.${profile.name}] from config.toml: Codex refuses -p ${profile.name} while it exists (a backup is kept)`,
        );
      }
      if (legacy.selector !== undefined) {
        const err = edit({ kind: 'remove', path: ['profile'] });
        if (err) return { ok: false, error: err };
        notes.push(
          `removes profile = "${legacy.selector}" from config.toml: Codex refuses every run while it exists; select profiles with -p instead`,
        );
      }
      const others = legacy.tables.filter(n => n !== profile.name);
      if (others.length)
        notes.push(
          `config.toml still has legacy profiles (${others.join(', ')}); "Move Legacy Codex Profiles into Profile Files" moves them`,
        );
    }
  } else {
    for (const e of tableEdits([], profile.config)) {
      const err = edit(e);
      if (err) return { ok: false, error: err };
    }
  }

  let trust: 'added' | 'already' | 'needs-confirmation' | undefined;
  if (input.trustProject) {
    const t = planTrust(cfgText, input.trustProject, { overrideUntrusted: input.overrideUntrusted });
    if (t.kind === 'refused') return { ok: false, error: t.error };
    if (t.kind === 'needs-confirmation') {
      trust = 'needs-confirmation';
      notes.push(t.reason);
    } else if (t.kind === 'unchanged') {
      trust = 'already';
      notes.push(t.reason);
    } else {
      trust = 'added';
      cfgText = t.after;
      notes.push(`trusts ${projectKey(input.trustProject)} in Codex`);
    }
  }
  if (input.setOssProvider && profile.ossProvider) {
    const err = edit({ kind: 'set', path: ['oss_provider'], value: profile.ossProvider });
    if (err) return { ok: false, error: err };
    notes.push(`oss_provider = "${profile.ossProvider}" in config.toml: \`codex --oss -m <model>\` uses ${profile.ossProvider}`);
  }
  if (cfgText !== cfg.text) changes.push(change('config', cfg, cfgText));
  return { ok: true, changes, unchanged, notes, trust };
}

/** Plans only a trust change (the "Trust This Folder in Codex" command). */
export function planTrustWrite(
  codexHome: string,
  folder: string,
  overrideUntrusted: boolean,
): { ok: true; change?: PlannedChange; state: 'added' | 'already' | 'needs-confirmation'; message: string } | { ok: false; error: string } {
  try {
    const cfg = readSnapshot(configPath(codexHome));
    const t = planTrust(cfg.text, folder, { overrideUntrusted });
    if (t.kind === 'refused') return { ok: false, error: `${cfg.path}: ${t.error}` };
    if (t.kind === 'needs-confirmation') return { ok: true, state: 'needs-confirmation', message: t.reason };
    if (t.kind === 'unchanged') return { ok: true, state: 'already', message: t.reason };
    return { ok: true, state: 'added', change: change('config', cfg, t.after), message: `${projectKey(folder)} is trusted in Codex.` };
  } catch (e) {
    if (e instanceof FileRefusal) return { ok: false, error: e.message };
    throw e;
  }
}

export function existsIn(codexHome: string): (fileName: string) => boolean {
  return f => fs.existsSync(path.join(codexHome, f));
}

export { change as plannedChange };
