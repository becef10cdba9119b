// "Open Claude Code on This Route" and routed terminals: the argv and environment, from the same
// variables the settings writer puts into a settings file (env.ts). A key travels only in the
// environment of the process or terminal, never in argv or a file.
import { claudeRoutingEnv, DEFAULT_CLAUDE_KEY_VAR, type ClaudeRouteInput } from './env';

export interface ClaudeLaunchInput extends ClaudeRouteInput {
  /** The `claude` executable (setting or PATH). */
  executable?: string;
  /** The key, from the environment or SecretStorage; needed when `needsKey`. */
  apiKey?: string;
  /** The variable a written settings file's apiKeyHelper prints (default LOCAL_LLM_API_KEY). */
  keyVar?: string;
  /** Extra arguments the user asked for (e.g. --continue); one element each, never parsed by a shell. */
  args?: readonly string[];
}

export type ClaudeLaunch =
  | {
      ok: true;
      command: string;
      args: string[];
      env: Record<string, string>;
      /** Names in `env` whose values must never be logged. */ secretEnv: string[];
      describe: string;
    }
  | { ok: false; reason: string };

/** Credentials for a keyed route: the token Claude Code sends as Bearer, and the helper's variable so a written apiKeyHelper finds the same key. */
function keyEnv(input: { apiKey?: string; keyVar?: string }): Record<string, string> {
  if (!input.apiKey) return {};
  return { ANTHROPIC_AUTH_TOKEN: input.apiKey, [input.keyVar ?? DEFAULT_CLAUDE_KEY_VAR]: input.apiKey };
}

export function claudeLaunchFor(input: ClaudeLaunchInput): ClaudeLaunch {
  if (input.needsKey && !input.apiKey)
    return {
      ok: false,
      reason: 'This server wants an API key and none is stored: run "Set API Key…" first (Claude Code would get 401 "Invalid API Key").',
    };
  const keys = keyEnv(input);
  const env = { ...claudeRoutingEnv(input), ...keys };
  const command = input.executable?.trim() || 'claude';
  const args = [...(input.args ?? [])];
  return {
    ok: true,
    command,
    args,
    env,
    secretEnv: Object.keys(keys),
    describe: [command, ...args].join(' ') + ` (ANTHROPIC_BASE_URL=${env.ANTHROPIC_BASE_URL}, model ${input.model})`,
  };
}

/** Variables a routed terminal gets for Claude Code (only when the user turned Claude Code routing on); the key only with terminal.includeApiKey. */
export function claudeTerminalEnv(input: ClaudeRouteInput & { apiKey?: string; keyVar?: string }): Record<string, string> {
  return { ...claudeRoutingEnv(input), ...keyEnv(input) };
}
