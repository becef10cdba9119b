// New integrated terminals get the active route's variables (environmentVariableCollection).
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { routeTerminalEnv } from '../core/terminalEnv';
import { keyForRoute } from '../state/routeStore';
import { PROVIDERS } from '../core/providers';

export function register(ctx: Ctx): { applied(): Record<string, string> } {
  const collection = ctx.extension.environmentVariableCollection;
  let applied: Record<string, string> = {};
  let generation = 0;
  const apply = async () => {
    const gen = ++generation;
    const route = ctx.routes.active;
    const settings = ctx.settings().values;
    let env: Record<string, string> = {};
    if (route) {
      const key = settings['terminal.includeApiKey'] && vscode.workspace.isTrusted ? (await keyForRoute(ctx, route)).key : undefined;
      env = routeTerminalEnv(route, settings['terminal.routeTargets'], key);
    }
    if (gen !== generation) return;
    collection.clear();
    // Keys are never persisted across restarts; URLs may be (they are re-applied on activation anyway).
    collection.persistent = false;
    for (const [k, v] of Object.entries(env)) collection.replace(k, v);
    collection.description = route
      ? new vscode.MarkdownString(`Local Model Router: ${route.endpointLabel ?? PROVIDERS[route.provider].displayName} · \`${route.model}\` at \`${route.baseUrl}\` (${Object.keys(env).join(', ') || 'no variables'})`)
      : 'Local Model Router: no local model chosen';
    applied = env;
  };
  ctx.extension.subscriptions.push(
    ctx.routes.onDidChange(() => void apply()),
    vscode.workspace.onDidChangeConfiguration(e => { if (e.affectsConfiguration('localModelRouter.terminal')) void apply(); }),
  );
  void apply();
  return { applied: () => ({ ...applied }) };
}
