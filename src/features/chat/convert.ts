// VS Code's language-model parts to the plain turns core/chat sends, and streamed events back to
// VS Code's response parts. Only this file knows both shapes.
import * as vscode from 'vscode';
import type { ChatPart, ChatTool, ChatTurn } from '../../core/chat/wire';
import type { ChatEvent } from '../../core/chat/stream';

/** LanguageModelChatMessageRole: User 1, Assistant 2, and System 3 (a proposed role some callers send). */
function roleOf(role: number): ChatTurn['role'] {
  return role === 2 ? 'assistant' : role === 3 ? 'system' : 'user';
}

const decoder = new TextDecoder();
const isTextMime = (m: string) => m.startsWith('text/') || m === 'application/json';

function dataPart(p: vscode.LanguageModelDataPart): ChatPart | undefined {
  if (p.mimeType.startsWith('image/')) return { kind: 'image', mimeType: p.mimeType, base64: Buffer.from(p.data).toString('base64') };
  if (isTextMime(p.mimeType)) return { kind: 'text', text: decoder.decode(p.data) };
  // Other data (cache hints and the like) is for other vendors.
  return undefined;
}

/** A tool result's content as text: its text parts and text-like data; anything else is named, not sent. */
function resultText(content: readonly unknown[]): string {
  return content
    .map(c => {
      if (c instanceof vscode.LanguageModelTextPart) return c.value;
      if (c instanceof vscode.LanguageModelDataPart)
        return isTextMime(c.mimeType) ? decoder.decode(c.data) : `[${c.mimeType} content not sent]`;
      return '';
    })
    .join('');
}

export function toTurn(m: vscode.LanguageModelChatRequestMessage): ChatTurn {
  const parts: ChatPart[] = [];
  for (const c of m.content) {
    if (c instanceof vscode.LanguageModelTextPart) parts.push({ kind: 'text', text: c.value });
    else if (c instanceof vscode.LanguageModelToolCallPart)
      parts.push({ kind: 'toolCall', callId: c.callId, name: c.name, input: c.input });
    else if (c instanceof vscode.LanguageModelToolResultPart)
      parts.push({ kind: 'toolResult', callId: c.callId, text: resultText(c.content) });
    else if (c instanceof vscode.LanguageModelDataPart) {
      const p = dataPart(c);
      if (p) parts.push(p);
    }
    // Thinking parts and parts of proposed APIs are not sent back to the server.
  }
  return { role: roleOf(m.role), parts };
}

export function toTools(tools: readonly vscode.LanguageModelChatTool[] | undefined): ChatTool[] {
  return (tools ?? []).map(t => ({ name: t.name, description: t.description, ...(t.inputSchema ? { parameters: t.inputSchema } : {}) }));
}

export function toResponsePart(e: Extract<ChatEvent, { kind: 'text' | 'toolCall' }>): vscode.LanguageModelResponsePart {
  return e.kind === 'text' ? new vscode.LanguageModelTextPart(e.text) : new vscode.LanguageModelToolCallPart(e.callId, e.name, e.input);
}
