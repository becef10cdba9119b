// New integrated terminals get the active route's variables (environmentVariableCollection).
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { routeTerminalEnv } from '../../core/route/terminalEnv';
import { PROVIDERS } from '../../core/providers';
import { routeKeyVar } from '../../core/endpoints';
import { decideBridge } from '../../core/bridge/use';
import { bridgeBaseUrl } from '../../core/bridge/facts';

export interface TerminalRouting {
  applied(): Record<string, string>;
  /** Fires after new variables were placed. */
  readonly onDidApply: vscode.Event<void>;
}

export function register(ctx: Ctx): TerminalRouting {
  const applyEmitter = new vscode.EventEmitter<void>();
  ctx.extension.subscriptions.push(applyEmitter);
  const collection = ctx.extension.environmentVariableCollection;
  let applied: Record<string, string> = {};
  let generation = 0;
  // The collection is never persisted (below), so a window starts with it empty: with no route there
  // is nothing to clear at activation.
  let lastFingerprint = fingerprintOf({}, '');
  const apply = async () => {
    const gen = ++generation;
    const route = ctx.routes.active;
    let env: Record<string, string> = {};
    if (route) {
      const key = await ctx.keys.resolve(route.provider, route.baseUrl);
      const settings = ctx.settings().values;
      const include = settings['terminal.includeApiKey'] && vscode.workspace.isTrusted;
      // Claude Code through the route bridge where the route needs it, as Open Claude Code and the
      // settings written for it do (a terminal opened then starts the bridge: features/bridge/userTerminals.ts).
      const claudeViaBridge = decideBridge('claude', ctx.routes.verificationsOf(route).claude, settings['bridge.use']).use;
      env = routeTerminalEnv(route, settings['terminal.routeTargets'], {
        ...(include && key.apiKey ? { apiKey: key.apiKey } : {}),
        needsKey: !!key.apiKey,
        keyVar: routeKeyVar({ provider: route.provider, keyVar: key.keyVar }),
        disableThinking: settings['claude.disableThinking'],
        ...(claudeViaBridge ? { claudeViaBridge: bridgeBaseUrl(settings['bridge.port']) } : {}),
      });
    }
    if (gen !== generation) return;
    // Health changes come through here too: leave the collection alone unless the variables change
    // (every change marks open terminals stale).
    const description = route
      ? `${route.endpointLabel ?? PROVIDERS[route.provider].displayName} · \`${route.model}\` at \`${route.baseUrl}\``
      : '';
    const fingerprint = fingerprintOf(env, description);
    if (fingerprint === lastFingerprint) return;
    lastFingerprint = fingerprint;
    collection.clear();
    // Keys are never persisted across restarts; URLs may be (they are re-applied on activation anyway).
    collection.persistent = false;
    for (const [k, v] of Object.entries(env)) collection.replace(k, v);
    collection.description = route
      ? new vscode.MarkdownString(`Local Model Router: ${description} (${Object.keys(env).join(', ') || 'no variables'})`)
      : 'Local Model Router: no local model chosen';
    applied = env;
    applyEmitter.fire();
  };
  ctx.extension.subscriptions.push(
    ctx.routes.onDidChange(() => void apply()),
    ctx.onDidChangeSettings(e => {
      if (e.trust || e.affects('terminal', 'claude', 'bridge')) void apply();
    }),
  );
  void apply();
  return { applied: () => ({ ...applied }), onDidApply: applyEmitter.event };
}

const fingerprintOf = (env: Record<string, string>, description: string) => JSON.stringify([env, description]);
