// Verification decides whether the bridge helps, and proves it: when a route's verdict for an agent
// holds a finding the bridge repairs (no /v1/responses or /v1/messages, MCP tools dropped, a strict
// template's late system message, an image refused in a tool result, replayed history or `text`
// refused by the server's own Responses API), the same verification runs again through a bridge
// started for the purpose on a free loopback port, in the upstream mode the verdict picks
// (decide.ts), and its verdict goes into the report beside the direct one. The bridge is stopped
// afterwards, whatever the outcome.
import type { AgentId } from '../agents';
import { verifyForAgent, type AgentVerifyInput } from '../agentVerify';
import type { BridgeUpstreamApi, BridgeVerdict, VerifyReport } from '../verify/types';
import { startBridge } from './server';
import { bridgeAdapters, bridgeCanHelp, bridgeModeFor, bridgeRepairsFor } from './decide';

/** The agent's verification through a bridge to `input.baseUrl` whose Codex side uses `codexUpstream`. */
export async function verifyInBridge(agent: AgentId, input: AgentVerifyInput, codexUpstream: BridgeUpstreamApi): Promise<VerifyReport> {
  const bridge = await startBridge({
    upstream: input.baseUrl,
    adapters: bridgeAdapters(codexUpstream),
    ...(input.apiKey ? { apiKey: input.apiKey } : {}),
  });
  try {
    const { apiKey: _key, ...rest } = input;
    return await verifyForAgent(agent, { ...rest, baseUrl: bridge.url });
  } finally {
    await bridge.close();
  }
}

/** The agent's verification through a bridge to `input.baseUrl`; undefined when bridgeCanHelp says no. */
export async function verifyThroughBridge(
  agent: AgentId,
  input: AgentVerifyInput,
  direct: VerifyReport,
): Promise<BridgeVerdict | undefined> {
  if (!bridgeCanHelp(direct, { mcpServers: input.codex?.mcpServers })) return undefined;
  const upstreamApi = bridgeModeFor(direct);
  const through = await verifyInBridge(agent, input, upstreamApi);
  const failed = through.stages.find(s => s.status === 'fail');
  return {
    ok: through.ok,
    repairs: bridgeRepairsFor(direct),
    upstreamApi,
    ...(through.headline ? { headline: through.headline } : {}),
    ...(failed?.diagnosis ? { failed: { stage: failed.id, code: failed.diagnosis.code, message: failed.diagnosis.message } } : {}),
  };
}
