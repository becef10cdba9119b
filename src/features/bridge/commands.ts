// The bridge feature's commands (bundled as dist/lazy/bridge.js, loaded on first use). Open Codex and
// Open Claude Code run Start Route Bridge quietly when the agent goes through the bridge
// (core/commandContracts.ts: StartBridgeArgs, StartBridgeResult).
import * as vscode from 'vscode';
import type { LazyModule } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import type { StartBridgeArgs, StartBridgeResult } from '../../core/commandContracts';
import { showError, showInfo, showWarning } from '../../ui/notify';
import { startRouteBridge, stopRouteBridge } from './routeBridge';
import { decideBridge } from '../../core/bridge/use';
import { AGENT_IDS } from '../../core/agents';

export const commands: LazyModule['commands'] = {
  startBridge: async (ctx, ...raw): Promise<StartBridgeResult> => {
    const args = (raw[0] && typeof raw[0] === 'object' ? raw[0] : {}) as StartBridgeArgs;
    if (!vscode.workspace.isTrusted) return { ok: false, reason: 'untrusted' };
    const route = ctx.routes.active;
    if (!route) {
      void showWarning('No local model is chosen yet.', 'Pick a Model').then(pick => {
        if (pick) void vscode.commands.executeCommand(COMMANDS.pickRoute.id);
      });
      return { ok: false, reason: 'no route' };
    }
    if (args.ifNeeded) {
      const s = ctx.settings().values;
      const verdicts = ctx.routes.verificationsOf(route);
      if (!AGENT_IDS.some(a => decideBridge(a, verdicts[a], s['bridge.use']).use)) return { ok: false, reason: 'not needed' };
    }
    const b = await startRouteBridge(ctx, route, { reveal: args.reveal !== false });
    if (!b.ok) {
      ctx.log.warn(b.reason);
      if (!args.quiet)
        void showError(b.reason, 'Open Settings').then(c => {
          if (c) void ctx.settingsStore.open('bridge.port');
        });
      return b;
    }
    if (!args.quiet)
      void showInfo(
        `Route bridge on ${b.url}${b.reused ? " (another window's)" : ''}: point Codex's provider base_url or Claude Code's ANTHROPIC_BASE_URL there.`,
        'Copy URL',
      ).then(c => {
        if (c) void vscode.env.clipboard.writeText(b.url);
      });
    return { ok: true, url: b.url, reused: b.reused };
  },
  stopBridge: async () => {
    const stopped = await stopRouteBridge();
    if (!stopped) void showInfo('No route bridge is running in this window.');
    return { ok: stopped };
  },
};
