// "Open Codex on This Route": a terminal running Codex with the route's profile, or --oss. The
// route's key goes into that terminal's environment under the name the profile's env_key reads
// (from SecretStorage or the variable it came from); it is never written to a file. Before that,
// the installed Codex loads the configuration (no request sent): a config.toml or profile it
// rejects is reported with the repair instead of a terminal where Codex would exit at once.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { codexLaunchFor } from '../../core/codex/launch';
import { findExecutable } from '../../core/which';
import { resolveCodexHome } from '../../core/codex/version';
import { checkCodexConfig } from '../../core/codex/check';
import { profilePath } from '../../core/codex/files';
import { showError, showWarning } from '../../ui/notify';
import { displayName } from '../../core/text/sanitize';
import { profileBaseUrl } from '../../core/codex/verifyInput';
import { decideBridge } from '../../core/bridge/use';
import { bridgeBaseUrl } from '../../core/bridge/facts';
import type { StartBridgeArgs, StartBridgeResult } from '../../core/commandContracts';

function codexHome(ctx: Ctx): string {
  // The same precedence Codex itself and the profile writer use: CODEX_HOME → setting → ~/.codex.
  return resolveCodexHome(ctx.env, ctx.settings().values['codex.home'], homedir()).path;
}

/** What was opened; `env` lists variable names only (never values). */
export type OpenCodexResult = { ok: true; args: string[]; envNames: string[] } | { ok: false; reason: string };

export async function openCodex(ctx: Ctx): Promise<OpenCodexResult> {
  const route = ctx.routes.active;
  if (!route) {
    void showWarning('No local model is chosen yet.', 'Pick a Model').then(pick => {
      if (pick) void vscode.commands.executeCommand(COMMANDS.pickRoute.id);
    });
    return { ok: false, reason: 'no route' };
  }
  const exe = ctx.settings().values['codex.executable'];
  const resolved = findExecutable(exe, ctx.env);
  if (!resolved) {
    // Messages are not awaited: the command returns its outcome at once (tests, other commands).
    void showError(
      `Codex is not installed (no "${exe}" on PATH). Install it with: npm i -g @openai/codex`,
      'Copy Install Command',
      'Open Settings',
    ).then(choice => {
      if (choice === 'Copy Install Command') void vscode.env.clipboard.writeText('npm i -g @openai/codex');
      if (choice === 'Open Settings') void ctx.settingsStore.open('codex.executable');
    });
    return { ok: false, reason: 'codex not found' };
  }
  const profileExists = !!route.codexProfile && existsSync(profilePath(codexHome(ctx), route.codexProfile));
  const { apiKey, keyVar } = await ctx.keys.resolve(route.provider, route.baseUrl);
  const launch = codexLaunchFor({ ...route, ...(keyVar ? { keyVar } : {}) }, { profileExists, apiKey });
  if (!launch.ok) {
    void showWarning(launch.reason, 'Write Codex Profile').then(choice => {
      if (choice) void vscode.commands.executeCommand(COMMANDS.writeCodexProfile.id);
    });
    return { ok: false, reason: launch.reason };
  }
  // A profile written for the route bridge needs it running: started here (or another window's used).
  const profile = launch.args[0] === '--profile' ? launch.args[1] : undefined;
  const baseUrl = profile ? profileBaseUrl(codexHome(ctx), profile) : undefined;
  const s = ctx.settings().values;
  const viaBridge = baseUrl !== undefined && baseUrl.replace(/\/+$/, '') === bridgeBaseUrl(s['bridge.port']);
  if (!viaBridge && profile && decideBridge('codex', ctx.routes.verificationsOf(route).codex, s['bridge.use']).use) {
    // The verification proved Codex needs the bridge here, and this profile goes around it.
    void showWarning(
      `Profile "${profile}" sends Codex to the server directly, but Codex works on this route only through the route bridge. Write the profile again to go through it.`,
      COMMANDS.writeCodexProfile.title,
    ).then(c => {
      if (c) void vscode.commands.executeCommand(COMMANDS.writeCodexProfile.id);
    });
  }
  // Through the bridge, the bridge holds the server's key: Codex's terminal gets none.
  const env: Record<string, string> = viaBridge ? {} : launch.env;
  const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const check = await checkCodexConfig({
    executable: resolved,
    env: { ...(ctx.env as NodeJS.ProcessEnv), ...env },
    cwd,
    codexHome: codexHome(ctx),
    ...(launch.args[0] === '--profile' ? { profile: launch.args[1] } : {}),
  });
  if (check.kind === 'rejected') {
    ctx.log.warn(`Open Codex: Codex rejects the configuration\n${check.rejection.text}`);
    void showError(
      `Codex would stop at once: it rejects your configuration. Codex said: ${check.rejection.text.split('\n')[0]}`,
      COMMANDS.checkCodexConfig.title,
    ).then(c => {
      if (c)
        void vscode.commands.executeCommand(
          COMMANDS.checkCodexConfig.id,
          launch.args[0] === '--profile' ? { profile: launch.args[1] } : {},
        );
    });
    return { ok: false, reason: 'config-rejected' };
  }
  if (viaBridge) {
    const started = (await vscode.commands.executeCommand(COMMANDS.startBridge.id, { quiet: true } satisfies StartBridgeArgs)) as
      StartBridgeResult | undefined;
    if (!started?.ok) {
      const reason = started?.reason ?? 'the route bridge did not start';
      void showError(
        `Codex was not opened: profile "${profile}" goes through the route bridge, which did not start. ${reason}`,
        'Open Settings',
      ).then(c => {
        if (c) void ctx.settingsStore.open('bridge.port');
      });
      return { ok: false, reason: `bridge: ${reason}` };
    }
  }
  const terminal = vscode.window.createTerminal({
    name: `Codex · ${displayName(route.model)}`,
    shellPath: resolved,
    shellArgs: launch.args,
    env,
    ...(cwd ? { cwd } : {}),
    iconPath: new vscode.ThemeIcon('hubot'),
  });
  terminal.show();
  ctx.log.info(
    `opened Codex: ${launch.describe}${viaBridge ? ' through the route bridge' : ''}${Object.keys(env).length ? ` (with ${Object.keys(env).join(', ')} set)` : ''}`,
  );
  return { ok: true, args: launch.args, envNames: Object.keys(env) };
}
