// `POST /v1/messages/count_tokens` answered by the bridge itself: chat completions have no token
// count, and asking the upstream to generate would cost a prompt read. The answer is an estimate
// (about 4 characters a token over the system prompt, messages and tools: estimateShapeTokens, the
// verifier's own measure), which is what Claude Code uses it for: deciding when the context is full.
import { estimateShapeTokens } from '../../claude/verify/shape';

export const COUNT_TOKENS_PATH = '/v1/messages/count_tokens';

type Obj = Record<string, unknown>;

/** Estimated input tokens of a Messages request (0 for anything that is not one). */
export function estimateMessagesTokens(request: unknown): number {
  if (typeof request !== 'object' || request === null || Array.isArray(request)) return 0;
  return estimateShapeTokens(request as Obj);
}

/** The count_tokens answer: `{ input_tokens }`, as Anthropic's API shapes it. */
export function countTokens(request: unknown): { input_tokens: number } {
  return { input_tokens: estimateMessagesTokens(request) };
}
