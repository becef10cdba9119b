// `local-model-router check-codex-config`: asks the installed Codex whether it accepts the user's
// configuration, shows each rejection with the planned repair as one diff, and with --apply writes it
// (backup, atomic) and lets Codex load the result again.
import * as os from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { intFlag, parseFlags, UsageError, type CliIo, type Subcommand } from './io';
import { resolveCodexHome } from '../core/codex/version';
import { detectCodex } from '../core/codex/run';
import { checkArgs, checkCodexConfig } from '../core/codex/check';
import { planCodexRepair } from '../core/codex/repairs';
import { checkJson, fillPlan, indent, printAdvisories, printPlan } from './codexCheckReport';
import { featureAdvisories, listCodexFeatures, type FeatureAdvisory } from '../core/codex/features';
import { applyCodexRepair, type AppliedRepair } from '../core/codex/applyRepair';
import { backupDir, readTextFile } from '../core/files';
import { profileNameProblem } from '../core/codex/profile';
import { configPath } from '../core/codex/files';

/** Exit codes, also in --help and the README. */
export const CHECK_EXIT = { accepted: 0, rejected: 1, usage: 2, couldNotCheck: 3 } as const;

const HELP = `Usage: local-model-router check-codex-config [--codex-home DIR] [--profile NAME] [--json] [--apply] [--yes]
         [--codex EXE] [--timeout-ms N]

Asks the installed Codex whether it accepts your configuration (config.toml, and the profile file
<NAME>.config.toml when --profile is given), using its own strict validation:
  codex exec --strict-config --ephemeral [-p NAME]   (no prompt: Codex loads the files and stops; no request is sent)
Each rejection is shown with Codex's own words and the repair planned for it; all repairs form one
diff, checked with Codex on a scratch copy before anything is written:
  - a provider with wire_api = "chat": its server is asked POST <base_url>/responses; when it answers,
    wire_api becomes "responses"; when not, the provider is commented out (with the reason and the server
    version that adds the Responses API) and model_provider no longer selects it;
  - legacy [profiles.x] / profile = "x": moved into x.config.toml files;
  - keys Codex does not know: commented out with a dated note, never deleted;
  - built-in provider ids (openai, ollama, lmstudio) redefined: renamed to local-<id>, references too;
  - a number or boolean written as a string: written as the number or boolean;
  - anything else: shown verbatim, nothing guessed.
[features] keys that \`codex features list\` calls deprecated or removed still load, so they are only
mentioned (removing a deprecated flag can change what Codex does).

Options:
  --codex-home DIR   default: $CODEX_HOME, else ~/.codex
  --profile NAME     also check $CODEX_HOME/NAME.config.toml, as \`codex -p NAME\` loads it
  --apply            write the planned repair (a backup of every replaced file goes to
                     $CODEX_HOME/.local-model-router-backups/), then let Codex load the result again;
                     \`local-model-router codex-profile --restore\` undoes it
  --yes              apply without asking (needed when stdin is not a terminal)
  --codex EXE        the Codex executable (default: codex)
  --timeout-ms N     limit for each Codex run (default 20000)
  --json             {"ok","codexHome","profile","codex":{"executable","version"},"command",
                      "check":{"kind","rejection"?,"message"?},"findings":[{"rejection","summary","repair","explanation","onCopy"}],
                      "outcome":{"kind"}|null,"files":[{"path","role","action","diff"}],"notes":[],
                      "advisories":[{"key","stage","enabled"}],
                      "applied":{"backupDir","accepted","checks":[{"profile","kind","rejection"?,"message"?}]}|null,"error"?}

Exit codes: 0 Codex accepts the configuration (as it was, or after --apply);
            1 Codex rejects it (nothing written without --apply), or the repair was refused or left a rejection;
            2 usage error; 3 the check could not run (Codex not found, too old, or timed out).`;

function readConfigText(codexHome: string): string | undefined {
  try {
    return readTextFile(configPath(codexHome));
  } catch {
    return undefined;
  }
}

const FLAGS = {
  'codex-home': { type: 'string' },
  profile: { type: 'string' },
  json: { type: 'boolean' },
  apply: { type: 'boolean' },
  yes: { type: 'boolean' },
  codex: { type: 'string' },
  'timeout-ms': { type: 'string' },
} as const;

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export const checkCodexConfigCommand: Subcommand = {
  summary: 'Check that the installed Codex accepts your config.toml (and profile); plan and apply repairs',
  help: HELP,
  async run(args: string[], io: CliIo): Promise<number> {
    const { values: f } = parseFlags(args, FLAGS);
    if (f.profile !== undefined) {
      const problem = profileNameProblem(f.profile);
      if (problem) throw new UsageError(problem);
    }
    if (f.yes && !f.apply) throw new UsageError('--yes only goes with --apply');
    const timeoutMs = intFlag('timeout-ms', f['timeout-ms'], 1000);
    const homeDir = io.env.HOME || os.homedir();
    const codexHome = f['codex-home'] ? path.resolve(io.cwd, f['codex-home']) : resolveCodexHome(io.env, '', homeDir).path;
    const executable = f.codex ?? 'codex';
    const env = { ...process.env, ...io.env } as NodeJS.ProcessEnv;
    const report: Record<string, unknown> = {
      ok: false,
      codexHome,
      profile: f.profile ?? null,
      codex: { executable, version: null },
      command: `codex ${checkArgs(f.profile).join(' ')}`,
      check: null,
      findings: [],
      outcome: null,
      files: [],
      notes: [],
      applied: null,
    };
    const finish = (code: number, error?: string): number => {
      if (error !== undefined) report.error = error;
      report.ok = code === CHECK_EXIT.accepted;
      if (f.json) io.out(JSON.stringify(report, null, 2));
      else if (error !== undefined) io.err(`local-model-router check-codex-config: ${error}`);
      return code;
    };

    const d = await detectCodex(executable, env);
    if (d.kind !== 'found')
      return finish(
        CHECK_EXIT.couldNotCheck,
        d.kind === 'not-found'
          ? `${d.reason}; the configuration cannot be checked without Codex.`
          : `"${executable} --version" printed no version (${d.output}); the configuration was not checked.`,
      );
    (report.codex as Record<string, unknown>).version = d.version.text;
    const input = { executable, env, cwd: io.cwd, codexHome, profile: f.profile, timeoutMs };
    const what = `config.toml${f.profile ? ` with the profile ${f.profile}` : ''}`;
    if (!f.json)
      io.out(`Codex ${d.version.text}, CODEX_HOME ${codexHome}\nChecking ${what} with: ${report.command as string} (no request is sent)`);

    const check = await checkCodexConfig(input);
    report.check = checkJson(check);
    switch (check.kind) {
      case 'accepted': {
        const features = await listCodexFeatures(input);
        const cfg = readConfigText(codexHome);
        report.advisories = features && cfg !== undefined ? featureAdvisories(cfg, features) : [];
        if (!f.json) {
          io.out(`\n✓ Codex ${d.version.text} accepts ${what}.`);
          printAdvisories(io, report.advisories as FeatureAdvisory[], d.version.text);
        }
        return finish(CHECK_EXIT.accepted);
      }
      case 'failed':
        return finish(CHECK_EXIT.couldNotCheck, check.message);
      case 'profile-missing':
        return finish(
          CHECK_EXIT.rejected,
          `${check.path} does not exist: \`codex -p ${check.profile}\` would silently use OpenAI's provider instead (and retry forever without a network). Write the profile first (local-model-router codex-profile).`,
        );
      case 'rejected':
        break;
    }

    const plan = await planCodexRepair({ ...input, codexVersion: d.version.text, initial: check });
    if (!plan.ok) {
      if (!f.json) io.out(`\n✗ Codex rejects ${what}:\n${indent(check.rejection.text, '  | ')}`);
      return finish(plan.refusal === 'codex-failed' ? CHECK_EXIT.couldNotCheck : CHECK_EXIT.rejected, plan.error);
    }
    fillPlan(report, plan);
    if (!f.json) printPlan(io, plan, what, d.version.text, !!f.apply);
    if (!f.apply) return finish(CHECK_EXIT.rejected);
    if (!plan.changes.length) {
      // The files may have been repaired meanwhile (another run, an editor): ask Codex again before saying so.
      const again = await checkCodexConfig(input);
      if (again.kind === 'accepted') {
        report.check = checkJson(again);
        if (!f.json) io.out(`\n✓ Codex ${d.version.text} accepts ${what} now (it was changed since the first check); nothing to write.`);
        return finish(CHECK_EXIT.accepted);
      }
      return finish(CHECK_EXIT.rejected, 'There is nothing mechanical to write; fix the rejection above by hand.');
    }
    if (!f.yes) {
      if (!process.stdin.isTTY) throw new UsageError('--apply needs --yes when stdin is not a terminal (nothing was written)');
      if (!(await confirm(`Write these changes to ${plan.changes.length} file${plan.changes.length === 1 ? '' : 's'}? [y/N] `)))
        return finish(CHECK_EXIT.rejected, 'Not confirmed; nothing was written.');
    }
    const applied = await applyCodexRepair(plan, input);
    if (!applied.ok) return finish(CHECK_EXIT.rejected, applied.error);
    report.applied = appliedJson(applied, codexHome);
    if (!f.json) printApplied(io, applied, codexHome, d.version.text);
    return finish(applied.accepted ? CHECK_EXIT.accepted : CHECK_EXIT.rejected);
  },
};

function appliedJson(a: Extract<AppliedRepair, { ok: true }>, codexHome: string): Record<string, unknown> {
  return {
    backupDir: a.backup && a.backup.files.length ? backupDir(codexHome) : null,
    accepted: a.accepted,
    checks: a.checks.map(c => ({ profile: c.profile ?? null, ...checkJson(c.check) })),
  };
}

function printApplied(io: CliIo, a: Extract<AppliedRepair, { ok: true }>, codexHome: string, version: string): void {
  io.out(
    `\nWritten${a.backup && a.backup.files.length ? `; backups in ${backupDir(codexHome)} (undo with: ${restoreCommand(codexHome)})` : ''}.`,
  );
  for (const c of a.checks) {
    const what = c.profile ? `config.toml with the profile ${c.profile}` : 'config.toml';
    if (c.check.kind === 'accepted') io.out(`✓ Codex ${version} accepts ${what}.`);
    else if (c.check.kind === 'rejected') io.out(`✗ Codex ${version} still rejects ${what}:\n${indent(c.check.rejection.text, '  | ')}`);
    else io.out(`? ${what}: ${c.check.kind === 'failed' ? c.check.message : `${c.check.path} is missing`}`);
  }
}

/** The command that undoes the write (the same backups as codex-profile's). */
export function restoreCommand(codexHome: string): string {
  return `local-model-router codex-profile --restore --codex-home ${quoteArg(codexHome)}`;
}

function quoteArg(s: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
