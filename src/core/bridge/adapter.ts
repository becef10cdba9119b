// The route bridge speaks an agent's API (Codex's Responses, Claude Code's Messages) to the agent and
// chat completions to a server that has only those, or (Codex, pass-through) the same Responses API
// to a server that has it but refuses part of what Codex sends. One adapter per agent API and
// upstream API; the bridge's HTTP server (bridge/server.ts) is the same for all and knows nothing of
// either wire format: it finds the adapter by path, asks it for the upstream request, and pipes the
// upstream's stream chunks through the adapter's translator (or unchanged, for a pass-through adapter). Adapters are pure: no I/O, no clock, no randomness except ids
// they are given, so every translation is tested without a socket.

/** Something the bridge did to a request that the user should be able to see: a repair, a part left out. */
export interface BridgeNote {
  /** Stable code, e.g. `namespace-tools-flattened`, `web-search-dropped`. */
  readonly code: string;
  /** One sentence for the log and the report. */
  readonly detail: string;
}

/**
 * The repairs the bridge may apply, each switchable by name. A repair is applied only where the
 * request needs it (a request without namespace tools is not touched by `namespaceTools`).
 */
export interface RepairSwitches {
  /** Codex's `namespace` tools (MCP servers) as plain function tools, the model's calls mapped back. */
  readonly namespaceTools: boolean;
  /** `custom` (freeform) tools as a function with one string argument, and back. */
  readonly customTools: boolean;
  /** Tools the server cannot run (`web_search`, …) left out, with a note. */
  readonly dropHostedTools: boolean;
  /** An image inside a tool result: `'text'` replaces it by a text the server accepts; `'keep'` sends it. */
  readonly imageInToolResult: 'text' | 'keep';
  /** System/developer messages after the first user message joined into the leading system message. */
  readonly lateSystem: boolean;
  /** Pass-through: `status: "completed"` on replayed reasoning items and assistant messages that lack it (vLLM 0.19.1). */
  readonly replayStatus: boolean;
  /** Pass-through: `text.format` `{"type":"text"}` where a request's `text` has none (LM Studio 0.4.x). */
  readonly textFormat: boolean;
}

export const DEFAULT_REPAIRS: RepairSwitches = {
  namespaceTools: true,
  customTools: true,
  dropHostedTools: true,
  imageInToolResult: 'text',
  lateSystem: true,
  replayStatus: true,
  textFormat: true,
};

/** What the adapter asks of the upstream for one agent request. */
export interface ChatRequestPlan {
  /** The body to POST to `<upstream base>` + the adapter's `upstreamPath` (`/chat/completions` unless it says). */
  readonly body: Record<string, unknown>;
  readonly stream: boolean;
  readonly notes: readonly BridgeNote[];
  /** Per-request state the response side needs (the flattened tool names and what they were, the model id…). */
  readonly context: unknown;
}

export type PlanResult =
  | { readonly ok: true; readonly plan: ChatRequestPlan }
  /** A request the bridge refuses (invalid JSON shape, …): answered with `errorBody(status, message)`. */
  | { readonly ok: false; readonly status: number; readonly message: string };

/** Turns one upstream chat-completions stream into the agent's SSE stream, chunk by chunk. */
export interface StreamTranslator {
  /** One upstream chunk (the parsed JSON of a `data:` line) → SSE text for the agent ('' when nothing to send yet). */
  chunk(chunk: unknown): string;
  /** The upstream stream ended normally (`data: [DONE]`, or the end of the body). */
  end(): string;
  /** The upstream failed before or during the stream (`status` 0: no connection); the agent's own failure event(s). */
  fail(status: number, message: string): string;
}

export interface AgentAdapter {
  readonly agent: 'codex' | 'claude';
  /** The agent-side path this adapter serves, e.g. `/v1/responses`. */
  readonly path: string;
  /** Where the upstream takes the planned request; `/chat/completions` when absent. */
  readonly upstreamPath?: string;
  /**
   * The upstream answers in the agent's own API: its stream (or body) goes back byte for byte, not
   * through `stream()`/`complete()`; `stream(plan).fail` still makes the failure events the bridge sends itself.
   */
  readonly passThrough?: boolean;
  plan(request: unknown, repairs: RepairSwitches): PlanResult;
  stream(plan: ChatRequestPlan): StreamTranslator;
  /** A whole (non-streamed) chat completion → the agent's response body. */
  complete(plan: ChatRequestPlan, completion: unknown): unknown;
  /** An error in the agent's own HTTP error shape, for failures before any stream started. */
  errorBody(status: number, message: string): unknown;
  /**
   * Paths the adapter answers itself, without the upstream (Claude Code's `/v1/messages/count_tokens`:
   * chat completions have no count): path → the answer body for the parsed request.
   */
  readonly local?: Readonly<Record<string, (request: unknown) => unknown>>;
  /**
   * Headers that go with an error answer of this status (Claude Code retries a 5xx for minutes
   * unless the answer says `x-should-retry: false`).
   */
  errorHeaders?(status: number): Record<string, string>;
}
