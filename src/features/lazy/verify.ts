// "Verify Route": runs the verifier on the active route (or a route passed as the first argument)
// with cancellable progress, shows the report in a webview with a button per fix, records the
// outcome for the status bar, and logs every stage. Loaded on first use (dist/lazy/verify.js).
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { Ctx, LazyModule, LaunchedServer } from '../../ctx';
import { COMMANDS } from '../../commands';
import { isRoute, routeKey, type Route } from '../../core/route';
import type { ProviderId } from '../../core/providers';
import { keyForRoute } from '../../state/routeStore';
import { serverRoot } from '../../core/endpoints';
import { SECTION } from '../../core/settings/catalog';
import { verifyRoute as runVerifier, summarize, type Fix, type StageId, type VerifyReport } from '../../core/verify/index';
import { describeFix, formatMs } from '../../core/verify/report';
import { renderHtml } from '../../core/verify/html';
import { pullOllamaModel, describePull } from '../../core/launch/ollama-pull';

/** Where a fix applies: the route's server, and whether the extension launched it (then it can restart it). */
export interface FixTarget {
  provider?: ProviderId;
  baseUrl?: string;
  serverLaunched: boolean;
  log?: vscode.LogOutputChannel;
}

export type FixOutcome = { applied: true; detail: string } | { applied: false; detail: string };

const DOWNLOAD_PAGES: Record<string, string> = {
  Ollama: 'https://ollama.com/download',
  'LM Studio': 'https://lmstudio.ai/download',
  'llama.cpp (llama-server)': 'https://github.com/ggml-org/llama.cpp/releases',
  vLLM: 'https://docs.vllm.ai/en/latest/getting_started/installation/',
};

/**
 * Applies one fix from a report. setSetting updates the user setting, then restarts the server if
 * the fix asks for it and the extension launched that server; the other kinds run the matching
 * command. Exported for the report's buttons and for the extension-host tests.
 */
export async function applyVerifyFix(fix: Fix, target: FixTarget): Promise<FixOutcome> {
  const config = vscode.workspace.getConfiguration(SECTION);
  switch (fix.kind) {
    case 'setSetting': {
      await config.update(fix.key, fix.value, vscode.ConfigurationTarget.Global);
      target.log?.info(`verify fix: ${SECTION}.${fix.key} = ${JSON.stringify(fix.value)}`);
      if (fix.restart && target.serverLaunched && target.provider) {
        void vscode.commands.executeCommand(COMMANDS.restartServer.id, target.provider);
        return { applied: true, detail: `Set ${fix.key} to ${JSON.stringify(fix.value)}; restarting the server.` };
      }
      return { applied: true, detail: `Set ${fix.key} to ${JSON.stringify(fix.value)}.${fix.restart ? ' Restart the server for it to take effect.' : ''}` };
    }
    case 'codexDisableNonFunctionTools':
      await config.update('codex.disableNonFunctionTools', 'always', vscode.ConfigurationTarget.Global);
      target.log?.info('verify fix: codex.disableNonFunctionTools = always');
      return { applied: true, detail: 'Non-function tools are off for Codex profiles written from now on; run "Write Codex Profile" to update the current one.' };
    case 'pullModel': {
      if (!target.baseUrl) return { applied: false, detail: 'No server to pull from.' };
      const root = serverRoot(target.baseUrl);
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Pulling ${fix.model}`, cancellable: true }, async (progress, token) => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        try {
          return await pullOllamaModel(root, fix.model, { signal: ac.signal, onProgress: p => progress.report({ message: describePull(p) }) });
        } finally {
          sub.dispose();
        }
      });
      target.log?.info(`verify fix: pull ${fix.model} → ${result.kind}${result.kind === 'error' ? `: ${result.message}` : ''}`);
      return result.kind === 'done' ? { applied: true, detail: `Pulled ${fix.model}.` } : { applied: false, detail: result.kind === 'error' ? result.message : 'Cancelled.' };
    }
    case 'openServerTerminal':
      if (target.serverLaunched && target.provider) {
        await vscode.commands.executeCommand(COMMANDS.showServerTerminal.id, target.provider);
        return { applied: true, detail: 'Showing the server terminal.' };
      }
      target.log?.show();
      return { applied: false, detail: "The extension did not start this server: read the server's own console or log." };
    case 'setApiKey':
      await vscode.commands.executeCommand(COMMANDS.setApiKey.id, target.baseUrl);
      return { applied: true, detail: 'API key updated.' };
    case 'upgrade': {
      const page = DOWNLOAD_PAGES[fix.what];
      const choice = await vscode.window.showInformationMessage(`Upgrade ${fix.what} to ${fix.minVersion}.`, ...(page ? ['Open download page'] : []));
      if (choice && page) await vscode.env.openExternal(vscode.Uri.parse(page));
      return { applied: false, detail: `Upgrade ${fix.what} to ${fix.minVersion}.` };
    }
  }
}

let running: AbortController | undefined;
let panel: vscode.WebviewPanel | undefined;
let messageListener: vscode.Disposable | undefined;

async function apiKeyFor(ctx: Ctx, route: Route): Promise<string | undefined> {
  return (await keyForRoute(ctx, route)).key;
}

function launchedServer(ctx: Ctx, route: Route): LaunchedServer | undefined {
  return ctx.servers.findByBaseUrl(route.baseUrl);
}

/** The verifier's non-function-tool option follows what the route's Codex profile will contain. */
function nonFunctionToolsFor(ctx: Ctx): boolean {
  return ctx.settings().values['codex.disableNonFunctionTools'] !== 'always';
}

async function verifyCommand(ctx: Ctx, arg?: unknown): Promise<VerifyReport | undefined> {
  const route = isRoute(arg) ? arg : ctx.routes.active;
  if (!route) {
    const choice = await vscode.window.showInformationMessage('Pick a local model first: there is no route to verify.', COMMANDS.pickRoute.title);
    if (choice) void vscode.commands.executeCommand(COMMANDS.pickRoute.id);
    return undefined;
  }
  const isActive = ctx.routes.active !== undefined && routeKey(ctx.routes.active) === routeKey(route);
  // A new run supersedes the one in flight.
  running?.abort();
  const ac = (running = new AbortController());
  const settings = ctx.settings().values;
  const skip = settings['verify.skipStages'] as StageId[];
  const previousHealth = ctx.routes.health;
  if (isActive) ctx.routes.setHealth({ kind: 'probing' });
  ctx.log.info(`verify: ${route.model} at ${route.baseUrl} (timeout ${settings['verify.timeoutMs']} ms, skip ${skip.join(', ') || 'none'})`);
  const apiKey = await apiKeyFor(ctx, route);

  const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Verifying ${route.model}`, cancellable: true }, async (progress, token) => {
    const sub = token.onCancellationRequested(() => ac.abort());
    try {
      return await runVerifier({
        baseUrl: route.baseUrl, model: route.model, apiKey, timeoutMs: settings['verify.timeoutMs'], skip,
        nonFunctionTools: nonFunctionToolsFor(ctx), serverKind: route.serverKind, signal: ac.signal,
        onProgress: p => {
          if (p.kind === 'stage-start') progress.report({ message: p.title });
          else {
            const r = p.result;
            progress.report({ message: `${r.title}: ${r.status}`, increment: 100 / 6 });
            const line = `verify ${r.id}: ${r.status} in ${formatMs(r.ms)}: ${r.summary}`;
            if (r.status === 'fail') ctx.log.warn(line); else ctx.log.info(line);
            if (r.diagnosis && r.status !== 'pass') ctx.log.info(`  ${r.diagnosis.code}: ${r.diagnosis.message}${r.diagnosis.fix ? ` (fix: ${describeFix(r.diagnosis.fix)})` : ''}`);
            for (const e of r.evidence) ctx.log.debug(`  ${e}`);
          }
        },
      });
    } finally {
      sub.dispose();
    }
  });
  const superseded = running !== ac;
  if (!superseded) running = undefined;

  if (report.cancelled) {
    ctx.log.info(superseded ? 'verify: superseded by a newer run' : 'verify: cancelled');
    // A newer run owns the status bar now; only a plain cancel puts the previous state back.
    if (!superseded && isActive && ctx.routes.health.kind === 'probing') ctx.routes.setHealth(previousHealth);
    return report;
  }
  const summary = summarize(report);
  ctx.log.info(`verify: ${report.ok ? 'passed' : `failed at ${summary.failedStage} (${summary.diagnosis})`} in ${formatMs(report.ms)}`);
  if (isActive) ctx.routes.recordVerification(summary);
  showReport(ctx, route, report);
  return report;
}

function showReport(ctx: Ctx, route: Route, report: VerifyReport): void {
  const server = launchedServer(ctx, route);
  const serverOutput: Partial<Record<string, string[]>> = {};
  if (server) for (const s of report.stages) if (s.status === 'fail') serverOutput[s.id] = server.recentOutput(40);
  if (!panel) {
    panel = vscode.window.createWebviewPanel('localModelRouter.verifyReport', 'Route Verification', { viewColumn: vscode.ViewColumn.Active, preserveFocus: true }, { enableScripts: true, localResourceRoots: [] });
    panel.onDidDispose(() => { panel = undefined; });
  }
  const p = panel;
  p.title = `Verify: ${route.model}`;
  const nonce = randomBytes(16).toString('base64');
  p.webview.html = renderHtml(report, { cspSource: p.webview.cspSource, nonce, serverOutput, serverLaunched: !!server });
  // One listener per report: the previous one goes with the previous report.
  messageListener?.dispose();
  messageListener = p.webview.onDidReceiveMessage(async (msg: { type?: string; stage?: string }) => {
    if (msg.type === 'rerun') return void vscode.commands.executeCommand(COMMANDS.verifyRoute.id, route);
    if (msg.type === 'log') return ctx.log.show();
    const fix = report.stages.find(s => s.id === msg.stage)?.diagnosis?.fix;
    if (msg.type !== 'fix' || !fix) return;
    const out = await applyVerifyFix(fix, { provider: route.provider, baseUrl: route.baseUrl, serverLaunched: !!launchedServer(ctx, route), log: ctx.log });
    const again = 'Verify again';
    const choice = await (out.applied ? vscode.window.showInformationMessage(out.detail, again) : vscode.window.showWarningMessage(out.detail));
    if (choice === again) void vscode.commands.executeCommand(COMMANDS.verifyRoute.id, route);
  });
  p.reveal(undefined, true);
}


export const commands: LazyModule['commands'] = {
  verifyRoute: (ctx, route) => verifyCommand(ctx, route),
};
