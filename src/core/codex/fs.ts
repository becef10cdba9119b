// Writing agents' config files (Codex's TOML, Claude Code's JSON) without ever losing the user's: read a snapshot, refuse when the file changed
// on disk since, is marked read-only or cannot be written; back up what is replaced; write a temp
// file in the target's own folder and rename it over the target. Symlinks are followed to their
// final target, so a dotfiles link stays a link and the file it points to gets the new bytes.
// Plain Node fs (no vscode): shared by the extension and the CLI.
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface FileSnapshot {
  /** The path as the user knows it (may be a symlink). */
  path: string;
  /** The final target after following symlinks (where bytes are written). */
  realPath: string;
  exists: boolean;
  /** Decoded text ('' when the file does not exist). */
  text: string;
  /** sha256 of the bytes read; compared again right before writing. */
  hash: string;
  /** Permission bits of the existing file. */
  mode?: number;
}

export class FileRefusal extends Error {}

function sha(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Follows a chain of symlinks, also when the final target does not exist yet. */
export function resolveLinks(p: string): string {
  let cur = path.resolve(p);
  for (let i = 0; i < 40; i++) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      // A missing final component: resolve its folder (which may itself be a link).
      const dir = path.dirname(cur);
      try {
        return path.join(fs.realpathSync(dir), path.basename(cur));
      } catch {
        return cur;
      }
    }
    if (!st.isSymbolicLink()) return fs.realpathSync(cur);
    cur = path.resolve(path.dirname(cur), fs.readlinkSync(cur));
  }
  throw new FileRefusal(`${p}: too many levels of symbolic links.`);
}

export function readSnapshot(p: string): FileSnapshot {
  const realPath = resolveLinks(p);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(realPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { path: p, realPath, exists: false, text: '', hash: 'absent' };
    if (code === 'EISDIR') throw new FileRefusal(`${p} is a folder, not a file.`);
    throw new FileRefusal(`${p} cannot be read (${code ?? (e as Error).message}).`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new FileRefusal(`${p} is not UTF-8 text; config files must be UTF-8. Nothing was changed.`);
  }
  return { path: p, realPath, exists: true, text, hash: sha(bytes), mode: fs.statSync(realPath).mode & 0o7777 };
}

/** Why the file cannot be replaced now, or undefined when it can. */
export function writeProblem(snap: FileSnapshot): string | undefined {
  const now = currentHash(snap.realPath);
  if (now !== snap.hash) {
    return snap.exists
      ? `${snap.path} changed on disk since it was read (another program or an editor saved it). Nothing was written; run the command again to see the current contents.`
      : `${snap.path} was created by another program since it was read. Nothing was written; run the command again.`;
  }
  if (snap.exists) {
    // A file without the owner's write bit is read-only by intent, even for a user (root) who could write it anyway.
    if (snap.mode !== undefined && (snap.mode & 0o200) === 0)
      return `${snap.path} is read-only (mode ${(snap.mode & 0o777).toString(8)}). Nothing was written; make it writable (chmod u+w) if you want it changed.`;
    try {
      fs.accessSync(snap.realPath, fs.constants.W_OK);
    } catch {
      return `${snap.path} is not writable by this user. Nothing was written.`;
    }
  }
  const dir = path.dirname(snap.realPath);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    return fs.existsSync(dir)
      ? `The folder ${dir} is not writable, so ${path.basename(snap.path)} cannot be replaced safely. Nothing was written.`
      : `The folder ${dir} does not exist.`;
  }
  return undefined;
}

function currentHash(realPath: string): string {
  try {
    return sha(fs.readFileSync(realPath));
  } catch {
    return 'absent';
  }
}

/** Writes `text` to the snapshot's final target atomically (temp file in the same folder, then rename). */
export function writeAtomic(snap: FileSnapshot, text: string): void {
  const dir = path.dirname(snap.realPath);
  const tmp = path.join(dir, `.${path.basename(snap.realPath)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', snap.mode !== undefined ? snap.mode & 0o777 : 0o644);
    fs.writeFileSync(fd, text, 'utf8');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    if (snap.mode !== undefined) fs.chmodSync(tmp, snap.mode & 0o7777);
    // Last look right before the rename: the window for a lost update is this one system call.
    if (currentHash(snap.realPath) !== snap.hash)
      throw new FileRefusal(`${snap.path} changed on disk while it was being written. Nothing was written.`);
    fs.renameSync(tmp, snap.realPath);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    if (e instanceof FileRefusal) throw e;
    throw new FileRefusal(
      `${snap.path} could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Nothing was changed.`,
    );
  }
}

// ── a set of files written together, with a backup that restores all of them ──

export interface PlannedFile {
  snapshot: FileSnapshot;
  /** New contents, or null to delete the file (only used by restore). */
  after: string | null;
}

export interface BackupEntry {
  path: string;
  realPath: string;
  existed: boolean;
  /** The backup copy of the previous contents (when the file existed). */
  backup?: string;
  /** sha256 of what was written, so a restore can tell whether the file changed since. */
  writtenHash: string;
}

export interface BackupManifest {
  at: string;
  reason: string;
  files: BackupEntry[];
}

export const BACKUP_DIR = '.local-model-router-backups';
const KEEP_BACKUP_SETS = 10;

/** Where backups live: inside the agent's home (CODEX_HOME, ~/.claude), never inside a dotfiles repository a config links to. */
export function backupDir(codexHome: string): string {
  return path.join(codexHome, BACKUP_DIR);
}

/**
 * Checks every file first (nothing is written when one of them cannot be), backs up the existing
 * ones, then writes each atomically. Returns the manifest of the backup.
 */
export function writeFiles(codexHome: string, files: PlannedFile[], reason: string): BackupManifest {
  const todo = files.filter(f => (f.after === null ? f.snapshot.exists : f.after !== f.snapshot.text || !f.snapshot.exists));
  for (const f of todo) {
    const problem = writeProblem(f.snapshot);
    if (problem) throw new FileRefusal(problem);
  }
  const manifestOnly: BackupManifest = { at: new Date().toISOString(), reason, files: [] };
  if (todo.length === 0) return manifestOnly;
  const dir = backupDir(codexHome);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const setDir = path.join(dir, stamp);
  fs.mkdirSync(setDir, { recursive: true, mode: 0o700 });
  const manifest: BackupManifest = { at: new Date().toISOString(), reason, files: [] };
  todo.forEach((f, i) => {
    const entry: BackupEntry = {
      path: f.snapshot.path,
      realPath: f.snapshot.realPath,
      existed: f.snapshot.exists,
      writtenHash: f.after === null ? 'absent' : sha(Buffer.from(f.after, 'utf8')),
    };
    if (f.snapshot.exists) {
      entry.backup = path.join(setDir, `${i}-${path.basename(f.snapshot.path)}`);
      fs.writeFileSync(entry.backup, f.snapshot.text, { mode: 0o600 });
    }
    manifest.files.push(entry);
  });
  fs.writeFileSync(path.join(setDir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  const done: PlannedFile[] = [];
  try {
    for (const f of todo) {
      if (f.after === null) fs.rmSync(f.snapshot.realPath, { force: true });
      else writeAtomic(f.snapshot, f.after);
      done.push(f);
    }
  } catch (e) {
    // Put back what this call already wrote, so a failure never leaves half a change.
    for (const f of done.reverse()) {
      try {
        if (f.snapshot.exists) fs.writeFileSync(f.snapshot.realPath, f.snapshot.text);
        else fs.rmSync(f.snapshot.realPath, { force: true });
      } catch {
        /* the backup set still holds it */
      }
    }
    throw e;
  }
  pruneBackups(dir);
  return manifest;
}

function pruneBackups(dir: string): void {
  const sets = listBackupSets(dir);
  for (const old of sets.slice(KEEP_BACKUP_SETS)) fs.rmSync(path.join(dir, old), { recursive: true, force: true });
}

function listBackupSets(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter(n => fs.existsSync(path.join(dir, n, 'manifest.json')))
      .sort()
      .reverse();
  } catch {
    return [];
  }
}

export function lastBackup(codexHome: string): (BackupManifest & { dir: string }) | undefined {
  const dir = backupDir(codexHome);
  const [latest] = listBackupSets(dir);
  if (!latest) return undefined;
  const m = JSON.parse(fs.readFileSync(path.join(dir, latest, 'manifest.json'), 'utf8')) as BackupManifest;
  return { ...m, dir: path.join(dir, latest) };
}

export interface RestorePlan {
  manifest: BackupManifest & { dir: string };
  files: (PlannedFile & { changedSinceWrite: boolean })[];
}

/** What restoring the last backup would do; `changedSinceWrite` marks files edited after the write. */
export function planRestore(codexHome: string): RestorePlan | undefined {
  const m = lastBackup(codexHome);
  if (!m) return undefined;
  const files = m.files.map(e => {
    const snapshot = readSnapshot(e.path);
    const after = e.existed && e.backup ? fs.readFileSync(e.backup, 'utf8') : null;
    return { snapshot, after, changedSinceWrite: snapshot.hash !== e.writtenHash };
  });
  return { manifest: m, files };
}

/** Restores the last backup set and then removes it (so the next restore goes one step further back). */
export function restore(plan: RestorePlan): void {
  for (const f of plan.files) {
    const problem = writeProblem(f.snapshot);
    if (problem) throw new FileRefusal(problem);
  }
  for (const f of plan.files) {
    if (f.after === null) fs.rmSync(f.snapshot.realPath, { force: true });
    else writeAtomic(f.snapshot, f.after);
  }
  fs.rmSync(plan.manifest.dir, { recursive: true, force: true });
}
