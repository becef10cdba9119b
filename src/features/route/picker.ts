// The provider picker: a QuickPick filled live from discovery. Items carry typed payloads and the
// accept handler dispatches on them, never on labels.
import * as vscode from 'vscode';
import type { Ctx, PlainHttpAnswer, SwitchResult } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { PROVIDERS } from '../../core/providers';
import type { EndpointProbe } from '../../core/route/discovery';
import { routeKey, type Route } from '../../core/route/route';
import { buildPickerEntries, routeFor, type PickPayload } from '../../core/route/pickerModel';
import { sameOllamaModel, type DefaultModelChoice } from '../../core/route/defaultModel';
import type { PullCommandResult } from '../../core/commandContracts';
import { recommendationsFor } from './recommendations';
import { showError } from '../../ui/notify';
import { displayName } from '../../core/text/sanitize';

type Item = vscode.QuickPickItem & { payload?: PickPayload };

/** Lets tests and other commands take the same path as a person: the picker opens, then this item is accepted. */
export interface PickRequest {
  /** A model row, or the row recommending a model for the Ollama endpoint at `baseUrl`. */
  select?: { baseUrl: string; model: string } | { baseUrl: string; recommended: true };
  /** Answers to the questions on the way (plain http to another host). */
  answers?: { plainHttp?: PlainHttpAnswer };
}

/** The row that was accepted, as the picker showed it. */
export interface PickedRow {
  label: string;
  description?: string;
  detail?: string;
}

export type PickResult =
  { ok: true; route: Route; row?: PickedRow; pulled?: boolean } | { ok: false; reason: string; code?: string; row?: PickedRow } | undefined;

type Answers = NonNullable<PickRequest['answers']>;

function toItems(ctx: Ctx, probes: readonly EndpointProbe[], recommendations: ReadonlyMap<string, DefaultModelChoice> | undefined): Item[] {
  const entries = buildPickerEntries(probes, {
    active: ctx.routes.active,
    launchable: p => PROVIDERS[p].launchable,
    trusted: vscode.workspace.isTrusted,
    // A verdict reached on the server as it was before (another context, template, build) says nothing now.
    verifications: r => ctx.routes.holdingOf(r),
    ...(recommendations ? { recommendations } : {}),
  });
  return entries.map(e =>
    e.kind === 'separator'
      ? { label: e.label, kind: vscode.QuickPickItemKind.Separator }
      : {
          label: e.label,
          description: e.description,
          detail: e.detail,
          payload: e.payload,
          picked: e.active,
          iconPath: new vscode.ThemeIcon(e.icon),
        },
  );
}

export async function showPicker(ctx: Ctx, req?: PickRequest): Promise<PickResult> {
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = 'Local Model Router: pick the model your agent will use';
  qp.placeholder = 'Looking for local servers…';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.items = toItems(ctx, ctx.discovery.latest, undefined);
  const disposables: vscode.Disposable[] = [qp];
  // Recommendations need /api/tags: computed once per discovery round, off the render path.
  let recs: { probes: readonly EndpointProbe[]; map: Map<string, DefaultModelChoice> } | undefined;
  let computing: { probes: readonly EndpointProbe[]; done: Promise<void> } | undefined;
  const ensureRecommendations = (): Promise<void> => {
    const probes = ctx.discovery.latest;
    if (ctx.routes.active || ctx.discovery.busy || recs?.probes === probes) return Promise.resolve();
    if (computing?.probes === probes) return computing.done;
    const done = recommendationsFor(ctx, probes).then(
      map => {
        if (ctx.discovery.latest !== probes) return;
        recs = { probes, map };
        render();
      },
      (e: unknown) => ctx.log.warn(`recommendations: ${String(e)}`),
    );
    computing = { probes, done };
    return done;
  };
  const render = () => {
    const items = toItems(ctx, ctx.discovery.latest, recs?.probes === ctx.discovery.latest ? recs.map : undefined);
    const activeKey = ctx.routes.active ? routeKey(ctx.routes.active) : undefined;
    qp.items = items;
    const current = items.find(i => i.payload?.kind === 'model' && routeKey(i.payload.route) === activeKey);
    if (current) qp.activeItems = [current];
    qp.busy = ctx.discovery.busy;
    qp.placeholder = ctx.discovery.busy ? 'Looking for local servers…' : 'Pick a model, or start a server';
    void ensureRecommendations();
  };
  const answers: Answers = req?.answers ?? {};
  const done = new Promise<PickResult>(resolve => {
    disposables.push(
      ctx.discovery.onDidChange(render),
      qp.onDidHide(() => resolve(undefined)),
      qp.onDidAccept(async () => {
        const payload = qp.selectedItems[0]?.payload;
        if (!payload) return;
        // Refresh keeps the picker open: the rows update from discovery.
        if (payload.kind === 'refresh') return void ctx.discovery.refresh('picker-refresh');
        resolve(await accept(ctx, qp, payload, answers));
      }),
    );
  });
  qp.show();
  render();
  const refreshed = ctx.discovery.refresh('picker-open');
  if (req?.select) {
    const select = req.select;
    await refreshed;
    if ('recommended' in select) await ensureRecommendations();
    render();
    const want = qp.items.find(i =>
      'recommended' in select
        ? i.payload?.kind === 'recommended' && i.payload.baseUrl === select.baseUrl
        : i.payload?.kind === 'model' && i.payload.route.baseUrl === select.baseUrl && i.payload.route.model === select.model,
    );
    if (!want?.payload) {
      qp.hide();
      disposables.forEach(d => d.dispose());
      return {
        ok: false,
        reason:
          'recommended' in select
            ? `No recommendation for ${select.baseUrl} in the picker.`
            : `No model ${select.model} at ${select.baseUrl} in the picker.`,
      };
    }
    // activeItems only: setting selectedItems on a single-select pick would also fire onDidAccept.
    qp.activeItems = [want];
    const row: PickedRow = {
      label: want.label,
      ...(want.description ? { description: want.description } : {}),
      ...(want.detail ? { detail: want.detail } : {}),
    };
    const result = await accept(ctx, qp, want.payload, answers);
    disposables.forEach(d => d.dispose());
    return result ? { ...result, row } : result;
  }
  try {
    return await done;
  } finally {
    disposables.forEach(d => d.dispose());
  }
}

async function accept(ctx: Ctx, qp: vscode.QuickPick<Item>, payload: PickPayload, answers: Answers): Promise<PickResult> {
  const run = (id: string, ...args: unknown[]) => {
    qp.hide();
    void vscode.commands.executeCommand(id, ...args);
    return undefined;
  };
  switch (payload.kind) {
    case 'refresh':
      void ctx.discovery.refresh('picker-refresh');
      return undefined;
    case 'start':
      return run(COMMANDS.startServer.id, payload.provider);
    case 'trust':
      return run('workbench.trust.manage');
    case 'addEndpoint':
      return run(COMMANDS.addEndpoint.id);
    case 'setKey':
      return run(COMMANDS.setApiKey.id, payload.baseUrl);
    case 'connectSsh':
      return run(COMMANDS.connectSshTunnel.id);
    case 'allowPlainHttp': {
      qp.hide();
      const c = await ctx.plainHttp.confirm(payload.baseUrl, {
        provider: payload.provider,
        ...(answers.plainHttp ? { answer: answers.plainHttp } : {}),
      });
      if (c.kind === 'send') void ctx.discovery.refresh('plain-http-approved');
      return undefined;
    }
    case 'recommended':
      return acceptRecommendation(ctx, qp, payload, answers);
    case 'chooseModel':
      if (payload.provider === 'ollama') return run(COMMANDS.pullOllamaModel.id, { baseUrl: payload.baseUrl });
      if (payload.provider === 'llamacpp') return run(COMMANDS.chooseLlamaModel.id);
      return run(COMMANDS.openSettings.id);
    case 'model': {
      qp.busy = true;
      qp.enabled = false;
      qp.placeholder = `Checking that ${displayName(payload.route.model)} answers…`;
      const result = await ctx.routes.switchTo(payload.route, answers);
      qp.hide();
      if (result.ok) return { ok: true, route: payload.route };
      return refused(ctx, payload.route, result);
    }
  }
}

/** Pulls the proposed model when it is missing (with the pull command's progress), then switches to it. */
async function acceptRecommendation(
  ctx: Ctx,
  qp: vscode.QuickPick<Item>,
  payload: Extract<PickPayload, { kind: 'recommended' }>,
  answers: Answers,
): Promise<PickResult> {
  let pulled = false;
  if (payload.mustPull) {
    qp.hide();
    const r = await vscode.commands.executeCommand<PullCommandResult | undefined>(COMMANDS.pullOllamaModel.id, {
      baseUrl: payload.baseUrl,
      model: payload.model,
    });
    if (r?.kind !== 'pulled' && r?.kind !== 'present')
      return {
        ok: false,
        reason: r?.kind === 'failed' ? r.message : `The pull of ${payload.model} was cancelled.`,
        code: `pull-${r?.kind ?? 'cancelled'}`,
      };
    pulled = r.kind === 'pulled';
  }
  qp.busy = true;
  qp.enabled = false;
  qp.placeholder = `Checking that ${payload.model} answers…`;
  // The pull command refreshes discovery when it is done; a second round covers one that began before.
  let route: Route | undefined;
  for (let i = 0; i < 2 && !route; i++) {
    const probe = (await ctx.discovery.refresh('recommended-model')).find(p => p.baseUrl === payload.baseUrl);
    const model = probe?.result.kind === 'up' ? probe.result.models.find(m => sameOllamaModel(m.id, payload.model)) : undefined;
    if (probe && model) route = routeFor(probe, model);
  }
  if (!route) {
    qp.hide();
    return {
      ok: false,
      reason: `${payload.model} is not listed at ${payload.baseUrl}${pulled ? ' after the pull' : ''}.`,
      code: 'model-not-listed',
    };
  }
  const result = await ctx.routes.switchTo(route, answers);
  qp.hide();
  if (result.ok) return { ok: true, route, pulled };
  return refused(ctx, route, result);
}

/** The current route stays; says why, with the fix when there is one. */
function refused(ctx: Ctx, route: Route, result: Exclude<SwitchResult, { ok: true }>): PickResult {
  if ('consent' in result)
    return {
      ok: false,
      reason: `Nothing was sent to ${route.baseUrl}: plain http to another machine was not approved.`,
      code: 'plain-http-declined',
    };
  const d = result.diagnosis;
  // Nothing answers where a server we can start would listen: starting it is the fix.
  if (d.code === 'server-unreachable' && PROVIDERS[route.provider].launchable && vscode.workspace.isTrusted) {
    void showError(`Kept the current route: ${d.message}`, 'Start Server').then(c => {
      if (c) void vscode.commands.executeCommand(COMMANDS.startServer.id, route.provider);
    });
    return { ok: false, reason: d.message, code: d.code };
  }
  const fix = d.fix;
  void showError(`Kept the current route: ${route.model} did not answer. ${d.message}`, ...(fix ? [fix.label] : []), 'Show Log').then(
    choice => {
      if (fix && choice === fix.label)
        void vscode.commands.executeCommand(COMMANDS.applyFix.id, fix, {
          provider: route.provider,
          baseUrl: route.baseUrl,
          model: route.model,
          serverKind: route.serverKind,
        });
      else if (choice === 'Show Log') ctx.log.show();
    },
  );
  return { ok: false, reason: d.message, code: d.code };
}
