// A request shaped like Claude Code 2.1.328's first turn (`claude -p`, observed): a system prompt in
// text blocks, a user message whose first block is a long <system-reminder>, 12 tools with Claude
// Code's names and JSON-schema inputs, `thinking: {type: "adaptive"}` (unless turned off),
// `output_config: {effort: "high"}`, and max_tokens 32 000 unless lowered. About 48 KB in all, ≈ 12k
// tokens. The text is generated, never copied from Claude Code.
import { generatedInstructions } from '../../verify/filler';

type Json = Record<string, unknown>;

/** The tools Claude Code offers a local model in `-p` mode, by name. */
export const CLAUDE_TOOL_NAMES = [
  'Agent',
  'Bash',
  'Edit',
  'Glob',
  'Grep',
  'Read',
  'Write',
  'TodoWrite',
  'WebFetch',
  'NotebookEdit',
  'Skill',
  'ToolSearch',
] as const;

/** Read and Bash with the input fields Claude Code's own have, so models call them as they would there. */
export const READ_TOOL = {
  name: 'Read',
  description:
    'Reads a file from the local filesystem. The file_path parameter must be an absolute path. Returns the content with line numbers.',
  input_schema: {
    type: 'object',
    properties: {
      file_path: { type: 'string', description: 'The absolute path to the file to read' },
      offset: { type: 'number', description: 'The line number to start reading from' },
      limit: { type: 'number', description: 'The number of lines to read' },
    },
    required: ['file_path'],
    additionalProperties: false,
  },
} as const;

export const BASH_TOOL = {
  name: 'Bash',
  description: 'Executes a given bash command and returns its output.',
  input_schema: {
    type: 'object',
    properties: {
      command: { type: 'string', description: 'The command to execute' },
      description: { type: 'string', description: 'What the command does, in a few words' },
      timeout: { type: 'number', description: 'Optional timeout in milliseconds' },
    },
    required: ['command'],
    additionalProperties: false,
  },
} as const;

function generatedTool(name: string, i: number, chars: number): Json {
  return {
    name,
    description: generatedInstructions(chars, 20 + i),
    input_schema: {
      type: 'object',
      properties: {
        target: { type: 'string', description: `What ${name} works on.` },
        options: { type: 'object', description: 'Further settings.', additionalProperties: true },
      },
      required: ['target'],
      additionalProperties: false,
    },
  };
}

/** The 12 tools, ≈ 32 KB of JSON as Claude Code's are. */
export function claudeTools(): Json[] {
  return CLAUDE_TOOL_NAMES.map((name, i) => {
    if (name === 'Read') return { ...READ_TOOL, description: `${READ_TOOL.description}\n${generatedInstructions(1_600, 40)}` };
    if (name === 'Bash') return { ...BASH_TOOL, description: `${BASH_TOOL.description}\n${generatedInstructions(3_600, 41)}` };
    return generatedTool(name, i, 2_600);
  });
}

export interface ClaudeShapeOptions {
  model: string;
  marker: string;
  cwd: string;
  /** Claude Code sends thinking unless CLAUDE_CODE_DISABLE_THINKING=1. */
  thinking: boolean;
  /** CLAUDE_CODE_MAX_OUTPUT_TOKENS, else 32 000. */
  maxTokens: number;
}

export function claudeShapedRequest(o: ClaudeShapeOptions): Json {
  const reminder = `<system-reminder>\n${generatedInstructions(10_200, 9)}\nWorking directory: ${o.cwd}\n</system-reminder>`;
  return {
    model: o.model,
    max_tokens: o.maxTokens,
    system: [
      {
        type: 'text',
        text: 'You are a coding agent that helps the user with software tasks in their project.',
        cache_control: { type: 'ephemeral' },
      },
      { type: 'text', text: generatedInstructions(7_000, 8), cache_control: { type: 'ephemeral' } },
    ],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: reminder },
          { type: 'text', text: `Do not use any tool. Reply with exactly: ${o.marker}` },
        ],
      },
    ],
    tools: claudeTools(),
    ...(o.thinking ? { thinking: { type: 'adaptive' } } : {}),
    output_config: { effort: 'high' },
    metadata: { user_id: 'local-model-router-verify' },
    stream: true,
  };
}

/** Characters / 4, over what a server renders into the prompt (system, messages, tools). */
export function estimateShapeTokens(body: Json): number {
  return Math.round(
    (JSON.stringify(body.system ?? '').length + JSON.stringify(body.messages ?? []).length + JSON.stringify(body.tools ?? []).length) / 4,
  );
}
