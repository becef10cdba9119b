// A server process the extension owns: spawned without a shell in its own process group, output
// kept in a ring buffer of recent lines, stopped with SIGTERM to the whole group and SIGKILL after
// a grace period (llama-server and vLLM start helper processes; killing only the leader orphans them).
// With a log file the server writes its output there itself, so it does not depend on the window
// that started it (a pipe would break when that extension host ends, and Go's ollama dies of
// SIGPIPE at its next line); any window can then follow it (attachServer), after checking that the
// pid still names the same process.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs';
import type { LaunchCommand } from './argv';
import type { ProcessEnd } from './readiness';
import { isSameProcess, type ProcessIdentity } from './processIdentity';

/** Where a server the extension started is in its life: the launcher owns it, the status bar shows it. */
export type LaunchedState = 'starting' | 'ready' | 'exited' | 'stopped';

/** The last `capacity` complete lines (plus the line being written). */
export class LineRing {
  private readonly lines: string[] = [];
  private partial = '';
  /** Complete lines ever pushed: a position in the output that stays valid as old lines drop out. */
  private pushed = 0;
  constructor(private readonly capacity = 200) {}

  /** Where the output is now; `since` returns what came after it. */
  mark(): number {
    return this.pushed;
  }

  /** The last `n` lines printed after `mark` (the line being written included). */
  since(mark: number, n = this.capacity): string[] {
    const fresh = Math.min(this.pushed - mark, this.lines.length);
    const all = fresh > 0 ? this.lines.slice(-fresh) : [];
    if (this.partial) all.push(this.partial);
    return all.slice(-n);
  }

  push(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const raw of parts) {
      // Progress bars redraw with \r: keep what the line finally showed.
      const line = raw.slice(raw.lastIndexOf('\r') + 1);
      this.lines.push(line);
      this.pushed++;
      if (this.lines.length > this.capacity) this.lines.shift();
    }
  }

  recent(n = this.capacity): string[] {
    const all = this.partial ? [...this.lines, this.partial] : [...this.lines];
    return all.slice(-n);
  }
}

export interface ServerProcess {
  readonly pid: number | undefined;
  /** Settles once, when the process has ended (or could not start: code 127 for ENOENT, 126 for EACCES). */
  readonly exited: Promise<ProcessEnd & { error?: string }>;
  readonly output: LineRing;
  onOutput(listener: (text: string) => void): void;
  /** Takes in what the server has written so far (output followed from a log file arrives in ticks). */
  catchUp(): void;
  write(data: string): void;
  /** Ctrl+C as a terminal would: SIGINT to the group. */
  interrupt(): void;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when it has ended. */
  stop(graceMs?: number): Promise<ProcessEnd>;
  readonly running: boolean;
}

export interface SpawnOptions {
  cwd?: string;
  /** The environment to start from (the extension host's); `cmd.env` is laid over it. */
  baseEnv?: NodeJS.ProcessEnv;
  /** The server's stdout and stderr go to this file (appended), which is followed instead of pipes. */
  logFile?: string;
}

/** A log grows past this: it is emptied once read (the server keeps appending at the new end). */
const LOG_LIMIT_BYTES = 4 * 1024 * 1024;
const TAIL_INTERVAL_MS = 200;

/** Follows a file another process appends to: `read()` hands on what was added since the last call. */
export function followFile(file: string, onText: (t: string) => void, o: { fromEndBytes?: number } = {}): { read(): void; close(): void } {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r+');
  } catch {
    return { read: () => undefined, close: () => undefined };
  }
  let offset = o.fromEndBytes === undefined ? 0 : Math.max(0, fstatSync(fd).size - o.fromEndBytes);
  const decoder = new TextDecoder('utf-8');
  const buf = Buffer.alloc(64 * 1024);
  const read = () => {
    if (fd === undefined) return;
    try {
      const size = fstatSync(fd).size;
      if (size < offset) offset = 0; // emptied by another reader
      while (offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset);
        if (n <= 0) break;
        offset += n;
        onText(decoder.decode(buf.subarray(0, n), { stream: true }));
      }
      if (offset > LOG_LIMIT_BYTES) {
        ftruncateSync(fd, 0);
        offset = 0;
      }
    } catch {
      /* the file went away: nothing more to read */
    }
  };
  return {
    read,
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** Where a process's output goes: the ring of recent lines and whoever listens. */
function outputSink(): { output: LineRing; emit(t: string): void; onOutput(l: (t: string) => void): void } {
  const output = new LineRing();
  const listeners: ((t: string) => void)[] = [];
  return {
    output,
    emit: t => {
      output.push(t);
      for (const l of listeners) l(t);
    },
    onOutput: l => void listeners.push(l),
  };
}

export function spawnServer(cmd: LaunchCommand, o: SpawnOptions = {}): ServerProcess {
  const { output, emit, onOutput } = outputSink();
  let child: ChildProcess | undefined;
  let running = false;
  let resolveExit!: (e: ProcessEnd & { error?: string }) => void;
  const exited = new Promise<ProcessEnd & { error?: string }>(r => (resolveExit = r));
  let settled = false;
  const finish = (e: ProcessEnd & { error?: string }) => {
    if (settled) return;
    settled = true;
    running = false;
    resolveExit(e);
  };
  let logFd: number | undefined;
  let tail: ReturnType<typeof followFile> | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    if (o.logFile) logFd = openSync(o.logFile, 'a');
    child = spawn(cmd.command, cmd.args, {
      cwd: o.cwd,
      env: { ...(o.baseEnv ?? process.env), ...cmd.env },
      shell: false,
      detached: true,
      stdio: logFd === undefined ? ['pipe', 'pipe', 'pipe'] : ['pipe', logFd, logFd],
      windowsHide: true,
    });
    running = child.pid !== undefined;
    if (o.logFile && running) {
      tail = followFile(o.logFile, emit);
      timer = setInterval(() => tail?.read(), TAIL_INTERVAL_MS);
      timer.unref();
    }
  } catch (e) {
    const msg = `Could not start ${cmd.command}: ${(e as Error).message}`;
    queueMicrotask(() => {
      emit(`${msg}\n`);
      finish({ code: 126, error: msg });
    });
  }
  if (child) {
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', emit);
    child.stderr?.on('data', emit);
    child.stdin?.on('error', () => undefined);
    child.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code === 'ENOENT' ? 127 : e.code === 'EACCES' ? 126 : 1;
      const why =
        e.code === 'ENOENT'
          ? 'no such program (is it installed and on PATH?)'
          : e.code === 'EACCES'
            ? 'permission denied (is it executable?)'
            : e.message;
      const msg = `Could not start ${cmd.command}: ${why}`;
      emit(`${msg}\n`);
      finish({ code, error: msg });
    });
    // 'close' (not 'exit') so the last output lines are in the buffer before anyone reads them.
    child.on('close', (code, signal) => {
      if (timer) clearInterval(timer);
      tail?.read();
      tail?.close();
      finish({ code, signal });
    });
  }
  if (logFd !== undefined) closeSync(logFd);
  const group = (sig: NodeJS.Signals) => {
    if (!child?.pid || settled) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };
  return {
    get pid() {
      return child?.pid;
    },
    exited,
    output,
    get running() {
      return running;
    },
    onOutput,
    catchUp: () => tail?.read(),
    write: d => {
      if (running) child?.stdin?.write(d);
    },
    interrupt: () => group('SIGINT'),
    stop: async (graceMs = 5_000) => {
      if (settled || !child?.pid) return exited;
      group('SIGTERM');
      const t = setTimeout(() => group('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(t);
      }
    },
  };
}

/** How often a server this process did not start is checked for its end. */
const WATCH_INTERVAL_MS = 1_000;
/** The last output of a followed log shown at once. */
const RECENT_LOG_BYTES = 16 * 1024;

/**
 * A server started by another extension host (an earlier window), followed through its log file.
 * Every signal goes to its process group only while its pid still names the recorded process; its
 * end is seen by polling (it is not a child of this process, so there is no exit code).
 */
export function attachServer(server: ProcessIdentity, logFile: string | undefined): ServerProcess {
  const { output, emit, onOutput } = outputSink();
  const tail = logFile ? followFile(logFile, emit, { fromEndBytes: RECENT_LOG_BYTES }) : undefined;
  let running = isSameProcess(server);
  let resolveExit!: (e: ProcessEnd) => void;
  const exited = new Promise<ProcessEnd>(r => (resolveExit = r));
  let lastSignal: NodeJS.Signals | null = null;
  let ticks = 0;
  const check = () => {
    tail?.read();
    if (running && ticks++ % (WATCH_INTERVAL_MS / TAIL_INTERVAL_MS) !== 0) return;
    if (running && isSameProcess(server)) return;
    running = false;
    clearInterval(timer);
    tail?.close();
    resolveExit({ code: null, signal: lastSignal });
  };
  const timer = setInterval(check, TAIL_INTERVAL_MS);
  timer.unref();
  queueMicrotask(check);
  const group = (sig: NodeJS.Signals) => {
    if (!running || !isSameProcess(server)) return;
    try {
      process.kill(-server.pid, sig);
      lastSignal = sig;
    } catch {
      /* gone */
    }
  };
  return {
    pid: server.pid,
    output,
    onOutput,
    catchUp: () => tail?.read(),
    // Its stdin belongs to the extension host that started it.
    write: () => undefined,
    exited,
    get running() {
      return running;
    },
    interrupt: () => group('SIGINT'),
    stop: async (graceMs = 5_000) => {
      if (!running) return exited;
      group('SIGTERM');
      const fast = setInterval(() => {
        ticks = 0;
        check();
      }, 100);
      const t = setTimeout(() => group('SIGKILL'), graceMs);
      try {
        return await exited;
      } finally {
        clearTimeout(t);
        clearInterval(fast);
      }
    },
  };
}
