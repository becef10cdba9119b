// The provider picker: a QuickPick filled live from discovery. Items carry typed payloads and the
// accept handler dispatches on them, never on labels.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { PROVIDERS } from '../../core/providers';
import type { EndpointProbe } from '../../core/discovery';
import { routeKey, type Route } from '../../core/route';
import { buildPickerEntries, type PickPayload } from '../../core/pickerModel';

type Item = vscode.QuickPickItem & { payload?: PickPayload };

/** Lets tests and other commands take the same path as a person: the picker opens, then this item is accepted. */
export interface PickRequest {
  select?: { baseUrl: string; model: string };
}

export type PickResult = { ok: true; route: Route } | { ok: false; reason: string; code?: string } | undefined;

export function register(ctx: Ctx): void {
  ctx.extension.subscriptions.push(vscode.commands.registerCommand(COMMANDS.pickRoute.id, (req?: PickRequest) => showPicker(ctx, req)));
}

function toItems(ctx: Ctx, probes: readonly EndpointProbe[]): Item[] {
  const entries = buildPickerEntries(probes, {
    active: ctx.routes.active,
    launchable: p => PROVIDERS[p].launchable,
    trusted: vscode.workspace.isTrusted,
    verifications: r => ctx.routes.verificationsOf(r),
  });
  return entries.map(e => e.kind === 'separator'
    ? { label: e.label, kind: vscode.QuickPickItemKind.Separator }
    : { label: e.label, description: e.description, detail: e.detail, payload: e.payload, picked: e.active, iconPath: new vscode.ThemeIcon(e.icon) });
}

async function showPicker(ctx: Ctx, req?: PickRequest): Promise<PickResult> {
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = 'Local Model Router: pick the model your agent will use';
  qp.placeholder = 'Looking for local servers…';
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.items = toItems(ctx, ctx.discovery.latest);
  const disposables: vscode.Disposable[] = [qp];
  const render = () => {
    const items = toItems(ctx, ctx.discovery.latest);
    const activeKey = ctx.routes.active ? routeKey(ctx.routes.active) : undefined;
    qp.items = items;
    const current = items.find(i => i.payload?.kind === 'model' && routeKey(i.payload.route) === activeKey);
    if (current) qp.activeItems = [current];
    qp.busy = ctx.discovery.busy;
    qp.placeholder = ctx.discovery.busy ? 'Looking for local servers…' : 'Pick a model, or start a server';
  };
  const done = new Promise<PickResult>(resolve => {
    disposables.push(
      ctx.discovery.onDidChange(render),
      qp.onDidHide(() => resolve(undefined)),
      qp.onDidAccept(async () => {
        const payload = qp.selectedItems[0]?.payload;
        if (!payload) return;
        // Refresh keeps the picker open: the rows update from discovery.
        if (payload.kind === 'refresh') return void ctx.discovery.refresh('picker-refresh');
        resolve(await accept(ctx, qp, payload));
      }),
    );
  });
  qp.show();
  render();
  const refreshed = ctx.discovery.refresh('picker-open');
  if (req?.select) {
    await refreshed;
    const want = qp.items.find(i => i.payload?.kind === 'model' && i.payload.route.baseUrl === req.select?.baseUrl && i.payload.route.model === req.select?.model);
    if (!want?.payload) {
      qp.hide();
      disposables.forEach(d => d.dispose());
      return { ok: false, reason: `No model ${req.select.model} at ${req.select.baseUrl} in the picker.` };
    }
    // activeItems only: setting selectedItems on a single-select pick would also fire onDidAccept.
    qp.activeItems = [want];
    const result = await accept(ctx, qp, want.payload);
    disposables.forEach(d => d.dispose());
    return result;
  }
  try {
    return await done;
  } finally {
    disposables.forEach(d => d.dispose());
  }
}

async function accept(ctx: Ctx, qp: vscode.QuickPick<Item>, payload: PickPayload): Promise<PickResult> {
  const run = (id: string, ...args: unknown[]) => {
    qp.hide();
    void vscode.commands.executeCommand(id, ...args);
    return undefined;
  };
  switch (payload.kind) {
    case 'refresh':
      void ctx.discovery.refresh('picker-refresh');
      return undefined;
    case 'start': return run(COMMANDS.startServer.id, payload.provider);
    case 'trust': return run('workbench.trust.manage');
    case 'addEndpoint': return run(COMMANDS.addEndpoint.id);
    case 'setKey': return run(COMMANDS.setApiKey.id, payload.baseUrl);
    case 'chooseModel':
      if (payload.provider === 'ollama') return run(COMMANDS.pullOllamaModel.id, { baseUrl: payload.baseUrl });
      if (payload.provider === 'llamacpp') return run(COMMANDS.chooseLlamaModel.id);
      return run(COMMANDS.openSettings.id);
    case 'model': {
      qp.busy = true;
      qp.enabled = false;
      qp.placeholder = `Checking that ${payload.route.model} answers…`;
      const result = await ctx.routes.switchTo(payload.route);
      qp.hide();
      if (result.ok) return { ok: true, route: payload.route };
      const d = result.diagnosis;
      // Nothing answers where a server we can start would listen: starting it is the fix.
      if (d.code === 'server-unreachable' && PROVIDERS[payload.route.provider].launchable && vscode.workspace.isTrusted) {
        void vscode.window.showErrorMessage(`Kept the current route: ${d.message}`, 'Start Server').then(c => { if (c) void vscode.commands.executeCommand(COMMANDS.startServer.id, payload.route.provider); });
        return { ok: false, reason: d.message, code: d.code };
      }
      const fix = d.fix;
      void vscode.window.showErrorMessage(`Kept the current route: ${payload.route.model} did not answer. ${d.message}`, ...(fix ? [fix.label] : []), 'Show Log').then(choice => {
        if (fix && choice === fix.label) void vscode.commands.executeCommand(COMMANDS.applyFix.id, fix, { provider: payload.route.provider, baseUrl: payload.route.baseUrl, model: payload.route.model, serverKind: payload.route.serverKind });
        else if (choice === 'Show Log') ctx.log.show();
      });
      return { ok: false, reason: d.message, code: d.code };
    }
  }
}
