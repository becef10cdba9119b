// "Verify Route": runs the verifier on the active route (or a route passed as the first argument)
// with cancellable progress, reports the outcome to the route store (which owns health), shows the
// report in a webview with a button per fix, and logs every stage.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import type { Ctx, PlainHttpAnswer } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { isRoute, type Route } from '../../core/route';
import { verifyRoute as runVerifier, summarize, STAGE_IDS, type StageId, type VerifyReport } from '../../core/verify/index';
import { describeFix, formatMs } from '../../core/verify/report';
import { renderHtml } from '../../core/verify/html';
import { codexKeyVar } from '../../core/codex/launch';
import { resolveCodexHome } from '../../core/codex/version';
import { parseTomlText } from '../../core/codex/tomlEdit';
import { applyFix, managedProvider, resolverFor, type FixTarget } from './fixes';
import { writeRelaxedCopy } from '../launch/templates';

/** One run at a time: a new one supersedes the one in flight. */
let running: AbortController | undefined;
let panel: vscode.WebviewPanel | undefined;
let messageListener: vscode.Disposable | undefined;

function codexHome(ctx: Ctx): string {
  return resolveCodexHome(ctx.env, ctx.settings().values['codex.home'], homedir()).path;
}

/** Whether Codex will send the route's key: what its profile names, and what Open Codex sets. */
async function codexKeyNote(ctx: Ctx, route: Route): Promise<string | undefined> {
  const key = await ctx.keys.resolve(route.provider, route.baseUrl);
  if (!key.apiKey) return undefined;
  const v = codexKeyVar({ provider: route.provider, keyVar: key.keyVar });
  const source = key.keySource === 'secret' ? 'the key stored with Set API Key' : `$${key.keyVar}`;
  if (!route.codexProfile) return `Codex needs this server's key: "Write Codex Profile" makes the profile read it from $${v}, and "Open Codex" fills $${v} from ${source}.`;
  const file = join(codexHome(ctx), `${route.codexProfile}.config.toml`);
  const parsed = existsSync(file) ? parseTomlText(readFileSync(file, 'utf8')) : undefined;
  const providers = parsed?.ok ? Object.values((parsed.value.model_providers ?? {}) as Record<string, { env_key?: unknown }>) : [];
  const named = providers.map(p => p.env_key).find((k): k is string => typeof k === 'string');
  if (!named) return `Codex will get 401 from this server: profile "${route.codexProfile}" names no key variable. Run "Write Codex Profile" again.`;
  return `Codex will send the key: profile "${route.codexProfile}" reads it from $${named}, which "Open Codex" fills from ${source}. In a terminal of your own, set $${named} first.`;
}

export interface VerifyOptions {
  /** Answers to the questions on the way (plain http to another host). */
  answers?: { plainHttp?: PlainHttpAnswer };
}

export async function verifyCommand(ctx: Ctx, arg?: unknown, options?: VerifyOptions): Promise<VerifyReport | undefined> {
  const route = isRoute(arg) ? arg : ctx.routes.active;
  if (!route) {
    const choice = await vscode.window.showInformationMessage('Pick a local model first: there is no route to verify.', COMMANDS.pickRoute.title);
    if (choice) void vscode.commands.executeCommand(COMMANDS.pickRoute.id);
    return undefined;
  }
  // The verifier sends prompts (and the key): plain http to another host needs a yes first.
  const consent = await ctx.plainHttp.confirm(route.baseUrl, { provider: route.provider, ...(options?.answers?.plainHttp ? { answer: options.answers.plainHttp } : {}) });
  if (consent.kind === 'declined' || consent.kind === 'tunnel') {
    ctx.log.info(`verify: not run; plain http to ${route.baseUrl} was not approved`);
    return undefined;
  }
  running?.abort();
  const ac = (running = new AbortController());
  const settings = ctx.settings().values;
  const skip = settings['verify.skipStages'] as StageId[];
  const runId = ctx.routes.verificationStarted(route);
  ctx.log.info(`verify: ${route.model} at ${route.baseUrl} (timeout ${settings['verify.timeoutMs']} ms, skip ${skip.join(', ') || 'none'})`);
  const { apiKey } = await ctx.keys.resolve(route.provider, route.baseUrl);
  const steps = STAGE_IDS.filter(s => !skip.includes(s)).length || 1;

  const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Verifying ${route.model}`, cancellable: true }, async (progress, token) => {
    const sub = token.onCancellationRequested(() => ac.abort());
    try {
      return await runVerifier({
        baseUrl: route.baseUrl, model: route.model, apiKey, timeoutMs: settings['verify.timeoutMs'], skip,
        skipNote: 'listed in localModelRouter.verify.skipStages',
        // What the profile this extension writes will make Codex send.
        nonFunctionTools: settings['codex.disableNonFunctionTools'] !== 'always', catalog: true,
        serverKind: route.serverKind, signal: ac.signal,
        onProgress: p => {
          if (p.kind === 'stage-start') progress.report({ message: p.title });
          else {
            const r = p.result;
            progress.report({ message: `${r.title}: ${r.status}`, increment: 100 / steps });
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
  if (running === ac) running = undefined;
  if (report.cancelled) {
    ctx.log.info('verify: cancelled or superseded by a newer run');
    ctx.routes.verificationCancelled(runId);
    return report;
  }
  const summary = summarize(report);
  ctx.log.info(`verify: ${report.ok ? 'passed' : `failed at ${summary.failedStage} (${summary.diagnosis})`} in ${formatMs(report.ms)}`);
  ctx.routes.verificationFinished(runId, route, summary);
  await showReport(ctx, route, report);
  return report;
}

async function showReport(ctx: Ctx, route: Route, report: VerifyReport): Promise<void> {
  const target: FixTarget = { provider: route.provider, baseUrl: route.baseUrl, model: route.model, serverKind: report.serverKind ?? route.serverKind, chatTemplate: report.facts?.chatTemplate };
  const server = ctx.servers.findByBaseUrl(route.baseUrl);
  // A llama-server started elsewhere with a template problem: a relaxed copy of its own template to point it at.
  const templateTrouble = report.stages.some(s => s.diagnosis?.fix?.kind === 'changeServer' && s.diagnosis.fix.change.what === 'template');
  const relaxed = templateTrouble && !managedProvider(ctx, route.baseUrl) && report.facts?.chatTemplate ? await writeRelaxedCopy(ctx, report.facts.chatTemplate) : undefined;
  const resolve = resolverFor(ctx, target, relaxed);
  const serverOutput: Partial<Record<string, string[]>> = {};
  if (server) for (const s of report.stages) if (s.status === 'fail') serverOutput[s.id] = server.recentOutput(40);
  const keyNote = await codexKeyNote(ctx, route);
  if (keyNote) ctx.log.info(`verify: ${keyNote}`);
  if (!panel) {
    panel = vscode.window.createWebviewPanel('localModelRouter.verifyReport', 'Route Verification', { viewColumn: vscode.ViewColumn.Active, preserveFocus: true }, { enableScripts: true, localResourceRoots: [] });
    panel.onDidDispose(() => { panel = undefined; });
  }
  const p = panel;
  p.title = `Verify: ${route.model}`;
  const nonce = randomBytes(16).toString('base64');
  p.webview.html = renderHtml(report, {
    cspSource: p.webview.cspSource, nonce, serverOutput, resolve,
    startedLabel: new Date(report.startedAt).toLocaleString(),
    notes: keyNote ? [keyNote] : [],
    next: [{ label: COMMANDS.writeCodexProfile.title, action: 'writeProfile' }, { label: COMMANDS.openCodex.title, action: 'openCodex' }],
  });
  // One listener per report: the previous one goes with the previous report.
  messageListener?.dispose();
  messageListener = p.webview.onDidReceiveMessage(async (msg: { type?: string; stage?: string }) => {
    if (msg.type === 'rerun') return void vscode.commands.executeCommand(COMMANDS.verifyRoute.id, route);
    if (msg.type === 'log') return ctx.log.show();
    if (msg.type === 'writeProfile') return void vscode.commands.executeCommand(COMMANDS.writeCodexProfile.id);
    if (msg.type === 'openCodex') return void vscode.commands.executeCommand(COMMANDS.openCodex.id);
    const fix = report.stages.find(s => s.id === msg.stage)?.diagnosis?.fix;
    if (msg.type !== 'fix' || !fix) return;
    const out = await applyFix(ctx, fix, target, relaxed);
    const again = 'Verify Again';
    const choice = await (out.applied ? vscode.window.showInformationMessage(out.detail, again) : vscode.window.showWarningMessage(out.detail, again));
    if (choice === again) void vscode.commands.executeCommand(COMMANDS.verifyRoute.id, route);
  });
  p.reveal(undefined, true);
}
