// Applies one fix from a report (or from the picker after a failed switch) to the server that
// failed: a setting and a restart for a server this window started, the exact flag to copy for one
// started elsewhere (no setting is written then), or the command that does the rest.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { fullKey, type SettingKey, type SettingValue } from '../../core/settings/catalog';
import { SERVER_KIND_INFO, kindOfProvider, type ServerKind } from '../../core/serverKind';
import { isLaunchProvider, type LaunchProvider } from '../../core/servers';
import { planServerChange, type ChangePlan } from '../../core/serverChanges';
import type { ProviderId } from '../../core/providers';
import type { Fix, ServerChange } from '../../core/verify/types';
import { showInfo } from '../../ui/notify';

/** The server a fix applies to. */
export interface FixTarget {
  provider: ProviderId;
  baseUrl: string;
  model: string;
  serverKind?: ServerKind;
  /** llama.cpp's own template as it reported it (/props), for a relaxed copy. */
  chatTemplate?: string;
}

export type FixOutcome = { applied: true; detail: string } | { applied: false; detail: string };

/** The provider whose settings started the server at this URL in this window, if any. */
export function managedProvider(ctx: Ctx, baseUrl: string): LaunchProvider | undefined {
  const s = ctx.servers.findByBaseUrl(baseUrl);
  return s && (s.state === 'starting' || s.state === 'ready') && isLaunchProvider(s.provider) ? s.provider : undefined;
}

/** How a server change is made for this target (pure decision in core/serverChanges.ts). */
export function resolverFor(ctx: Ctx, t: FixTarget, relaxedTemplateFile?: string): (c: ServerChange) => ChangePlan {
  const managed = managedProvider(ctx, t.baseUrl);
  return change =>
    planServerChange(change, {
      kind: t.serverKind ?? kindOfProvider(t.provider),
      ...(managed ? { managedProvider: managed } : {}),
      settings: ctx.settings().values,
      model: t.model,
      ...(relaxedTemplateFile ? { relaxedTemplateFile } : {}),
    });
}

async function applyPlan(ctx: Ctx, plan: ChangePlan, managed: LaunchProvider | undefined): Promise<FixOutcome> {
  if (plan.how === 'manual') {
    if (plan.copy) {
      await vscode.env.clipboard.writeText(plan.copy);
      ctx.log.info(`fix (manual): copied "${plan.copy}"`);
      return { applied: false, detail: `${plan.detail} Copied: ${plan.copy}` };
    }
    return { applied: false, detail: plan.detail };
  }
  for (const [key, value] of Object.entries(plan.set) as [SettingKey, SettingValue<SettingKey>][]) {
    await ctx.settingsStore.update(key, value);
    ctx.log.info(`fix: ${fullKey(key)} = ${JSON.stringify(value)}`);
  }
  if (managed) void vscode.commands.executeCommand(COMMANDS.restartServer.id, managed);
  return { applied: true, detail: `${plan.detail}` };
}

/** `profileArgs` go to Write Codex Profile when a fix writes it (a name and answers, as that command takes them). */
export async function applyFix(
  ctx: Ctx,
  fix: Fix,
  t: FixTarget,
  o: { relaxedTemplateFile?: string; profileArgs?: unknown } = {},
): Promise<FixOutcome> {
  const relaxedTemplateFile = o.relaxedTemplateFile;
  switch (fix.kind) {
    case 'changeServer':
      return applyPlan(ctx, resolverFor(ctx, t, relaxedTemplateFile)(fix.change), managedProvider(ctx, t.baseUrl));
    case 'codexDisableNonFunctionTools': {
      // "never" kept them on everywhere; "auto" turns them off only where a verification saw them refused (this route).
      await ctx.settingsStore.update('codex.disableNonFunctionTools', 'auto');
      ctx.log.info('fix: codex.disableNonFunctionTools = auto');
      // This fix repairs the direct route (its tools off), whatever the bridge would do.
      const args = { ...(o.profileArgs && typeof o.profileArgs === 'object' ? o.profileArgs : {}), direct: true };
      const r = await vscode.commands.executeCommand<{ kind?: string } | undefined>(COMMANDS.writeCodexProfile.id, args);
      return r?.kind === 'written'
        ? { applied: true, detail: 'The Codex profile was written with web search, agent and MCP tools off for this route.' }
        : {
            applied: true,
            detail: 'Non-function tools are off where the server refuses them; run "Write Codex Profile" to update this route\'s profile.',
          };
    }
    case 'pullModel': {
      const r = await vscode.commands.executeCommand<{ kind: string; message?: string } | undefined>(COMMANDS.pullOllamaModel.id, {
        baseUrl: t.baseUrl,
        model: fix.model,
      });
      return r?.kind === 'pulled' || r?.kind === 'present'
        ? { applied: true, detail: `${fix.model} is there.` }
        : { applied: false, detail: r?.message ?? 'Not pulled.' };
    }
    case 'openServerTerminal':
      if (managedProvider(ctx, t.baseUrl)) {
        await vscode.commands.executeCommand(COMMANDS.showServerTerminal.id, managedProvider(ctx, t.baseUrl));
        return { applied: true, detail: 'Showing the server terminal.' };
      }
      return { applied: false, detail: 'This server was not started here: read its own console or log.' };
    case 'setApiKey':
      await vscode.commands.executeCommand(COMMANDS.setApiKey.id, t.baseUrl);
      return { applied: true, detail: 'API key updated.' };
    case 'claudeDisableThinking':
      // Claude Code's settings carry it (CLAUDE_CODE_DISABLE_THINKING=1): the Claude feature rewrites them.
      return (
        (await vscode.commands.executeCommand<FixOutcome>(COMMANDS.writeClaudeSettings.id, { disableThinking: true, reason: 'fix' })) ?? {
          applied: false,
          detail: 'Not written.',
        }
      );
    case 'writeCodexProfile': {
      // The profile writer reads this route's last Codex verification (idle timeout, tool types).
      const r = await vscode.commands.executeCommand<{ kind?: string } | undefined>(COMMANDS.writeCodexProfile.id, o.profileArgs);
      return r?.kind === 'written'
        ? { applied: true, detail: 'The Codex profile was written again.' }
        : { applied: false, detail: 'Run "Write Codex Profile" to write it.' };
    }
    case 'upgrade': {
      const k = SERVER_KIND_INFO[fix.serverKind];
      const since = fix.api === 'responses' ? k.responsesSince : k.messagesSince;
      const choice = await showInfo(`Upgrade ${k.displayName} to ${since}.`, ...(k.downloadUrl ? ['Open Download Page'] : []));
      if (choice && k.downloadUrl) await vscode.env.openExternal(vscode.Uri.parse(k.downloadUrl));
      return { applied: false, detail: `Upgrade ${k.displayName} to ${since}.` };
    }
  }
}
