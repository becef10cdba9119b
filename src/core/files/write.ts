// Replacing a user's files without ever losing theirs: a plan holds a snapshot of each file (what it
// held when the plan was made) and the new text. Writing checks permissions, prepares every new file
// beside its target, then — holding each target's lock — reads each target again and compares it with
// the snapshot (compare-and-swap: another writer's change is never overwritten), keeps a backup of
// what is replaced, renames the new files over the targets, and commits the backup set. Symlinks
// are followed to their final target, so a dotfiles link stays a link and the file it points to
// gets the new bytes.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ABSENT, currentHash, FileRefusal, readSnapshot, sha256, type FileSnapshot } from './read';
import { withFileLocks } from './lock';
import {
  commitSet,
  createSet,
  keepCopy,
  pruneSets,
  type BackupEntry,
  type BackupKind,
  type BackupManifest,
  type BackupSet,
} from './backups';

export interface PlannedFile {
  snapshot: FileSnapshot;
  /** New contents, or null to delete the file (only a restore does). */
  after: string | null;
  /** Kept in the backup manifest beside this file (values a settings write replaced). */
  replaced?: Record<string, unknown>;
}

/** Why the file cannot be replaced (permissions, its folder), or undefined when it can. */
export function writeProblem(snap: FileSnapshot): string | undefined {
  if (snap.exists) {
    // A file without the owner's write bit is read-only by intent, even for a user (root) who could write it anyway.
    if (snap.mode !== undefined && (snap.mode & 0o200) === 0)
      return `${snap.path} is read-only (mode ${(snap.mode & 0o777).toString(8)}). Nothing was written; make it writable (chmod u+w) if you want it changed.`;
    try {
      fs.accessSync(snap.realPath, fs.constants.W_OK);
    } catch (e) {
      // Gone since it was read: the compare under the lock says so.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return `${snap.path} is not writable by this user. Nothing was written.`;
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

function changedMessage(snap: FileSnapshot): string {
  return snap.exists
    ? `${snap.path} changed on disk since it was read (another program, an editor or another run saved it). Nothing was written; run the command again to see the current contents.`
    : `${snap.path} was created by another program since it was read. Nothing was written; run the command again.`;
}

function prepareTemp(snap: FileSnapshot, text: string): string {
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
    return tmp;
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw new FileRefusal(
      `${snap.path} could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Nothing was changed.`,
      'write-failed',
    );
  }
}

/**
 * What the file must hold for this plan to apply: the snapshot; or, unless `strict`, already the new
 * text (then there is nothing to do: another run made the same change).
 */
function compare(f: PlannedFile, strict = false): 'replace' | 'already' {
  const now = currentHash(f.snapshot.realPath);
  if (now === f.snapshot.hash) return 'replace';
  if (!strict && (f.after === null ? now === ABSENT : now === sha256(Buffer.from(f.after, 'utf8')))) return 'already';
  throw new FileRefusal(changedMessage(f.snapshot), 'changed');
}

export interface WriteOptions {
  /** Names the backup set's folder (default: from the reason). */
  label?: string;
  kind?: BackupKind;
  /** Runs under the same locks after the files were replaced (a restore marks its set restored). */
  thenUnderLock?: (set: BackupSet | undefined) => void;
  /** Only the snapshot's bytes may be replaced, even by the same new text (a restore: two restores are two steps back). */
  strict?: boolean;
}

const needsWrite = (f: PlannedFile) => (f.after === null ? f.snapshot.exists : f.after !== f.snapshot.text || !f.snapshot.exists);

/**
 * Writes a set of files as one change: nothing is written when one of them cannot be (permissions,
 * changed since its snapshot), a backup set keeps what each replaced file held, and a failure halfway
 * puts back what was already written. Returns the committed backup set (`dir` undefined when there
 * was nothing to write: every file already held its new text).
 */
export function writeFiles(
  home: string,
  files: readonly PlannedFile[],
  reason: string,
  o: WriteOptions = {},
): BackupManifest & { dir?: string } {
  const todo = files.filter(needsWrite);
  for (const f of todo) {
    const problem = writeProblem(f.snapshot);
    if (problem) throw new FileRefusal(problem, f.snapshot.exists ? 'read-only' : 'not-writable');
  }
  const empty = { at: new Date().toISOString(), reason, kind: o.kind ?? 'write', files: [] as BackupEntry[] };
  if (todo.length === 0) {
    if (o.thenUnderLock)
      withFileLocks(
        files.map(f => f.snapshot.realPath),
        () => o.thenUnderLock?.(undefined),
      );
    return empty;
  }
  const temps = todo.map(f => (f.after === null ? undefined : prepareTemp(f.snapshot, f.after)));
  try {
    const result = withFileLocks(
      todo.map(f => f.snapshot.realPath),
      () => {
        const live = todo.map((f, i) => ({ f, tmp: temps[i] })).filter(x => compare(x.f, o.strict) === 'replace');
        if (!live.length) {
          o.thenUnderLock?.(undefined);
          return empty;
        }
        const dir = createSet(home, o.label ?? reason);
        const entries: BackupEntry[] = [];
        const done: PlannedFile[] = [];
        try {
          live.forEach(({ f }, i) => {
            entries.push({
              path: f.snapshot.path,
              realPath: f.snapshot.realPath,
              existed: f.snapshot.exists,
              ...(f.snapshot.exists ? { backup: keepCopy(dir, i, path.basename(f.snapshot.realPath), f.snapshot.text) } : {}),
              writtenHash: f.after === null ? ABSENT : sha256(Buffer.from(f.after, 'utf8')),
              ...(f.replaced && Object.keys(f.replaced).length ? { replaced: f.replaced } : {}),
            });
          });
          for (const { f, tmp } of live) {
            if (tmp === undefined) fs.rmSync(f.snapshot.realPath, { force: true });
            else fs.renameSync(tmp, f.snapshot.realPath);
            done.push(f);
          }
        } catch (e) {
          putBack(done);
          fs.rmSync(dir, { recursive: true, force: true });
          if (e instanceof FileRefusal) throw e;
          throw new FileRefusal(
            `${live[done.length]?.f.snapshot.path ?? 'A file'} could not be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Nothing was changed.`,
            'write-failed',
          );
        }
        const set = commitSet(dir, { at: new Date().toISOString(), reason, kind: o.kind ?? 'write', files: entries });
        o.thenUnderLock?.(set);
        return set;
      },
    );
    if (result.files.length) pruneSets(home);
    return result;
  } finally {
    for (const t of temps) if (t) fs.rmSync(t, { force: true });
  }
}

/** Puts back what a failed write had already replaced, so a failure never leaves half a change. */
function putBack(done: PlannedFile[]): void {
  for (const f of [...done].reverse()) {
    try {
      if (f.snapshot.exists) fs.writeFileSync(f.snapshot.realPath, f.snapshot.text);
      else fs.rmSync(f.snapshot.realPath, { force: true });
    } catch {
      /* the backup set is removed only after this; its copy was the same text */
    }
  }
}

/** Replaces one file, compare-and-swap, without a backup (for files the product owns, such as templates). */
export function writeAtomic(snap: FileSnapshot, text: string): void {
  const problem = writeProblem(snap);
  if (problem) throw new FileRefusal(problem, 'not-writable');
  const tmp = prepareTemp(snap, text);
  try {
    withFileLocks([snap.realPath], () => {
      if (compare({ snapshot: snap, after: text }) === 'replace') fs.renameSync(tmp, snap.realPath);
    });
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * A file named after its contents (a relaxed chat template): written once, atomically; a file at the
 * path with other contents (a broken earlier write) is replaced; anything but a regular file is refused.
 */
export function writeFileOnce(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const snap = readSnapshot(file, 'template');
  if (snap.exists && snap.text === text) return;
  writeAtomic(snap, text);
}
