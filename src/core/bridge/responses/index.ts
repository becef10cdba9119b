// The Responses adapters: Codex 0.169's API (`POST /v1/responses`, streamed) over an upstream that has
// only chat completions (request.ts plans the upstream request, stream.ts translates its answer), or
// passed through to an upstream's own /v1/responses with repairs (passThrough.ts).
import { randomBytes } from 'node:crypto';
import type { AgentAdapter } from '../adapter';
import { planChatRequest } from './request';
import { planPassThrough } from './passThrough';
import { completeResponse, ResponsesTranslator, type IdSource } from './stream';

export const RESPONSES_PATH = '/v1/responses';

/** Ids unique within one bridge: a random base drawn once, then a counter. */
export function counterIds(): IdSource {
  const base = randomBytes(6).toString('hex');
  let n = 0;
  return prefix => `${prefix}_${base}${(n++).toString(36).padStart(6, '0')}`;
}

/** Error types as OpenAI's API names them; Codex shows the message. */
function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 404) return 'not_found_error';
  if (status >= 400 && status < 500) return 'invalid_request_error';
  return 'server_error';
}

const responsesError = (status: number, message: string) => ({ error: { message, type: errorType(status), param: null, code: null } });

export function responsesAdapter(ids: IdSource = counterIds()): AgentAdapter {
  return {
    agent: 'codex',
    path: RESPONSES_PATH,
    plan: planChatRequest,
    stream: plan => new ResponsesTranslator(plan, ids),
    complete: (plan, completion) => completeResponse(plan, completion, ids),
    errorBody: responsesError,
  };
}

/**
 * Codex's Responses API passed through to the upstream's own `/responses`, repaired (replayStatus,
 * textFormat); its answer goes back unchanged. The translator only makes the failure events for an
 * upstream that fails before its stream (a 5xx, no connection), as the chat adapter does.
 */
export function responsesPassThroughAdapter(ids: IdSource = counterIds()): AgentAdapter {
  return {
    agent: 'codex',
    path: RESPONSES_PATH,
    upstreamPath: '/responses',
    passThrough: true,
    plan: planPassThrough,
    stream: plan => new ResponsesTranslator(plan, ids),
    complete: (_plan, body) => body,
    errorBody: responsesError,
  };
}
