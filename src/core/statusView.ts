// What the status-bar item shows, computed from one state. The feature only applies it.
import { PROVIDERS } from './providers';
import { shortRouteLabel, type Route, type RouteHealth, type VerificationSummary } from './route';
import type { LaunchedState } from './statusTypes';

export interface StatusState {
  route: Route | undefined;
  health: RouteHealth;
  lastVerification?: VerificationSummary;
  /** A server the extension started for this route, if any. */
  launched?: LaunchedState;
  /** Whether the route's variables are in new terminals (existing ones are stale until reopened). */
  terminalsRouted: boolean;
}

export interface StatusView {
  text: string;
  /** Accessible name of the item ("Local Model Router: llama.cpp · local/model, verified"). */
  accessibility: string;
  background: 'none' | 'warning' | 'error';
  /** Markdown with command: links (the feature marks it trusted for these commands only). */
  tooltip: string;
}

const LINKS = [
  ['Verify', 'localModelRouter.verifyRoute'],
  ['Start server', 'localModelRouter.startServer'],
  ['Write Codex profile', 'localModelRouter.writeCodexProfile'],
  ['Open Codex', 'localModelRouter.openCodex'],
  ['Open settings', 'localModelRouter.openSettings'],
] as const;
export const TOOLTIP_COMMANDS: string[] = [...LINKS.map(([, c]) => c), 'localModelRouter.pickRoute'];

function healthWord(h: RouteHealth): string {
  switch (h.kind) {
    case 'unknown': return 'not checked';
    case 'probing': return 'checking…';
    case 'up': return 'up';
    case 'verified': return 'verified';
    case 'failing': return `failing: ${h.reason}`;
    case 'down': return `down: ${h.reason}`;
  }
}

const esc = (s: string) => s.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, c => `\\${c}`);

export function renderStatus(s: StatusState, now = Date.now()): StatusView {
  const links = LINKS.map(([label, cmd]) => `[${label}](command:${cmd})`).join(' · ');
  if (!s.route) {
    return {
      text: '$(server-process) No local model',
      accessibility: 'Local Model Router: no local model chosen',
      background: 'none',
      tooltip: `**Local Model Router**\n\nNo local model chosen. [Pick a model](command:localModelRouter.pickRoute)\n\n${links}`,
    };
  }
  const r = s.route;
  const name = r.endpointLabel ?? PROVIDERS[r.provider].displayName;
  const label = shortRouteLabel(name, r.model);
  const h = s.health;
  const icon = h.kind === 'probing' ? '$(loading~spin)' : h.kind === 'verified' ? '$(pass-filled)' : h.kind === 'failing' ? '$(warning)' : h.kind === 'down' ? '$(error)' : '$(server-process)';
  const background = h.kind === 'failing' ? 'warning' : h.kind === 'down' ? 'error' : 'none';
  const v = h.kind === 'verified' ? h.verification : h.kind === 'failing' && h.verification ? h.verification : s.lastVerification;
  const rows = [
    `**Local Model Router** — ${esc(name)} · \`${r.model}\``,
    '',
    `| | |`,
    `|---|---|`,
    `| Base URL | \`${r.baseUrl}\` |`,
    `| Server | ${r.serverKind ? esc(r.serverKind) : 'unknown'}${r.serverVersion ? ` ${esc(r.serverVersion)}` : ''} |`,
    `| Context window | ${r.contextWindow ? `${r.contextWindow.toLocaleString('en-US')} tokens${r.contextWindow < 16384 ? ' — too small for Codex' : ''}` : 'unknown'} |`,
    `| Tool support | ${r.tools === undefined ? 'not reported' : r.tools ? 'yes' : 'no'} |`,
    `| Health | ${esc(healthWord(h))} |`,
    `| Last verification | ${v ? `${v.ok ? 'passed' : `failed${v.failedStage ? ` at ${v.failedStage}` : ''}${v.diagnosis ? ` (${v.diagnosis})` : ''}`}, ${ago(now - v.at)}` : 'never'} |`,
  ];
  if (s.launched) rows.push(`| Started here | ${s.launched.state}${s.launched.exitCode !== undefined ? ` (exit ${s.launched.exitCode})` : ''} |`);
  if (r.codexProfile) rows.push(`| Codex profile | \`${r.codexProfile}\` |`);
  const terminals = s.terminalsRouted ? '\n\nNew terminals get this route\'s variables; terminals opened before the last switch keep the old ones (VS Code marks them stale) until reopened.' : '';
  return {
    text: `${icon} ${label}`,
    accessibility: `Local Model Router: ${name} ${r.model}, ${healthWord(h)}`,
    background,
    tooltip: `${rows.join('\n')}${terminals}\n\n${links} · [Switch](command:localModelRouter.pickRoute)`,
  };
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}
