// Reads the extension's settings with one inspect() of the whole section (one call instead of one
// per key: activation cost, see BENCHMARKS.md) and caches the result until the configuration or the
// workspace trust changes. Trust and the PRODEX_LOCAL_* mirror are decided in core/settings/resolve.ts.
import * as vscode from 'vscode';
import { SECTION, type SettingKey } from '../core/settings/catalog';
import { resolveSettings, type Layered, type ResolvedSettings } from '../core/settings/resolve';
import type { Env } from '../core/endpoints';

/** `{ llamacpp: { port: 9000 } }` → 9000 for 'llamacpp.port'; VS Code also keeps flat dotted keys. */
function at(tree: unknown, key: string): unknown {
  if (typeof tree !== 'object' || tree === null) return undefined;
  const o = tree as Record<string, unknown>;
  if (key in o) return o[key];
  const dot = key.indexOf('.');
  return dot < 0 ? undefined : at(o[key.slice(0, dot)], key.slice(dot + 1));
}

export function readSettingsUncached(env: Env): ResolvedSettings {
  const root = vscode.workspace.getConfiguration().inspect<Record<string, unknown>>(SECTION);
  const lookup = (key: SettingKey): Layered => ({
    globalValue: at(root?.globalValue, key),
    workspaceValue: at(root?.workspaceValue, key),
    workspaceFolderValue: at(root?.workspaceFolderValue, key),
  });
  return resolveSettings(lookup, env, vscode.workspace.isTrusted);
}

export interface SettingsService {
  current(): ResolvedSettings;
  /** Fires after the cache is renewed: listeners read the new values, whatever order they subscribed in. */
  readonly onDidChange: vscode.Event<vscode.ConfigurationChangeEvent | 'trust'>;
}

export function createSettingsService(env: Env, subscriptions: vscode.Disposable[]): SettingsService {
  let cached: ResolvedSettings | undefined;
  const emitter = new vscode.EventEmitter<vscode.ConfigurationChangeEvent | 'trust'>();
  subscriptions.push(
    emitter,
    vscode.workspace.onDidChangeConfiguration(e => {
      if (!e.affectsConfiguration(SECTION)) return;
      cached = undefined;
      emitter.fire(e);
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      cached = undefined;
      emitter.fire('trust');
    }),
  );
  return { current: () => (cached ??= readSettingsUncached(env)), onDidChange: emitter.event };
}
