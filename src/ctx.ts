// The one small context object passed to every feature: no singletons, no service locator.
import type * as vscode from 'vscode';
import type { ResolvedSettings } from './core/settings/resolve';
import type { Env } from './core/endpoints';
import type { Route, RouteHealth, VerificationSummary } from './core/route';
import type { EndpointProbe } from './core/discovery';
import type { ProviderId } from './core/providers';

export interface Ctx {
  readonly extension: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  /** process.env of the extension host. */
  readonly env: Env;
  /** Typed settings honouring trust and the PRODEX_LOCAL_* mirror (re-read on every call; cheap). */
  settings(): ResolvedSettings;
  readonly routes: RouteStore;
  readonly discovery: DiscoveryService;
  readonly servers: ServerRegistry;
  readonly secrets: KeyStore;
}

export interface RouteStore {
  readonly active: Route | undefined;
  readonly health: RouteHealth;
  /** The last verification of the active route (kept across restarts). */
  readonly lastVerification: VerificationSummary | undefined;
  readonly onDidChange: vscode.Event<void>;
  /** Probes the model (one token) first; keeps the current route and returns the reason on failure. */
  switchTo(route: Route): Promise<{ ok: true } | { ok: false; reason: string; fix?: { label: string; command: string; args?: unknown[] } }>;
  clear(): Promise<void>;
  setHealth(health: RouteHealth): void;
  recordVerification(v: VerificationSummary): void;
  /** Remembers the Codex profile written for the active route. */
  setCodexProfile(name: string): Promise<void>;
}

export interface DiscoveryService {
  readonly latest: readonly EndpointProbe[];
  readonly busy: boolean;
  readonly onDidChange: vscode.Event<void>;
  /** Probes every endpoint; concurrent callers share one run. */
  refresh(reason: string): Promise<readonly EndpointProbe[]>;
}

/** A server the extension started; the launcher fills it, the verifier and status bar read it. */
export interface LaunchedServer {
  provider: ProviderId;
  baseUrl: string;
  state: 'starting' | 'ready' | 'exited' | 'stopped';
  exitCode?: number;
  /** The last lines the server printed (for error reports). */
  recentOutput(lines?: number): string[];
  showTerminal(): void;
}

export interface ServerRegistry {
  get(provider: ProviderId): LaunchedServer | undefined;
  findByBaseUrl(baseUrl: string): LaunchedServer | undefined;
  set(server: LaunchedServer): void;
  delete(provider: ProviderId): void;
  readonly onDidChange: vscode.Event<void>;
}

export interface KeyStore {
  /** The key for an endpoint (SecretStorage); never logged. */
  get(baseUrl: string): Promise<string | undefined>;
  set(baseUrl: string, key: string | undefined): Promise<void>;
}

/** The shape every lazily loaded bundle (dist/lazy/*.js) exports. */
export interface LazyModule {
  commands: Record<string, (ctx: Ctx, ...args: unknown[]) => unknown>;
}
