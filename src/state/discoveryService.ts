// Runs discovery on demand; concurrent callers share one run. No timers here: the refresh policy
// lives in features/route/backgroundRefresh.ts.
import * as vscode from 'vscode';
import type { DiscoveryService, KeyService, LaunchedServer, OpenTunnel, PlainHttpConsent } from '../ctx';
import type { ResolvedSettings } from '../core/settings/resolve';
import type { Env } from '../core/endpoints';
import { discover, type DiscoveryTarget, type EndpointProbe } from '../core/route/discovery';
import { discoveryTargets, withTunnelTargets } from '../core/route/targets';

export interface DiscoveryDeps {
  settings(): ResolvedSettings;
  env: Env;
  keys: Pick<KeyService, 'resolve'>;
  /** Servers this window started: always probed where they listen, whatever the settings say now. */
  launched(): readonly LaunchedServer[];
  /** SSH tunnels this window opened: probed at their local end, labelled with their host. */
  tunnels(): readonly OpenTunnel[];
  /** Keys go to plain-http URLs on other hosts only once the person approved them. */
  plainHttp: Pick<PlainHttpConsent, 'decide'>;
  log: vscode.LogOutputChannel;
}

export function createDiscoveryService(
  deps: DiscoveryDeps,
  subscriptions: vscode.Disposable[],
): DiscoveryService & { problems: readonly string[] } {
  const emitter = new vscode.EventEmitter<void>();
  subscriptions.push(emitter);
  let latest: readonly EndpointProbe[] = [];
  let problems: readonly string[] = [];
  let ran = false;
  let inFlight: Promise<readonly EndpointProbe[]> | undefined;
  const run = async (reason: string): Promise<readonly EndpointProbe[]> => {
    const settings = deps.settings();
    const { targets: configured, problems: p } = discoveryTargets(settings, deps.env);
    for (const s of deps.launched()) {
      if ((s.state === 'starting' || s.state === 'ready') && !configured.some(t => t.baseUrl === s.baseUrl))
        configured.push({ provider: s.provider, baseUrl: s.baseUrl, source: 'launched' });
    }
    const targets = withTunnelTargets(
      configured,
      deps
        .tunnels()
        .map(t => ({ provider: t.provider, localBaseUrl: t.localBaseUrl, destination: t.destination, remotePort: t.remotePort })),
    );
    // A variable's key wins, then the key stored for that URL: the one precedence. Without a yes
    // for plain http to another host, /models is still probed, without the key.
    await Promise.all(
      targets.map(async (t: DiscoveryTarget) => {
        const k = await deps.keys.resolve(t.provider, t.baseUrl);
        if (k.apiKey) t.apiKey = k.apiKey;
        if (t.apiKey && deps.plainHttp.decide(t.baseUrl).kind !== 'send') {
          delete t.apiKey;
          t.keyWithheld = true;
        }
      }),
    );
    const t0 = Date.now();
    const result = await discover(targets, { timeoutMs: settings.values['discovery.timeoutMs'] });
    deps.log.debug(`discovery (${reason}) took ${Date.now() - t0} ms: ${result.map(r => `${r.baseUrl}=${r.result.kind}`).join(', ')}`);
    for (const msg of p) if (!problems.includes(msg)) deps.log.warn(msg);
    problems = p;
    latest = result;
    ran = true;
    return result;
  };
  return {
    get latest() {
      return latest;
    },
    get busy() {
      return inFlight !== undefined;
    },
    get ran() {
      return ran;
    },
    get problems() {
      return problems;
    },
    onDidChange: emitter.event,
    refresh(reason: string): Promise<readonly EndpointProbe[]> {
      if (inFlight) return inFlight;
      inFlight = run(reason).finally(() => {
        inFlight = undefined;
        emitter.fire();
      });
      emitter.fire();
      return inFlight;
    },
  };
}
