// The picker's rows as data: separators per endpoint with its state, one row per model, actions.
import { PROVIDERS, type ProviderId } from './providers';
import { AGENTS, AGENT_IDS, type AgentId } from './agents';
import { describeProbe, type EndpointProbe, type ModelInfo } from './discovery';
import { routeKey, type Route } from './route';
import type { VerificationSummary } from './routeHealth';

export type PickPayload =
  | { kind: 'model'; route: Route }
  | { kind: 'start'; provider: ProviderId }
  | { kind: 'trust' }
  | { kind: 'chooseModel'; provider: ProviderId; baseUrl: string }
  | { kind: 'addEndpoint' }
  | { kind: 'refresh' }
  | { kind: 'setKey'; baseUrl: string; provider: ProviderId };

export type PickerEntry =
  | { kind: 'separator'; label: string }
  | { kind: 'item'; label: string; description?: string; detail?: string; icon: string; payload: PickPayload; active?: boolean };

export interface PickerContext {
  active: Route | undefined;
  launchable: (p: ProviderId) => boolean;
  /** Restricted Mode: nothing is started from here. */
  trusted: boolean;
  verifications: (route: Route) => Partial<Record<AgentId, VerificationSummary>>;
}

/** "context 8,192 — too small for Codex and Claude Code · tools: yes · verified for Codex". */
export function modelDetail(m: ModelInfo, verified: Partial<Record<AgentId, VerificationSummary>> = {}): string {
  const parts: string[] = [];
  if (m.contextWindow) {
    const small = AGENT_IDS.filter(a => m.contextWindow! < AGENTS[a].minContextTokens).map(a => AGENTS[a].displayName);
    parts.push(`context ${m.contextWindow.toLocaleString('en-US')}${small.length ? ` — too small for ${small.join(' and ')}` : ''}`);
  } else parts.push('context unknown');
  parts.push(m.tools === undefined ? 'tools: not reported' : m.tools ? 'tools: yes' : `tools: no${m.toolsWhy ? ` (${m.toolsWhy})` : ''}`);
  const ok = AGENT_IDS.filter(a => verified[a]?.ok).map(a => AGENTS[a].displayName);
  const failed = AGENT_IDS.filter(a => verified[a] && !verified[a]!.ok).map(a => AGENTS[a].displayName);
  if (ok.length) parts.push(`verified for ${ok.join(' and ')}`);
  if (failed.length) parts.push(`failed verification for ${failed.join(' and ')}`);
  return parts.join(' · ');
}

export function buildPickerEntries(probes: readonly EndpointProbe[], c: PickerContext): PickerEntry[] {
  const out: PickerEntry[] = [];
  const activeKey = c.active ? routeKey(c.active) : undefined;
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
        if (!r.models.length) {
          const why = p.provider === 'ollama' ? 'Ollama has no models yet: pull one.' : r.server.kind === 'llamacpp' ? 'llama-server runs without a model (router mode): start it with a .gguf file.' : 'The server lists no models.';
          out.push({ kind: 'item', label: 'No models served — choose one…', description: p.baseUrl, detail: why, icon: 'info', payload: { kind: 'chooseModel', provider: p.provider, baseUrl: p.baseUrl } });
        }
        for (const m of r.models) {
          const route: Route = { provider: p.provider, baseUrl: p.baseUrl, model: m.id, serverKind: r.server.kind, ...(r.server.version ? { serverVersion: r.server.version } : {}), ...(m.contextWindow ? { contextWindow: m.contextWindow } : {}), ...(m.tools !== undefined ? { tools: m.tools } : {}), ...(p.label ? { endpointLabel: p.label } : {}) };
          const isActive = routeKey(route) === activeKey;
          const small = m.contextWindow !== undefined && m.contextWindow < AGENTS.codex.minContextTokens;
          out.push({ kind: 'item', label: m.id, description: `${p.baseUrl}${isActive ? ' · active' : ''}`, detail: modelDetail(m, c.verifications(route)), icon: isActive ? 'pass-filled' : small || m.tools === false ? 'warning' : 'symbol-misc', payload: { kind: 'model', route }, active: isActive });
        }
        break;
      case 'unauthorized':
        out.push({ kind: 'item', label: 'Set API key…', description: p.baseUrl, detail: r.message, icon: 'key', payload: { kind: 'setKey', baseUrl: p.baseUrl, provider: p.provider } });
        break;
      case 'loading':
        out.push({ kind: 'item', label: 'Loading the model… refresh', description: p.baseUrl, detail: r.message, icon: 'loading~spin', payload: { kind: 'refresh' } });
        break;
      default:
        if (c.launchable(p.provider) && !startOffered.has(p.provider) && !upProviders.has(p.provider)) {
          startOffered.add(p.provider);
          out.push(c.trusted
            ? { kind: 'item', label: `Start ${name}…`, description: p.baseUrl, detail: `Not running (${r.message}). Starts it from your settings in a terminal.`, icon: 'play', payload: { kind: 'start', provider: p.provider } }
            : { kind: 'item', label: `${name} is not running`, description: p.baseUrl, detail: 'Restricted Mode: servers are not started from an untrusted workspace. Choose to manage workspace trust.', icon: 'shield', payload: { kind: 'trust' } });
        } else {
          out.push({ kind: 'item', label: describeProbe(r), description: p.baseUrl, detail: r.message, icon: 'circle-slash', payload: { kind: 'refresh' } });
        }
    }
  }
  out.push({ kind: 'separator', label: 'Actions' });
  out.push({ kind: 'item', label: 'Add an OpenAI-compatible endpoint…', icon: 'add', payload: { kind: 'addEndpoint' } });
  out.push({ kind: 'item', label: 'Refresh', icon: 'refresh', payload: { kind: 'refresh' } });
  return out;
}
