// The SSH tunnels this window opened. Each tunnel owns its state and announces its own changes; the
// registry only collects them and passes the news on (discovery, the picker and the status bar read it).
import * as vscode from 'vscode';
import type { OpenTunnel, TunnelRegistry } from '../ctx';

export function createTunnelRegistry(subscriptions: vscode.Disposable[]): TunnelRegistry {
  const tunnels = new Map<OpenTunnel, vscode.Disposable>();
  const emitter = new vscode.EventEmitter<void>();
  subscriptions.push(emitter, {
    dispose: () => {
      for (const sub of tunnels.values()) sub.dispose();
    },
  });
  return {
    all: () => [...tunnels.keys()],
    findByBaseUrl: url => [...tunnels.keys()].find(t => t.localBaseUrl === url),
    add: t => {
      if (tunnels.has(t)) return;
      tunnels.set(
        t,
        t.onDidChange(() => emitter.fire()),
      );
      emitter.fire();
    },
    remove: t => {
      const sub = tunnels.get(t);
      if (!sub) return;
      sub.dispose();
      tunnels.delete(t);
      emitter.fire();
    },
    onDidChange: emitter.event,
  };
}
