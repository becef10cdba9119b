// A reader of Responses streams that judges them the way Codex 0.169 does, and the streamed Responses
// request the Codex stages send.
import { parseJson } from '../../net/http';
import type { SseEvent } from '../../net/sse';
import type { Diagnosis, StreamProblem } from '../../verify/types';
import { ctxOf, postSse, type RequestEnv, type SseResult, type StopWhen } from '../../verify/request';
import { diagnoseMessage, excerpt } from '../../verify/diagnose';

export type StreamResult = SseResult<StreamOutcome>;

export type OutputItem = Record<string, unknown> & { type?: string };

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

/** POSTs a streamed Responses request and reads it as Codex does. */
export async function postResponsesStream(
  env: RequestEnv,
  body: Record<string, unknown>,
  stopWhen?: StopWhen<StreamOutcome>,
): Promise<StreamResult> {
  return postSse(
    env,
    '/responses',
    body,
    t0 => new ResponsesStreamReader(() => performance.now() - t0),
    contentType =>
      `Asked for a stream, the server answered \`${contentType || 'no content type'}\` without any events; Codex reads only server-sent events and would fail with "stream closed before response.completed".`,
    stopWhen,
  );
}

/** The verifier's own output budget ended the response (not a failure Codex would see: it sets none). */
export function budgetReached(p: StreamProblem): boolean {
  return p.kind === 'incomplete' && (p.reason === 'max_output_tokens' || p.reason === 'length');
}

/**
 * Turns a stream's failure into a diagnosis (server error texts are classified like HTTP bodies).
 * `budget`: the request set a small output budget on purpose, so reaching it is no failure.
 */
export function diagnoseStream(outcome: StreamOutcome, env: RequestEnv, o: { budget?: boolean } = {}): Diagnosis | undefined {
  const problems = o.budget ? outcome.problems.filter(x => !budgetReached(x)) : outcome.problems;
  const p = problems.find(x => x.kind !== 'malformed') ?? problems[0];
  if (!p) return undefined;
  if (p.serverMessage) {
    const known = diagnoseMessage(p.serverMessage, ctxOf(env, '/responses'));
    if (known) return { ...known, message: `${known.message} (The server said so after the stream began: ${p.message}.)` };
    return {
      code: 'server-error',
      message: `${capital(p.message)}: "${excerpt(p.serverMessage)}". Codex ends the turn with an error.`,
      fix: { kind: 'openServerTerminal', label: 'Show the server terminal' },
    };
  }
  if (p.kind === 'incomplete')
    return { code: 'server-error', message: `${capital(p.message)}; Codex treats an incomplete response as an error.`, fix: null };
  if (p.kind === 'failed')
    return {
      code: 'server-error',
      message: `${capital(p.message)}.`,
      fix: { kind: 'openServerTerminal', label: 'Show the server terminal' },
    };
  return { code: 'stream-malformed', message: `${capital(p.message)}.`, fix: null };
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
