// A Responses request as Codex 0.169 sends it (codex-cli.md, verify/codex-shape.ts) → a chat
// completions request: developer/system → one leading system message, input items → messages,
// function_call / function_call_output → assistant tool_calls / tool messages, reasoning items →
// the next assistant message's reasoning_content. The repairs (adapter.ts RepairSwitches) change
// only what a chat server cannot take, each with a note: namespace (MCP) tools flattened into
// function tools, custom (freeform) tools as a function with one string argument, hosted tools
// (web_search) left out, an image in a tool result as text, late system messages joined into the
// first. What the response side needs to map the model's calls back travels in `ToolMap`.
import type { BridgeNote, ChatRequestPlan, PlanResult, RepairSwitches } from '../adapter';

/** A flattened tool name → what Codex calls it. */
export type ToolOrigin =
  { readonly kind: 'namespace'; readonly namespace: string; readonly name: string } | { readonly kind: 'custom'; readonly name: string };

export interface ResponsesContext {
  readonly model: string;
  /** Only tools the bridge renamed or reshaped; a name not here is a plain function tool. */
  readonly tools: ReadonlyMap<string, ToolOrigin>;
}

/** Codex's namespace tools as Codex itself named MCP tools for models before namespaces: `mcp__server__tool`. */
export const flatName = (namespace: string, name: string): string => `${namespace}__${name}`;

/** The one-string argument a custom (freeform) tool's input travels in. */
export const CUSTOM_INPUT_ARG = 'input';

type Obj = Record<string, unknown>;
type ChatMessage = Obj & { role: string };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Text of a content list (input_text, output_text, text, refusal parts) or a string. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map(p => (isObj(p) ? (str(p.text) ?? str(p.refusal) ?? '') : ''))
    .filter(Boolean)
    .join('\n');
}

const IMAGE_AS_TEXT = '[an image was here; this server does not take images in tool results]';

class Planner {
  readonly notes: BridgeNote[] = [];
  private readonly noted = new Set<string>();
  readonly tools = new Map<string, ToolOrigin>();
  constructor(readonly repairs: RepairSwitches) {}

  note(code: string, detail: string): void {
    if (this.noted.has(code)) return;
    this.noted.add(code);
    this.notes.push({ code, detail });
  }

  /** A namespace tool's call (Codex replays it with `namespace` and the bare name) → the name the model saw. */
  callName(item: Obj): string {
    const name = str(item.name) ?? '';
    const ns = str(item.namespace);
    if (ns && this.repairs.namespaceTools) return flatName(ns, name);
    return name;
  }

  tool(t: unknown): Obj[] {
    if (!isObj(t)) return [];
    switch (t.type) {
      case 'function':
        return [functionTool(t)];
      case 'namespace': {
        if (!this.repairs.namespaceTools) return [t];
        const ns = str(t.name) ?? '';
        const inner = Array.isArray(t.tools) ? t.tools.filter(isObj) : [];
        this.note(
          'namespace-tools-flattened',
          'Namespace (MCP) tools were sent as plain function tools named <namespace>__<tool>; the model’s calls go back to Codex in its namespace form.',
        );
        return inner.map(fn => {
          const name = str(fn.name) ?? '';
          const flat = flatName(ns, name);
          this.tools.set(flat, { kind: 'namespace', namespace: ns, name });
          const desc = [str(t.description), str(fn.description)].filter(Boolean).join(' — ');
          return functionTool({ ...fn, name: flat, description: desc });
        });
      }
      case 'custom': {
        if (!this.repairs.customTools) return [t];
        const name = str(t.name) ?? '';
        this.tools.set(name, { kind: 'custom', name });
        this.note(
          'custom-tools-as-function',
          `Custom (freeform) tools were sent as functions with one string argument "${CUSTOM_INPUT_ARG}"; the model’s calls go back to Codex as custom tool calls.`,
        );
        const format = isObj(t.format) && str(t.format.definition) ? ` Its input follows this grammar:\n${str(t.format.definition)}` : '';
        return [
          functionTool({
            name,
            description: `${str(t.description) ?? ''}${format}`,
            parameters: {
              type: 'object',
              properties: { [CUSTOM_INPUT_ARG]: { type: 'string', description: 'The raw input of the tool, not JSON-encoded.' } },
              required: [CUSTOM_INPUT_ARG],
            },
          }),
        ];
      }
      default: {
        if (!this.repairs.dropHostedTools) return [t];
        const type = String(t.type);
        this.note(
          type === 'web_search' ? 'web-search-dropped' : 'hosted-tool-dropped',
          `The ${type} tool was left out: only OpenAI's servers run it, a chat server cannot.`,
        );
        return [];
      }
    }
  }

  /** A function_call_output's content: text, or text and images. */
  toolOutput(output: unknown): string | Obj[] {
    if (typeof output === 'string') return output;
    if (!Array.isArray(output)) return output === undefined ? '' : JSON.stringify(output);
    const parts = output.filter(isObj);
    const hasImage = parts.some(p => p.type === 'input_image');
    if (!hasImage) return textOf(parts);
    if (this.repairs.imageInToolResult === 'text') {
      this.note(
        'image-in-tool-result-as-text',
        'An image inside a tool result was replaced by a line of text: the server refuses images there.',
      );
      return parts.map(p => (p.type === 'input_image' ? IMAGE_AS_TEXT : (str(p.text) ?? ''))).join('\n');
    }
    return parts.map(p => (p.type === 'input_image' ? imagePart(p) : { type: 'text', text: str(p.text) ?? '' }));
  }
}

function functionTool(t: Obj): Obj {
  const fn: Obj = { name: t.name };
  if (t.description !== undefined && t.description !== '') fn.description = t.description;
  fn.parameters = isObj(t.parameters) ? t.parameters : { type: 'object', properties: {} };
  return { type: 'function', function: fn };
}

function imagePart(p: Obj): Obj {
  const url = str(p.image_url) ?? (isObj(p.image_url) ? str(p.image_url.url) : undefined) ?? '';
  return { type: 'image_url', image_url: { url, ...(str(p.detail) ? { detail: p.detail } : {}) } };
}

/** A user message's content: a string when it is all text (every chat server takes that), else parts. */
function userContent(content: unknown): string | Obj[] {
  if (!Array.isArray(content)) return textOf(content);
  const parts = content.filter(isObj);
  if (!parts.some(p => p.type === 'input_image')) return textOf(parts);
  return parts.map(p => (p.type === 'input_image' ? imagePart(p) : { type: 'text', text: str(p.text) ?? '' }));
}

export function planChatRequest(request: unknown, repairs: RepairSwitches): PlanResult {
  if (!isObj(request)) return { ok: false, status: 400, message: 'The request body must be a JSON object.' };
  const model = str(request.model);
  if (!model) return { ok: false, status: 400, message: 'The request has no `model`.' };
  if (request.previous_response_id !== undefined && request.previous_response_id !== null)
    return {
      ok: false,
      status: 400,
      message: 'The bridge keeps no responses: send the whole conversation (`store: false`), not `previous_response_id`.',
    };
  const p = new Planner(repairs);

  const messages: ChatMessage[] = [];
  const instructions = str(request.instructions);
  if (instructions) messages.push({ role: 'system', content: instructions });
  let reasoning: string[] = [];
  /** The assistant message the next function_call joins (a message followed by calls is one turn). */
  let assistant: ChatMessage | undefined;
  const takeReasoning = (m: ChatMessage) => {
    if (reasoning.length) m.reasoning_content = reasoning.join('\n');
    reasoning = [];
  };
  const input: unknown[] =
    typeof request.input === 'string' ? [{ role: 'user', content: request.input }] : Array.isArray(request.input) ? request.input : [];
  for (const raw of input) {
    if (!isObj(raw)) continue;
    const type = str(raw.type) ?? (raw.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message': {
        const role = str(raw.role);
        if (role === 'assistant') {
          const m: ChatMessage = { role: 'assistant', content: textOf(raw.content) };
          takeReasoning(m);
          messages.push(m);
          assistant = m;
          continue;
        }
        assistant = undefined;
        if (role === 'system' || role === 'developer') messages.push({ role: 'system', content: textOf(raw.content) });
        else messages.push({ role: 'user', content: userContent(raw.content) });
        continue;
      }
      case 'reasoning': {
        const text = textOf(raw.content) || textOf(raw.summary);
        if (text) reasoning.push(text);
        continue;
      }
      case 'function_call':
      case 'custom_tool_call': {
        const args = type === 'function_call' ? (str(raw.arguments) ?? '{}') : JSON.stringify({ [CUSTOM_INPUT_ARG]: str(raw.input) ?? '' });
        const name = type === 'function_call' ? p.callName(raw) : (str(raw.name) ?? '');
        const call = { id: str(raw.call_id) ?? str(raw.id) ?? '', type: 'function', function: { name, arguments: args } };
        if (!assistant) {
          assistant = { role: 'assistant', content: null };
          takeReasoning(assistant);
          messages.push(assistant);
        }
        ((assistant.tool_calls ??= []) as Obj[]).push(call);
        continue;
      }
      case 'function_call_output':
      case 'custom_tool_call_output':
        assistant = undefined;
        messages.push({ role: 'tool', tool_call_id: str(raw.call_id) ?? '', content: p.toolOutput(raw.output) });
        continue;
      default:
        p.note(
          'input-item-dropped',
          `An input item of type ${JSON.stringify(type ?? null)} was left out: chat completions has no place for it.`,
        );
    }
  }

  const body: Obj = { model, messages: placeSystem(messages, p) };
  const tools = Array.isArray(request.tools) ? request.tools.flatMap(t => p.tool(t)) : [];
  if (tools.length) {
    body.tools = tools;
    const choice = request.tool_choice;
    if (typeof choice === 'string') body.tool_choice = choice;
    else if (isObj(choice) && choice.type === 'function' && str(choice.name))
      body.tool_choice = { type: 'function', function: { name: choice.name } };
    if (typeof request.parallel_tool_calls === 'boolean') body.parallel_tool_calls = request.parallel_tool_calls;
  }
  if (typeof request.max_output_tokens === 'number') body.max_tokens = request.max_output_tokens;
  for (const k of ['temperature', 'top_p'] as const) if (typeof request[k] === 'number') body[k] = request[k];
  const effort = isObj(request.reasoning) ? str(request.reasoning.effort) : undefined;
  if (effort) body.reasoning_effort = effort;
  const format = isObj(request.text) && isObj(request.text.format) ? request.text.format : undefined;
  if (format?.type === 'json_schema')
    body.response_format = {
      type: 'json_schema',
      json_schema: { name: format.name ?? 'output', schema: format.schema, strict: format.strict ?? false },
    };
  else if (format?.type === 'json_object') body.response_format = { type: 'json_object' };
  const stream = request.stream === true;
  if (stream) {
    body.stream = true;
    // Without it a stream carries no token counts, and Codex would never compact its context.
    body.stream_options = { include_usage: true };
  }
  const context: ResponsesContext = { model, tools: p.tools };
  const plan: ChatRequestPlan = { body, stream, notes: p.notes, context };
  return { ok: true, plan };
}

/**
 * System messages: the leading ones joined into one (Codex sends two developer messages; a strict
 * template takes one system message, first); a later one (a permissions change between turns) joined
 * into it too when `lateSystem` is on, else left where it is.
 */
function placeSystem(messages: ChatMessage[], p: Planner): ChatMessage[] {
  let lead = 0;
  while (lead < messages.length && messages[lead]!.role === 'system') lead++;
  const system = messages.slice(0, lead).map(m => m.content as string);
  const rest: ChatMessage[] = [];
  for (const m of messages.slice(lead)) {
    if (m.role === 'system' && p.repairs.lateSystem) {
      system.push(m.content as string);
      p.note(
        'late-system-joined',
        'A system/developer message that came after the conversation began was joined into the leading system message.',
      );
    } else rest.push(m);
  }
  return system.length ? [{ role: 'system', content: system.join('\n\n') }, ...rest] : rest;
}
