// What routes Claude Code to a local server: the one place that knows its variables, shared by the
// settings writer, "Open Claude Code on This Route" and routed terminals. Observed with Claude Code
// 2.1.328 against scripted servers (see claude-real.test.ts):
// - ANTHROPIC_BASE_URL is the server root: Claude Code appends /v1/messages itself.
// - Without any credential `claude -p` stops with "Not logged in · Please run /login"; a placeholder
//   ANTHROPIC_AUTH_TOKEN (sent as `Authorization: Bearer …`) is enough for a keyless server.
// - apiKeyHelper's stdout is sent as both `X-Api-Key` and `Authorization: Bearer`; a failing helper
//   only logs "apiKeyHelper failed" and sends empty credentials.
// - An unknown model id is assumed to have a 1M-token window unless CLAUDE_CODE_MAX_CONTEXT_TOKENS says
//   otherwise; it asks for 32 000 output tokens unless CLAUDE_CODE_MAX_OUTPUT_TOKENS is set, and keeps
//   that many free: CLAUDE_CODE_MAX_CONTEXT_TOKENS=16384 alone sends nothing ("Prompt is too long").
//   With both set as claudeRoutingEnv sets them, a context under ~12k tokens still sends nothing, and
//   one under ~24k answers a prompt but not a tool call ("Autocompact is thrashing"): see
//   claude-real.test.ts, and AGENTS.claude.minContextTokens for what the writer warns under.
// - It sends `thinking: {type: "adaptive"}` to every model; CLAUDE_CODE_DISABLE_THINKING=1 leaves it out.
// - CLAUDE_CODE_ATTRIBUTION_HEADER=0 drops the per-request billing line from the system prompt (it
//   changes every request and defeats the server's prompt cache), also when set in the environment.
// - `"ANTHROPIC_API_KEY": ""` in a settings file's env hides a cloud key from the user's shell.
import { serverRoot } from '../endpoints';
import { AGENTS } from '../agents';

/** Placeholder credential for servers without a key: not a secret, only what makes Claude Code start. */
export const PLACEHOLDER_TOKEN = 'local-model-router';

/** Claude Code's own first request (2.1.328, `-p`): ≈ 48 KB with 12 tools, ≈ 12k tokens; a session grows from there. */
export const CLAUDE_FIRST_REQUEST_TOKENS = 12_500;
/** Below this a Claude Code session overflows after a few turns (LM Studio's Claude Code page asks for more than ~25k): agents.ts. */
export const CLAUDE_MIN_CONTEXT = AGENTS.claude.minContextTokens;
/** What Claude Code does on a route whose context is under AGENTS.claude.minContextTokens (claude-real.test.ts). */
export const CLAUDE_SMALL_CONTEXT_EFFECT =
  'Claude Code 2.1.328 then answers a prompt but fails at its first tool call ("Autocompact is thrashing"), and under about 12,000 tokens sends nothing ("Prompt is too long"). Start the server with a larger context (llama.cpp: --ctx-size), then write the settings.';

/** Claude Code's default max_tokens. */
export const CLAUDE_DEFAULT_OUTPUT_TOKENS = 32_000;

/** The model variables: every tier and subagents use the route's model, so no request names a cloud model. */
export const MODEL_VARS = [
  'ANTHROPIC_MODEL',
  'ANTHROPIC_DEFAULT_OPUS_MODEL',
  'ANTHROPIC_DEFAULT_SONNET_MODEL',
  'ANTHROPIC_DEFAULT_HAIKU_MODEL',
  'CLAUDE_CODE_SUBAGENT_MODEL',
] as const;

export interface ClaudeRouteInput {
  /** The route's base URL as the extension keeps it (usually ending in /v1). */
  baseUrl: string;
  model: string;
  /** The server's real context window, when known. */
  contextWindow?: number;
  /** The server wants a key. */
  needsKey: boolean;
  /** The server rejects `thinking` (the verifier's thinking-unsupported). */
  disableThinking?: boolean;
}

/** ANTHROPIC_BASE_URL: the server root, never /v1. */
export function anthropicBaseUrl(baseUrl: string): string {
  return serverRoot(baseUrl.replace(/\/+$/, ''));
}

/** Output budget that leaves room for the prompt on servers that count prompt + max_tokens against the window (vLLM). */
export function outputTokensFor(contextWindow: number | undefined): number | undefined {
  if (!contextWindow) return undefined;
  return Math.max(4_096, Math.min(CLAUDE_DEFAULT_OUTPUT_TOKENS, Math.floor(contextWindow / 4)));
}

/** The variables that route Claude Code; no secret among them (a keyed route gets its key elsewhere). */
export function claudeRoutingEnv(r: ClaudeRouteInput): Record<string, string> {
  const env: Record<string, string> = { ANTHROPIC_BASE_URL: anthropicBaseUrl(r.baseUrl) };
  for (const v of MODEL_VARS) env[v] = r.model;
  if (r.contextWindow) {
    env.CLAUDE_CODE_MAX_CONTEXT_TOKENS = String(r.contextWindow);
    env.CLAUDE_CODE_MAX_OUTPUT_TOKENS = String(outputTokensFor(r.contextWindow));
  }
  env.CLAUDE_CODE_ATTRIBUTION_HEADER = '0';
  env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
  // A cloud key in the user's shell must not travel to a local server.
  env.ANTHROPIC_API_KEY = '';
  if (!r.needsKey) env.ANTHROPIC_AUTH_TOKEN = PLACEHOLDER_TOKEN;
  if (r.disableThinking) env.CLAUDE_CODE_DISABLE_THINKING = '1';
  return env;
}

/** Names a variable safely enough to appear in a shell-free helper command. */
export function isEnvVarName(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}

/** The apiKeyHelper command for a keyed route: prints the variable the extension fills from SecretStorage. */
export function apiKeyHelperCommand(keyVar: string): string {
  if (!isEnvVarName(keyVar)) throw new Error(`"${keyVar}" is not a variable name`);
  return `printenv ${keyVar}`;
}

/** The variable a keyed route's helper reads when the key has no variable of its own (it came from SecretStorage). */
export const DEFAULT_CLAUDE_KEY_VAR = 'LOCAL_LLM_API_KEY';
