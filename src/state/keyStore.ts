// API keys live in SecretStorage (the OS keychain), keyed by base URL; never in settings or state.
import type * as vscode from 'vscode';
import type { KeyStore } from '../ctx';

export function createKeyStore(secrets: vscode.SecretStorage): KeyStore {
  const id = (baseUrl: string) => `localModelRouter.apiKey:${baseUrl}`;
  return {
    get: baseUrl => Promise.resolve(secrets.get(id(baseUrl))),
    set: async (baseUrl, key) => {
      if (key) await secrets.store(id(baseUrl), key);
      else await secrets.delete(id(baseUrl));
    },
  };
}
