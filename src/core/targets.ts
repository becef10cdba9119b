// Which endpoints discovery probes, from settings and the environment.
import { resolveEndpoint, type Env } from './endpoints';
import { PROVIDERS, PROVIDER_IDS } from './providers';
import type { DiscoveryTarget } from './discovery';
import type { Settings } from './settings/catalog';

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
export function discoveryTargets(settings: Settings, env: Env): TargetsResult {
  const targets: DiscoveryTarget[] = [];
  const problems: string[] = [];
  for (const provider of PROVIDER_IDS) {
    const defaults = PROVIDERS[provider].defaultBaseUrls({ llamacppPort: settings['llamacpp.port'], llamacppHost: settings['llamacpp.host'] });
    const primaryDefault = defaults[0];
    const r = resolveEndpoint({ provider, settingBaseUrl: settings[`${provider}.baseUrl`], env, defaultBaseUrl: primaryDefault });
    if (!r.ok) {
      if (provider !== 'openaiCompatible' || r.source !== 'default') problems.push(r.error);
    } else {
      const key = r.endpoint.apiKey;
      targets.push({ provider, baseUrl: r.endpoint.baseUrl, source: r.endpoint.source, ...(key ? { apiKey: key } : {}) });
      // llama-server's own default port is worth a look only when nothing more specific was configured.
      if (provider === 'llamacpp' && r.endpoint.source === 'default' && settings['discovery.probeLlamaServerDefaultPort']) {
        for (const url of defaults.slice(1)) targets.push({ provider, baseUrl: url, source: 'default', ...(key ? { apiKey: key } : {}) });
      }
    }
  }
  for (const raw of settings['openaiCompatible.endpoints'] as unknown[]) {
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
