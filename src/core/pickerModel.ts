// The picker's rows as data: separators per endpoint with its state, one row per model, actions.
import { PROVIDERS, type ProviderId } from './providers';
import { describeProbe, type EndpointProbe, type ModelInfo } from './discovery';
import { routeKey, type Route } from './route';

export type PickPayload =
  | { kind: 'model'; route: Route }
  | { kind: 'start'; provider: ProviderId }
  | { kind: 'addEndpoint' }
  | { kind: 'refresh' }
  | { kind: 'setKey'; baseUrl: string };

export type PickerEntry =
  | { kind: 'separator'; label: string }
  | { kind: 'item'; label: string; description?: string; detail?: string; icon: string; payload: PickPayload; active?: boolean };

export const CODEX_MIN_CONTEXT = 16384;

export function modelDetail(m: ModelInfo): string {
  const parts: string[] = [];
  if (m.contextWindow) parts.push(`context ${m.contextWindow.toLocaleString('en-US')}${m.contextWindow < CODEX_MIN_CONTEXT ? ' — too small for Codex' : ''}`);
  else parts.push('context unknown');
  parts.push(m.tools === undefined ? 'tools: not reported' : m.tools ? 'tools: yes' : 'tools: no');
  return parts.join(' · ');
}

export function buildPickerEntries(probes: readonly EndpointProbe[], active: Route | undefined, opts: { launchable: (p: ProviderId) => boolean }): PickerEntry[] {
  const out: PickerEntry[] = [];
  const activeKey = active ? routeKey(active) : undefined;
  const startOffered = new Set<ProviderId>();
  // Providers with a live endpoint (up or loading): their unused fallback ports and Start actions are noise.
  const upProviders = new Set(probes.filter(p => p.result.kind === 'up' || p.result.kind === 'loading').map(p => p.provider));
  for (const p of probes) {
    const name = p.label ?? PROVIDERS[p.provider].displayName;
    if (p.result.kind === 'down' && p.source === 'default' && upProviders.has(p.provider)) continue;
    out.push({ kind: 'separator', label: `${name} — ${describeProbe(p.result)}` });
    const r = p.result;
    switch (r.kind) {
      case 'up':
        if (!r.models.length) out.push({ kind: 'item', label: 'No models served', description: p.baseUrl, detail: p.provider === 'ollama' ? 'Pull one with `ollama pull <model>` or Start Server with a model set.' : undefined, icon: 'info', payload: { kind: 'refresh' } });
        for (const m of r.models) {
          const route: Route = { provider: p.provider, baseUrl: p.baseUrl, model: m.id, serverKind: r.server.kind, ...(r.server.version ? { serverVersion: r.server.version } : {}), ...(m.contextWindow ? { contextWindow: m.contextWindow } : {}), ...(m.tools !== undefined ? { tools: m.tools } : {}), ...(p.label ? { endpointLabel: p.label } : {}) };
          const isActive = routeKey(route) === activeKey;
          out.push({ kind: 'item', label: m.id, description: `${p.baseUrl}${isActive ? ' · active' : ''}`, detail: modelDetail(m), icon: isActive ? 'pass-filled' : m.contextWindow && m.contextWindow < CODEX_MIN_CONTEXT ? 'warning' : 'symbol-misc', payload: { kind: 'model', route }, active: isActive });
        }
        break;
      case 'unauthorized':
        out.push({ kind: 'item', label: 'Set API key…', description: p.baseUrl, detail: r.message, icon: 'key', payload: { kind: 'setKey', baseUrl: p.baseUrl } });
        break;
      case 'loading':
        out.push({ kind: 'item', label: 'Loading model… refresh', description: p.baseUrl, detail: r.message, icon: 'loading~spin', payload: { kind: 'refresh' } });
        break;
      default:
        if (opts.launchable(p.provider) && !startOffered.has(p.provider) && !upProviders.has(p.provider)) {
          startOffered.add(p.provider);
          out.push({ kind: 'item', label: `Start ${name} server…`, description: p.baseUrl, detail: r.message, icon: 'play', payload: { kind: 'start', provider: p.provider } });
        } else {
          out.push({ kind: 'item', label: `${describeProbe(r)}: ${r.message}`, description: p.baseUrl, icon: 'circle-slash', payload: { kind: 'refresh' } });
        }
    }
  }
  out.push({ kind: 'separator', label: 'Actions' });
  out.push({ kind: 'item', label: 'Add an OpenAI-compatible endpoint…', icon: 'add', payload: { kind: 'addEndpoint' } });
  out.push({ kind: 'item', label: 'Refresh', icon: 'refresh', payload: { kind: 'refresh' } });
  return out;
}
