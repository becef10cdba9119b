// The Codex feature's commands (bundled as dist/lazy/codex.js, loaded on first use): write the
// route's profile, trust the folder, restore the last backup, move legacy profiles. Every write is
// previewed as a diff first (unless codex.previewChanges is off). Decisions live in src/core/codex.
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Ctx, LazyModule } from '../../ctx';
import { detectCodex, type CodexDetection } from '../../core/codex/run';
import { compareVersions, PROFILE_FILES_SINCE } from '../../core/codex/version';
import { existsIn, planTrustWrite, plannedChange, type PlannedChange } from '../../core/codex/plan';
import { configPath } from '../../core/codex/files';
import { planRestore, readSnapshot, restore, writeFiles, FileRefusal } from '../../core/files';
import { findLegacyProfiles, hasLegacyProfiles, planMigration } from '../../core/codex/migrate';
import { TRUST_EXPLANATION } from '../../core/codex/trust';
import { showDiffs, previewAndConfirm } from '../../ui/diffPreview';
import { writeProfileCommand, argsOf, codexHomeOf, refusal, type CodexAnswers, type CommandOutcome } from './writeProfile';
import { checkCodexConfigCommand } from './checkConfig';
import { openCodex } from './openCodex';
import { showInfo, showWarning } from '../../ui/notify';

async function detect(ctx: Ctx): Promise<CodexDetection> {
  const d = await detectCodex(ctx.settings().values['codex.executable'], ctx.env as NodeJS.ProcessEnv);
  ctx.log.info(
    `codex detection: ${d.kind === 'found' ? `${d.executable} ${d.version.text}` : d.kind === 'not-found' ? d.reason : `unknown version: ${d.output}`}`,
  );
  return d;
}

function writePlanned(ctx: Ctx, codexHome: string, changes: PlannedChange[], reason: string): CommandOutcome | undefined {
  try {
    fs.mkdirSync(codexHome, { recursive: true });
    writeFiles(codexHome, changes, reason);
    for (const c of changes)
      ctx.log.info(`wrote ${c.snapshot.path}${c.snapshot.realPath !== c.snapshot.path ? ` (→ ${c.snapshot.realPath})` : ''}\n${c.diff}`);
    return undefined;
  } catch (e) {
    if (e instanceof FileRefusal) return refusal(ctx, e.message);
    throw e;
  }
}

async function askTrust(folder: string, untrusted: boolean): Promise<boolean> {
  const q = untrusted ? `Codex has ${folder} marked "untrusted". Trust it instead?` : `Trust ${folder} in Codex?`;
  const pick = await showWarning(
    q,
    {
      modal: true,
      detail: `${TRUST_EXPLANATION}\n\nThis adds [projects."${folder}"] trust_level = "trusted" to config.toml (the diff is open beside this question).`,
    },
    'Trust',
  );
  return pick === 'Trust';
}

// ── Trust This Folder in Codex ──

async function trustFolderInCodex(ctx: Ctx, ...raw: unknown[]): Promise<CommandOutcome> {
  const args = argsOf<{ folder?: string; answers?: CodexAnswers }>(raw);
  // Trusting a folder lets Codex edit it and run commands there: not from a workspace VS Code does not trust.
  if (!vscode.workspace.isTrusted) {
    void showWarning(
      'Trusting a folder in Codex is turned off in Restricted Mode: trust the workspace in VS Code first.',
      'Manage Workspace Trust',
    ).then(c => {
      if (c) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return { kind: 'refused', error: 'untrusted workspace' };
  }
  const folder = args.folder ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!folder) {
    void showWarning('Open a folder first: Codex trusts folders.');
    return { kind: 'nothing', message: 'no folder' };
  }
  const codexHome = codexHomeOf(ctx);
  const first = planTrustWrite(codexHome, folder, false);
  if (!first.ok) return refusal(ctx, first.error);
  if (first.state === 'already') {
    void showInfo(first.message);
    return { kind: 'unchanged', message: first.message };
  }
  // The change as it would be made with a yes (an "untrusted" entry only changes with that yes).
  const plan = planTrustWrite(codexHome, folder, true);
  if (!plan.ok) return refusal(ctx, plan.error);
  if (!plan.change) return { kind: 'unchanged', message: plan.message };
  // The trust modal is the Apply/Cancel question; the diff is shown beside it.
  let close: (() => Promise<void>) | undefined;
  if (ctx.settings().values['codex.previewChanges']) close = (await showDiffs(ctx, [plan.change], 'Trust')).close;
  let yes: boolean;
  try {
    yes = args.answers?.trust ?? (await askTrust(path.resolve(folder), first.state === 'needs-confirmation'));
  } finally {
    await close?.();
  }
  if (!yes) return { kind: 'cancelled' };
  const failed = writePlanned(ctx, codexHome, [plan.change], `Trust ${folder}`);
  if (failed) return failed;
  void showInfo(plan.message);
  return { kind: 'written', files: [plan.change.snapshot.path], notes: [plan.message] };
}

// ── Restore Last Codex Config Backup ──

async function restoreCodexBackup(ctx: Ctx, ...raw: unknown[]): Promise<CommandOutcome> {
  const args = argsOf<{ answers?: CodexAnswers }>(raw);
  const codexHome = codexHomeOf(ctx);
  let plan;
  try {
    plan = planRestore(codexHome);
  } catch (e) {
    if (e instanceof FileRefusal) return refusal(ctx, e.message);
    throw e;
  }
  if (!plan) {
    void showInfo(`There is no Local Model Router backup in ${codexHome}.`);
    return { kind: 'nothing', message: 'no backup' };
  }
  const changes = plan.files.map(f => plannedChange('config', f.snapshot, f.after ?? ''));
  const edited = plan.files.filter(f => f.changedSinceWrite).map(f => f.snapshot.path);
  const deleted = plan.files.filter(f => f.after === null).map(f => f.snapshot.path);
  const detail = [
    `Backup from ${new Date(plan.set.at).toLocaleString()} (${plan.set.reason}).`,
    deleted.length ? `Deletes files that did not exist before: ${deleted.join(', ')}.` : '',
    edited.length
      ? `Changed since Local Model Router wrote them: ${edited.join(', ')}. Those changes are not lost: the current files are kept in a backup first.`
      : 'The current files are kept in a backup first.',
  ]
    .filter(Boolean)
    .join('\n');
  const ok = await previewAndConfirm(
    ctx,
    changes,
    'Restore the last Codex config backup?',
    detail,
    edited.length ? 'Restore Anyway' : 'Restore',
    args.answers?.restore,
  );
  if (!ok) return { kind: 'cancelled' };
  let savedIn: string | undefined;
  try {
    savedIn = restore(plan, { force: true }).savedIn;
  } catch (e) {
    if (e instanceof FileRefusal) return refusal(ctx, e.message);
    throw e;
  }
  const saved = savedIn ? ` What the files held before is kept in ${savedIn}.` : '';
  ctx.log.info(`restored Codex backup ${plan.set.dir}.${saved}`);
  void showInfo(`Restored ${plan.files.length} file(s) from the backup of ${new Date(plan.set.at).toLocaleString()}.${saved}`);
  return { kind: 'written', files: plan.files.map(f => f.snapshot.path), notes: saved ? [saved.trim()] : [] };
}

// ── Move Legacy Codex Profiles into Profile Files ──

async function migrateLegacyProfiles(ctx: Ctx, ...raw: unknown[]): Promise<CommandOutcome> {
  const args = argsOf<{ answers?: CodexAnswers }>(raw);
  const codexHome = codexHomeOf(ctx);
  let cfg;
  try {
    cfg = readSnapshot(configPath(codexHome));
  } catch (e) {
    if (e instanceof FileRefusal) return refusal(ctx, e.message);
    throw e;
  }
  const found = findLegacyProfiles(cfg.text);
  if ('error' in found) return refusal(ctx, `${cfg.path} is not valid TOML (${found.error}); nothing was changed.`);
  if (!hasLegacyProfiles(found)) {
    void showInfo(`${cfg.path} has no legacy [profiles.*] tables or profile = "…" selector.`);
    return { kind: 'nothing', message: 'no legacy profiles' };
  }
  const detection = await detect(ctx);
  if (detection.kind === 'found' && compareVersions(detection.version, PROFILE_FILES_SINCE) < 0) {
    void showWarning(
      `Codex ${detection.version.text} still reads [profiles.*] from config.toml; moving them would break it. Update Codex to ${PROFILE_FILES_SINCE.text} or later first.`,
    );
    return { kind: 'nothing', message: 'codex too old' };
  }
  const plan = planMigration(cfg.text, codexHome, existsIn(codexHome));
  if (!plan.ok) return refusal(ctx, plan.error);
  let changes;
  try {
    changes = [
      plannedChange('config', cfg, plan.configAfter),
      ...plan.files.map(f => plannedChange('profile', readSnapshot(f.path), f.text)),
    ];
  } catch (e) {
    if (e instanceof FileRefusal) return refusal(ctx, e.message);
    throw e;
  }
  const ok = await previewAndConfirm(
    ctx,
    changes,
    'Move legacy Codex profiles into profile files?',
    `Codex ${PROFILE_FILES_SINCE.text} and later refuse [profiles.*] tables and profile = "…".\n${plan.notes.map(n => `• ${n}`).join('\n')}`,
    'Move',
    args.answers?.migrate,
  );
  if (!ok) return { kind: 'cancelled' };
  const failed = writePlanned(ctx, codexHome, changes, 'Move legacy Codex profiles');
  if (failed) return failed;
  void showInfo(plan.notes.join(' '));
  return { kind: 'written', files: changes.map(c => c.snapshot.path), notes: plan.notes };
}

export const commands: LazyModule['commands'] = {
  writeCodexProfile: writeProfileCommand,
  checkCodexConfig: checkCodexConfigCommand,
  openCodex: ctx => openCodex(ctx),
  trustFolderInCodex,
  restoreCodexBackup,
  migrateLegacyProfiles,
};
