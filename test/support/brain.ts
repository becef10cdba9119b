// The "model" behind a scripted server: decides what to answer, independent of wire format.
import type { ScriptedServer } from './scripted-server';

export type OutputItem =
  | { type: 'message'; text: string }
  | {
      type: 'function_call';
      name: string;
      arguments: string;
      callId?: string;
      /** Responses `namespace` of the called tool (Codex MCP tools: `mcp__<server>`). */ namespace?: string;
    }
  | { type: 'reasoning'; text: string };

export type BrainReply =
  | {
      kind: 'output';
      items: OutputItem[];
      inputTokens?: number;
      /** Wait this long before answering (prompt processing). */ promptDelayMs?: number;
    }
  /** An error or odd answer sent as JSON with this status. */
  | { kind: 'http'; status: number; body: unknown; headers?: Record<string, string> }
  /** Anything at all, byte for byte (text/plain 404s, broken bodies). */
  | { kind: 'raw'; status: number; body: string; headers?: Record<string, string> }
  /** A hand-written SSE stream: each frame is written as is, in order, `delayMs` apart. */
  | { kind: 'sse'; frames: string[]; delayMs?: number; hang?: boolean };

export interface BrainTurn {
  api: 'responses' | 'chat';
  request: Record<string, unknown>;
  server: ScriptedServer;
}

export type Brain = (turn: BrainTurn) => BrainReply | Promise<BrainReply>;

type Item = Record<string, unknown>;

export function inputItems(request: Record<string, unknown>): Item[] {
  const input = request.input ?? request.messages;
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  return Array.isArray(input) ? (input as Item[]) : [];
}

export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(p => (typeof p === 'string' ? p : String((p as { text?: unknown }).text ?? ''))).join('');
  return '';
}

export function toolNames(request: Record<string, unknown>): string[] {
  const tools = Array.isArray(request.tools) ? (request.tools as Item[]) : [];
  return tools.map(t => String(t.name ?? (t.function as Item | undefined)?.name ?? t.type ?? ''));
}

/** The namespace a tool is offered under ('' for a top-level function); undefined when it is not offered. */
export function namespaceOf(request: Record<string, unknown>, name: string): string | undefined {
  const tools = Array.isArray(request.tools) ? (request.tools as Item[]) : [];
  for (const t of tools) {
    if (t.type === 'namespace' && Array.isArray(t.tools) && (t.tools as Item[]).some(x => x.name === name)) return String(t.name);
    if ((t.name ?? (t.function as Item | undefined)?.name) === name) return '';
  }
  return undefined;
}

/** Prompt tokens as a real server counts them, roughly: the messages AND the tool definitions
 * (llama.cpp and Ollama render tools into the prompt), plus `instructions`; about 4 characters a token. */
export function estimateTokens(request: Record<string, unknown>): number {
  const parts = [request.input ?? request.messages ?? '', request.tools ?? [], request.instructions ?? ''];
  return Math.ceil(parts.reduce<number>((n, p) => n + (typeof p === 'string' ? p.length : JSON.stringify(p).length), 0) / 4);
}

/** The tool output Codex sends back looks like "Exit code: 0\nWall time: …\nOutput:\n<stdout>\n". */
export function stdoutOf(output: string): string {
  const i = output.lastIndexOf('Output:\n');
  return (i >= 0 ? output.slice(i + 'Output:\n'.length) : output).trim();
}

/** A model that does what it is asked: echoes "Reply with exactly: X", reads files through tools. */
export const healthyBrain: Brain = ({ request }) => {
  const items = inputItems(request);
  const last = items[items.length - 1] ?? {};
  const inputTokens = estimateTokens(request);
  if (last.type === 'function_call_output' || last.role === 'tool') {
    const out = typeof last.output === 'string' ? last.output : textOf(last.output ?? last.content);
    return { kind: 'output', items: [{ type: 'message', text: stdoutOf(out) }], inputTokens };
  }
  const userText = [...items].reverse().find(i => i.role === 'user');
  const text = textOf(userText?.content);
  // "If you have a tool named X, call it…": a namespace tool (Codex's MCP tools) is called with its namespace.
  const named = /tool named (\w+), call it with id "(\w+)"/.exec(text);
  if (named) {
    const ns = namespaceOf(request, named[1]);
    if (ns !== undefined)
      return {
        kind: 'output',
        items: [{ type: 'function_call', name: named[1], ...(ns ? { namespace: ns } : {}), arguments: JSON.stringify({ id: named[2] }) }],
        inputTokens,
      };
  }
  const exact = /Reply with exactly:\s*(\S+)/.exec(text);
  if (exact) return { kind: 'output', items: [{ type: 'message', text: exact[1] }], inputTokens };
  const path = /(\/[\w./-]*[\w])/.exec(text)?.[1];
  const names = toolNames(request);
  if (path && names.includes('exec_command'))
    return {
      kind: 'output',
      items: [{ type: 'function_call', name: 'exec_command', arguments: JSON.stringify({ cmd: `cat ${path}` }) }],
      inputTokens,
    };
  if (path && names.includes('read_file'))
    return { kind: 'output', items: [{ type: 'function_call', name: 'read_file', arguments: JSON.stringify({ path }) }], inputTokens };
  // Claude Code's Read tool, as a chat-completions function (through the route bridge).
  if (path && names.includes('Read'))
    return {
      kind: 'output',
      items: [{ type: 'function_call', name: 'Read', arguments: JSON.stringify({ file_path: path }) }],
      inputTokens,
    };
  return { kind: 'output', items: [{ type: 'message', text: 'OK' }], inputTokens };
};
