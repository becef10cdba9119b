// The provider picker: a QuickPick filled live from discovery. Items carry typed payloads and the
// accept handler dispatches on them, never on labels.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { COMMANDS } from '../commands';
import { PROVIDERS } from '../core/providers';
import type { EndpointProbe } from '../core/discovery';
import { routeKey, type Route } from '../core/route';
import { buildPickerEntries, type PickPayload } from '../core/pickerModel';

type Item = vscode.QuickPickItem & { payload?: PickPayload };

/** Lets tests and other commands take the same path as a person: the picker opens, then this item is accepted. */
export interface PickRequest {
  select?: { baseUrl: string; model: string };
}

export type PickResult = { ok: true; route: Route } | { ok: false; reason: string } | undefined;

export function register(ctx: Ctx): void {
  ctx.extension.subscriptions.push(vscode.commands.registerCommand(COMMANDS.pickRoute.id, (req?: PickRequest) => showPicker(ctx, req)));
}

function toItems(ctx: Ctx, probes: readonly EndpointProbe[]): Item[] {
  return buildPickerEntries(probes, ctx.routes.active, { launchable: p => PROVIDERS[p].launchable }).map(e => e.kind === 'separator'
    ? { label: e.label, kind: vscode.QuickPickItemKind.Separator }
    : { label: e.label, description: e.description, detail: e.detail, payload: e.payload, picked: e.active, iconPath: new vscode.ThemeIcon(e.icon) });
}

async function showPicker(ctx: Ctx, req?: PickRequest): Promise<PickResult> {
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = 'Local Model Router: pick the model Codex will use';
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
  switch (payload.kind) {
    case 'refresh':
      void ctx.discovery.refresh('picker-refresh');
      return undefined;
    case 'start':
      qp.hide();
      void vscode.commands.executeCommand(COMMANDS.startServer.id, payload.provider);
      return undefined;
    case 'addEndpoint':
      qp.hide();
      void vscode.commands.executeCommand(COMMANDS.addEndpoint.id);
      return undefined;
    case 'setKey':
      qp.hide();
      void vscode.commands.executeCommand(COMMANDS.setApiKey.id, payload.baseUrl);
      return undefined;
    case 'model': {
      qp.busy = true;
      qp.enabled = false;
      qp.placeholder = `Checking that ${payload.route.model} answers…`;
      const result = await ctx.routes.switchTo(payload.route);
      qp.hide();
      if (result.ok) return { ok: true, route: payload.route };
      const fix = result.fix;
      void vscode.window.showErrorMessage(`Kept the current route: ${payload.route.model} did not answer. ${result.reason}`, ...(fix ? [fix.label] : [])).then(choice => {
        if (fix && choice === fix.label) void vscode.commands.executeCommand(fix.command, ...(fix.args ?? []));
      });
      return { ok: false, reason: result.reason };
    }
  }
}

