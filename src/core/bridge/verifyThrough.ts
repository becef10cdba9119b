// Verification decides whether the bridge helps, and proves it: when a route's verdict for an agent
// holds a finding the bridge repairs (no /v1/responses or /v1/messages, MCP tools dropped, a strict
// template's late system message, an image refused in a tool result), the same verification runs
// again through a bridge started for the purpose on a free loopback port, and its verdict goes into
// the report beside the direct one. The bridge is stopped afterwards, whatever the outcome.
import type { AgentId } from '../agents';
import { verifyForAgent, type AgentVerifyInput } from '../agentVerify';
import type { BridgeVerdict, DiagnosisCode, VerifyReport } from '../verify/types';
import { startBridge } from './server';
import { responsesAdapter } from './responses';
import { messagesAdapter } from './messages';

/** The findings the bridge repairs, per agent (what its adapters speak and its repairs change). */
export const BRIDGE_REPAIRS: Record<AgentId, readonly DiagnosisCode[]> = {
  codex: [
    'responses-api-missing',
    'mcp-tools-dropped',
    'mcp-calls-unusable',
    'non-function-tool-rejected',
    'template-system-message',
    'image-output-rejected',
  ],
  claude: ['messages-api-missing', 'template-system-message'],
};

/** What `report` found that the bridge repairs (failed or warned stages), in stage order, once each. */
export function bridgeRepairsFor(report: VerifyReport): DiagnosisCode[] {
  const codes = report.stages
    .filter(s => s.status === 'fail' || s.status === 'warn')
    .map(s => s.diagnosis?.code)
    .filter((c): c is DiagnosisCode => c !== undefined && BRIDGE_REPAIRS[report.agent].includes(c));
  return [...new Set(codes)];
}

/**
 * Whether a second verification through the bridge is worth its cost: only a failed verdict whose
 * failure (or a warning beside it) the bridge repairs. A passing route is not verified twice (on
 * llama.cpp the MCP warning alone would otherwise double every Verify Route).
 */
export function bridgeCanHelp(report: VerifyReport): boolean {
  return !report.ok && !report.cancelled && bridgeRepairsFor(report).length > 0;
}

/** The agent's verification through a bridge to `input.baseUrl`; undefined when bridgeCanHelp says no. */
export async function verifyThroughBridge(
  agent: AgentId,
  input: AgentVerifyInput,
  direct: VerifyReport,
): Promise<BridgeVerdict | undefined> {
  if (!bridgeCanHelp(direct)) return undefined;
  const repairs = bridgeRepairsFor(direct);
  const bridge = await startBridge({
    upstream: input.baseUrl,
    adapters: [responsesAdapter(), messagesAdapter()],
    ...(input.apiKey ? { apiKey: input.apiKey } : {}),
  });
  try {
    const { apiKey: _key, ...rest } = input;
    const through = await verifyForAgent(agent, { ...rest, baseUrl: bridge.url });
    const failed = through.stages.find(s => s.status === 'fail');
    return {
      ok: through.ok,
      repairs,
      ...(through.headline ? { headline: through.headline } : {}),
      ...(failed?.diagnosis ? { failed: { stage: failed.id, code: failed.diagnosis.code, message: failed.diagnosis.message } } : {}),
    };
  } finally {
    await bridge.close();
  }
}
