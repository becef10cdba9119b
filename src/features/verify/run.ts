// "Verify Route": runs the verifier on the active route (or a route passed as the first argument)
// with cancellable progress, reports the outcome to the route store (which owns health), shows the
// report in a webview with a button per fix, and logs every stage.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { displayName } from '../../core/text/sanitize';
import { homedir } from 'node:os';
import type { Ctx, PlainHttpAnswer } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { fullKey } from '../../core/settings/catalog';
import { enabledMcpServerNames, profileKeyVar } from '../../core/codex/verifyInput';
import { nonFunctionToolsOption, type NonFunctionToolsMode } from '../../core/codex/nonFunctionTools';
import { isRoute, routeKey, type Route } from '../../core/route/route';
import { runningText, type RunningStage } from '../../core/verify/progress';
import { summarize, STAGE_IDS_BY_AGENT, type StageId, type VerifyReport } from '../../core/codex/verify/index';
import { verifyAgents } from '../../core/agentVerify';
import { bridgeCanHelp } from '../../core/bridge/decide';
import { verifyThroughBridge } from '../../core/bridge/verifyThrough';
import { AGENTS, type AgentId } from '../../core/agents';
import { describeFix, formatMs } from '../../core/verify/report';
import { renderHtml } from '../../core/verify/html';
import { codexKeyVar } from '../../core/codex/launch';
import { resolveCodexHome } from '../../core/codex/version';
import { applyFix, managedProvider, resolverFor, type FixTarget } from './fixes';
import { writeRelaxedCopy } from '../../state/chatTemplates';
import { showInfo, showWarning } from '../../ui/notify';

/** The feature's UI state, one per activation: the run in flight (a new one supersedes it) and the report panel. */
interface VerifyUi {
  running?: AbortController;
  /** One report panel per agent. */
  panels: Partial<Record<AgentId, { panel: vscode.WebviewPanel; listener?: vscode.Disposable }>>;
}
const uis = new WeakMap<Ctx, VerifyUi>();
function uiOf(ctx: Ctx): VerifyUi {
  let ui = uis.get(ctx);
  if (!ui) uis.set(ctx, (ui = { panels: {} }));
  return ui;
}

function codexHome(ctx: Ctx): string {
  return resolveCodexHome(ctx.env, ctx.settings().values['codex.home'], homedir()).path;
}

/** Whether Codex will send the route's key: what its profile names, and what Open Codex sets. */
async function codexKeyNote(ctx: Ctx, route: Route): Promise<string | undefined> {
  const key = await ctx.keys.resolve(route.provider, route.baseUrl);
  if (!key.apiKey) return undefined;
  const v = codexKeyVar({ provider: route.provider, keyVar: key.keyVar });
  const source = key.keySource === 'secret' ? 'the key stored with Set API Key' : `$${key.keyVar}`;
  if (!route.codexProfile)
    return `Codex needs this server's key: "Write Codex Profile" makes the profile read it from $${v}, and "Open Codex" fills $${v} from ${source}.`;
  const named = profileKeyVar(codexHome(ctx), route.codexProfile);
  if (!named)
    return `Codex will get 401 from this server: profile "${route.codexProfile}" names no key variable. Run "Write Codex Profile" again.`;
  return `Codex will send the key: profile "${route.codexProfile}" reads it from $${named}, which "Open Codex" fills from ${source}. In a terminal of your own, set $${named} first.`;
}

export interface VerifyArgs {
  route?: Route;
  /** Only this agent; default: the verify.agents setting. */
  agent?: AgentId;
}

export interface VerifyOptions {
  /** Answers to the questions on the way (plain http to another host). */
  answers?: { plainHttp?: PlainHttpAnswer };
}

/**
 * Verifies the route for each agent in turn (one progress notification), reports the outcomes to the
 * route store, and shows one report per agent. Returns the first agent's report (Codex by default);
 * `others` holds the rest.
 */
/** A report as the command returns it: with what the server printed while its agent was checked. */
export type ReportWithOutput = VerifyReport & {
  /** The server's lines printed during this agent's requests (a server this window started), else absent. */
  serverOutput?: string[];
};

export async function verifyCommand(
  ctx: Ctx,
  arg?: unknown,
  options?: VerifyOptions,
): Promise<(ReportWithOutput & { others?: ReportWithOutput[] }) | undefined> {
  const args: VerifyArgs = isRoute(arg) ? { route: arg } : ((arg && typeof arg === 'object' ? arg : {}) as VerifyArgs);
  const given = args.route ?? ctx.routes.active;
  if (!given) {
    const choice = await showInfo('Pick a local model first: there is no route to verify.', COMMANDS.pickRoute.title);
    if (choice) void vscode.commands.executeCommand(COMMANDS.pickRoute.id);
    return undefined;
  }
  // The verifier sends prompts (and the key): plain http to another host needs a yes first.
  const consent = await ctx.plainHttp.confirm(given.baseUrl, {
    provider: given.provider,
    ...(options?.answers?.plainHttp ? { answer: options.answers.plainHttp } : {}),
  });
  if (consent.kind === 'declined' || consent.kind === 'tunnel') {
    ctx.log.info(`verify: not run; plain http to ${given.baseUrl} was not approved`);
    return undefined;
  }
  const ui = uiOf(ctx);
  ui.running?.abort();
  const ac = (ui.running = new AbortController());
  // The server as it is now (after a restart with other flags, say): discovery looks again, the route
  // store brings the route's facts up to date, and the verdict is recorded against that server.
  await ctx.discovery.refresh('verify');
  const active = ctx.routes.active;
  const route = active && routeKey(active) === routeKey(given) ? active : given;
  const settings = ctx.settings().values;
  const agents: AgentId[] = args.agent
    ? [args.agent]
    : (settings['verify.agents'] as AgentId[]).length
      ? (settings['verify.agents'] as AgentId[])
      : ['codex'];
  const skip = settings['verify.skipStages'] as StageId[];
  const runId = ctx.routes.verificationStarted(route);
  ctx.log.info(
    `verify: ${route.model} at ${route.baseUrl} for ${agents.join(', ')} (timeout ${settings['verify.timeoutMs']} ms, skip ${skip.join(', ') || 'none'})`,
  );
  const { apiKey } = await ctx.keys.resolve(route.provider, route.baseUrl);
  const steps = agents.reduce((n, a) => n + STAGE_IDS_BY_AGENT[a].filter(s => !skip.includes(s)).length, 0) || 1;

  const reports = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Verifying ${displayName(route.model)}`, cancellable: true },
    async (progress, token) => {
      const sub = token.onCancellationRequested(() => ac.abort());
      // Elapsed time per stage and in all, brought up to date every second while a stage runs.
      const runStartedAt = Date.now();
      let running: RunningStage | undefined;
      const tick = setInterval(() => {
        if (running) progress.report({ message: runningText(running, runStartedAt, Date.now()) });
      }, 1_000);
      // Each report shows only what the server printed for its own agent's requests.
      const server = ctx.servers.findByBaseUrl(route.baseUrl);
      let mark = server?.outputMark();
      try {
        const input = {
          baseUrl: route.baseUrl,
          model: route.model,
          apiKey,
          timeoutMs: settings['verify.timeoutMs'],
          skip,
          skipNote: `listed in ${fullKey('verify.skipStages')}`,
          serverKind: route.serverKind,
          contextWindow: route.contextWindow,
          signal: ac.signal,
          // What the settings this extension writes will make each agent send.
          codex: {
            nonFunctionTools: nonFunctionToolsOption(settings['codex.disableNonFunctionTools'] as NonFunctionToolsMode),
            catalog: true,
            mcpServers: enabledMcpServerNames(codexHome(ctx)),
          },
          claude: { thinking: !settings['claude.disableThinking'] },
          promptTps: ctx.routes.verificationsOf(route).codex?.findings?.promptTps,
        };
        return await verifyAgents(agents, {
          ...input,
          onProgress: (agent, p) => {
            if (p.kind === 'stage-start') {
              running = {
                label: `${AGENTS[agent].displayName}: ${p.title}`,
                startedAt: Date.now(),
                ...(p.estimateMs !== undefined ? { estimateMs: p.estimateMs } : {}),
              };
              progress.report({ message: runningText(running, runStartedAt, Date.now()) });
            } else {
              running = undefined;
              const r = p.result;
              progress.report({ message: `${AGENTS[agent].displayName}: ${r.title}: ${r.status}`, increment: 100 / steps });
              const line = `verify ${agent} ${r.id}: ${r.status} in ${formatMs(r.ms)}: ${r.summary}`;
              if (r.status === 'fail') ctx.log.warn(line);
              else ctx.log.info(line);
              if (r.diagnosis && r.status !== 'pass')
                ctx.log.info(
                  `  ${r.diagnosis.code}: ${r.diagnosis.message}${r.diagnosis.fix ? ` (fix: ${describeFix(r.diagnosis.fix)})` : ''}`,
                );
              for (const e of r.evidence) ctx.log.debug(`  ${e}`);
            }
          },
          onReport: async (report: ReportWithOutput) => {
            if (server && mark !== undefined) report.serverOutput = server.outputSince(mark, SERVER_OUTPUT_LINES);
            // What the bridge repairs is verified again through it, so the report shows both verdicts.
            if (!ac.signal.aborted && bridgeCanHelp(report, { mcpServers: input.codex.mcpServers })) {
              progress.report({ message: `${AGENTS[report.agent].displayName}: verifying again through the route bridge…` });
              const through = await verifyThroughBridge(report.agent, { ...input, signal: ac.signal }, report).catch((e: Error) => {
                ctx.log.warn(`verify through the route bridge: ${e.message}`);
                return undefined;
              });
              if (through) {
                report.throughBridge = through;
                ctx.log.info(
                  `verify ${report.agent} through the route bridge: ${through.ok ? 'passed' : `failed at ${through.failed?.stage}`}`,
                );
              }
            }
            mark = server?.outputMark();
          },
        });
      } finally {
        clearInterval(tick);
        sub.dispose();
      }
    },
  );
  if (ui.running === ac) ui.running = undefined;
  if (reports.some(r => r.cancelled)) {
    ctx.log.info('verify: cancelled or superseded by a newer run');
    ctx.routes.verificationCancelled(runId);
    return Object.assign(reports[0], reports.length > 1 ? { others: reports.slice(1) } : {});
  }
  const summaries = reports.map(r => summarize(r));
  for (const [i, r] of reports.entries())
    ctx.log.info(
      `verify ${agents[i]}: ${r.ok ? 'passed' : `failed at ${summaries[i].failedStage} (${summaries[i].diagnosis})`} in ${formatMs(r.ms)}`,
    );
  ctx.routes.verificationFinished(runId, route, summaries);
  for (const r of reports) await showReport(ctx, route, r);
  return Object.assign(reports[0], reports.length > 1 ? { others: reports.slice(1) } : {});
}

/** How much of the server's output a report shows under a failed stage. */
const SERVER_OUTPUT_LINES = 40;

async function showReport(ctx: Ctx, route: Route, report: ReportWithOutput): Promise<void> {
  const target: FixTarget = {
    provider: route.provider,
    baseUrl: route.baseUrl,
    model: route.model,
    serverKind: report.serverKind ?? route.serverKind,
    chatTemplate: report.facts?.chatTemplate,
  };
  // A llama-server started elsewhere with a template problem: a relaxed copy of its own template to point it at.
  const templateTrouble = report.stages.some(s => s.diagnosis?.fix?.kind === 'changeServer' && s.diagnosis.fix.change.what === 'template');
  const relaxed =
    templateTrouble && !managedProvider(ctx, route.baseUrl) && report.facts?.chatTemplate
      ? await writeRelaxedCopy(ctx, report.facts.chatTemplate)
      : undefined;
  const resolve = resolverFor(ctx, target, relaxed);
  const serverOutput: Partial<Record<string, string[]>> = {};
  if (report.serverOutput?.length) for (const s of report.stages) if (s.status === 'fail') serverOutput[s.id] = report.serverOutput;
  const agent = report.agent;
  const keyNote = agent === 'codex' ? await codexKeyNote(ctx, route) : undefined;
  if (keyNote) ctx.log.info(`verify: ${keyNote}`);
  const ui = uiOf(ctx);
  let slot = ui.panels[agent];
  if (!slot) {
    const created = vscode.window.createWebviewPanel(
      'localModelRouter.verifyReport',
      'Route Verification',
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: true },
      { enableScripts: true, localResourceRoots: [] },
    );
    const s: { panel: vscode.WebviewPanel; listener?: vscode.Disposable } = { panel: created };
    created.onDidDispose(() => {
      if (ui.panels[agent] === s) delete ui.panels[agent];
    });
    ui.panels[agent] = slot = s;
  }
  const p = slot.panel;
  p.title =
    agent === 'codex' ? `Verify: ${displayName(route.model)}` : `Verify: ${displayName(route.model)} (${AGENTS[agent].displayName})`;
  const nonce = randomBytes(16).toString('base64');
  p.webview.html = renderHtml(report, {
    cspSource: p.webview.cspSource,
    nonce,
    serverOutput,
    resolve,
    startedLabel: new Date(report.startedAt).toLocaleString(),
    notes: keyNote ? [keyNote] : [],
    next:
      agent === 'codex'
        ? [
            { label: COMMANDS.writeCodexProfile.title, action: 'writeProfile' },
            { label: COMMANDS.openCodex.title, action: 'openCodex' },
          ]
        : [
            { label: COMMANDS.writeClaudeSettings.title, action: 'writeClaudeSettings' },
            { label: COMMANDS.openClaudeCode.title, action: 'openClaudeCode' },
          ],
  });
  // One listener per report: the previous one goes with the previous report.
  slot.listener?.dispose();
  slot.listener = p.webview.onDidReceiveMessage(async (msg: { type?: string; stage?: string }) => {
    if (msg.type === 'rerun') return void vscode.commands.executeCommand(COMMANDS.verifyRoute.id, { route, agent });
    if (msg.type === 'log') return ctx.log.show();
    const next: Record<string, string> = {
      writeProfile: COMMANDS.writeCodexProfile.id,
      openCodex: COMMANDS.openCodex.id,
      writeClaudeSettings: COMMANDS.writeClaudeSettings.id,
      openClaudeCode: COMMANDS.openClaudeCode.id,
    };
    if (msg.type && next[msg.type]) return void vscode.commands.executeCommand(next[msg.type]);
    const fix = report.stages.find(s => s.id === msg.stage)?.diagnosis?.fix;
    if (msg.type !== 'fix' || !fix) return;
    const out = await applyFix(ctx, fix, target, { relaxedTemplateFile: relaxed });
    const again = 'Verify Again';
    const choice = await (out.applied ? showInfo(out.detail, again) : showWarning(out.detail, again));
    if (choice === again) void vscode.commands.executeCommand(COMMANDS.verifyRoute.id, { route, agent });
  });
  p.reveal(undefined, true);
}
