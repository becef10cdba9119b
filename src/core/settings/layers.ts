// Which settings layers VS Code applies for a setting of a given scope, in a local or a remote window
// (Remote-SSH, WSL, Dev Containers, Codespaces, code-server): the one place that decides where the
// extension reads a value from, where it writes one, and which Settings editor tab shows it. The
// rules are VS Code's own (1.139: workbench/services/configuration, preferences/browser):
// - In a remote window the user's local settings.json is parsed without `machine`,
//   `application-machine` and `machine-overridable` settings; those come from the remote machine's
//   settings (`<user-data-dir>/Machine/settings.json`), which in turn never supplies `application`
//   ones. Its Settings editor lists machine-scoped settings under the *Remote* tab only, and marks a
//   local value "cannot be applied in this window".
// - Workspace settings never supply `application` or `machine` settings; folder settings only
//   `resource`, `language-overridable` and `machine-overridable` ones.
// The extension host's inspect() has been seen to still carry a machine-scoped local value right
// after start-up and to drop it at the next change; reading only the layers below keeps what the
// extension does equal to what the Settings editor says.
import type { SettingScope } from './catalog';

export type WindowKind = 'local' | 'remote';

/** The user-level layer a value came from: this machine's User settings, or the remote machine's. */
export type UserLayer = 'local' | 'remote';

/** What WorkspaceConfiguration.inspect() reports; the local/remote split is absent on old hosts. */
export interface RawLayers {
  globalValue?: unknown;
  globalLocalValue?: unknown;
  globalRemoteValue?: unknown;
  /** The host reports globalLocalValue / globalRemoteValue at all. */
  split: boolean;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** The layers VS Code applies, ready for resolveSettings (precedence folder → workspace → user). */
export interface AppliedLayers {
  globalValue?: unknown;
  /** Where globalValue came from. */
  globalLayer?: UserLayer;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

const MACHINE_SCOPES: readonly SettingScope[] = ['machine', 'machine-overridable'];

/** Which user-level settings files VS Code reads a setting from, highest first. */
export function userLayersFor(scope: SettingScope, window: WindowKind): readonly UserLayer[] {
  if (window === 'local') return ['local'];
  if (scope === 'application') return ['local'];
  if (MACHINE_SCOPES.includes(scope)) return ['remote'];
  return ['remote', 'local'];
}

/** Whether workspace (and folder) settings can supply a setting of this scope. */
export function workspaceLayersFor(scope: SettingScope): { workspace: boolean; folder: boolean } {
  switch (scope) {
    case 'application':
    case 'machine':
      return { workspace: false, folder: false };
    case 'window':
      return { workspace: true, folder: false };
    case 'machine-overridable':
    case 'resource':
      return { workspace: true, folder: true };
  }
}

export function appliedLayers(scope: SettingScope, window: WindowKind, raw: RawLayers): AppliedLayers {
  const out: AppliedLayers = {};
  const ws = workspaceLayersFor(scope);
  if (ws.workspace && raw.workspaceValue !== undefined) out.workspaceValue = raw.workspaceValue;
  if (ws.folder && raw.workspaceFolderValue !== undefined) out.workspaceFolderValue = raw.workspaceFolderValue;
  if (!raw.split) {
    // An old host without the split: its globalValue is the best there is.
    if (raw.globalValue !== undefined) Object.assign(out, { globalValue: raw.globalValue, globalLayer: window });
    return out;
  }
  for (const layer of userLayersFor(scope, window)) {
    const v = layer === 'local' ? raw.globalLocalValue : raw.globalRemoteValue;
    if (v !== undefined) return Object.assign(out, { globalValue: v, globalLayer: layer });
  }
  return out;
}

/** Where a value in effect came from: `user` this machine's User settings, `remote` the remote machine's. */
export type SettingOrigin = 'default' | 'user' | 'remote' | 'workspace' | 'folder' | 'env';

export type SettingsTab = 'user' | 'remote' | 'workspace';

/**
 * The Settings editor tab where a setting is applied in this window and can be changed: where its
 * value in effect comes from, else the user-level tab VS Code reads it from (in a remote window the
 * Remote tab, which also lists window-scoped settings; the User tab there hides machine-scoped ones).
 */
export function settingsTabFor(scope: SettingScope, window: WindowKind, origin: SettingOrigin): SettingsTab {
  if (origin === 'workspace' || origin === 'folder') return 'workspace';
  if (window === 'local') return 'user';
  if (scope === 'application') return 'user';
  if (origin === 'user' && !MACHINE_SCOPES.includes(scope)) return 'user';
  return 'remote';
}

/** The tab that lists every setting of the extension (none is application-scoped: see catalog.ts). */
export function sectionTabFor(window: WindowKind): SettingsTab {
  return window === 'remote' ? 'remote' : 'user';
}

export type WriteLevel = 'user' | 'workspace' | 'folder';

/**
 * Where a write takes effect: the layer the value in effect comes from (a value written under a
 * workspace value would change nothing), else the user level. VS Code itself sends a user-level
 * write of a machine-scoped setting to the remote machine's settings in a remote window.
 */
export function writeLevelFor(scope: SettingScope, origin: SettingOrigin): WriteLevel {
  const ws = workspaceLayersFor(scope);
  if (origin === 'folder' && ws.folder) return 'folder';
  if (origin === 'workspace' && ws.workspace) return 'workspace';
  return 'user';
}
