// Claude Code's Messages API over an upstream that has the Responses API and no chat completions
// (nor /v1/messages). The request (request.ts's Planner does what both upstream APIs share):
// `system` and the system messages Claude Code puts inside `messages` → `instructions` (one system
// prompt: llama.cpp prepends it as the leading system message); user text and images → user message
// items; assistant text → an assistant message item, `thinking` → a reasoning item (llama.cpp's
// /v1/responses takes `{type:"reasoning", summary:[], content:[{text}]}` back as the turn's
// reasoning_content, as the chat adapter sends it), `tool_use` → a function_call item (call_id = the
// tool_use id); `tool_result` → a function_call_output item (text; an image as a line of text, as the
// chat adapter does, since llama.cpp takes only input_text there); tools → function tools;
// tool_choice; max_tokens → max_output_tokens; temperature and top_p. The Responses API has no stop
// sequences and no top_k: they are left out with a note.
//
// The answer: the Responses events (response.created, output_item.added, output_text.delta,
// reasoning_text / reasoning_summary_text deltas, function_call_arguments.delta, output_item.done,
// response.completed with usage, response.incomplete, response.failed, error) → the Messages events
// events.ts writes, the same Claude Code reads from the chat path. llama.cpp sends every
// output_item.done at the end and no item ids on function calls (their deltas name the call_id);
// a server that sends an item only whole (in output_item.done or response.completed) has it written then.
import type { ChatRequestPlan, PlanResult, RepairSwitches, StreamTranslator } from '../adapter';
import { messagesTurns, startPlanning, toolChoice, type MessagesContext } from './request';
import { displayMessage } from '../../text/sanitize';
import { anthropicUsage, estimatedUsage, messageBody, MessagesEvents, toolInput, type IdSource, type MessagesUsage } from './events';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Chat-shaped content (request.ts's Planner) → Responses input content: a string stays a string. */
function inputContent(content: string | Obj[]): string | Obj[] {
  if (typeof content === 'string') return content;
  return content.map(part =>
    part.type === 'image_url' && isObj(part.image_url)
      ? { type: 'input_image', image_url: part.image_url.url, detail: 'auto' }
      : { type: 'input_text', text: str(part.text) ?? '' },
  );
}

/** The Responses tool_choice for Anthropic's (a named tool is `{type:"function", name}` here). */
function responsesToolChoice(c: unknown): Obj {
  const chat = toolChoice(c);
  const choice = chat.tool_choice;
  const named = isObj(choice) && isObj(choice.function) ? { type: 'function', name: choice.function.name } : choice;
  return {
    ...(named !== undefined ? { tool_choice: named } : {}),
    ...(chat.parallel_tool_calls === false ? { parallel_tool_calls: false } : {}),
  };
}

/** The plan for one Messages request over `/responses`; `estimate` is count.ts's token estimate, `ids` names reasoning items. */
export function planMessagesOverResponses(
  raw: unknown,
  repairs: RepairSwitches,
  estimate: (request: Obj) => number,
  ids: IdSource,
): PlanResult {
  const started = startPlanning(raw, repairs, 'Responses API input items');
  if (!started.ok) return started;
  const { request, model, p } = started;
  const input: Obj[] = [];
  for (const t of messagesTurns(request.messages, p)) {
    if (t.kind === 'system') input.push({ type: 'message', role: 'system', content: t.text });
    else if (t.kind === 'assistant') {
      // In the order a Responses answer has them: reasoning, the message, the calls.
      const thought = t.reasoning.join('\n');
      if (thought)
        input.push({
          type: 'reasoning',
          id: ids('rs'),
          summary: [],
          content: [{ type: 'reasoning_text', text: thought }],
          status: 'completed',
        });
      if (t.text.length || !t.toolUses.length)
        input.push({
          type: 'message',
          role: 'assistant',
          content: [{ type: 'output_text', text: t.text.join('\n'), annotations: [] }],
          status: 'completed',
        });
      for (const b of t.toolUses)
        input.push({
          type: 'function_call',
          call_id: str(b.id) ?? '',
          name: str(b.name) ?? '',
          arguments: JSON.stringify(b.input ?? {}),
          status: 'completed',
        });
    } else if (t.kind === 'tool-result')
      input.push({
        type: 'function_call_output',
        call_id: str(t.block.tool_use_id) ?? '',
        output: inputContent(p.toolResultContent(t.block)),
      });
    else input.push({ type: 'message', role: 'user', content: inputContent(p.userContent(t.blocks)) });
  }

  // `store: false` as Codex sends it: nothing of the session is kept by the server.
  const body: Obj = { model, input, store: false };
  if (p.system.length) body.instructions = p.system.join('\n\n');
  const stream = request.stream === true;
  if (stream) body.stream = true;
  if (typeof request.max_tokens === 'number') body.max_output_tokens = request.max_tokens;
  for (const k of ['temperature', 'top_p'] as const) if (typeof request[k] === 'number') body[k] = request[k];
  if (Array.isArray(request.stop_sequences) && request.stop_sequences.length)
    p.note('stop-sequences-dropped', '`stop_sequences` were left out: the Responses API has no stop sequences.');
  if (typeof request.top_k === 'number') p.note('top-k-dropped', '`top_k` was left out: the Responses API has no top_k.');
  if (Array.isArray(request.tools)) {
    const tools = request.tools
      .filter(isObj)
      .flatMap((t): Obj[] => {
        const tool = p.tool(t);
        return tool ? [tool] : [];
      })
      .map(t => (t.type === 'function' && isObj(t.function) ? { type: 'function', ...t.function } : t));
    if (tools.length) {
      body.tools = tools;
      Object.assign(body, responsesToolChoice(request.tool_choice));
    }
  }
  const context: MessagesContext = { model, estimatedInputTokens: estimate(request) };
  const plan: ChatRequestPlan = { body, stream, notes: p.notes, context };
  return { ok: true, plan };
}

/** Responses usage → Anthropic usage. */
export function usageOfResponse(u: unknown): MessagesUsage | undefined {
  if (!isObj(u) || typeof u.input_tokens !== 'number') return undefined;
  return anthropicUsage(u.input_tokens, u.output_tokens, u.input_tokens_details);
}

/** A response's status (and why it is incomplete) → Anthropic's stop_reason. */
export function stopReasonOfResponse(response: Obj, calledTools: boolean): string {
  const why = isObj(response.incomplete_details) ? response.incomplete_details.reason : undefined;
  if (response.status === 'incomplete' || why !== undefined) {
    if (why === 'content_filter') return 'refusal';
    return 'max_tokens';
  }
  return calledTools ? 'tool_use' : 'end_turn';
}

/** The text of a message item's output_text parts. */
const messageText = (item: Obj): string =>
  (Array.isArray(item.content) ? item.content : [])
    .filter(isObj)
    .map(c => (c.type === 'output_text' ? (str(c.text) ?? '') : ''))
    .join('');

/** The reasoning of a reasoning item: its reasoning_text content, else its summary. */
function reasoningText(item: Obj): string {
  const parts = (list: unknown) =>
    (Array.isArray(list) ? list : [])
      .filter(isObj)
      .map(c => str(c.text) ?? '')
      .join('');
  return parts(item.content) || parts(item.summary);
}

/** An item's key: its id, or (llama.cpp's function calls have none) its call_id, which their deltas name. */
const keyOf = (item: Obj): string | undefined => str(item.id) ?? str(item.call_id);

export class ResponsesToMessagesTranslator implements StreamTranslator {
  private readonly events: MessagesEvents;
  /** Items whose content has been written (a done item or a completed response repeats it). */
  private readonly written = new Set<string>();
  /** Reasoning items that sent reasoning_text: their summary deltas would say it twice. */
  private readonly reasoningText = new Set<string>();
  /** Kinds of text streamed without an item id: a done item of that kind is not written again. */
  private readonly anonymous = new Set<'text' | 'thinking'>();
  private calledTools = false;

  constructor(plan: ChatRequestPlan, ids: IdSource) {
    this.events = new MessagesEvents(plan.context as MessagesContext, ids);
  }

  chunk(chunk: unknown): string {
    if (this.events.finished || !isObj(chunk)) return '';
    const e = chunk;
    const out = this.events.start();
    const itemId = str(e.item_id);
    switch (e.type) {
      case 'response.output_item.added':
        return out + (isObj(e.item) && e.item.type === 'function_call' ? this.openCall(e.item, str(e.item.arguments) ?? '') : '');
      case 'response.output_text.delta':
        return out + this.delta('text', itemId, str(e.delta));
      case 'response.reasoning_text.delta':
        if (itemId) this.reasoningText.add(itemId);
        return out + this.delta('thinking', itemId, str(e.delta));
      case 'response.reasoning_summary_text.delta':
        return out + (itemId && this.reasoningText.has(itemId) ? '' : this.delta('thinking', itemId, str(e.delta)));
      case 'response.function_call_arguments.delta':
        // Claude Code takes a block's input at its stop: arguments for a call already closed have nowhere to go.
        return (
          out +
          (this.events.openKind === 'tool_use' && (!itemId || this.events.openKey === itemId)
            ? this.events.toolArgs(str(e.delta) ?? '')
            : '')
        );
      case 'response.output_item.done':
        return out + (isObj(e.item) ? this.itemDone(e.item) : '');
      case 'response.completed':
      case 'response.incomplete':
        return out + this.completed(isObj(e.response) ? e.response : {});
      case 'response.failed': {
        const r = isObj(e.response) ? e.response : {};
        const err = isObj(r.error) ? r.error : {};
        return out + this.upstreamFailed(str(err.message));
      }
      case 'error':
        return out + this.upstreamFailed(str(e.message));
      default:
        return out;
    }
  }

  /** The upstream's own failure event: its words (sanitized) in Anthropic's error event. */
  private upstreamFailed(message: string | undefined): string {
    return this.fail(500, displayMessage(`The upstream failed the response: ${message || 'no reason given'}`));
  }

  private delta(kind: 'text' | 'thinking', itemId: string | undefined, text: string | undefined): string {
    if (!text) return '';
    if (itemId) this.written.add(itemId);
    else this.anonymous.add(kind);
    return this.events.text(kind, text, itemId);
  }

  private openCall(item: Obj, args: string): string {
    const key = keyOf(item);
    if (key) this.written.add(key);
    this.calledTools = true;
    return this.events.openTool(str(item.call_id), str(item.name) ?? '', args, key);
  }

  /** An item whole: written now if nothing of it was, and its block closed. */
  private itemDone(item: Obj): string {
    const key = keyOf(item);
    let out = '';
    if (!key || !this.written.has(key)) {
      if (item.type === 'function_call') out += this.openCall(item, str(item.arguments) ?? '');
      else if (item.type === 'message' && !this.anonymous.has('text')) out += this.delta('text', key, messageText(item));
      else if (item.type === 'reasoning' && !this.anonymous.has('thinking')) out += this.delta('thinking', key, reasoningText(item));
    }
    if (key !== undefined && this.events.openKey === key) out += this.events.close();
    return out;
  }

  private completed(response: Obj): string {
    let out = '';
    // A server that streamed nothing of an item (or no deltas at all) has it in the response's output.
    for (const item of Array.isArray(response.output) ? response.output.filter(isObj) : []) {
      const key = keyOf(item);
      if (!key || !this.written.has(key)) out += this.itemDone(item);
    }
    return out + this.events.finish(stopReasonOfResponse(response, this.calledTools), usageOfResponse(response.usage));
  }

  end(): string {
    // A stream cut before response.completed (llama.cpp has no terminator): what came is the message.
    return this.events.finish(this.calledTools ? 'tool_use' : 'end_turn', undefined);
  }

  fail(status: number, message: string): string {
    return this.events.fail(status, message);
  }
}

/** A whole (non-streamed) response → a Messages response body. */
export function completeOverResponses(plan: ChatRequestPlan, response: unknown, ids: IdSource): Obj {
  const ctx = plan.context as MessagesContext;
  const r = isObj(response) ? response : {};
  const content: Obj[] = [];
  let chars = 0;
  for (const item of Array.isArray(r.output) ? r.output.filter(isObj) : []) {
    if (item.type === 'reasoning') {
      const thinking = reasoningText(item);
      chars += thinking.length;
      if (thinking) content.push({ type: 'thinking', thinking, signature: '' });
    } else if (item.type === 'message') {
      const text = messageText(item);
      chars += text.length;
      if (text) content.push({ type: 'text', text });
    } else if (item.type === 'function_call')
      content.push({
        type: 'tool_use',
        id: str(item.call_id) ?? ids('toolu'),
        name: str(item.name) ?? '',
        input: toolInput(str(item.arguments)),
      });
  }
  const calledTools = content.some(c => c.type === 'tool_use');
  const usage = usageOfResponse(r.usage) ?? estimatedUsage(ctx, chars);
  return messageBody(ctx, ids('msg'), content, stopReasonOfResponse(r, calledTools), usage);
}
