// The one "write a Codex profile" workflow, shared by the CLI (`codex-profile`) and the extension's
// Write Codex Profile: find Codex and its format, build the profile, plan every file change, let the
// caller show and confirm it (the caller's UI: flags, or a diff and buttons), write atomically with
// a backup, then let Codex itself load the result. Decisions are typed values, never message text.
import * as fs from 'node:fs';
import { buildProfile, CodexProfileError, type BuildProfileOptions, type CodexProfile, type ProfileSettings } from './profile';
import { chooseFormat, parseCodexVersion, type CodexVersion, type FormatChoice } from './version';
import { detectCodex, validateWithCodex, type CodexDetection, type ValidationResult } from './run';
import { planProfileWrite, type PlannedChange } from './plan';
import { writeFiles, FileRefusal, readTextFile } from '../files';
import { findLegacyProfiles } from './migrate';
import { configPath } from './files';
import { checkBeforeProfileWrite, type ProfileWriteCheck } from './beforeProfileWrite';
import type { Route } from '../route/route';
import { enabledMcpServers } from './tomlEdit';

export interface WriteOptions {
  trustProject?: string;
  overrideUntrusted?: boolean;
  setOssProvider?: boolean;
}

export interface WriteRequest {
  route: Pick<Route, 'provider' | 'baseUrl' | 'model' | 'contextWindow' | 'keyVar' | 'endpointLabel'>;
  settings: ProfileSettings;
  codexHome: string;
  /** Find Codex (and its version) by running this executable, or take a version as given. */
  codex: { executable: string; env: NodeJS.ProcessEnv } | { version: string };
  profile: Omit<BuildProfileOptions, 'format' | 'codexHome'>;
  options: WriteOptions;
  /** Let Codex load the written profile with --strict-config. */
  validate: boolean;
  cwd?: string;
  signal?: AbortSignal;
}

/** A plan ready to show: the files it changes, why, and what else config.toml still holds. */
export interface WritePlan {
  profile: CodexProfile;
  format: FormatChoice;
  codex: CodexDetection | { kind: 'given'; version: CodexVersion };
  options: WriteOptions;
  changes: PlannedChange[];
  unchanged: string[];
  notes: string[];
  trust?: 'added' | 'already' | 'needs-confirmation';
  /** Legacy [profiles.*] tables left in config.toml (Codex refuses them when selected). */
  legacyLeft: string[];
}

/** What the caller decides after seeing a plan: write it, drop it, or plan again with other options. */
export type Decision = { kind: 'apply' } | { kind: 'cancel' } | { kind: 'replan'; options: WriteOptions };

export type WriteOutcome =
  | { kind: 'written'; plan: WritePlan; files: string[]; backup: boolean; validation?: ValidationResult; configCheck?: ProfileWriteCheck }
  /**
   * Codex rejects config.toml (as this write would leave it), which every profile is loaded over:
   * nothing is written, and the repair plan is offered instead of a success.
   */
  | { kind: 'config-rejected'; plan: WritePlan; configCheck: Extract<ProfileWriteCheck, { kind: 'rejected' }> }
  | { kind: 'unchanged'; plan: WritePlan }
  | { kind: 'planned'; plan: WritePlan }
  | { kind: 'cancelled' }
  | { kind: 'refused'; error: string; usage?: boolean };

async function findCodex(req: WriteRequest): Promise<WritePlan['codex'] | { kind: 'bad-version'; text: string }> {
  if ('version' in req.codex) {
    const v = parseCodexVersion(req.codex.version);
    return v ? { kind: 'given', version: v } : { kind: 'bad-version', text: req.codex.version };
  }
  return detectCodex(req.codex.executable, req.codex.env);
}

function versionOf(c: WritePlan['codex']): CodexVersion | undefined {
  return c.kind === 'found' || c.kind === 'given' ? c.version : undefined;
}

export async function planWrite(
  req: WriteRequest,
  options: WriteOptions,
  codex: WritePlan['codex'],
): Promise<WritePlan | { kind: 'refused'; error: string; usage?: boolean }> {
  const format = chooseFormat(versionOf(codex));
  let cfgText: string;
  try {
    cfgText = readTextFile(configPath(req.codexHome)) ?? '';
  } catch (e) {
    if (e instanceof FileRefusal) return { kind: 'refused', error: e.message };
    throw e;
  }
  let profile: CodexProfile;
  try {
    profile = buildProfile(req.route as Route, req.settings, {
      mcpServers: enabledMcpServers(cfgText),
      ...req.profile,
      format: format.format,
      codexHome: req.codexHome,
    });
  } catch (e) {
    if (e instanceof CodexProfileError) return { kind: 'refused', error: e.message, usage: true };
    throw e;
  }
  const plan = planProfileWrite({ codexHome: req.codexHome, profile, ...options });
  if (!plan.ok) return { kind: 'refused', error: plan.error };
  let legacyLeft: string[] = [];
  if (format.format === 'profile-file') {
    const legacy = findLegacyProfiles(cfgText);
    if (!('error' in legacy)) legacyLeft = legacy.tables.filter(n => n !== profile.name);
  }
  return {
    profile,
    format,
    codex,
    options,
    changes: plan.changes,
    unchanged: plan.unchanged,
    notes: plan.notes,
    trust: plan.trust,
    legacyLeft,
  };
}

/**
 * Runs the workflow. `decide` sees each plan (the CLI answers from its flags; the extension shows the
 * diff and asks); `planOnly` stops after the first plan (a dry run).
 */
/** Asks the installed Codex about config.toml as the plan would leave it (only when Codex is there and validation is on). */
async function checkConfig(req: WriteRequest, plan: WritePlan): Promise<ProfileWriteCheck | undefined> {
  if (!req.validate || plan.codex.kind !== 'found' || !('env' in req.codex)) return undefined;
  const configAfter = plan.changes.find(c => c.role === 'config')?.after;
  return checkBeforeProfileWrite({
    executable: plan.codex.executable,
    codexHome: req.codexHome,
    env: req.codex.env,
    cwd: req.cwd,
    codexVersion: plan.codex.version.text,
    configAfter,
    signal: req.signal,
  });
}

export async function writeCodexProfile(
  req: WriteRequest,
  decide: (plan: WritePlan) => Promise<Decision>,
  o: { planOnly?: boolean } = {},
): Promise<WriteOutcome> {
  const codex = await findCodex(req);
  if (codex.kind === 'bad-version')
    return { kind: 'refused', error: `"${codex.text}" is not a Codex version (it should look like 0.169.0)`, usage: true };
  let options = req.options;
  let plan: WritePlan;
  let configCheck: ProfileWriteCheck | undefined;
  for (;;) {
    const p = await planWrite(req, options, codex);
    if ('kind' in p) return p;
    plan = p;
    // Before anything is shown as a change to make: a profile over a config.toml Codex rejects can never load.
    configCheck = await checkConfig(req, plan);
    if (configCheck?.kind === 'rejected') return { kind: 'config-rejected', plan, configCheck };
    if (o.planOnly) return { kind: 'planned', plan };
    if (plan.changes.length === 0) return { kind: 'unchanged', plan };
    const d = await decide(plan);
    if (d.kind === 'cancel') return { kind: 'cancelled' };
    if (d.kind === 'apply') break;
    options = d.options;
  }
  let backup = false;
  try {
    fs.mkdirSync(req.codexHome, { recursive: true });
    backup = writeFiles(req.codexHome, plan.changes, `codex-profile ${plan.profile.name}`).files.length > 0;
  } catch (e) {
    if (e instanceof FileRefusal) return { kind: 'refused', error: e.message };
    throw e;
  }
  let validation: ValidationResult | undefined;
  if (req.validate && plan.codex.kind === 'found') {
    const keyVar = plan.profile.provider.env_key;
    validation = await validateWithCodex({
      executable: plan.codex.executable,
      codexHome: req.codexHome,
      profile: plan.profile.name,
      providerId: plan.profile.providerId,
      env: 'env' in req.codex ? req.codex.env : {},
      keyVar: typeof keyVar === 'string' ? keyVar : undefined,
      cwd: req.cwd,
      signal: req.signal,
    });
  }
  return {
    kind: 'written',
    plan,
    files: plan.changes.map(c => c.snapshot.path),
    backup,
    validation,
    ...(configCheck ? { configCheck } : {}),
  };
}
