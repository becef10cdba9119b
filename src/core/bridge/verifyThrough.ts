// Verification decides whether the bridge helps, and proves it: when a route's verdict for an agent
// holds a finding the bridge repairs (no /v1/responses or /v1/messages, MCP tools dropped, a strict
// template's late system message, an image refused in a tool result, replayed history or `text`
// refused by the server's own Responses API), the same verification runs again through a bridge
// started for the purpose on a free loopback port, in the upstream mode the verdict picks
// (decide.ts), and its verdict goes into the report beside the direct one. The bridge is stopped
// afterwards, whatever the outcome. For Claude Code on a server without /v1/messages, which API the
// bridge's Messages side goes to is asked of the server first (upstreamApis: two requests that
// generate nothing).
import type { AgentId } from '../agents';
import { verifyForAgent, type AgentVerifyInput } from '../agentVerify';
import type { BridgeUpstreamApi, BridgeVerdict, VerifyReport } from '../verify/types';
import { startBridge } from './server';
import { bridgeAdapters, bridgeCanHelp, bridgeModeFor, bridgeRepairsFor, type UpstreamApis } from './decide';
import { httpRequest } from '../net/http';

/** Statuses by which known servers say a route does not exist (llama.cpp, Ollama, vLLM: 404). */
const NO_ROUTE = new Set([404, 405, 501]);

/**
 * Whether the server at `baseUrl` answers chat completions and the Responses API: each asked with an
 * empty JSON body, which a server that has the route refuses (400/422: no model, no messages) without
 * generating anything, and one that has not answers 404. No answer at all counts as "has it" (the
 * bridge's translation then names the failure as it would).
 */
export async function upstreamApis(baseUrl: string, apiKey?: string): Promise<UpstreamApis> {
  const base = baseUrl.replace(/\/+$/, '');
  const has = async (path: string): Promise<boolean> => {
    try {
      const r = await httpRequest({
        url: `${base}${path}`,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
        body: {},
        limits: { connectMs: 2_000, headersMs: 10_000, idleMs: 10_000, totalMs: 10_000, maxBytes: 64 * 1024 },
      });
      return !NO_ROUTE.has(r.status);
    } catch {
      return true;
    }
  };
  const chat = await has('/chat/completions');
  return { chat, responses: chat ? true : await has('/responses') };
}

/** The agent's verification through a bridge to `input.baseUrl` whose side for `agent` uses `upstreamApi`. */
export async function verifyInBridge(agent: AgentId, input: AgentVerifyInput, upstreamApi: BridgeUpstreamApi): Promise<VerifyReport> {
  const bridge = await startBridge({
    upstream: input.baseUrl,
    adapters: bridgeAdapters({ [agent]: upstreamApi }),
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
  const repairs = bridgeRepairsFor(direct);
  // Which API Claude Code's side goes to matters only on a server without /v1/messages.
  const server =
    agent === 'claude' && repairs.includes('messages-api-missing') ? await upstreamApis(input.baseUrl, input.apiKey) : undefined;
  const upstreamApi = bridgeModeFor(direct, server);
  const through = await verifyInBridge(agent, input, upstreamApi);
  const failed = through.stages.find(s => s.status === 'fail');
  return {
    ok: through.ok,
    repairs,
    upstreamApi,
    ...(through.headline ? { headline: through.headline } : {}),
    ...(failed?.diagnosis ? { failed: { stage: failed.id, code: failed.diagnosis.code, message: failed.diagnosis.message } } : {}),
  };
}
