// The Messages adapters: Claude Code 2.1.328's API (`POST /v1/messages`, streamed) over an upstream that
// has only chat completions (request.ts plans the upstream request, stream.ts translates its answer),
// or only the Responses API (overResponses.ts does both); events.ts writes the events for both, and
// count.ts answers count_tokens without the upstream.
import { randomBytes } from 'node:crypto';
import type { AgentAdapter } from '../adapter';
import { COUNT_TOKENS_PATH, countTokens, estimateMessagesTokens } from './count';
import { planMessagesRequest } from './request';
import { anthropicError, completeMessage, MessagesTranslator, type IdSource } from './stream';
import { completeOverResponses, planMessagesOverResponses, ResponsesToMessagesTranslator } from './overResponses';

export const MESSAGES_PATH = '/v1/messages';
export { COUNT_TOKENS_PATH, countTokens } from './count';

/** Ids unique within one bridge: a random base drawn once, then a counter (Anthropic's ids look alike: `msg_…`, `toolu_…`). */
export function messagesIds(): IdSource {
  const base = randomBytes(6).toString('hex');
  let n = 0;
  return prefix => `${prefix}_${base}${(n++).toString(36).padStart(6, '0')}`;
}

/**
 * Claude Code retries a 5xx (and 408, 409, 429) about ten times with back-off, minutes in all, unless
 * the answer says `x-should-retry: false` (its retry decision checks that header first). Only a
 * server still loading its model (503) or asking to slow down (429) is worth a retry; an upstream
 * that is down or refuses the request is told to the user at once.
 */
export function messagesErrorHeaders(status: number): Record<string, string> {
  return status === 503 || status === 429 ? {} : { 'x-should-retry': 'false' };
}

export function messagesAdapter(ids: IdSource = messagesIds()): AgentAdapter {
  return {
    agent: 'claude',
    path: MESSAGES_PATH,
    plan: (request, repairs) => planMessagesRequest(request, repairs, estimateMessagesTokens),
    stream: plan => new MessagesTranslator(plan, ids),
    complete: (plan, completion) => completeMessage(plan, completion, ids),
    errorBody: anthropicError,
    local: { [COUNT_TOKENS_PATH]: countTokens },
    errorHeaders: messagesErrorHeaders,
  };
}

/** Claude Code's Messages API over the upstream's `/responses` (a server with the Responses API and no chat completions). */
export function messagesOverResponsesAdapter(ids: IdSource = messagesIds()): AgentAdapter {
  return {
    agent: 'claude',
    path: MESSAGES_PATH,
    upstreamPath: '/responses',
    plan: (request, repairs) => planMessagesOverResponses(request, repairs, estimateMessagesTokens, ids),
    stream: plan => new ResponsesToMessagesTranslator(plan, ids),
    complete: (plan, response) => completeOverResponses(plan, response, ids),
    errorBody: anthropicError,
    local: { [COUNT_TOKENS_PATH]: countTokens },
    errorHeaders: messagesErrorHeaders,
  };
}
