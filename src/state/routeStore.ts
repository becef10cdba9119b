// The active route and its health, persisted in workspaceState: each project can use its own model,
// and the choice survives restarts without being written into the repository's settings. The one
// owner of route health: everything else reports events (core/route/routeHealth.ts decides).
import * as vscode from 'vscode';
import type { DiscoveryService, KeyService, PlainHttpConsent, RouteStore } from '../ctx';
import { followServer, isRoute, routeKey, type Route } from '../core/route/route';
import { basisChanges, serverBasis, settingsBasis, type ServerBasis, type VerdictBasis } from '../core/route/verdictBasis';
import type { Settings } from '../core/settings/catalog';
import {
  combineVerifications,
  reduceHealth,
  type DiscoveredState,
  type HealthEvent,
  type RouteHealth,
  type VerificationSummary,
} from '../core/route/routeHealth';
import type { ModelProbe, probeModelAnswers } from '../core/route/probeModel';

/** What the log says of the API a picked model answered on. */
const PROBE_API_NOTES: Record<Extract<ModelProbe, { ok: true }>['api'], string> = {
  responses: '',
  messages: ' on the Messages API only: Claude Code can use it, Codex only through the route bridge',
  chat: ' on chat completions only: Codex and Claude Code can use it through the route bridge',
};
import { isAgentId, type AgentId } from '../core/agents';
import type { ResolvedSettings } from '../core/settings/resolve';

const STATE_KEY = 'localModelRouter.activeRoute';
const VERIFY_KEY = 'localModelRouter.verifications';
/** Verifications of routes not in use are kept for this many routes (the most recent ones). */
const KEEP_ROUTES = 24;

type Verifications = Record<string, Partial<Record<AgentId, VerificationSummary>>>;

export interface RouteStoreDeps {
  state: vscode.Memento;
  log: vscode.LogOutputChannel;
  settings(): ResolvedSettings;
  /** A setting that changes a verdict (core/route/verdictBasis.ts) makes it out of date, and changing it back makes it hold again. */
  onDidChangeSettings?: vscode.Event<unknown>;
  keys: Pick<KeyService, 'resolve'>;
  discovery: Pick<DiscoveryService, 'latest' | 'busy' | 'onDidChange'>;
  /** Asked before the probe's prompt (and key) goes to another host over plain http. */
  plainHttp: Pick<PlainHttpConsent, 'confirm'>;
  /** The one-token probe a switch makes (core/route/probeModel.ts; its code loads on the first switch). */
  probe: typeof probeModelAnswers;
}

function readVerifications(state: vscode.Memento): Verifications {
  const v = state.get<unknown>(VERIFY_KEY);
  if (typeof v !== 'object' || v === null) return {};
  const out: Verifications = {};
  for (const [k, per] of Object.entries(v as Record<string, unknown>)) {
    if (typeof per !== 'object' || per === null) continue;
    const agents: Partial<Record<AgentId, VerificationSummary>> = {};
    for (const [a, s] of Object.entries(per as Record<string, unknown>)) {
      if (isAgentId(a) && typeof (s as VerificationSummary)?.ok === 'boolean' && typeof (s as VerificationSummary)?.at === 'number')
        agents[a] = s as VerificationSummary;
    }
    out[k] = agents;
  }
  return out;
}

/** What a route's stored verifications (one per agent) say together; undefined when none. */
function newest(v: Partial<Record<AgentId, VerificationSummary>> | undefined): VerificationSummary | undefined {
  const all = Object.values(v ?? {});
  return all.length ? combineVerifications(all) : undefined;
}

export function createRouteStore(deps: RouteStoreDeps, subscriptions: vscode.Disposable[]): RouteStore {
  const { state, log } = deps;
  const emitter = new vscode.EventEmitter<void>();
  subscriptions.push(emitter);
  const stored = state.get<unknown>(STATE_KEY);
  let active: Route | undefined = isRoute(stored) ? stored : undefined;
  let verifications = readVerifications(state);
  let health: RouteHealth = { kind: 'unknown' };
  let nextRun = 1;
  let switching: AbortController | undefined;
  /** What each running verification rests on, taken when it starts (the server may change while it runs). */
  const bases = new Map<number, { server?: ServerBasis; settings: Settings }>();

  const probeOf = (route: Route) => deps.discovery.latest.find(p => p.baseUrl === route.baseUrl);
  /** The basis a verdict of `agent` on `route` would have now: the server as last discovered, the settings now. */
  const basisNow = (route: Route, agent: AgentId): VerdictBasis => {
    const server = serverBasis(probeOf(route)?.result, route.model);
    return { ...(server ? { server } : {}), settings: settingsBasis(agent, deps.settings().values) };
  };
  const changesOf = (route: Route, agent: AgentId, v: VerificationSummary) => basisChanges(v.basis, basisNow(route, agent));
  /** The kept verdicts that still hold for the route's server and the settings now. */
  const holding = (route: Route | undefined) => {
    const all = route ? (verifications[routeKey(route)] ?? {}) : {};
    return Object.fromEntries(Object.entries(all).filter(([a, v]) => route && v && !changesOf(route, a as AgentId, v).length)) as Partial<
      Record<AgentId, VerificationSummary>
    >;
  };

  const dispatch = (e: HealthEvent) => {
    const next = reduceHealth(health, e);
    if (next === health) return;
    health = next;
    emitter.fire();
  };
  const verificationsOf = (route: Route | undefined) => (route ? (verifications[routeKey(route)] ?? {}) : {});
  const outdatedOf = (route: Route | undefined) => {
    const out: Partial<Record<AgentId, string[]>> = {};
    if (!route) return out;
    for (const [a, v] of Object.entries(verificationsOf(route))) {
      const c = v ? changesOf(route, a as AgentId, v) : [];
      if (c.length) out[a as AgentId] = c;
    }
    return out;
  };
  const saveVerifications = async () => {
    const keys = Object.keys(verifications);
    if (keys.length > KEEP_ROUTES) {
      const order = keys.map(k => ({ k, at: newest(verifications[k])?.at ?? 0 })).sort((a, b) => b.at - a.at);
      const keep = new Set(order.slice(0, KEEP_ROUTES).map(o => o.k));
      if (active) keep.add(routeKey(active));
      verifications = Object.fromEntries(Object.entries(verifications).filter(([k]) => keep.has(k)));
    }
    await state.update(VERIFY_KEY, verifications);
  };

  // The active route follows discovery unless a check is running (the reducer decides its health):
  // its facts are the server's as it is now, and a kept verdict counts only while it holds for them.
  const followDiscovery = () => {
    if (!active || deps.discovery.busy) return;
    const probe = probeOf(active);
    // A tunnel's endpoint is probed only while the tunnel is open: once closed (Disconnect, a reload), the route is down.
    if (!probe && active.via)
      return dispatch({
        type: 'discovered',
        state: { kind: 'down', reason: `the SSH tunnel to ${active.via.host} is closed` },
        verification: newest(holding(active)),
      });
    if (!probe) return;
    const r = probe.result;
    const followed = followServer(active, r);
    if (followed !== active) {
      log.info(
        `active route: the server now reports ${followed.contextWindow ?? 'no'} context tokens, tools ${followed.tools ?? 'unknown'}, ${followed.serverVersion ?? 'no version'}`,
      );
      active = followed;
      void state.update(STATE_KEY, active);
      emitter.fire();
    }
    const route = active;
    const d: DiscoveredState =
      r.kind === 'up'
        ? r.models.some(m => m.id === route.model)
          ? { kind: 'listed' }
          : { kind: 'not-listed', model: route.model }
        : r.kind === 'loading'
          ? { kind: 'loading' }
          : { kind: 'down', reason: r.message };
    dispatch({ type: 'discovered', state: d, verification: newest(holding(route)) });
  };
  subscriptions.push(deps.discovery.onDidChange(followDiscovery));
  if (deps.onDidChangeSettings)
    subscriptions.push(
      deps.onDidChangeSettings(() => {
        followDiscovery();
        // The tooltip says which verdicts a setting made out of date.
        emitter.fire();
      }),
    );

  return {
    get active() {
      return active;
    },
    get health() {
      return health;
    },
    verificationsOf,
    outdatedOf,
    holdingOf: holding,
    onDidChange: emitter.event,
    async switchTo(route, o = {}) {
      const consent = await deps.plainHttp.confirm(route.baseUrl, {
        provider: route.provider,
        ...(o.plainHttp ? { answer: o.plainHttp } : {}),
      });
      if (consent.kind === 'declined' || consent.kind === 'tunnel') return { ok: false, consent: consent.kind };
      // A newer pick cancels the probe of an older one.
      switching?.abort();
      const abort = (switching = new AbortController());
      const runId = nextRun++;
      dispatch({ type: 'switch-started', runId });
      const { apiKey, keyVar } = await deps.keys.resolve(route.provider, route.baseUrl);
      const probe = await deps.probe(route.baseUrl, route.model, {
        apiKey,
        signal: abort.signal,
        timeoutMs: deps.settings().values['verify.timeoutMs'],
        serverKind: route.serverKind,
      });
      if (switching === abort) switching = undefined;
      if (!probe.ok) {
        dispatch({ type: 'switch-failed', runId });
        if (probe.cancelled) return { ok: false, diagnosis: { code: 'server-error', message: 'Superseded by a newer choice.', fix: null } };
        log.warn(`switch to ${route.model} at ${route.baseUrl} refused: ${probe.diagnosis.code}: ${probe.diagnosis.message}`);
        return { ok: false, diagnosis: probe.diagnosis };
      }
      const keep = active && routeKey(active) === routeKey(route) ? active.codexProfile : undefined;
      const { keyVar: _old, ...rest } = route;
      active = { ...rest, ...(keyVar ? { keyVar } : {}), ...(keep && !route.codexProfile ? { codexProfile: keep } : {}) };
      await state.update(STATE_KEY, active);
      log.info(`active route: ${active.model} at ${active.baseUrl} (answered in ${probe.ms} ms${PROBE_API_NOTES[probe.api]})`);
      dispatch({ type: 'switch-succeeded', runId, verification: newest(holding(active)) });
      emitter.fire();
      return { ok: true };
    },
    async clear() {
      switching?.abort();
      active = undefined;
      await state.update(STATE_KEY, undefined);
      dispatch({ type: 'cleared' });
      emitter.fire();
    },
    verificationStarted(route) {
      const runId = nextRun++;
      const server = serverBasis(probeOf(route)?.result, route.model);
      bases.set(runId, { ...(server ? { server } : {}), settings: deps.settings().values });
      if (active && routeKey(active) === routeKey(route)) dispatch({ type: 'verify-started', runId });
      return runId;
    },
    verificationFinished(runId, route, summaries) {
      const basis = bases.get(runId);
      bases.delete(runId);
      if (!summaries.length) return;
      const key = routeKey(route);
      const per = { ...verifications[key] };
      for (const s of summaries) {
        const agent = s.agent ?? 'codex';
        per[agent] = basis
          ? { ...s, basis: { ...(basis.server ? { server: basis.server } : {}), settings: settingsBasis(agent, basis.settings) } }
          : s;
      }
      verifications = { ...verifications, [key]: per };
      void saveVerifications();
      dispatch({ type: 'verify-finished', runId, verification: combineVerifications(summaries.map(x => per[x.agent ?? 'codex'] ?? x)) });
      emitter.fire();
    },
    verificationCancelled(runId) {
      bases.delete(runId);
      dispatch({ type: 'verify-cancelled', runId });
    },
    async setCodexProfile(name) {
      if (!active) return;
      active = { ...active, codexProfile: name };
      await state.update(STATE_KEY, active);
      emitter.fire();
    },
  };
}
