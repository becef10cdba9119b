// Which process a pid names: a pid alone is reused once its process ends, so a pid kept across
// windows (serverRecords.ts) is only ever signalled after its start time is seen to be the same.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/** A process as it was when recorded: its pid and when it started (opaque, compared for equality). */
export interface ProcessIdentity {
  pid: number;
  startTime: string;
}

/**
 * The 22nd field of /proc/<pid>/stat (start time in clock ticks since boot). The command name (field
 * 2) may hold spaces and parentheses, so fields are counted after its last ')'.
 */
export function parseProcStatStartTime(stat: string): string | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state): field 22 is fields[19].
  const v = fields[19];
  return v && /^\d+$/.test(v) ? v : undefined;
}

/** When the process with this pid started; undefined when there is none (or it is a zombie). */
export function processStartTime(pid: number, platform: NodeJS.Platform = process.platform): string | undefined {
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  if (platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 1).trim()[0];
      return state === 'Z' || state === 'X' ? undefined : parseProcStatStartTime(stat);
    } catch {
      return undefined;
    }
  }
  if (platform === 'win32') return undefined;
  // macOS and the BSDs: ps prints the start time to the second (state to tell a zombie).
  const r = spawnSync('ps', ['-o', 'stat=,lstart=', '-p', String(pid)], { encoding: 'utf8', timeout: 5_000, shell: false });
  const line = r.status === 0 ? r.stdout.trim() : '';
  if (!line || line.startsWith('Z')) return undefined;
  return line.replace(/^\S+\s+/, '').replace(/\s+/g, ' ');
}

/** The same process as recorded: alive, and started when it was recorded. */
export function isSameProcess(p: ProcessIdentity): boolean {
  const now = processStartTime(p.pid);
  return now !== undefined && now === p.startTime;
}

/** The identity of a live process now (undefined where the platform cannot tell: no signal is sent then). */
export function identify(pid: number | undefined): ProcessIdentity | undefined {
  if (pid === undefined) return undefined;
  const startTime = processStartTime(pid);
  return startTime === undefined ? undefined : { pid, startTime };
}
