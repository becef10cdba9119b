// Reading a file the user owns (an agent's config, a settings file, a report, a template) without
// trusting what sits at the path: symlinks are followed to their final target, the target is opened
// without blocking (a FIFO or a device opens at once instead of waiting for a writer or streaming
// forever), checked with fstat to be a regular file, and read up to a size bound. Everything that is
// not a plain, reasonably sized UTF-8 file is refused with a FileRefusal naming the path and why.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileHandle } from 'node:fs/promises';

/** Why a file cannot be used; the message says it in words a person can act on. */
export type RefusalReason =
  'not-regular' | 'too-large' | 'unreadable' | 'not-utf8' | 'links' | 'changed' | 'read-only' | 'not-writable' | 'busy' | 'write-failed';

export class FileRefusal extends Error {
  constructor(
    message: string,
    readonly reason: RefusalReason = 'unreadable',
  ) {
    super(message);
  }
}

/**
 * Size bounds, one per kind of file read. Agents' configs and settings are a few KB; a verify report
 * a few hundred; a chat template stays under a megabyte. Anything past these is not such a file.
 */
export const MAX_FILE_BYTES = {
  config: 8 * 1024 * 1024,
  report: 16 * 1024 * 1024,
  template: 4 * 1024 * 1024,
} as const;

export type FileKind = keyof typeof MAX_FILE_BYTES;

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Follows a chain of symlinks, also when the final target does not exist yet (or is removed meanwhile). */
export function resolveLinks(p: string): string {
  let cur = path.resolve(p);
  const missing = () => {
    // A missing final component: resolve its folder (which may itself be a link).
    try {
      return path.join(fs.realpathSync(path.dirname(cur)), path.basename(cur));
    } catch {
      return cur;
    }
  };
  for (let i = 0; i < 40; i++) {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      return missing();
    }
    try {
      if (!st.isSymbolicLink()) return fs.realpathSync(cur);
      cur = path.resolve(path.dirname(cur), fs.readlinkSync(cur));
    } catch (e) {
      // Removed or replaced between the two calls (another program): look again.
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
    }
  }
  throw new FileRefusal(`${p}: too many levels of symbolic links.`, 'links');
}

/** What a non-regular file is, for the refusal message. */
function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0) | (fs.constants.O_NOCTTY ?? 0);

function notRegular(p: string, st: fs.Stats): FileRefusal {
  return new FileRefusal(`${p} is ${kindOf(st)}, not a regular file; nothing was read from it or written to it.`, 'not-regular');
}

function tooLarge(p: string, size: number, max: number): FileRefusal {
  return new FileRefusal(
    `${p} is larger than ${formatBytes(max)} (${size > max ? formatBytes(size) : 'it kept growing while read'}); that is not a file of this kind, so nothing was read from it.`,
    'too-large',
  );
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MB` : `${Math.ceil(n / 1024)} KB`;
}

function unreadable(p: string, e: unknown): FileRefusal {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EISDIR') return new FileRefusal(`${p} is a folder, not a file.`, 'not-regular');
  if (code === 'ELOOP') return new FileRefusal(`${p}: too many levels of symbolic links.`, 'links');
  return new FileRefusal(`${p} cannot be read (${code ?? (e as Error).message}).`, 'unreadable');
}

export type BoundedRead = { exists: false; realPath: string } | { exists: true; realPath: string; bytes: Buffer; mode: number };

/**
 * The bytes of a regular file at `p` (through symlinks), at most `maxBytes` of them; `exists: false`
 * when nothing is there. Never blocks on a FIFO, never reads a device.
 */
export function readBounded(p: string, maxBytes: number = MAX_FILE_BYTES.config): BoundedRead {
  const realPath = resolveLinks(p);
  let fd: number;
  try {
    fd = fs.openSync(realPath, OPEN_FLAGS);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { exists: false, realPath };
    throw unreadable(p, e);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw notRegular(p, st);
    if (st.size > maxBytes) throw tooLarge(p, st.size, maxBytes);
    // Read to the end, but never past the bound: a file may grow between fstat and read.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(Math.max(1, Math.min(1 << 20, maxBytes + 1 - total)));
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        throw unreadable(p, e);
      }
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > maxBytes) throw tooLarge(p, total, maxBytes);
    }
    return { exists: true, realPath, bytes: Buffer.concat(chunks, total), mode: st.mode & 0o7777 };
  } finally {
    fs.closeSync(fd);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decode(p: string, bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new FileRefusal(`${p} is not UTF-8 text; this file must be UTF-8. Nothing was changed.`, 'not-utf8');
  }
}

/** A regular UTF-8 text file's contents (a BOM is kept), or undefined when it does not exist. */
export function readTextFile(p: string, kind: FileKind = 'config'): string | undefined {
  const r = readBounded(p, MAX_FILE_BYTES[kind]);
  return r.exists ? decode(p, r.bytes) : undefined;
}

export interface FileSnapshot {
  /** The path as the user knows it (may be a symlink). */
  path: string;
  /** The final target after following symlinks (where bytes are written). */
  realPath: string;
  exists: boolean;
  /** Decoded text ('' when the file does not exist). */
  text: string;
  /** sha256 of the bytes read; compared again under the write lock. */
  hash: string;
  /** Permission bits of the existing file. */
  mode?: number;
}

export const ABSENT = 'absent';

/** What a file holds now, to edit and later replace only if it still holds exactly that. */
export function readSnapshot(p: string, kind: FileKind = 'config'): FileSnapshot {
  const r = readBounded(p, MAX_FILE_BYTES[kind]);
  if (!r.exists) return { path: p, realPath: r.realPath, exists: false, text: '', hash: ABSENT };
  return { path: p, realPath: r.realPath, exists: true, text: decode(p, r.bytes), hash: sha256(r.bytes), mode: r.mode };
}

/** The hash of what is at `realPath` now (ABSENT when nothing is); refuses what readBounded refuses. */
export function currentHash(realPath: string, maxBytes: number = MAX_FILE_BYTES.config): string {
  const r = readBounded(realPath, maxBytes);
  return r.exists ? sha256(r.bytes) : ABSENT;
}

/**
 * Opens a large binary file (a model) for reading its header: regular files only, without blocking.
 * The caller reads what it needs and closes the handle.
 */
export async function openRegularHandle(p: string): Promise<FileHandle> {
  const { open } = await import('node:fs/promises');
  const fh = await open(p, OPEN_FLAGS);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notRegular(p, st);
    return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
}
