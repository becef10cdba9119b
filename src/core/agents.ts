// The coding agents a route can serve, as peers: what each needs from a server. Each agent's own
// parts live in one folder per layer (core/codex + features/codex, core/claude + features/claude).
export const AGENT_IDS = ['codex', 'claude'] as const;
export type AgentId = (typeof AGENT_IDS)[number];

export interface AgentInfo {
  id: AgentId;
  displayName: string;
  /** The wire API the agent speaks to a server. */
  wireApi: 'responses' | 'messages';
  /**
   * Below this context window a session overflows soon after it starts: the agent's first request
   * plus a few tool results. The picker and the status bar warn under it.
   */
  minContextTokens: number;
}

export const AGENTS: Record<AgentId, AgentInfo> = {
  // Codex's first request through a written profile is ~2k tokens, ~6–9k without one (codex-cli.md,
  // real-llama-server.md); tool output fills the rest of a session quickly.
  codex: { id: 'codex', displayName: 'Codex', wireApi: 'responses', minContextTokens: 16_384 },
  // Claude Code's own prompt is about 24k tokens (claude-code.md).
  claude: { id: 'claude', displayName: 'Claude Code', wireApi: 'messages', minContextTokens: 32_768 },
};

export function isAgentId(v: unknown): v is AgentId {
  return typeof v === 'string' && (AGENT_IDS as readonly string[]).includes(v);
}
