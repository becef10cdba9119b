// local-model-router: the extension's checks on the command line (CI, scripts, people without VS Code).
import type { CliIo, Subcommand } from './io';
import { UsageError } from './io';
import { displayText } from '../core/text/sanitize';
import { FileRefusal } from '../core/files/read';

const SUBCOMMANDS: Record<string, () => Promise<Subcommand>> = {
  discover: async () => (await import('./discover')).discoverCommand,
  verify: async () => (await import('./verify')).verifyCommand,
  'launch-command': async () => (await import('./launchCommand')).launchCommand,
  'codex-profile': async () => (await import('./codexProfile')).codexProfileCommand,
  'check-codex-config': async () => (await import('./checkCodexConfig')).checkCodexConfigCommand,
  'claude-settings': async () => (await import('./claudeSettings')).claudeSettingsCommand,
  tunnel: async () => (await import('./tunnel')).tunnelCommand,
  bridge: async () => (await import('./bridge')).bridgeCommand,
};

async function usage(): Promise<string> {
  const lines = ['Usage: local-model-router <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(SUBCOMMANDS)) lines.push(`  ${name.padEnd(20)}${(await load()).summary}`);
  lines.push(
    '',
    'Run `local-model-router <command> --help` for the options of one command.',
    'Exit codes: 0 ok, 1 a check failed, 2 usage error (check-codex-config: 3 when Codex could not be run).',
  );
  return lines.join('\n');
}

/**
 * Everything a subcommand prints passes the one sanitizer: model ids, error bodies, server names, a
 * config file's lines and Codex's words reach the terminal with their control characters escaped
 * (JSON output stays valid JSON: the escapes are JSON's own).
 */
function sanitized(io: CliIo): CliIo {
  return { ...io, out: t => io.out(displayText(t)), err: t => io.err(displayText(t)) };
}

export async function main(argv: string[], rawIo: CliIo): Promise<number> {
  const io = sanitized(rawIo);
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(await usage());
    return name ? 0 : 2;
  }
  if (name === '--version') {
    io.out(VERSION);
    return 0;
  }
  const load = SUBCOMMANDS[name];
  if (!load) {
    io.err(`local-model-router: unknown command "${name}"\n\n${await usage()}`);
    return 2;
  }
  const cmd = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(cmd.help);
    return 0;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`local-model-router ${name}: ${e.message}\nRun \`local-model-router ${name} --help\` for usage.`);
      return 2;
    }
    if (e instanceof FileRefusal) {
      io.err(`local-model-router ${name}: ${e.message}`);
      return 1;
    }
    io.err(`local-model-router ${name}: ${(e as Error).stack ?? e}`);
    return 1;
  }
}

declare const __VERSION__: string | undefined;
const VERSION = typeof __VERSION__ === 'string' ? __VERSION__ : 'dev';

if (require.main === module) {
  const io: CliIo = {
    out: t => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: t => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    env: process.env,
    cwd: process.cwd(),
  };
  void main(process.argv.slice(2), io).then(code => {
    process.exitCode = code;
  });
}
