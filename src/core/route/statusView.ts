// What the status-bar item shows, computed from one state. The feature only applies it.
import { PROVIDERS } from '../providers';
import { AGENTS, AGENT_IDS, type AgentId } from '../agents';
import { COMMANDS } from '../commands';
import { shortRouteLabel, type Route } from './route';
import type { RouteHealth, VerificationSummary } from './routeHealth';
import type { LaunchedView } from './statusTypes';
import { describeReach, isRemote, type EndpointReach } from './endpointReach';
import { displayLabel, displayName, displayText, DISPLAY_LIMITS } from '../text/sanitize';

export interface StatusState {
  route: Route | undefined;
  health: RouteHealth;
  /** The last verification of the route per agent (kept across switches). */
  verifications: Partial<Record<AgentId, VerificationSummary>>;
  /** Per agent, what changed since its verdict was reached: the verdict no longer holds (core/route/verdictBasis.ts). */
  outdated?: Partial<Record<AgentId, string[]>>;
  /** A server the extension started for this route, if any. */
  launched?: LaunchedView;
  /** Whether the route's variables are in new terminals (existing ones are stale until reopened). */
  terminalsRouted: boolean;
  /** What discovery knows, for the no-route text: whether it ran, and what it found. */
  discovery: { ran: boolean; busy: boolean; endpointsUp: number; models: number };
  trusted: boolean;
  /** Where the route's requests go (absent: this machine). */
  reach?: EndpointReach;
  /** The SSH tunnel the route goes through: its state, or `closed` when the route's tunnel is not open in this window. */
  tunnel?: { state: 'starting' | 'up' | 'restarting' | 'failed' | 'stopped' | 'closed'; message?: string };
  /** Set when the window is remote (Remote-SSH, WSL, containers, code-server): the extension runs on `host`. */
  remoteWindow?: { name: string; host: string };
}

export interface StatusView {
  text: string;
  /** Accessible name of the item ("Local Model Router: llama.cpp · local/model, verified"). */
  accessibility: string;
  background: 'none' | 'warning' | 'error';
  /** Markdown with command: links (the feature marks it trusted for these commands only). */
  tooltip: string;
}

type Link = readonly [label: string, command: string];
const link = ([label, command]: Link) => `[${label}](command:${command})`;
const ROUTE_LINKS: Link[] = [
  ['Verify', COMMANDS.verifyRoute.id],
  ['Write Codex profile', COMMANDS.writeCodexProfile.id],
  ['Open Codex', COMMANDS.openCodex.id],
  ['Switch model', COMMANDS.pickRoute.id],
  ['Open settings', COMMANDS.openSettings.id],
];
const NO_ROUTE_LINKS = (trusted: boolean): Link[] => [
  ['Pick a model', COMMANDS.pickRoute.id],
  ...(trusted ? [['Start a server', COMMANDS.startServer.id] as const] : []),
  ['Add an endpoint', COMMANDS.addEndpoint.id],
  ['Open settings', COMMANDS.openSettings.id],
];

/** Every command a tooltip may link to (the feature enables exactly these). */
export const TOOLTIP_COMMANDS: string[] = [...new Set([...ROUTE_LINKS, ...NO_ROUTE_LINKS(true)].map(([, c]) => c))];

/** The text of the item when no model is chosen; the walkthrough quotes it. */
export const NO_ROUTE_TEXT = {
  looking: 'Looking for local servers…',
  pick: 'Pick a local model',
  none: 'No local server',
} as const;

function healthWord(h: RouteHealth, now: number): string {
  switch (h.kind) {
    case 'unknown':
      return 'not checked';
    case 'checking':
      return h.what === 'switch' ? 'checking that it answers…' : 'verifying…';
    case 'up':
      return 'up';
    case 'verified':
      return `verified ${ago(now - h.verification.at)}`;
    case 'failing':
      return `failing: ${h.reason}${h.verification ? ` (verified ${ago(now - h.verification.at)})` : ''}`;
    case 'down':
      return `down: ${h.reason}`;
  }
}

// Markdown: every value shown in the tooltip is sanitized first (it may come from a server), then its
// Markdown characters escaped, so it can neither format the tooltip nor add a command link.
const esc = (s: string) =>
  displayText(s, { max: DISPLAY_LIMITS.message, singleLine: true }).replace(/[\\`*_{}[\]()#+\-.!|<>$&]/g, c => `\\${c}`);

export function renderStatus(s: StatusState, now = Date.now()): StatusView {
  if (!s.route) return renderNoRoute(s);
  const r = s.route;
  const name = r.endpointLabel ?? PROVIDERS[r.provider].displayName;
  const label = displayLabel(shortRouteLabel(name, r.model));
  const h = s.health;
  const icon =
    h.kind === 'checking'
      ? '$(loading~spin)'
      : h.kind === 'verified'
        ? '$(pass-filled)'
        : h.kind === 'failing'
          ? '$(warning)'
          : h.kind === 'down'
            ? '$(error)'
            : '$(server-process)';
  const remote = s.reach && isRemote(s.reach) ? s.reach : undefined;
  const background = h.kind === 'failing' ? 'warning' : h.kind === 'down' ? 'error' : 'none';
  const tooSmall = AGENT_IDS.filter(a => r.contextWindow !== undefined && r.contextWindow < AGENTS[a].minContextTokens).map(
    a => AGENTS[a].displayName,
  );
  const rows = [
    `**Local Model Router** — ${esc(name)} · ${esc(r.model)}`,
    '',
    `| | |`,
    `|---|---|`,
    // A normalized URL (normalizeBaseUrl percent-encodes backticks and spaces): safe in a code span.
    `| Base URL | \`${r.baseUrl}\` |`,
    `| Server | ${r.serverKind ? esc(r.serverKind) : 'unknown'}${r.serverVersion ? ` ${esc(r.serverVersion)}` : ''} |`,
    `| Context window | ${r.contextWindow ? `${r.contextWindow.toLocaleString('en-US')} tokens${tooSmall.length ? ` — too small for ${tooSmall.join(' and ')}` : ''}` : 'unknown'} |`,
    `| Tool support | ${r.tools === undefined ? 'not reported' : r.tools ? 'yes' : 'no (the server says so)'} |`,
    `| Health | ${esc(healthWord(h, now))} |`,
    ...verificationRows(s.verifications, s.outdated ?? {}, now),
  ];
  if (remote) rows.push(`| Remote | ${esc(reachRow(remote, s.tunnel))} |`);
  if (s.remoteWindow)
    rows.push(
      `| Runs on | ${esc(s.remoteWindow.host)} (remote window: ${esc(s.remoteWindow.name)}); servers on 127.0.0.1 are that machine's |`,
    );
  if (s.launched)
    rows.push(`| Started here | ${s.launched.state}${s.launched.exitCode !== undefined ? ` (exit ${s.launched.exitCode})` : ''} |`);
  if (r.codexProfile) rows.push(`| Codex profile | \`${displayName(r.codexProfile).replace(/[`|]/g, '')}\` |`);
  const terminals = s.terminalsRouted
    ? "\n\nNew terminals get this route's variables; terminals opened before the last switch keep the old ones (VS Code marks them stale) until reopened."
    : '';
  return {
    text: `${icon} ${remote ? '$(remote) ' : ''}${label}`,
    accessibility: displayName(
      `Local Model Router: ${name} ${r.model}${remote ? ` (${describeReach(remote)})` : ''}, ${healthWord(h, now)}`,
    ),
    background,
    tooltip: `${rows.join('\n')}${terminals}\n\n${ROUTE_LINKS.map(link).join(' · ')}`,
  };
}

function reachRow(r: EndpointReach, tunnel: StatusState['tunnel']): string {
  const where = describeReach(r) ?? '';
  if (r.kind !== 'ssh' || !tunnel) return where;
  return `${where} — tunnel ${tunnel.state}${tunnel.message ? `: ${tunnel.message}` : ''}`;
}

function verificationRows(v: StatusState['verifications'], outdated: NonNullable<StatusState['outdated']>, now: number): string[] {
  const known = AGENT_IDS.filter(a => v[a]);
  if (!known.length) return ['| Verified | not yet |'];
  return known.flatMap(a => {
    const x = v[a] as VerificationSummary;
    const verdict = x.ok
      ? 'passed'
      : `failed${x.failedStage ? ` at ${esc(x.failedStage)}` : ''}${x.diagnosis ? ` (${esc(x.diagnosis)})` : ''}`;
    const changed = outdated[a];
    // An out-of-date verdict is said as such, with what changed: it says nothing about the server now.
    if (changed?.length)
      return [
        `| Verified for ${AGENTS[a].displayName} | ${verdict}, ${ago(now - x.at)}: out of date (${esc(changed.join('; '))}); verify again |`,
      ];
    // The headline says what a session can and cannot do here (Codex: later turns, MCP tools, first-prompt time).
    return [
      `| Verified for ${AGENTS[a].displayName} | ${verdict}, ${ago(now - x.at)} |`,
      ...(x.headline ? [`| | ${esc(x.headline)} |`] : []),
      ...(x.throughBridge ? [`| | ${esc(throughBridgeRow(x.throughBridge))} |`] : []),
    ];
  });
}

/** The verdict through the route bridge beside the direct one (core/bridge/use.ts decides from it). */
function throughBridgeRow(t: NonNullable<VerificationSummary['throughBridge']>): string {
  const repairs = t.repairs.length ? ` (it repairs ${t.repairs.join(', ')})` : '';
  return t.ok
    ? `Through the route bridge: passed${repairs}`
    : `Through the route bridge: failed${t.failed ? ` (${t.failed})` : ''}${repairs}`;
}

function renderNoRoute(s: StatusState): StatusView {
  const d = s.discovery;
  const links = NO_ROUTE_LINKS(s.trusted).map(link).join(' · ');
  if (!d.ran || (d.busy && d.endpointsUp === 0)) {
    return {
      text: `$(loading~spin) ${NO_ROUTE_TEXT.looking}`,
      accessibility: 'Local Model Router: looking for local servers',
      background: 'none',
      tooltip: `**Local Model Router**\n\nLooking for local model servers…\n\n${links}`,
    };
  }
  if (d.endpointsUp > 0) {
    const found = `${d.endpointsUp} server${d.endpointsUp === 1 ? '' : 's'} with ${d.models} model${d.models === 1 ? '' : 's'}`;
    return {
      text: `$(server-process) ${NO_ROUTE_TEXT.pick}`,
      accessibility: `Local Model Router: ${found} found, no model chosen`,
      background: 'none',
      tooltip: `**Local Model Router**\n\nFound ${found}. Click to choose the model your agent will use.\n\n${links}`,
    };
  }
  const start = s.trusted
    ? ' Start one from your settings, or add the address of one that runs elsewhere.'
    : ' This workspace is in Restricted Mode, so nothing is started from it; add the address of a server that runs, or trust the workspace.';
  return {
    text: `$(circle-slash) ${NO_ROUTE_TEXT.none}`,
    accessibility: 'Local Model Router: no local server found',
    background: 'none',
    tooltip: `**Local Model Router**\n\nNo local model server answers on the usual ports (Ollama, LM Studio, vLLM, llama.cpp).${start}\n\n${links}`,
  };
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}
