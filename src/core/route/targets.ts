// Which endpoints discovery probes, from settings and the environment.
import { resolveEndpoint, type Env } from '../endpoints';
import { PROVIDERS, PROVIDER_IDS, type ProviderId } from '../providers';
import { SERVER_SPECS, isLaunchProvider, listenAddress } from '../servers';
import type { DiscoveryTarget } from './discovery';
import type { ResolvedSettings } from '../settings/resolve';

export interface GenericEndpoint {
  label?: string;
  baseUrl: string;
}

export interface TargetsResult {
  targets: DiscoveryTarget[];
  /** Base URLs that could not be used, with why (shown in the picker and the log). */
  problems: string[];
}

/** Keys here come from variables only; the extension adds stored keys (SecretStorage) afterwards. */
export function discoveryTargets(settings: Pick<ResolvedSettings, 'values' | 'origin'>, env: Env): TargetsResult {
  const s = settings.values;
  const targets: DiscoveryTarget[] = [];
  const problems: string[] = [];
  for (const provider of PROVIDER_IDS) {
    const listen = isLaunchProvider(provider) ? listenAddress(provider, s, env) : undefined;
    const listenChanged = isLaunchProvider(provider) && SERVER_SPECS[provider].listenSettings.some(k => settings.origin[k] !== 'default');
    const r = resolveEndpoint({
      provider,
      settingBaseUrl: s[`${provider}.baseUrl`],
      env,
      listenBaseUrl: listenChanged ? listen?.baseUrl : undefined,
      defaultBaseUrl: listen?.baseUrl,
    });
    if (!r.ok) {
      if (provider !== 'openaiCompatible' || r.source !== 'default') problems.push(r.error);
      continue;
    }
    const key = r.endpoint.apiKey;
    targets.push({ provider, baseUrl: r.endpoint.baseUrl, source: r.endpoint.source, ...(key ? { apiKey: key } : {}) });
    // llama-server's own default port is worth a look only when nothing more specific was configured.
    const own = PROVIDERS[provider].ownDefaultPort;
    if (
      provider === 'llamacpp' &&
      r.endpoint.source === 'default' &&
      s['discovery.probeLlamaServerDefaultPort'] &&
      own &&
      listen?.port !== own
    ) {
      targets.push({ provider, baseUrl: `http://127.0.0.1:${own}/v1`, source: 'default', ...(key ? { apiKey: key } : {}) });
    }
  }
  for (const raw of s['openaiCompatible.endpoints'] as unknown[]) {
    const e = raw as Partial<GenericEndpoint>;
    if (typeof e?.baseUrl !== 'string') {
      problems.push(`openaiCompatible.endpoints: an entry has no "baseUrl": ${JSON.stringify(raw)}`);
      continue;
    }
    const r = resolveEndpoint({ provider: 'openaiCompatible', settingBaseUrl: e.baseUrl, env: {} });
    if (!r.ok) {
      problems.push(`openaiCompatible.endpoints "${e.label ?? e.baseUrl}": ${r.error}`);
      continue;
    }
    targets.push({ provider: 'openaiCompatible', baseUrl: r.endpoint.baseUrl, source: 'extra', ...(e.label ? { label: e.label } : {}) });
  }
  return { targets, problems };
}

/** An SSH tunnel this window opened, as discovery needs it. */
export interface TunnelEndpoint {
  provider: ProviderId;
  /** The tunnel's local end: http://127.0.0.1:<local>/v1. */
  localBaseUrl: string;
  /** `user@host` or `host`. */
  destination: string;
  remotePort: number;
}

/** "gpu-box (ssh)": how a tunnel's endpoint is labelled in the picker, the status bar and the CLI. */
export function tunnelLabel(destination: string): string {
  return `${destination} (ssh)`;
}

/**
 * The targets plus one per tunnel. A tunnel replaces a target with the same base URL: when no local
 * Ollama runs, a tunnel to a remote one takes the free 127.0.0.1:11434, and what answers there is
 * the remote server, not the local default.
 */
export function withTunnelTargets(targets: readonly DiscoveryTarget[], tunnels: readonly TunnelEndpoint[]): DiscoveryTarget[] {
  const mine = new Set(tunnels.map(t => t.localBaseUrl));
  return [
    ...targets.filter(t => !mine.has(t.baseUrl)),
    ...tunnels.map((t): DiscoveryTarget => ({
      provider: t.provider,
      baseUrl: t.localBaseUrl,
      source: 'tunnel',
      label: tunnelLabel(t.destination),
      via: { kind: 'ssh', host: t.destination, remotePort: t.remotePort },
    })),
  ];
}
