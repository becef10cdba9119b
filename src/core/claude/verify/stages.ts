// Claude Code's verifier stages over the Messages API. Each returns a StageOutcome; the shared runner
// (core/verify/runner.ts) times them and decides what runs after what. The tool stage answers the
// model's read of the token file itself and never runs what the model proposes.
import { atFirstItem, ctxOf, postJson, postSse, summarizeEvents, type Failed, type SseResult, type StopWhen } from '../../verify/request';
import { diagnoseMessage, excerpt } from '../../verify/diagnose';
import { MessagesStreamReader, type MessagesBlock, type MessagesOutcome } from './messagesStream';
import { judgeCall, type ProposedCall } from '../../verify/toolcall';
import {
  TEXT_MARKER,
  judgeText,
  notTheApisObject,
  answeredWithoutCall,
  MAX_TOOL_ROUNDS,
  neverRead,
  type StageEnv,
  type StageOutcome,
} from '../../verify/stage';
import { formatMs } from '../../verify/report';
import type { Diagnosis, StageMetrics } from '../../verify/types';
import { CLAUDE_MIN_CONTEXT } from '../env';
import { BASH_TOOL, READ_TOOL, claudeShapedRequest, estimateShapeTokens } from './shape';

export interface ClaudeStageEnv extends StageEnv {
  /** The window the caller knows (route.contextWindow); else what the models stage learned. */
  knownWindow?: number;
  /** Claude Code asks for thinking (no CLAUDE_CODE_DISABLE_THINKING). */
  thinking: boolean;
  /** max_tokens of the Claude-Code-sized turn (CLAUDE_CODE_MAX_OUTPUT_TOKENS or 32 000). */
  shapeMaxTokens: number;
}

export const CLAUDE_MARKER = 'CLAUDE-OK';
/** Below this Claude Code's first request (≈12k tokens) and a reply do not fit. */
export const CLAUDE_HARD_MIN_CONTEXT = 16_384;

type Json = Record<string, unknown>;
const round = (n: number | undefined) => (n === undefined ? undefined : Math.round(n));
/** The window the server reports now wins over the one the caller knew (a route's, possibly from before a restart). */
const windowOf = (env: ClaudeStageEnv) => env.contextWindow ?? env.knownWindow;

function failed(f: Failed, summary: string): StageOutcome {
  return { status: 'fail', summary, evidence: f.evidence, diagnosis: f.diagnosis };
}

function postMessagesStream(env: ClaudeStageEnv, body: Json, stopWhen?: StopWhen<MessagesOutcome>): Promise<SseResult<MessagesOutcome>> {
  return postSse(
    env,
    '/messages',
    body,
    t0 => new MessagesStreamReader(() => performance.now() - t0),
    ct =>
      `Asked for a stream, the server answered \`${ct || 'no content type'}\` without any events; Claude Code reads server-sent events (it falls back to a slower non-streaming request).`,
    stopWhen,
  );
}

const userText = (text: string) => [{ role: 'user', content: text }];

function textRequest(env: ClaudeStageEnv, extra: Json = {}): Json {
  return { model: env.model, max_tokens: env.maxOutputTokens, messages: userText(`Reply with exactly: ${TEXT_MARKER}`), ...extra };
}

/** The text and thinking of a non-streamed Messages answer. */
function contentOf(json: unknown): { ok: boolean; text: string; blocks: Json[] } {
  const content = (json as { content?: unknown })?.content;
  if (!Array.isArray(content)) return { ok: false, text: '', blocks: [] };
  const blocks = content as Json[];
  return {
    ok: true,
    text: blocks
      .filter(b => b.type === 'text')
      .map(b => String(b.text ?? ''))
      .join(''),
    blocks,
  };
}

/** Thinking refused: the fix that turns it off, except on Ollama, which also thinks for `output_config.effort` (anthropic.go). */
function adjustThinking(d: Diagnosis, env: ClaudeStageEnv): Diagnosis {
  if (d.code !== 'thinking-unsupported' || env.serverKind !== 'ollama') return d;
  return {
    ...d,
    message: `${d.message} Ollama also turns thinking on for Claude Code's effort setting, so turning thinking off in Claude Code does not help: pick a model with thinking support (Ollama lists "thinking" among its capabilities).`,
    fix: null,
  };
}

/** A stream's failure; `undefined` when it only broke a rule Claude Code recovers from. */
function streamDiagnosis(o: MessagesOutcome, env: ClaudeStageEnv): Diagnosis | undefined {
  const p = o.problems.find(x => x.kind !== 'malformed');
  if (!p) return undefined;
  const known = p.serverMessage ? diagnoseMessage(p.serverMessage, ctxOf(env, '/messages')) : undefined;
  if (known) return adjustThinking({ ...known, message: `${known.message} (The server said so after the stream began.)` }, env);
  return {
    code: 'server-error',
    message: `The server sent an error event: "${excerpt(p.serverMessage ?? p.message)}".`,
    fix: { kind: 'openServerTerminal', label: 'Show the server terminal' },
  };
}

function streamMetrics(o: MessagesOutcome): StageMetrics {
  return {
    ttftMs: round(o.firstOutputAt),
    promptMs: round(o.firstItemAt),
    inputTokens: o.usage?.input_tokens,
    outputTokens: o.usage?.output_tokens,
  };
}

// ── messages-text ──────────────────────────────────────────────────────────────────────────────

export async function messagesTextStage(env: ClaudeStageEnv): Promise<StageOutcome> {
  const r = await postJson(env, '/messages', textRequest(env));
  if (!r.ok) return failed({ ...r, diagnosis: adjustThinking(r.diagnosis, env) }, 'POST /v1/messages failed');
  const c = contentOf(r.json);
  const usage = (r.json as { usage?: { input_tokens?: number; output_tokens?: number } })?.usage;
  const evidence = [
    `HTTP ${r.status}, stop_reason ${JSON.stringify((r.json as Json)?.stop_reason ?? null)}, blocks: ${c.blocks.map(b => String(b.type)).join(', ') || '(none)'}`,
    `text: ${JSON.stringify(excerpt(c.text, 200))}`,
  ];
  if (!c.ok) return notTheApisObject(evidence, r.text, 'POST /v1/messages', 'content', 'Messages');
  return {
    ...judgeText(
      'claude',
      c.text,
      TEXT_MARKER,
      'The model',
      c.blocks.some(b => b.type === 'thinking'),
    ),
    evidence,
    metrics: { inputTokens: usage?.input_tokens, outputTokens: usage?.output_tokens },
  };
}

// ── messages-stream ────────────────────────────────────────────────────────────────────────────

/**
 * Observed with Claude Code 2.1.328: a stream without message_stop is accepted as it is; a delta
 * outside its block or an error event makes it retry the same request without streaming. So a
 * broken stream is a warning when the non-streamed request works, a failure otherwise.
 */
async function judgeStreamProblems(
  env: ClaudeStageEnv,
  o: MessagesOutcome,
  body: Json,
  evidence: string[],
): Promise<Pick<StageOutcome, 'status' | 'summary' | 'diagnosis'> | undefined> {
  if (!o.problems.length) return undefined;
  const d = streamDiagnosis(o, env);
  if (d && d.code !== 'server-error') return { status: 'fail', summary: 'The stream carried an error', diagnosis: d };
  evidence.push(...o.problems.map(p => p.message));
  const onlyMissingStop = o.problems.every(p => p.kind === 'malformed' && /before `message_stop`/.test(p.message));
  if (onlyMissingStop)
    return {
      status: 'warn',
      summary: 'The stream ends without message_stop',
      diagnosis: {
        code: 'stream-malformed',
        message: 'The stream ends without `message_stop`. Claude Code 2.1.328 accepts that; stricter clients do not.',
        fix: null,
      },
    };
  const retry = await postJson(env, '/messages', { ...body, stream: false });
  if (!retry.ok)
    return { status: 'fail', summary: 'The stream broke and the non-streamed retry failed too', diagnosis: d ?? retry.diagnosis };
  evidence.push(`non-streamed retry: HTTP ${retry.status}, text ${JSON.stringify(excerpt(contentOf(retry.json).text, 120))}`);
  return {
    status: 'warn',
    summary: 'The stream is broken; Claude Code falls back to a non-streamed request',
    diagnosis: {
      code: 'stream-malformed',
      message: `${o.problems.map(p => p.message).join('; ')}. Claude Code then repeats the request without streaming, which works here but shows nothing until the whole answer is done.`,
      fix: null,
    },
  };
}

export async function messagesStreamStage(env: ClaudeStageEnv): Promise<StageOutcome> {
  const body = textRequest(env);
  const r = await postMessagesStream(env, body);
  if (!r.ok) return failed({ ...r, diagnosis: adjustThinking(r.diagnosis, env) }, 'Streaming POST /v1/messages failed');
  const o = r.outcome;
  const evidence = [`events: ${summarizeEvents(o.eventTypes)}`];
  if (o.unparsable) evidence.push(`${o.unparsable} frame(s) were not JSON`);
  const metrics = streamMetrics(o);
  const bad = await judgeStreamProblems(env, o, body, evidence);
  if (bad) return { ...bad, evidence, metrics };
  if (o.stopReason === 'max_tokens' && !o.text.includes(TEXT_MARKER)) {
    return {
      status: 'warn',
      summary: `Stopped at the verifier's ${env.maxOutputTokens}-token limit`,
      evidence,
      metrics,
      diagnosis: {
        code: 'final-answer-mismatch',
        message: `The model did not finish within ${env.maxOutputTokens} output tokens (thinking models think first). Claude Code allows far more.`,
        fix: null,
      },
    };
  }
  return {
    ...judgeText(
      'claude',
      o.text,
      TEXT_MARKER,
      'The stream',
      o.blocks.some(b => b.type === 'thinking'),
    ),
    evidence: [...evidence, `text: ${JSON.stringify(excerpt(o.text, 200))}`],
    metrics,
  };
}

// ── thinking ───────────────────────────────────────────────────────────────────────────────────

export async function thinkingStage(env: ClaudeStageEnv): Promise<StageOutcome> {
  if (!env.thinking)
    return { status: 'skip', summary: 'Thinking is off for Claude Code on this route (CLAUDE_CODE_DISABLE_THINKING=1)', evidence: [] };
  // Exactly what Claude Code 2.1.328 adds to every request (observed).
  const body = textRequest(env, {
    max_tokens: Math.max(env.maxOutputTokens, 1_024),
    thinking: { type: 'adaptive' },
    output_config: { effort: 'high' },
  });
  // The server takes thinking or refuses it before the first block, and the first block says whether
  // the model thinks: nothing after it is needed (a thinking model's thoughts can run to thousands of tokens).
  const r = await postMessagesStream(env, body, atFirstItem);
  if (!r.ok) return failed({ ...r, diagnosis: adjustThinking(r.diagnosis, env) }, 'A request with thinking failed');
  const o = r.outcome;
  const evidence = [`events: ${summarizeEvents(o.eventTypes)}${r.stopped ? ' (stopped at the first block)' : ''}`];
  const d = streamDiagnosis(o, env);
  if (d) return { status: 'fail', summary: 'The stream with thinking failed', evidence, diagnosis: d };
  const thoughts = o.blocks.filter(b => b.type === 'thinking');
  evidence.push(`blocks: ${o.blocks.map(b => b.type).join(', ') || '(none)'}`);
  if (thoughts.length)
    return {
      status: 'pass',
      summary: `The model returned ${thoughts.length} thinking block${thoughts.length === 1 ? '' : 's'} before its answer (Claude Code shows them)`,
      evidence,
      metrics: streamMetrics(o),
    };
  return {
    status: 'pass',
    summary: 'The server accepts thinking (the model returned no thinking blocks)',
    evidence,
    metrics: streamMetrics(o),
  };
}

// ── messages-tool-call ─────────────────────────────────────────────────────────────────────────

const MAX_ROUNDS = MAX_TOOL_ROUNDS;

/** Claude Code's Read and Bash as the verifier's judge knows them (read_file / bash). */
function asProposedCall(b: MessagesBlock): { call: ProposedCall; input: Json } {
  let input: Json = {};
  try {
    const v = JSON.parse(b.inputJson || '{}') as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) input = v as Json;
  } catch {
    /* judged as unparsable below */
  }
  const name = String(b.name ?? '');
  if (name === 'Read') return { input, call: { name: 'read_file', arguments: JSON.stringify({ path: input.file_path }) } };
  if (name === 'Bash') return { input, call: { name: 'bash', arguments: JSON.stringify({ command: input.command }) } };
  return { input, call: { name, arguments: b.inputJson || '{}' } };
}

function apiBlock(b: MessagesBlock, input: Json | undefined): Json {
  if (b.type === 'text') return { type: 'text', text: b.text ?? '' };
  if (b.type === 'thinking') return { type: 'thinking', thinking: b.thinking ?? '', signature: b.signature ?? '' };
  return { type: 'tool_use', id: b.id, name: b.name, input: input ?? {} };
}

export async function messagesToolCallStage(env: ClaudeStageEnv): Promise<StageOutcome> {
  const { path: file, token } = env.tokenFile;
  const messages: Json[] = [
    { role: 'user', content: `Use a tool to read the file ${file}, then answer with its content and nothing else.` },
  ];
  const evidence: string[] = [];
  let readOk = false;
  let lastWrong: string | undefined;
  let firstTtft: number | undefined;
  for (let turn = 1; turn <= MAX_ROUNDS + 1; turn++) {
    // As in Codex's tool stage: after MAX_ROUNDS rounds without a read the verdict is settled, and the
    // last round is read only until the server shows it took the conversation (its first block).
    const settled = turn > MAX_ROUNDS && !readOk;
    const r = await postMessagesStream(
      env,
      { model: env.model, max_tokens: Math.max(env.maxOutputTokens, 1_024), messages, tools: [READ_TOOL, BASH_TOOL] },
      settled ? atFirstItem : undefined,
    );
    if (!r.ok) return { ...failed(r, `Round ${turn} failed`), evidence: [...evidence, ...r.evidence] };
    const o = r.outcome;
    firstTtft ??= o.firstOutputAt;
    const d = streamDiagnosis(o, env);
    if (d)
      return {
        status: 'fail',
        summary: `Round ${turn}: the stream failed`,
        evidence: [...evidence, `events: ${summarizeEvents(o.eventTypes)}`],
        diagnosis: d,
      };
    const metrics: StageMetrics = { ttftMs: round(firstTtft), rounds: turn };
    if (settled) return neverRead('claude', { file, lastWrong, evidence, metrics, turn, stopped: r.stopped });
    const uses = o.blocks.filter(b => b.type === 'tool_use');
    if (!uses.length) {
      evidence.push(`round ${turn} text: ${JSON.stringify(excerpt(o.text, 300))}`);
      return answeredWithoutCall({ agent: 'claude', text: o.text, token, file, readOk, lastWrong, env, evidence, metrics, turn });
    }
    if (turn > MAX_ROUNDS) break;
    const results: Json[] = [];
    const inputs = new Map<MessagesBlock, Json>();
    for (const b of uses) {
      const { call, input } = asProposedCall(b);
      inputs.set(b, input);
      const verdict = judgeCall(call, file);
      evidence.push(
        `round ${turn} tool_use: ${b.name}(${excerpt(b.inputJson ?? '', 200)}) → ${verdict.kind === 'reads-token-file' ? 'answered with the file content' : `unsupported: ${verdict.reason}`}`,
      );
      if (verdict.kind === 'reads-token-file') {
        readOk = true;
        results.push({ type: 'tool_result', tool_use_id: b.id, content: `${token}\n` });
      } else {
        lastWrong = `${b.name}(${excerpt(b.inputJson ?? '', 120)}): ${verdict.reason}`;
        results.push({
          type: 'tool_result',
          tool_use_id: b.id,
          content: `unsupported call: this check only answers reads of its token file (${verdict.reason})`,
          is_error: true,
        });
      }
    }
    // Sent back as Claude Code does: the assistant turn as it came, then the results in one user turn.
    messages.push({ role: 'assistant', content: o.blocks.map(b => apiBlock(b, inputs.get(b))) });
    messages.push({ role: 'user', content: results });
  }
  // Only after a read: without one the last round is settled at its first block (above).
  return {
    status: 'fail',
    summary: `No final answer after ${MAX_ROUNDS} rounds of tool use`,
    evidence,
    diagnosis: {
      code: 'final-answer-mismatch',
      message: 'The model kept using tools after it had the file content instead of answering.',
      fix: null,
    },
  };
}

// ── claude-shape ───────────────────────────────────────────────────────────────────────────────

export async function claudeShapeStage(env: ClaudeStageEnv): Promise<StageOutcome> {
  const body = claudeShapedRequest({
    model: env.model,
    marker: CLAUDE_MARKER,
    cwd: env.cwd,
    thinking: env.thinking,
    maxTokens: env.shapeMaxTokens,
  });
  const est = estimateShapeTokens(body);
  const window = windowOf(env);
  const ctxFix = () => diagnoseMessage('context length exceeded', ctxOf(env, '/messages'))?.fix ?? null;
  if (window !== undefined && window < CLAUDE_HARD_MIN_CONTEXT) {
    // Settled by the window alone: whatever the server does with ≈12k tokens, a session cannot fit.
    return {
      status: 'fail',
      summary: `The context (${window} tokens) cannot hold a Claude Code session`,
      evidence: [`not sent: the server's context holds ${window} tokens, Claude Code's first request ≈${est}`],
      metrics: { contextWindow: window },
      diagnosis: {
        code: 'context-too-small',
        message: `The server's context holds ${window} tokens; Claude Code's first request alone is about ${est} and asks for up to ${env.shapeMaxTokens} more. At least ${CLAUDE_HARD_MIN_CONTEXT} is needed, ${CLAUDE_MIN_CONTEXT} is the practical minimum.`,
        fix: ctxFix(),
      },
    };
  }
  const evidence = [
    `sent ≈${est} tokens (generated system prompt and reminder, Claude Code's 12 tools), max_tokens ${env.shapeMaxTokens}${env.thinking ? ', thinking adaptive' : ''}; read up to the first block: only the prompt is judged here`,
  ];
  // The server's answer to the prompt (taken or refused, its token count in message_start, the time
  // to the first block) is all this stage judges: the stream stops at the first block.
  const r = await postMessagesStream(env, body, atFirstItem);
  if (!r.ok)
    return {
      ...failed({ ...r, diagnosis: adjustThinking(r.diagnosis, env) }, 'A Claude-Code-sized turn failed'),
      evidence: [...evidence, ...r.evidence],
    };
  const o = r.outcome;
  evidence.push(`events: ${summarizeEvents(o.eventTypes)}`);
  const metrics: StageMetrics = { ...streamMetrics(o), contextWindow: window };
  const bad = await judgeStreamProblems(env, o, body, evidence);
  if (bad?.status === 'fail') return { ...bad, evidence, metrics };
  const note =
    metrics.promptMs !== undefined
      ? `Claude-Code-sized prompt processed in ${formatMs(metrics.promptMs)}`
      : 'Answered a Claude-Code-sized prompt';
  const used = o.usage?.input_tokens;
  if (used !== undefined && used > 0 && used < est * 0.6) {
    return {
      status: 'warn',
      summary: `${note}, but the server counted only ${used} input tokens`,
      evidence,
      metrics,
      diagnosis: {
        code: 'context-too-small',
        message: `The server reports ${used} input tokens for a prompt of about ${est}: it probably dropped part of it to fit its context (Ollama does this silently). Claude Code would lose its instructions.`,
        fix: ctxFix(),
      },
    };
  }
  if (bad) return { ...bad, evidence, metrics };
  if (window !== undefined && window < CLAUDE_MIN_CONTEXT) {
    return {
      status: 'warn',
      summary: `${note}; the context (${window} tokens) leaves little room`,
      evidence,
      metrics,
      diagnosis: {
        code: 'context-too-small',
        message: `The context holds ${window} tokens; Claude Code's first request alone is about ${est}, so a session overflows after a few turns. ${CLAUDE_MIN_CONTEXT} is the practical minimum.`,
        fix: ctxFix(),
      },
    };
  }
  return { status: 'pass', summary: note, evidence, metrics };
}

// ── count-tokens (informational) ───────────────────────────────────────────────────────────────

export async function countTokensStage(env: ClaudeStageEnv): Promise<StageOutcome> {
  const r = await postJson(env, '/messages/count_tokens', {
    model: env.model,
    messages: userText(`Reply with exactly: ${TEXT_MARKER}`),
    tools: [READ_TOOL],
  });
  if (!r.ok) return failed(r, 'POST /v1/messages/count_tokens failed (Claude Code 2.1.328 did not call it in a turn)');
  const n = (r.json as { input_tokens?: unknown })?.input_tokens;
  if (typeof n !== 'number' || n <= 0)
    return {
      status: 'fail',
      summary: 'The answer has no input_tokens',
      evidence: [excerpt(r.text, 300)],
      diagnosis: { code: 'server-error', message: 'count_tokens answered without a positive `input_tokens`.', fix: null },
    };
  return {
    status: 'pass',
    summary: `The server counts ${n} input tokens for a small request`,
    evidence: [`HTTP ${r.status}: ${excerpt(r.text, 200)}`],
    metrics: { inputTokens: n },
  };
}
