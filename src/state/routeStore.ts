// The active route, persisted in workspaceState: each project can use its own model, and the
// choice survives restarts without being written into the repository's settings.
import * as vscode from 'vscode';
import type { Ctx, RouteStore } from '../ctx';
import { isRoute, type Route, type RouteHealth, type VerificationSummary } from '../core/route';
import { probeModelAnswers } from '../core/probeModel';
import { PROVIDERS } from '../core/providers';
import { resolveApiKey } from '../core/endpoints';
import { COMMANDS } from '../commands';

const STATE_KEY = 'localModelRouter.activeRoute';
const VERIFY_KEY = 'localModelRouter.lastVerification';

/** The key for a route, with the same precedence as discovery (core/endpoints.ts resolveApiKey). */
export async function keyForRoute(ctx: Ctx, route: Pick<Route, 'provider' | 'baseUrl'>): Promise<{ key?: string; keyVar?: string }> {
  const r = resolveApiKey(route.provider, ctx.env, await ctx.secrets.get(route.baseUrl));
  return { ...(r.apiKey ? { key: r.apiKey } : {}), ...(r.keyVar ? { keyVar: r.keyVar } : {}) };
}

export function createRouteStore(ctx: () => Ctx, state: vscode.Memento, subscriptions: vscode.Disposable[]): RouteStore {
  const emitter = new vscode.EventEmitter<void>();
  subscriptions.push(emitter);
  const stored = state.get<unknown>(STATE_KEY);
  let active: Route | undefined = isRoute(stored) ? stored : undefined;
  let lastVerification = active ? state.get<VerificationSummary>(VERIFY_KEY) : undefined;
  let health: RouteHealth = { kind: 'unknown' };
  let switching: AbortController | undefined;
  const setContext = () => {
    void vscode.commands.executeCommand('setContext', 'localModelRouter.hasRoute', active !== undefined);
    void vscode.commands.executeCommand('setContext', 'localModelRouter.verified', health.kind === 'verified');
  };
  setContext();
  const changed = () => {
    setContext();
    emitter.fire();
  };
  return {
    get active() { return active; },
    get health() { return health; },
    get lastVerification() { return lastVerification; },
    onDidChange: emitter.event,
    async switchTo(route) {
      // A newer pick cancels the probe of an older one.
      switching?.abort();
      const abort = (switching = new AbortController());
      const previous = { active, health };
      health = { kind: 'probing' };
      changed();
      const c = ctx();
      const { key, keyVar } = await keyForRoute(c, route);
      const probe = await probeModelAnswers(route.baseUrl, route.model, { apiKey: key, signal: abort.signal, timeoutMs: c.settings().values['verify.timeoutMs'] });
      if (abort.signal.aborted) return { ok: false, reason: 'superseded by a newer choice' };
      switching = undefined;
      if (!probe.ok) {
        ({ active, health } = previous);
        changed();
        c.log.warn(`switch to ${route.model} at ${route.baseUrl} refused: ${probe.reason}`);
        const fix = probe.code === 'unreachable' && PROVIDERS[route.provider].launchable ? { label: `Start ${PROVIDERS[route.provider].displayName} server`, command: COMMANDS.startServer.id, args: [route.provider] }
          : probe.code === 'unauthorized' ? { label: 'Set API Key', command: COMMANDS.setApiKey.id, args: [route.baseUrl] }
          : probe.code === 'loading' ? { label: 'Show server terminal', command: COMMANDS.showServerTerminal.id, args: [route.provider] }
          : { label: 'Show Log', command: COMMANDS.showLog.id };
        return { ok: false, reason: probe.reason, fix };
      }
      const keep = active && active.baseUrl === route.baseUrl && active.model === route.model ? active.codexProfile : undefined;
      active = { ...route, ...(keyVar ? { keyVar } : {}), ...(keep && !route.codexProfile ? { codexProfile: keep } : {}) };
      health = { kind: 'up' };
      lastVerification = undefined;
      await state.update(STATE_KEY, active);
      await state.update(VERIFY_KEY, undefined);
      c.log.info(`active route: ${active.model} at ${active.baseUrl} (answered in ${probe.ms} ms)`);
      changed();
      return { ok: true };
    },
    async clear() {
      switching?.abort();
      active = undefined;
      health = { kind: 'unknown' };
      lastVerification = undefined;
      await state.update(STATE_KEY, undefined);
      await state.update(VERIFY_KEY, undefined);
      changed();
    },
    setHealth(h) {
      health = h;
      changed();
    },
    recordVerification(v) {
      lastVerification = v;
      void state.update(VERIFY_KEY, v);
      health = v.ok ? { kind: 'verified', verification: v } : { kind: 'failing', reason: v.message ?? v.diagnosis ?? 'verification failed', verification: v };
      changed();
    },
    async setCodexProfile(name) {
      if (!active) return;
      active = { ...active, codexProfile: name };
      await state.update(STATE_KEY, active);
      void vscode.commands.executeCommand('setContext', 'localModelRouter.profileWritten', true);
      changed();
    },
  };
}
