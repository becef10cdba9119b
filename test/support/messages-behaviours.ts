// Failure behaviours of the Messages API servers, each reproducing a real server's wire text (the
// texts are the ones behaviours.ts already carries for /v1/responses and /v1/chat/completions, plus
// the Messages-only ones cited per line). Brains decide what the "model" answers.
import { TEXTS } from './behaviours';
import {
  estimateMessagesTokens,
  healthyMessagesBrain,
  messagesError,
  sseFrame,
  toolNamesOf,
  toolResultsOf,
  lastUserText,
  type MessagesBrain,
} from './scripted-messages';

type Json = Record<string, unknown>;

/** The server's context holds `nCtx` tokens (estimated as the scripted servers count: chars / 4). */
export function messagesContextBrain(nCtx: number, inner: MessagesBrain = healthyMessagesBrain): MessagesBrain {
  return turn => {
    const n = estimateMessagesTokens(turn.request);
    if (n <= nCtx) return inner(turn);
    const kind = turn.server.kind;
    if (kind === 'llamacpp')
      return {
        kind: 'http',
        status: 400,
        body: {
          error: { code: 400, message: TEXTS.llamaCtxNewest(n, nCtx), type: 'exceed_context_size_error', n_prompt_tokens: n, n_ctx: nCtx },
        },
      };
    if (kind === 'vllm') return { kind: 'http', status: 400, body: messagesError(kind, 400, TEXTS.vllmCtx(nCtx, n)) };
    if (kind === 'lmstudio') return { kind: 'http', status: 400, body: messagesError(kind, 400, TEXTS.lmstudioCtx) };
    return { kind: 'http', status: 400, body: messagesError(kind, 400, TEXTS.ollamaCtx) };
  };
}

/**
 * A model without tool support. Ollama's text (server/routes.go: `%s does not support tools`, the
 * model's full registry name) for Ollama and LM Studio; llama.cpp without --jinja for llama.cpp.
 */
export function messagesToolsUnsupportedBrain(inner: MessagesBrain = healthyMessagesBrain): MessagesBrain {
  return turn => {
    if (!toolNamesOf(turn.request).length) return inner(turn);
    const kind = turn.server.kind;
    if (kind === 'llamacpp')
      return { kind: 'http', status: 500, body: { error: { code: 500, message: TEXTS.toolsNeedJinja, type: 'server_error' } } };
    if (kind === 'vllm') return { kind: 'http', status: 400, body: messagesError(kind, 400, TEXTS.vllmAutoToolChoice) };
    return {
      kind: 'http',
      status: 400,
      body: messagesError(
        kind,
        400,
        `registry.ollama.ai/library/${String(turn.request.model).replace(/:.*/, '')}:latest does not support tools`,
      ),
    };
  };
}

export type ThinkingVariant = 'thinking-param' | 'ollama';

/**
 * A model without thinking. 'thinking-param': the server refuses any `thinking` that is not disabled
 * (proxies such as claude-code-router, claude-code-router#972/#1046). 'ollama': Ollama's own rule
 * (anthropic/anthropic.go @017eb8ae: thinking.type "enabled" → think, "disabled" → no think, else
 * output_config.effort high|medium|low|max → think), then server/routes.go's 400
 * `"<model>" does not support thinking`.
 */
export function thinkingRejectedBrain(
  variant: ThinkingVariant = 'thinking-param',
  inner: MessagesBrain = healthyMessagesBrain,
): MessagesBrain {
  return turn => {
    const t = turn.request.thinking as Json | undefined;
    const effort = String((turn.request.output_config as Json | undefined)?.effort ?? '').toLowerCase();
    const wantsThinking =
      variant === 'thinking-param'
        ? !!t && t.type !== 'disabled'
        : t?.type === 'enabled' || (t?.type !== 'disabled' && ['high', 'medium', 'low', 'max', 'xhigh'].includes(effort));
    if (wantsThinking)
      return {
        kind: 'http',
        status: 400,
        body: messagesError(turn.server.kind, 400, `${JSON.stringify(String(turn.request.model))} does not support thinking`),
      };
    return inner(turn);
  };
}

/** A reasoning model: every answer starts with a thinking block (llama.cpp puts it first, empty signature). */
export function thinkingBrain(inner: MessagesBrain = healthyMessagesBrain): MessagesBrain {
  return async turn => {
    const r = await inner(turn);
    return r.kind === 'output'
      ? { ...r, blocks: [{ type: 'thinking', thinking: 'The user wants a short answer. Let me think about it.' }, ...r.blocks] }
      : r;
  };
}

/** The model prints its tool call as text instead of a tool_use block (ollama#15529). */
export function messagesToolCallAsTextBrain(inner: MessagesBrain = healthyMessagesBrain): MessagesBrain {
  return turn => {
    if (toolResultsOf(turn.request).length || !toolNamesOf(turn.request).length) return inner(turn);
    const path = /(\/[\w./-]*[\w])/.exec(lastUserText(turn.request))?.[1];
    if (!path) return inner(turn);
    return { kind: 'output', blocks: [{ type: 'text', text: `{"name": "Read", "arguments": {"file_path": "${path}"}}` }] };
  };
}

export type MessagesStreamFault = 'no-message-stop' | 'delta-before-start' | 'error-event' | 'error-event-context' | 'json-instead-of-sse';

/** Streams that break one rule Claude Code's reader relies on; non-streamed requests stay healthy. */
export function messagesStreamFaultBrain(fault: MessagesStreamFault, inner: MessagesBrain = healthyMessagesBrain): MessagesBrain {
  return async turn => {
    if (!turn.request.stream) return inner(turn);
    const start = sseFrame('message_start', {
      message: {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        content: [],
        model: String(turn.request.model),
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 20, output_tokens: 0 },
      },
    });
    const text = await inner(turn);
    const said = text.kind === 'output' ? text.blocks.map(b => (b.type === 'text' ? b.text : '')).join('') : 'OK';
    const block = [
      sseFrame('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      sseFrame('content_block_delta', { index: 0, delta: { type: 'text_delta', text: said } }),
      sseFrame('content_block_stop', { index: 0 }),
    ];
    switch (fault) {
      case 'no-message-stop':
        return {
          kind: 'sse',
          frames: [
            start,
            ...block,
            sseFrame('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } }),
          ],
        };
      case 'delta-before-start':
        return {
          kind: 'sse',
          frames: [
            start,
            sseFrame('content_block_delta', { index: 0, delta: { type: 'text_delta', text: said } }),
            sseFrame('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } }),
            sseFrame('message_stop', {}),
          ],
        };
      // llama.cpp after the stream began: `event: error` with its own error body (server-context.cpp).
      case 'error-event':
        return {
          kind: 'sse',
          frames: [
            start,
            `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'unknown error' } })}\n\n`,
          ],
        };
      case 'error-event-context':
        return {
          kind: 'sse',
          frames: [
            start,
            `event: error\ndata: ${JSON.stringify({ error: { code: 400, message: TEXTS.llamaCtxNewest(20512, 16384), type: 'exceed_context_size_error', n_prompt_tokens: 20512, n_ctx: 16384 } })}\n\n`,
          ],
        };
      case 'json-instead-of-sse':
        return {
          kind: 'raw',
          status: 200,
          body: JSON.stringify({
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            content: [{ type: 'text', text: said }],
            stop_reason: 'end_turn',
            usage: { input_tokens: 1, output_tokens: 1 },
          }),
          headers: { 'content-type': 'application/json' },
        };
    }
  };
}
