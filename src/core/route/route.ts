// The active route: which server and model the agent will use.
import type { ProviderId } from '../providers';
import type { ServerKind } from '../serverKind';
import type { TunnelVia } from './endpointReach';
import type { ModelInfo, ProbeResult, ServerInfo } from './discovery';

export interface Route {
  provider: ProviderId;
  /** Normalized, ends with /v1 (or another path the user gave). */
  baseUrl: string;
  model: string;
  /** For generic endpoints: the label the user gave it. */
  endpointLabel?: string;
  /** Through an SSH tunnel this window opened (the base URL is its local end): kept, so a closed tunnel is said as such. */
  via?: TunnelVia;
  serverKind?: ServerKind;
  serverVersion?: string;
  contextWindow?: number;
  tools?: boolean;
  /** Variable holding the key (never the key). */
  keyVar?: string;
  /** Name of the Codex profile written for this route, if any. */
  codexProfile?: string;
}

export type { RouteHealth, VerificationSummary } from './routeHealth';

/** What a route knows about its server, from discovery: the picker sets it, the route store keeps it current. */
export type RouteServerFacts = Pick<Route, 'serverKind' | 'serverVersion' | 'contextWindow' | 'tools'>;

export function serverFacts(server: ServerInfo | undefined, m: Pick<ModelInfo, 'contextWindow' | 'tools'>): RouteServerFacts {
  return {
    ...(server ? { serverKind: server.kind } : {}),
    ...(server?.version ? { serverVersion: server.version } : {}),
    ...(m.contextWindow ? { contextWindow: m.contextWindow } : {}),
    ...(m.tools !== undefined ? { tools: m.tools } : {}),
  };
}

/**
 * The route with its server facts as a discovery probe saw them now: after a restart with another
 * context (or build, or template) the route says what the server says, not what it said when picked.
 * The same route object when nothing changed, or when the probe does not list the model.
 */
export function followServer(route: Route, probe: ProbeResult): Route {
  if (probe.kind !== 'up') return route;
  const m = probe.models.find(x => x.id === route.model);
  if (!m) return route;
  const facts = serverFacts(probe.server, m);
  const keys = ['serverKind', 'serverVersion', 'contextWindow', 'tools'] as const;
  if (keys.every(k => route[k] === facts[k])) return route;
  const { serverKind: _k, serverVersion: _v, contextWindow: _c, tools: _t, ...rest } = route;
  return { ...rest, ...facts };
}

export function routeKey(r: Pick<Route, 'baseUrl' | 'model'>): string {
  return `${r.baseUrl}#${r.model}`;
}

/** "llama.cpp · local/model" shortened for the status bar. */
export function shortRouteLabel(displayName: string, model: string, max = 32): string {
  const m = model.length > max ? `${model.slice(0, max - 1)}…` : model;
  return `${displayName} · ${m}`;
}

export function isRoute(v: unknown): v is Route {
  const r = v as Route;
  return (
    typeof r === 'object' && r !== null && typeof r.provider === 'string' && typeof r.baseUrl === 'string' && typeof r.model === 'string'
  );
}
