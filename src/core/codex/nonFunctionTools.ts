// How the Codex profile written for a route sends Codex's non-function tools (web search, agent and
// MCP tools): the setting codex.disableNonFunctionTools and the CLI's --non-function-tools. No imports:
// the settings catalog, on the activation path, reads the modes from here.

export const NON_FUNCTION_TOOLS_MODES = ['auto', 'always', 'never'] as const;
export type NonFunctionToolsMode = (typeof NON_FUNCTION_TOOLS_MODES)[number];

/**
 * codex.disableNonFunctionTools (`--non-function-tools`) as the verifier takes it: `always` turns them
 * off (false: none sent), `never` keeps them (true: all sent), `auto` turns them off only where the
 * server refuses them.
 */
export function nonFunctionToolsOption(mode: NonFunctionToolsMode): boolean | 'auto' {
  return mode === 'always' ? false : mode === 'never' ? true : 'auto';
}
