// A lock per file being replaced, so "re-read, compare, rename" is one step no other writer can
// interleave with: two writers that both read the same bytes cannot both win. The lock is a file
// created exclusively beside the target (`.<name>.lmr-lock`, holding the owner's pid and time); a
// lock whose owner has died, or that is older than any write could take, is taken over. Held for
// milliseconds (the bytes are prepared before it is taken), so waiting for it blocks briefly.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileRefusal } from './read';

/** A lock older than this is left over by a writer that could not remove it. */
const STALE_MS = 30_000;
const DEFAULT_WAIT_MS = 10_000;

export function lockPathFor(realPath: string): string {
  return path.join(path.dirname(realPath), `.${path.basename(realPath)}.lmr-lock`);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function pause(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** The lock's text when its owner is gone (dead, or the lock is stale); undefined while it is held. */
function staleLock(lockFile: string): string | undefined {
  let text: string;
  let mtime: number;
  try {
    text = fs.readFileSync(lockFile, 'utf8');
    mtime = fs.statSync(lockFile).mtimeMs;
  } catch {
    return undefined;
  }
  if (Date.now() - mtime > STALE_MS) return text;
  const pid = Number(/^(\d+)/.exec(text)?.[1]);
  // A lock created a moment ago may not hold its pid yet: count it as held.
  if (!pid) return Date.now() - mtime < 1_000 ? undefined : text;
  if (pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return undefined;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM' ? undefined : text;
  }
}

function acquire(realPath: string, deadline: number): () => void {
  const lockFile = lockPathFor(realPath);
  for (let attempt = 0; ; attempt++) {
    let fd: number | undefined;
    try {
      fd = fs.openSync(lockFile, 'wx', 0o600);
      fs.writeSync(fd, `${process.pid} ${new Date().toISOString()}\n`);
      fs.closeSync(fd);
      return () => fs.rmSync(lockFile, { force: true });
    } catch (e) {
      if (fd !== undefined) fs.closeSync(fd);
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST')
        throw new FileRefusal(
          `${realPath} cannot be locked for writing (${code ?? (e as Error).message}). Nothing was written.`,
          'not-writable',
        );
    }
    const stale = staleLock(lockFile);
    if (stale !== undefined) {
      // Take over a dead writer's lock: move it away first (only if it is still the one judged
      // stale), so two waiters cannot both remove it, nor one remove a fresh lock.
      const moved = `${lockFile}.${process.pid}.stale`;
      try {
        if (fs.readFileSync(lockFile, 'utf8') === stale) {
          fs.renameSync(lockFile, moved);
          fs.rmSync(moved, { force: true });
        }
      } catch {
        /* another waiter took it over first */
      }
      continue;
    }
    if (Date.now() > deadline)
      throw new FileRefusal(
        `${realPath} is being written by another program (lock ${lockFile}); nothing was written. Try again in a moment.`,
        'busy',
      );
    pause(Math.min(5 + attempt * 2, 50));
  }
}

/** Runs `fn` holding the lock of every path (taken in a fixed order, so two writers cannot deadlock). */
export function withFileLocks<T>(realPaths: readonly string[], fn: () => T, waitMs = DEFAULT_WAIT_MS): T {
  const deadline = Date.now() + waitMs;
  const releases: (() => void)[] = [];
  try {
    for (const p of [...new Set(realPaths)].sort()) releases.push(acquire(p, deadline));
    return fn();
  } finally {
    for (const r of releases.reverse()) r();
  }
}
