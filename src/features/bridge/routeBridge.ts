// The route bridge inside this window: Codex's Responses API and Claude Code's Messages API on
// 127.0.0.1 over the active route's server (core/bridge/server.ts), for servers the verifier found
// failing an agent (no /v1/responses or /v1/messages, MCP tools dropped, strict templates). It runs in
// the extension host, so it ends with the window; one bridge per window, owned here. Its terminal
// shows its URL and one line per request (no prompt or body), sanitized; closing it stops the bridge.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import type { Route } from '../../core/route/route';
import { bridgeOnPort, startBridge, type RunningBridge } from '../../core/bridge/server';
import { bridgeBaseUrl } from '../../core/bridge/facts';
import { fullKey } from '../../core/settings/catalog';
import { bridgeAdapters, type BridgeUpstreams } from '../../core/bridge/decide';
import { displayText, displayName } from '../../core/text/sanitize';
import { OutputTerminal } from '../../ui/outputTerminal';
import { showWarning } from '../../ui/notify';

/** The bridge's terminal: read-only; each line of its log escaped first (text from a server may be in it). */
class BridgeTerminal extends OutputTerminal {
  line(text: string): void {
    this.print(`${displayText(text, { max: 2_000 })}\n`);
  }
}

export interface ActiveBridge {
  readonly url: string;
  readonly route: Route;
  readonly terminal: vscode.Terminal;
}

let current:
  { bridge: RunningBridge; route: Route; terminal: vscode.Terminal; pty: BridgeTerminal; upstreams: Required<BridgeUpstreams> } | undefined;
let registered = false;

/** The bridge this window runs, if any. */
export function activeBridge(): ActiveBridge | undefined {
  return current && { url: current.bridge.url, route: current.route, terminal: current.terminal };
}

export type BridgeStart = { ok: true; url: string; reused: boolean; terminal?: vscode.Terminal } | { ok: false; reason: string };

/**
 * Starts the bridge for `route` on the `bridge.port` port (where profiles and settings written for the
 * bridge point), stopping this window's bridge for another route first; the same route's bridge is
 * kept. A port already held by another window's bridge for the same server is used as it is.
 */
export async function startRouteBridge(ctx: Ctx, route: Route, o: { reveal?: boolean } = {}): Promise<BridgeStart> {
  const reveal = o.reveal !== false;
  const port = ctx.settings().values['bridge.port'];
  const upstream = route.baseUrl.replace(/\/+$/, '');
  // Each agent's side as its verification through the bridge ran it.
  const verdicts = ctx.routes.verificationsOf(route);
  const upstreams: Required<BridgeUpstreams> = {
    codex: verdicts.codex?.throughBridge?.upstreamApi ?? 'chat',
    claude: verdicts.claude?.throughBridge?.upstreamApi ?? 'chat',
  };
  if (
    current &&
    sameRoute(current.route, route) &&
    current.bridge.port === port &&
    current.upstreams.codex === upstreams.codex &&
    current.upstreams.claude === upstreams.claude
  ) {
    if (reveal) current.terminal.show(true);
    return { ok: true, url: current.bridge.url, reused: false, terminal: current.terminal };
  }
  await stopRouteBridge();
  if (!registered) {
    registered = true;
    // Deactivation (window closed or reloaded) disposes this: the bridge never outlives its window.
    ctx.extension.subscriptions.push(
      { dispose: () => void stopRouteBridge() },
      // However its terminal goes (closed by the user, disposed, its panel killed), the bridge goes with it.
      vscode.window.onDidCloseTerminal(t => {
        if (current?.terminal === t) void stopRouteBridge();
      }),
      // It serves the route the window routes to: profiles and settings written for the bridge name its
      // port, not a server, so an agent started after a switch must reach the new route's server.
      ctx.routes.onDidChange(() => followRoute(ctx)),
    );
  }
  const { apiKey } = await ctx.keys.resolve(route.provider, route.baseUrl);
  const pty = new BridgeTerminal(() => void stopRouteBridge());
  let bridge: RunningBridge;
  try {
    bridge = await startBridge({
      upstream: route.baseUrl,
      port,
      // Codex's side: pass-through for a server whose own /v1/responses needs only the pass-through
      // repairs; Claude Code's: the server's /v1/responses when it has no chat completions; chat completions otherwise.
      adapters: bridgeAdapters(upstreams),
      ...(apiKey ? { apiKey } : {}),
      debugLog: ctx.settings().values['bridge.debugLog'],
      log: line => pty.line(line),
    });
  } catch (e) {
    pty.dispose();
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE')
      return { ok: false, reason: `The route bridge did not start: ${(e as Error).message}` };
    const other = await bridgeOnPort(port);
    if (other && other.upstream === upstream) {
      ctx.log.info(`route bridge: 127.0.0.1:${port} already bridges to ${upstream} (another window's); using it`);
      return { ok: true, url: bridgeBaseUrl(port), reused: true };
    }
    const holder = other ? `another window's route bridge, to ${displayText(other.upstream, { max: 200 })}` : 'another program';
    return {
      ok: false,
      reason: `The route bridge cannot listen on 127.0.0.1:${port}: ${holder} holds the port. Stop it, or set ${fullKey('bridge.port')} to a free port and write the profile or settings again.`,
    };
  }
  const terminal = vscode.window.createTerminal({
    name: `Route Bridge · ${displayName(route.model)}`,
    pty,
    iconPath: new vscode.ThemeIcon('arrow-swap'),
  });
  pty.line(`Route bridge on ${bridge.url} → ${route.baseUrl} (model ${route.model}).`);
  pty.line(
    `Codex: Responses API (POST /v1/responses${upstreams.codex === 'responses' ? ", passed to the server's own, repaired" : ', over chat completions'}); Claude Code: Messages API (POST /v1/messages, over ${upstreams.claude === 'responses' ? "the server's Responses API" : 'chat completions'}). Close this terminal to stop it.`,
  );
  current = { bridge, route, terminal, pty, upstreams };
  ctx.log.info(`route bridge on ${bridge.url} for ${route.model} at ${route.baseUrl}`);
  if (reveal) terminal.show(true);
  return { ok: true, url: bridge.url, reused: false, terminal };
}

/** The same server and model: the bridge for one serves the other. */
const sameRoute = (a: Route, b: Route) => a.baseUrl === b.baseUrl && a.model === b.model;

let following: Promise<void> | undefined;
let followAgain = false;

/**
 * The active route changed: a running bridge moves to the new route's server (a new terminal names
 * it), and stops when no route is chosen. One move at a time; a change during a move is followed after it.
 */
function followRoute(ctx: Ctx): void {
  if (!current) return;
  const active = ctx.routes.active;
  if (active && sameRoute(active, current.route)) return;
  if (following) {
    followAgain = true;
    return;
  }
  following = (async () => {
    do {
      followAgain = false;
      const route = ctx.routes.active;
      if (!current) break;
      if (!route) {
        ctx.log.info('route bridge: no route is chosen any more; stopped');
        await stopRouteBridge();
        break;
      }
      if (sameRoute(route, current.route)) continue;
      const from = current.route;
      const r = await startRouteBridge(ctx, route, { reveal: false });
      if (r.ok) ctx.log.info(`route bridge: the route changed from ${from.model} to ${route.model}; it now bridges to ${route.baseUrl}`);
      else {
        ctx.log.warn(r.reason);
        void showWarning(`The route bridge stopped: ${r.reason}`);
      }
    } while (followAgain);
  })().finally(() => (following = undefined));
}

/** Stops the bridge (its requests in flight are aborted upstream) and closes its terminal. */
export async function stopRouteBridge(): Promise<boolean> {
  const c = current;
  if (!c) return false;
  current = undefined;
  await c.bridge.close();
  // Disposing closes it whether or not its view was ever opened (a closed terminal's pty then calls
  // back into stopRouteBridge, which has nothing left to stop).
  c.terminal.dispose();
  return true;
}
