// API keys: stored in SecretStorage (the OS keychain), keyed by base URL, never in settings or
// state; resolved with the one precedence of core/endpoints.ts (variables first).
import type * as vscode from 'vscode';
import type { KeyService } from '../ctx';
import { resolveApiKey, type Env } from '../core/endpoints';

export function createKeyService(secrets: vscode.SecretStorage, env: Env): KeyService {
  const id = (baseUrl: string) => `localModelRouter.apiKey:${baseUrl}`;
  const stored = (baseUrl: string) => Promise.resolve(secrets.get(id(baseUrl)));
  return {
    stored,
    resolve: async (provider, baseUrl) => resolveApiKey(provider, env, await stored(baseUrl)),
    store: async (baseUrl, key) => {
      if (key) await secrets.store(id(baseUrl), key);
      else await secrets.delete(id(baseUrl));
    },
  };
}
