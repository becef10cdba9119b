// A request shaped like a real Codex 0.169 turn (recorded on the wire): two developer messages,
// then the environment context and the task as user messages, Codex's function tools, and — unless
// the route's profile turns them off — the non-function `namespace` and `web_search` tools.
// The developer text is GENERATED here (a seeded word salad of agent rules), never copied.
import { EXEC_COMMAND_TOOL } from './toolcall';

const SUBJECTS = ['the agent', 'every command', 'a patch', 'the workspace', 'each test run', 'the final answer', 'a tool call', 'the sandbox', 'a plan', 'the user request', 'the shell session', 'a review'];
const VERBS = ['must describe', 'should prefer', 'never hides', 'keeps', 'records', 'checks', 'explains', 'limits', 'reports', 'follows', 'avoids', 'summarizes'];
const OBJECTS = ['the smallest change that works', 'files outside the project', 'the reason for each edit', 'commands that modify history', 'clear and short messages', 'tests close to the code', 'the output it relied on', 'secrets and keys', 'the steps it skipped', 'errors with their context', 'the current directory', 'one task at a time'];
const TAILS = ['before it continues.', 'when it is unsure.', 'unless the user asks otherwise.', 'and says so plainly.', 'in the final message.', 'after every tool call.', 'without guessing.', 'so the user can repeat it.'];

/** Deterministic PRNG (mulberry32) so the prompt is the same on every run and cacheable by the server. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cache = new Map<number, string>();

/** About `chars` characters of rule-like prose (≈ chars/4 tokens), in numbered sections. */
export function generatedInstructions(chars: number, seed = 6): string {
  const key = chars * 1000 + seed;
  const hit = cache.get(key);
  if (hit) return hit;
  const r = rng(seed);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
  const parts: string[] = ['You are a coding agent working in a terminal on the user\'s machine. Follow these house rules.\n'];
  let len = parts[0].length;
  let section = 1;
  while (len < chars) {
    const head = `\n## Rule group ${section++}\n`;
    parts.push(head);
    len += head.length;
    for (let i = 0; i < 8 && len < chars; i++) {
      const subject = pick(SUBJECTS);
      const s = `- ${subject.charAt(0).toUpperCase()}${subject.slice(1)} ${pick(VERBS)} ${pick(OBJECTS)} ${pick(TAILS)}\n`;
      parts.push(s);
      len += s.length;
    }
  }
  const text = parts.join('');
  cache.set(key, text);
  return text;
}

function fn(name: string, description: string, properties: Record<string, unknown>, required: string[]) {
  return { type: 'function', name, description, strict: false, parameters: { type: 'object', properties, required, additionalProperties: false } };
}

export function codexFunctionTools(): unknown[] {
  return [
    EXEC_COMMAND_TOOL,
    fn('write_stdin', 'Writes characters to an existing unified exec session and returns recent output.', {
      chars: { type: 'string', description: 'Bytes to write to stdin.' }, session_id: { type: 'number', description: 'Identifier of the running session.' },
    }, ['session_id']),
    fn('request_user_input', 'Request user input for one to three short questions and wait for the response.', {
      questions: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, question: { type: 'string' } }, required: ['id', 'question'], additionalProperties: false } },
    }, ['questions']),
    fn('view_image', 'View a local image file from the filesystem.', { path: { type: 'string', description: 'Local filesystem path to an image file.' } }, ['path']),
  ];
}

/** Codex's non-function tools: the agents namespace ([agents] enabled) and web_search (web_search != "disabled"). */
export function codexNonFunctionTools(): unknown[] {
  return [
    {
      type: 'namespace', name: 'multi_agent_v1', description: 'Tools for spawning and managing sub-agents.',
      tools: [fn('spawn_agent', 'Start a sub-agent on a task.', { task: { type: 'string' } }, ['task']), fn('close_agent', 'Close an agent.', { target: { type: 'string' } }, ['target'])],
    },
    { type: 'web_search', external_web_access: true },
  ];
}

export interface CodexShapeOptions {
  model: string;
  /** Include `namespace` and `web_search` (what Codex sends unless the profile turns them off). */
  nonFunctionTools: boolean;
  /** Size of the generated developer text; 30 000 chars ≈ 7 000 tokens. */
  instructionChars?: number;
  marker: string;
  cwd: string;
}

export function codexShapedRequest(o: CodexShapeOptions): Record<string, unknown> {
  const msg = (role: string, text: string) => ({ type: 'message', role, content: [{ type: 'input_text', text }] });
  const main = generatedInstructions(o.instructionChars ?? 30_000);
  return {
    model: o.model,
    stream: true,
    input: [
      msg('developer', main),
      msg('developer', generatedInstructions(2_400, 7)),
      msg('user', `<environment_context>\n  <cwd>${o.cwd}</cwd>\n  <shell>bash</shell>\n</environment_context>`),
      msg('user', `Do not run any command. Reply with exactly: ${o.marker}`),
    ],
    tools: [...codexFunctionTools(), ...(o.nonFunctionTools ? codexNonFunctionTools() : [])],
    tool_choice: 'auto',
    parallel_tool_calls: true,
    reasoning: { summary: 'auto' },
    store: false,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: 'local-model-router-verify',
  };
}
