// Undoing a write: the newest backup set of the file(s) being restored is put back. A file edited
// since that write is not silently replaced: the restore is refused unless the caller says to go
// ahead, and then — as on every restore — what the file holds now is kept in a backup set of its own
// first, and the caller is told where. The restored set is marked, never deleted, so the next
// restore goes one write further back and every copy stays on disk.
import * as path from 'node:path';
import { FileRefusal, readSnapshot, readTextFile } from './read';
import { lastWriteOf, markRestored, type BackupSet } from './backups';
import { writeFiles, type PlannedFile } from './write';

export interface RestoreFile extends PlannedFile {
  /** The file was changed (by hand or another program) after the write this restore undoes. */
  changedSinceWrite: boolean;
}

export interface RestorePlan {
  set: BackupSet;
  files: RestoreFile[];
}

/**
 * What restoring the newest write of `realPaths` (any file in the store, when not given) would do;
 * undefined when there is no such write.
 */
export function planRestore(home: string, realPaths?: readonly string[]): RestorePlan | undefined {
  const set = lastWriteOf(home, realPaths);
  if (!set) return undefined;
  const files = set.files.map(e => {
    const snapshot = readSnapshot(e.path);
    let after: string | null = null;
    if (e.existed) {
      const text = e.backup ? readTextFile(e.backup) : undefined;
      if (text === undefined)
        throw new FileRefusal(`The backup copy of ${e.path} (${e.backup ?? 'none'}) is missing; nothing was restored.`, 'unreadable');
      after = text;
    }
    return { snapshot, after, changedSinceWrite: snapshot.hash !== e.writtenHash };
  });
  return { set, files };
}

export type RestoreResult = {
  /** The backup set that holds what the restored files held just before (undefined: nothing differed). */
  savedIn?: string;
};

/**
 * Restores a plan. Refused (FileRefusal 'changed', nothing written) when a file was edited after the
 * write, unless `force`; either way the current contents are kept first, in a set named in the result.
 */
export function restore(plan: RestorePlan, o: { force?: boolean } = {}): RestoreResult {
  const edited = plan.files.filter(f => f.changedSinceWrite);
  if (edited.length && !o.force)
    throw new FileRefusal(
      `${edited.map(f => f.snapshot.path).join(', ')} changed since Local Model Router wrote ${edited.length === 1 ? 'it' : 'them'} (${plan.set.at}); restoring would throw those changes away, so nothing was restored. Restore anyway to keep the current ${edited.length === 1 ? 'file' : 'files'} in a backup first.`,
      'changed',
    );
  let savedIn: string | undefined;
  writeFiles(homeOf(plan.set.dir), plan.files, `before restoring ${plan.set.reason}`, {
    kind: 'restore',
    strict: true,
    label: `before-restore-${plan.set.reason}`,
    thenUnderLock: saved => {
      savedIn = saved?.files.length ? saved.dir : undefined;
      markRestored(plan.set, savedIn);
    },
  });
  return { savedIn };
}

/** The agent home a set belongs to: the folder that holds the backup folder. */
function homeOf(setDir: string): string {
  return path.dirname(path.dirname(setDir));
}
