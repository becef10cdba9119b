// A server in an integrated terminal without a shell: a Pseudoterminal whose processes are spawned
// from an argv array (core/launch/process.ts), so no setting is ever typed into a shell. The
// terminal shows their output, forwards typed input and Ctrl+C, and closing it stops the server.
import * as vscode from 'vscode';
import type { LaunchedServer } from '../../ctx';
import type { LaunchedState } from '../../core/launch/process';
import {
  LineRing,
  spawnServer,
  commandLine,
  type LaunchCommand,
  type LaunchProvider,
  type ProcessEnd,
  type ServerProcess,
} from '../../core/launch';
import type { ServerRecord } from '../../core/launch/serverRecords';
import { OutputTerminal } from '../../ui/outputTerminal';

/** How long to wait for VS Code to open the terminal before starting anyway (output is buffered). */
const OPEN_FALLBACK_MS = 3_000;
const MAX_PENDING_CHARS = 256 * 1024;

class ProcessTerminal extends OutputTerminal {
  readonly output = new LineRing(500);
  current: ServerProcess | undefined;
  private resolveOpened!: () => void;
  readonly opened = new Promise<void>(r => (this.resolveOpened = r));
  private fallback = setTimeout(() => this.resolveOpened(), OPEN_FALLBACK_MS);

  constructor(onUserClose: () => void) {
    super(onUserClose, MAX_PENDING_CHARS);
  }

  override open(): void {
    clearTimeout(this.fallback);
    super.open();
    this.resolveOpened();
  }

  async run(cmd: LaunchCommand, cwd: string | undefined, logFile?: string): Promise<ServerProcess> {
    await this.opened;
    this.note(
      `> ${commandLine(cmd.command, cmd.args)}${Object.keys(cmd.env).length ? `   (with ${Object.keys(cmd.env).join(', ')} set)` : ''}`,
    );
    return this.follow(spawnServer(cmd, { cwd, ...(logFile ? { logFile } : {}) }));
  }

  /** Shows a process started elsewhere (by an earlier window). */
  async attach(p: ServerProcess, note: string): Promise<ServerProcess> {
    await this.opened;
    this.note(note);
    for (const line of p.output.recent()) this.output.push(`${line}\n`);
    this.print(p.output.recent().join('\n') + (p.output.recent().length ? '\n' : ''));
    return this.follow(p);
  }

  private follow(p: ServerProcess): ServerProcess {
    this.current = p;
    p.onOutput(t => {
      this.output.push(t);
      this.print(t);
    });
    void p.exited.then(e => {
      this.note(`[${e.signal ? `stopped by ${e.signal}` : e.code === null ? 'ended' : `exited with code ${e.code}`}]`);
    });
    return p;
  }

  override handleInput(data: string): void {
    const p = this.current;
    if (!p?.running) {
      // Like a finished task terminal: any key closes it.
      this.closeEmitter.fire();
      return;
    }
    if (data === '\x03') {
      p.interrupt();
      return;
    }
    // The server reads a pipe, not a tty: echo what is typed and send lines with \n.
    const text = data.replace(/\r/g, '\n');
    this.print(text);
    p.write(text);
  }

  override close(): void {
    clearTimeout(this.fallback);
    super.close();
  }

  override dispose(): void {
    clearTimeout(this.fallback);
    super.dispose();
  }
}

export interface ManagedServerOptions {
  provider: LaunchProvider;
  baseUrl: string;
  /** Terminal name, e.g. "llama-server :8131". */
  name: string;
  /** Identifies the launch settings used, to tell when a setting change needs a restart. */
  commandKey: string;
  cwd: string | undefined;
  /** The user closed the terminal. */
  onUserClose(server: ManagedServer): void;
  /** False once another window took the server over: closing this one must not stop it then. */
  ownedHere?(server: ManagedServer): boolean;
}

/**
 * A server the extension started, in its own terminal. It owns its state: one method per
 * transition, one change event (the registry, the status bar and discovery listen to it).
 */
export class ManagedServer implements LaunchedServer {
  readonly provider: LaunchProvider;
  readonly baseUrl: string;
  readonly name: string;
  readonly commandKey: string;
  private _state: LaunchedState = 'starting';
  private _exitCode?: number;
  /** Set while the extension itself stops it, so the exit is not reported as a crash. */
  private _stopping = false;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  readonly disposables: vscode.Disposable[] = [];
  /** Listeners that only matter while it runs (the settings watch). */
  readonly watchers: vscode.Disposable[] = [];
  private readonly pty: ProcessTerminal;
  private readonly terminal: vscode.Terminal;
  private readonly cwd: string | undefined;
  private readonly ownedHere: (s: ManagedServer) => boolean;
  /** Where every window finds it (state/serverRecords.ts), once it runs. */
  record: ServerRecord | undefined;

  constructor(o: ManagedServerOptions) {
    this.ownedHere = o.ownedHere ?? (() => true);
    this.provider = o.provider;
    this.baseUrl = o.baseUrl;
    this.name = o.name;
    this.commandKey = o.commandKey;
    this.cwd = o.cwd;
    // A terminal closed in a window that no longer owns the server (another window took it over) leaves it alone.
    this.pty = new ProcessTerminal(() => {
      if (this.ownedHere(this)) o.onUserClose(this);
    });
    this.terminal = vscode.window.createTerminal({
      name: o.name,
      pty: this.pty,
      iconPath: new vscode.ThemeIcon('server-process'),
      isTransient: true,
    });
    this.disposables.push(this.terminal, this.pty, this.changed);
  }

  get state(): LaunchedState {
    return this._state;
  }
  get exitCode(): number | undefined {
    return this._exitCode;
  }
  get stopping(): boolean {
    return this._stopping;
  }
  /** Starting or serving. */
  get active(): boolean {
    return this._state === 'starting' || this._state === 'ready';
  }

  private transition(state: LaunchedState, exitCode?: number | null): void {
    if (exitCode !== undefined && exitCode !== null) this._exitCode = exitCode;
    if (this._state === state && exitCode === undefined) return;
    this._state = state;
    if (state === 'exited' || state === 'stopped') this.disposeWatchers();
    this.changed.fire();
  }

  /** It answers where it listens. */
  markReady(): void {
    this.transition('ready');
  }
  /** It ended, or never served, by itself (a crash, a bad flag, killed outside VS Code). */
  markExited(code: number | null | undefined): void {
    this.transition('exited', code ?? undefined);
  }
  /** It ended because the extension stopped it. */
  markStopped(code: number | null | undefined): void {
    this.transition('stopped', code ?? undefined);
  }

  get pid(): number | undefined {
    return this.pty.current?.pid;
  }

  get process(): ServerProcess | undefined {
    return this.pty.current;
  }

  get terminalHandle(): vscode.Terminal {
    return this.terminal;
  }

  /** Starts one process in the terminal (the server, writing to `logFile`, or one step such as `lms load`). */
  run(cmd: LaunchCommand, logFile?: string): Promise<ServerProcess> {
    return this.pty.run(cmd, this.cwd, logFile);
  }

  /** Follows a server an earlier window started; `note` says so in the terminal. */
  attach(p: ServerProcess, note: string): Promise<ServerProcess> {
    return this.pty.attach(p, note);
  }

  note(text: string): void {
    this.pty.note(text);
  }

  recentOutput(lines = 20): string[] {
    this.pty.current?.catchUp();
    return this.pty.output.recent(lines);
  }

  outputMark(): number {
    this.pty.current?.catchUp();
    return this.pty.output.mark();
  }

  outputSince(mark: number, lines = 20): string[] {
    this.pty.current?.catchUp();
    return this.pty.output.since(mark, lines);
  }

  showTerminal(preserveFocus = false): void {
    this.terminal.show(preserveFocus);
  }

  get running(): boolean {
    return this.pty.current?.running ?? false;
  }

  /**
   * When the extension host shuts down and cannot wait: SIGTERM to the group now, SIGKILL after
   * `graceMs` (llama-server ignores SIGTERM in the middle of a streamed generation).
   */
  terminateNow(graceMs = 2_000): Promise<void> {
    const p = this.pty.current;
    if (!p?.running || !this.ownedHere(this)) return Promise.resolve();
    this._stopping = true;
    return p.stop(graceMs).then(
      () => undefined,
      () => undefined,
    );
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<ProcessEnd | undefined> {
    const p = this.pty.current;
    if (!p?.running) return undefined;
    this._stopping = true;
    return p.stop(graceMs);
  }

  disposeWatchers(): void {
    for (const d of this.watchers.splice(0)) d.dispose();
  }

  dispose(): void {
    this.disposeWatchers();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
