// Plans and applies a change to Claude Code's settings file with the Codex writer's file machinery:
// a snapshot read through symlinks, a diff to preview, a backup in Claude Code's own folder, an
// atomic write that refuses a file changed on disk since it was read, and a restore.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  backupDir,
  FileRefusal,
  planRestore,
  readSnapshot,
  restore,
  writeFiles,
  type BackupManifest,
  type FileSnapshot,
  type RestorePlan,
} from '../codex/fs';
import { unifiedDiff } from '../codex/diff';
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
  notes: string[];
}

export type ClaudeSettingsPlan = { ok: true; change: ClaudeSettingsChange; changed: boolean } | { ok: false; error: string };

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
        notes: [`${location.path} does not exist: nothing to remove`],
      },
    };
  const p = planSettingsText(snapshot.text, desired);
  if (!p.ok) return { ok: false, error: `${location.path}: ${p.error}` };
  const changed = !snapshot.exists || p.after !== snapshot.text;
  const diff = changed ? unifiedDiff(snapshot.text, p.after, snapshot.exists ? location.path : '/dev/null', location.path) : '';
  return { ok: true, changed, change: { location, snapshot, after: p.after, diff, set: p.set, removed: p.removed, notes: p.notes } };
}

export type ClaudeWriteResult = { ok: true; backup: BackupManifest | null } | { ok: false; error: string };

/** Writes a planned change (creating `.claude/` when needed); nothing is written when the file changed since it was planned. */
export function applyClaudeSettingsWrite(change: ClaudeSettingsChange, reason = 'claude-settings'): ClaudeWriteResult {
  try {
    fs.mkdirSync(change.location.claudeDir, { recursive: true });
    fs.mkdirSync(path.dirname(change.snapshot.realPath), { recursive: true });
    const m = writeFiles(change.location.claudeDir, [{ snapshot: change.snapshot, after: change.after }], reason);
    return { ok: true, backup: m.files.length ? m : null };
  } catch (e) {
    if (e instanceof FileRefusal) return { ok: false, error: e.message };
    throw e;
  }
}

/** The last backup set in Claude Code's folder (both scopes back up there). */
export function planClaudeRestore(claudeDir: string): RestorePlan | undefined {
  return planRestore(claudeDir);
}

export { restore as restoreClaudeBackup };
