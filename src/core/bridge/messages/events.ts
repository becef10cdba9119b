// The Messages events Claude Code 2.1.328 reads, written once for every upstream API the Messages
// adapters translate (chat completions: stream.ts; the Responses API: overResponses.ts):
// message_start first, then per content block content_block_start → its deltas (text_delta,
// thinking_delta, input_json_delta) → content_block_stop, one block open at a time, then
// message_delta with the stop reason and usage, then message_stop. A failure is `event: error` with
// Anthropic's error shape, which Claude Code shows with its message.
//
// Usage: message_start carries the request's estimated input tokens so a client that reads only that
// event still sees the context filling; message_delta carries the upstream's counts, which Claude Code
// takes over the estimate (it keeps a message_delta input_tokens above 0). Without them Claude Code
// would count 0 tokens and never compact its context.
import type { MessagesContext } from './request';

/** Ids for messages and tool calls (`msg`, `toolu`): unique within a bridge's life. */
export type IdSource = (prefix: string) => string;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const sse = (type: string, data: Obj): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
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

/** A call's arguments as the object Claude Code runs the tool with (`{}` when the model wrote no valid JSON object). */
export function toolInput(args: string | undefined): Obj {
  if (!args) return {};
  try {
    const v = JSON.parse(args) as unknown;
    return isObj(v) ? v : {};
  } catch {
    return {};
  }
}

/** Usage when the upstream sent none: the estimate, so Claude Code's count is never 0. */
export function estimatedUsage(ctx: MessagesContext, outputChars: number): MessagesUsage {
  return { input_tokens: ctx.estimatedInputTokens, output_tokens: Math.ceil(outputChars / 4), cache_read_input_tokens: 0 };
}

/** A whole Messages response body (the non-streamed answer). */
export function messageBody(ctx: MessagesContext, id: string, content: Obj[], stopReason: string, usage: MessagesUsage): Obj {
  return { id, type: 'message', role: 'assistant', model: ctx.model, content, stop_reason: stopReason, stop_sequence: null, usage };
}

export type BlockKind = 'text' | 'thinking' | 'tool_use';

/**
 * One Messages stream as it is written: the message's start, one open block at a time, its end. The
 * translators decide what goes in; this writes it in the order and shape Claude Code reads.
 */
export class MessagesEvents {
  private readonly messageId: string;
  private started = false;
  /** message_stop or an error was written: nothing more goes out. */
  finished = false;
  private blocks = 0;
  private open: { kind: BlockKind; index: number; key?: unknown } | undefined;
  /** tool_use blocks opened so far. */
  toolBlocks = 0;
  /** Characters of output written (the usage estimate when the upstream sends none). */
  outputChars = 0;

  constructor(
    private readonly ctx: MessagesContext,
    readonly ids: IdSource,
  ) {
    this.messageId = ids('msg');
  }

  /** message_start, once. */
  start(): string {
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

  /** The open block's kind and the key it was opened with (a tool call's upstream index or item id). */
  get openKind(): BlockKind | undefined {
    return this.open?.kind;
  }
  get openKey(): unknown {
    return this.open?.key;
  }

  private openBlock(kind: BlockKind, contentBlock: Obj, key?: unknown): string {
    const out = this.close();
    this.open = { kind, index: this.blocks++, key };
    return out + sse('content_block_start', { index: this.open.index, content_block: contentBlock });
  }

  /** Closes the open block, if any. */
  close(): string {
    const b = this.open;
    if (!b) return '';
    this.open = undefined;
    // Anthropic closes a thinking block with its signature; a local model has none, and Claude Code
    // replays the empty one (llama.cpp's own /v1/messages does the same).
    const signature =
      b.kind === 'thinking' ? sse('content_block_delta', { index: b.index, delta: { type: 'signature_delta', signature: '' } }) : '';
    return signature + sse('content_block_stop', { index: b.index });
  }

  /** Text or thinking, in the open block of its kind (opened first, closing another, when it is not open). */
  text(kind: 'text' | 'thinking', text: string, key?: unknown): string {
    this.outputChars += text.length;
    let out = '';
    if (this.open?.kind !== kind || (key !== undefined && this.open.key !== key))
      out += this.openBlock(kind, kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' }, key);
    const delta = kind === 'text' ? { type: 'text_delta', text } : { type: 'thinking_delta', thinking: text };
    return out + sse('content_block_delta', { index: this.open!.index, delta });
  }

  /** A tool_use block for the model's call (`id` absent: one is made), with the arguments known so far. */
  openTool(id: string | undefined, name: string, args: string, key?: unknown): string {
    this.toolBlocks++;
    return this.openBlock('tool_use', { type: 'tool_use', id: id || this.ids('toolu'), name, input: {} }, key) + this.toolArgs(args);
  }

  /** More of the open tool_use block's arguments. */
  toolArgs(args: string): string {
    if (!args || this.open?.kind !== 'tool_use') return '';
    this.outputChars += args.length;
    return sse('content_block_delta', { index: this.open.index, delta: { type: 'input_json_delta', partial_json: args } });
  }

  /** The message's end: the open block closed, message_delta with `stopReason` and usage, message_stop. */
  finish(stopReason: string, usage: MessagesUsage | undefined): string {
    if (this.finished) return '';
    const out = this.start() + this.close();
    this.finished = true;
    return (
      out +
      sse('message_delta', {
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: usage ?? estimatedUsage(this.ctx, this.outputChars),
      }) +
      sse('message_stop', {})
    );
  }

  fail(status: number, message: string): string {
    if (this.finished) return '';
    this.finished = true;
    return sse('error', anthropicError(status, message));
  }
}

/** A server's counts → Anthropic usage: input_tokens excludes what the server read from its cache, as Anthropic counts. */
export function anthropicUsage(input: number, output: unknown, inputDetails: unknown): MessagesUsage {
  const cached = isObj(inputDetails) && typeof inputDetails.cached_tokens === 'number' ? inputDetails.cached_tokens : 0;
  return {
    input_tokens: Math.max(0, input - cached),
    output_tokens: typeof output === 'number' ? output : 0,
    cache_read_input_tokens: cached,
  };
}
