// Reads every setting through WorkspaceConfiguration.inspect so trust and the PRODEX_LOCAL_* mirror
// are decided in one pure place (core/settings/resolve.ts).
import * as vscode from 'vscode';
import { SECTION } from '../core/settings/catalog';
import { resolveSettings, type ResolvedSettings } from '../core/settings/resolve';
import type { Env } from '../core/endpoints';

export function readSettings(env: Env): ResolvedSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return resolveSettings(key => config.inspect(key), env, vscode.workspace.isTrusted);
}
