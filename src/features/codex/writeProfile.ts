// "Write Codex Profile…": the core workflow (core/codex/writeWorkflow.ts) with the editor as its UI.
// The diff of every change opens first; the question beside it is a notification, so the diff stays
// readable. Optional parts (trusting the folder, oss_provider) are in the plan by default when they
// help, and "Options…" takes them out; a "no" is remembered, so nothing is asked on every write.
//
// Tests answer without mocking vscode: `answers` pre-answers the question (the diff still opens).
import * as vscode from 'vscode';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { isRoute, routeKey, type Route } from '../../core/route/route';
import { PROVIDERS } from '../../core/providers';
import { defaultProfileName, profileNameProblem } from '../../core/codex/profile';
import { resolveCodexHome } from '../../core/codex/version';
import { configPath } from '../../core/codex/files';
import { readSnapshot } from '../../core/files';
import { parseTomlText } from '../../core/codex/tomlEdit';
import { trustState } from '../../core/codex/trust';
import { codexKeyVar } from '../../core/codex/launch';
import { writeCodexProfile, type Decision, type WriteOptions, type WritePlan } from '../../core/codex/writeWorkflow';
import { showError, showInfo, showWarning } from '../../ui/notify';
import { askBesideDiffs, showDiffs, TITLE_BAR_HINT } from '../../ui/diffPreview';
import { confirmWriteDespite } from '../../ui/confirmWrite';
import { writeConcerns } from '../../core/writeConcerns';
import { decideBridge } from '../../core/bridge/use';

/** Pre-answered questions (tests, and callers that already asked). Absent = ask the user. */
export interface CodexAnswers {
  /** Apply (true) or Cancel (false) after the diff preview. */
  apply?: boolean;
  /** Trust the folder in Codex (also the explicit yes that replaces an existing "untrusted"). */
  trust?: boolean;
  /** Ollama / LM Studio: also set oss_provider in config.toml. */
  ossProvider?: boolean;
  restore?: boolean;
  migrate?: boolean;
  /** Write although the route's last Codex verification failed or its context is too small for Codex. */
  despiteConcerns?: boolean;
}

export interface WriteProfileArgs {
  route?: Route;
  name?: string;
  /** The folder to offer trust for; false = do not offer. Default: the first workspace folder. */
  folder?: string | false;
  /** For codex.disableNonFunctionTools = 'auto'; default: the last verification's diagnosis. */
  serverRejectsNonFunctionTools?: boolean;
  /** To the server itself whatever bridge.use says (a fix that repairs the direct route, e.g. its tools off). */
  direct?: boolean;
  answers?: CodexAnswers;
}

export type CommandOutcome =
  | { kind: 'written'; files: string[]; validation?: { kind: string; message?: string }; notes: string[] }
  | { kind: 'unchanged'; message: string }
  | { kind: 'cancelled' }
  | { kind: 'refused'; error: string }
  | { kind: 'nothing'; message: string };

export function codexHomeOf(ctx: Ctx): string {
  return resolveCodexHome(ctx.env, ctx.settings().values['codex.home'], os.homedir()).path;
}

export function refusal(ctx: Ctx, error: string): CommandOutcome {
  ctx.log.warn(error);
  void showError(error, 'Show Log').then(c => {
    if (c) ctx.log.show();
  });
  return { kind: 'refused', error };
}

export function argsOf<T extends object>(args: unknown[]): T {
  const a = args[0];
  if (a instanceof vscode.Uri) return { folder: a.fsPath } as T;
  return (a && typeof a === 'object' ? a : {}) as T;
}

function configText(codexHome: string): string | undefined {
  try {
    return readSnapshot(configPath(codexHome)).text;
  } catch {
    return undefined;
  }
}

/** The optional parts a plan starts with: what helps and was not declined before. */
function defaultOptions(
  ctx: Ctx,
  codexHome: string,
  folder: string | undefined,
  ossProvider: string | undefined,
  answers: CodexAnswers,
): WriteOptions {
  const text = configText(codexHome);
  const o: WriteOptions = {};
  if (folder && text !== undefined) {
    const state = trustState(text, folder);
    const declined = ctx.remembered.codexTrustDeclined(path.resolve(folder));
    // An existing "untrusted" is only changed with an explicit yes.
    const want = answers.trust ?? (state.kind === 'absent' && !declined);
    if (want && state.kind !== 'trusted' && state.kind !== 'invalid')
      Object.assign(o, { trustProject: folder, overrideUntrusted: state.kind === 'untrusted' });
  }
  if (ossProvider && text !== undefined) {
    const parsed = parseTomlText(text);
    const current = parsed.ok ? parsed.value.oss_provider : undefined;
    const declined = ctx.remembered.codexOssDeclined(codexHome);
    if (answers.ossProvider ?? (current === undefined && !declined)) o.setOssProvider = current !== ossProvider;
  }
  return o;
}

/** "Options…": the optional parts as checkboxes; unticking one remembers the "no". */
async function chooseOptions(ctx: Ctx, plan: WritePlan, folder: string | undefined, codexHome: string): Promise<WriteOptions | undefined> {
  type Opt = vscode.QuickPickItem & { id: 'trust' | 'oss' };
  const items: Opt[] = [];
  if (folder)
    items.push({
      id: 'trust',
      label: `Trust ${folder} in Codex`,
      detail: 'Codex then runs there with the workspace-write sandbox and loads its .codex/config.toml.',
      picked: !!plan.options.trustProject,
    });
  if (plan.profile.ossProvider)
    items.push({
      id: 'oss',
      label: `Set oss_provider = "${plan.profile.ossProvider}" in config.toml`,
      detail: `Then \`codex --oss -m <model>\` uses ${PROVIDERS[plan.profile.ossProvider].displayName} without --local-provider.`,
      picked: !!plan.options.setOssProvider,
    });
  if (!items.length) return undefined;
  const picked = await vscode.window.showQuickPick(items, {
    canPickMany: true,
    title: `What "Write Codex Profile" also changes`,
    placeHolder: 'The profile file itself is always written',
  });
  if (!picked) return undefined;
  const trust = picked.some(p => p.id === 'trust');
  const oss = picked.some(p => p.id === 'oss');
  if (folder && !trust) await ctx.remembered.declineCodexTrust(path.resolve(folder));
  if (plan.profile.ossProvider && !oss) await ctx.remembered.declineCodexOss(codexHome);
  const text = configText(codexHome);
  const untrusted = !!folder && text !== undefined && trustState(text, folder).kind === 'untrusted';
  return { ...(trust && folder ? { trustProject: folder, overrideUntrusted: untrusted } : {}), ...(oss ? { setOssProvider: true } : {}) };
}

function describePlan(plan: WritePlan): string {
  const parts = plan.changes.map(c => `${c.snapshot.exists ? 'changes' : 'creates'} ${path.basename(c.snapshot.path)}`);
  if (plan.options.trustProject) parts.push(`trusts ${plan.options.trustProject} in Codex`);
  if (plan.options.setOssProvider) parts.push(`sets oss_provider = "${plan.profile.ossProvider}"`);
  return parts.join(', ');
}

export async function writeProfileCommand(ctx: Ctx, ...raw: unknown[]): Promise<CommandOutcome> {
  const args = argsOf<WriteProfileArgs>(raw);
  const answers = args.answers ?? {};
  const route = args.route && isRoute(args.route) ? args.route : ctx.routes.active;
  if (!route) {
    const pick = await showWarning('Pick a local model first: the profile points Codex at it.', COMMANDS.pickRoute.title);
    if (pick) void vscode.commands.executeCommand(COMMANDS.pickRoute.id);
    return { kind: 'nothing', message: 'no route' };
  }
  const lastCodex = ctx.routes.verificationsOf(route).codex;
  const s = ctx.settings().values;
  // Through the bridge when the verification proved it works there (core/bridge/use.ts).
  const bridge = args.direct
    ? { use: false as const, why: 'asked for the server itself' }
    : decideBridge('codex', lastCodex, s['bridge.use']);
  ctx.log.info(`codex profile: ${bridge.use ? 'through the route bridge' : 'direct to the server'}: ${bridge.why}`);
  // A refusal of non-function tools is what the profile itself turns off, and what the bridge proved
  // to repair is repaired: no reason to ask.
  const addressed = [
    'non-function-tool-rejected',
    ...(bridge.use && lastCodex?.throughBridge?.ok && lastCodex.diagnosis ? [lastCodex.diagnosis] : []),
  ];
  const concerns = writeConcerns('codex', route, lastCodex, addressed);
  if (!(await confirmWriteDespite('Write a Codex profile for this route', 'codex', concerns, { answer: answers.despiteConcerns })))
    return { kind: 'cancelled' };
  let name = args.name ?? (s['codex.profileName'] || undefined);
  if (!name) {
    name = (
      await vscode.window.showInputBox({
        title: 'Codex profile name',
        prompt: 'Codex runs it with: codex -p <name>',
        value: defaultProfileName(route),
        validateInput: v => profileNameProblem(v.trim()),
      })
    )?.trim();
    if (!name) return { kind: 'cancelled' };
  }
  const codexHome = codexHomeOf(ctx);
  const folder =
    args.folder === false
      ? undefined
      : (args.folder ?? (vscode.workspace.isTrusted ? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath : undefined));
  // The key reaches Codex through a variable the profile names (env_key); Open Codex fills it.
  const key = await ctx.keys.resolve(route.provider, route.baseUrl);
  const apiKeyEnv = key.apiKey ? codexKeyVar({ provider: route.provider, keyVar: key.keyVar }) : undefined;
  const ossProvider = PROVIDERS[route.provider].codexOssProvider;

  const decide = async (plan: WritePlan): Promise<Decision> => {
    for (const n of plan.notes) ctx.log.info(`codex profile ${plan.profile.name}: ${n}`);
    if (!s['codex.previewChanges']) return { kind: answers.apply === false ? 'cancel' : 'apply' };
    const preview = await showDiffs(ctx, plan.changes, 'Apply');
    try {
      if (answers.apply !== undefined) return { kind: answers.apply ? 'apply' : 'cancel' };
      const optional = !!folder || !!plan.profile.ossProvider;
      const buttons = ['Apply', ...(optional ? ['Options…'] : [])];
      const choice = await askBesideDiffs(
        preview,
        showInfo(
          `Write Codex profile "${plan.profile.name}"? It ${describePlan(plan)} — the diff shows every change ${TITLE_BAR_HINT}; a backup is kept.`,
          ...buttons,
        ),
        'Apply',
      );
      if (choice === 'Apply') return { kind: 'apply' };
      if (choice === 'Options…') {
        const options = await chooseOptions(ctx, plan, folder, codexHome);
        return options ? { kind: 'replan', options } : { kind: 'cancel' };
      }
      return { kind: 'cancel' };
    } finally {
      await preview.close();
    }
  };

  const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Codex profile "${name}"` }, () =>
    writeCodexProfile(
      {
        route,
        settings: s,
        codexHome,
        codex: { executable: s['codex.executable'], env: ctx.env as NodeJS.ProcessEnv },
        profile: {
          name: name as string,
          ...(apiKeyEnv ? { apiKeyEnv } : {}),
          serverRejectsNonFunctionTools: args.serverRejectsNonFunctionTools ?? lastCodex?.diagnosis === 'non-function-tool-rejected',
          ...(lastCodex?.findings ? { findings: lastCodex.findings } : {}),
          ...(bridge.use
            ? { bridge: { port: s['bridge.port'], why: bridge.why, upstreamApi: lastCodex?.throughBridge?.upstreamApi } }
            : {}),
        },
        options: defaultOptions(ctx, codexHome, folder, ossProvider, answers),
        validate: s['codex.validateAfterWrite'],
        cwd: folder,
      },
      decide,
    ),
  );

  const isActive = !!ctx.routes.active && routeKey(ctx.routes.active) === routeKey(route);
  switch (outcome.kind) {
    case 'refused':
      return refusal(ctx, outcome.error);
    case 'cancelled':
      return { kind: 'cancelled' };
    case 'planned':
      return { kind: 'nothing', message: 'planned' };
    case 'unchanged':
      if (isActive) await ctx.routes.setCodexProfile(outcome.plan.profile.name);
      void showInfo(
        `Codex profile "${outcome.plan.profile.name}" is already up to date (codex -p ${outcome.plan.profile.name}).`,
        COMMANDS.openCodex.title,
      ).then(c => {
        if (c) void vscode.commands.executeCommand(COMMANDS.openCodex.id);
      });
      return { kind: 'unchanged', message: 'up to date' };
    case 'config-rejected': {
      // The profile could never load over this config.toml: nothing was written; the repair is offered.
      const r = outcome.configCheck.check.rejection;
      ctx.log.warn(`codex profile ${outcome.plan.profile.name} not written: Codex rejects config.toml\n${r.text}`);
      void showError(
        `Codex rejects your config.toml, which every profile is loaded over, so profile "${outcome.plan.profile.name}" could never load. Nothing was written. Codex said: ${r.text.split('\n')[0]}`,
        COMMANDS.checkCodexConfig.title,
        'Show Log',
      ).then(c => {
        if (c === COMMANDS.checkCodexConfig.title) void vscode.commands.executeCommand(COMMANDS.checkCodexConfig.id);
        else if (c) ctx.log.show();
      });
      return { kind: 'refused', error: `config.toml rejected by Codex (${r.kind})` };
    }
    case 'written':
      break;
  }
  const { plan, validation } = outcome;
  for (const c of plan.changes)
    ctx.log.info(`wrote ${c.snapshot.path}${c.snapshot.realPath !== c.snapshot.path ? ` (→ ${c.snapshot.realPath})` : ''}\n${c.diff}`);
  if (isActive) await ctx.routes.setCodexProfile(plan.profile.name);
  const version = plan.codex.kind === 'found' ? plan.codex.version.text : undefined;
  if (validation)
    ctx.log.info(
      `codex validation of ${plan.profile.name}: ${validation.kind}${validation.kind === 'accepted' ? '' : `\n${validation.message}`}`,
    );
  if (validation && validation.kind !== 'accepted') {
    void showError(
      `The profile was written, but Codex ${version} does not accept it:\n${validation.message}`,
      'Show Log',
      COMMANDS.restoreCodexBackup.title,
    ).then(c => {
      if (c === 'Show Log') ctx.log.show();
      else if (c) void vscode.commands.executeCommand(COMMANDS.restoreCodexBackup.id);
    });
  } else {
    const checked = validation
      ? ` Codex ${version} loaded it with --strict-config.`
      : plan.codex.kind === 'found'
        ? ''
        : ' Codex was not found, so it was not checked; the current profile format was used.';
    const legacy = plan.legacyLeft.length
      ? ` config.toml still has legacy [profiles.*] tables (${plan.legacyLeft.join(', ')}), which this Codex refuses when selected.`
      : '';
    const buttons = plan.legacyLeft.length ? [COMMANDS.openCodex.title, COMMANDS.migrateLegacyProfiles.title] : [COMMANDS.openCodex.title];
    void showInfo(`Codex profile "${plan.profile.name}" written. Run: codex -p ${plan.profile.name}.${checked}${legacy}`, ...buttons).then(
      c => {
        if (c === COMMANDS.openCodex.title) void vscode.commands.executeCommand(COMMANDS.openCodex.id);
        else if (c) void vscode.commands.executeCommand(COMMANDS.migrateLegacyProfiles.id);
      },
    );
  }
  return {
    kind: 'written',
    files: outcome.files,
    validation: validation
      ? { kind: validation.kind, ...(validation.kind === 'accepted' ? {} : { message: validation.message }) }
      : undefined,
    notes: plan.notes,
  };
}
