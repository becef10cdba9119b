import * as vscode from 'vscode';
import type { LaunchedServer, ServerRegistry } from '../ctx';
import type { ProviderId } from '../core/providers';

export function createServerRegistry(subscriptions: vscode.Disposable[]): ServerRegistry {
  const servers = new Map<ProviderId, LaunchedServer>();
  const emitter = new vscode.EventEmitter<void>();
  subscriptions.push(emitter);
  return {
    get: p => servers.get(p),
    findByBaseUrl: url => [...servers.values()].find(s => s.baseUrl === url),
    set: s => {
      servers.set(s.provider, s);
      emitter.fire();
    },
    delete: p => {
      if (servers.delete(p)) emitter.fire();
    },
    onDidChange: emitter.event,
  };
}
