// A chat-completions stream (or a whole completion) → the Responses events Codex 0.169 reads, in the
// order it expects them: response.created, then per output item output_item.added → its deltas →
// output_item.done (a delta with no item open is dropped by Codex: "OutputTextDelta without active
// item"), then response.completed with usage (or response.incomplete when the output budget ran
// out, response.failed when the upstream failed). Codex builds the turn from output_item.done, so
// each item is whole there; the model's calls to flattened tools go back in the form Codex runs.
import type { ChatRequestPlan, StreamTranslator } from '../adapter';
import { CUSTOM_INPUT_ARG, type ResponsesContext } from './request';

/** Ids for responses and items (`resp`, `msg`, `rs`, `fc`, `call`): unique within a bridge's life. */
export type IdSource = (prefix: string) => string;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const sse = (type: string, data: Obj): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** Chat usage → Responses usage. */
export function responsesUsage(u: unknown): Obj | undefined {
  if (!isObj(u)) return undefined;
  const input = typeof u.prompt_tokens === 'number' ? u.prompt_tokens : 0;
  const output = typeof u.completion_tokens === 'number' ? u.completion_tokens : 0;
  const cached =
    isObj(u.prompt_tokens_details) && typeof u.prompt_tokens_details.cached_tokens === 'number' ? u.prompt_tokens_details.cached_tokens : 0;
  const reasoning =
    isObj(u.completion_tokens_details) && typeof u.completion_tokens_details.reasoning_tokens === 'number'
      ? u.completion_tokens_details.reasoning_tokens
      : 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: typeof u.total_tokens === 'number' ? u.total_tokens : input + output,
  };
}

/** The model's call as Codex runs it: a function call (in its namespace when flattened) or a custom tool call. */
export function callItem(ctx: ResponsesContext, id: string, callId: string, name: string, args: string): Obj {
  const origin = ctx.tools.get(name);
  if (origin?.kind === 'custom') {
    let input = args;
    try {
      const parsed = JSON.parse(args) as unknown;
      if (isObj(parsed) && typeof parsed[CUSTOM_INPUT_ARG] === 'string') input = parsed[CUSTOM_INPUT_ARG];
    } catch {
      // Not JSON: the model wrote the input itself, which is what a freeform tool takes.
    }
    return { type: 'custom_tool_call', id, status: 'completed', call_id: callId, name: origin.name, input };
  }
  const item: Obj = { type: 'function_call', id, status: 'completed', call_id: callId, name, arguments: args };
  if (origin?.kind === 'namespace') {
    item.name = origin.name;
    item.namespace = origin.namespace;
  }
  return item;
}

/** Reasoning text of a chat delta or message: llama.cpp and DeepSeek say `reasoning_content`, vLLM `reasoning`. */
const reasoningOf = (m: Obj): string | undefined => str(m.reasoning_content) ?? str(m.reasoning);

interface OpenItem {
  kind: 'reasoning' | 'message' | 'call';
  index: number;
  id: string;
  text: string;
  /** Calls: their upstream tool index, call id and name (the name only once known). */
  toolIndex?: number;
  callId?: string;
  name?: string;
  added?: boolean;
}

export class ResponsesTranslator implements StreamTranslator {
  private readonly ctx: ResponsesContext;
  private readonly responseId: string;
  private started = false;
  private finished = false;
  private readonly output: Obj[] = [];
  private current: OpenItem | undefined;
  private readonly calls = new Map<number, OpenItem>();
  private usage: Obj | undefined;
  private finishReason: string | undefined;
  private model: string;

  constructor(
    plan: ChatRequestPlan,
    private readonly ids: IdSource,
  ) {
    this.ctx = plan.context as ResponsesContext;
    this.model = this.ctx.model;
    this.responseId = ids('resp');
  }

  private response(status: string, extra: Obj = {}): Obj {
    return {
      id: this.responseId,
      object: 'response',
      status,
      model: this.model,
      output: status === 'in_progress' ? [] : this.output,
      ...extra,
    };
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    return (
      sse('response.created', { response: this.response('in_progress') }) +
      sse('response.in_progress', { response: this.response('in_progress') })
    );
  }

  chunk(chunk: unknown): string {
    if (this.finished || !isObj(chunk)) return '';
    let out = this.start();
    if (str(chunk.model)) this.model = chunk.model as string;
    if (chunk.usage !== undefined && chunk.usage !== null) this.usage = responsesUsage(chunk.usage);
    const choice = Array.isArray(chunk.choices) ? chunk.choices.find(c => isObj(c) && (c.index ?? 0) === 0) : undefined;
    if (!isObj(choice)) return out;
    const delta = isObj(choice.delta) ? choice.delta : {};
    const reasoning = reasoningOf(delta);
    if (reasoning) out += this.text('reasoning', reasoning);
    const content = str(delta.content);
    if (content) out += this.text('message', content);
    if (Array.isArray(delta.tool_calls)) for (const tc of delta.tool_calls) if (isObj(tc)) out += this.toolDelta(tc);
    if (str(choice.finish_reason)) this.finishReason = choice.finish_reason as string;
    return out;
  }

  /** Text for the open item of `kind`, opening it (and closing another) first. */
  private text(kind: 'reasoning' | 'message', delta: string): string {
    let out = '';
    if (this.current?.kind !== kind) {
      out += this.closeCurrent();
      const id = this.ids(kind === 'message' ? 'msg' : 'rs');
      this.current = { kind, index: this.output.length + this.pending(), id, text: '' };
      if (kind === 'message') {
        out += sse('response.output_item.added', {
          output_index: this.current.index,
          item: { type: 'message', id, status: 'in_progress', role: 'assistant', content: [] },
        });
        out += sse('response.content_part.added', {
          item_id: id,
          output_index: this.current.index,
          content_index: 0,
          part: { type: 'output_text', text: '', annotations: [] },
        });
      } else
        out += sse('response.output_item.added', {
          output_index: this.current.index,
          item: { type: 'reasoning', id, summary: [], content: [] },
        });
    }
    const item = this.current!;
    item.text += delta;
    // The hot path of a long answer: one event per token, written from a template (ids are plain ASCII).
    const type = kind === 'message' ? 'response.output_text.delta' : 'response.reasoning_text.delta';
    return `${out}event: ${type}\ndata: {"type":"${type}","item_id":"${item.id}","output_index":${item.index},"content_index":0,"delta":${JSON.stringify(delta)}}\n\n`;
  }

  /** Calls opened but not yet done: they hold output indexes. */
  private pending(): number {
    let n = 0;
    for (const c of this.calls.values()) if (c.added) n++;
    return n;
  }

  private closeCurrent(): string {
    const item = this.current;
    if (!item) return '';
    this.current = undefined;
    if (item.kind === 'reasoning') {
      const done = { type: 'reasoning', id: item.id, summary: [], content: [{ type: 'reasoning_text', text: item.text }] };
      this.output.push(done);
      return sse('response.output_item.done', { output_index: item.index, item: done });
    }
    const part = { type: 'output_text', text: item.text, annotations: [] };
    const done = { type: 'message', id: item.id, status: 'completed', role: 'assistant', content: [part] };
    this.output.push(done);
    return (
      sse('response.output_text.done', { item_id: item.id, output_index: item.index, content_index: 0, text: item.text }) +
      sse('response.content_part.done', { item_id: item.id, output_index: item.index, content_index: 0, part }) +
      sse('response.output_item.done', { output_index: item.index, item: done })
    );
  }

  private toolDelta(tc: Obj): string {
    const toolIndex = typeof tc.index === 'number' ? tc.index : this.calls.size;
    const fn = isObj(tc.function) ? tc.function : {};
    let out = '';
    let call = this.calls.get(toolIndex);
    if (!call) {
      out += this.closeCurrent();
      call = { kind: 'call', index: -1, id: this.ids('fc'), text: '', toolIndex };
      this.calls.set(toolIndex, call);
    }
    if (str(tc.id) && !call.callId) call.callId = tc.id as string;
    // The name comes once, in a call's first piece; llama-cpp-python repeats it (and the id) in every
    // piece, which must not make it `fnfnfn`.
    if (str(fn.name) && call.name === undefined) call.name = fn.name as string;
    const args = str(fn.arguments) ?? '';
    call.text += args;
    if (!call.added && call.name) {
      call.added = true;
      call.callId ??= this.ids('call');
      call.index = this.output.length + this.pending() - 1;
      const item = callItem(this.ctx, call.id, call.callId, call.name, '');
      out += sse('response.output_item.added', { output_index: call.index, item: { ...item, status: 'in_progress' } });
      // Arguments that came before the name, then the rest as they come (a custom tool's input is whole at the end).
      if (call.text && item.type === 'function_call')
        out += sse('response.function_call_arguments.delta', { item_id: call.id, output_index: call.index, delta: call.text });
    } else if (call.added && args && this.ctx.tools.get(call.name!)?.kind !== 'custom')
      out += sse('response.function_call_arguments.delta', { item_id: call.id, output_index: call.index, delta: args });
    return out;
  }

  private closeCalls(): string {
    let out = '';
    const calls = [...this.calls.values()].sort((a, b) => a.index - b.index);
    this.calls.clear();
    for (const call of calls) {
      if (!call.added) continue;
      const item = callItem(this.ctx, call.id, call.callId!, call.name!, call.text);
      if (item.type === 'function_call')
        out += sse('response.function_call_arguments.done', { item_id: call.id, output_index: call.index, arguments: call.text });
      this.output.push(item);
      out += sse('response.output_item.done', { output_index: call.index, item });
    }
    return out;
  }

  end(): string {
    if (this.finished) return '';
    let out = this.start() + this.closeCurrent() + this.closeCalls();
    this.finished = true;
    const usage = this.usage ? { usage: this.usage } : {};
    if (this.finishReason === 'length')
      out += sse('response.incomplete', {
        response: this.response('incomplete', { incomplete_details: { reason: 'max_output_tokens' }, ...usage }),
      });
    else out += sse('response.completed', { response: this.response('completed', usage) });
    return out;
  }

  fail(status: number, message: string): string {
    if (this.finished) return '';
    this.finished = true;
    // A refusal before the stream (a full context, a bad request) is an HTTP error, not this: here the
    // upstream failed or went silent, which Codex shows with the message.
    const code = status === 0 ? 'upstream_unreachable' : 'server_error';
    return this.start() + sse('response.failed', { response: this.response('failed', { error: { code, message } }) });
  }
}

/** A whole chat completion → a Responses body. */
export function completeResponse(plan: ChatRequestPlan, completion: unknown, ids: IdSource): Obj {
  const ctx = plan.context as ResponsesContext;
  const c = isObj(completion) ? completion : {};
  const choice = Array.isArray(c.choices) && isObj(c.choices[0]) ? c.choices[0] : {};
  const msg = isObj(choice.message) ? choice.message : {};
  const output: Obj[] = [];
  const reasoning = reasoningOf(msg);
  if (reasoning) output.push({ type: 'reasoning', id: ids('rs'), summary: [], content: [{ type: 'reasoning_text', text: reasoning }] });
  const text = str(msg.content);
  if (text)
    output.push({
      type: 'message',
      id: ids('msg'),
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text, annotations: [] }],
    });
  if (Array.isArray(msg.tool_calls))
    for (const tc of msg.tool_calls.filter(isObj)) {
      const fn = isObj(tc.function) ? tc.function : {};
      output.push(callItem(ctx, ids('fc'), str(tc.id) ?? ids('call'), str(fn.name) ?? '', str(fn.arguments) ?? '{}'));
    }
  const usage = responsesUsage(c.usage);
  const incomplete = choice.finish_reason === 'length';
  return {
    id: ids('resp'),
    object: 'response',
    status: incomplete ? 'incomplete' : 'completed',
    ...(incomplete ? { incomplete_details: { reason: 'max_output_tokens' } } : {}),
    model: str(c.model) ?? ctx.model,
    output,
    ...(usage ? { usage } : {}),
  };
}
