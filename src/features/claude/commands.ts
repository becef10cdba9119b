// Claude Code's commands (bundled as dist/lazy/claude.js, loaded on first use).
import * as vscode from 'vscode';
import * as os from 'node:os';
import type { Ctx, LazyModule } from '../../ctx';
import { claudeConfigDir, claudeSettingsLocation, type ClaudeScope } from '../../core/claude/settings';
import { planClaudeRestore, restoreClaudeBackup } from '../../core/claude/write';
import { FileRefusal, type RestorePlan } from '../../core/files';
import { showError, showInfo } from '../../ui/notify';
import { plannedChange } from '../../core/codex/plan';
import { previewAndConfirm } from '../../ui/diffPreview';
import { openClaudeCode } from './openClaude';
import { writeClaudeSettings } from './writeSettings';

/**
 * Restores the newest write of the user's settings file or this workspace's project file (another
 * project's backups are never considered). A file edited since that write is restored only after a
 * second yes, and its current contents are kept in a backup first either way.
 */
async function restoreBackup(ctx: Ctx, raw?: unknown): Promise<{ kind: string; files?: string[]; savedIn?: string; error?: string }> {
  const args = (raw && typeof raw === 'object' ? raw : {}) as { scope?: ClaudeScope; answers?: { restore?: boolean } };
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const dir = claudeConfigDir(os.homedir(), ctx.env);
  const scopes: ClaudeScope[] = args.scope ? [args.scope] : folder ? ['project', 'user'] : ['user'];
  let plan: RestorePlan | undefined;
  try {
    for (const scope of scopes) {
      const loc = claudeSettingsLocation(scope, { home: os.homedir(), folder, env: ctx.env });
      const p = loc.ok ? planClaudeRestore(loc.location) : undefined;
      if (p && (!plan || p.set.at > plan.set.at)) plan = p;
    }
  } catch (e) {
    if (e instanceof FileRefusal) return refused(ctx, e.message);
    throw e;
  }
  if (!plan) {
    void showInfo(
      `There is no Local Model Router backup of ${scopes.length > 1 ? 'the user or this project’s' : `the ${scopes[0]}`} Claude Code settings in ${dir}.`,
    );
    return { kind: 'nothing' };
  }
  const edited = plan.files.filter(f => f.changedSinceWrite).map(f => f.snapshot.path);
  const changes = plan.files.map(f => plannedChange('config', f.snapshot, f.after ?? ''));
  const ok = await previewAndConfirm(
    ctx,
    changes,
    'Restore the last Claude Code settings backup?',
    [
      `Backup from ${new Date(plan.set.at).toLocaleString()} (${plan.set.reason}).`,
      edited.length
        ? `${edited.join(', ')} changed since Local Model Router wrote it; those changes are not lost: the current file is kept in a backup first.`
        : 'The current file is kept in a backup first.',
    ].join('\n'),
    edited.length ? 'Restore Anyway' : 'Restore',
    args.answers?.restore,
  );
  if (!ok) return { kind: 'cancelled' };
  let savedIn: string | undefined;
  try {
    savedIn = restoreClaudeBackup(plan, { force: true }).savedIn;
  } catch (e) {
    if (e instanceof FileRefusal) return refused(ctx, e.message);
    throw e;
  }
  ctx.log.info(`restored Claude Code settings backup ${plan.set.dir}${savedIn ? `; what the file held before is in ${savedIn}` : ''}`);
  void showInfo(
    `Restored ${plan.files.map(f => f.snapshot.path).join(', ')}.${savedIn ? ` What it held before is kept in ${savedIn}.` : ''}`,
  );
  return { kind: 'written', files: plan.files.map(f => f.snapshot.path), ...(savedIn ? { savedIn } : {}) };
}

function refused(ctx: Ctx, error: string): { kind: 'refused'; error: string } {
  ctx.log.warn(error);
  void showError(error);
  return { kind: 'refused', error };
}

export const commands: LazyModule['commands'] = {
  openClaudeCode: ctx => openClaudeCode(ctx),
  writeClaudeSettings: (ctx, args) => writeClaudeSettings(ctx, args),
  restoreClaudeBackup: (ctx, args) => restoreBackup(ctx, args),
};
