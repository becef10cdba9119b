// "A profile is never reported as written successfully while the configuration it layers on is one
// that Codex rejects." A profile file is loaded over config.toml, so Codex must accept config.toml
// first. The profile write may itself edit config.toml (trust, oss_provider, removing a same-named
// legacy profile): then it is the edited text that must pass, checked on a scratch copy.
import { checkCandidate, checkCodexConfig, type CodexConfigCheck } from './check';
import { planCodexRepair, type RepairInput, type RepairPlan } from './repairs';

export interface ProfileWriteCheckInput extends Omit<RepairInput, 'profile' | 'initial'> {
  /** config.toml as the profile write would leave it, when the write edits it. */
  configAfter?: string;
}

export type ProfileWriteCheck =
  /** Codex accepts config.toml (as the write will leave it): go on. */
  | { kind: 'ok'; check: CodexConfigCheck }
  /** Codex rejects it: do not write, show the rejection and offer the repair plan instead. */
  | { kind: 'rejected'; check: Extract<CodexConfigCheck, { kind: 'rejected' }>; plan: RepairPlan }
  /** Codex could not be asked (not found, too old, timed out): the caller says the profile is unchecked. */
  | { kind: 'unchecked'; check: Extract<CodexConfigCheck, { kind: 'failed' }> };

export async function checkBeforeProfileWrite(input: ProfileWriteCheckInput): Promise<ProfileWriteCheck> {
  const onDisk = await checkCodexConfig({ ...input, profile: undefined });
  if (onDisk.kind === 'failed') return { kind: 'unchecked', check: onDisk };
  if (onDisk.kind !== 'rejected') return { kind: 'ok', check: onDisk };
  if (input.configAfter !== undefined) {
    const after = await checkCandidate({ ...input, profile: undefined }, new Map([['config.toml', input.configAfter]]));
    if (after.kind === 'accepted') return { kind: 'ok', check: after };
  }
  const plan = await planCodexRepair({ ...input, profile: undefined, initial: onDisk });
  return { kind: 'rejected', check: onDisk, plan };
}
