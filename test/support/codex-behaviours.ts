// Failures Codex users meet later in a session or with the tools they add, each reproducing a real
// server's behaviour and words. Where each text comes from is noted beside it; the texts are the
// servers' own, the JSON around them the server's error shape (see behaviours.ts for the shapes).
import type { Brain, BrainReply } from './brain';
import { healthyBrain, inputItems } from './brain';
import { TEXTS } from './behaviours';

type Item = Record<string, unknown>;
const llamaErr = (code: number, message: string, type: string) => ({ error: { code, message, type } });
const vllmErr = (message: string, code = 400) => ({ error: { message, type: 'BadRequestError', param: null, code } });

// ── a template that merges the leading system messages and refuses a later one ─────────────────

/**
 * Chat roles as llama.cpp and vLLM build them from a Responses request: `instructions` first, then
 * each input message (developer → system); tool calls and results are assistant/tool turns.
 */
function chatRoles(request: Item): string[] {
  const roles: string[] = [];
  if (typeof request.instructions === 'string' && request.instructions) roles.push('system');
  for (const it of inputItems(request)) {
    if (it.type === 'function_call' || it.type === 'reasoning') roles.push('assistant');
    else if (it.type === 'function_call_output') roles.push('tool');
    else if (typeof it.role === 'string') roles.push(it.role === 'developer' ? 'system' : it.role);
  }
  return roles;
}

/** True when a system message follows a message of another role (the leading run of system messages is merged). */
export function lateSystemMessage(request: Item): boolean {
  const roles = chatRoles(request);
  let i = 0;
  while (roles[i] === 'system') i++;
  return roles.slice(i).includes('system');
}

export type MergingTemplateVariant = 'llamacpp-500' | 'vllm';

/**
 * A template that folds every leading system message into one and raises on a system message later
 * in the conversation: the first turn of a Codex session (developer, developer, user, user) passes;
 * a turn after a permissions change (… assistant, developer, user, user) fails. Qwen3-family
 * templates do this (they collect the leading system messages, then raise "System message must be
 * at the beginning." in the loop; seen with Codex and vLLM in vllm-project/vllm#41828 and with
 * LiteLLM's "jinja template rendering failed. System message must be at the beginning." in
 * BerriAI/litellm#39282). The error bodies are llama.cpp's (real-llama-server.md, observed) and vLLM's.
 */
export function mergingStrictTemplateBrain(variant: MergingTemplateVariant, inner: Brain = healthyBrain): Brain {
  return turn => {
    if (!lateSystemMessage(turn.request)) return inner(turn);
    return variant === 'llamacpp-500'
      ? { kind: 'http', status: 500, body: llamaErr(500, TEXTS.jinjaSystem500, 'server_error') }
      : { kind: 'http', status: 400, body: vllmErr('System message must be at the beginning.') };
  };
}

// ── vLLM 0.19.1: history items without `status` ─────────────────────────────────────────────────

/**
 * vLLM 0.19.1's Responses API validates history items against OpenAI's models: a `reasoning` item
 * (or an assistant message) without `status` fails the union with "Field required" → 400
 * (vllm-project/vllm#45273; root cause and fix in the v0.19.1 backport vllm-project/vllm#45276).
 * Codex sends reasoning items back without `status` (recorded with Codex 0.169), so the first turn
 * of a session works and the second fails. The model here reasons before it answers, as GLM-5.1 does.
 */
export function vllmHistoryStatusBrain(inner: Brain = healthyBrain): Brain {
  return async turn => {
    const items = inputItems(turn.request);
    const bad = items.findIndex(
      i => (i.type === 'reasoning' || (i.type === 'message' && i.role === 'assistant')) && i.status === undefined,
    );
    if (bad >= 0) {
      const kind = items[bad].type === 'reasoning' ? 'ResponseReasoningItemParam' : 'ResponseOutputMessageParam';
      const message = `1 validation error for ResponsesRequest\ninput.list[union[EasyInputMessageParam,Message,ResponseOutputMessageParam,ResponseFunctionToolCallParam,FunctionCallOutput,ResponseReasoningItemParam]].${bad}.${kind}.status\n  Field required [type=missing, input_value={'type': '${String(items[bad].type)}', ...}, input_type=dict]`;
      return { kind: 'http', status: 400, body: vllmErr(message) };
    }
    const reply = await inner(turn);
    return reply.kind === 'output'
      ? { ...reply, items: [{ type: 'reasoning', text: 'The user wants a short answer.' }, ...reply.items] }
      : reply;
  };
}

// ── llama.cpp: a tool result that is a list with an image ───────────────────────────────────────

/**
 * llama.cpp's Responses conversion takes a function_call_output that is a string, or a list of
 * `input_text` parts; anything else in the list → 400 "Output of tool call should be 'Input text'"
 * (tools/server/server-chat.cpp of the pinned build; ggml-org/llama.cpp#23542). Codex sends an image
 * there when the model's metadata says it takes images and a tool returns one (recorded: an MCP
 * tool's screenshot, view_image).
 */
export function llamaToolOutputBrain(inner: Brain = healthyBrain): Brain {
  return turn => {
    for (const it of inputItems(turn.request)) {
      if (it.type !== 'function_call_output' || !Array.isArray(it.output)) continue;
      if ((it.output as Item[]).some(p => p?.type !== 'input_text'))
        return { kind: 'http', status: 400, body: llamaErr(400, "Output of tool call should be 'Input text'", 'invalid_request_error') };
    }
    return inner(turn);
  };
}

// ── namespace (MCP) tools ───────────────────────────────────────────────────────────────────────

export type NamespaceVariant =
  'llamacpp-drop' | 'lmstudio-reject' | 'ollama-500' | 'ollama-flatten' | 'vllm-harmony-reject' | 'llamacpp-old-reject';

const isNamespace = (t: Item) => t.type === 'namespace';
function tools(request: Item): Item[] {
  return Array.isArray(request.tools) ? (request.tools as Item[]) : [];
}

/**
 * What servers do with Codex's `namespace` tools (its MCP servers' and agent tools):
 * - llamacpp-drop: the pinned llama.cpp skips every non-function tool with a log warning
 *   ("unsupported Responses tool type '%s' skipped", server-chat.cpp; observed, real-llama-server.md);
 * - llamacpp-old-reject: older builds, 400 "'type' of tool must be 'function'" (local-servers.md);
 * - lmstudio-reject: LM Studio 0.4.11/0.4.12, 400 `{"message":"Invalid","param":"tools.N.type","code":"invalid_string"}`
 *   (lmstudio-ai/lmstudio-bug-tracker#1810, #1812);
 * - ollama-500: Ollama builds that could not parse them, 500 "Failed to parse tools: Unsupported tool
 *   type: {…}" (ollama/ollama#17618);
 * - ollama-flatten: Ollama 0.32–0.33 takes them, shows the model `ns.tool`, and returns the call as
 *   `{"name":"ns.tool"}` with no namespace; Codex answers "unsupported call: ns.tool"
 *   (ollama/ollama#18284, openai/codex#23186);
 * - vllm-harmony-reject: vLLM with gpt-oss models, 400 "tool type namespace not supported"
 *   (vllm-project/vllm#49493).
 */
export function namespaceToolsBrain(variant: NamespaceVariant, inner: Brain = healthyBrain): Brain {
  return turn => {
    const all = tools(turn.request);
    const ns = all.findIndex(isNamespace);
    if (ns < 0) return inner(turn);
    switch (variant) {
      case 'llamacpp-drop':
        return inner({ ...turn, request: { ...turn.request, tools: all.filter(t => t.type === 'function') } });
      case 'llamacpp-old-reject':
        return { kind: 'http', status: 400, body: llamaErr(400, TEXTS.toolTypeMustBeFunction, 'invalid_request_error') };
      case 'lmstudio-reject':
        return {
          kind: 'http',
          status: 400,
          body: { error: { message: 'Invalid', type: 'invalid_request_error', param: `tools.${ns}.type`, code: 'invalid_string' } },
        };
      case 'ollama-500': {
        const t = all[ns];
        const fn = JSON.stringify({
          type: 'namespace',
          function: { name: t.name, description: t.description, parameters: { type: '', properties: null } },
        });
        return {
          kind: 'http',
          status: 500,
          body: { error: { message: `Failed to parse tools: Unsupported tool type: ${fn}`, type: 'api_error', param: null, code: null } },
        };
      }
      case 'vllm-harmony-reject':
        return { kind: 'http', status: 400, body: vllmErr('tool type namespace not supported') };
      case 'ollama-flatten':
        return flattenNamespaces(inner, turn);
    }
  };
}

/** Ollama: namespace tools become top-level `ns.tool` functions; a call comes back under that name. */
async function flattenNamespaces(inner: Brain, turn: Parameters<Brain>[0]): Promise<BrainReply> {
  const reply = await inner(turn);
  if (reply.kind !== 'output') return reply;
  // The model calls what it sees: the flattened name, with no namespace field.
  const items = reply.items.map(i => {
    if (i.type !== 'function_call' || !i.namespace) return i;
    const { namespace, ...rest } = i;
    return { ...rest, name: `${namespace}.${i.name}` };
  });
  return { ...reply, items };
}

// ── LM Studio: `text` without `format` ──────────────────────────────────────────────────────────

/**
 * LM Studio 0.4.x refuses a Responses request whose `text` has no `format`:
 * 400 {"error":{"message":"Required","type":"invalid_request_error","param":"text.format","code":"missing_required_parameter"}}
 * (lmstudio-ai/lmstudio-bug-tracker#1576, LM Studio 0.4.6; n8n-io/n8n#24492 shows it for `"text": {}`).
 * Codex sends `text: {verbosity}` only for models whose metadata supports verbosity.
 */
export function textFormatRequiredBrain(inner: Brain = healthyBrain): Brain {
  return turn => {
    const text = turn.request.text as Item | undefined;
    if (turn.api === 'responses' && text && typeof text === 'object' && text.format === undefined) {
      return {
        kind: 'http',
        status: 400,
        body: { error: { message: 'Required', type: 'invalid_request_error', param: 'text.format', code: 'missing_required_parameter' } },
      };
    }
    return inner(turn);
  };
}

// ── slow prompts ────────────────────────────────────────────────────────────────────────────────

/**
 * A server on modest hardware: `tps` prompt tokens a second, the wait before the first event. A
 * 9k-token prompt at 40 tokens/s is ~4 minutes (reported by Codex users on CPUs and small GPUs).
 */
export function slowPromptBrain(tps: number, inner: Brain = healthyBrain): Brain {
  return async turn => {
    const reply = await inner(turn);
    if (reply.kind !== 'output') return reply;
    return { ...reply, promptDelayMs: Math.round(((reply.inputTokens ?? 0) / tps) * 1000) };
  };
}
