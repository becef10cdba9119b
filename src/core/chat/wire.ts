// A chat request from VS Code, as the server's wire API takes it: the Responses API where the server
// has it, Chat Completions otherwise. The feature turns VS Code's message parts into ChatTurns; this
// module knows nothing of VS Code.
//
// Seam for routes that need a bridge (src/core/bridge): a bridge is one more ChatWire with its own
// path, body and stream reader (stream.ts readerFor), chosen by chooseWire.
import type { VerificationSummary } from '../route/routeHealth';

export type ChatWire = 'responses' | 'chat-completions';

export type ChatPart =
  | { kind: 'text'; text: string }
  | { kind: 'image'; mimeType: string; base64: string }
  | { kind: 'toolCall'; callId: string; name: string; input: unknown }
  /** A tool's result as text (VS Code's text parts joined; other parts are named, not sent). */
  | { kind: 'toolResult'; callId: string; text: string };

export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  parts: ChatPart[];
}

export interface ChatTool {
  name: string;
  description: string;
  /** JSON schema of the input; VS Code allows none. */
  parameters?: object;
}

export interface ChatRequest {
  model: string;
  turns: ChatTurn[];
  tools: ChatTool[];
  /** VS Code's LanguageModelChatToolMode: Auto, or Required (a tool must be called). */
  toolChoice: 'auto' | 'required';
  maxOutputTokens: number;
  /** The few model options passed on (VS Code's modelOptions are vendor specific). */
  temperature?: number;
  topP?: number;
}

/** The modelOptions this provider honours; anything else is ignored. */
export function modelOptionsOf(o: { readonly [name: string]: unknown } | undefined): Pick<ChatRequest, 'temperature' | 'topP'> {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const temperature = num(o?.temperature);
  const topP = num(o?.top_p ?? o?.topP);
  return { ...(temperature !== undefined ? { temperature } : {}), ...(topP !== undefined ? { topP } : {}) };
}

/**
 * The wire to try first: what was learned from this server in this window, else what its last
 * verification said (no Responses API), else the Responses API.
 */
export function chooseWire(learned: ChatWire | undefined, codex: VerificationSummary | undefined): ChatWire {
  if (learned) return learned;
  return codex?.diagnosis === 'responses-api-missing' ? 'chat-completions' : 'responses';
}

export const WIRE_PATHS: Record<ChatWire, string> = { responses: '/responses', 'chat-completions': '/chat/completions' };

const dataUrl = (p: { mimeType: string; base64: string }) => `data:${p.mimeType};base64,${p.base64}`;
const args = (input: unknown) => JSON.stringify(input ?? {});

export function requestBody(wire: ChatWire, r: ChatRequest): Record<string, unknown> {
  return wire === 'responses' ? responsesBody(r) : chatCompletionsBody(r);
}

export function responsesBody(r: ChatRequest): Record<string, unknown> {
  const input: Record<string, unknown>[] = [];
  for (const turn of r.turns) {
    let content: Record<string, unknown>[] = [];
    const flush = () => {
      if (!content.length) return;
      input.push({ type: 'message', role: turn.role, content });
      content = [];
    };
    for (const p of turn.parts) {
      switch (p.kind) {
        case 'text':
          content.push({ type: turn.role === 'assistant' ? 'output_text' : 'input_text', text: p.text });
          break;
        case 'image':
          content.push({ type: 'input_image', image_url: dataUrl(p) });
          break;
        case 'toolCall':
          flush();
          input.push({ type: 'function_call', call_id: p.callId, name: p.name, arguments: args(p.input) });
          break;
        case 'toolResult':
          flush();
          input.push({ type: 'function_call_output', call_id: p.callId, output: p.text });
          break;
      }
    }
    flush();
  }
  return {
    model: r.model,
    input,
    stream: true,
    store: false,
    max_output_tokens: r.maxOutputTokens,
    ...toolFields(r, t => ({ type: 'function', name: t.name, description: t.description, parameters: t.parameters ?? OPEN_OBJECT })),
    ...samplingFields(r),
  };
}

export function chatCompletionsBody(r: ChatRequest): Record<string, unknown> {
  const messages: Record<string, unknown>[] = [];
  for (const turn of r.turns) {
    if (turn.role === 'assistant') {
      const text = turn.parts.flatMap(p => (p.kind === 'text' ? [p.text] : [])).join('');
      const calls = turn.parts.flatMap(p =>
        p.kind === 'toolCall' ? [{ id: p.callId, type: 'function', function: { name: p.name, arguments: args(p.input) } }] : [],
      );
      messages.push({ role: 'assistant', content: text || (calls.length ? null : ''), ...(calls.length ? { tool_calls: calls } : {}) });
      continue;
    }
    // A tool message must follow the assistant message that made the call; the turn's text comes after.
    let content: Record<string, unknown>[] = [];
    const flush = () => {
      if (!content.length) return;
      const onlyText = content.every(c => c.type === 'text');
      messages.push({ role: turn.role, content: onlyText ? content.map(c => c.text).join('') : content });
      content = [];
    };
    for (const p of turn.parts) {
      if (p.kind === 'toolResult') {
        flush();
        messages.push({ role: 'tool', tool_call_id: p.callId, content: p.text });
      } else if (p.kind === 'text') content.push({ type: 'text', text: p.text });
      else if (p.kind === 'image') content.push({ type: 'image_url', image_url: { url: dataUrl(p) } });
    }
    flush();
  }
  return {
    model: r.model,
    messages,
    stream: true,
    max_tokens: r.maxOutputTokens,
    ...toolFields(r, t => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: t.parameters ?? OPEN_OBJECT },
    })),
    ...samplingFields(r),
  };
}

/** VS Code lets a tool declare no input schema; servers want an object schema. */
const OPEN_OBJECT = { type: 'object', properties: {} };

/** No `tools` at all when none are offered (some servers refuse an empty list). */
function toolFields(r: ChatRequest, shape: (t: ChatTool) => Record<string, unknown>): Record<string, unknown> {
  return r.tools.length ? { tools: r.tools.map(shape), tool_choice: r.toolChoice } : {};
}

function samplingFields(r: ChatRequest): Record<string, unknown> {
  return { ...(r.temperature !== undefined ? { temperature: r.temperature } : {}), ...(r.topP !== undefined ? { top_p: r.topP } : {}) };
}

/** The text a turn carries, for token counting: what the server will read, tool calls and results included. */
export function turnText(turn: ChatTurn): string {
  return turn.parts
    .map(p => {
      switch (p.kind) {
        case 'text':
          return p.text;
        case 'toolCall':
          return `${p.name} ${args(p.input)}`;
        case 'toolResult':
          return p.text;
        case 'image':
          return '';
      }
    })
    .join('\n');
}
