// A Messages request as Claude Code 2.1.328 sends it (claude-code.md, claude/verify/shape.ts) → a chat
// completions request: `system` (a string or text blocks) and the system messages Claude Code puts
// inside `messages` (one of ~9 KB after the first user message: environment, skills, date) → one
// leading system message; text and image blocks → message content; assistant `tool_use` → tool_calls
// and `thinking` → reasoning_content; user `tool_result` → tool messages (right after the assistant
// message that called them, as chat templates require); tools (input_schema → parameters),
// tool_choice, max_tokens, stop_sequences, temperature/top_p/top_k. A streamed request asks for usage
// (stream_options.include_usage) so Claude Code learns how full its context is. Nothing the model
// would have seen is left out without a note.
import type { BridgeNote, ChatRequestPlan, PlanResult, RepairSwitches } from '../adapter';

export interface MessagesContext {
  /** The model id Claude Code asked for: the answer carries it back when the upstream names none. */
  readonly model: string;
  /** Estimated input tokens (messages/count.ts), shown in message_start until the upstream's usage arrives. */
  readonly estimatedInputTokens: number;
}

type Obj = Record<string, unknown>;
type ChatMessage = Obj & { role: string };

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Content as a list of blocks (a string is one text block). */
export function blocksOf(content: unknown): Obj[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  return Array.isArray(content) ? content.filter(isObj) : [];
}

/** The text of a string or of text blocks, joined as Anthropic renders consecutive blocks. */
export function textOfBlocks(content: unknown): string {
  return blocksOf(content)
    .filter(b => b.type === 'text' && typeof b.text === 'string')
    .map(b => b.text as string)
    .join('\n');
}

/** An image block's source as a URL a chat server takes (`data:` for base64). */
function imageUrl(block: Obj): string | undefined {
  const s = isObj(block.source) ? block.source : undefined;
  if (!s) return undefined;
  if (s.type === 'base64' && typeof s.data === 'string') return `data:${str(s.media_type) ?? 'image/png'};base64,${s.data}`;
  if (s.type === 'url' && typeof s.url === 'string') return s.url;
  return undefined;
}

const IMAGE_IN_TOOL_RESULT = '[an image was here; this server does not take images in tool results]';

/**
 * What planning a Messages request for any upstream API shares (this file's chat completions,
 * overResponses.ts's Responses API): the notes, the system prompt gathered, user content, tool
 * results and tools as chat-shaped parts the caller turns into its API's.
 */
export class Planner {
  readonly notes: BridgeNote[] = [];
  private readonly noted = new Set<string>();
  /** The system prompt's parts: `system`, then the system messages inside `messages` (lateSystem). */
  readonly system: string[] = [];
  /** `upstream`: the upstream API as a note names it ("chat completions"). */
  constructor(
    readonly repairs: RepairSwitches,
    readonly upstream = 'chat completions',
  ) {}

  /** A system message inside `messages` at `index`: joined into the system prompt, with a note (false: lateSystem off, the caller keeps it in place). */
  joinLateSystem(text: string, index: number): boolean {
    if (!this.repairs.lateSystem) return false;
    this.system.push(text);
    this.note(
      'system-in-messages-joined',
      `A system message inside \`messages\` (${text.length} characters, at position ${index + 1}) was joined into the leading system message.`,
    );
    return true;
  }

  note(code: string, detail: string): void {
    if (this.noted.has(code)) return;
    this.noted.add(code);
    this.notes.push({ code, detail });
  }

  /** A block the chat API has no place for: left out, said once per kind. */
  dropped(type: string): void {
    this.note(`${type.replace(/_/g, '-')}-dropped`, `A \`${type}\` block was left out: ${this.upstream} have no place for it.`);
  }

  /** User-side content (text, images, documents as far as they are text) → chat content. */
  userContent(blocks: readonly Obj[]): string | Obj[] {
    const parts: Obj[] = [];
    for (const b of blocks) {
      if (b.type === 'text' && typeof b.text === 'string') parts.push({ type: 'text', text: b.text });
      else if (b.type === 'image') {
        const url = imageUrl(b);
        if (url) parts.push({ type: 'image_url', image_url: { url } });
        else this.dropped('image');
      } else if (b.type === 'document' && isObj(b.source) && b.source.type === 'text' && typeof b.source.data === 'string')
        parts.push({ type: 'text', text: b.source.data });
      else this.dropped(String(b.type ?? 'unknown'));
    }
    return parts.every(p => p.type === 'text') ? parts.map(p => p.text as string).join('\n') : parts;
  }

  /** A tool_result's content → a tool message's content (images as the repair says). */
  toolResultContent(block: Obj): string | Obj[] {
    const blocks = blocksOf(block.content);
    let content: string | Obj[];
    if (blocks.some(b => b.type === 'image') && this.repairs.imageInToolResult === 'text') {
      this.note(
        'image-in-tool-result-as-text',
        'An image inside a tool result was replaced by a line of text (servers like llama.cpp refuse images in tool messages).',
      );
      content = blocks
        .map(b => (b.type === 'image' ? IMAGE_IN_TOOL_RESULT : b.type === 'text' ? str(b.text) : (this.dropped(String(b.type)), undefined)))
        .filter((t): t is string => t !== undefined)
        .join('\n');
    } else content = this.userContent(blocks);
    if (block.is_error === true) {
      // Chat completions have no error flag on a tool message: the model reads it in the text.
      const text = typeof content === 'string' ? content : textOfBlocks(content);
      return `Error: ${text}`;
    }
    return content;
  }

  /** A Messages tool as a function (chat's `{type, function: {name, description, parameters}}`); undefined when left out. */
  tool(t: Obj): Obj | undefined {
    // Anthropic's server tools (web_search_20250305, code_execution, …) carry a `type`; client tools do not (or say `custom`).
    if (t.type !== undefined && t.type !== 'custom') {
      if (!this.repairs.dropHostedTools) return t;
      this.note(
        'hosted-tools-dropped',
        `Tools run by Anthropic's servers (${String(t.type)}) were left out: a local server cannot run them.`,
      );
      return undefined;
    }
    const fn: Obj = { name: str(t.name) ?? '' };
    if (typeof t.description === 'string') fn.description = t.description;
    fn.parameters = isObj(t.input_schema) ? t.input_schema : { type: 'object', properties: {} };
    return { type: 'function', function: fn };
  }
}

/** Anthropic's tool_choice in the OpenAI APIs' terms (chat's named-function shape; Responses flattens it). */
export function toolChoice(c: unknown): { tool_choice?: unknown; parallel_tool_calls?: boolean } {
  if (!isObj(c)) return {};
  const parallel = c.disable_parallel_tool_use === true ? { parallel_tool_calls: false } : {};
  switch (c.type) {
    case 'auto':
      return { tool_choice: 'auto', ...parallel };
    case 'any':
      return { tool_choice: 'required', ...parallel };
    case 'none':
      return { tool_choice: 'none' };
    case 'tool':
      return { tool_choice: { type: 'function', function: { name: str(c.name) ?? '' } }, ...parallel };
    default:
      return {};
  }
}

/** A Messages request checked, and its planner started with its `system`: what every upstream API's planning begins with. */
export function startPlanning(
  request: unknown,
  repairs: RepairSwitches,
  upstream?: string,
): { ok: true; request: Obj & { messages: unknown[] }; model: string; p: Planner } | { ok: false; status: number; message: string } {
  if (!isObj(request)) return { ok: false, status: 400, message: 'The request body must be a JSON object.' };
  if (!Array.isArray(request.messages)) return { ok: false, status: 400, message: '`messages` must be an array.' };
  const model = str(request.model);
  if (!model) return { ok: false, status: 400, message: '`model` must be a string.' };
  const p = new Planner(repairs, upstream);
  const top = textOfBlocks(request.system);
  if (top) p.system.push(top);
  return { ok: true, request: request as Obj & { messages: unknown[] }, model, p };
}

/** One turn of a Messages conversation, as both upstream APIs take it apart. */
export type MessagesTurn =
  /** A system message after the first user message that could not be joined into the leading one. */
  | { readonly kind: 'system'; readonly text: string }
  | { readonly kind: 'assistant'; readonly text: string[]; readonly reasoning: string[]; readonly toolUses: readonly Obj[] }
  /** A user message's tool result (they come first: they answer the calls just before). */
  | { readonly kind: 'tool-result'; readonly block: Obj }
  /** What the user wrote (the blocks that are not tool results). */
  | { readonly kind: 'user'; readonly blocks: Obj[] };

/**
 * Walks `messages` once for an upstream request: late system messages joined where `p` may (else
 * a system turn), an assistant message's text, thinking and tool_use blocks (other block types noted
 * as dropped; redacted thinking is Anthropic's encrypted reasoning, which no local model can read), a
 * user message's tool results, then the rest of it.
 */
export function messagesTurns(messages: readonly unknown[], p: Planner): MessagesTurn[] {
  const turns: MessagesTurn[] = [];
  messages.forEach((m, i) => {
    if (!isObj(m)) return;
    if (m.role === 'system') {
      const text = textOfBlocks(m.content);
      if (!p.joinLateSystem(text, i)) turns.push({ kind: 'system', text });
      return;
    }
    const blocks = blocksOf(m.content);
    if (m.role === 'assistant') {
      const text: string[] = [];
      const reasoning: string[] = [];
      const toolUses: Obj[] = [];
      for (const b of blocks) {
        if (b.type === 'text' && typeof b.text === 'string') text.push(b.text);
        else if (b.type === 'thinking' && typeof b.thinking === 'string') reasoning.push(b.thinking);
        else if (b.type === 'tool_use') toolUses.push(b);
        else if (b.type !== 'redacted_thinking') p.dropped(String(b.type ?? 'unknown'));
      }
      return void turns.push({ kind: 'assistant', text, reasoning, toolUses });
    }
    const results = blocks.filter(b => b.type === 'tool_result');
    for (const block of results) turns.push({ kind: 'tool-result', block });
    const rest = blocks.filter(b => b.type !== 'tool_result');
    if (rest.length || !results.length) turns.push({ kind: 'user', blocks: rest });
  });
  return turns;
}

/** The plan for one Messages request; `estimate` is count.ts's token estimate of the same request. */
export function planMessagesRequest(raw: unknown, repairs: RepairSwitches, estimate: (request: Obj) => number): PlanResult {
  const started = startPlanning(raw, repairs);
  if (!started.ok) return started;
  const { request, model, p } = started;
  const messages: ChatMessage[] = [];
  for (const t of messagesTurns(request.messages, p)) {
    if (t.kind === 'system') messages.push({ role: 'system', content: t.text });
    else if (t.kind === 'assistant') {
      const calls = t.toolUses.map(b => ({
        id: str(b.id) ?? '',
        type: 'function',
        function: { name: str(b.name) ?? '', arguments: JSON.stringify(b.input ?? {}) },
      }));
      const msg: ChatMessage = { role: 'assistant', content: t.text.length ? t.text.join('\n') : calls.length ? null : '' };
      if (t.reasoning.length) msg.reasoning_content = t.reasoning.join('\n');
      if (calls.length) msg.tool_calls = calls;
      messages.push(msg);
    } else if (t.kind === 'tool-result')
      messages.push({ role: 'tool', tool_call_id: str(t.block.tool_use_id) ?? '', content: p.toolResultContent(t.block) });
    else messages.push({ role: 'user', content: p.userContent(t.blocks) });
  }
  if (p.system.length) messages.unshift({ role: 'system', content: p.system.join('\n\n') });

  const body: Obj = { model, messages };
  const stream = request.stream === true;
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  if (typeof request.max_tokens === 'number') body.max_tokens = request.max_tokens;
  if (Array.isArray(request.stop_sequences) && request.stop_sequences.length) body.stop = request.stop_sequences;
  for (const k of ['temperature', 'top_p', 'top_k'] as const) if (typeof request[k] === 'number') body[k] = request[k];
  if (Array.isArray(request.tools)) {
    const tools = request.tools.filter(isObj).flatMap(t => p.tool(t) ?? []);
    if (tools.length) {
      body.tools = tools;
      Object.assign(body, toolChoice(request.tool_choice));
    }
  }
  const context: MessagesContext = { model, estimatedInputTokens: estimate(request) };
  const plan: ChatRequestPlan = { body, stream, notes: p.notes, context };
  return { ok: true, plan };
}
