// "Open Claude Code on This Route": a terminal running `claude` with the route's variables (the same
// ones the settings writer uses, core/claude/env.ts). A key travels only in that terminal's
// environment, never in argv or a file.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { routeKeyVar } from '../../core/endpoints';
import { claudeLaunchFor } from '../../core/claude/launch';
import { findExecutable } from '../../core/which';
import { showError, showWarning } from '../../ui/notify';
import { displayName } from '../../core/text/sanitize';
import { decideBridge } from '../../core/bridge/use';
import { bridgeBaseUrl } from '../../core/bridge/facts';
import type { StartBridgeArgs, StartBridgeResult } from '../../core/commandContracts';

export type OpenClaudeResult = { ok: true; args: string[]; envNames: string[] } | { ok: false; reason: string };

export async function openClaudeCode(ctx: Ctx): Promise<OpenClaudeResult> {
  const route = ctx.routes.active;
  if (!route) {
    void showWarning('No local model is chosen yet.', 'Pick a Model').then(p => {
      if (p) void vscode.commands.executeCommand(COMMANDS.pickRoute.id);
    });
    return { ok: false, reason: 'no route' };
  }
  const exe = ctx.settings().values['claude.executable'];
  const resolved = findExecutable(exe, ctx.env);
  if (!resolved) {
    void showError(
      `Claude Code is not installed (no "${exe}" on PATH). Install it with: npm i -g @anthropic-ai/claude-code`,
      'Copy Install Command',
      'Open Settings',
    ).then(c => {
      if (c === 'Copy Install Command') void vscode.env.clipboard.writeText('npm i -g @anthropic-ai/claude-code');
      if (c === 'Open Settings') void ctx.settingsStore.open('claude.executable');
    });
    return { ok: false, reason: 'claude not found' };
  }
  const s = ctx.settings().values;
  // Through the route bridge when the verification proved Claude Code needs it (core/bridge/use.ts):
  // started first; it holds the server's key, so Claude Code gets none.
  const bridge = decideBridge('claude', ctx.routes.verificationsOf(route).claude, s['bridge.use']);
  const key = bridge.use ? { apiKey: undefined, keyVar: undefined } : await ctx.keys.resolve(route.provider, route.baseUrl);
  const launch = claudeLaunchFor({
    executable: resolved,
    // The bridge listens on its fixed port: the launch is checked before anything is started.
    baseUrl: bridge.use ? bridgeBaseUrl(s['bridge.port']) : route.baseUrl,
    model: route.model,
    contextWindow: route.contextWindow,
    needsKey: !!key.apiKey,
    apiKey: key.apiKey,
    keyVar: routeKeyVar({ provider: route.provider, keyVar: key.keyVar }),
    disableThinking: s['claude.disableThinking'],
  });
  if (!launch.ok) {
    void showWarning(launch.reason);
    return { ok: false, reason: launch.reason };
  }
  if (bridge.use) {
    const started = (await vscode.commands.executeCommand(COMMANDS.startBridge.id, { quiet: true } satisfies StartBridgeArgs)) as
      StartBridgeResult | undefined;
    if (!started?.ok) {
      const reason = started?.reason ?? 'the route bridge did not start';
      void showError(
        `Claude Code was not opened: it goes through the route bridge here (${bridge.why}), which did not start. ${reason}`,
        'Open Settings',
      ).then(c => {
        if (c) void ctx.settingsStore.open('bridge.port');
      });
      return { ok: false, reason: `bridge: ${reason}` };
    }
  }
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const terminal = vscode.window.createTerminal({
    name: `Claude Code · ${displayName(route.model)}`,
    shellPath: launch.command,
    shellArgs: launch.args,
    env: launch.env,
    ...(cwd ? { cwd } : {}),
    iconPath: new vscode.ThemeIcon('hubot'),
  });
  terminal.show();
  // Names only: launch.secretEnv values never reach the log.
  ctx.log.info(
    `opened Claude Code: ${launch.describe}${bridge.use ? ` through the route bridge (${bridge.why})` : ''} (with ${Object.keys(launch.env).join(', ')} set)`,
  );
  return { ok: true, args: launch.args, envNames: Object.keys(launch.env) };
}
