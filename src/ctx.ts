// The one small context object features receive: no singletons, no service locator. Services under
// src/state/ are built from the few things they use, not from this object.
import type * as vscode from 'vscode';
import type { ResolvedSettings } from './core/settings/resolve';
import type { SettingGroup, SettingKey, SettingValue } from './core/settings/catalog';
import type { Env, ResolvedKey } from './core/endpoints';
import type { Route } from './core/route/route';
import type { RouteHealth, VerificationSummary } from './core/route/routeHealth';
import type { EndpointProbe } from './core/route/discovery';
import type { ProviderId } from './core/providers';
import type { LaunchProvider } from './core/servers';
import type { AgentId } from './core/agents';
import type { Diagnosis } from './core/verify/types';
import type { TunnelState } from './core/tunnel/supervisor';
import type { RecordVerdict, ServerRecord } from './core/launch/serverRecords';
import type { ProcessIdentity } from './core/launch/processIdentity';
import type { LaunchedState } from './core/launch/process';
import type { PlainHttpDecision } from './core/endpoints';
import type { probeModelAnswers } from './core/route/probeModel';

export interface Ctx {
  readonly extension: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  /** process.env of the extension host. */
  readonly env: Env;
  /** Typed settings honouring trust and the PRODEX_LOCAL_* mirror (cached; cheap). */
  settings(): ResolvedSettings;
  /** Fires after the settings cache is renewed, so a listener always reads the new values. */
  readonly onDidChangeSettings: vscode.Event<SettingsChange>;
  /** Writes and the Settings editor, by the layers VS Code applies in this window. */
  readonly settingsStore: SettingsStore;
  readonly routes: RouteStore;
  readonly discovery: DiscoveryService;
  readonly servers: ServerRegistry;
  readonly tunnels: TunnelRegistry;
  readonly keys: KeyService;
  readonly plainHttp: PlainHttpConsent;
  readonly remembered: RememberedAnswers;
  readonly serverRecords: ServerRecords;
  readonly reviews: Reviews;
}

export type ReviewChoice = 'apply' | 'cancel';

/** Diffs waiting for Apply or Cancel (state/reviews.ts): the title-bar actions answer them. */
export interface Reviews {
  /** A review starts; `decided` settles when its Apply or Cancel action is used, or with 'cancel' at `end()`. */
  begin(): { id: string; decided: Promise<ReviewChoice>; end(): void };
  /** Answers the review of the diff at `uri` (the latest when absent); false when none is open. */
  answer(choice: ReviewChoice, uri?: vscode.Uri): boolean;
}

/** Records of the servers this extension started, seen by every window on this machine (state/serverRecords.ts). */
export interface ServerRecords {
  /** This extension host, as records name their owner (undefined where its start time cannot be read). */
  readonly self: (ProcessIdentity & { workspace?: string }) | undefined;
  /** A fresh file for a server's output. */
  newLogFile(provider: LaunchProvider): string;
  save(record: ServerRecord): void;
  /** Forgets a server that ended, and its log. */
  remove(record: ServerRecord): void;
  /** Deletes the log of a server that had no record. */
  discardLog(file: string): void;
  all(): ServerRecord[];
  /** What this window does with a record (core/launch/serverRecords.ts judgeRecord). */
  judge(record: ServerRecord): RecordVerdict;
  /** Whether this window still owns the server (no other window took it over since). */
  ownedHere(record: ServerRecord): boolean;
}

/** Answers given once and not asked again (state/rememberedAnswers.ts). Paths are absolute. */
export interface RememberedAnswers {
  /** "No" to trusting this folder in Codex (this workspace). */
  codexTrustDeclined(folder: string): boolean;
  declineCodexTrust(folder: string): Thenable<void>;
  /** "No" to setting oss_provider in this Codex home (every workspace). */
  codexOssDeclined(codexHome: string): boolean;
  declineCodexOss(codexHome: string): Thenable<void>;
  /** The walkthrough opened by itself once for this user. */
  walkthroughOpened(): boolean;
  markWalkthroughOpened(): Thenable<void>;
}

/** What changed, by the catalog's own keys. */
export interface SettingsChange {
  /** Workspace trust was granted: workspace values of restricted settings now apply. */
  readonly trust: boolean;
  /** Whether one of these settings, or a setting of one of these groups ('llamacpp'), changed. */
  affects(...keys: readonly (SettingKey | SettingGroup)[]): boolean;
}

/** The one write path for settings (state/settings.ts); core/settings/layers.ts decides where. */
export interface SettingsStore {
  /**
   * Writes a setting where it takes effect in this window: the workspace layer its value in effect
   * comes from, else the user level (VS Code puts a machine-scoped value in the remote machine's
   * settings in a remote window). `level: 'user'` writes the user level whatever the workspace
   * says. `undefined` removes the value there.
   */
  update<K extends SettingKey>(key: K, value: SettingValue<K> | undefined, o?: { level?: 'user' }): Promise<void>;
  /** The user-level value VS Code applies in this window (this machine's or the remote machine's). */
  userValue<K extends SettingKey>(key: K): SettingValue<K> | undefined;
  /** Opens the Settings editor on the tab where the setting is applied and can be changed, showing it. */
  open(key: SettingKey): Promise<void>;
  /** Opens the Settings editor on every setting of the extension (one group's when given). */
  openSection(group?: SettingGroup): Promise<void>;
  /** A VS Code setting that is not the extension's, as it applies in this window (read only). */
  vscodeSetting(key: string): unknown;
}

export type SwitchResult =
  | { ok: true }
  | { ok: false; diagnosis: Diagnosis }
  /** Plain http to another host, and the person said no (or chose a tunnel instead): nothing was sent. */
  | { ok: false; consent: 'declined' | 'tunnel' };

/** The answer to "send over plain http?", given in advance by tests and scripted callers. */
export type PlainHttpAnswer = 'send' | 'cancel' | 'tunnel';

export type ConsentOutcome =
  | { kind: 'send'; asked: boolean }
  | { kind: 'declined' }
  /** The person chose "Use an SSH Tunnel Instead…": the Connect command is open. */
  | { kind: 'tunnel' }
  | { kind: 'invalid'; error: string };

/**
 * Plain http to another host: asks once per base URL before a key or a prompt goes there (the
 * approvals are kept in globalState). Loopback and https URLs never ask.
 */
export interface PlainHttpConsent {
  /** Without asking: may a key or a prompt go there now? */
  decide(baseUrl: string): PlainHttpDecision;
  /** Asks when needed; `provider` lets "Use an SSH Tunnel Instead…" suggest what runs there. */
  confirm(baseUrl: string, o?: { answer?: PlainHttpAnswer; provider?: ProviderId }): Promise<ConsentOutcome>;
}

export interface RouteStore {
  readonly active: Route | undefined;
  readonly health: RouteHealth;
  /** The last verification of the active route, per agent (kept across switches and restarts). */
  verificationsOf(route: Route | undefined): Partial<Record<AgentId, VerificationSummary>>;
  /** Per agent, what changed since its kept verdict was reached (empty: it still holds; core/route/verdictBasis.ts). */
  outdatedOf(route: Route | undefined): Partial<Record<AgentId, string[]>>;
  /** The kept verdicts that still hold for the route's server as last discovered and the settings now. */
  holdingOf(route: Route | undefined): Partial<Record<AgentId, VerificationSummary>>;
  readonly onDidChange: vscode.Event<void>;
  /** Probes the model (one token) first; keeps the current route and says why on failure. */
  switchTo(route: Route, o?: { plainHttp?: PlainHttpAnswer }): Promise<SwitchResult>;
  clear(): Promise<void>;
  /** A verification of `route` starts; returns the run id to report its end with. */
  verificationStarted(route: Route): number;
  /** One summary per agent checked in the run; health follows them together (routeHealth.ts combineVerifications). */
  verificationFinished(runId: number, route: Route, summaries: readonly VerificationSummary[]): void;
  verificationCancelled(runId: number): void;
  /** Remembers the Codex profile written for the active route. */
  setCodexProfile(name: string): Promise<void>;
}

export interface DiscoveryService {
  readonly latest: readonly EndpointProbe[];
  readonly busy: boolean;
  /** True once a round has finished. */
  readonly ran: boolean;
  readonly onDidChange: vscode.Event<void>;
  /** Probes every endpoint; concurrent callers share one run. */
  refresh(reason: string): Promise<readonly EndpointProbe[]>;
}

/** A server the extension started; the launcher owns it, the verifier and status bar read it. */
export interface LaunchedServer {
  readonly provider: LaunchProvider;
  readonly baseUrl: string;
  readonly state: LaunchedState;
  readonly exitCode?: number;
  readonly onDidChange: vscode.Event<void>;
  /** The last lines the server printed (for error reports). */
  recentOutput(lines?: number): string[];
  /** A position in its output; `outputSince` returns the last lines printed after it. */
  outputMark(): number;
  outputSince(mark: number, lines?: number): string[];
  showTerminal(): void;
  /** Stops it now (SIGTERM, SIGKILL after a grace): the window is closing. */
  terminateNow(): Promise<void>;
}

export interface ServerRegistry {
  get(provider: ProviderId): LaunchedServer | undefined;
  findByBaseUrl(baseUrl: string): LaunchedServer | undefined;
  all(): LaunchedServer[];
  add(server: LaunchedServer): void;
  readonly onDidChange: vscode.Event<void>;
}

/** An SSH tunnel this window opened; the tunnel feature owns it, discovery, the picker and the status bar read it. */
export interface OpenTunnel {
  readonly provider: ProviderId;
  /** `user@host` or `host`. */
  readonly destination: string;
  readonly remotePort: number;
  /** http://127.0.0.1:<local>/v1 */
  readonly localBaseUrl: string;
  readonly state: TunnelState;
  readonly pid: number | undefined;
  readonly onDidChange: vscode.Event<void>;
  showTerminal(): void;
  /** Stops ssh and any pending restart; the tunnel then leaves the registry. */
  stop(graceMs?: number): Promise<void>;
}

export interface TunnelRegistry {
  all(): OpenTunnel[];
  findByBaseUrl(baseUrl: string): OpenTunnel | undefined;
  add(tunnel: OpenTunnel): void;
  remove(tunnel: OpenTunnel): void;
  readonly onDidChange: vscode.Event<void>;
}

export interface KeyService {
  /** The key for an endpoint by the one precedence (core/endpoints.ts resolveApiKey); never logged. */
  resolve(provider: ProviderId, baseUrl: string): Promise<ResolvedKey>;
  /** The key stored for an endpoint (SecretStorage). */
  stored(baseUrl: string): Promise<string | undefined>;
  store(baseUrl: string, key: string | undefined): Promise<void>;
}

/** The shape every lazily loaded bundle (dist/lazy/*.js) exports. */
export interface LazyModule {
  commands: Record<string, (ctx: Ctx, ...args: unknown[]) => unknown>;
}

/** dist/lazy/route.js also holds the probe a route switch makes (the route store asks for it then). */
export interface RouteLazyModule extends LazyModule {
  probeModelAnswers: typeof probeModelAnswers;
}
