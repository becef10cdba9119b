// Turns what a server said (status, body, a stream's error text, a network failure) into a stable
// diagnosis with a fix. Texts are the real servers' (llama.cpp, Ollama, vLLM, LM Studio), matched
// also when LM Studio nests a llama.cpp body inside a string or old vLLM sends a flat body.
import { errorMessageFromBody, saysModelLoading } from '../net/errors';
import type { HttpFailure } from '../net/http';
import { SERVER_KINDS, SERVER_KIND_INFO, type ServerKind } from '../serverKind';
import { contextSizeFor } from '../serverChanges';
import { AGENTS, type AgentId } from '../agents';
import type { Diagnosis, Fix, ServerChange } from './types';

export interface DiagnoseContext {
  model: string;
  serverKind?: ServerKind;
  /** The path asked for, e.g. /responses, to tell "no such endpoint" from "no such model". */
  path: string;
  /** Whose needs the messages speak of; default codex. */
  agent?: AgentId;
}

/** What a server kind needs to serve /v1/responses, for messages (derived from serverKind.ts, the one table). */
export const RESPONSES_MIN_VERSIONS: Record<ServerKind, { what: string; minVersion: string }> = Object.fromEntries(
  SERVER_KINDS.map(k => [k, { what: SERVER_KIND_INFO[k].displayName, minVersion: SERVER_KIND_INFO[k].responsesSince }]),
) as Record<ServerKind, { what: string; minVersion: string }>;

/** How big each agent's first request is, for context messages (the minimum comes from agents.ts). */
function agentContextNote(agent: AgentId, sizes: string): string {
  const min = AGENTS[agent].minContextTokens;
  return agent === 'claude'
    ? `a Claude Code turn${sizes}. Claude Code's first request alone is about 12k tokens (its prompt and tools) and a session grows from there: ${min} is the practical minimum.`
    : `a Codex turn${sizes}. Codex's first request is about 2k tokens through a written profile (6–9k without one) and a session grows from there: ${min} is the practical minimum, twice that is comfortable.`;
}

const change = (c: ServerChange, label: string): Fix => ({ kind: 'changeServer', change: c, label });

/** A bigger context for the server that failed (how: core/serverChanges.ts). */
export function contextFix(_kind: ServerKind | undefined, needTokens?: number): Fix {
  const tokens = contextSizeFor(needTokens);
  return change({ what: 'context', tokens }, `Make the context ${tokens} tokens`);
}

function num(re: RegExp, s: string): number | undefined {
  const m = re.exec(s);
  return m ? Number(m[1]) : undefined;
}

/** Diagnoses an error text alone (bodies, response.failed, `data: {"error":…}`); undefined when unknown. */
export function diagnoseMessage(message: string, ctx: DiagnoseContext, status?: number): Diagnosis | undefined {
  const m = message;
  const kind = ctx.serverKind;
  if (/System message must be at the beginning/i.test(m)) {
    return {
      code: 'template-system-message',
      message:
        'The chat template refuses a system message after the first one. Codex sends its instructions as several developer messages, which the server turns into system messages, so strict templates (Qwen and others) fail.',
      // Not chatml: it accepts the order but has no tool support, so tools would silently stop working.
      fix: change({ what: 'template', reason: 'system-message-order' }, 'Use a template that accepts later system messages'),
    };
  }
  // llama.cpp (older builds), Ollama ("Failed to parse tools: Unsupported tool type"), vLLM with gpt-oss
  // ("tool type namespace not supported"), gateways ("unknown tool type"), LM Studio (param tools.N.type).
  if (
    /'type' of tool must be 'function'|Unsupported tool type|tool type \w+ not supported|unknown tool type|"param"\s*:\s*"tools\.\d+\.type"/i.test(
      m,
    )
  ) {
    return {
      code: 'non-function-tool-rejected',
      message:
        "The server rejects Codex's non-function tools: `namespace` (Codex's agent tools, and the tools of every MCP server you configure) and `web_search`. The route's Codex profile turns them off (its MCP servers too) with codex.disableNonFunctionTools = auto, or upgrade the server (newer llama.cpp builds skip them).",
      fix: { kind: 'codexDisableNonFunctionTools', label: 'Turn off non-function tools in the Codex profile' },
    };
  }
  if (/does not support thinking|thinking is not supported|thinking.{0,40}not supported/i.test(m)) {
    return {
      code: 'thinking-unsupported',
      message: `The server refuses the \`thinking\` parameter for this model ("${excerpt(m)}"). Claude Code asks every model for thinking unless CLAUDE_CODE_DISABLE_THINKING=1 is set, so every turn fails.`,
      fix: { kind: 'claudeDisableThinking', label: 'Turn thinking off for Claude Code' },
    };
  }
  if (/does not support tools/i.test(m)) {
    return {
      code: 'tools-unsupported',
      message: `The model cannot call tools on this server ("${excerpt(m)}"). Pick a model with tool support (Ollama lists "tools" among its capabilities).`,
      fix: null,
    };
  }
  if (/tools? param requires --jinja|tool_choice param requires --jinja/i.test(m)) {
    return {
      code: 'tools-unsupported',
      message: 'llama-server runs without --jinja, so it cannot parse tool calls.',
      fix: change({ what: 'jinja' }, 'Turn on --jinja'),
    };
  }
  if (/tool choice requires --enable-auto-tool-choice/i.test(m)) {
    return {
      code: 'tools-unsupported',
      message: 'vLLM was started without --enable-auto-tool-choice and --tool-call-parser, so it refuses tools.',
      fix: change({ what: 'tool-parser' }, 'Turn on tool-call parsing'),
    };
  }
  const ctxMatch =
    /exceeds the available context size|exceed_context_size_error|larger than the max context size|maximum context length is|prompt is longer than the context length|prompt too long; exceeded max context length|tokens to keep from the initial prompt is greater than the context length|context length exceeded|context_length_exceeded/i.test(
      m,
    );
  if (ctxMatch) {
    const nPrompt =
      num(/request \((\d+) tokens\)/, m) ??
      num(/prompt contains at least (\d+) input tokens/, m) ??
      num(/requested (\d+) tokens/, m) ??
      num(/"n_prompt_tokens":(\d+)/, m);
    const nCtx =
      num(/available context size \((\d+) tokens\)/, m) ?? num(/maximum context length is (\d+) tokens/, m) ?? num(/"n_ctx":(\d+)/, m);
    const sizes = nPrompt && nCtx ? ` (prompt ${nPrompt} tokens, context ${nCtx})` : nCtx ? ` (context ${nCtx} tokens)` : '';
    return {
      code: 'context-too-small',
      message: `The server's context is too small for ${agentContextNote(ctx.agent ?? 'codex', sizes)}`,
      fix: contextFix(kind, nPrompt),
    };
  }
  if (/Failed to parse input at pos \d+/i.test(m)) {
    return {
      code: 'tool-call-as-text',
      message: `The model wrote a tool call the server could not parse ("${excerpt(m)}"). The model or its template does not produce this server's tool-call format reliably.`,
      fix: null,
    };
  }
  if (saysModelLoading(status, m)) {
    return {
      code: 'model-loading',
      message: 'The server is still loading the model. Wait until it is ready, then verify again.',
      fix: { kind: 'openServerTerminal', label: 'Show the server terminal' },
    };
  }
  const notFound =
    /model ['"`]?([^'"`]+)['"`]? not found|The model `([^`]+)` does not exist|model is not found|model ['"]([^'"]+)['"] not found, try pulling it first/i.exec(
      m,
    );
  if (notFound) {
    return {
      code: 'model-not-found',
      message: `The server does not have the model "${ctx.model}" ("${excerpt(m)}").`,
      fix: kind === 'ollama' ? { kind: 'pullModel', model: ctx.model, label: `Pull ${ctx.model}` } : null,
    };
  }
  if (/Invalid API Key|^Unauthorized$|invalid_api_key|authentication_error/i.test(m)) {
    return {
      code: 'unauthorized',
      message: 'The server refused the API key (or none was sent).',
      fix: { kind: 'setApiKey', label: 'Set the API key' },
    };
  }
  return undefined;
}

/** Diagnoses a non-2xx HTTP answer. */
export function diagnoseHttp(status: number, body: string, ctx: DiagnoseContext): Diagnosis {
  const message = errorMessageFromBody(body, 1_000);
  const known = diagnoseMessage(message, ctx, status) ?? diagnoseMessage(body, ctx, status);
  if (known) return known;
  if (status === 401 || status === 403) {
    return {
      code: 'unauthorized',
      message: `The server answered ${status} (${excerpt(message)}): it wants a different API key, or one at all.`,
      fix: { kind: 'setApiKey', label: 'Set the API key' },
    };
  }
  if (status === 404 && /\/messages(\/count_tokens)?$/.test(ctx.path)) {
    const serverKind = ctx.serverKind ?? 'openai-compatible';
    const v = SERVER_KIND_INFO[serverKind];
    return {
      code: 'messages-api-missing',
      message: `The server does not serve ${ctx.path.endsWith('count_tokens') ? '/v1/messages/count_tokens' : "Anthropic's Messages API (/v1/messages), which Claude Code needs"}: it answered 404 "${excerpt(message)}". Upgrade ${v.displayName} to ${v.messagesSince}. (Claude Code itself says only "There's an issue with the selected model".)`,
      fix: { kind: 'upgrade', serverKind, api: 'messages', label: `Upgrade ${v.displayName}` },
    };
  }
  if (status === 404 && /\/(responses|chat\/completions)$/.test(ctx.path)) {
    const serverKind = ctx.serverKind ?? 'openai-compatible';
    const v = SERVER_KIND_INFO[serverKind];
    const api = ctx.path.endsWith('/responses') ? 'the Responses API (/v1/responses), which Codex needs' : '/v1/chat/completions';
    return {
      code: 'responses-api-missing',
      message: `The server does not serve ${api}: it answered 404 "${excerpt(message)}". Upgrade ${v.displayName} to ${v.responsesSince}.`,
      fix: { kind: 'upgrade', serverKind, api: 'responses', label: `Upgrade ${v.displayName}` },
    };
  }
  if (status >= 300 && status < 400) {
    return {
      code: 'server-error',
      message: `The server answered ${status} (a redirect) instead of answering. Redirects are not followed (one could carry the API key elsewhere): use the address it redirects to as the base URL.`,
      fix: null,
    };
  }
  if (status === 503) {
    return {
      code: 'model-loading',
      message: `The server is not ready (503 "${excerpt(message)}"). Wait until it has loaded the model, then verify again.`,
      fix: { kind: 'openServerTerminal', label: 'Show the server terminal' },
    };
  }
  return {
    code: 'server-error',
    message: `The server answered ${status}: "${excerpt(message)}".${status >= 500 && (ctx.agent ?? 'codex') === 'codex' ? ' (Codex hides local 500s behind "We\'re currently experiencing high demand"; the server\'s own log says more.)' : ''}`,
    fix: { kind: 'openServerTerminal', label: 'Show the server terminal' },
  };
}

/** Diagnoses a failure below HTTP (refused, timeout, oversize). Returns undefined for a cancellation. */
export function diagnoseNetwork(e: HttpFailure, baseUrl: string): Diagnosis | undefined {
  switch (e.kind) {
    case 'aborted':
      return undefined;
    case 'refused':
      return {
        code: 'server-unreachable',
        message: `Nothing answers at ${baseUrl} (${e.message}). Start the server, or check the port.`,
        fix: { kind: 'openServerTerminal', label: 'Show the server terminal' },
      };
    case 'timeout':
      return e.phase === 'connect'
        ? { code: 'server-unreachable', message: `Could not connect to ${baseUrl} in time (${e.message}).`, fix: null }
        : {
            code: 'timeout',
            message: `The server did not answer in time (${e.message}). A model that is still loading, a prompt too big for the hardware, or a stalled stream; raise the timeout (verify.timeoutMs) if the machine is just slow.`,
            fix: null,
          };
    case 'too-large':
      return { code: 'server-error', message: `The answer was too large (${e.message}).`, fix: null };
    case 'network':
      return e.phase === 'connect'
        ? { code: 'server-unreachable', message: `Cannot reach ${baseUrl} (${e.message}).`, fix: null }
        : {
            code: 'server-error',
            message: `The connection broke (${e.message}); the server may have crashed.`,
            fix: { kind: 'openServerTerminal', label: 'Show the server terminal' },
          };
  }
}

export function excerpt(s: string, max = 300): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Failures of a later turn that no first turn shows: the server refuses Codex's history items. */
export function historyDiagnosis(d: Diagnosis, said: string): Diagnosis {
  if (d.code !== 'server-error') return d;
  const text = `${said} ${d.message}`;
  let why =
    'The server refuses the conversation history Codex sends back on every later turn (earlier output items, tool calls and their results)';
  if (/status/i.test(text) && /Field required|missing/i.test(text))
    why =
      'The server wants a `status` on history items that Codex sends back without one (Codex drops `status` from reasoning items). vLLM 0.19.1 does this (vllm#45273, fixed by the backport in vllm#45276): upgrade vLLM, or serve the model with reasoning off';
  else if (/Output of tool call should be 'Input text'/i.test(text))
    why = 'The server refuses a tool result that is a list of parts with anything but text in it (llama.cpp, ggml-org/llama.cpp#23542)';
  else if (/Cannot determine type of 'item'|unknown input item type/i.test(text))
    why = 'The server does not know one of the item types Codex sends back';
  return {
    code: 'history-rejected',
    message: `${why}. The first turn of a session works and the second fails. The server said: ${excerpt(said, 300)}`,
    fix: d.fix?.kind === 'openServerTerminal' ? d.fix : null,
  };
}
