// What a window knows about a server it started, kept where every window of this user on this
// machine reads it (state/serverRecords.ts), so that a reloaded or a later window can find, show and
// stop it. The decision of what a window does with a record is here, pure.
import type { LaunchProvider } from '../servers';
import type { ProcessIdentity } from './processIdentity';

export interface ServerRecord {
  version: 1;
  provider: LaunchProvider;
  baseUrl: string;
  /** The terminal's name, e.g. "llama-server :8131". */
  name: string;
  /** The launch settings it was started with (launchFingerprint). */
  commandKey: string;
  /** The server process (leader of its process group) and when it started. */
  server: ProcessIdentity;
  /** Its output, appended by the server itself: readable by any window, whoever started it. */
  logFile: string;
  startedAt: string;
  /** The extension host that owns it: stops it when its window closes. */
  owner: ProcessIdentity & { workspace?: string };
}

export type RecordVerdict =
  /** The server is gone (or its pid now names another process): forget the record, signal nothing. */
  | 'gone'
  /** This window owns it. */
  | 'mine'
  /** Its window is gone for good (the extension host ended without stopping it): this window takes it and says so. */
  | 'orphan'
  /** The previous window of this workspace (a reloaded browser tab waits for its reconnection): this window takes it over. */
  | 'previous-window'
  /** Another open window's: left to it; Stop Server can still stop it. */
  | 'other-window';

export interface RecordFacts {
  /** The recorded server process still runs (same pid and start time). */
  serverAlive: boolean;
  /** The recorded owner still runs (same pid and start time). */
  ownerAlive: boolean;
  self: ProcessIdentity & { workspace?: string };
}

export function judgeRecord(r: ServerRecord, f: RecordFacts): RecordVerdict {
  if (!f.serverAlive) return 'gone';
  if (r.owner.pid === f.self.pid && r.owner.startTime === f.self.startTime) return 'mine';
  if (!f.ownerAlive) return 'orphan';
  if (r.owner.workspace !== undefined && r.owner.workspace === f.self.workspace) return 'previous-window';
  return 'other-window';
}

const isIdentity = (v: unknown): v is ProcessIdentity =>
  typeof v === 'object' &&
  v !== null &&
  Number.isInteger((v as ProcessIdentity).pid) &&
  (v as ProcessIdentity).pid > 1 &&
  typeof (v as ProcessIdentity).startTime === 'string';

/** A record read back from a file: anything malformed is not a record (and is never signalled). */
export function parseServerRecord(text: string, providers: readonly string[]): ServerRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Partial<ServerRecord>;
  const strings = [r.baseUrl, r.name, r.commandKey, r.logFile, r.startedAt].every(s => typeof s === 'string');
  if (r.version !== 1 || !providers.includes(r.provider as string) || !strings || !isIdentity(r.server) || !isIdentity(r.owner))
    return undefined;
  if (r.owner.workspace !== undefined && typeof r.owner.workspace !== 'string') return undefined;
  return r as ServerRecord;
}
