// `local-model-router verify`: the tool-call verifier on the command line.
import { resolveSettings } from '../core/settings/resolve';
import { planServerChange } from '../core/serverChanges';
import type { ServerChange } from '../core/verify/types';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError, intFlag, parseFlags, type CliIo, type Subcommand } from './io';
import { resolveCodexHome } from '../core/codex/version';
import { normalizeBaseUrl } from '../core/endpoints';
import { AGENT_IDS, STAGE_IDS_BY_AGENT, type AgentId, type StageId, type VerifyReport } from '../core/verify/types';
import { enabledMcpServerNames } from '../core/codex/verifyInput';
import { NON_FUNCTION_TOOLS_MODES, nonFunctionToolsOption, type NonFunctionToolsMode } from '../core/codex/nonFunctionTools';

const HELP = `Usage: local-model-router verify --base-url URL --model ID [--agent codex|claude] [options]

Checks that a local server and model can carry an agent's session. Codex (the default): the model is
listed, the Responses API answers (plain and streamed, judged the way Codex reads streams), the model
makes a real tool call (the verifier answers it itself; nothing the model proposes is ever
executed), and a Codex-sized request fits. Claude Code (--agent claude): the same over Anthropic's
Messages API (/v1/messages): text, the stream as Claude Code reads it, thinking as Claude Code asks
for it, a tool_use round trip, a Claude-Code-sized turn (≈12k tokens, 12 tools) against the server's
window, and count_tokens (informational). Each failure gets a stable diagnosis code and a fix.

Options:
  --agent A             codex (default) or claude
  --base-url URL        The server's base URL, e.g. http://127.0.0.1:8080/v1 (Claude Code uses its root)
  --model ID            The model id to verify
  --api-key-env VAR     Send the key held in environment variable VAR (never pass keys as arguments)
  --timeout-ms N        Upper bound for each request (default 120000)
  --skip STAGE          Leave a stage out; repeatable. Codex stages: ${STAGE_IDS_BY_AGENT.codex.join(', ')}.
                        Default: chat-completions (use --skip none to run every stage).
                        Claude Code stages: ${STAGE_IDS_BY_AGENT.claude.join(', ')}; default none.
  --context-window N    claude: the server's real context window, when known
  --no-thinking         claude: the route's Claude Code settings turn thinking off (CLAUDE_CODE_DISABLE_THINKING=1)
  --non-function-tools M
                        What the Codex profile does with Codex's namespace (agents, MCP) and web_search
                        tools, as codex.disableNonFunctionTools: auto (default: off where the server
                        refuses them), always (off), never (sent)
  --no-non-function-tools
                        Same as --non-function-tools always
  --codex-home DIR      Where Codex's config.toml names the MCP servers (default $CODEX_HOME, ~/.codex)
  --serial              One stage at a time (clean timings on a single-slot server)
  --no-bridge           Do not verify again through the route bridge when the verdict holds something
                        the bridge repairs (no /v1/responses or /v1/messages, MCP tools dropped, …)
  --json                Print the report as JSON:
                        {agent, ok, baseUrl, model, serverKind?, startedAt, ms, cancelled,
                         stages:[{id, title, status: pass|warn|fail|skip, ms, summary, evidence[],
                                  metrics?, diagnosis?: {code, message, fix}}],
                         headline, throughBridge?: {ok, repairs[], upstreamApi: chat|responses, headline?, failed?}, findings?: {toolTypes, textFormatRequired, promptTps, firstPromptMs,
                         firstPromptTokens, firstTurnOk, laterTurns, lateDeveloper}}
                        (codex-profile --from-verify reads findings)

Exit codes: 0 every required stage passed (warnings allowed), 1 a stage failed, 2 usage error.`;

export const verifyCommand: Subcommand = {
  summary: 'Check that a server + model can carry a Codex (or --agent claude: Claude Code) session',
  help: HELP,
  async run(args, io) {
    const { values } = parseFlags(args, {
      agent: { type: 'string' },
      'context-window': { type: 'string' },
      'no-thinking': { type: 'boolean' },
      'base-url': { type: 'string' },
      model: { type: 'string' },
      'api-key-env': { type: 'string' },
      'timeout-ms': { type: 'string' },
      skip: { type: 'string', multiple: true },
      'no-non-function-tools': { type: 'boolean' },
      'non-function-tools': { type: 'string' },
      'codex-home': { type: 'string' },
      serial: { type: 'boolean' },
      'no-bridge': { type: 'boolean' },
      json: { type: 'boolean' },
      // Lets tests keep a hung stream short; not advertised.
      'idle-ms': { type: 'string' },
    });
    if (!values['base-url']) throw new UsageError('--base-url is required');
    if (!values.model) throw new UsageError('--model is required');
    const n = normalizeBaseUrl(values['base-url']);
    if (!n.ok) throw new UsageError(n.error);
    let apiKey: string | undefined;
    const keyVar = values['api-key-env'];
    if (keyVar !== undefined) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyVar)) throw new UsageError(`--api-key-env takes a variable name, got "${keyVar}"`);
      apiKey = io.env[keyVar];
      if (!apiKey) throw new UsageError(`--api-key-env ${keyVar}: the variable is not set`);
    }
    const agent = (values.agent ?? 'codex') as AgentId;
    if (!(AGENT_IDS as readonly string[]).includes(agent))
      throw new UsageError(`--agent must be ${AGENT_IDS.join(' or ')}, got "${values.agent}"`);
    if (agent === 'codex' && (values['context-window'] !== undefined || values['no-thinking']))
      throw new UsageError('--context-window and --no-thinking apply to --agent claude');
    const skip = parseSkip(values.skip, agent);
    const contextWindow = intFlag('context-window', values['context-window'], 1);
    const timeoutMs = intFlag('timeout-ms', values['timeout-ms'], 100);
    const idleMs = intFlag('idle-ms', values['idle-ms'], 10);
    const { renderText } = await import('../core/codex/verify/index');
    const ac = new AbortController();
    const onSigint = () => ac.abort();
    process.once('SIGINT', onSigint);
    const onProgress = values.json
      ? undefined
      : (p: { kind: string; id?: string }) => {
          if (p.kind === 'stage-start') io.err(`… ${p.id}`);
        };
    let report: VerifyReport;
    try {
      // The same dispatch as the Verify command (core/agentVerify.ts), with the CLI's flags.
      const { verifyForAgent } = await import('../core/agentVerify');
      const input = {
        baseUrl: n.url,
        model: values.model,
        apiKey,
        timeoutMs,
        idleMs,
        skip,
        skipNote: 'skipped with --skip',
        contextWindow,
        concurrent: !values.serial,
        signal: ac.signal,
        onProgress,
        codex: {
          nonFunctionTools: nonFunctionToolsFlag(values['no-non-function-tools'] ? 'always' : values['non-function-tools']),
          mcpServers: enabledMcpServerNames(codexHomeOf(values['codex-home'], io)),
        },
        claude: { thinking: !values['no-thinking'] },
      };
      report = await verifyForAgent(agent, input);
      if (!values['no-bridge']) {
        const { verifyThroughBridge } = await import('../core/bridge/verifyThrough');
        const through = await verifyThroughBridge(agent, input, report);
        if (through) report = { ...report, throughBridge: through };
      }
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
    // A server the CLI did not start: fixes are the flag or command for that kind of server.
    const settings = resolveSettings(() => undefined, io.env, true).values;
    const resolve = (c: ServerChange) =>
      planServerChange(c, { kind: report.serverKind ?? 'openai-compatible', settings, model: report.model });
    io.out(values.json ? JSON.stringify(report, null, 2) : renderText(report, resolve));
    return report.ok ? 0 : 1;
  },
};

function parseSkip(raw: string[] | undefined, agent: AgentId): StageId[] | undefined {
  if (!raw) return undefined;
  const ids = STAGE_IDS_BY_AGENT[agent];
  const out: StageId[] = [];
  for (const item of raw.flatMap(s => s.split(','))) {
    const s = item.trim();
    if (!s || s === 'none') continue;
    if (!(ids as readonly string[]).includes(s)) throw new UsageError(`--skip: unknown stage "${s}". Stages: ${ids.join(', ')}`);
    out.push(s as StageId);
  }
  return out;
}

/** --non-function-tools auto|always|never, as the setting codex.disableNonFunctionTools. */
function nonFunctionToolsFlag(v: string | undefined): boolean | 'auto' {
  const mode = v ?? 'auto';
  if (!(NON_FUNCTION_TOOLS_MODES as readonly string[]).includes(mode))
    throw new UsageError(`--non-function-tools takes ${NON_FUNCTION_TOOLS_MODES.join(', ')}, not "${v}"`);
  return nonFunctionToolsOption(mode as NonFunctionToolsMode);
}

function codexHomeOf(codexHomeFlag: string | undefined, io: CliIo): string {
  return codexHomeFlag ? path.resolve(io.cwd, codexHomeFlag) : resolveCodexHome(io.env, '', io.env.HOME ?? os.homedir()).path;
}
