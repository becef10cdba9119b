// Writing a repair plan: every file at once with a backup (fs.writeFiles refuses when a file changed
// on disk since the plan read it, so what the user previewed is exactly what is written), then the
// installed Codex loads the written configuration again — config.toml (with the profile the check was
// about) and every profile file the plan created.
import { writeFiles, FileRefusal, type BackupManifest } from '../files';
import { checkCodexConfig, type CheckInput, type CodexConfigCheck } from './check';
import type { RepairPlan } from './repairs';

export type AppliedRepair =
  | { ok: true; backup: BackupManifest | null; checks: { profile?: string; check: CodexConfigCheck }[]; accepted: boolean }
  | { ok: false; error: string };

export async function applyCodexRepair(plan: Extract<RepairPlan, { ok: true }>, input: CheckInput): Promise<AppliedRepair> {
  let backup: BackupManifest | null = null;
  if (plan.changes.length) {
    try {
      backup = writeFiles(input.codexHome, plan.changes, 'check-codex-config repair');
    } catch (e) {
      if (e instanceof FileRefusal) return { ok: false, error: e.message };
      throw e;
    }
  }
  const checks: { profile?: string; check: CodexConfigCheck }[] = [{ profile: input.profile, check: await checkCodexConfig(input) }];
  for (const c of plan.changes) {
    const name = /([^/\\]+)\.config\.toml$/.exec(c.snapshot.path)?.[1];
    if (c.role !== 'profile' || c.snapshot.exists || !name || name === input.profile) continue;
    checks.push({ profile: name, check: await checkCodexConfig({ ...input, profile: name }) });
  }
  return { ok: true, backup, checks, accepted: checks.every(c => c.check.kind === 'accepted') };
}
