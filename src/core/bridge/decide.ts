// What a verdict decides about the route bridge, in one place for Verify Route, `local-model-router
// verify`/`bridge` and Start Route Bridge: which findings the bridge repairs, whether a second
// verification through it is worth its cost, and which upstream API each agent's side of it uses. Pure:
// no verifier, no socket (the extension loads it with the bridge, not with the verifier).
import type { AgentId } from '../agents';
import type { BridgeUpstreamApi, DiagnosisCode, VerifyReport } from '../verify/types';
import type { AgentAdapter } from './adapter';
import { responsesAdapter, responsesPassThroughAdapter } from './responses';
import { messagesAdapter, messagesOverResponsesAdapter } from './messages';

/**
 * Findings the pass-through repairs (replayStatus, textFormat) mend on the server's own
 * /v1/responses: everything else in the request works there, so it is not translated.
 */
export const PASS_THROUGH_REPAIRS: readonly DiagnosisCode[] = ['history-rejected', 'text-format-required'];

/** The findings the bridge repairs, per agent (what its adapters speak and its repairs change). */
export const BRIDGE_REPAIRS: Record<AgentId, readonly DiagnosisCode[]> = {
  codex: [
    'responses-api-missing',
    'mcp-tools-dropped',
    'mcp-calls-unusable',
    'non-function-tool-rejected',
    'template-system-message',
    'image-output-rejected',
    ...PASS_THROUGH_REPAIRS,
  ],
  claude: ['messages-api-missing', 'template-system-message'],
};

/**
 * What the tool-types findings show beyond the stage's one diagnosis (a stage names one concern: on
 * llama.cpp the dropped MCP tools hide the refused image in a tool result).
 */
function toolTypeRepairs(report: VerifyReport): DiagnosisCode[] {
  const t = report.agent === 'codex' ? (report.findings?.toolTypes ?? {}) : {};
  return [
    ...(t.namespace === 'dropped' ? (['mcp-tools-dropped'] as const) : []),
    ...(t.namespace === 'calls-unusable' ? (['mcp-calls-unusable'] as const) : []),
    ...(t['image-output'] === 'rejected' ? (['image-output-rejected'] as const) : []),
  ];
}

/** What `report` found that the bridge repairs (failed or warned stages, then the tool-type findings), in stage order, once each. */
export function bridgeRepairsFor(report: VerifyReport): DiagnosisCode[] {
  const codes = report.stages
    .filter(s => s.status === 'fail' || s.status === 'warn')
    .map(s => s.diagnosis?.code)
    .filter((c): c is DiagnosisCode => c !== undefined && BRIDGE_REPAIRS[report.agent].includes(c));
  return [...new Set([...codes, ...toolTypeRepairs(report)])];
}

/** Findings of a passing Codex verdict that still cost the user something the bridge gives back: their MCP servers. */
const MCP_FINDINGS: readonly DiagnosisCode[] = ['mcp-tools-dropped', 'mcp-calls-unusable'];

/**
 * Whether a second verification through the bridge is worth its cost: a failed verdict whose failure
 * (or a warning beside it) the bridge repairs; or a passing Codex verdict that leaves the user's MCP
 * servers without effect (llama.cpp drops namespace tools) when `mcpServers` names some. Any other
 * passing route is not verified twice (the MCP warning alone would double every Verify Route on
 * llama.cpp for people who have no MCP server).
 */
export function bridgeCanHelp(report: VerifyReport, o: { mcpServers?: readonly string[] } = {}): boolean {
  if (report.cancelled) return false;
  const repairs = bridgeRepairsFor(report);
  if (!report.ok) return repairs.length > 0;
  return report.agent === 'codex' && !!o.mcpServers?.length && repairs.some(c => MCP_FINDINGS.includes(c));
}

/** Which of the two OpenAI APIs the server answers (verifyThrough.ts asks it when a verdict needs to know). */
export interface UpstreamApis {
  readonly chat: boolean;
  readonly responses: boolean;
}

/**
 * The upstream API for the agent's side of the bridge, from the direct verdict.
 * Codex: the server's own /v1/responses (passed through, repaired) when every finding the bridge
 * repairs is one the pass-through mends, since the server then has the API and takes the rest of
 * Codex's request as it is; its chat completions otherwise (no /v1/responses, MCP tools dropped, a
 * strict template, …, which only the translation repairs), and for a verdict with nothing to repair
 * (the default bridge).
 * Claude Code: chat completions, unless the server has no /v1/messages and, as `server` found, no
 * chat completions either but the Responses API: the Messages API is then translated onto that.
 */
export function bridgeModeFor(report: VerifyReport, server?: UpstreamApis): BridgeUpstreamApi {
  const repairs = bridgeRepairsFor(report);
  if (report.agent === 'claude')
    return repairs.includes('messages-api-missing') && server && !server.chat && server.responses ? 'responses' : 'chat';
  return repairs.length > 0 && repairs.every(c => PASS_THROUGH_REPAIRS.includes(c)) ? 'responses' : 'chat';
}

/** The upstream API each agent's side of a bridge uses (`chat` where absent). */
export type BridgeUpstreams = Partial<Record<AgentId, BridgeUpstreamApi>>;

/**
 * The adapters a bridge serves: Codex's Responses API over the server's chat completions or passed
 * through to its own /v1/responses; Claude Code's Messages API over its chat completions or its
 * /v1/responses.
 */
export function bridgeAdapters(upstreams: BridgeUpstreams = {}): AgentAdapter[] {
  return [
    upstreams.codex === 'responses' ? responsesPassThroughAdapter() : responsesAdapter(),
    upstreams.claude === 'responses' ? messagesOverResponsesAdapter() : messagesAdapter(),
  ];
}
