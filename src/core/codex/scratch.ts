// The throw-away CODEX_HOME every check run of Codex gets (run.ts runCodexCheck). It holds copies of
// the user's top-level files — config.toml, profiles, model catalogs, instructions — read through the
// file-safety layer, so paths in the configuration that are relative to CODEX_HOME resolve as they
// will for real, with the candidate files given by the caller in place of theirs. Nothing is linked:
// whatever Codex writes while it checks (its SQLite state, skills, shell snapshots, logs, session
// files) lands in the scratch and is deleted with it. Credentials and history are never copied.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BACKUP_DIR, MAX_FILE_BYTES, readBounded } from '../files';

/** Files of CODEX_HOME a check never needs: credentials, history, Codex's own state, our backups and locks. */
const NOT_COPIED = [
  /^auth\.json$/,
  /^\.credentials/,
  /^history\.jsonl$/,
  /^installation_id$/,
  /\.sqlite(-wal|-shm|-journal)?$/,
  /\.lmr-lock$/,
  /\.tmp$/,
  new RegExp(`^${BACKUP_DIR.replace(/[.]/g, '\\.')}$`),
];
/** A CODEX_HOME with more top-level bytes than this is not copied past it (configs are small). */
const MAX_COPIED_BYTES = 32 * 1024 * 1024;

/** Checked files that cannot be copied, given to Codex as what they are, so it says what it says about them. */
export interface Mirror {
  /** Names that are folders in CODEX_HOME: a folder in the scratch too. */
  folders?: readonly string[];
  /** Names this user cannot read: an unreadable file in the scratch too. */
  unreadable?: readonly string[];
}

/**
 * Runs `fn` with a scratch CODEX_HOME holding copies of `codexHome`'s top-level regular files (none
 * when it is undefined) and `files` (name → text) over them; deletes it afterwards.
 */
export async function withScratchHome<T>(
  codexHome: string | undefined,
  files: ReadonlyMap<string, string>,
  fn: (scratch: string) => Promise<T>,
  mirror: Mirror = {},
): Promise<T> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-codex-check-'));
  try {
    let entries: string[] = [];
    try {
      entries = codexHome ? fs.readdirSync(codexHome) : [];
    } catch {
      /* a CODEX_HOME that does not exist yet has nothing to copy */
    }
    let copied = 0;
    for (const name of entries.sort()) {
      if (files.has(name) || NOT_COPIED.some(re => re.test(name))) continue;
      try {
        const r = readBounded(path.join(codexHome as string, name), MAX_FILE_BYTES.config);
        if (!r.exists || copied + r.bytes.length > MAX_COPIED_BYTES) continue;
        fs.writeFileSync(path.join(scratch, name), r.bytes, { mode: 0o600 });
        copied += r.bytes.length;
      } catch {
        /* a folder, a pipe, an unreadable file: not something a configuration points at */
      }
    }
    for (const [name, text] of files) fs.writeFileSync(path.join(scratch, name), text, { mode: 0o600 });
    for (const name of mirror.folders ?? []) if (!files.has(name)) fs.mkdirSync(path.join(scratch, name), { recursive: true });
    for (const name of mirror.unreadable ?? []) if (!files.has(name)) fs.writeFileSync(path.join(scratch, name), '', { mode: 0 });
    return await fn(scratch);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
