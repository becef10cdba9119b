// Server-sent events, parsed incrementally (WHATWG rules: CR/LF/CRLF line ends, `:` comments,
// multi-line `data:`), and a reader of Responses streams that judges them the way Codex 0.169 does.
import { parseJson } from '../net/http';

export interface SseEvent {
  event?: string;
  data: string;
  /** Fields other than event/data/id/retry (very old llama.cpp sent `error: {...}`). */
  other?: Record<string, string>;
}

export class SseParser {
  private buf = '';
  private event: string | undefined;
  private data: string[] = [];
  private other: Record<string, string> | undefined;
  private sawCr = false;

  /** Feeds a chunk; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    let text = chunk;
    // A CRLF split across chunks: the LF belongs to the CR already handled.
    if (this.sawCr && text.startsWith('\n')) text = text.slice(1);
    this.sawCr = false;
    this.buf += text;
    let start = 0;
    for (let i = 0; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (c !== '\n' && c !== '\r') continue;
      this.line(this.buf.slice(start, i), out);
      if (c === '\r') {
        if (i + 1 < this.buf.length) {
          if (this.buf[i + 1] === '\n') i++;
        } else this.sawCr = true;
      }
      start = i + 1;
    }
    this.buf = this.buf.slice(start);
    return out;
  }

  /** The event left without its blank line when the stream ended, if any. */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.buf) this.line(this.buf, out);
    this.buf = '';
    this.line('', out);
    return out;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.data.length || this.other)
        out.push({ event: this.event, data: this.data.join('\n'), ...(this.other ? { other: this.other } : {}) });
      this.event = undefined;
      this.data = [];
      this.other = undefined;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field !== 'id' && field !== 'retry') (this.other ??= {})[field] = value;
  }
}

export type OutputItem = Record<string, unknown> & { type?: string };

export interface StreamProblem {
  /** stream-malformed: the stream breaks Codex's rules; failed/incomplete/error: the server reported a failure. */
  kind: 'malformed' | 'failed' | 'incomplete' | 'error';
  message: string;
  /** The server's error text, when it sent one (classified by the caller). */
  serverMessage?: string;
  /** Why a response was incomplete (e.g. max_output_tokens). */
  reason?: string;
}

export interface StreamOutcome {
  completed: boolean;
  /** Items as Codex keeps them: from output_item.done (or response.completed's output when no done came). */
  items: OutputItem[];
  /** Text Codex would show: output_text of the message items. */
  text: string;
  /** Text streamed by deltas (what a user would have seen appear). */
  deltaText: string;
  problems: StreamProblem[];
  /** Frames that were not JSON (Codex skips them). */
  unparsable: number;
  eventCount: number;
  eventTypes: string[];
  usage?: { input_tokens?: number; output_tokens?: number };
  firstOutputAt?: number;
  firstItemAt?: number;
  /** When the last event before the first output item came (response.created, in_progress): Codex's idle timer restarted there. */
  lastEventBeforeItemAt?: number;
  /** When the response ended (response.completed, .incomplete or .failed). */
  endedAt?: number;
}

const TERMINAL_EVENTS = new Set(['response.completed', 'response.incomplete', 'response.failed']);

const DELTA_EVENTS = new Set([
  'response.output_text.delta',
  'response.function_call_arguments.delta',
  'response.reasoning_text.delta',
  'response.reasoning_summary_text.delta',
  'response.custom_tool_call_input.delta',
  'response.refusal.delta',
]);

/**
 * Judges a Responses stream event by event, as Codex reads it: a delta needs an active item
 * (output_item.added first; otherwise Codex logs "OutputTextDelta without active item" and ends
 * with empty output), response.completed must arrive, response.failed / response.incomplete and
 * `data: {"error":…}` are failures. Stops caring after response.completed, as Codex does.
 */
export class ResponsesStreamReader {
  readonly outcome: StreamOutcome = {
    completed: false,
    items: [],
    text: '',
    deltaText: '',
    problems: [],
    unparsable: 0,
    eventCount: 0,
    eventTypes: [],
  };
  private active = 0;
  private completedOutput: OutputItem[] | undefined;
  constructor(private readonly now: () => number = () => performance.now()) {}

  get done(): boolean {
    return this.outcome.completed || this.outcome.problems.some(p => p.kind !== 'malformed');
  }

  accept(ev: SseEvent): void {
    const o = this.outcome;
    if (this.done) return;
    if (ev.other && 'error' in ev.other) {
      o.problems.push({
        kind: 'error',
        message: 'the server sent an `error:` line instead of an event',
        serverMessage: errorText(parseJson(ev.other.error)) ?? ev.other.error,
      });
      return;
    }
    const parsed = parseJson(ev.data);
    if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null) {
      o.unparsable++;
      return;
    }
    const data = parsed.value as Record<string, unknown>;
    const type = typeof data.type === 'string' ? data.type : ev.event;
    o.eventCount++;
    if (type && TERMINAL_EVENTS.has(type)) o.endedAt ??= this.now();
    else if (
      o.firstItemAt === undefined &&
      type !== 'response.output_item.added' &&
      type !== 'response.output_item.done' &&
      !(type && DELTA_EVENTS.has(type))
    )
      o.lastEventBeforeItemAt = this.now();
    if (o.eventTypes.length < 400) o.eventTypes.push(type ?? '(no type)');
    if (type === undefined || type === 'error') {
      if ('error' in data || type === 'error') {
        o.problems.push({
          kind: 'error',
          message: 'the stream carried an error after it began',
          serverMessage: errorText({ ok: true, value: data }) ?? JSON.stringify(data).slice(0, 500),
        });
      }
      return;
    }
    if (DELTA_EVENTS.has(type)) {
      if (this.active <= 0) {
        o.problems.push({
          kind: 'malformed',
          message: `\`${type}\` arrived before any \`response.output_item.added\`: Codex drops it ("OutputTextDelta without active item") and ends the turn with empty output`,
        });
        return;
      }
      o.firstOutputAt ??= this.now();
      if (type === 'response.output_text.delta' && typeof data.delta === 'string') o.deltaText += data.delta;
      return;
    }
    switch (type) {
      case 'response.output_item.added':
        this.active++;
        o.firstItemAt ??= this.now();
        if ((data.item as OutputItem | undefined)?.type === 'function_call') o.firstOutputAt ??= this.now();
        return;
      case 'response.output_item.done': {
        this.active = Math.max(0, this.active - 1);
        o.firstItemAt ??= this.now();
        o.firstOutputAt ??= this.now();
        const item = data.item;
        if (item && typeof item === 'object') o.items.push(item as OutputItem);
        return;
      }
      case 'response.completed': {
        o.completed = true;
        const resp = (data.response ?? {}) as Record<string, unknown>;
        if (resp.usage && typeof resp.usage === 'object') o.usage = resp.usage as StreamOutcome['usage'];
        if (Array.isArray(resp.output)) this.completedOutput = resp.output as OutputItem[];
        this.finish();
        return;
      }
      case 'response.failed': {
        const resp = (data.response ?? {}) as Record<string, unknown>;
        const err = resp.error as { message?: unknown } | undefined;
        o.problems.push({
          kind: 'failed',
          message: 'the server sent response.failed',
          serverMessage: typeof err?.message === 'string' ? err.message : JSON.stringify(resp.error ?? data).slice(0, 500),
        });
        return;
      }
      case 'response.incomplete': {
        const resp = (data.response ?? {}) as Record<string, unknown>;
        const reason = (resp.incomplete_details as { reason?: unknown } | undefined)?.reason;
        // A response cut at its output budget still says how many tokens its prompt had.
        if (resp.usage && typeof resp.usage === 'object') o.usage = resp.usage as StreamOutcome['usage'];
        o.problems.push({
          kind: 'incomplete',
          message: `the server sent response.incomplete${typeof reason === 'string' ? ` (${reason})` : ''}`,
          reason: typeof reason === 'string' ? reason : undefined,
        });
        return;
      }
      default:
        return;
    }
  }

  /** Call when the body ended; records a missing response.completed. */
  end(): StreamOutcome {
    const o = this.outcome;
    if (!this.done)
      o.problems.push({
        kind: 'malformed',
        message: 'the stream closed before response.completed (Codex: "stream closed before response.completed")',
      });
    return o;
  }

  private finish(): void {
    const o = this.outcome;
    // Codex builds the turn from output_item.done; servers that send only response.completed's output still count.
    if (!o.items.length && this.completedOutput) o.items.push(...this.completedOutput);
    o.text = messageText(o.items);
  }
}

/** The assistant text of Responses output items (message → output_text parts). */
export function messageText(items: readonly OutputItem[]): string {
  const parts: string[] = [];
  for (const it of items) {
    if (it.type !== 'message' && !(it.type === undefined && it.role === 'assistant')) continue;
    const content = it.content;
    if (typeof content === 'string') parts.push(content);
    else if (Array.isArray(content))
      for (const p of content as Record<string, unknown>[])
        if (typeof p?.text === 'string' && (p.type === 'output_text' || p.type === undefined || p.type === 'text')) parts.push(p.text);
  }
  return parts.join('');
}

function errorText(p: ReturnType<typeof parseJson>): string | undefined {
  if (!p.ok || typeof p.value !== 'object' || p.value === null) return undefined;
  const v = p.value as Record<string, unknown>;
  const e = v.error ?? v;
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  return undefined;
}
