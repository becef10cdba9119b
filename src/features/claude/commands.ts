// Claude Code's commands (bundled as dist/lazy/claude.js, loaded on first use).
import * as vscode from 'vscode';
import * as os from 'node:os';
import type { Ctx, LazyModule } from '../../ctx';
import { claudeConfigDir } from '../../core/claude/settings';
import { planClaudeRestore, restoreClaudeBackup } from '../../core/claude/write';
import { plannedChange } from '../../core/codex/plan';
import { previewAndConfirm } from '../../ui/diffPreview';
import { openClaudeCode } from './openClaude';
import { writeClaudeSettings } from './writeSettings';

async function restoreBackup(ctx: Ctx, raw?: unknown): Promise<{ kind: string; files?: string[] }> {
  const answers = (raw as { answers?: { restore?: boolean } } | undefined)?.answers;
  const dir = claudeConfigDir(os.homedir(), ctx.env);
  const plan = planClaudeRestore(dir);
  if (!plan) {
    void vscode.window.showInformationMessage(`There is no Local Model Router backup in ${dir}.`);
    return { kind: 'nothing' };
  }
  const changes = plan.files.map(f => plannedChange('config', f.snapshot, f.after ?? ''));
  const ok = await previewAndConfirm(
    ctx,
    changes,
    'Restore the last Claude Code settings backup?',
    `Backup from ${new Date(plan.manifest.at).toLocaleString()} (${plan.manifest.reason}).`,
    'Restore',
    answers?.restore,
  );
  if (!ok) return { kind: 'cancelled' };
  restoreClaudeBackup(plan);
  ctx.log.info(`restored Claude Code settings backup ${plan.manifest.dir}`);
  return { kind: 'written', files: plan.files.map(f => f.snapshot.path) };
}

export const commands: LazyModule['commands'] = {
  openClaudeCode: ctx => openClaudeCode(ctx),
  writeClaudeSettings: (ctx, args) => writeClaudeSettings(ctx, args),
  restoreClaudeBackup: (ctx, args) => restoreBackup(ctx, args),
};
