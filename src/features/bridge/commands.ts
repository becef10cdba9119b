// The bridge feature's commands (bundled as dist/lazy/bridge.js, loaded on first use).
import * as vscode from 'vscode';
import type { LazyModule } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { showInfo, showWarning } from '../../ui/notify';
import { startRouteBridge, stopRouteBridge } from './routeBridge';

export const commands: LazyModule['commands'] = {
  startBridge: async ctx => {
    if (!vscode.workspace.isTrusted) return { ok: false, reason: 'untrusted' };
    const route = ctx.routes.active;
    if (!route) {
      void showWarning('No local model is chosen yet.', 'Pick a Model').then(pick => {
        if (pick) void vscode.commands.executeCommand(COMMANDS.pickRoute.id);
      });
      return { ok: false, reason: 'no route' };
    }
    const b = await startRouteBridge(ctx, route);
    void showInfo(`Route bridge on ${b.url}: point Codex's provider base_url or Claude Code's ANTHROPIC_BASE_URL there.`, 'Copy URL').then(
      c => {
        if (c) void vscode.env.clipboard.writeText(b.url);
      },
    );
    return { ok: true, url: b.url };
  },
  stopBridge: async () => {
    const stopped = await stopRouteBridge();
    if (!stopped) void showInfo('No route bridge is running in this window.');
    return { ok: stopped };
  },
};
