// The one owner of the records of servers this extension started, shared by every window of this
// user on this machine: one small JSON file per server in the extension's global storage (in a remote
// window, on the remote machine, where the servers run), plus the log file the server writes. A
// record outlives the window that wrote it, so a reloaded or later window can find the server, follow
// its output and stop it (core/launch/serverRecords.ts decides what each window does with one).
import * as vscode from 'vscode';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ServerRecords } from '../ctx';
import { LAUNCH_PROVIDERS, type LaunchProvider } from '../core/servers';
import { identify, isSameProcess, type ProcessIdentity } from '../core/launch/processIdentity';
import { judgeRecord, parseServerRecord, type ServerRecord } from '../core/launch/serverRecords';

const fileOf = (dir: string, r: Pick<ServerRecord, 'provider' | 'server'>) =>
  join(dir, `${r.provider}-${r.server.pid}-${r.server.startTime}.json`);

export function createServerRecords(storageDir: string, log: Pick<vscode.LogOutputChannel, 'info' | 'warn'>): ServerRecords {
  const dir = join(storageDir, 'servers');
  const workspace = vscode.workspace.workspaceFile?.toString() ?? vscode.workspace.workspaceFolders?.[0]?.uri.toString();
  // The extension host itself: a window's records name it as their owner. Read on first use, off
  // the activation path (macOS asks ps).
  let me: { id: (ProcessIdentity & { workspace?: string }) | undefined } | undefined;
  const selfId = () => {
    if (!me) {
      const id = identify(process.pid);
      me = { id: id ? { ...id, ...(workspace ? { workspace } : {}) } : undefined };
    }
    return me.id;
  };
  const ensureDir = () => mkdirSync(dir, { recursive: true });
  return {
    get self() {
      return selfId();
    },
    newLogFile(provider: LaunchProvider) {
      ensureDir();
      return join(dir, `${provider}-${Date.now()}-${randomBytes(4).toString('hex')}.log`);
    },
    save(r) {
      ensureDir();
      const file = fileOf(dir, r);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(r, null, 2), { mode: 0o600 });
      renameSync(tmp, file);
    },
    remove(r) {
      rmSync(fileOf(dir, r), { force: true });
      rmSync(r.logFile, { force: true });
    },
    discardLog(file) {
      if (file.startsWith(dir)) rmSync(file, { force: true });
    },
    all() {
      let names: string[];
      try {
        names = readdirSync(dir).filter(n => n.endsWith('.json'));
      } catch {
        return [];
      }
      return names.flatMap(n => {
        try {
          const r = parseServerRecord(readFileSync(join(dir, n), 'utf8'), LAUNCH_PROVIDERS);
          if (r) return [r];
          log.warn(`server records: ${n} is not a record; left alone`);
        } catch {
          /* removed meanwhile */
        }
        return [];
      });
    },
    judge(r) {
      const self = selfId();
      if (!self) return isSameProcess(r.server) ? 'other-window' : 'gone';
      return judgeRecord(r, { serverAlive: isSameProcess(r.server), ownerAlive: isSameProcess(r.owner), self });
    },
    ownedHere(r) {
      const self = selfId();
      if (!self) return true;
      try {
        const now = parseServerRecord(readFileSync(fileOf(dir, r), 'utf8'), LAUNCH_PROVIDERS);
        return !!now && now.owner.pid === self.pid && now.owner.startTime === self.startTime;
      } catch {
        // No record (never written, or removed when it ended): nobody else took it over.
        return true;
      }
    },
  };
}
