// Local Model Router — table of contents. Each feature registers itself. Activation builds the state
// and what the window shows at once (the status bar, terminal variables, context keys) and registers
// every command; the code behind most commands loads on first use (src/lazy.ts, LAZY_COMMANDS in
// src/core/commands.ts: the picker, endpoints, verify, launch, codex, claude, tunnel). What a new
// feature may add to this path: CONTRIBUTING.md, "Add a feature (activation)".
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { createSettingsService } from './state/settings';
import { createKeyService } from './state/keyStore';
import { createServerRegistry } from './state/serverRegistry';
import { createTunnelRegistry } from './state/tunnelRegistry';
import { createPlainHttpConsent } from './state/plainHttpConsent';
import { createDiscoveryService } from './state/discoveryService';
import { createRouteStore } from './state/routeStore';
import { createRememberedAnswers } from './state/rememberedAnswers';
import { createServerRecords } from './state/serverRecords';
import { createReviews } from './state/reviews';
import * as statusBar from './features/route/statusBar';
import * as terminalRouting from './features/route/terminalRouting';
import * as backgroundRefresh from './features/route/backgroundRefresh';
import * as contextKeys from './features/route/contextKeys';
import { askPlainHttp, openTunnelInstead } from './features/route/plainHttpQuestion';
import * as chat from './features/chat/register';
import * as earlierServers from './features/launch/earlierServers';
import * as walkthrough from './features/welcome/walkthrough';
import * as shell from './features/shell/shellCommands';
import * as bridgeTerminals from './features/bridge/userTerminals';
import * as lazy from './lazy';
import { createApi, type LocalModelRouterApi } from './api';
import { showError } from './ui/notify';
import { sanitizedLog } from './ui/log';

/** What deactivate() must still do: stop the servers and SSH tunnels this window started (SIGKILL after a grace). */
let shutdown: (() => Promise<void>) | undefined;

export function activate(context: vscode.ExtensionContext): LocalModelRouterApi {
  const log = sanitizedLog(vscode.window.createOutputChannel('Local Model Router', { log: true }));
  context.subscriptions.push(log);
  try {
    const subs = context.subscriptions;
    const env = process.env;
    const settings = createSettingsService(env, context.extension.id, subs);
    const keys = createKeyService(context.secrets, env);
    const servers = createServerRegistry(subs);
    const tunnels = createTunnelRegistry(subs);
    const plainHttp = createPlainHttpConsent({ state: context.globalState, log, ask: askPlainHttp, offerTunnel: openTunnelInstead });
    const discovery = createDiscoveryService(
      { settings: settings.current, env, keys, launched: () => servers.all(), tunnels: () => tunnels.all(), plainHttp, log },
      subs,
    );
    const routes = createRouteStore(
      {
        state: context.workspaceState,
        log,
        settings: settings.current,
        onDidChangeSettings: settings.onDidChange,
        keys,
        discovery,
        plainHttp,
        probe: (...args) => lazy.loadLazy('route').probeModelAnswers(...args),
      },
      subs,
    );
    const ctx: Ctx = {
      extension: context,
      log,
      env,
      settings: settings.current,
      onDidChangeSettings: settings.onDidChange,
      settingsStore: settings,
      keys,
      servers,
      tunnels,
      discovery,
      routes,
      plainHttp,
      remembered: createRememberedAnswers({ workspace: context.workspaceState, global: context.globalState }),
      serverRecords: createServerRecords(context.globalStorageUri.fsPath, log),
      reviews: createReviews(),
    };
    shutdown = () => stopLaunched(ctx);
    // Off the activation path: it reads every setting.
    setTimeout(() => logStartup(ctx), 0);

    const status = statusBar.register(ctx);
    const terminals = terminalRouting.register(ctx);
    contextKeys.register(ctx);
    shell.register(ctx); // refresh, clear the route, log, settings, Apply/Cancel of the diffs
    // Every other command, by feature; each feature's code (dist/lazy/<feature>.js) loads on first use.
    lazy.registerFeature(ctx, 'route'); // the picker, switching routes
    lazy.registerFeature(ctx, 'endpoints'); // add an endpoint, API keys
    lazy.registerFeature(ctx, 'launch'); // start, stop, restart servers
    lazy.registerFeature(ctx, 'verify'); // Verify Route and its fixes
    lazy.registerFeature(ctx, 'codex'); // Codex profiles, trust, Open Codex
    lazy.registerFeature(ctx, 'claude'); // Claude Code settings, Open Claude Code
    lazy.registerFeature(ctx, 'tunnel'); // SSH tunnels
    lazy.registerFeature(ctx, 'bridge'); // the route bridge for servers that fail an agent
    bridgeTerminals.register(ctx); // a terminal the user opens gets the bridge when the route needs it
    const chatModels = chat.register(ctx); // the chat models' provider; its code loads when VS Code asks
    backgroundRefresh.register(ctx); // the first refresh and its timer start after activation
    earlierServers.register(ctx); // servers of earlier windows: taken over or reported
    walkthrough.register(ctx);
    return createApi(ctx, status, terminals, chatModels);
  } catch (e) {
    // VS Code does not show a notification when an extension fails to activate: say it ourselves.
    log.error('activation failed', e as Error);
    void showError(`Local Model Router failed to start: ${(e as Error).message}`, 'Show Log').then(c => {
      if (c) log.show();
    });
    throw e;
  }
}

function logStartup(ctx: Ctx): void {
  const s = ctx.settings();
  ctx.log.info(
    `Local Model Router ${ctx.extension.extension.packageJSON.version} on VS Code ${vscode.version}, trusted=${vscode.workspace.isTrusted}`,
  );
  const changed = Object.entries(s.origin)
    .filter(([, o]) => o !== 'default')
    .map(([k, o]) => `${k}=${JSON.stringify((s.values as Record<string, unknown>)[k])} (${o})`);
  ctx.log.info(`settings changed from defaults: ${changed.join(', ') || 'none'}`);
  for (const p of s.problems) ctx.log.warn(p);
  if (s.ignoredUntrusted.length) ctx.log.warn(`Restricted Mode: ignoring workspace values of ${s.ignoredUntrusted.join(', ')}`);
}

/** Servers and ssh run in their own process groups (so Stop reaches their helpers): without this they would outlive the window. */
async function stopLaunched(ctx: Ctx): Promise<void> {
  await Promise.all([...ctx.servers.all().map(s => s.terminateNow()), ...ctx.tunnels.all().map(t => t.stop(1_000))]);
}

export function deactivate(): Promise<void> | undefined {
  return shutdown?.();
}
