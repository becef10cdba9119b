// The status-bar item: one render from one state (core/route/statusView.ts). It only renders: route
// health belongs to the route store, server state to the servers themselves.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { renderStatus, TOOLTIP_COMMANDS, type StatusView } from '../../core/route/statusView';
import { endpointReach } from '../../core/route/endpointReach';
import { hostname } from 'node:os';

export const STATUS_ITEM_ID = 'localModelRouter.status';
/** How often the tooltip's "verified 5 min ago" is brought up to date. */
const AGE_REFRESH_MS = 30_000;

export interface StatusBarHandle {
  current(): StatusView;
}

export function register(ctx: Ctx): StatusBarHandle {
  const item = vscode.window.createStatusBarItem(STATUS_ITEM_ID, vscode.StatusBarAlignment.Left, 100);
  item.name = 'Local Model Router';
  item.command = COMMANDS.pickRoute.id;
  const render = (): StatusView => {
    const route = ctx.routes.active;
    const launched = route ? ctx.servers.findByBaseUrl(route.baseUrl) : undefined;
    const tunnel = route ? ctx.tunnels.findByBaseUrl(route.baseUrl) : undefined;
    const up = ctx.discovery.latest.filter(p => p.result.kind === 'up');
    return renderStatus({
      route,
      health: ctx.routes.health,
      verifications: ctx.routes.verificationsOf(route),
      outdated: ctx.routes.outdatedOf(route),
      launched: launched
        ? { state: launched.state, ...(launched.exitCode !== undefined ? { exitCode: launched.exitCode } : {}) }
        : undefined,
      terminalsRouted: route !== undefined && ctx.settings().values['terminal.routeTargets'].length > 0,
      discovery: {
        ran: ctx.discovery.ran,
        busy: ctx.discovery.busy,
        endpointsUp: up.length,
        models: up.reduce((n, p) => n + (p.result.kind === 'up' ? p.result.models.length : 0), 0),
      },
      trusted: vscode.workspace.isTrusted,
      ...(route
        ? {
            reach: endpointReach({
              baseUrl: route.baseUrl,
              ...(route.via
                ? { via: route.via }
                : tunnel
                  ? { via: { kind: 'ssh', host: tunnel.destination, remotePort: tunnel.remotePort } }
                  : {}),
            }),
          }
        : {}),
      ...(tunnel
        ? { tunnel: { state: tunnel.state.kind, ...(tunnel.state.kind === 'failed' ? { message: tunnel.state.message } : {}) } }
        : route?.via
          ? { tunnel: { state: 'closed' } }
          : {}),
      ...(vscode.env.remoteName ? { remoteWindow: { name: vscode.env.remoteName, host: hostname() } } : {}),
    });
  };
  const apply = (view: StatusView) => {
    item.text = view.text;
    item.accessibilityInformation = { label: view.accessibility, role: 'button' };
    const md = new vscode.MarkdownString(view.tooltip, true);
    md.isTrusted = { enabledCommands: TOOLTIP_COMMANDS };
    item.tooltip = md;
    item.backgroundColor = view.background === 'none' ? undefined : new vscode.ThemeColor(`statusBarItem.${view.background}Background`);
  };
  let view = render();
  apply(view);
  const update = () => {
    const next = render();
    // Every refresh ends here: an unchanged view is not sent to the window again.
    if ((Object.keys(next) as Array<keyof StatusView>).every(k => next[k] === view[k])) return;
    view = next;
    apply(view);
  };
  // The tooltip says how old each verdict is: rendered again while the window is open, so it stays true.
  const ageTimer = setInterval(update, AGE_REFRESH_MS);
  ctx.extension.subscriptions.push(
    { dispose: () => clearInterval(ageTimer) },
    item,
    ctx.routes.onDidChange(update),
    ctx.servers.onDidChange(update),
    ctx.tunnels.onDidChange(update),
    ctx.discovery.onDidChange(update),
    ctx.onDidChangeSettings(update),
  );
  item.show();
  return { current: () => view };
}
