// Open Codex and Open Claude Code run the agent in a terminal, which a test cannot type into. These
// stand-ins take the agent's place as `codex.executable` / `claude.executable`: they hand the argv and
// environment the command gave them to the real CLI, non-interactively with one prompt, and record what
// it printed (`<out>`, ending in `exit=<code>`), its stderr (`<out>.err`) and the environment it got
// (`<out>.env`: a test checks that no key is there).
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface StandIn {
  /** The executable to set as codex.executable / claude.executable. */
  readonly executable: string;
  /** Resolves with what the agent printed once it exited. */
  printed(ms: number): Promise<string>;
  /** The environment the agent got. */
  env(): string;
  /** What it printed and its stderr, for an assertion's message. */
  describe(): string;
}

const sh = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function standIn(dir: string, name: string, script: (out: string) => string): StandIn {
  const out = path.join(dir, `${name}.out`);
  const executable = path.join(dir, name);
  for (const f of [out, `${out}.err`, `${out}.env`]) fs.rmSync(f, { force: true });
  fs.writeFileSync(executable, `#!/bin/sh\n${script(out)}\n`, { mode: 0o755 });
  const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '');
  return {
    executable,
    async printed(ms) {
      const end = Date.now() + ms;
      while (!fs.existsSync(out)) {
        if (Date.now() > end) throw new Error(`${name} printed nothing within ${ms / 1000} s\n${read(`${out}.err`)}`);
        await new Promise(r => setTimeout(r, 200));
      }
      return read(out);
    },
    env: () => read(`${out}.env`),
    describe: () => `${read(out)}\n${read(`${out}.err`)}`,
  };
}

/** Runs `command` with stdout to `<out>.tmp`, then moves it to `<out>` with the exit code appended (the file appears whole). */
const recorded = (out: string, command: string) =>
  `env > ${sh(`${out}.env`)}\n${command} > ${sh(`${out}.tmp`)} 2>${sh(`${out}.err`)} </dev/null; echo "exit=$?" >> ${sh(`${out}.tmp`)}; mv ${sh(`${out}.tmp`)} ${sh(out)}`;

/**
 * Codex for Open Codex: a run with the profile (`--profile NAME`) becomes `codex exec` with `prompt`;
 * any other call (the configuration check before the terminal opens) goes to the real Codex as it is.
 * `approvals`: `-a never`, or approvals and sandbox bypassed (Codex 0.169 refuses an MCP call under
 * `-a never`) with `--json` events.
 */
export function codexStandIn(dir: string, codex: string, prompt: string, o: { mcp?: boolean; name?: string } = {}): StandIn {
  const flags = o.mcp ? '--dangerously-bypass-approvals-and-sandbox' : '-a never';
  const json = o.mcp ? ' --json' : '';
  return standIn(
    dir,
    o.name ?? 'codex',
    out =>
      `if [ "$1" != --profile ]; then exec ${sh(codex)} "$@"; fi\n${recorded(out, `${sh(codex)} ${flags} exec "$@" --skip-git-repo-check --disable unbounded_connection_retries${json} ${sh(prompt)}`)}`,
  );
}

/** Claude Code for Open Claude Code: `claude <its args> -p prompt` in `folder` (where the project's settings file is). */
export function claudeStandIn(dir: string, claude: string, folder: string, prompt: string): StandIn {
  return standIn(dir, 'claude', out => `cd ${sh(folder)} || exit 1\n${recorded(out, `${sh(claude)} "$@" -p ${sh(prompt)}`)}`);
}
