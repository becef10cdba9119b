// How a Codex configuration check and its repair plan are shown on the command line and in --json;
// shared by check-codex-config and codex-profile (which shows it instead of claiming success).
import * as path from 'node:path';
import type { CliIo } from './io';
import type { CodexConfigCheck } from '../core/codex/check';
import type { Finding, RepairPlan } from '../core/codex/repairs';
import { describeRejection, type CodexRejection } from '../core/codex/rejections';
import { describeAdvisory, type FeatureAdvisory } from '../core/codex/features';

export function checkJson(c: CodexConfigCheck): Record<string, unknown> {
  switch (c.kind) {
    case 'accepted':
      return { kind: 'accepted', ms: c.ms };
    case 'rejected':
      return { kind: 'rejected', rejection: c.rejection, ms: c.ms };
    case 'profile-missing':
      return { kind: 'profile-missing', profile: c.profile, path: c.path };
    case 'failed':
      return { kind: 'failed', reason: c.reason, message: c.message };
  }
}

export function indent(text: string, by = '     '): string {
  return text
    .split('\n')
    .map(l => `${by}${l}`)
    .join('\n');
}

function printFinding(io: CliIo, f: Finding, i: number): void {
  io.out(`\n${i + 1}. ${describeRejection(f.rejection)}`);
  io.out(
    `   Codex said${f.onCopy ? " (about the copy with the repairs above, so line numbers are the copy's)" : ''}:\n${indent(f.rejection.text, '     | ')}`,
  );
  io.out(`   ${f.repair ? 'Repair' : 'No repair'}: ${f.explanation}`);
}

function rejectionJson(r: CodexRejection): Record<string, unknown> {
  return { ...r };
}

export function fillPlan(report: Record<string, unknown>, plan: Extract<RepairPlan, { ok: true }>): void {
  report.findings = plan.findings.map(x => ({
    rejection: rejectionJson(x.rejection),
    summary: describeRejection(x.rejection),
    repair: x.repair,
    explanation: x.explanation,
    onCopy: x.onCopy,
  }));
  report.outcome = plan.outcome.kind === 'stuck' ? { kind: 'stuck', rejection: rejectionJson(plan.outcome.rejection) } : plan.outcome;
  report.files = plan.changes.map(c => ({
    path: c.snapshot.path,
    role: c.role,
    action: c.snapshot.exists ? 'update' : 'create',
    diff: c.diff,
  }));
  report.notes = plan.notes;
  report.advisories = plan.advisories;
}

export function printPlan(io: CliIo, plan: Extract<RepairPlan, { ok: true }>, what: string, version: string, applying: boolean): void {
  io.out(`\n✗ Codex ${version} rejects ${what}. Codex reports one error at a time; each was repaired on a scratch copy and checked again:`);
  plan.findings.forEach((x, i) => printFinding(io, x, i));
  if (plan.changes.length) {
    io.out(`\nPlanned changes (${applying ? 'to be written' : 'nothing is written without --apply'}):`);
    for (const c of plan.changes)
      io.out(
        `\n${c.snapshot.exists ? 'update' : 'create'} ${c.snapshot.path}${c.snapshot.realPath !== path.resolve(c.snapshot.path) ? ` (→ ${c.snapshot.realPath})` : ''}\n${c.diff}`,
      );
  }
  switch (plan.outcome.kind) {
    case 'accepted':
      io.out(`With these changes Codex ${version} accepts ${what} (checked on a copy).`);
      break;
    case 'stuck':
      io.out(`Codex would still reject ${what}: the last error above has no mechanical repair.`);
      break;
    case 'failed':
      io.out(`Codex could not check the repaired copy: ${plan.outcome.message}`);
      break;
  }
  for (const n of plan.notes) io.out(`· ${n}`);
  printAdvisories(io, plan.advisories, version);
  if (!applying && plan.changes.length) io.out('\nRun again with --apply to write them (a backup of every replaced file is kept).');
}

export function printAdvisories(io: CliIo, advisories: readonly FeatureAdvisory[], version: string): void {
  for (const a of advisories) io.out(`· ${describeAdvisory(a, version)}`);
}
