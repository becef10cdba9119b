// The status-bar item: one render from one state (core/statusView.ts).
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { COMMANDS } from '../commands';
import { renderStatus, TOOLTIP_COMMANDS, type StatusView } from '../core/statusView';
import { routeKey } from '../core/route';

export const STATUS_ITEM_ID = 'localModelRouter.status';

export interface StatusBarHandle {
  current(): StatusView;
}

export function register(ctx: Ctx): StatusBarHandle {
  const lastVerification = () => ctx.routes.lastVerification;
  const item = vscode.window.createStatusBarItem(STATUS_ITEM_ID, vscode.StatusBarAlignment.Left, 100);
  item.name = 'Local Model Router';
  item.command = COMMANDS.pickRoute.id;
  let view: StatusView;
  const update = () => {
    const route = ctx.routes.active;
    const launched = route ? ctx.servers.findByBaseUrl(route.baseUrl) : undefined;
    view = renderStatus({
      route,
      health: ctx.routes.health,
      lastVerification: lastVerification(),
      launched: launched ? { state: launched.state, ...(launched.exitCode !== undefined ? { exitCode: launched.exitCode } : {}) } : undefined,
      terminalsRouted: route !== undefined && ctx.settings().values['terminal.routeTargets'].length > 0,
    });
    item.text = view.text;
    item.accessibilityInformation = { label: view.accessibility, role: 'button' };
    const md = new vscode.MarkdownString(view.tooltip, true);
    md.isTrusted = { enabledCommands: TOOLTIP_COMMANDS };
    item.tooltip = md;
    item.backgroundColor = view.background === 'none' ? undefined : new vscode.ThemeColor(`statusBarItem.${view.background}Background`);
  };
  // The route's health follows discovery unless a verification said more.
  const followDiscovery = () => {
    const route = ctx.routes.active;
    if (!route || ctx.discovery.busy) return;
    const probe = ctx.discovery.latest.find(p => p.baseUrl === route.baseUrl);
    if (!probe) return;
    const h = ctx.routes.health;
    const r = probe.result;
    if (r.kind === 'up') {
      const listed = r.models.some(m => routeKey({ baseUrl: route.baseUrl, model: m.id }) === routeKey(route));
      if (!listed) ctx.routes.setHealth({ kind: 'failing', reason: `${route.model} is no longer listed` });
      else if (h.kind === 'unknown' || h.kind === 'down' || (h.kind === 'failing' && !h.verification)) ctx.routes.setHealth(lastVerification()?.ok ? { kind: 'verified', verification: lastVerification()! } : { kind: 'up' });
    } else if (r.kind !== 'loading' || h.kind !== 'probing') {
      ctx.routes.setHealth({ kind: r.kind === 'loading' ? 'failing' : 'down', reason: r.kind === 'loading' ? 'loading model' : r.message });
    }
  };
  ctx.extension.subscriptions.push(
    item,
    ctx.routes.onDidChange(update),
    ctx.servers.onDidChange(update),
    ctx.discovery.onDidChange(followDiscovery),
    vscode.workspace.onDidChangeConfiguration(e => { if (e.affectsConfiguration('localModelRouter.terminal')) update(); }),
  );
  update();
  item.show();
  return { current: () => view };
}
