// The extension's settings: the one owner that reads, writes and opens them. Reads take one inspect()
// of the whole section (one call instead of one per key: activation cost, see BENCHMARKS.md), keep
// only the layers VS Code applies in this window (core/settings/layers.ts), and cache the result until
// the configuration or the workspace trust changes. Trust and the PRODEX_LOCAL_* mirror are decided in
// core/settings/resolve.ts. Writes and "Open Settings" go where the setting is applied in this window.
import * as vscode from 'vscode';
import { SECTION, SETTINGS, fullKey, type SettingDef, type SettingKey, type SettingValue } from '../core/settings/catalog';
import { resolveSettings, type ResolvedSettings } from '../core/settings/resolve';
import {
  appliedLayers,
  sectionTabFor,
  settingsTabFor,
  writeLevelFor,
  type RawLayers,
  type SettingsTab,
  type WindowKind,
} from '../core/settings/layers';
import type { Env } from '../core/endpoints';
import type { SettingsChange, SettingsStore } from '../ctx';

/** `{ llamacpp: { port: 9000 } }` → 9000 for 'llamacpp.port'; VS Code also keeps flat dotted keys. */
function at(tree: unknown, key: string): unknown {
  if (typeof tree !== 'object' || tree === null) return undefined;
  const o = tree as Record<string, unknown>;
  if (key in o) return o[key];
  const dot = key.indexOf('.');
  return dot < 0 ? undefined : at(o[key.slice(0, dot)], key.slice(dot + 1));
}

/** Remote-SSH, WSL, containers, Codespaces and code-server: the extension host runs on the remote machine. */
export function windowKind(): WindowKind {
  return vscode.env.remoteName ? 'remote' : 'local';
}

type Inspected = vscode.WorkspaceConfiguration['inspect'] extends (k: string) => infer R ? R : never;
/** inspect() also reports the two user-level files apart (1.139 does; @types/vscode does not declare it). */
type SplitInspect = NonNullable<Inspected> & { globalLocalValue?: unknown; globalRemoteValue?: unknown };

function rawLayers(root: SplitInspect | undefined, key: SettingKey): RawLayers {
  return {
    globalValue: at(root?.globalValue, key),
    globalLocalValue: at(root?.globalLocalValue, key),
    globalRemoteValue: at(root?.globalRemoteValue, key),
    split: !!root && 'globalRemoteValue' in root,
    workspaceValue: at(root?.workspaceValue, key),
    workspaceFolderValue: at(root?.workspaceFolderValue, key),
  };
}

export function readSettingsUncached(env: Env): ResolvedSettings {
  const root = vscode.workspace.getConfiguration().inspect<Record<string, unknown>>(SECTION) as SplitInspect | undefined;
  const window = windowKind();
  return resolveSettings(
    key => appliedLayers((SETTINGS[key] as SettingDef).scope, window, rawLayers(root, key)),
    env,
    vscode.workspace.isTrusted,
  );
}

export interface SettingsService extends SettingsStore {
  current(): ResolvedSettings;
  /** Fires after the cache is renewed: listeners read the new values, whatever order they subscribed in. */
  readonly onDidChange: vscode.Event<SettingsChange>;
}

const TAB_COMMANDS: Record<SettingsTab, string> = {
  user: 'workbench.action.openSettings',
  remote: 'workbench.action.openRemoteSettings',
  workspace: 'workbench.action.openWorkspaceSettings',
};

export function createSettingsService(env: Env, extensionId: string, subscriptions: vscode.Disposable[]): SettingsService {
  let cached: ResolvedSettings | undefined;
  const current = () => (cached ??= readSettingsUncached(env));
  const emitter = new vscode.EventEmitter<SettingsChange>();
  subscriptions.push(
    emitter,
    vscode.workspace.onDidChangeConfiguration(e => {
      if (!e.affectsConfiguration(SECTION)) return;
      cached = undefined;
      emitter.fire({ trust: false, affects: (...keys) => keys.some(k => e.affectsConfiguration(fullKey(k))) });
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      cached = undefined;
      emitter.fire({ trust: true, affects: () => false });
    }),
  );
  // The options object: a plain string argument is dropped by openRemoteSettings (1.139).
  const openTab = (tab: SettingsTab, query: string) => vscode.commands.executeCommand(TAB_COMMANDS[tab], { query });
  return {
    current,
    onDidChange: emitter.event,
    async update(key, value, o) {
      const def = SETTINGS[key] as SettingDef;
      const level = o?.level ?? writeLevelFor(def.scope, current().origin[key]);
      const folder = vscode.workspace.workspaceFolders?.[0];
      const config = vscode.workspace.getConfiguration(SECTION, level === 'folder' ? folder?.uri : undefined);
      const target =
        level === 'folder' && folder
          ? vscode.ConfigurationTarget.WorkspaceFolder
          : level === 'user'
            ? vscode.ConfigurationTarget.Global
            : vscode.ConfigurationTarget.Workspace;
      await config.update(key, value, target);
      cached = undefined;
    },
    userValue<K extends SettingKey>(key: K) {
      const root = vscode.workspace.getConfiguration().inspect<Record<string, unknown>>(SECTION) as SplitInspect | undefined;
      const def = SETTINGS[key] as SettingDef;
      return appliedLayers(def.scope, windowKind(), rawLayers(root, key)).globalValue as SettingValue<K> | undefined;
    },
    async open(key) {
      const def = SETTINGS[key] as SettingDef;
      await openTab(settingsTabFor(def.scope, windowKind(), current().origin[key]), `@id:${fullKey(key)}`);
    },
    vscodeSetting(key) {
      return vscode.workspace.getConfiguration().get(key);
    },
    async openSection(group) {
      // A group by its key prefix (the Settings editor matches setting ids), every setting by the extension.
      await openTab(sectionTabFor(windowKind()), group ? fullKey(group) : `@ext:${extensionId}`);
    },
  };
}
