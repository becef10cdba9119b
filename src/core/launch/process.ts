// A server process the extension owns: spawned without a shell in its own process group, output
// kept in a ring buffer of recent lines, stopped with SIGTERM to the whole group and SIGKILL after
// a grace period (llama-server and vLLM start helper processes; killing only the leader orphans them).
import { spawn, type ChildProcess } from 'node:child_process';
import type { LaunchCommand } from './argv';
import type { ProcessEnd } from './readiness';

/** The last `capacity` complete lines (plus the line being written). */
export class LineRing {
  private readonly lines: string[] = [];
  private partial = '';
  constructor(private readonly capacity = 200) {}

  push(text: string): void {
    const parts = (this.partial + text).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const raw of parts) {
      // Progress bars redraw with \r: keep what the line finally showed.
      const line = raw.slice(raw.lastIndexOf('\r') + 1);
      this.lines.push(line);
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
}

export function spawnServer(cmd: LaunchCommand, o: SpawnOptions = {}): ServerProcess {
  const output = new LineRing();
  const listeners: ((t: string) => void)[] = [];
  const emit = (t: string) => {
    output.push(t);
    for (const l of listeners) l(t);
  };
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
  try {
    child = spawn(cmd.command, cmd.args, {
      cwd: o.cwd,
      env: { ...(o.baseEnv ?? process.env), ...cmd.env },
      shell: false,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    running = child.pid !== undefined;
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
    child.on('close', (code, signal) => finish({ code, signal }));
  }
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
    onOutput: l => void listeners.push(l),
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
