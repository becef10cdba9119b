// A terminal without a shell that shows what something of ours prints: a server's output, an SSH
// tunnel's, the route bridge's log. What is printed before VS Code opens the view is kept (up to a
// bound) and shown when it opens; closing the terminal calls back, so its owner can stop what it
// shows. Subclasses add input (a server's stdin) or nothing (read-only).
import * as vscode from 'vscode';

export class OutputTerminal implements vscode.Pseudoterminal {
  protected readonly writeEmitter = new vscode.EventEmitter<string>();
  protected readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private isOpen = false;
  private pending = '';
  /** Once what it shows is over, a key press closes the terminal (as a finished task's does). */
  ended = false;

  constructor(
    private readonly onUserClose: () => void,
    private readonly maxPendingChars = 64 * 1024,
  ) {}

  open(): void {
    this.isOpen = true;
    if (this.pending) this.writeEmitter.fire(this.pending);
    this.pending = '';
  }

  /** Text as it came (line ends made the terminal's). */
  print(text: string): void {
    const t = text.replace(/\r?\n/g, '\r\n');
    if (this.isOpen) this.writeEmitter.fire(t);
    else this.pending = (this.pending + t).slice(-this.maxPendingChars);
  }

  /** Text from the extension, dimmed so it is not mistaken for the output it shows. */
  note(text: string): void {
    this.print(`\x1b[2m${text}\x1b[0m\n`);
  }

  /** Read-only by default: nothing to type into. */
  handleInput(_data: string): void {
    if (this.ended) this.closeEmitter.fire();
  }

  close(): void {
    this.onUserClose();
  }

  dispose(): void {
    this.writeEmitter.dispose();
    this.closeEmitter.dispose();
  }
}
