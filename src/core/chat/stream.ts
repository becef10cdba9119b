// A streamed answer turned into what VS Code's chat takes: text as it arrives, each tool call once it
// is complete, the end, or the server's own error. One reader per wire API.
import { parseJson } from '../net/http';
import type { SseEvent } from '../net/sse';
import type { ChatWire } from './wire';

export type ChatEvent =
  | { kind: 'text'; text: string }
  | { kind: 'toolCall'; callId: string; name: string; input: Record<string, unknown> }
  /** The answer is complete (`truncated`: cut at the output limit). */
  | { kind: 'done'; truncated?: boolean }
  /** The server reported a failure; `message` is its own text (unsanitized: the caller shows it). */
  | { kind: 'error'; message: string };

export interface ChatStreamReader {
  accept(ev: SseEvent): ChatEvent[];
  /** The body ended: a stream that never completed is an error. */
  end(): ChatEvent[];
}

export function readerFor(wire: ChatWire): ChatStreamReader {
  return wire === 'responses' ? new ResponsesReader() : new ChatCompletionsReader();
}

type Json = Record<string, unknown>;

function errorMessage(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const o = v as Json;
    if (typeof o.message === 'string') return o.message;
    if (o.error !== undefined) return errorMessage(o.error);
  }
  return undefined;
}

/** A call's arguments must be a JSON object (VS Code's LanguageModelToolCallPart input). */
function toolCall(callId: string, name: string, argText: string): ChatEvent {
  const parsed = parseJson(argText.trim() === '' ? '{}' : argText);
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value))
    return {
      kind: 'error',
      message: `the model called ${name} with arguments that are not a JSON object: ${argText.slice(0, 200)}`,
    };
  return { kind: 'toolCall', callId, name, input: parsed.value as Record<string, unknown> };
}

/** Frames that carry only `data: {...}`: llama.cpp reports a failure inside a stream that way. */
function frame(ev: SseEvent): { data?: Json; error?: string } {
  if (ev.other && 'error' in ev.other) {
    const p = parseJson(ev.other.error);
    return { error: (p.ok ? errorMessage(p.value) : undefined) ?? ev.other.error };
  }
  const p = parseJson(ev.data);
  if (!p.ok || typeof p.value !== 'object' || p.value === null) return {};
  return { data: p.value as Json };
}

/**
 * The Responses API: text from `response.output_text.delta` (or a message item's text when a server
 * sends no deltas), calls from `response.output_item.done`, the end at `response.completed`.
 */
class ResponsesReader implements ChatStreamReader {
  private finished = false;
  private readonly streamed = new Set<string>();
  private anyDelta = false;

  accept(ev: SseEvent): ChatEvent[] {
    if (this.finished) return [];
    const { data, error } = frame(ev);
    if (error !== undefined) return this.fail(error);
    if (!data) return [];
    const type = typeof data.type === 'string' ? data.type : ev.event;
    switch (type) {
      case 'response.output_text.delta':
        if (typeof data.delta !== 'string' || !data.delta) return [];
        this.anyDelta = true;
        if (typeof data.item_id === 'string') this.streamed.add(data.item_id);
        return [{ kind: 'text', text: data.delta }];
      case 'response.output_item.done': {
        const item = (data.item ?? {}) as Json;
        if (item.type === 'function_call')
          return [toolCall(String(item.call_id ?? item.id ?? ''), String(item.name ?? ''), String(item.arguments ?? ''))];
        const unstreamed = typeof item.id === 'string' ? !this.streamed.has(item.id) : !this.anyDelta;
        if (item.type === 'message' && unstreamed) {
          const text = messageText(item);
          return text ? [{ kind: 'text', text }] : [];
        }
        return [];
      }
      case 'response.completed':
        this.finished = true;
        return [{ kind: 'done' }];
      case 'response.incomplete':
        this.finished = true;
        return [{ kind: 'done', truncated: true }];
      case 'response.failed':
        return this.fail(errorMessage((data.response as Json | undefined)?.error) ?? 'the server sent response.failed');
      case 'error':
        return this.fail(errorMessage(data) ?? JSON.stringify(data).slice(0, 500));
      default:
        return type === undefined && 'error' in data ? this.fail(errorMessage(data) ?? 'error') : [];
    }
  }

  end(): ChatEvent[] {
    return this.finished ? [] : this.fail('the stream closed before the answer was complete');
  }

  private fail(message: string): ChatEvent[] {
    this.finished = true;
    return [{ kind: 'error', message }];
  }
}

function messageText(item: Json): string {
  const content = item.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return (content as Json[]).map(c => (typeof c?.text === 'string' ? c.text : '')).join('');
}

/**
 * Chat Completions: text from `choices[0].delta.content`, tool calls assembled from their pieces by
 * index and emitted once `finish_reason` comes, the end at `[DONE]` (or the body's end after a finish).
 */
class ChatCompletionsReader implements ChatStreamReader {
  private finished = false;
  private finishReason: string | undefined;
  private readonly calls = new Map<number, { id: string; name: string; args: string }>();

  accept(ev: SseEvent): ChatEvent[] {
    if (this.finished) return [];
    if (ev.data.trim() === '[DONE]') return this.finish();
    const { data, error } = frame(ev);
    if (error !== undefined) return this.fail(error);
    if (!data) return [];
    if (data.error !== undefined) return this.fail(errorMessage(data.error) ?? JSON.stringify(data.error).slice(0, 500));
    const choice = (Array.isArray(data.choices) ? data.choices[0] : undefined) as Json | undefined;
    if (!choice) return [];
    const out: ChatEvent[] = [];
    const delta = (choice.delta ?? {}) as Json;
    if (typeof delta.content === 'string' && delta.content) out.push({ kind: 'text', text: delta.content });
    if (Array.isArray(delta.tool_calls))
      for (const tc of delta.tool_calls as Json[]) {
        const index = typeof tc.index === 'number' ? tc.index : this.calls.size;
        const fn = (tc.function ?? {}) as Json;
        const c = this.calls.get(index) ?? { id: '', name: '', args: '' };
        if (typeof tc.id === 'string' && tc.id) c.id = tc.id;
        if (typeof fn.name === 'string') c.name += fn.name;
        if (typeof fn.arguments === 'string') c.args += fn.arguments;
        this.calls.set(index, c);
      }
    if (typeof choice.finish_reason === 'string') this.finishReason = choice.finish_reason;
    return out;
  }

  end(): ChatEvent[] {
    if (this.finished) return [];
    return this.finishReason !== undefined ? this.finish() : this.fail('the stream closed before the answer was complete');
  }

  private finish(): ChatEvent[] {
    this.finished = true;
    const calls = [...this.calls.entries()].sort(([a], [b]) => a - b).map(([i, c]) => toolCall(c.id || `call_${i}`, c.name, c.args));
    return [...calls, { kind: 'done', ...(this.finishReason === 'length' ? { truncated: true } : {}) }];
  }

  private fail(message: string): ChatEvent[] {
    this.finished = true;
    return [{ kind: 'error', message }];
  }
}
