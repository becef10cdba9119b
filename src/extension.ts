// Local Model Router — table of contents. Each feature registers itself; heavy ones load on first use.
import * as vscode from 'vscode';
import type { Ctx } from './ctx';
import { createSettingsReader } from './state/settings';
import { createKeyStore } from './state/keyStore';
import { createServerRegistry } from './state/serverRegistry';
import { createDiscoveryService } from './state/discoveryService';
import { createRouteStore } from './state/routeStore';
import * as statusBar from './features/statusBar';
import * as picker from './features/picker';
import * as terminalRouting from './features/terminalRouting';
import * as openCodex from './features/openCodex';
import * as backgroundRefresh from './features/backgroundRefresh';
import * as basicCommands from './features/basicCommands';
import * as lazyCommands from './features/lazyCommands';
import { createApi, type LocalModelRouterApi } from './api';

export function activate(context: vscode.ExtensionContext): LocalModelRouterApi {
  const log = vscode.window.createOutputChannel('Local Model Router', { log: true });
  context.subscriptions.push(log);
  try {
    const subs = context.subscriptions;
    const env = process.env;
    const ctx: Ctx = {
      extension: context,
      log,
      env,
      settings: createSettingsReader(env, subs),
      secrets: createKeyStore(context.secrets),
      servers: createServerRegistry(subs),
      discovery: createDiscoveryService(() => ctx, subs),
      routes: createRouteStore(() => ctx, context.workspaceState, subs),
    };
    // Off the activation path: it reads every setting.
    setTimeout(() => logStartup(ctx), 0);

    const status = statusBar.register(ctx);
    picker.register(ctx);
    const terminals = terminalRouting.register(ctx);
    openCodex.register(ctx);
    basicCommands.register(ctx);
    lazyCommands.register(ctx);
    backgroundRefresh.register(ctx);
    return createApi(ctx, status, terminals);
  } catch (e) {
    // VS Code does not show a notification when an extension fails to activate: say it ourselves.
    log.error('activation failed', e as Error);
    void vscode.window.showErrorMessage(`Local Model Router failed to start: ${(e as Error).message}`, 'Show Log').then(c => { if (c) log.show(); });
    throw e;
  }
}

function logStartup(ctx: Ctx): void {
  const s = ctx.settings();
  ctx.log.info(`Local Model Router ${ctx.extension.extension.packageJSON.version} on VS Code ${vscode.version}, trusted=${vscode.workspace.isTrusted}`);
  const changed = Object.entries(s.origin).filter(([, o]) => o !== 'default').map(([k, o]) => `${k}=${JSON.stringify((s.values as Record<string, unknown>)[k])} (${o})`);
  ctx.log.info(`settings changed from defaults: ${changed.join(', ') || 'none'}`);
  for (const p of s.problems) ctx.log.warn(p);
  if (s.ignoredUntrusted.length) ctx.log.warn(`Restricted Mode: ignoring workspace values of ${s.ignoredUntrusted.join(', ')}`);
}

export function deactivate(): void {}
