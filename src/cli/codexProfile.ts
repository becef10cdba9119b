// `local-model-router codex-profile`: writes a Codex profile for a local server the way the installed
// Codex expects it, prints what it writes (diffs for changed files), then lets Codex itself load it.
import { decideBridge } from '../core/bridge/use';
import { BRIDGE_USE_MODES, DEFAULT_BRIDGE_PORT } from '../core/bridge/facts';
import type { VerificationSummary } from '../core/route/routeHealth';
import type { BridgeVerdict } from '../core/verify/types';
import * as os from 'node:os';
import * as path from 'node:path';
import { intFlag, parseFlags, UsageError, type CliIo, type Subcommand } from './io';
import { PROVIDER_IDS, PROVIDERS, isProviderId, type ProviderId } from '../core/providers';
import { SETTINGS } from '../core/settings/catalog';
import type { ProfileSettings } from '../core/codex/profile';
import { resolveCodexHome } from '../core/codex/version';
import { writeCodexProfile } from '../core/codex/writeWorkflow';
import type { CodexFindings } from '../core/verify/types';
import { checkJson, fillPlan, indent, printPlan } from './codexCheckReport';
import { readCodexFindings } from '../core/codex/findings';
import { FileRefusal, planRestore, readTextFile, restore } from '../core/files';
import { displayName } from '../core/text/sanitize';
import { configPath } from '../core/codex/files';

const HELP = `Usage: local-model-router codex-profile --name N --provider-id ID --base-url URL --model M
         [--provider ${PROVIDER_IDS.join('|')}] [--context-window N] [--auto-compact N]
         [--api-key-env VAR] [--codex-home DIR] [--codex-version V] [--codex EXE]
         [--trust-project PATH] [--override-untrusted] [--set-oss-provider]
         [--non-function-tools auto|always|never] [--server-rejects-non-function-tools]
         [--from-verify REPORT.json] [--bridge auto|always|never] [--bridge-port N]
         [--no-catalog] [--no-validate] [--dry-run] [--json]
       local-model-router codex-profile --restore [--force] [--codex-home DIR] [--json]

Writes a Codex profile for a local model server. Codex 0.134 and later: $CODEX_HOME/<name>.config.toml
(plus <name>.models.json, a one-model catalog); older Codex: [profiles.<name>] and
[model_providers.<id>] in config.toml. config.toml is edited surgically: every other byte stays as it
was; a backup of every replaced file is kept in $CODEX_HOME/.local-model-router-backups/ (one folder
per write). --restore undoes the last write to CODEX_HOME by this command, check-codex-config --apply or
the extension (the files come back as they were); it is refused when a file changed since that write,
unless --force (then the current files are kept in a backup first). Every restore keeps what it
replaces in a backup too, and the next --restore goes one write further back.

Options:
  --name N                 profile name: codex -p N
  --provider-id ID         the [model_providers.ID] id; not openai, ollama, lmstudio (Codex's built-ins)
  --base-url URL           the server's OpenAI-compatible base URL, with /v1
  --model M                the model id the server serves
  --provider P             kind of server (default: from --provider-id, e.g. local-vllm → vllm; else openaiCompatible)
  --context-window N       the server's real context (model_context_window)
  --auto-compact N         model_auto_compact_token_limit (default: llama.cpp setting, else 0.75 × window)
  --api-key-env VAR        variable holding the key (env_key); the key itself is never written
  --codex-home DIR         default: $CODEX_HOME, else ~/.codex
  --codex-version V        skip detection and write the format of this Codex version
  --codex EXE              the Codex executable to detect and validate with (default: codex)
  --trust-project PATH     also trust this folder in Codex ([projects."PATH"] trust_level = "trusted")
  --override-untrusted     change an existing trust_level = "untrusted" for --trust-project
  --set-oss-provider       Ollama / LM Studio: also set oss_provider in config.toml (for codex --oss)
  --non-function-tools M   auto (off when --server-rejects-non-function-tools), always (off), never
  --from-verify FILE       use what \`verify --json\` learned (tool types, prompt rate): non-function and
                           MCP tools the server refuses are turned off, stream_idle_timeout_ms is set
                           from the measured prompt rate
  --bridge M               auto (default): through the route bridge when --from-verify's report passed
                           through it and not directly (or lost MCP tools directly); always; never
  --bridge-port N          where the bridge listens (default ${DEFAULT_BRIDGE_PORT}); run it with \`local-model-router bridge\`
  --no-catalog             do not write the model catalog
  --no-validate            do not run Codex on the written profile
  --restore                undo the last write (see above); --force: even over files changed since
  --dry-run                print what would be written; write nothing
  --json                   {"ok","dryRun","codexHome","codex":{"found","version"|"reason"},"format","formatReason",
                            "profile","providerId","files":[{"path","role","action","diff"}],"notes":[],
                            "trust","validation":{"kind","message"?}|null,"backup"|null,"run"} or {"ok":false,"error"}

Exit codes: 0 written (and accepted by Codex when validated), 1 refused or Codex rejected it, 2 usage error.`;

const FLAGS = {
  name: { type: 'string' },
  'provider-id': { type: 'string' },
  'base-url': { type: 'string' },
  model: { type: 'string' },
  provider: { type: 'string' },
  'context-window': { type: 'string' },
  'auto-compact': { type: 'string' },
  'api-key-env': { type: 'string' },
  'codex-home': { type: 'string' },
  'codex-version': { type: 'string' },
  codex: { type: 'string' },
  'trust-project': { type: 'string' },
  'override-untrusted': { type: 'boolean' },
  'set-oss-provider': { type: 'boolean' },
  'non-function-tools': { type: 'string' },
  'server-rejects-non-function-tools': { type: 'boolean' },
  'from-verify': { type: 'string' },
  bridge: { type: 'string' },
  'bridge-port': { type: 'string' },
  'no-catalog': { type: 'boolean' },
  'no-validate': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  restore: { type: 'boolean' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

/** The findings of a `verify --json` report (Codex's) and its verdict; a usage error when the file is not one. */
function readFindings(file: string): { findings: CodexFindings; verdict: VerificationSummary } {
  let report: unknown;
  try {
    const text = readTextFile(file, 'report');
    if (text === undefined) throw new UsageError(`--from-verify ${file} does not exist`);
    report = JSON.parse(text);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`--from-verify ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = report as { agent?: unknown; stages?: unknown; findings?: unknown; ok?: unknown; throughBridge?: BridgeVerdict };
  if (!r || typeof r !== 'object' || !Array.isArray(r.stages))
    throw new UsageError(`--from-verify ${file}: not a report of \`local-model-router verify --json\``);
  if (r.agent !== undefined && r.agent !== 'codex')
    throw new UsageError(
      `--from-verify ${file}: a ${displayName(String(r.agent))} report; Codex profiles use a Codex one (verify --agent codex)`,
    );
  const f = readCodexFindings(r.findings);
  if (!f.ok) throw new UsageError(`--from-verify ${file}: ${f.error}; it is not a report this version of verify wrote`);
  const through =
    r.throughBridge && typeof r.throughBridge.ok === 'boolean' && Array.isArray(r.throughBridge.repairs) ? r.throughBridge : undefined;
  return {
    findings: f.findings,
    verdict: {
      agent: 'codex',
      ok: r.ok === true,
      at: 0,
      ...(through
        ? {
            throughBridge: {
              ok: through.ok,
              repairs: through.repairs,
              ...(through.upstreamApi ? { upstreamApi: through.upstreamApi } : {}),
            },
          }
        : {}),
    },
  };
}

function required(v: string | undefined, flag: string): string {
  if (!v) throw new UsageError(`--${flag} is required`);
  return v;
}

function providerFor(explicit: string | undefined, providerId: string): ProviderId {
  if (explicit !== undefined) {
    if (!isProviderId(explicit)) throw new UsageError(`--provider must be one of ${PROVIDER_IDS.join(', ')}, got "${explicit}"`);
    return explicit;
  }
  return PROVIDER_IDS.find(p => PROVIDERS[p].codexProviderId === providerId) ?? 'openaiCompatible';
}

export const codexProfileCommand: Subcommand = {
  summary: 'Write a Codex profile (and optionally project trust) for a local server',
  help: HELP,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values: f } = parseFlags(args, FLAGS);
    if (f.force && !f.restore) throw new UsageError('--force only goes with --restore');
    if (f.restore) return restoreLast(f['codex-home'], !!f.force, !!f.json, io);
    const name = required(f.name, 'name');
    const providerId = required(f['provider-id'], 'provider-id');
    const baseUrl = required(f['base-url'], 'base-url');
    const model = required(f.model, 'model');
    const mode = f['non-function-tools'] ?? SETTINGS['codex.disableNonFunctionTools'].default;
    if (!['auto', 'always', 'never'].includes(mode))
      throw new UsageError(`--non-function-tools must be auto, always or never, got "${mode}"`);
    const settings: ProfileSettings = {
      'codex.disableNonFunctionTools': mode,
      'codex.autoCompactFraction': SETTINGS['codex.autoCompactFraction'].default,
      'llamacpp.autoCompactTokenLimit': SETTINGS['llamacpp.autoCompactTokenLimit'].default,
    };
    const homeDir = io.env.HOME || os.homedir();
    const codexHome = f['codex-home'] ? path.resolve(io.cwd, f['codex-home']) : resolveCodexHome(io.env, '', homeDir).path;
    const exe = f.codex ?? 'codex';
    const bridgeMode = f.bridge ?? SETTINGS['bridge.use'].default;
    if (!BRIDGE_USE_MODES.includes(bridgeMode as (typeof BRIDGE_USE_MODES)[number]))
      throw new UsageError(`--bridge must be ${BRIDGE_USE_MODES.join(', ')}, got "${bridgeMode}"`);
    const bridgePort = intFlag('bridge-port', f['bridge-port'], 1024) ?? DEFAULT_BRIDGE_PORT;
    if (bridgePort > 65535) throw new UsageError(`--bridge-port must be 1024–65535, got ${bridgePort}`);
    const fromVerify = f['from-verify'] ? readFindings(path.resolve(io.cwd, f['from-verify'])) : undefined;
    const bridge = decideBridge('codex', fromVerify?.verdict, bridgeMode);
    const report: Record<string, unknown> = { ok: false, dryRun: !!f['dry-run'], codexHome };
    const fail = (error: string): number => {
      if (f.json) io.out(JSON.stringify({ ...report, ok: false, error }, null, 2));
      else io.err(`local-model-router codex-profile: ${error}`);
      return 1;
    };

    const outcome = await writeCodexProfile(
      {
        route: { provider: providerFor(f.provider, providerId), baseUrl, model },
        settings,
        codexHome,
        codex:
          f['codex-version'] !== undefined
            ? { version: f['codex-version'] }
            : { executable: exe, env: { ...process.env, ...io.env } as NodeJS.ProcessEnv },
        profile: {
          name,
          providerId,
          contextWindow: intFlag('context-window', f['context-window'], 1),
          autoCompact: intFlag('auto-compact', f['auto-compact'], 1),
          apiKeyEnv: f['api-key-env'],
          serverRejectsNonFunctionTools: !!f['server-rejects-non-function-tools'],
          ...(fromVerify ? { findings: fromVerify.findings } : {}),
          ...(bridge.use
            ? { bridge: { port: bridgePort, why: bridge.why, upstreamApi: fromVerify?.verdict.throughBridge?.upstreamApi } }
            : {}),
          modelCatalog: !f['no-catalog'],
        },
        options: {
          trustProject: f['trust-project'] ? path.resolve(io.cwd, f['trust-project']) : undefined,
          overrideUntrusted: !!f['override-untrusted'],
          setOssProvider: !!f['set-oss-provider'],
        },
        validate: !f['no-validate'],
        cwd: io.cwd,
      },
      async () => ({ kind: 'apply' }),
      { planOnly: !!f['dry-run'] },
    );

    if (outcome.kind === 'refused') {
      if (outcome.usage) throw new UsageError(outcome.error);
      return fail(outcome.error);
    }
    if (outcome.kind === 'cancelled') return fail('cancelled');
    const plan = outcome.plan;
    const c = plan.codex;
    report.codex =
      c.kind === 'given'
        ? { found: null, version: c.version.text, source: 'flag' }
        : c.kind === 'found'
          ? { found: true, version: c.version.text }
          : { found: false, reason: c.kind === 'not-found' ? c.reason : `"${exe} --version" printed no version: ${c.output}` };
    Object.assign(report, {
      format: plan.format.format,
      formatReason: plan.format.why,
      profile: plan.profile.name,
      providerId: plan.profile.providerId,
      run: `codex -p ${plan.profile.name}`,
    });
    report.notes = plan.notes;
    report.trust = plan.trust ?? null;
    report.files = [
      ...plan.changes.map(ch => ({
        path: ch.snapshot.path,
        role: ch.role,
        action: ch.snapshot.exists ? 'update' : 'create',
        diff: ch.diff,
      })),
      ...plan.unchanged.map(p => ({ path: p, role: p.endsWith('.json') ? 'catalog' : 'profile', action: 'unchanged', diff: '' })),
    ];
    const version = c.kind === 'found' || c.kind === 'given' ? c.version : undefined;
    if (!f.json) {
      io.out(
        `Codex: ${version ? `${version.text}${c.kind === 'given' ? ' (given)' : ''}` : `not found (${(report.codex as { reason: string }).reason})`}; CODEX_HOME ${codexHome}`,
      );
      io.out(plan.format.why);
      for (const ch of plan.changes)
        io.out(
          `\n${ch.snapshot.exists ? 'update' : 'create'} ${ch.snapshot.path}${ch.snapshot.realPath !== path.resolve(ch.snapshot.path) ? ` (→ ${ch.snapshot.realPath})` : ''}\n${ch.diff}`,
        );
      for (const p of plan.unchanged) io.out(`unchanged ${p}`);
      for (const n of plan.notes) io.out(`· ${n}`);
    }
    report.configCheck = outcome.kind === 'written' && outcome.configCheck ? checkJson(outcome.configCheck.check) : null;
    if (outcome.kind === 'config-rejected') {
      // A profile is loaded over config.toml: while Codex rejects config.toml the profile can never
      // load, so nothing was written and the repair is offered instead of a success.
      const pre = outcome.configCheck;
      const repair: Record<string, unknown> = {};
      if (pre.plan.ok) fillPlan(repair, pre.plan);
      else repair.error = pre.plan.error;
      report.configCheck = {
        ...checkJson(pre.check),
        repair,
        command: `local-model-router check-codex-config --codex-home ${codexHome} --apply`,
      };
      report.validation = null;
      if (!f.json) {
        io.err(
          `\nCodex ${version?.text} rejects ${configPath(codexHome)}, which every profile is loaded over, so ${plan.profile.name} could never load. Nothing was written.\n${indent(pre.check.rejection.text, '  | ')}`,
        );
        if (pre.plan.ok) printPlan(io, pre.plan, 'config.toml', version?.text ?? '', false);
        else io.err(pre.plan.error);
        io.err(
          `\nRepair config.toml first: local-model-router check-codex-config --codex-home ${codexHome} --apply\nthen write the profile again.`,
        );
      }
      return fail(`Codex ${version?.text} rejects config.toml (${pre.check.rejection.kind}); the profile was not written.`);
    }
    if (outcome.kind === 'written' && outcome.configCheck?.kind === 'unchecked' && !f.json)
      io.out(`· config.toml could not be checked by Codex: ${outcome.configCheck.check.message}`);
    report.backup = outcome.kind === 'written' && outcome.backup ? path.join(codexHome, '.local-model-router-backups') : null;
    const validation = outcome.kind === 'written' ? outcome.validation : undefined;
    report.validation = validation
      ? validation.kind === 'accepted'
        ? { kind: 'accepted' }
        : { kind: validation.kind, message: validation.message }
      : null;
    if (outcome.kind === 'planned') {
      report.ok = true;
      if (f.json) io.out(JSON.stringify(report, null, 2));
      else io.out('\nDry run: nothing was written.');
      return 0;
    }
    report.ok = !validation || validation.kind === 'accepted';
    if (f.json) {
      io.out(JSON.stringify(report, null, 2));
    } else {
      io.out(
        outcome.kind === 'unchanged'
          ? `\nAlready up to date. Run it with: codex -p ${plan.profile.name}`
          : `\nWritten. Run it with: codex -p ${plan.profile.name}`,
      );
      if (validation?.kind === 'accepted') io.out(`Codex ${version?.text} loaded the profile with --strict-config (no request was sent).`);
      else if (validation) io.err(`Codex did not accept the profile:\n${validation.message}`);
      else if (c.kind !== 'found' && c.kind !== 'given') io.out('Codex was not found, so the profile was not checked by Codex itself.');
    }
    return report.ok ? 0 : 1;
  },
};

/** `--restore`: the newest write to CODEX_HOME not yet undone. */
function restoreLast(codexHomeFlag: string | undefined, force: boolean, json: boolean, io: CliIo): number {
  const codexHome = codexHomeFlag ? path.resolve(io.cwd, codexHomeFlag) : resolveCodexHome(io.env, '', io.env.HOME || os.homedir()).path;
  const fail = (error: string): number => {
    if (json) io.out(JSON.stringify({ ok: false, codexHome, error }, null, 2));
    else io.err(`local-model-router codex-profile: ${error}`);
    return 1;
  };
  let savedIn: string | undefined;
  let plan;
  try {
    plan = planRestore(codexHome);
    if (!plan)
      return fail(`No backup to restore in ${codexHome} (nothing written there by Local Model Router, or every write is already undone).`);
    savedIn = restore(plan, { force }).savedIn;
  } catch (e) {
    if (e instanceof FileRefusal) return fail(e.reason === 'changed' ? `${e.message} Run again with --force to do that.` : e.message);
    throw e;
  }
  const files = plan.files.map(f => f.snapshot.path);
  if (json)
    io.out(
      JSON.stringify(
        { ok: true, codexHome, restored: files, from: plan.set.dir, reason: plan.set.reason, savedIn: savedIn ?? null },
        null,
        2,
      ),
    );
  else {
    io.out(`Restored ${files.join(', ')} as they were before "${plan.set.reason}" (${plan.set.at}), from ${plan.set.dir}.`);
    if (savedIn) io.out(`What they held before this restore is kept in ${savedIn}.`);
  }
  return 0;
}
