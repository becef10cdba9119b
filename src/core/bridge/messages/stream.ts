// A chat-completions stream (or a whole completion) → the Messages events Claude Code 2.1.328 reads
// (messages-sse.ts reads them the same way): message_start first, then per content block
// content_block_start → its deltas (text_delta, thinking_delta, input_json_delta) → content_block_stop,
// one block open at a time, then message_delta with the stop reason and usage, then message_stop. A
// failure is `event: error` with Anthropic's error shape, which Claude Code shows with its message.
//
// Usage: the upstream's comes in the last chunk (stream_options.include_usage), after every block.
// message_start carries the request's estimated input tokens so a client that reads only that event
// still sees the context filling; message_delta carries the upstream's counts, which Claude Code
// takes over the estimate (it keeps a message_delta input_tokens above 0). Without them Claude Code
// would count 0 tokens and never compact its context.
import type { ChatRequestPlan, StreamTranslator } from '../adapter';
import type { MessagesContext } from './request';

/** Ids for messages and tool calls (`msg`, `toolu`): unique within a bridge's life. */
export type IdSource = (prefix: string) => string;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const sse = (type: string, data: Obj): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** Chat's finish_reason → Anthropic's stop_reason. */
export function stopReason(finish: string | undefined, calledTools: boolean): string {
  if (finish === 'length') return 'max_tokens';
  if (finish === 'tool_calls' || finish === 'function_call' || calledTools) return 'tool_use';
  if (finish === 'content_filter') return 'refusal';
  return 'end_turn';
}

export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
}

/** Chat usage → Anthropic usage (input_tokens excludes what the server read from its cache, as Anthropic counts). */
export function messagesUsage(u: unknown): MessagesUsage | undefined {
  if (!isObj(u) || typeof u.prompt_tokens !== 'number') return undefined;
  const cached =
    isObj(u.prompt_tokens_details) && typeof u.prompt_tokens_details.cached_tokens === 'number' ? u.prompt_tokens_details.cached_tokens : 0;
  return {
    input_tokens: Math.max(0, u.prompt_tokens - cached),
    output_tokens: typeof u.completion_tokens === 'number' ? u.completion_tokens : 0,
    cache_read_input_tokens: cached,
  };
}

/** Error types as Anthropic's API names them by status (its "Errors" page); Claude Code shows the message. */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 504:
      return 'timeout_error';
    case 529:
      return 'overloaded_error';
    default:
      return 'api_error';
  }
}

export const anthropicError = (status: number, message: string): Obj => ({
  type: 'error',
  error: { type: anthropicErrorType(status), message },
});

/** Reasoning text of a chat delta or message: llama.cpp and DeepSeek say `reasoning_content`, vLLM `reasoning`. */
const reasoningOf = (m: Obj): string | undefined => str(m.reasoning_content) ?? str(m.reasoning);

interface OpenBlock {
  kind: 'text' | 'thinking' | 'tool_use';
  index: number;
  /** tool_use: the upstream's tool index. */
  toolIndex?: number;
}

/** A tool call whose name has not arrived yet: its id and arguments wait. */
interface PendingCall {
  id?: string;
  name: string;
  args: string;
}

export class MessagesTranslator implements StreamTranslator {
  private readonly ctx: MessagesContext;
  private readonly messageId: string;
  private started = false;
  private finished = false;
  private blocks = 0;
  private open: OpenBlock | undefined;
  private readonly pending = new Map<number, PendingCall>();
  /** Upstream tool indexes already given a block (a late delta for one of them has nowhere to go). */
  private readonly toolBlocks = new Set<number>();
  private usage: MessagesUsage | undefined;
  private finishReason: string | undefined;
  private outputChars = 0;

  constructor(
    plan: ChatRequestPlan,
    private readonly ids: IdSource,
  ) {
    this.ctx = plan.context as MessagesContext;
    this.messageId = ids('msg');
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    return sse('message_start', {
      message: {
        id: this.messageId,
        type: 'message',
        role: 'assistant',
        // The model Claude Code asked for: it compares what comes back with what it sent.
        model: this.ctx.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: this.ctx.estimatedInputTokens, output_tokens: 0 },
      },
    });
  }

  chunk(chunk: unknown): string {
    if (this.finished || !isObj(chunk)) return '';
    let out = this.start();
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

  private openBlock(kind: OpenBlock['kind'], contentBlock: Obj, toolIndex?: number): string {
    const out = (kind === 'tool_use' ? '' : this.flushCalls()) + this.closeOpen();
    this.open = { kind, index: this.blocks++, toolIndex };
    return out + sse('content_block_start', { index: this.open.index, content_block: contentBlock });
  }

  private closeOpen(): string {
    const b = this.open;
    if (!b) return '';
    this.open = undefined;
    // Anthropic closes a thinking block with its signature; a local model has none, and Claude Code
    // replays the empty one (llama.cpp's own /v1/messages does the same).
    const signature =
      b.kind === 'thinking' ? sse('content_block_delta', { index: b.index, delta: { type: 'signature_delta', signature: '' } }) : '';
    return signature + sse('content_block_stop', { index: b.index });
  }

  private textDelta(kind: 'text' | 'thinking', text: string): string {
    this.outputChars += text.length;
    let out = '';
    if (this.open?.kind !== kind)
      out += this.openBlock(kind, kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' });
    const delta = kind === 'text' ? { type: 'text_delta', text } : { type: 'thinking_delta', thinking: text };
    return out + sse('content_block_delta', { index: this.open!.index, delta });
  }

  private toolDelta(tc: Obj): string {
    const toolIndex = typeof tc.index === 'number' ? tc.index : this.toolBlocks.size + this.pending.size;
    const fn = isObj(tc.function) ? tc.function : {};
    const args = str(fn.arguments) ?? '';
    this.outputChars += args.length;
    if (this.open?.kind === 'tool_use' && this.open.toolIndex === toolIndex)
      return args ? sse('content_block_delta', { index: this.open.index, delta: { type: 'input_json_delta', partial_json: args } }) : '';
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
    let out = this.openBlock('tool_use', { type: 'tool_use', id: call.id ?? this.ids('toolu'), name: call.name, input: {} }, toolIndex);
    if (call.args)
      out += sse('content_block_delta', { index: this.open!.index, delta: { type: 'input_json_delta', partial_json: call.args } });
    return out;
  }

  /** Calls still waiting for arguments when the answer moves on or ends. */
  private flushCalls(): string {
    let out = '';
    for (const [toolIndex, call] of [...this.pending]) if (call.name) out += this.openCall(toolIndex, call);
    return out;
  }

  end(): string {
    if (this.finished) return '';
    let out = this.start() + this.flushCalls() + this.closeOpen();
    this.finished = true;
    const usage = this.usage ?? {
      // No usage from the upstream (it ignored stream_options): the estimate, so the count is never 0.
      input_tokens: this.ctx.estimatedInputTokens,
      output_tokens: Math.ceil(this.outputChars / 4),
      cache_read_input_tokens: 0,
    };
    out += sse('message_delta', {
      delta: { stop_reason: stopReason(this.finishReason, this.toolBlocks.size > 0), stop_sequence: null },
      usage,
    });
    return out + sse('message_stop', {});
  }

  fail(status: number, message: string): string {
    if (this.finished) return '';
    this.finished = true;
    return sse('error', anthropicError(status, message));
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
    content.push({ type: 'tool_use', id: str(tc.id) ?? ids('toolu'), name: str(fn.name) ?? '', input: parseInput(str(fn.arguments)) });
  }
  const usage = messagesUsage(c.usage) ?? {
    input_tokens: ctx.estimatedInputTokens,
    output_tokens: Math.ceil(((reasoning?.length ?? 0) + (text?.length ?? 0)) / 4),
    cache_read_input_tokens: 0,
  };
  return {
    id: ids('msg'),
    type: 'message',
    role: 'assistant',
    model: ctx.model,
    content,
    stop_reason: stopReason(str(choice.finish_reason), calls.length > 0),
    stop_sequence: null,
    usage,
  };
}

/** A call's arguments as the object Claude Code runs the tool with (`{}` when the model wrote no valid JSON object). */
function parseInput(args: string | undefined): Obj {
  if (!args) return {};
  try {
    const v = JSON.parse(args) as unknown;
    return isObj(v) ? v : {};
  } catch {
    return {};
  }
}
