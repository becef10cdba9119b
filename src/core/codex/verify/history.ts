// A later Codex turn: the conversation so far sent back as input items, then a developer message
// in the middle of the session, as the real Codex 0.169 sends them (recorded on the wire with
// `codex exec` and `codex exec … resume --last`):
// - every turn repeats the whole history: the first turn's messages, the model's output items and
//   each function_call_output;
// - output items go back as the server sent them, with two changes: a `reasoning` item loses its
//   `status` (Codex keeps id, summary, content, encrypted_content), and Codex adds ids of its own to
//   the items it writes (messages, function_call_output);
// - an exec_command result is a string; an MCP tool's result is a list of `input_text` parts;
// - when the permissions change between turns (`/permissions`, `/approvals`, a resume with another
//   `-s`), the next turn carries a new developer message AFTER the conversation, then a fresh
//   environment context and the prompt. Strict chat templates refuse that system message.
import { randomBytes } from 'node:crypto';
import { codexPrefix, codexTools, CODEX_REQUEST_FIELDS, inputMessage, type CodexProfileShape } from './shape';
import { generatedInstructions } from '../../verify/filler';
import { execOutput } from '../../verify/toolcall';
import type { OutputItem } from './responsesStream';

/** The Codex probe tool used to tell how a server treats Codex's MCP (namespace) tools. */
export const PROBE_NAMESPACE = 'mcp__lmr_probe';
export const LOOKUP_TOOL = {
  type: 'function',
  name: 'lookup_ticket',
  description: 'Looks up a ticket in the team tracker by its id and returns its title and state.',
  strict: false,
  parameters: { type: 'object', properties: { id: { type: 'string', description: 'Ticket id, digits only.' } }, required: ['id'] },
} as const;
/** Shaped as Codex 0.169 sends an MCP server's tools (`[mcp_servers.<name>]` → namespace `mcp__<name>`). */
export const MCP_NAMESPACE_TOOL = {
  type: 'namespace',
  name: PROBE_NAMESPACE,
  description: `Tools in the ${PROBE_NAMESPACE} namespace.`,
  tools: [LOOKUP_TOOL],
} as const;

/** What one earlier turn produced: the model's items around its tool call, and the call's output. */
export interface TurnHistory {
  /** The items of the response that made the call (reasoning, the function_call itself), as the server sent them. */
  callItems: OutputItem[];
  /** The call the history answers (one of callItems). */
  call: OutputItem;
  /** What Codex sent back for it. */
  output: string | { type: string; text?: string }[];
  /** The items of the final answer (reasoning, the message). */
  answerItems: OutputItem[];
  /** False when the verifier made these items up (the tool-call stage did not finish). */
  recorded: boolean;
}

/** Ids like Codex's own (unique per item; one random draw per request is enough). */
function idMaker(): (prefix: string) => string {
  const base = randomBytes(8).toString('hex');
  let n = 0;
  return prefix => `${prefix}_${base}${(n++).toString(16).padStart(4, '0')}`;
}

/** One output item as Codex 0.169 sends it back in the next request. */
export function replayItem(item: OutputItem): Record<string, unknown> {
  const it = item as Record<string, unknown>;
  switch (it.type) {
    case 'reasoning': {
      // Codex drops `status` from reasoning items (recorded); vLLM 0.19.1 then refuses them.
      const out: Record<string, unknown> = { type: 'reasoning' };
      for (const k of ['id', 'summary', 'content', 'encrypted_content']) if (it[k] !== undefined) out[k] = it[k];
      out.summary ??= [];
      return out;
    }
    case 'function_call': {
      const out: Record<string, unknown> = { type: 'function_call' };
      for (const k of ['status', 'id', 'name', 'namespace', 'arguments', 'call_id']) if (it[k] !== undefined) out[k] = it[k];
      return out;
    }
    case 'message': {
      const out: Record<string, unknown> = { type: 'message' };
      for (const k of ['status', 'id', 'role', 'content']) if (it[k] !== undefined) out[k] = it[k];
      out.role ??= 'assistant';
      return out;
    }
    default:
      return { ...it };
  }
}

/**
 * A history made up by the verifier when no real one is at hand: an exec_command read and its
 * answer, each after a reasoning item when the server was seen to reason (Codex sends those back too).
 */
export function syntheticHistory(file: string, token: string, reasoning?: OutputItem): TurnHistory {
  const call = {
    type: 'function_call',
    status: 'completed',
    id: 'fc_verify_history',
    name: 'exec_command',
    arguments: JSON.stringify({ cmd: `cat ${file}` }),
    call_id: 'call_verify_history',
  } as unknown as OutputItem;
  const answer = {
    type: 'message',
    status: 'completed',
    id: 'msg_verify_history',
    role: 'assistant',
    content: [{ type: 'output_text', text: token, annotations: [] }],
  } as unknown as OutputItem;
  const r = reasoning ? [reasoning] : [];
  return { callItems: [...r, call], call, output: execOutput(`${token}\n`), answerItems: [...r, answer], recorded: false };
}

/** Codex's per-turn permission instructions (generated text of the recorded size, ~500 characters). */
export function lateDeveloperText(): string {
  return `<permissions instructions>\nThe sandbox mode changed for this turn: workspace-write. ${generatedInstructions(380, 9).replace(/\s+/g, ' ')}\n</permissions instructions>`;
}

export interface HistoryRequestOptions {
  model: string;
  profile: CodexProfileShape;
  cwd: string;
  nonce?: string;
  /** The task of the first turn (what made the model call the tool). */
  firstPrompt: string;
  history: TurnHistory;
  /** An MCP tool call and its list-of-parts result, as Codex sends them, when the server takes namespace tools. */
  mcp?: boolean;
  marker: string;
  /** Put a developer message after the conversation (the permissions changed between turns). */
  lateDeveloper: boolean;
}

export function codexHistoryRequest(o: HistoryRequestOptions): Record<string, unknown> {
  const h = o.history;
  const codexId = idMaker();
  const callId = String((h.call as Record<string, unknown>).call_id ?? 'call_verify_history');
  const input: Record<string, unknown>[] = [
    ...codexPrefix(o).map(m => ({ ...m, id: codexId('msg') })),
    { ...inputMessage('user', o.firstPrompt), id: codexId('msg') },
    ...h.callItems.map(replayItem),
    { type: 'function_call_output', id: codexId('fco'), call_id: callId, output: h.output },
  ];
  if (o.mcp) {
    input.push(
      {
        type: 'function_call',
        status: 'completed',
        id: codexId('fc'),
        name: LOOKUP_TOOL.name,
        namespace: PROBE_NAMESPACE,
        arguments: '{"id":"42"}',
        call_id: 'call_verify_mcp',
      },
      {
        type: 'function_call_output',
        id: codexId('fco'),
        call_id: 'call_verify_mcp',
        output: [
          { type: 'input_text', text: 'Wall time: 0.0021 seconds\nOutput:' },
          { type: 'input_text', text: 'TICKET-42: open, "Flaky login test"' },
        ],
      },
    );
  }
  input.push(...h.answerItems.map(replayItem));
  if (o.lateDeveloper) input.push({ ...inputMessage('developer', lateDeveloperText()), id: codexId('msg') });
  const env = `<environment_context>\n  <current_date>2026-01-02</current_date>\n  <timezone>Etc/UTC</timezone>\n</environment_context>`;
  input.push(
    { ...inputMessage('user', env), id: codexId('msg') },
    { ...inputMessage('user', `Do not run any command. Reply with exactly: ${o.marker}`), id: codexId('msg') },
  );
  return {
    model: o.model,
    stream: true,
    input,
    tools: [...codexTools(o.profile), ...(o.mcp ? [MCP_NAMESPACE_TOOL] : [])],
    ...CODEX_REQUEST_FIELDS,
  };
}
