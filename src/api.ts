// What activate() returns: read-only views for other extensions and for the extension-host tests.
import type { Ctx } from './ctx';
import type { StatusBarHandle } from './features/route/statusBar';
import type { TerminalRouting } from './features/route/terminalRouting';
import type { Route } from './core/route/route';
import type { RouteHealth } from './core/route/routeHealth';
import type { EndpointProbe } from './core/route/discovery';
import type { StatusView } from './core/route/statusView';
import type { ChatModels } from './features/chat/register';
import type { ChatModelOffer } from './core/chat/offers';
import type { SettingKey, SettingValue } from './core/settings/catalog';
import type { SettingOrigin } from './core/settings/resolve';

export interface LocalModelRouterApi {
  readonly activeRoute: Route | undefined;
  readonly health: RouteHealth;
  readonly statusBar: StatusView;
  readonly probes: readonly EndpointProbe[];
  /** Variables new terminals receive now. */
  readonly terminalEnv: Record<string, string>;
  /** The models offered to VS Code's chat now, as the provider describes them (empty without the API). */
  chatModels(): Promise<readonly ChatModelOffer[]>;
  /** A setting's value in effect in this window and the settings layer it came from. */
  setting<K extends SettingKey>(key: K): { value: SettingValue<K>; origin: SettingOrigin };
  onDidChange(listener: () => void): { dispose(): void };
}

export function createApi(ctx: Ctx, status: StatusBarHandle, terminals: TerminalRouting, chat: ChatModels): LocalModelRouterApi {
  return {
    get activeRoute() {
      return ctx.routes.active;
    },
    get health() {
      return ctx.routes.health;
    },
    get statusBar() {
      return status.current();
    },
    get probes() {
      return ctx.discovery.latest;
    },
    get terminalEnv() {
      return terminals.applied();
    },
    chatModels: () => chat.offers(),
    setting: key => {
      const s = ctx.settings();
      return { value: s.values[key], origin: s.origin[key] };
    },
    onDidChange: listener => {
      const subs = [
        ctx.routes.onDidChange(listener),
        ctx.discovery.onDidChange(listener),
        ctx.servers.onDidChange(listener),
        terminals.onDidApply(listener),
      ];
      return { dispose: () => subs.forEach(s => s.dispose()) };
    },
  };
}
