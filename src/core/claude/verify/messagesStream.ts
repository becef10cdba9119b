// Reads an Anthropic Messages stream the way Claude Code depends on it: message_start first, every
// content_block_delta inside a content_block_start/stop of the same index, message_delta with the
// stop reason, then message_stop; `ping` is ignored, `event: error` (llama.cpp after the stream began,
// Ollama, vLLM) is a failure carrying the server's text. Accumulates text, thinking and tool_use blocks.
import { parseJson } from '../../net/http';
import type { SseEvent } from '../../net/sse';
import type { StreamProblem } from '../../verify/types';

export interface MessagesBlock {
  type: string;
  text?: string;
  thinking?: string;
  signature?: string;
  id?: string;
  name?: string;
  /** tool_use: the JSON the input_json_delta pieces add up to. */
  inputJson?: string;
}

export interface MessagesOutcome {
  completed: boolean;
  blocks: MessagesBlock[];
  /** The text blocks, joined. */
  text: string;
  stopReason?: string;
  problems: StreamProblem[];
  unparsable: number;
  eventCount: number;
  eventTypes: string[];
  usage?: { input_tokens?: number; output_tokens?: number };
  /** First text, thinking or tool delta. */
  firstOutputAt?: number;
  /** First content_block_start: how long the server spent on the prompt. */
  firstItemAt?: number;
}

export class MessagesStreamReader {
  readonly outcome: MessagesOutcome = {
    completed: false,
    blocks: [],
    text: '',
    problems: [],
    unparsable: 0,
    eventCount: 0,
    eventTypes: [],
  };
  private started = false;
  private readonly open = new Map<number, MessagesBlock>();
  constructor(private readonly now: () => number = () => performance.now()) {}

  get done(): boolean {
    return this.outcome.completed || this.outcome.problems.some(p => p.kind !== 'malformed');
  }

  private malformed(message: string): void {
    if (!this.outcome.problems.some(p => p.message === message)) this.outcome.problems.push({ kind: 'malformed', message });
  }

  accept(ev: SseEvent): void {
    const o = this.outcome;
    if (this.done) return;
    if (ev.other && 'error' in ev.other) {
      o.problems.push({
        kind: 'error',
        message: 'the server sent an `error:` line instead of an event',
        serverMessage: errorText(ev.other.error) ?? ev.other.error,
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
    if (o.eventTypes.length < 400) o.eventTypes.push(type ?? '(no type)');
    if (type === 'error' || (type === undefined && 'error' in data)) {
      o.problems.push({
        kind: 'error',
        message: 'the stream carried an error event',
        serverMessage: errorText(ev.data) ?? ev.data.slice(0, 500),
      });
      return;
    }
    if (type === 'ping') return;
    if (type === 'message_start') {
      this.started = true;
      const usage = (data.message as { usage?: Record<string, unknown> } | undefined)?.usage;
      if (usage)
        o.usage = { input_tokens: num(usage.input_tokens) + num(usage.cache_read_input_tokens), output_tokens: num(usage.output_tokens) };
      return;
    }
    if (!this.started) this.malformed(`\`${type}\` arrived before \`message_start\``);
    const index = typeof data.index === 'number' ? data.index : -1;
    switch (type) {
      case 'content_block_start': {
        const b = (data.content_block ?? {}) as Record<string, unknown>;
        const block: MessagesBlock = { type: String(b.type ?? 'unknown') };
        if (block.type === 'text') block.text = typeof b.text === 'string' ? b.text : '';
        if (block.type === 'thinking') block.thinking = typeof b.thinking === 'string' ? b.thinking : '';
        if (block.type === 'tool_use') {
          block.id = typeof b.id === 'string' ? b.id : undefined;
          block.name = typeof b.name === 'string' ? b.name : undefined;
          block.inputJson = '';
        }
        this.open.set(index, block);
        o.blocks.push(block);
        o.firstItemAt ??= this.now();
        if (block.type === 'tool_use') o.firstOutputAt ??= this.now();
        return;
      }
      case 'content_block_delta': {
        const block = this.open.get(index);
        const d = (data.delta ?? {}) as Record<string, unknown>;
        if (!block) {
          this.malformed(
            `a \`content_block_delta\` (${String(d.type)}) for block ${index} arrived without its \`content_block_start\`: Claude Code drops it, so the answer it shows is incomplete or empty`,
          );
          return;
        }
        o.firstOutputAt ??= this.now();
        if (d.type === 'text_delta' && typeof d.text === 'string') block.text = (block.text ?? '') + d.text;
        else if (d.type === 'thinking_delta' && typeof d.thinking === 'string') block.thinking = (block.thinking ?? '') + d.thinking;
        else if (d.type === 'signature_delta' && typeof d.signature === 'string') block.signature = (block.signature ?? '') + d.signature;
        else if (d.type === 'input_json_delta' && typeof d.partial_json === 'string')
          block.inputJson = (block.inputJson ?? '') + d.partial_json;
        return;
      }
      case 'content_block_stop':
        if (!this.open.delete(index)) this.malformed(`\`content_block_stop\` for block ${index}, which never started`);
        return;
      case 'message_delta': {
        const d = (data.delta ?? {}) as Record<string, unknown>;
        if (typeof d.stop_reason === 'string') o.stopReason = d.stop_reason;
        const usage = data.usage as Record<string, unknown> | undefined;
        if (usage && typeof usage.output_tokens === 'number') o.usage = { ...o.usage, output_tokens: usage.output_tokens };
        return;
      }
      case 'message_stop':
        o.completed = true;
        o.text = o.blocks
          .filter(b => b.type === 'text')
          .map(b => b.text ?? '')
          .join('');
        return;
      default:
        return;
    }
  }

  /** Call when the body ended; records a missing message_stop. */
  end(): MessagesOutcome {
    const o = this.outcome;
    if (!this.done) {
      o.text = o.blocks
        .filter(b => b.type === 'text')
        .map(b => b.text ?? '')
        .join('');
      this.malformed(this.started ? 'the stream ended before `message_stop`' : 'the stream ended without `message_start`');
    }
    return o;
  }
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

/** The message of {"type":"error","error":{…}}, {"error":{…}} or {"error":"…"}. */
function errorText(raw: string): string | undefined {
  const p = parseJson(raw);
  if (!p.ok || typeof p.value !== 'object' || p.value === null) return undefined;
  const v = p.value as Record<string, unknown>;
  const e = v.error ?? v;
  if (typeof e === 'string') return e;
  if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  return undefined;
}
