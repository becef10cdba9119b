// A chat-completions stream (or a whole completion) → the Messages events Claude Code 2.1.328 reads,
// written by events.ts (the order, the blocks, the usage and errors are explained there). The
// upstream's usage comes in the last chunk (stream_options.include_usage), after every block.
import type { ChatRequestPlan, StreamTranslator } from '../adapter';
import type { MessagesContext } from './request';
import { anthropicUsage, estimatedUsage, messageBody, MessagesEvents, toolInput, type IdSource, type MessagesUsage } from './events';

export { anthropicError, anthropicErrorType, type IdSource, type MessagesUsage } from './events';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Chat's finish_reason → Anthropic's stop_reason. */
export function stopReason(finish: string | undefined, calledTools: boolean): string {
  if (finish === 'length') return 'max_tokens';
  if (finish === 'tool_calls' || finish === 'function_call' || calledTools) return 'tool_use';
  if (finish === 'content_filter') return 'refusal';
  return 'end_turn';
}

/** Chat usage → Anthropic usage. */
export function messagesUsage(u: unknown): MessagesUsage | undefined {
  if (!isObj(u) || typeof u.prompt_tokens !== 'number') return undefined;
  return anthropicUsage(u.prompt_tokens, u.completion_tokens, u.prompt_tokens_details);
}

/** Reasoning text of a chat delta or message: llama.cpp and DeepSeek say `reasoning_content`, vLLM `reasoning`. */
const reasoningOf = (m: Obj): string | undefined => str(m.reasoning_content) ?? str(m.reasoning);

/** A tool call whose name has not arrived yet: its id and arguments wait. */
interface PendingCall {
  id?: string;
  name: string;
  args: string;
}

export class MessagesTranslator implements StreamTranslator {
  private readonly ctx: MessagesContext;
  private readonly events: MessagesEvents;
  private readonly pending = new Map<number, PendingCall>();
  /** Upstream tool indexes already given a block (a late delta for one of them has nowhere to go). */
  private readonly toolBlocks = new Set<number>();
  private usage: MessagesUsage | undefined;
  private finishReason: string | undefined;

  constructor(plan: ChatRequestPlan, ids: IdSource) {
    this.ctx = plan.context as MessagesContext;
    this.events = new MessagesEvents(this.ctx, ids);
  }

  chunk(chunk: unknown): string {
    if (this.events.finished || !isObj(chunk)) return '';
    let out = this.events.start();
    const usage = messagesUsage(chunk.usage);
    if (usage) this.usage = usage;
    const choice = Array.isArray(chunk.choices) ? chunk.choices.find(c => isObj(c) && (c.index ?? 0) === 0) : undefined;
    if (!isObj(choice)) return out;
    const delta = isObj(choice.delta) ? choice.delta : {};
    const reasoning = reasoningOf(delta);
    if (reasoning) out += this.textDelta('thinking', reasoning);
    const content = str(delta.content);
    if (content) out += this.textDelta('text', content);
    if (Array.isArray(delta.tool_calls)) for (const tc of delta.tool_calls) if (isObj(tc)) out += this.toolDelta(tc);
    if (str(choice.finish_reason)) this.finishReason = choice.finish_reason as string;
    return out;
  }

  private textDelta(kind: 'text' | 'thinking', text: string): string {
    // Calls still waiting for their arguments open before the answer moves on to text.
    return (this.events.openKind !== kind ? this.flushCalls() : '') + this.events.text(kind, text);
  }

  private toolDelta(tc: Obj): string {
    const toolIndex = typeof tc.index === 'number' ? tc.index : this.toolBlocks.size + this.pending.size;
    const fn = isObj(tc.function) ? tc.function : {};
    const args = str(fn.arguments) ?? '';
    if (this.events.openKind === 'tool_use' && this.events.openKey === toolIndex) return this.events.toolArgs(args);
    // A call already closed gets nothing more: Claude Code takes a block's input at its stop.
    if (this.toolBlocks.has(toolIndex)) return '';
    const call = this.pending.get(toolIndex) ?? { name: '', args: '' };
    this.pending.set(toolIndex, call);
    if (str(tc.id)) call.id ??= tc.id as string;
    if (str(fn.name)) call.name += fn.name as string;
    call.args += args;
    // A name may come in pieces: the block opens with the arguments' first piece (or at the end).
    return call.name && call.args ? this.openCall(toolIndex, call) : '';
  }

  private openCall(toolIndex: number, call: PendingCall): string {
    this.pending.delete(toolIndex);
    this.toolBlocks.add(toolIndex);
    return this.events.openTool(call.id, call.name, call.args, toolIndex);
  }

  /** Calls still waiting for arguments when the answer moves on or ends. */
  private flushCalls(): string {
    let out = '';
    for (const [toolIndex, call] of [...this.pending]) if (call.name) out += this.openCall(toolIndex, call);
    return out;
  }

  end(): string {
    if (this.events.finished) return '';
    const out = this.events.start() + this.flushCalls();
    return out + this.events.finish(stopReason(this.finishReason, this.toolBlocks.size > 0), this.usage);
  }

  fail(status: number, message: string): string {
    return this.events.fail(status, message);
  }
}

/** A whole chat completion → a Messages response body. */
export function completeMessage(plan: ChatRequestPlan, completion: unknown, ids: IdSource): Obj {
  const ctx = plan.context as MessagesContext;
  const c = isObj(completion) ? completion : {};
  const choice = Array.isArray(c.choices) && isObj(c.choices[0]) ? c.choices[0] : {};
  const msg = isObj(choice.message) ? choice.message : {};
  const content: Obj[] = [];
  const reasoning = reasoningOf(msg);
  if (reasoning) content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  const text = str(msg.content);
  if (text) content.push({ type: 'text', text });
  const calls = Array.isArray(msg.tool_calls) ? msg.tool_calls.filter(isObj) : [];
  for (const tc of calls) {
    const fn = isObj(tc.function) ? tc.function : {};
    content.push({ type: 'tool_use', id: str(tc.id) ?? ids('toolu'), name: str(fn.name) ?? '', input: toolInput(str(fn.arguments)) });
  }
  const usage = messagesUsage(c.usage) ?? estimatedUsage(ctx, (reasoning?.length ?? 0) + (text?.length ?? 0));
  return messageBody(ctx, ids('msg'), content, stopReason(str(choice.finish_reason), calls.length > 0), usage);
}
