// Plans and applies a change to Claude Code's settings file through the file-safety layer: a bounded
// snapshot read through symlinks, a diff to preview, a backup set in Claude Code's own folder named
// after the scope (and the project), a compare-and-swap write, and a restore of exactly this file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  backupDir,
  FileRefusal,
  lastWriteOf,
  planRestore,
  readSnapshot,
  resolveLinks,
  restore,
  writeFiles,
  type BackupManifest,
  type FileSnapshot,
  type RestorePlan,
  type RestoreResult,
} from '../files';
import { unifiedDiff } from '../files/diff';
import { planSettingsText, type ClaudeSettingsLocation, type DesiredClaudeSettings } from './settings';

/**
 * Where the backups of both scopes go: Claude Code's own folder. A project's backups stay out of the
 * project (a copy of settings.local.json in it could be committed), and one place serves "Restore
 * Last Claude Code Settings Backup"; every message about a write names this folder.
 */
export function claudeBackupDir(location: ClaudeSettingsLocation): string {
  return backupDir(location.claudeDir);
}

export interface ClaudeSettingsChange {
  location: ClaudeSettingsLocation;
  snapshot: FileSnapshot;
  after: string;
  /** Unified diff ('' when nothing changes). */
  diff: string;
  set: string[];
  removed: string[];
  putBack: string[];
  notes: string[];
  /** The user's own values this write leaves replaced (kept in the backup manifest for --remove). */
  replaced: Record<string, unknown>;
}

export type ClaudeSettingsPlan = { ok: true; change: ClaudeSettingsChange; changed: boolean } | { ok: false; error: string };

/** The label of this file's backup sets: the scope, and for a project its folder's name. */
export function backupLabel(location: ClaudeSettingsLocation): string {
  return location.scope === 'user' ? 'claude-user' : `claude-project-${path.basename(path.dirname(path.dirname(location.path)))}`;
}

/** `desired` null: take out what this writer added. Reads the file; writes nothing. */
export function planClaudeSettingsWrite(location: ClaudeSettingsLocation, desired: DesiredClaudeSettings | null): ClaudeSettingsPlan {
  let snapshot: FileSnapshot;
  try {
    snapshot = readSnapshot(location.path);
  } catch (e) {
    if (e instanceof FileRefusal) return { ok: false, error: e.message };
    throw e;
  }
  if (!snapshot.exists && !desired)
    return {
      ok: true,
      changed: false,
      change: {
        location,
        snapshot,
        after: '',
        diff: '',
        set: [],
        removed: [],
        putBack: [],
        replaced: {},
        notes: [`${location.path} does not exist: nothing to remove`],
      },
    };
  const previous = lastWriteOf(location.claudeDir, [snapshot.realPath])?.files.find(f => f.realPath === snapshot.realPath);
  const p = planSettingsText(snapshot.text, desired, previous?.replaced ?? {});
  if (!p.ok) return { ok: false, error: `${location.path}: ${p.error}` };
  const changed = !snapshot.exists || p.after !== snapshot.text;
  const diff = changed ? unifiedDiff(snapshot.text, p.after, snapshot.exists ? location.path : '/dev/null', location.path) : '';
  return {
    ok: true,
    changed,
    change: {
      location,
      snapshot,
      after: p.after,
      diff,
      set: p.set,
      removed: p.removed,
      putBack: p.putBack,
      notes: p.notes,
      replaced: p.replaced,
    },
  };
}

export type ClaudeWriteResult = { ok: true; backup: (BackupManifest & { dir?: string }) | null } | { ok: false; error: string };

/** Writes a planned change (creating `.claude/` when needed); nothing is written when the file changed since it was planned. */
export function applyClaudeSettingsWrite(change: ClaudeSettingsChange, reason = 'claude-settings'): ClaudeWriteResult {
  try {
    fs.mkdirSync(change.location.claudeDir, { recursive: true });
    fs.mkdirSync(path.dirname(change.snapshot.realPath), { recursive: true });
    const m = writeFiles(
      change.location.claudeDir,
      [{ snapshot: change.snapshot, after: change.after, replaced: change.replaced }],
      reason,
      {
        label: backupLabel(change.location),
      },
    );
    return { ok: true, backup: m.files.length ? m : null };
  } catch (e) {
    if (e instanceof FileRefusal) return { ok: false, error: e.message };
    throw e;
  }
}

/** The newest write of this location's file (never another scope's or project's), or undefined. */
export function planClaudeRestore(location: ClaudeSettingsLocation): RestorePlan | undefined {
  return planRestore(location.claudeDir, [resolveLinks(location.path)]);
}

export function restoreClaudeBackup(plan: RestorePlan, o: { force?: boolean } = {}): RestoreResult {
  return restore(plan, o);
}
