// The servers this window started, by provider. Each server owns its state and announces its own
// changes; the registry only collects them and passes the news on.
import * as vscode from 'vscode';
import type { LaunchedServer, ServerRegistry } from '../ctx';
import type { ProviderId } from '../core/providers';

export function createServerRegistry(subscriptions: vscode.Disposable[]): ServerRegistry {
  const servers = new Map<ProviderId, { server: LaunchedServer; sub: vscode.Disposable }>();
  const emitter = new vscode.EventEmitter<void>();
  subscriptions.push(emitter, {
    dispose: () => {
      for (const s of servers.values()) s.sub.dispose();
    },
  });
  return {
    get: p => servers.get(p)?.server,
    findByBaseUrl: url => [...servers.values()].map(s => s.server).find(s => s.baseUrl === url),
    all: () => [...servers.values()].map(s => s.server),
    add: server => {
      servers.get(server.provider)?.sub.dispose();
      servers.set(server.provider, { server, sub: server.onDidChange(() => emitter.fire()) });
      emitter.fire();
    },
    onDidChange: emitter.event,
  };
}
