// Which endpoints discovery probes, from settings and the environment.
import { resolveEndpoint, type Env } from './endpoints';
import { PROVIDERS, PROVIDER_IDS } from './providers';
import { SERVER_SPECS, isLaunchProvider, listenAddress } from './servers';
import type { DiscoveryTarget } from './discovery';
import type { ResolvedSettings } from './settings/resolve';

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
    const r = resolveEndpoint({ provider, settingBaseUrl: s[`${provider}.baseUrl`], env, listenBaseUrl: listenChanged ? listen?.baseUrl : undefined, defaultBaseUrl: listen?.baseUrl });
    if (!r.ok) {
      if (provider !== 'openaiCompatible' || r.source !== 'default') problems.push(r.error);
      continue;
    }
    const key = r.endpoint.apiKey;
    targets.push({ provider, baseUrl: r.endpoint.baseUrl, source: r.endpoint.source, ...(key ? { apiKey: key } : {}) });
    // llama-server's own default port is worth a look only when nothing more specific was configured.
    const own = PROVIDERS[provider].ownDefaultPort;
    if (provider === 'llamacpp' && r.endpoint.source === 'default' && s['discovery.probeLlamaServerDefaultPort'] && own && listen?.port !== own) {
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
