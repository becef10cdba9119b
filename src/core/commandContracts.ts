// What one feature's command takes and returns when another feature runs it through
// vscode.commands.executeCommand: the contract between features lives here, so features never
// import each other (test/unit/import-graph.test.ts).
import type { ProviderId } from './providers';

/** localModelRouter.pullOllamaModel → */
export type PullCommandResult = { kind: 'pulled' | 'present'; model: string } | { kind: 'cancelled' } | { kind: 'failed'; message: string };

/** localModelRouter.connectSshTunnel(args) */
export interface ConnectArgs {
  host?: string;
  user?: string;
  provider?: string;
  remotePort?: number | string;
  localPort?: number | string;
  sshPort?: number | string;
  /** Prefills the questions instead of answering them ("Use an SSH Tunnel Instead…"). */
  suggest?: { host?: string; remotePort?: number; provider?: ProviderId };
  /** From ssh's start to the first answer through the tunnel (default 30 s). */
  timeoutMs?: number;
}

/** localModelRouter.startBridge(args) */
export interface StartBridgeArgs {
  /** No notification (Open Codex / Open Claude Code start it on the way). */
  quiet?: boolean;
  /** Show its terminal (default true); false: start it without taking the terminal panel. */
  reveal?: boolean;
  /** Only when an agent goes through the bridge on the active route (core/bridge/use.ts); else `not needed`. */
  ifNeeded?: boolean;
}
/** localModelRouter.startBridge → `reused`: a bridge of another window already serves this upstream on the port. */
export type StartBridgeResult = { ok: true; url: string; reused: boolean } | { ok: false; reason: string };
