// A request shaped like a real Codex 0.169 turn (recorded on the wire): two developer messages,
// then the environment context and the task as user messages, Codex's function tools, and — unless
// the route's profile turns them off — the non-function `namespace` and `web_search` tools.
// Sized like what Codex sends THROUGH THE PROFILE this extension writes (its model catalog replaces
// Codex's 17 kB fallback prompt with a short one), so the verdict matches Codex's on small contexts.
// The text is GENERATED here (a seeded word salad of agent rules), never copied.
import { EXEC_COMMAND_TOOL } from '../../verify/toolcall';
import { LOCAL_BASE_INSTRUCTIONS } from '../modelCatalog';
import { generatedInstructions } from '../../verify/filler';

/**
 * Sizes (JSON characters) of what Codex 0.169 sends in its first request, recorded from the real CLI
 * against a scripted server; test/process/codex-shape-real.test.ts measures them again and fails on drift.
 */
export const CODEX_REQUEST_SIZES = {
  /** developer[0] without a model catalog: Codex's own prompt. */
  fallbackInstructions: 17_234,
  /** developer[1]: skills and permission instructions. */
  turnInstructions: 2_539,
  /** The <environment_context> user message. */
  environment: 462,
  tools: { exec_command: 1_564, write_stdin: 784, request_user_input: 1_355, view_image: 371, namespace: 9_227, web_search: 49 },
} as const;

/** What the route's Codex profile decides about the request (see core/codex/profile.ts). */
export interface CodexProfileShape {
  /** The profile carries a model catalog with short base instructions (the default). */
  catalog: boolean;
  /** Codex sends its `namespace` and `web_search` tools. */
  nonFunctionTools: boolean;
}

/** Without a profile: Codex's own prompt and every tool. */
export const NO_PROFILE_SHAPE: CodexProfileShape = { catalog: false, nonFunctionTools: true };

function fn(name: string, description: string, properties: Record<string, unknown>, required: string[]) {
  return {
    type: 'function',
    name,
    description,
    strict: false,
    parameters: { type: 'object', properties, required, additionalProperties: false },
  };
}

/** Lengthens a tool's description with generated text until its JSON is about `chars` long. */
function sized<T extends { description: string }>(tool: T, chars: number, seed: number): T {
  const missing = chars - JSON.stringify(tool).length;
  if (missing <= 0) return tool;
  return {
    ...tool,
    description: `${tool.description} ${generatedInstructions(missing, seed).replace(/\s+/g, ' ')}`.slice(
      0,
      tool.description.length + missing,
    ),
  };
}

let functionTools: unknown[] | undefined;
let nonFunctionTools: unknown[] | undefined;

/** Codex's function tools (built once: the same every run). */
export function codexFunctionTools(): unknown[] {
  const t = CODEX_REQUEST_SIZES.tools;
  return (functionTools ??= [
    sized(EXEC_COMMAND_TOOL, t.exec_command, 11),
    sized(
      fn(
        'write_stdin',
        'Writes characters to an existing unified exec session and returns recent output.',
        {
          chars: { type: 'string', description: 'Bytes to write to stdin.' },
          session_id: { type: 'number', description: 'Identifier of the running session.' },
        },
        ['session_id'],
      ),
      t.write_stdin,
      12,
    ),
    sized(
      fn(
        'request_user_input',
        'Request user input for one to three short questions and wait for the response.',
        {
          questions: {
            type: 'array',
            items: {
              type: 'object',
              properties: { id: { type: 'string' }, question: { type: 'string' } },
              required: ['id', 'question'],
              additionalProperties: false,
            },
          },
        },
        ['questions'],
      ),
      t.request_user_input,
      13,
    ),
    sized(
      fn(
        'view_image',
        'View a local image file from the filesystem.',
        { path: { type: 'string', description: 'Local filesystem path to an image file.' } },
        ['path'],
      ),
      t.view_image,
      14,
    ),
  ]);
}

/** Codex's non-function tools: the agents namespace ([agents] enabled) and web_search (web_search != "disabled"). */
export function codexNonFunctionTools(): unknown[] {
  if (nonFunctionTools) return nonFunctionTools;
  const agents = ['spawn_agent', 'send_input', 'resume_agent', 'wait_agent', 'close_agent'].map((name, i) =>
    sized(
      fn(name, `${name.replace('_', ' ')} for a sub-agent.`, { target: { type: 'string', description: 'Agent id.' } }, ['target']),
      Math.floor(CODEX_REQUEST_SIZES.tools.namespace / 5) - 40,
      20 + i,
    ),
  );
  return (nonFunctionTools = [
    { type: 'namespace', name: 'multi_agent_v1', description: 'Tools for spawning and managing sub-agents.', tools: agents },
    { type: 'web_search', external_web_access: true },
  ]);
}

export interface CodexShapeOptions {
  model: string;
  /** What the route's profile sets (default: the profile this extension writes, tools as Codex sends them). */
  profile: CodexProfileShape;
  marker: string;
  cwd: string;
  /**
   * Opens the first developer message, so no server has this prompt cached from an earlier run:
   * the prompt time measured is a cold one, as a new Codex session's first prompt is.
   */
  nonce?: string;
}

export const inputMessage = (role: string, text: string) => ({ type: 'message', role, content: [{ type: 'input_text', text }] });

/** The three items every Codex request starts with: its instructions, the turn's instructions, the environment. */
export function codexPrefix(o: Omit<CodexShapeOptions, 'marker' | 'model'>): Record<string, unknown>[] {
  const main = o.profile.catalog ? LOCAL_BASE_INSTRUCTIONS : generatedInstructions(CODEX_REQUEST_SIZES.fallbackInstructions - 60);
  const env = `<environment_context>\n  <cwd>${o.cwd}</cwd>\n  <shell>bash</shell>\n  <current_date>2026-01-01</current_date>\n  <timezone>Etc/UTC</timezone>\n</environment_context>`;
  return [
    inputMessage('developer', o.nonce ? `Session ${o.nonce}.\n${main}` : main),
    inputMessage('developer', generatedInstructions(CODEX_REQUEST_SIZES.turnInstructions - 60, 7)),
    inputMessage('user', env.padEnd(CODEX_REQUEST_SIZES.environment - 60, ' ')),
  ];
}

/** The tools Codex sends through the profile. */
export function codexTools(profile: CodexProfileShape): unknown[] {
  return [...codexFunctionTools(), ...(profile.nonFunctionTools ? codexNonFunctionTools() : [])];
}

/** The fields of every Codex 0.169 request besides model, input and tools. */
export const CODEX_REQUEST_FIELDS = {
  tool_choice: 'auto',
  parallel_tool_calls: true,
  reasoning: { summary: 'auto' },
  store: false,
  include: ['reasoning.encrypted_content'],
  prompt_cache_key: 'local-model-router-verify',
} as const;

export function codexShapedRequest(o: CodexShapeOptions): Record<string, unknown> {
  return {
    model: o.model,
    stream: true,
    input: [...codexPrefix(o), inputMessage('user', `Do not run any command. Reply with exactly: ${o.marker}`)],
    tools: codexTools(o.profile),
    ...CODEX_REQUEST_FIELDS,
  };
}
