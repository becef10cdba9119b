// How each agent is verified: Codex over the Responses API (core/verify), Claude Code over the
// Messages API (core/claude/verify). The callers (the Verify command, the CLI) pass one input.
import type { AgentId } from './agents';
import type { ServerKind } from './serverKind';
import type { StageId, VerifyProgress, VerifyReport } from './verify/types';
import { verifyRoute } from './codex/verify/index';
import { verifyClaudeRoute } from './claude/verify/index';
import { STAGE_IDS_BY_AGENT } from './verify/types';

export interface AgentVerifyInput {
  baseUrl: string;
  model: string;
  apiKey?: string;
  timeoutMs?: number;
  /** Longest silence inside a stream before a stage fails (the CLI's --idle-ms). */
  idleMs?: number;
  /** Whether independent stages may go side by side (the CLI's --serial turns it off). */
  concurrent?: boolean;
  /** Stages to skip; each agent takes the ones that are its own. */
  skip?: readonly StageId[];
  skipNote?: string;
  serverKind?: ServerKind;
  /** The window the route reports (Claude Code's turn is judged against it). */
  contextWindow?: number;
  signal?: AbortSignal;
  onProgress?: (p: VerifyProgress) => void;
  /** What the Codex profile this extension writes makes Codex send. */
  codex?: { nonFunctionTools?: boolean | 'auto'; catalog?: boolean; mcpServers?: readonly string[] };
  /** Whether Claude Code asks for thinking (claude.disableThinking off). */
  claude?: { thinking?: boolean };
  /** Prompt tokens per second measured on this server before (the route's last verification), for progress estimates. */
  promptTps?: number;
}

/**
 * Verifies the route for each agent in turn, one agent's stages at a time (llama.cpp takes one request
 * at a time), each later agent reusing what the earlier ones learned about the server and model.
 * Stops after a cancelled agent. `onProgress` gets the agent with each event.
 */
export async function verifyAgents(
  agents: readonly AgentId[],
  o: Omit<AgentVerifyInput, 'onProgress'> & {
    onProgress?: (agent: AgentId, p: VerifyProgress) => void;
    /** Each agent's report as soon as it is done, before the next agent starts (awaited). */
    onReport?: (report: VerifyReport) => void | Promise<void>;
  },
): Promise<VerifyReport[]> {
  const reports: VerifyReport[] = [];
  for (const agent of agents) {
    const report = await verifyForAgent(agent, { ...o, onProgress: p => o.onProgress?.(agent, p) }, reports.at(-1));
    reports.push(report);
    await o.onReport?.(report);
    if (report.cancelled) break;
  }
  return reports;
}

/** `earlier`: the report of another agent from the same run on the same server (Claude Code reuses Codex's). */
export function verifyForAgent(agent: AgentId, o: AgentVerifyInput, earlier?: VerifyReport): Promise<VerifyReport> {
  const skip = o.skip?.filter(s => STAGE_IDS_BY_AGENT[agent].includes(s));
  const common = {
    baseUrl: o.baseUrl,
    model: o.model,
    apiKey: o.apiKey,
    timeoutMs: o.timeoutMs,
    ...(o.idleMs !== undefined ? { idleMs: o.idleMs } : {}),
    ...(o.concurrent !== undefined ? { concurrent: o.concurrent } : {}),
    skip,
    skipNote: o.skipNote,
    serverKind: o.serverKind,
    signal: o.signal,
    onProgress: o.onProgress,
    promptTps: o.promptTps,
  };
  if (agent === 'claude')
    return verifyClaudeRoute({
      ...common,
      contextWindow: o.contextWindow,
      thinking: o.claude?.thinking ?? true,
      ...(earlier ? { earlier } : {}),
    });
  return verifyRoute({
    ...common,
    nonFunctionTools: o.codex?.nonFunctionTools,
    catalog: o.codex?.catalog,
    mcpServers: o.codex?.mcpServers,
  });
}
