// A one-model catalog for Codex's `model_catalog_json`, so Codex knows the local model instead of
// warning "Model metadata for `<model>` not found. Defaulting to fallback metadata".
//
// Observed with Codex 0.169: the catalog silences that warning, and Codex then requires every entry
// to carry its own base instructions (`base_instructions` or `model_messages.instructions_template`;
// an empty string sends no system prompt at all). The fallback prompt is ~17 kB (~4.3k tokens) of a
// request that must fit a local model's context, so the catalog carries a short prompt written for
// local models instead: requests shrink from ~26 kB to ~9 kB and leave that room to the task.
// Required fields (Codex refuses the file without them): slug, display_name,
// supported_reasoning_levels, shell_type, visibility, supported_in_api, priority, support_verbosity,
// truncation_policy, experimental_supported_tools, base_instructions.

export const LOCAL_BASE_INSTRUCTIONS = [
  "You are a coding agent running in the Codex CLI on the user's machine, backed by a local model.",
  'Work in the current workspace. Use the exec_command tool to inspect files and run commands; read before you change anything.',
  'Keep tool calls purposeful: one command at a time, with short outputs (use head, sed -n, rg).',
  'When you edit files, change only what the task needs and keep the existing style.',
  'Do not invent file contents or command results: when you need a fact, run a command to get it.',
  'Finish with a brief answer: what you found or changed, and anything the user must do next.',
].join('\n');

export interface CatalogInput {
  model: string;
  contextWindow?: number;
  autoCompact?: number;
}

/** Tool output kept per call, in tokens: a quarter of the window, at most Codex's usual 10,000. */
export function toolOutputTokenLimit(contextWindow: number | undefined): number {
  if (!contextWindow) return 10_000;
  return Math.max(1_000, Math.min(10_000, Math.floor(contextWindow / 4)));
}

export function buildModelCatalog(input: CatalogInput): { models: Record<string, unknown>[] } {
  const entry: Record<string, unknown> = {
    slug: input.model,
    display_name: input.model,
    description: 'Local model written by Local Model Router.',
    supported_reasoning_levels: [],
    shell_type: 'shell_command',
    visibility: 'list',
    supported_in_api: true,
    priority: 1,
    support_verbosity: false,
    truncation_policy: { mode: 'tokens', limit: toolOutputTokenLimit(input.contextWindow) },
    experimental_supported_tools: [],
    input_modalities: ['text'],
    base_instructions: LOCAL_BASE_INSTRUCTIONS,
  };
  if (input.contextWindow) entry.context_window = input.contextWindow;
  if (input.autoCompact) entry.auto_compact_token_limit = input.autoCompact;
  return { models: [entry] };
}

export function modelCatalogJson(input: CatalogInput): string {
  return `${JSON.stringify(buildModelCatalog(input), null, 2)}\n`;
}
