// One repair plan for everything the installed Codex rejects in a configuration: Codex reports its
// first error, the matching repair is applied to a copy of the text, Codex is asked again (in a
// scratch CODEX_HOME) — until it accepts, or says something no mechanical repair exists for. All edits
// end up in one set of file changes the user sees as diffs before anything is written. Edits are
// byte-surgical (tomlEdit); what Codex no longer accepts is commented out with a dated note, never
// deleted; legacy profiles are moved (migrate.ts), not dropped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSnapshot, FileRefusal, type FileSnapshot } from '../files';
import { parseTomlText } from './tomlEdit';
import { plannedChange, type PlannedChange } from './plan';
import { checkCandidate, checkCodexConfig, type CheckInput, type CodexConfigCheck } from './check';
import type { CodexRejection } from './rejections';
import { CONFIG_FILE, profileFileName, profilePath } from './files';
import { featureAdvisories, listCodexFeatures, type FeatureAdvisory } from './features';
import { probeResponsesApi, type ResponsesProber } from './responsesProbe';
import { Work, type WorkFile } from './repairWork';
import { localDate, repairOne, type RepairAction, type StepContext } from './repairSteps';

export { coerce, commentNote, localDate, type RepairAction } from './repairSteps';

export interface RepairInput extends CheckInput {
  /** Named in the notes: "Codex 0.169.0 rejects it". */
  codexVersion: string;
  /** YYYY-MM-DD for the notes; default: today, local time. */
  today?: string;
  /** How a `wire_api = "chat"` provider's server is asked about /responses (default: over HTTP). */
  probe?: ResponsesProber;
  probeTimeoutMs?: number;
  /** The check of the files on disk, when the caller already ran it. */
  initial?: CodexConfigCheck;
  /** Codex runs at most this many times while the plan is built. */
  maxRounds?: number;
}

export interface Finding {
  rejection: CodexRejection;
  /** What the plan does about it; null when nothing mechanical can be done (Codex's words are shown as they are). */
  repair: RepairAction | null;
  /** For the user: what changes and why, or why nothing does. */
  explanation: string;
  /** Codex found it in the copy with the earlier repairs applied (its line numbers are that copy's). */
  onCopy: boolean;
}

export type RepairOutcome =
  /** Codex accepts the repaired files (checked on a scratch copy before anything is written). */
  | { kind: 'accepted' }
  /** Codex still rejects something that has no mechanical repair; it may say more once that is fixed. */
  | { kind: 'stuck'; rejection: CodexRejection }
  | { kind: 'failed'; message: string };

export type RepairRefusal = 'not-a-file' | 'unreadable' | 'invalid-toml' | 'profile-missing' | 'codex-failed';

export type RepairPlan =
  | {
      ok: true;
      initial: CodexConfigCheck;
      findings: Finding[];
      changes: PlannedChange[];
      outcome: RepairOutcome;
      notes: string[];
      advisories: FeatureAdvisory[];
    }
  | { ok: false; refusal: RepairRefusal; error: string; initial?: CodexConfigCheck };

function loadFile(codexHome: string, name: string, role: WorkFile['role']): WorkFile | { refusal: RepairRefusal; error: string } {
  const p = path.join(codexHome, name);
  try {
    if (fs.statSync(p).isDirectory())
      return { refusal: 'not-a-file', error: `${p} is a folder, not a file. Codex cannot read it either; nothing was changed.` };
  } catch {
    /* missing: an empty configuration */
  }
  let snapshot: FileSnapshot;
  try {
    snapshot = readSnapshot(p);
  } catch (e) {
    if (e instanceof FileRefusal) return { refusal: 'unreadable', error: e.message };
    throw e;
  }
  const parsed = parseTomlText(snapshot.text);
  if (!parsed.ok)
    return {
      refusal: 'invalid-toml',
      error: `${p} is not valid TOML (${parsed.error}). Codex cannot read it either; fix that line by hand. Nothing was changed.`,
    };
  return { name, snapshot, text: snapshot.text, role };
}

export async function planCodexRepair(input: RepairInput): Promise<RepairPlan> {
  const work = new Work(input.codexHome);
  const cfg = loadFile(input.codexHome, CONFIG_FILE, 'config');
  if ('refusal' in cfg) return { ok: false, ...cfg };
  work.add(cfg);
  if (input.profile !== undefined && fs.existsSync(profilePath(input.codexHome, input.profile))) {
    const prof = loadFile(input.codexHome, profileFileName(input.profile), 'profile');
    if ('refusal' in prof) return { ok: false, ...prof };
    work.add(prof);
  }
  const initial = input.initial ?? (await checkCodexConfig(input));
  if (initial.kind === 'failed') return { ok: false, refusal: 'codex-failed', error: initial.message, initial };
  if (initial.kind === 'profile-missing')
    return {
      ok: false,
      refusal: 'profile-missing',
      error: `${initial.path} does not exist: \`codex -p ${initial.profile}\` would silently use OpenAI's provider instead. Write the profile first.`,
      initial,
    };
  const findings: Finding[] = [];
  let outcome: RepairOutcome | undefined;
  let current: CodexConfigCheck = initial;
  const maxRounds = input.maxRounds ?? 24;
  const ctx: StepContext = { input, work, today: input.today ?? localDate(), probe: input.probe ?? probeResponsesApi };
  for (let round = 0; !outcome; round++) {
    if (current.kind === 'accepted') outcome = { kind: 'accepted' };
    else if (current.kind !== 'rejected')
      outcome = { kind: 'failed', message: current.kind === 'failed' ? current.message : `${current.path} is missing.` };
    else if (round >= maxRounds || findings.some(f => sameRejection(f.rejection, (current as { rejection: CodexRejection }).rejection))) {
      // The same error again means the repair did not do what Codex needed: stop rather than loop.
      findings.push({
        rejection: current.rejection,
        repair: null,
        explanation: 'Codex still rejects this after the repair above; it has to be fixed by hand.',
        onCopy: round > 0,
      });
      outcome = { kind: 'stuck', rejection: current.rejection };
    } else {
      const saved = work.save();
      const step = await repairOne(current.rejection, ctx);
      findings.push({ rejection: current.rejection, ...step, onCopy: round > 0 });
      if (!step.repair) {
        work.restore(saved);
        outcome = { kind: 'stuck', rejection: current.rejection };
      } else current = await checkWork(ctx);
    }
  }
  // Codex lists features only for a configuration it can load: the repaired copy.
  const features = outcome.kind === 'accepted' ? await listCodexFeatures(input, work.texts()) : undefined;
  const advisories = features ? featureAdvisories(work.config.text, features) : [];
  const changes = [...work.files.values()].filter(f => f.text !== f.snapshot.text).map(f => plannedChange(f.role, f.snapshot, f.text));
  const notes: string[] = [];
  if (outcome.kind === 'stuck')
    notes.push(
      'Codex reports one error at a time: once the error above is fixed by hand, run the check again to see whether anything else is left.',
    );
  return { ok: true, initial, findings, changes, outcome, notes, advisories };
}

function sameRejection(a: CodexRejection, b: CodexRejection): boolean {
  return a.kind === b.kind && a.text === b.text;
}

/** Asks Codex about the candidate: config.toml (with the named profile), then each profile the plan creates. */
async function checkWork(ctx: StepContext): Promise<CodexConfigCheck> {
  const files = ctx.work.texts();
  const first = await checkCandidate(ctx.input, files);
  if (first.kind !== 'accepted') return first;
  for (const f of ctx.work.files.values()) {
    if (f.role !== 'profile' || f.snapshot.exists) continue;
    const name = f.name.replace(/\.config\.toml$/, '');
    if (name === ctx.input.profile) continue;
    const r = await checkCandidate({ ...ctx.input, profile: name }, files);
    if (r.kind !== 'accepted') return r;
  }
  return first;
}
