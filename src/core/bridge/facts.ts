// Where the route bridge listens and how an agent or a person reaches it: the facts the settings
// catalog, the writers, the CLI and the bridge itself share (use.ts decides whether an agent uses it).

import type { BridgeUpstreams } from './decide';

export const BRIDGE_USE_MODES = ['auto', 'always', 'never'] as const;
export type BridgeUseMode = (typeof BRIDGE_USE_MODES)[number];

/**
 * Where the bridge listens unless `bridge.port` says otherwise: a fixed port, so a profile or a
 * settings file written for it keeps working across windows and restarts. Uncommon on purpose
 * (no local server or well-known tool uses it by default).
 */
export const DEFAULT_BRIDGE_PORT = 18088;

/** The base URL an agent is pointed at for a bridge on `port` (Codex's `base_url` wants the `/v1`). */
export function bridgeBaseUrl(port: number): string {
  return `http://127.0.0.1:${port}/v1`;
}

/** What a bridge answers at `GET /bridge`, so a window can tell its own kind of bridge on a taken port from another program. */
export const BRIDGE_IDENTITY_PATH = '/bridge';
export interface BridgeIdentity {
  readonly bridge: 'local-model-router';
  /** The upstream's base URL (loopback callers only: the bridge refuses any other). */
  readonly upstream: string;
}
export function isBridgeIdentity(v: unknown): v is BridgeIdentity {
  return (
    !!v &&
    typeof v === 'object' &&
    (v as BridgeIdentity).bridge === 'local-model-router' &&
    typeof (v as BridgeIdentity).upstream === 'string'
  );
}

/**
 * The command that runs the same bridge outside VS Code (the CLI, `local-model-router bridge`), with
 * each agent's upstream API where it is not the default chat completions.
 */
export function bridgeCommandLine(port: number, upstream: string, keyVar?: string, upstreams: BridgeUpstreams = {}): string {
  const modes = `${upstreams.codex === 'responses' ? ' --upstream-api responses' : ''}${upstreams.claude === 'responses' ? ' --claude-upstream-api responses' : ''}`;
  return `local-model-router bridge --port ${port} --upstream ${upstream}${modes}${keyVar ? ` --api-key-env ${keyVar}` : ''}`;
}
