// Codex's Responses request for an upstream that has /v1/responses but refuses part of what Codex
// sends: the request goes on as it is, with only these repairs (adapter.ts RepairSwitches), each with
// a note when it changed something:
// - `replayStatus`: vLLM 0.19.1 validates replayed output items against OpenAI's models and refuses a
//   reasoning item or an assistant message without `status` ("Field required", vllm-project/vllm#45273,
//   fixed by #45276); Codex 0.169 replays both without it, so every session's second turn fails there.
// - `textFormat`: LM Studio 0.4.x refuses `text` without `format` ("Required", param `text.format`,
//   lmstudio-ai/lmstudio-bug-tracker#1576); Codex sends `text: {verbosity}` alone for models whose
//   metadata supports verbosity.
// The answer is not translated (server.ts pipes it back as it came), so the plan's context only names
// the model for a failure event the bridge itself has to send.
import type { BridgeNote, ChatRequestPlan, PlanResult, RepairSwitches } from '../adapter';
import type { ResponsesContext } from './request';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a replayed item is to vLLM 0.19.1's validation: an output item that must carry `status`. */
export function needsReplayStatus(item: unknown): boolean {
  if (!isObj(item) || item.status !== undefined) return false;
  return item.type === 'reasoning' || (item.type === 'message' && item.role === 'assistant');
}

/** Plans the upstream `/v1/responses` request: Codex's body, repaired where `repairs` says. */
export function planPassThrough(request: unknown, repairs: RepairSwitches): PlanResult {
  if (!isObj(request)) return { ok: false, status: 400, message: 'The request body must be a JSON object.' };
  const model = typeof request.model === 'string' ? request.model : '';
  if (!model) return { ok: false, status: 400, message: 'The request has no `model`.' };
  const notes: BridgeNote[] = [];
  let body: Obj = request;

  if (repairs.replayStatus && Array.isArray(request.input) && request.input.some(needsReplayStatus)) {
    const input = request.input.map(i => (needsReplayStatus(i) ? { ...(i as Obj), status: 'completed' } : i));
    body = { ...body, input };
    notes.push({
      code: 'replay-status-added',
      detail:
        'Replayed reasoning items and assistant messages without `status` were sent with `status: "completed"` (the server requires it).',
    });
  }

  if (repairs.textFormat && isObj(request.text) && request.text.format === undefined) {
    body = { ...body, text: { ...request.text, format: { type: 'text' } } };
    notes.push({
      code: 'text-format-added',
      detail: '`text.format` was sent as `{"type":"text"}` beside Codex’s verbosity (the server requires a format).',
    });
  }

  const context: ResponsesContext = { model, tools: new Map() };
  const plan: ChatRequestPlan = { body, stream: request.stream === true, notes, context };
  return { ok: true, plan };
}
