// The verifier's report: plain serializable data shared by the CLI (--json) and the extension.
import type { ServerKind } from '../serverKind';
import type { AgentId } from '../agents';

export { AGENT_IDS, type AgentId } from '../agents';

/** Codex's stages, in report order. */
export const STAGE_IDS = [
  'models',
  'responses-text',
  'responses-stream',
  'tool-call',
  'codex-shape',
  'multi-turn',
  'tool-types',
  'chat-completions',
] as const;
export const CODEX_STAGE_IDS = STAGE_IDS;
export type CodexStageId = (typeof STAGE_IDS)[number];

/** Claude Code's stages, in report order (`models` is shared). */
export const CLAUDE_STAGE_IDS = [
  'models',
  'messages-text',
  'messages-stream',
  'thinking',
  'messages-tool-call',
  'claude-shape',
  'count-tokens',
] as const;
export type ClaudeStageId = (typeof CLAUDE_STAGE_IDS)[number];

export type StageId = CodexStageId | ClaudeStageId;

export const STAGE_IDS_BY_AGENT: Record<AgentId, readonly StageId[]> = { codex: CODEX_STAGE_IDS, claude: CLAUDE_STAGE_IDS };

export const STAGE_TITLES: Record<StageId, string> = {
  models: 'Model is listed',
  'responses-text': 'Responses API answers',
  'responses-stream': 'Streaming as Codex reads it',
  'tool-call': 'Tool call round trip',
  'codex-shape': 'A Codex-sized turn',
  'multi-turn': 'A later turn: history and a late developer message',
  'tool-types': 'Tool types Codex may send (MCP, custom, web search)',
  'chat-completions': 'Chat Completions tool call (informational)',
  'messages-text': 'Messages API answers',
  'messages-stream': 'Streaming as Claude Code reads it',
  thinking: 'Thinking as Claude Code asks for it',
  'messages-tool-call': 'tool_use round trip',
  'claude-shape': 'A Claude-Code-sized turn',
  'count-tokens': 'count_tokens (informational)',
};

/** Stages whose failure does not make the route fail (reported as warn). */
export const INFORMATIONAL_STAGES: readonly StageId[] = ['chat-completions', 'count-tokens', 'tool-types'];

/** The stage whose prompt time is the one worth showing (the agent-sized turn). */
export const SHAPE_STAGES: readonly StageId[] = ['codex-shape', 'claude-shape'];

export const DIAGNOSIS_CODES = [
  'server-unreachable',
  'unauthorized',
  'model-not-listed',
  'model-not-found',
  'model-loading',
  'responses-api-missing',
  'template-system-message',
  'template-no-tools',
  'non-function-tool-rejected',
  'tools-unsupported',
  'context-too-small',
  'tool-call-as-text',
  'no-tool-call',
  'wrong-tool-arguments',
  'final-answer-mismatch',
  'stream-malformed',
  'timeout',
  'server-error',
  'messages-api-missing',
  'thinking-unsupported',
  // Later turns and optional tool types:
  'history-rejected',
  'mcp-tools-dropped',
  'mcp-calls-unusable',
  'image-output-rejected',
  'text-format-required',
  'slow-prompt',
] as const;
export type DiagnosisCode = (typeof DIAGNOSIS_CODES)[number];

/** A change to the server that failed, independent of how it is made (see core/serverChanges.ts). */
export type ServerChange =
  | { what: 'context'; tokens: number }
  /** A chat template that accepts system/developer messages after the first and carries tool calls. */
  | { what: 'template'; reason: 'system-message-order' | 'no-tool-support' }
  /** llama-server's Jinja engine (tool calls need it). */
  | { what: 'jinja' }
  /** vLLM's tool-call parsing (--enable-auto-tool-choice --tool-call-parser). */
  | { what: 'tool-parser' };

/**
 * A fix the report can offer as one click. Typed data, so the UI dispatches on `kind`; a
 * `changeServer` fix is resolved against the server that failed when it is shown (a setting and a
 * restart for a server this window started, the exact flag to copy for any other).
 */
export type Fix =
  | { kind: 'changeServer'; change: ServerChange; label: string }
  | { kind: 'codexDisableNonFunctionTools'; label: string }
  | { kind: 'pullModel'; model: string; label: string }
  | { kind: 'openServerTerminal'; label: string }
  | { kind: 'setApiKey'; label: string }
  | { kind: 'upgrade'; serverKind: ServerKind; api: 'responses' | 'messages'; label: string }
  /** Write CLAUDE_CODE_DISABLE_THINKING=1 into the route's Claude Code settings (and launches). */
  | { kind: 'claudeDisableThinking'; label: string }
  /** Write the route's Codex profile again: it uses what this verification learned (idle timeout, tool types). */
  | { kind: 'writeCodexProfile'; label: string };

export interface Diagnosis {
  code: DiagnosisCode;
  /** What went wrong, in the user's terms. */
  message: string;
  /** What to change; null when nothing can be done in one click (the message says what to do). */
  fix: Fix | null;
}

export type StageStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface StageMetrics {
  /** Request start to the first streamed output (text or tool-call) event. */
  ttftMs?: number;
  /** Request start to the first event of any output item: how long the server spent on the prompt. */
  promptMs?: number;
  inputTokens?: number;
  outputTokens?: number;
  /** Context the server reports for the model (llama.cpp n_ctx, vLLM max_model_len). */
  contextWindow?: number;
  /** Round trips in the tool-call stage. */
  rounds?: number;
  /** Prompt processing rate on the Codex-sized turn, tokens per second (input tokens / promptMs). */
  promptTps?: number;
}

export interface StageResult {
  id: StageId;
  title: string;
  status: StageStatus;
  /** Wall time of the stage, milliseconds (integer). */
  ms: number;
  /** One line: what happened. */
  summary: string;
  /** Short excerpts of what the server sent (bodies, events, the model's text), never the API key. */
  evidence: string[];
  metrics?: StageMetrics;
  diagnosis?: Diagnosis;
}

/** Codex's tool types beyond plain functions, and what a server does with each. */
export const TOOL_TYPE_IDS = ['namespace', 'custom', 'web_search', 'image-output'] as const;
export type ToolTypeId = (typeof TOOL_TYPE_IDS)[number];
/**
 * accepted: the server takes it and the model sees it; dropped: 200, but the prompt did not grow
 * (the model never sees it); rejected: the request fails; calls-unusable: the model sees a
 * namespace tool but its calls come back without the namespace, so Codex answers "unsupported
 * call"; unknown: accepted, but the server reports no token counts to tell accepted from dropped.
 */
export type ToolTypeOutcome = 'accepted' | 'dropped' | 'rejected' | 'calls-unusable' | 'unknown';

/** What the verifier learned that shapes the route's Codex profile (kept with the route's verification). */
export interface CodexFindings {
  toolTypes?: Partial<Record<ToolTypeId, ToolTypeOutcome>>;
  /** The profile (as the verification assumed it) turns off Codex's non-function tools: agents, MCP servers, web search. */
  nonFunctionToolsOff?: boolean;
  /** The server refuses a Responses request whose `text` has no `format` (LM Studio 0.4.x). */
  textFormatRequired?: boolean;
  /** Prompt processing on the Codex-sized turn, tokens per second. */
  promptTps?: number;
  /** How long Codex's first prompt took to process here (the Codex-sized turn, cold). */
  firstPromptMs?: number;
  /** The part of firstPromptMs Codex's idle timer sees: from the response headers (or the last event) to the first output item. */
  promptIdleMs?: number;
  /** Tokens of that first prompt as the server counted them. */
  firstPromptTokens?: number;
  /** The first turn of a session works (the Codex-sized turn passed). */
  firstTurnOk?: boolean;
  /** A later turn (the session's history sent back) works. */
  laterTurns?: boolean;
  /** A turn after a developer message in the middle of the session (a permissions change) works. */
  lateDeveloper?: boolean;
}

export interface VerifyReport {
  /** The agent whose needs were checked. */
  agent: AgentId;
  /** True when no required stage failed (warnings and skips do not count). */
  ok: boolean;
  baseUrl: string;
  model: string;
  serverKind?: ServerKind;
  startedAt: string;
  ms: number;
  cancelled: boolean;
  stages: StageResult[];
  /** What the server said about itself (llama.cpp /props): template tool support, the template, its build. */
  facts?: { templateTools?: boolean; chatTemplate?: string; build?: string };
  /** Codex only: what the profile writer uses (tool types, prompt rate, later turns). */
  findings?: CodexFindings;
  /** One line: what a session of this agent on this route will and will not be able to do. */
  headline?: string;
  /**
   * The same verification through the route bridge (core/bridge), run when this one found what the
   * bridge repairs: its verdict beside the direct one.
   */
  throughBridge?: BridgeVerdict;
}

/**
 * What the route bridge sends an agent's requests to. Codex: `chat`, the upstream's chat completions
 * (a server without /v1/responses, or one whose Responses API drops or refuses Codex's tools);
 * `responses`, the upstream's own /v1/responses, passed through with repairs (a server that refuses
 * only replayed history without `status` or `text` without `format`). Claude Code: `chat`, the
 * upstream's chat completions; `responses`, its /v1/responses, translated (a server with neither
 * /v1/messages nor chat completions).
 */
export type BridgeUpstreamApi = 'chat' | 'responses';

/** The verdict of a verification through the route bridge, for the report beside the direct one. */
export interface BridgeVerdict {
  ok: boolean;
  /** What the direct verification found that the bridge repairs. */
  repairs: DiagnosisCode[];
  /** The upstream API the bridge used for the report's agent. */
  upstreamApi: BridgeUpstreamApi;
  headline?: string;
  /** The first stage that still fails through the bridge, and why. */
  failed?: { stage: StageId; code: DiagnosisCode; message: string };
}

export type VerifyProgress =
  /** `estimateMs`: how long the stage's prompt should take at the prompt rate measured on this server (absent until one is known). */
  { kind: 'stage-start'; id: StageId; title: string; estimateMs?: number } | { kind: 'stage-done'; result: StageResult };

/** A failure inside a stream, as a stream reader (Responses or Messages) found it. */
export interface StreamProblem {
  /** stream-malformed: the stream breaks Codex's rules; failed/incomplete/error: the server reported a failure. */
  kind: 'malformed' | 'failed' | 'incomplete' | 'error';
  message: string;
  /** The server's error text, when it sent one (classified by the caller). */
  serverMessage?: string;
  /** Why a response was incomplete (e.g. max_output_tokens). */
  reason?: string;
}
