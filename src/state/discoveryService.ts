// Runs discovery on demand; concurrent callers share one run. No timers here: the refresh policy
// lives in features/backgroundRefresh.ts.
import * as vscode from 'vscode';
import type { Ctx, DiscoveryService } from '../ctx';
import { discover, type EndpointProbe } from '../core/discovery';
import { discoveryTargets } from '../core/targets';

export function createDiscoveryService(ctx: () => Ctx, subscriptions: vscode.Disposable[]): DiscoveryService & { problems: readonly string[] } {
  const emitter = new vscode.EventEmitter<void>();
  subscriptions.push(emitter);
  let latest: readonly EndpointProbe[] = [];
  let problems: readonly string[] = [];
  let inFlight: Promise<readonly EndpointProbe[]> | undefined;
  const service = {
    get latest() { return latest; },
    get busy() { return inFlight !== undefined; },
    get problems() { return problems; },
    onDidChange: emitter.event,
    refresh(reason: string): Promise<readonly EndpointProbe[]> {
      if (inFlight) return inFlight;
      const c = ctx();
      emitter.fire();
      inFlight = (async () => {
        const settings = c.settings().values;
        const { targets, problems: p } = discoveryTargets(settings, c.env);
        // A variable's key wins (targets already carry it); otherwise the key stored for that URL.
        await Promise.all(targets.map(async t => { t.apiKey ??= await c.secrets.get(t.baseUrl); }));
        const t0 = Date.now();
        const result = await discover(targets, { timeoutMs: settings['discovery.timeoutMs'] });
        c.log.debug(`discovery (${reason}) took ${Date.now() - t0} ms: ${result.map(r => `${r.baseUrl}=${r.result.kind}`).join(', ')}`);
        for (const msg of p) if (!problems.includes(msg)) c.log.warn(msg);
        problems = p;
        latest = result;
        void vscode.commands.executeCommand('setContext', 'localModelRouter.serverFound', result.some(r => r.result.kind === 'up'));
        return result;
      })().finally(() => {
        inFlight = undefined;
        emitter.fire();
      });
      return inFlight;
    },
  };
  return service;
}
