// The active route: which server and model the agent will use.
import type { ProviderId } from './providers';
import type { ServerKind } from './serverKind';
import type { TunnelVia } from './endpointReach';

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
