// "Write Claude Code Settings…": the `env` entries that route Claude Code to the active route, in the
// project's `.claude/settings.local.json` or the user's `~/.claude/settings.json`. No key is written:
// a keyed route gets an apiKeyHelper that prints the variable Open Claude Code fills from
// SecretStorage. Every other byte of the file stays; invalid JSON is refused with nothing written;
// the diff opens first; a backup goes to Claude Code's own folder. Core: src/core/claude/*.
import * as vscode from 'vscode';
import * as os from 'node:os';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { routeKeyVar } from '../../core/endpoints';
import { claudeSettingsLocation, desiredClaudeSettings, type ClaudeScope } from '../../core/claude/settings';
import { showError, showInfo, showWarning } from '../../ui/notify';
import { applyClaudeSettingsWrite, claudeBackupDir, planClaudeSettingsWrite } from '../../core/claude/write';
import { askBesideDiffs, showDiffs, TITLE_BAR_HINT } from '../../ui/diffPreview';
import { confirmWriteDespite } from '../../ui/confirmWrite';
import { writeConcerns } from '../../core/writeConcerns';
import { CLAUDE_SMALL_CONTEXT_EFFECT } from '../../core/claude/env';
import { decideBridge } from '../../core/bridge/use';
import { bridgeBaseUrl, bridgeCommandLine } from '../../core/bridge/facts';

export interface WriteClaudeArgs {
  scope?: ClaudeScope;
  /** From the verifier's thinking-unsupported fix: also turn claude.disableThinking on. */
  disableThinking?: boolean;
  /** Take the routing out again instead. */
  remove?: boolean;
  /** `despiteConcerns`: write although the last Claude Code verification failed or the context is too small for it. */
  answers?: { apply?: boolean; despiteConcerns?: boolean };
}

/** Also the shape the verifier's fix expects back. */
export type WriteClaudeOutcome =
  | { kind: 'written' | 'unchanged'; applied: boolean; detail: string; path: string }
  | { kind: 'cancelled' | 'nothing' | 'refused'; applied: false; detail: string };

async function chooseScope(ctx: Ctx, given: ClaudeScope | undefined): Promise<ClaudeScope | undefined> {
  if (given) return given;
  const setting = ctx.settings().values['claude.settingsScope'];
  if (setting === 'project' || setting === 'user') return setting;
  const folder = vscode.workspace.workspaceFolders?.[0];
  const items: (vscode.QuickPickItem & { scope: ClaudeScope })[] = [
    ...(folder
      ? [
          {
            scope: 'project' as const,
            label: 'This project',
            description: '.claude/settings.local.json',
            detail: `Claude Code started in ${folder.name} uses the route; the file is personal (not checked in).`,
          },
        ]
      : []),
    {
      scope: 'user',
      label: 'Every project',
      description: '~/.claude/settings.json',
      detail: 'Claude Code uses the route wherever it starts.',
    },
  ];
  return (await vscode.window.showQuickPick(items, { title: 'Write Claude Code settings for which projects?' }))?.scope;
}

export async function writeClaudeSettings(ctx: Ctx, raw?: unknown): Promise<WriteClaudeOutcome> {
  const args = (raw && typeof raw === 'object' ? raw : {}) as WriteClaudeArgs;
  const route = ctx.routes.active;
  if (!route && !args.remove) {
    const pick = await showWarning('Pick a local model first: the settings point Claude Code at it.', COMMANDS.pickRoute.title);
    if (pick) void vscode.commands.executeCommand(COMMANDS.pickRoute.id);
    return { kind: 'nothing', applied: false, detail: 'No route.' };
  }
  const lastClaude = route && ctx.routes.verificationsOf(route).claude;
  // Through the bridge when the verification proved it works there (core/bridge/use.ts).
  const bridge = decideBridge('claude', lastClaude, ctx.settings().values['bridge.use']);
  if (route && !args.remove) {
    ctx.log.info(`claude settings: ${bridge.use ? 'through the route bridge' : 'direct to the server'}: ${bridge.why}`);
    // A server that refuses thinking is what the settings turn it off for, and what the bridge proved
    // to repair is repaired: no reason to ask then.
    const thinkingOff = args.disableThinking || ctx.settings().values['claude.disableThinking'];
    const addressed = [
      ...(thinkingOff ? ['thinking-unsupported'] : []),
      ...(bridge.use && lastClaude?.throughBridge?.ok && lastClaude.diagnosis ? [lastClaude.diagnosis] : []),
    ];
    const concerns = writeConcerns('claude', route, lastClaude, addressed);
    const small = concerns.some(c => c.kind === 'context-too-small');
    const go = await confirmWriteDespite('Write Claude Code settings for this route', 'claude', concerns, {
      answer: args.answers?.despiteConcerns,
      ...(small ? { detail: CLAUDE_SMALL_CONTEXT_EFFECT } : {}),
    });
    if (!go) return { kind: 'cancelled', applied: false, detail: 'Cancelled.' };
  }
  const scope = await chooseScope(ctx, args.scope);
  if (!scope) return { kind: 'cancelled', applied: false, detail: 'Cancelled.' };
  const loc = claudeSettingsLocation(scope, {
    home: os.homedir(),
    folder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    env: ctx.env,
  });
  if (!loc.ok) return refuse(ctx, loc.error);
  if (args.disableThinking) await ctx.settingsStore.update('claude.disableThinking', true);
  let desired = null;
  let through = '';
  if (route && !args.remove) {
    const key = await ctx.keys.resolve(route.provider, route.baseUrl);
    const port = ctx.settings().values['bridge.port'];
    const keyVar = routeKeyVar({ provider: route.provider, keyVar: key.keyVar });
    if (bridge.use)
      through = ` through the route bridge at ${bridgeBaseUrl(port)}: Open Claude Code starts it; outside VS Code run \`${bridgeCommandLine(port, route.baseUrl, key.apiKey ? keyVar : undefined, { claude: lastClaude?.throughBridge?.upstreamApi })}\` first`;
    desired = desiredClaudeSettings({
      // The bridge holds the server's key: Claude Code then needs none.
      baseUrl: bridge.use ? bridgeBaseUrl(port) : route.baseUrl,
      model: route.model,
      contextWindow: route.contextWindow,
      needsKey: !bridge.use && !!key.apiKey,
      keyVar,
      disableThinking: args.disableThinking || ctx.settings().values['claude.disableThinking'],
    });
  }
  const plan = planClaudeSettingsWrite(loc.location, desired);
  if (!plan.ok) return refuse(ctx, plan.error);
  for (const n of plan.change.notes) ctx.log.info(`claude settings: ${n}`);
  if (!plan.changed) {
    void showInfo(`${loc.location.path} already routes Claude Code to ${route?.model ?? 'nothing'}.`);
    return { kind: 'unchanged', applied: true, detail: 'Already up to date.', path: loc.location.path };
  }
  const change = { role: 'config' as const, snapshot: plan.change.snapshot, after: plan.change.after, diff: plan.change.diff };
  let apply = true;
  if (ctx.settings().values['codex.previewChanges']) {
    const preview = await showDiffs(ctx, [change], 'Apply');
    try {
      apply =
        args.answers?.apply ??
        (await askBesideDiffs(
          preview,
          showInfo(
            `Write Claude Code settings to ${loc.location.path}? The diff shows every change ${TITLE_BAR_HINT}; a backup is kept in ${claudeBackupDir(loc.location)}${desired?.apiKeyHelper ? '; the key stays out of the file (apiKeyHelper)' : ''}.`,
            'Apply',
          ),
          'Apply',
        )) === 'Apply';
    } finally {
      await preview.close();
    }
  } else if (args.answers?.apply === false) apply = false;
  if (!apply) return { kind: 'cancelled', applied: false, detail: 'Cancelled.' };
  const w = applyClaudeSettingsWrite(plan.change, args.remove ? 'claude-settings remove' : 'claude-settings');
  if (!w.ok) return refuse(ctx, w.error);
  ctx.log.info(`wrote ${loc.location.path}\n${plan.change.diff}`);
  const previous = w.backup?.files.find(f => f.backup)?.backup;
  const backup = previous
    ? ` The previous file is kept at ${previous}.`
    : ` ${COMMANDS.restoreClaudeBackup.title} takes it out again (backups: ${claudeBackupDir(loc.location)}).`;
  const detail = args.remove
    ? `Took the routing out of ${loc.location.path}.${backup}`
    : `Claude Code ${scope === 'project' ? 'in this project' : 'everywhere'} now uses ${route?.model} (${loc.location.path})${through}.${args.disableThinking ? ' Thinking is off for it.' : ''}${backup}`;
  if (!args.disableThinking)
    void showInfo(detail, COMMANDS.openClaudeCode.title).then(c => {
      if (c) void vscode.commands.executeCommand(COMMANDS.openClaudeCode.id);
    });
  return { kind: 'written', applied: true, detail, path: loc.location.path };
}

function refuse(ctx: Ctx, error: string): WriteClaudeOutcome {
  ctx.log.warn(error);
  void showError(error, 'Show Log').then(c => {
    if (c) ctx.log.show();
  });
  return { kind: 'refused', applied: false, detail: error };
}
