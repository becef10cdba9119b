// Codex profile commands (loaded on first use): write the route's profile, trust the folder, restore
// the last backup, move legacy profiles. Every write is previewed (vscode.diff of virtual documents)
// and confirmed with a modal, unless codex.previewChanges is off. Decisions live in src/core/codex.
//
// Tests drive the modals without mocking vscode: every handler takes an optional args object whose
// `answers` pre-answers a modal (the diff preview is still opened, the modal is not shown):
//   executeCommand('localModelRouter.writeCodexProfile', { name: 'x', answers: { apply: true, trust: false } })
import * as vscode from 'vscode';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Ctx, LazyModule } from '../../ctx';
import { COMMANDS } from '../../commands';
import type { Route } from '../../core/route';
import { isRoute, routeKey } from '../../core/route';
import { PROVIDERS } from '../../core/providers';
import { buildProfile, CodexProfileError, defaultProfileName, profileNameProblem } from '../../core/codex/profile';
import { chooseFormat, resolveCodexHome, compareVersions, PROFILE_FILES_SINCE } from '../../core/codex/version';
import { detectCodex, validateWithCodex, type CodexDetection, type ValidationResult } from '../../core/codex/run';
import { configPath, existsIn, planProfileWrite, planTrustWrite, plannedChange, type PlannedChange } from '../../core/codex/plan';
import { planRestore, readSnapshot, restore, writeFiles, FileRefusal } from '../../core/codex/fs';
import { findLegacyProfiles, hasLegacyProfiles, planMigration } from '../../core/codex/migrate';
import { TRUST_EXPLANATION, trustState } from '../../core/codex/trust';
import { parseTomlText } from '../../core/codex/tomlEdit';

/** Pre-answered modals (tests, and callers that already asked). Absent = ask the user. */
export interface CodexAnswers {
  /** Apply (true) or Cancel (false) after the diff preview. */
  apply?: boolean;
  /** Trust the folder in Codex (also the explicit yes that replaces an existing "untrusted"). */
  trust?: boolean;
  /** Ollama / LM Studio: also set oss_provider in config.toml. */
  ossProvider?: boolean;
  restore?: boolean;
  migrate?: boolean;
}

export interface WriteProfileArgs {
  route?: Route;
  name?: string;
  /** The folder to offer trust for; false = do not offer. Default: the first workspace folder. */
  folder?: string | false;
  /** For codex.disableNonFunctionTools = 'auto'; default: the last verification's diagnosis. */
  serverRejectsNonFunctionTools?: boolean;
  answers?: CodexAnswers;
}

export type CommandOutcome =
  | { kind: 'written'; files: string[]; validation?: ValidationResult; notes: string[] }
  | { kind: 'unchanged'; message: string }
  | { kind: 'cancelled' }
  | { kind: 'refused'; error: string }
  | { kind: 'nothing'; message: string };

const SCHEME = 'local-model-router-codex';
const TRUST_DECLINED_KEY = 'localModelRouter.codexTrustDeclined';
const virtualDocs = new Map<string, string>();
let providerRegistered = false;
let seq = 0;

function ensureProvider(ctx: Ctx): void {
  if (providerRegistered) return;
  providerRegistered = true;
  const emitter = new vscode.EventEmitter<vscode.Uri>();
  ctx.extension.subscriptions.push(emitter, vscode.workspace.registerTextDocumentContentProvider(SCHEME, {
    onDidChange: emitter.event,
    provideTextDocumentContent: uri => virtualDocs.get(uri.toString()) ?? '',
  }), { dispose: () => { providerRegistered = false; virtualDocs.clear(); } });
}

function virtualUri(kind: 'current' | 'proposed', file: string, text: string): vscode.Uri {
  const uri = vscode.Uri.from({ scheme: SCHEME, path: `/${kind}${file.startsWith('/') ? '' : '/'}${file.replace(/\\/g, '/')}`, query: String(++seq) });
  virtualDocs.set(uri.toString(), text);
  return uri;
}

/** Opens one diff per file (current ↔ proposed); returns a function that closes them again. */
async function showDiffs(changes: readonly PlannedChange[], verb: string): Promise<() => Promise<void>> {
  const opened: string[] = [];
  for (const c of changes) {
    const left = virtualUri('current', c.snapshot.path, c.snapshot.text);
    const right = virtualUri('proposed', c.snapshot.path, c.after ?? '');
    opened.push(left.toString(), right.toString());
    const title = `${path.basename(c.snapshot.path)}: ${c.snapshot.exists ? 'current' : '(new file)'} ↔ ${verb}`;
    await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: false, preserveFocus: changes.length > 1 });
  }
  return async () => {
    const tabs = vscode.window.tabGroups.all.flatMap(g => g.tabs).filter(t => t.input instanceof vscode.TabInputTextDiff && opened.includes(t.input.modified.toString()));
    if (tabs.length) await vscode.window.tabGroups.close(tabs, true);
    for (const u of opened) virtualDocs.delete(u);
  };
}

/** Diff preview plus the Apply/Cancel modal; true = apply. */
async function previewAndConfirm(ctx: Ctx, changes: readonly PlannedChange[], question: string, detail: string, button: string, answer: boolean | undefined): Promise<boolean> {
  if (!ctx.settings().values['codex.previewChanges']) return answer ?? true;
  ensureProvider(ctx);
  const close = await showDiffs(changes, button);
  try {
    if (answer !== undefined) return answer;
    const files = changes.map(c => `${c.snapshot.exists ? 'Change' : 'Create'} ${c.snapshot.path}`).join('\n');
    const pick = await vscode.window.showInformationMessage(question, { modal: true, detail: `${files}\n\n${detail}`.trim() }, button);
    return pick === button;
  } finally {
    await close();
  }
}

function codexHomeOf(ctx: Ctx): string {
  return resolveCodexHome(ctx.env, ctx.settings().values['codex.home'], os.homedir()).path;
}

async function detect(ctx: Ctx): Promise<CodexDetection> {
  const d = await detectCodex(ctx.settings().values['codex.executable'], ctx.env as NodeJS.ProcessEnv);
  ctx.log.info(`codex detection: ${d.kind === 'found' ? `${d.executable} ${d.version.text}` : d.kind === 'not-found' ? d.reason : `unknown version: ${d.output}`}`);
  return d;
}

function workspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

function refusal(ctx: Ctx, error: string): CommandOutcome {
  ctx.log.warn(error);
  void vscode.window.showErrorMessage(error, 'Show Log').then(c => { if (c) ctx.log.show(); });
  return { kind: 'refused', error };
}

function writePlanned(ctx: Ctx, codexHome: string, changes: PlannedChange[], reason: string): CommandOutcome | undefined {
  try {
    fs.mkdirSync(codexHome, { recursive: true });
    writeFiles(codexHome, changes, reason);
    for (const c of changes) ctx.log.info(`wrote ${c.snapshot.path}${c.snapshot.realPath !== c.snapshot.path ? ` (→ ${c.snapshot.realPath})` : ''}\n${c.diff}`);
    return undefined;
  } catch (e) {
    if (e instanceof FileRefusal) return refusal(ctx, e.message);
    throw e;
  }
}

function argsOf<T extends object>(args: unknown[]): T {
  const a = args[0];
  if (a instanceof vscode.Uri) return { folder: a.fsPath } as T;
  return (a && typeof a === 'object' ? a : {}) as T;
}

// ── Write Codex Profile ──

async function writeCodexProfile(ctx: Ctx, ...raw: unknown[]): Promise<CommandOutcome> {
  const args = argsOf<WriteProfileArgs>(raw);
  const answers = args.answers ?? {};
  const route = args.route && isRoute(args.route) ? args.route : ctx.routes.active;
  if (!route) {
    const pick = await vscode.window.showWarningMessage('Pick a local model first: the profile points Codex at it.', COMMANDS.pickRoute.title);
    if (pick) void vscode.commands.executeCommand(COMMANDS.pickRoute.id);
    return { kind: 'nothing', message: 'no route' };
  }
  const s = ctx.settings().values;
  let name = args.name ?? (s['codex.profileName'] || undefined);
  if (!name) {
    name = await vscode.window.showInputBox({
      title: 'Codex profile name', prompt: 'Codex runs it with: codex -p <name>', value: defaultProfileName(route),
      validateInput: v => profileNameProblem(v.trim()),
    });
    if (!name) return { kind: 'cancelled' };
    name = name.trim();
  }
  const codexHome = codexHomeOf(ctx);
  const detection = await detect(ctx);
  const version = detection.kind === 'found' ? detection.version : undefined;
  const format = chooseFormat(version);
  const lastDiagnosis = (ctx.routes as { lastVerification?: { diagnosis?: string } }).lastVerification?.diagnosis;
  let profile;
  try {
    profile = buildProfile(route, s, {
      name, format: format.format, codexHome,
      serverRejectsNonFunctionTools: args.serverRejectsNonFunctionTools ?? lastDiagnosis === 'non-function-tool-rejected',
    });
  } catch (e) {
    if (e instanceof CodexProfileError) return refusal(ctx, e.message);
    throw e;
  }

  // Trust: asked before the preview, so the preview shows the whole change.
  const folder = args.folder === false ? undefined : args.folder ?? workspaceFolder();
  let trustProject: string | undefined;
  let overrideUntrusted = false;
  if (folder) {
    const cfgText = readSnapshotSafe(configPath(codexHome));
    const state = cfgText === undefined ? undefined : trustState(cfgText, folder);
    // Asked once per folder here; after a "no" only the explicit "Trust This Folder in Codex" asks again.
    const declined = ctx.extension.workspaceState.get<string[]>(TRUST_DECLINED_KEY, []);
    const ask = answers.trust !== undefined || !declined.includes(path.resolve(folder));
    if (ask && state && state.kind !== 'trusted' && state.kind !== 'invalid') {
      const yes = answers.trust ?? await askTrust(path.resolve(folder), state.kind === 'untrusted');
      if (yes) { trustProject = folder; overrideUntrusted = state.kind === 'untrusted'; }
      else if (answers.trust === undefined) await ctx.extension.workspaceState.update(TRUST_DECLINED_KEY, [...declined, path.resolve(folder)]);
    }
  }
  let setOss = false;
  if (profile.ossProvider) {
    const current = currentOssProvider(codexHome);
    if (current !== profile.ossProvider) setOss = answers.ossProvider ?? await askOss(profile.ossProvider, current);
  }

  const plan = planProfileWrite({ codexHome, profile, trustProject, overrideUntrusted, setOssProvider: setOss });
  if (!plan.ok) return refusal(ctx, plan.error);
  for (const n of plan.notes) ctx.log.info(`codex profile ${name}: ${n}`);
  if (plan.changes.length === 0) {
    if (isActive(ctx, route)) await ctx.routes.setCodexProfile(name);
    void vscode.window.showInformationMessage(`Codex profile "${name}" is already up to date (codex -p ${name}).`);
    return { kind: 'unchanged', message: 'up to date' };
  }
  const detail = [format.why, ...plan.notes.map(n => `• ${n}`)].join('\n');
  const ok = await previewAndConfirm(ctx, plan.changes, `Write Codex profile "${name}"?`, detail, 'Apply', answers.apply);
  if (!ok) return { kind: 'cancelled' };
  const failed = writePlanned(ctx, codexHome, plan.changes, `Write Codex profile ${name}`);
  if (failed) return failed;
  if (isActive(ctx, route)) await ctx.routes.setCodexProfile(name);

  let validation: ValidationResult | undefined;
  if (detection.kind === 'found' && s['codex.validateAfterWrite']) {
    validation = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Codex is loading profile "${name}"…`, cancellable: true }, (_p, token) => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      return validateWithCodex({ executable: detection.executable, codexHome, profile: name, providerId: profile.providerId, env: ctx.env as NodeJS.ProcessEnv, cwd: folder || undefined, signal: ac.signal });
    });
    ctx.log.info(`codex validation of ${name}: ${validation.kind}${validation.kind === 'accepted' ? '' : `\n${validation.message}`}`);
  }
  const files = plan.changes.map(c => c.snapshot.path);
  if (validation && validation.kind !== 'accepted') {
    void vscode.window.showErrorMessage(`Codex ${version?.text} did not accept profile "${name}":\n${validation.message}`, { modal: false }, 'Show Log', COMMANDS.restoreCodexBackup.title).then(c => {
      if (c === 'Show Log') ctx.log.show();
      else if (c) void vscode.commands.executeCommand(COMMANDS.restoreCodexBackup.id);
    });
  } else {
    const checked = validation ? ` Codex ${version?.text} loaded it with --strict-config.` : detection.kind === 'found' ? '' : ' Codex was not found, so it was not checked; the current profile format was used.';
    // Other legacy [profiles.*] tables stay in config.toml until the user agrees to move them.
    const legacyLeft = format.format === 'profile-file' && plan.notes.some(n => n.startsWith('config.toml still has legacy profiles'));
    const buttons = legacyLeft ? [COMMANDS.openCodex.title, COMMANDS.migrateLegacyProfiles.title] : [COMMANDS.openCodex.title];
    void vscode.window.showInformationMessage(`Codex profile "${name}" written. Run: codex -p ${name}.${checked}${legacyLeft ? ' config.toml still has legacy [profiles.*] tables, which this Codex refuses when selected.' : ''}`, ...buttons).then(c => {
      if (c === COMMANDS.openCodex.title) void vscode.commands.executeCommand(COMMANDS.openCodex.id);
      else if (c) void vscode.commands.executeCommand(COMMANDS.migrateLegacyProfiles.id);
    });
  }
  return { kind: 'written', files, validation, notes: plan.notes };
}

/** The profile is remembered on the active route only (a route passed in by a caller may be another one). */
function isActive(ctx: Ctx, route: Route): boolean {
  const a = ctx.routes.active;
  return !!a && routeKey(a) === routeKey(route);
}

function readSnapshotSafe(p: string): string | undefined {
  try {
    return readSnapshot(p).text;
  } catch {
    return undefined;
  }
}

function currentOssProvider(codexHome: string): string | undefined {
  const text = readSnapshotSafe(configPath(codexHome));
  const parsed = text === undefined ? undefined : parseTomlText(text);
  return parsed?.ok && typeof parsed.value.oss_provider === 'string' ? parsed.value.oss_provider : undefined;
}

async function askTrust(folder: string, untrusted: boolean): Promise<boolean> {
  const q = untrusted ? `Codex has ${folder} marked "untrusted". Trust it instead?` : `Trust ${folder} in Codex?`;
  const pick = await vscode.window.showWarningMessage(q, { modal: true, detail: `${TRUST_EXPLANATION}\n\nThis adds [projects."${folder}"] trust_level = "trusted" to config.toml.` }, 'Trust');
  return pick === 'Trust';
}

async function askOss(provider: 'ollama' | 'lmstudio', current: string | undefined): Promise<boolean> {
  const label = provider === 'ollama' ? PROVIDERS.ollama.displayName : PROVIDERS.lmstudio.displayName;
  const pick = await vscode.window.showInformationMessage(`Also set oss_provider = "${provider}" in config.toml?`, {
    modal: true,
    detail: `Then \`codex --oss -m <model>\` uses ${label} without --local-provider.${current ? ` It is "${current}" now.` : ''}`,
  }, 'Set oss_provider');
  return pick === 'Set oss_provider';
}

// ── Trust This Folder in Codex ──

async function trustFolderInCodex(ctx: Ctx, ...raw: unknown[]): Promise<CommandOutcome> {
  const args = argsOf<{ folder?: string; answers?: CodexAnswers }>(raw);
  const folder = args.folder ?? workspaceFolder();
  if (!folder) {
    void vscode.window.showWarningMessage('Open a folder first: Codex trusts folders.');
    return { kind: 'nothing', message: 'no folder' };
  }
  const codexHome = codexHomeOf(ctx);
  const first = planTrustWrite(codexHome, folder, false);
  if (!first.ok) return refusal(ctx, first.error);
  if (first.state === 'already') {
    void vscode.window.showInformationMessage(first.message);
    return { kind: 'unchanged', message: first.message };
  }
  // The change as it would be made with a yes (an "untrusted" entry only changes with that yes).
  const plan = planTrustWrite(codexHome, folder, true);
  if (!plan.ok) return refusal(ctx, plan.error);
  if (!plan.change) return { kind: 'unchanged', message: plan.message };
  // The trust modal is the Apply/Cancel question; the diff is shown beside it.
  let close: (() => Promise<void>) | undefined;
  if (ctx.settings().values['codex.previewChanges']) {
    ensureProvider(ctx);
    close = await showDiffs([plan.change], 'Trust');
  }
  let yes: boolean;
  try {
    yes = args.answers?.trust ?? await askTrust(path.resolve(folder), first.state === 'needs-confirmation');
  } finally {
    await close?.();
  }
  if (!yes) return { kind: 'cancelled' };
  const failed = writePlanned(ctx, codexHome, [plan.change], `Trust ${folder}`);
  if (failed) return failed;
  void vscode.window.showInformationMessage(plan.message);
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
    void vscode.window.showInformationMessage(`There is no Local Model Router backup in ${codexHome}.`);
    return { kind: 'nothing', message: 'no backup' };
  }
  const changes = plan.files.map(f => plannedChange('config', f.snapshot, f.after ?? ''));
  const edited = plan.files.filter(f => f.changedSinceWrite).map(f => f.snapshot.path);
  const deleted = plan.files.filter(f => f.after === null).map(f => f.snapshot.path);
  const detail = [
    `Backup from ${new Date(plan.manifest.at).toLocaleString()} (${plan.manifest.reason}).`,
    deleted.length ? `Deletes files that did not exist before: ${deleted.join(', ')}.` : '',
    edited.length ? `Changed since Local Model Router wrote them (those changes are lost): ${edited.join(', ')}.` : '',
  ].filter(Boolean).join('\n');
  const ok = await previewAndConfirm(ctx, changes, 'Restore the last Codex config backup?', detail, 'Restore', args.answers?.restore);
  if (!ok) return { kind: 'cancelled' };
  try {
    restore(plan);
  } catch (e) {
    if (e instanceof FileRefusal) return refusal(ctx, e.message);
    throw e;
  }
  ctx.log.info(`restored Codex backup ${plan.manifest.dir}`);
  void vscode.window.showInformationMessage(`Restored ${plan.files.length} file(s) from the backup of ${new Date(plan.manifest.at).toLocaleString()}.`);
  return { kind: 'written', files: plan.files.map(f => f.snapshot.path), notes: [] };
}

// ── Move Legacy Codex Profiles into Profile Files ──

async function migrateLegacyProfiles(ctx: Ctx, ...raw: unknown[]): Promise<CommandOutcome> {
  const args = argsOf<{ answers?: CodexAnswers }>(raw);
  const codexHome = codexHomeOf(ctx);
  const cfg = readSnapshot(configPath(codexHome));
  const found = findLegacyProfiles(cfg.text);
  if ('error' in found) return refusal(ctx, `${cfg.path} is not valid TOML (${found.error}); nothing was changed.`);
  if (!hasLegacyProfiles(found)) {
    void vscode.window.showInformationMessage(`${cfg.path} has no legacy [profiles.*] tables or profile = "…" selector.`);
    return { kind: 'nothing', message: 'no legacy profiles' };
  }
  const detection = await detect(ctx);
  if (detection.kind === 'found' && compareVersions(detection.version, PROFILE_FILES_SINCE) < 0) {
    void vscode.window.showWarningMessage(`Codex ${detection.version.text} still reads [profiles.*] from config.toml; moving them would break it. Update Codex to ${PROFILE_FILES_SINCE.text} or later first.`);
    return { kind: 'nothing', message: 'codex too old' };
  }
  const plan = planMigration(cfg.text, codexHome, existsIn(codexHome));
  if (!plan.ok) return refusal(ctx, plan.error);
  const changes = [plannedChange('config', cfg, plan.configAfter), ...plan.files.map(f => plannedChange('profile', readSnapshot(f.path), f.text))];
  const ok = await previewAndConfirm(ctx, changes, 'Move legacy Codex profiles into profile files?', `Codex ${PROFILE_FILES_SINCE.text} and later refuse [profiles.*] tables and profile = "…".\n${plan.notes.map(n => `• ${n}`).join('\n')}`, 'Move', args.answers?.migrate);
  if (!ok) return { kind: 'cancelled' };
  const failed = writePlanned(ctx, codexHome, changes, 'Move legacy Codex profiles');
  if (failed) return failed;
  void vscode.window.showInformationMessage(plan.notes.join(' '));
  return { kind: 'written', files: changes.map(c => c.snapshot.path), notes: plan.notes };
}

export const commands: LazyModule['commands'] = {
  writeCodexProfile,
  trustFolderInCodex,
  restoreCodexBackup,
  migrateLegacyProfiles,
};
