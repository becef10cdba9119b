// The picker's rows as data: separators per endpoint with its state, one row per model, actions.
import { PROVIDERS, type ProviderId } from '../providers';
import { AGENTS, AGENT_IDS, type AgentId } from '../agents';
import { describeProbe, type EndpointProbe, type ModelInfo } from './discovery';
import { routeKey, serverFacts, type Route } from './route';
import type { VerificationSummary } from './routeHealth';
import { describeReach, endpointReach } from './endpointReach';
import type { DefaultModelChoice } from './defaultModel';
import { displayLabel, DISPLAY_LIMITS } from '../text/sanitize';

export type PickPayload =
  | { kind: 'model'; route: Route }
  | { kind: 'start'; provider: ProviderId }
  | { kind: 'trust' }
  | { kind: 'chooseModel'; provider: ProviderId; baseUrl: string }
  | { kind: 'addEndpoint' }
  | { kind: 'refresh' }
  | { kind: 'setKey'; baseUrl: string; provider: ProviderId }
  /** The model chooseDefaultModel proposes for an Ollama endpoint: pulled first when missing, then the route. */
  | { kind: 'recommended'; provider: ProviderId; baseUrl: string; model: string; mustPull: boolean }
  /** A key exists for a plain-http URL on another host, but was not sent: ask the person. */
  | { kind: 'allowPlainHttp'; baseUrl: string; provider: ProviderId }
  | { kind: 'connectSsh' };

export type PickerEntry =
  | { kind: 'separator'; label: string }
  | { kind: 'item'; label: string; description?: string; detail?: string; icon: string; payload: PickPayload; active?: boolean };

export interface PickerContext {
  active: Route | undefined;
  launchable: (p: ProviderId) => boolean;
  /** Restricted Mode: nothing is started from here. */
  trusted: boolean;
  verifications: (route: Route) => Partial<Record<AgentId, VerificationSummary>>;
  /** Per Ollama base URL, the model to propose while no route is chosen (absent: none yet). */
  recommendations?: ReadonlyMap<string, DefaultModelChoice>;
}

/** The route a model row stands for. */
export function routeFor(p: EndpointProbe, m: ModelInfo): Route {
  const server = p.result.kind === 'up' ? p.result.server : undefined;
  return {
    provider: p.provider,
    baseUrl: p.baseUrl,
    model: m.id,
    ...serverFacts(server, m),
    ...(p.label ? { endpointLabel: p.label } : {}),
    ...(p.via ? { via: p.via } : {}),
  };
}

/** The row proposing a model for an Ollama endpoint, with why it was chosen and whether it must be pulled. */
export function recommendationEntry(p: EndpointProbe, choice: DefaultModelChoice): PickerEntry {
  return shown(recommendationRow(p, choice));
}

/**
 * A row as the picker shows it: model ids, server names and messages come from servers, so every
 * text goes through the one sanitizer (control and bidi characters escaped, icon syntax escaped,
 * long values cut). The payload keeps the exact values.
 */
function shown(e: PickerEntry): PickerEntry {
  if (e.kind === 'separator') return { ...e, label: displayLabel(e.label) };
  return {
    ...e,
    label: displayLabel(e.label),
    ...(e.description !== undefined ? { description: displayLabel(e.description, DISPLAY_LIMITS.message) } : {}),
    ...(e.detail !== undefined ? { detail: displayLabel(e.detail, DISPLAY_LIMITS.message) } : {}),
  };
}

function recommendationRow(p: EndpointProbe, choice: DefaultModelChoice): PickerEntry {
  const here = endpointReach(p).kind === 'local';
  const size = choice.sizeBytes && choice.sizeBytes > 1e6 ? ` (about ${(choice.sizeBytes / 1e9).toFixed(1)} GB)` : '';
  const state = choice.mustPull ? `not installed — choose to pull it${size}` : choice.installed ? 'installed' : 'choose to use it';
  return {
    kind: 'item',
    label: `${here ? 'Recommended for this machine' : 'Recommended'}: ${choice.model}`,
    description: `${state} · ${p.baseUrl}`,
    detail: choice.why,
    icon: choice.mustPull ? 'cloud-download' : 'star-full',
    payload: { kind: 'recommended', provider: p.provider, baseUrl: p.baseUrl, model: choice.model, mustPull: choice.mustPull },
  };
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
    const reach = describeReach(endpointReach(p));
    const where = reach ? `${p.baseUrl} · ${reach}` : p.baseUrl;
    switch (r.kind) {
      case 'up': {
        // Only while nothing is chosen: a route already set is never replaced by a proposal.
        const choice = c.active ? undefined : c.recommendations?.get(p.baseUrl);
        if (choice) out.push(recommendationRow(p, choice));
        if (!r.models.length) {
          const why =
            p.provider === 'ollama'
              ? 'Ollama has no models yet: pull one.'
              : r.server.kind === 'llamacpp'
                ? 'llama-server runs without a model (router mode): start it with a .gguf file.'
                : 'The server lists no models.';
          out.push({
            kind: 'item',
            label: 'No models served — choose one…',
            description: p.baseUrl,
            detail: why,
            icon: 'info',
            payload: { kind: 'chooseModel', provider: p.provider, baseUrl: p.baseUrl },
          });
        }
        for (const m of r.models) {
          const route = routeFor(p, m);
          const isActive = routeKey(route) === activeKey;
          const small = m.contextWindow !== undefined && m.contextWindow < AGENTS.codex.minContextTokens;
          out.push({
            kind: 'item',
            label: m.id,
            description: `${where}${isActive ? ' · active' : ''}`,
            detail: modelDetail(m, c.verifications(route)),
            icon: isActive ? 'pass-filled' : small || m.tools === false ? 'warning' : 'symbol-misc',
            payload: { kind: 'model', route },
            active: isActive,
          });
        }
        break;
      }
      case 'unauthorized':
        out.push(
          p.keyWithheld
            ? {
                kind: 'item',
                label: 'Send the key over plain http?…',
                description: where,
                detail: `A key is set for this server, but it was not sent: ${p.baseUrl} is on another machine and not encrypted. Choose to decide.`,
                icon: 'unlock',
                payload: { kind: 'allowPlainHttp', baseUrl: p.baseUrl, provider: p.provider },
              }
            : {
                kind: 'item',
                label: 'Set API key…',
                description: where,
                detail: r.message,
                icon: 'key',
                payload: { kind: 'setKey', baseUrl: p.baseUrl, provider: p.provider },
              },
        );
        break;
      case 'loading':
        out.push({
          kind: 'item',
          label: 'Loading the model… refresh',
          description: p.baseUrl,
          detail: r.message,
          icon: 'loading~spin',
          payload: { kind: 'refresh' },
        });
        break;
      default:
        if (c.launchable(p.provider) && !startOffered.has(p.provider) && !upProviders.has(p.provider)) {
          startOffered.add(p.provider);
          out.push(
            c.trusted
              ? {
                  kind: 'item',
                  label: `Start ${name}…`,
                  description: p.baseUrl,
                  detail: `Not running (${r.message}). Starts it from your settings in a terminal.`,
                  icon: 'play',
                  payload: { kind: 'start', provider: p.provider },
                }
              : {
                  kind: 'item',
                  label: `${name} is not running`,
                  description: p.baseUrl,
                  detail: 'Restricted Mode: servers are not started from an untrusted workspace. Choose to manage workspace trust.',
                  icon: 'shield',
                  payload: { kind: 'trust' },
                },
          );
        } else {
          out.push({
            kind: 'item',
            label: describeProbe(r),
            description: p.baseUrl,
            detail: r.message,
            icon: 'circle-slash',
            payload: { kind: 'refresh' },
          });
        }
    }
  }
  out.push({ kind: 'separator', label: 'Actions' });
  out.push({ kind: 'item', label: 'Add an OpenAI-compatible endpoint…', icon: 'add', payload: { kind: 'addEndpoint' } });
  if (c.trusted)
    out.push({
      kind: 'item',
      label: 'Connect to a remote server over SSH…',
      detail: 'Forwards a port here to a model server on another machine, encrypted',
      icon: 'remote',
      payload: { kind: 'connectSsh' },
    });
  out.push({ kind: 'item', label: 'Refresh', icon: 'refresh', payload: { kind: 'refresh' } });
  return out.map(shown);
}
