// The backup store: every write that replaces or creates a user's file first keeps what the file held
// in a backup set inside the agent's own folder (CODEX_HOME, ~/.claude), never inside a dotfiles
// repository a config links to. A set is a folder named after its time and what it is for
// (`2026-12-07T03-21-00-000Z-claude-project-myapp-1a2b3c`), holding one copy per replaced file and a
// manifest that names each file's real path: a restore takes the newest set of the file it restores,
// never another scope's or another project's. A set is listed only once its write happened (the
// manifest is committed last), so a refused write leaves nothing a restore could pick. A restore
// never deletes a set: it marks it restored, after keeping what the file held in a set of its own.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readTextFile } from './read';

export const BACKUP_DIR = '.local-model-router-backups';
const MANIFEST = 'manifest.json';
/** Sets kept per file; an older set goes only when every file in it has this many newer ones. */
export const KEEP_SETS_PER_FILE = 20;

export interface BackupEntry {
  /** The path as the user knows it (may be a symlink). */
  path: string;
  realPath: string;
  existed: boolean;
  /** The copy of the previous contents (when the file existed). */
  backup?: string;
  /** sha256 of what was written, so a restore can tell whether the file changed since. */
  writtenHash: string;
  /** Values of the user's own this write replaced (a settings key → its value), for an undo that puts them back. */
  replaced?: Record<string, unknown>;
}

export type BackupKind = 'write' | 'restore';

export interface BackupManifest {
  at: string;
  reason: string;
  /** `restore`: what a restore replaced (never picked by a later restore). */
  kind: BackupKind;
  files: BackupEntry[];
  /** Set when a restore put these files back; the set itself stays. */
  restored?: { at: string; savedIn?: string };
}

export interface BackupSet extends BackupManifest {
  /** The set's folder. */
  dir: string;
}

/** Where backups live: inside the agent's home (CODEX_HOME, ~/.claude). */
export function backupDir(home: string): string {
  return path.join(home, BACKUP_DIR);
}

function slug(s: string): string {
  return (
    s
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9._-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'files'
  );
}

/** A new, empty set folder (not listed until committed). */
export function createSet(home: string, label: string): string {
  const root = backupDir(home);
  fs.mkdirSync(root, { recursive: true, mode: 0o700 });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.join(root, `${stamp}-${slug(label)}-${randomBytes(3).toString('hex')}`);
  fs.mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** Keeps a copy of `text` in the set; returns its path. */
export function keepCopy(dir: string, index: number, fileName: string, text: string): string {
  const p = path.join(dir, `${index}-${fileName}`);
  fs.writeFileSync(p, text, { mode: 0o600, flag: 'wx' });
  return p;
}

/** Writes the manifest atomically: from then on the set is listed. */
export function commitSet(dir: string, m: BackupManifest): BackupSet {
  const tmp = path.join(dir, `.${MANIFEST}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(m, null, 2), { mode: 0o600 });
  fs.renameSync(tmp, path.join(dir, MANIFEST));
  return { ...m, dir };
}

function readSet(dir: string): BackupSet | undefined {
  try {
    const text = readTextFile(path.join(dir, MANIFEST));
    if (text === undefined) return undefined;
    const m = JSON.parse(text) as Partial<BackupManifest>;
    if (typeof m.at !== 'string' || !Array.isArray(m.files)) return undefined;
    return {
      at: m.at,
      reason: String(m.reason ?? ''),
      kind: m.kind === 'restore' ? 'restore' : 'write',
      files: m.files,
      restored: m.restored,
      dir,
    };
  } catch {
    return undefined;
  }
}

/** Every committed set, newest first. */
export function listSets(home: string): BackupSet[] {
  const root = backupDir(home);
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  return names
    .map(n => readSet(path.join(root, n)))
    .filter((s): s is BackupSet => !!s)
    .sort((a, b) => (a.at === b.at ? b.dir.localeCompare(a.dir) : b.at.localeCompare(a.at)));
}

/**
 * The newest write not yet restored, among those that touched one of `realPaths` (any, when not
 * given): what "restore the last backup" undoes.
 */
export function lastWriteOf(home: string, realPaths?: readonly string[]): BackupSet | undefined {
  return listSets(home).find(s => s.kind === 'write' && !s.restored && (!realPaths || s.files.some(f => realPaths.includes(f.realPath))));
}

/** Marks a set restored (rewritten atomically; its copies stay). */
export function markRestored(set: BackupSet, savedIn: string | undefined): void {
  const { dir, ...m } = set;
  commitSet(dir, { ...m, restored: { at: new Date().toISOString(), ...(savedIn ? { savedIn } : {}) } });
}

/** Drops the oldest sets of files that have more than KEEP_SETS_PER_FILE newer ones. */
export function pruneSets(home: string): void {
  const seen = new Map<string, number>();
  for (const s of listSets(home)) {
    let keep = false;
    for (const f of s.files) {
      const n = (seen.get(f.realPath) ?? 0) + 1;
      seen.set(f.realPath, n);
      if (n <= KEEP_SETS_PER_FILE) keep = true;
    }
    if (!keep && s.files.length) fs.rmSync(s.dir, { recursive: true, force: true });
  }
}
