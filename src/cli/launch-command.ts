// `local-model-router launch-command`: the exact command the extension would start for a provider.
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { parseFlags, UsageError, type Subcommand } from './io';
import { resolveSettings, lookupFromSettingsJson } from '../core/settings/resolve';
import { buildServerCommand, buildLmsCommands, launchBaseUrl, launchProblems, redactLaunchCommand, isLaunchProvider, LAUNCH_PROVIDERS, shQuote, type LaunchCommand } from '../core/launch';

const HELP = `Usage: local-model-router launch-command --provider ${LAUNCH_PROVIDERS.join('|')} [--settings file.json] [--json]

Prints the command the extension's "Start Server" runs for a provider: the program, its argument
list (one element per argument, never parsed by a shell) and the variables it adds to the environment.

Options:
  --provider P       ${LAUNCH_PROVIDERS.join(', ')}
  --settings FILE    a JSON object shaped like VS Code's settings.json ("localModelRouter.llamacpp.port": 8131, …);
                     missing keys take their defaults. PRODEX_LOCAL_* variables fill settings left at their default.
  --json             {"provider","baseUrl","command","args","env","then":[…],"pull"?,"problems":[…]}; "then" lists
                     the commands run once the server is up (LM Studio: lms load), "pull" the Ollama model pulled
                     when missing. "env" holds only the variables added to the inherited environment.
                     Secret values are never printed.

Exit codes: 0 the command is ready to run, 1 the settings have a problem (listed), 2 usage error.`;

function readSettingsFile(path: string, cwd: string): Record<string, unknown> {
  const file = resolvePath(cwd, path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --settings ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--settings ${file} is not JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new UsageError(`--settings ${file} must hold a JSON object like {"localModelRouter.llamacpp.port": 8131}`);
  return json as Record<string, unknown>;
}

function shellLine(c: LaunchCommand): string {
  const env = Object.entries(c.env).map(([k, v]) => `${k}=${shQuote(v)}`);
  return [...env, shQuote(c.command), ...c.args.map(shQuote)].join(' ');
}

export const launchCommand: Subcommand = {
  summary: 'Print the command the extension runs to start a local server',
  help: HELP,
  async run(args, io) {
    const { values } = parseFlags(args, { provider: { type: 'string' }, settings: { type: 'string' }, json: { type: 'boolean' } });
    if (!values.provider) throw new UsageError(`--provider is required (${LAUNCH_PROVIDERS.join(', ')})`);
    if (!isLaunchProvider(values.provider)) throw new UsageError(`--provider must be one of ${LAUNCH_PROVIDERS.join(', ')}, got "${values.provider}"`);
    const provider = values.provider;
    const json = values.settings ? readSettingsFile(values.settings, io.cwd) : {};
    const resolved = resolveSettings(lookupFromSettingsJson(json), io.env, true);
    const s = resolved.values;
    const main = redactLaunchCommand(buildServerCommand(provider, s));
    const then: LaunchCommand[] = [];
    if (provider === 'lmstudio') {
      const load = buildLmsCommands(s).load;
      if (load) then.push(load);
    }
    const problems = [...resolved.problems, ...launchProblems(provider, s)];
    const baseUrl = launchBaseUrl(provider, s);
    if (values.json) {
      const pull = provider === 'ollama' && s['ollama.model'] ? s['ollama.model'] : undefined;
      io.out(JSON.stringify({ provider, baseUrl, command: main.command, args: main.args, env: main.env, then, pull, problems }, null, 2));
    } else {
      io.out(shellLine(main));
      for (const t of then) io.out(`# then, once it serves:\n${shellLine(t)}`);
      if (provider === 'ollama' && s['ollama.model']) io.out(`# then, if missing: POST ${baseUrl.replace(/\/v1$/, '')}/api/pull {"model":${JSON.stringify(s['ollama.model'])}}`);
      io.out(`# serves on ${baseUrl}`);
      for (const p of problems) io.err(`problem: ${p}`);
    }
    return launchProblems(provider, s).length || resolved.problems.length ? 1 : 0;
  },
};
