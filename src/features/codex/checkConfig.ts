// "Check Codex Config": asks the installed Codex whether it accepts the user's configuration (its
// own strict load; no request is sent), maps each rejection to a repair, shows them as one diff
// beside a notification, and applies them atomically with a backup, then lets Codex load the result
// again. Anything Codex says that has no known repair is shown verbatim. Core: src/core/codex/check.ts,
// repairs.ts, applyRepair.ts.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { detectCodex } from '../../core/codex/run';
import { planCodexRepair, type RepairPlan } from '../../core/codex/repairs';
import { applyCodexRepair } from '../../core/codex/applyRepair';
import { describeRejection } from '../../core/codex/rejections';
import { askBesideDiffs, showDiffs, TITLE_BAR_HINT } from '../../ui/diffPreview';
import { argsOf, codexHomeOf } from './writeProfile';
import { showError, showInfo, showWarning } from '../../ui/notify';

export interface CheckConfigArgs {
  /** Also load this profile over config.toml, as `codex -p <profile>` does. */
  profile?: string;
  answers?: { apply?: boolean };
}

export type CheckConfigOutcome =
  | { kind: 'accepted'; version: string }
  | { kind: 'repaired'; files: string[]; accepted: boolean }
  | { kind: 'rejected'; findings: { summary: string; repair: boolean; codexSaid: string }[]; applied: false }
  | { kind: 'refused'; error: string }
  | { kind: 'unavailable'; reason: string }
  | { kind: 'cancelled' };

function findingsOf(plan: Extract<RepairPlan, { ok: true }>) {
  return plan.findings.map(f => ({ summary: describeRejection(f.rejection), repair: f.repair !== null, codexSaid: f.rejection.text }));
}

export async function checkCodexConfigCommand(ctx: Ctx, ...raw: unknown[]): Promise<CheckConfigOutcome> {
  const args = argsOf<CheckConfigArgs>(raw);
  const s = ctx.settings().values;
  const detection = await detectCodex(s['codex.executable'], ctx.env as NodeJS.ProcessEnv);
  if (detection.kind !== 'found') {
    const reason = detection.kind === 'not-found' ? detection.reason : `"${detection.executable} --version" printed no version`;
    void showWarning(`Codex Config can only be checked by Codex itself: ${reason}.`);
    return { kind: 'unavailable', reason };
  }
  const codexHome = codexHomeOf(ctx);
  const input = {
    executable: detection.executable,
    env: ctx.env as NodeJS.ProcessEnv,
    cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    codexHome,
    ...(args.profile ? { profile: args.profile } : {}),
  };
  const plan = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Codex ${detection.version.text} is loading your configuration…`,
      cancellable: true,
    },
    (_p, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      return planCodexRepair({ ...input, codexVersion: detection.version.text, signal: ac.signal });
    },
  );
  if (!plan.ok) {
    ctx.log.warn(`check codex config: ${plan.refusal}: ${plan.error}`);
    void showError(plan.error, 'Show Log').then(c => {
      if (c) ctx.log.show();
    });
    return { kind: 'refused', error: plan.error };
  }
  for (const f of plan.findings) ctx.log.info(`codex config: ${describeRejection(f.rejection)}\n${f.rejection.text}\n→ ${f.explanation}`);
  for (const n of plan.notes) ctx.log.info(`codex config: ${n}`);
  if (!plan.findings.length) {
    void showInfo(`Codex ${detection.version.text} accepts your configuration${args.profile ? ` with profile "${args.profile}"` : ''}.`);
    return { kind: 'accepted', version: detection.version.text };
  }
  const findings = findingsOf(plan);
  if (!plan.changes.length) {
    // Nothing known to repair: Codex's own words, and no guess.
    const first = plan.findings[0];
    void showError(
      `Codex ${detection.version.text} rejects your configuration and there is no safe repair for it. Codex said: ${first.rejection.text}`,
      'Show Log',
    ).then(c => {
      if (c) ctx.log.show();
    });
    return { kind: 'rejected', findings, applied: false };
  }
  const preview = await showDiffs(ctx, plan.changes, 'Repair');
  let apply: boolean;
  try {
    const unrepaired = plan.findings.filter(f => !f.repair).length;
    const question = `Codex ${detection.version.text} rejects your configuration: ${findings.map(f => f.summary).join('; ')}. The diff shows the repair${plan.findings.length > 1 ? 's' : ''}${unrepaired ? ` (${unrepaired} left as Codex reported ${unrepaired > 1 ? 'them' : 'it'}: see the log)` : ''}; a backup is kept.`;
    apply =
      args.answers?.apply ??
      (await askBesideDiffs(preview, showWarning(`${question} ${TITLE_BAR_HINT}`, 'Apply Repairs'), 'Apply Repairs')) === 'Apply Repairs';
  } finally {
    await preview.close();
  }
  if (!apply) return { kind: 'cancelled' };
  const applied = await applyCodexRepair(plan, input);
  if (!applied.ok) {
    void showError(applied.error);
    return { kind: 'refused', error: applied.error };
  }
  const files = plan.changes.map(c => c.snapshot.path);
  ctx.log.info(
    `codex config repaired: ${files.join(', ')} (backup ${applied.backup ?? 'none'}); Codex ${applied.accepted ? 'accepts' : 'still rejects'} the result`,
  );
  if (applied.accepted) void showInfo(`Repaired ${files.length} file(s); Codex ${detection.version.text} now accepts your configuration.`);
  else
    void showWarning(`Repaired ${files.length} file(s), but Codex still rejects something: see the log.`, 'Show Log').then(c => {
      if (c) ctx.log.show();
    });
  return { kind: 'repaired', files, accepted: applied.accepted };
}
