// Checking a candidate configuration before it is written: Codex reports one error per run, so a
// repair plan is built by asking again after each fix. The candidate files go into a throw-away
// CODEX_HOME; every other entry of the real one is linked in, so paths in the configuration that are
// relative to CODEX_HOME (a model catalog, an instructions file) resolve as they will for real.
// Codex's own state (SQLite files it creates on every run) is not linked: it stays in the scratch.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkCodexConfig, type CheckInput, type CodexConfigCheck } from './check';
import { BACKUP_DIR } from './fs';
import type { CodexRejection } from './rejections';

const NOT_LINKED = [
  /\.sqlite(-wal|-shm|-journal)?$/,
  /^sessions$/,
  /^log$/,
  /^tmp$/,
  /^\.tmp$/,
  new RegExp(`^${BACKUP_DIR.replace(/[.]/g, '\\.')}$`),
];

/** Runs `fn` with a scratch CODEX_HOME holding `files` (name relative to CODEX_HOME → text) and links to the rest of `codexHome`. */
export async function withScratchHome<T>(
  codexHome: string,
  files: ReadonlyMap<string, string>,
  fn: (scratch: string) => Promise<T>,
): Promise<T> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-codex-check-'));
  try {
    let entries: string[] = [];
    try {
      entries = fs.readdirSync(codexHome);
    } catch {
      /* a CODEX_HOME that does not exist yet has nothing to link */
    }
    for (const name of entries) {
      if (files.has(name) || NOT_LINKED.some(re => re.test(name))) continue;
      const target = path.join(codexHome, name);
      try {
        // Windows without developer mode refuses file symlinks; junctions still work for folders.
        fs.symlinkSync(target, path.join(scratch, name), fs.statSync(target).isDirectory() ? 'junction' : 'file');
      } catch {
        /* best effort: only paths relative to CODEX_HOME depend on it */
      }
    }
    for (const [name, text] of files) fs.writeFileSync(path.join(scratch, name), text);
    return await fn(scratch);
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Runs the check on `files` as if they were in `input.codexHome`; paths in Codex's words are the real ones. */
export function checkCandidate(input: CheckInput, files: ReadonlyMap<string, string>): Promise<CodexConfigCheck> {
  return withScratchHome(input.codexHome, files, async scratch => {
    const r = await checkCodexConfig({ ...input, codexHome: scratch });
    return mapPaths(r, [fs.realpathSync(scratch), scratch], input.codexHome);
  });
}

function mapPaths(r: CodexConfigCheck, from: string[], to: string): CodexConfigCheck {
  const fix = (s: string) => from.reduce((acc, f) => acc.split(f).join(to), s);
  if (r.kind === 'profile-missing') return { ...r, path: fix(r.path) };
  if (r.kind === 'failed') return { ...r, message: fix(r.message) };
  if (r.kind !== 'rejected') return r;
  const rej = JSON.parse(JSON.stringify(r.rejection)) as CodexRejection;
  rej.text = fix(rej.text);
  if ('at' in rej && rej.at) rej.at.file = fix(rej.at.file);
  if (rej.kind === 'not-a-file') rej.path = fix(rej.path);
  return { ...r, rejection: rej };
}
