// `local-model-router launch-command`: the exact command the extension would start for a provider.
import { homedir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { parseFlags, readSettingsFile, UsageError, type Subcommand } from './io';
import { resolveSettings, lookupFromSettingsJson } from '../core/settings/resolve';
import {
  prepareChatTemplate,
  buildServerCommand,
  buildLmsCommands,
  launchProblems,
  redactLaunchCommand,
  isLaunchProvider,
  LAUNCH_PROVIDERS,
  shQuote,
  type LaunchCommand,
} from '../core/launch';
import { listenAddress } from '../core/servers';

const HELP = `Usage: local-model-router launch-command --provider ${LAUNCH_PROVIDERS.join('|')} [--settings file.json] [--json]

Prints the command the extension's "Start Server" runs for a provider: the program, its argument
list (one element per argument, never parsed by a shell) and the variables it adds to the environment.

Options:
  --provider P       ${LAUNCH_PROVIDERS.join(', ')}
  --settings FILE    a JSON object shaped like VS Code's settings.json ("localModelRouter.llamacpp.port": 8131, …);
                     missing keys take their defaults. PRODEX_LOCAL_* variables fill settings left at their default.
  --template-dir DIR where a relaxed copy of a strict model chat template is written (default:
                     $XDG_CACHE_HOME/local-model-router/chat-templates); see the llamacpp.chatTemplate setting
  --json             {"provider","baseUrl","command","args","env","then":[…],"pull"?,"chatTemplate"?,"problems":[…]}; "then" lists
                     the commands run once the server is up (LM Studio: lms load), "pull" the Ollama model pulled
                     when missing. "env" holds only the variables added to the inherited environment.
                     Secret values are never printed.

Exit codes: 0 the command is ready to run, 1 the settings have a problem (listed), 2 usage error.`;

function shellLine(c: LaunchCommand): string {
  const env = Object.entries(c.env).map(([k, v]) => `${k}=${shQuote(v)}`);
  return [...env, shQuote(c.command), ...c.args.map(shQuote)].join(' ');
}

export const launchCommand: Subcommand = {
  summary: 'Print the command the extension runs to start a local server',
  help: HELP,
  async run(args, io) {
    const { values } = parseFlags(args, {
      provider: { type: 'string' },
      settings: { type: 'string' },
      json: { type: 'boolean' },
      'template-dir': { type: 'string' },
    });
    if (!values.provider) throw new UsageError(`--provider is required (${LAUNCH_PROVIDERS.join(', ')})`);
    if (!isLaunchProvider(values.provider))
      throw new UsageError(`--provider must be one of ${LAUNCH_PROVIDERS.join(', ')}, got "${values.provider}"`);
    const provider = values.provider;
    const json = values.settings ? readSettingsFile(values.settings, io.cwd) : {};
    const resolved = resolveSettings(lookupFromSettingsJson(json), io.env, true);
    const s = resolved.values;
    // The same template choice as Start Server: a strict model template gets a relaxed copy, written
    // where the printed command can find it.
    let chatTemplateFile: string | undefined;
    let template: Record<string, unknown> | undefined;
    if (provider === 'llamacpp' && !s['llamacpp.wrapperScript']) {
      const dir = values['template-dir']
        ? resolvePath(io.cwd, values['template-dir'])
        : join(io.env.XDG_CACHE_HOME || join(io.env.HOME || homedir(), '.cache'), 'local-model-router', 'chat-templates');
      const prepared = await prepareChatTemplate(s['llamacpp.chatTemplate'], s['llamacpp.modelPath'], dir);
      const choice = prepared.choice;
      chatTemplateFile = prepared.file;
      template = {
        kind: choice.kind,
        why: choice.kind === 'named' ? 'the chatTemplate setting' : choice.why,
        ...(chatTemplateFile ? { file: chatTemplateFile } : {}),
      };
    }
    const main = redactLaunchCommand(buildServerCommand(provider, s, { env: io.env, chatTemplateFile }));
    const then: LaunchCommand[] = [];
    if (provider === 'lmstudio') {
      const load = buildLmsCommands(s).load;
      if (load) then.push(load);
    }
    const launch = launchProblems(provider, s, io.env);
    const problems = [...resolved.problems, ...launch];
    const baseUrl = listenAddress(provider, s, io.env).baseUrl;
    if (values.json) {
      const pull = provider === 'ollama' && s['ollama.model'] ? s['ollama.model'] : undefined;
      io.out(
        JSON.stringify(
          {
            provider,
            baseUrl,
            command: main.command,
            args: main.args,
            env: main.env,
            then,
            pull,
            ...(template ? { chatTemplate: template } : {}),
            problems,
          },
          null,
          2,
        ),
      );
    } else {
      io.out(shellLine(main));
      for (const t of then) io.out(`# then, once it serves:\n${shellLine(t)}`);
      if (provider === 'ollama' && s['ollama.model'])
        io.out(`# then, if missing: POST ${baseUrl.replace(/\/v1$/, '')}/api/pull {"model":${JSON.stringify(s['ollama.model'])}}`);
      if (template?.file) io.out(`# chat template: ${String(template.why)}`);
      io.out(`# serves on ${baseUrl}`);
      for (const p of problems) io.err(`problem: ${p}`);
    }
    return launch.length || resolved.problems.length ? 1 : 0;
  },
};
