// The Codex verifier's stages. Each returns a StageOutcome; the runner (index.ts) times them and
// decides what runs after what. Pure except for the token file the tool-call stage writes (and removes).
import { atFirstItem, postJson, summarizeEvents } from '../../verify/request';
import {
  judgeText,
  notTheApisObject,
  type StageOutcome,
  type StageEnv,
  withSmallOutput,
  TEXT_MARKER,
  CODEX_MARKER,
  failed,
  round,
  answeredWithoutCall,
  MAX_TOOL_ROUNDS,
  neverRead,
  toolParserFix,
} from '../../verify/stage';
import type { CodexProfileShape } from './shape';
import type { NonFunctionToolsMode } from '../profile';
import type { CodexFindings } from '../../verify/types';
import { contextFix, excerpt, historyDiagnosis } from '../../verify/diagnose';
import { diagnoseStream, messageText, postResponsesStream, type OutputItem } from './responsesStream';
import {
  EXEC_COMMAND_TOOL,
  READ_FILE_TOOL,
  execOutput,
  judgeCall,
  looksLikeToolCallText,
  unsupportedOutput,
  type ProposedCall,
} from '../../verify/toolcall';
import { codexShapedRequest, NO_PROFILE_SHAPE } from './shape';
import { AGENTS } from '../../agents';
import { formatMs } from '../../verify/report';
import { DEFAULT_STREAM_IDLE_TIMEOUT_MS, idleTimeoutFor, type PromptTiming } from '../idleTimeout';
import type { Diagnosis, StageMetrics } from '../../verify/types';
import { replayItem, type TurnHistory } from './history';

/** What the Codex stages work with: the shared environment and what the route's Codex profile decides. */
export interface CodexStageEnv extends StageEnv {
  /** What the route's Codex profile does to Codex's request. */
  codexProfile: CodexProfileShape;
  /** codex.disableNonFunctionTools as the verification assumes it (see VerifyOptions.nonFunctionTools). */
  nonFunctionToolsMode: NonFunctionToolsMode;
  /** What the Codex stages learned for the profile writer. */
  findings: CodexFindings;
  /** The tool-call stage's conversation, for the later-turn stage to send back as Codex would. */
  history?: TurnHistory;
  /** The user's MCP servers (names from config.toml), for messages. */
  mcpServers: readonly string[];
  /** A reasoning item the server produced on the Codex-sized turn: a made-up history carries one like it. */
  reasoningSample?: OutputItem;
}

// ── responses-text ─────────────────────────────────────────────────────────────────────────────

function textRequest(env: CodexStageEnv): Record<string, unknown> {
  return {
    model: env.model,
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: `Reply with exactly: ${TEXT_MARKER}` }] }],
    max_output_tokens: env.maxOutputTokens,
    store: false,
  };
}

export async function responsesTextStage(env: CodexStageEnv): Promise<StageOutcome> {
  const r = await postJson(env, '/responses', textRequest(env));
  if (!r.ok) return failed(r, 'POST /responses failed');
  const body = (r.json ?? {}) as {
    output?: unknown;
    output_text?: unknown;
    status?: unknown;
    usage?: { input_tokens?: number; output_tokens?: number };
  };
  const items = Array.isArray(body.output) ? (body.output as OutputItem[]) : [];
  const text = messageText(items) || (typeof body.output_text === 'string' ? body.output_text : '');
  const evidence = [
    `HTTP ${r.status}, status ${JSON.stringify(body.status ?? null)}, output items: ${items.map(i => i.type).join(', ') || '(none)'}`,
    `text: ${JSON.stringify(excerpt(text, 200))}`,
  ];
  if (!Array.isArray(body.output)) return notTheApisObject(evidence, r.text, 'POST /responses', 'output', 'Responses');
  return {
    ...judgeText(
      'codex',
      text,
      TEXT_MARKER,
      'The model',
      items.some(i => i.type === 'reasoning'),
    ),
    evidence,
    metrics: { inputTokens: body.usage?.input_tokens, outputTokens: body.usage?.output_tokens },
  };
}

// ── responses-stream ───────────────────────────────────────────────────────────────────────────

export async function responsesStreamStage(env: CodexStageEnv): Promise<StageOutcome> {
  const r = await postResponsesStream(env, textRequest(env));
  if (!r.ok) return failed(r, 'Streaming POST /responses failed');
  const o = r.outcome;
  const evidence = [`events: ${summarizeEvents(o.eventTypes)}`];
  if (o.unparsable) evidence.push(`${o.unparsable} frame(s) were not JSON (Codex skips them)`);
  const metrics: StageMetrics = {
    ttftMs: round(o.firstOutputAt),
    promptMs: round(o.firstItemAt),
    inputTokens: o.usage?.input_tokens,
    outputTokens: o.usage?.output_tokens,
  };
  const incomplete = o.problems.find(p => p.kind === 'incomplete');
  if (incomplete?.reason === 'max_output_tokens') {
    // Codex sends no max_output_tokens, so this is the verifier's own limit, not a Codex failure.
    return {
      status: 'warn',
      summary: `Stopped at the verifier's ${env.maxOutputTokens}-token limit`,
      evidence,
      metrics,
      diagnosis: {
        code: 'final-answer-mismatch',
        message: `The model did not finish within ${env.maxOutputTokens} output tokens (reasoning models think first). Codex sets no such limit.`,
        fix: null,
      },
    };
  }
  const d = diagnoseStream(o, env);
  if (d)
    return {
      status: 'fail',
      summary: 'The stream is not one Codex can use',
      evidence: [...evidence, ...o.problems.map(p => p.message)],
      metrics,
      diagnosis: d,
    };
  const text = o.text || o.deltaText;
  return {
    ...judgeText(
      'codex',
      text,
      TEXT_MARKER,
      'The stream',
      o.items.some(i => i.type === 'reasoning'),
    ),
    evidence: [...evidence, `text: ${JSON.stringify(excerpt(text, 200))}`],
    metrics,
  };
}

// ── tool-call ──────────────────────────────────────────────────────────────────────────────────

const MAX_ROUNDS = MAX_TOOL_ROUNDS;

export async function toolCallStage(env: CodexStageEnv): Promise<StageOutcome> {
  const { path: file, token } = env.tokenFile;
  const input: unknown[] = [
    {
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: `Use a tool to read the file ${file}, then answer with its content and nothing else.` }],
    },
  ];
  const evidence: string[] = [];
  let readOk = false;
  let firstTtft: number | undefined;
  let lastWrong: string | undefined;
  let recorded: Omit<TurnHistory, 'answerItems' | 'recorded'> | undefined;
  for (let turn = 1; turn <= MAX_ROUNDS + 1; turn++) {
    // After MAX_ROUNDS rounds of calls, none a read of the file, nothing the model writes next can pass
    // (another call ends the stage as an answer does): the last round only shows that the server takes
    // the conversation, which it says before the first output item. The stream stops there.
    const settled = turn > MAX_ROUNDS && !readOk;
    const r = await postResponsesStream(
      env,
      { model: env.model, input, tools: [EXEC_COMMAND_TOOL, READ_FILE_TOOL], tool_choice: 'auto', parallel_tool_calls: true, store: false },
      settled ? atFirstItem : undefined,
    );
    // From round 2 on the request carries the conversation: a refusal there is a refusal of Codex's history.
    if (!r.ok)
      return {
        ...failed(r, `Round ${turn} failed`),
        evidence: [...evidence, ...r.evidence],
        ...(turn > 1 ? { diagnosis: historyDiagnosis(r.diagnosis, r.evidence[0] ?? '') } : {}),
      };
    const o = r.outcome;
    firstTtft ??= o.firstOutputAt;
    const d = diagnoseStream(o, env);
    if (d)
      return {
        status: 'fail',
        summary: `Round ${turn}: the stream failed`,
        evidence: [...evidence, `events: ${summarizeEvents(o.eventTypes)}`],
        diagnosis: d,
      };
    const metrics: StageMetrics = { ttftMs: Math.round(firstTtft ?? 0) || undefined, rounds: turn };
    if (settled) return neverRead('codex', { file, lastWrong, evidence, metrics, turn, stopped: r.stopped });
    const calls = o.items.filter(i => i.type === 'function_call');
    const text = o.text || o.deltaText;
    if (!calls.length) {
      evidence.push(`round ${turn} text: ${JSON.stringify(excerpt(text, 300))}`);
      const verdict = answeredWithoutCall({ agent: 'codex', text, token, file, readOk, lastWrong, env, evidence, metrics, turn });
      if (verdict.status === 'pass' && recorded) env.history = { ...recorded, answerItems: o.items, recorded: true };
      return verdict;
    }
    if (turn > MAX_ROUNDS) break;
    const outputs: Record<string, unknown>[] = [];
    const ids = new Map<OutputItem, string>();
    for (const [k, c] of calls.entries()) {
      const call: ProposedCall = {
        name: String(c.name ?? ''),
        arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}),
      };
      const callId = typeof c.call_id === 'string' ? c.call_id : `call_verify_${turn}_${k}`;
      ids.set(c, callId);
      const verdict = judgeCall(call, file);
      evidence.push(
        `round ${turn} call: ${call.name}(${excerpt(call.arguments, 200)}) → ${verdict.kind === 'reads-token-file' ? 'answered with the file content' : `unsupported: ${verdict.reason}`}`,
      );
      let output: string;
      if (verdict.kind === 'reads-token-file') {
        readOk = true;
        output = call.name === 'read_file' ? `${token}\n` : execOutput(`${token}\n`);
        recorded ??= {
          callItems: o.items.filter(i => i.type !== 'function_call' || i === c).map(i => (i === c ? { ...c, call_id: callId } : i)),
          call: { ...c, call_id: callId },
          output,
        };
      } else {
        lastWrong = `${call.name}(${excerpt(call.arguments, 120)}): ${verdict.reason}`;
        output = unsupportedOutput(call, verdict.reason);
      }
      outputs.push({ type: 'function_call_output', call_id: callId, output });
    }
    // Sent back as Codex does: the response's items (reasoning without its status, the calls), then the outputs.
    for (const it of o.items) input.push(it.type === 'function_call' ? { ...replayItem(it), call_id: ids.get(it) } : replayItem(it));
    input.push(...outputs);
  }
  // Only after a read: without one the last round is settled before its first output item (above).
  return {
    status: 'fail',
    summary: `No final answer after ${MAX_ROUNDS} rounds of tool calls`,
    evidence,
    diagnosis: {
      code: 'final-answer-mismatch',
      message: 'The model kept calling tools after it had the file content instead of answering.',
      fix: null,
    },
  };
}

// ── codex-shape ────────────────────────────────────────────────────────────────────────────────

/** Prompt characters the server turns into tokens: the messages' text and the tool definitions. */
function promptChars(body: Record<string, unknown>, withTools = true): number {
  const input = body.input as { content?: { text?: string }[] }[];
  return (
    input.reduce((n, i) => n + (i.content ?? []).reduce((m, c) => m + (c.text ?? '').length, 0), 0) +
    (withTools ? JSON.stringify(body.tools).length : 0)
  );
}

const withoutProfile = new Map<number, number>();
/** Prompt characters Codex would send without the profile (its own prompt, every tool); the cwd's length is all that varies. */
function charsWithoutProfile(cwd: string): number {
  let n = withoutProfile.get(cwd.length);
  if (n === undefined)
    withoutProfile.set(
      cwd.length,
      (n = promptChars(codexShapedRequest({ model: '', profile: NO_PROFILE_SHAPE, marker: CODEX_MARKER, cwd }))),
    );
  return n;
}

/** Codex's first request as the route's profile makes Codex send it. */
function codexShapeBody(env: CodexStageEnv): Record<string, unknown> {
  return codexShapedRequest({ model: env.model, profile: env.codexProfile, marker: CODEX_MARKER, cwd: env.cwd, nonce: env.nonce });
}

/** Tokens the Codex-sized turn's prompt holds, about (4 characters a token): what the progress estimate uses. */
export function codexShapeTokens(env: CodexStageEnv): number {
  return Math.round(promptChars(codexShapeBody(env)) / 4);
}

export async function codexShapeStage(env: CodexStageEnv): Promise<StageOutcome> {
  const body = codexShapeBody(env);
  const chars = promptChars(body);
  const estTokens = Math.round(chars / 4);
  const shape = `${env.codexProfile.catalog ? "with the profile's short instructions" : "with Codex's own instructions"}, ${env.codexProfile.nonFunctionTools ? 'with the namespace and web_search tools' : env.nonFunctionToolsMode === 'auto' ? 'without non-function tools (the profile turns them off: the server refuses them)' : 'without non-function tools (as the profile sets)'}`;
  // What is judged here is the prompt: whether the server takes it, how many tokens it counts and how
  // long it takes before the first output. One output token is enough for all three (the usage comes
  // with the end of the response); Codex's own answers are judged by the tool-call and later-turn stages.
  const r = await withSmallOutput(env, budget => postResponsesStream(env, { ...body, max_output_tokens: budget }));
  const evidence = [
    `sent ≈${estTokens} tokens shaped like Codex's first request through the profile (${shape}), with an output budget of ${env.smallOutput} token${env.smallOutput === 1 ? '' : 's'}: only the prompt is judged here`,
  ];
  if (!r.ok) return { ...failed(r, 'A Codex-sized turn failed'), evidence: [...evidence, ...r.evidence] };
  const o = r.outcome;
  evidence.push(`events: ${summarizeEvents(o.eventTypes)}`);
  // The prompt is done when the first output comes; a one-token answer can come whole at the end
  // (llama.cpp sends no partial event for it), and then the end is that moment.
  const promptAt = o.firstItemAt ?? o.endedAt;
  const metrics: StageMetrics = {
    promptMs: round(promptAt),
    ttftMs: round(o.firstOutputAt),
    inputTokens: o.usage?.input_tokens,
    outputTokens: o.usage?.output_tokens,
    contextWindow: env.contextWindow,
  };
  const d = diagnoseStream(o, env, { budget: true });
  if (d) return { status: 'fail', summary: 'The server failed on a Codex-sized turn', evidence, metrics, diagnosis: d };
  const rate = promptRate(o.usage?.input_tokens, promptAt);
  // Codex's idle timer runs from the headers (or the last event) to the next event: the silence it sees.
  const idleMs =
    promptAt === undefined ? undefined : Math.max(0, Math.round(promptAt - Math.max(r.headersAt, o.lastEventBeforeItemAt ?? 0)));
  if (rate) {
    metrics.promptTps = rate.tps;
    Object.assign(env.findings, {
      promptTps: rate.tps,
      firstPromptMs: round(promptAt),
      firstPromptTokens: o.usage?.input_tokens,
      promptIdleMs: idleMs,
    });
    evidence.push(
      `prompt processing ≈${rate.tps} tokens/s (${o.usage?.input_tokens} tokens, ${o.firstItemAt !== undefined ? 'first output item' : 'the whole one-token answer'} after ${formatMs(round(promptAt))}, cold: the prompt opens with a fresh nonce); headers after ${formatMs(Math.round(r.headersAt))}, silence before the first event ${formatMs(idleMs)}`,
    );
  }
  env.reasoningSample = o.items.find(i => i.type === 'reasoning');
  // What Codex would send without the profile: this turn plus the text the two differ in (Codex's own
  // instructions instead of the catalog's short ones) at about 4 characters a token. Scaling the whole
  // turn by the server's count undercounts: llama-server leaves namespace tools out and renders the
  // others shorter than their JSON (real Codex without the catalog: 5131 tokens, scaled: ≈3500).
  const used = o.usage?.input_tokens;
  const withoutTokens =
    used && used > 0 ? used + Math.round((charsWithoutProfile(env.cwd) - chars) / 4) : Math.round(charsWithoutProfile(env.cwd) / 4);
  if (env.contextWindow !== undefined)
    evidence.push(
      `without the profile Codex would send ≈${withoutTokens} tokens: ${withoutTokens < env.contextWindow ? 'that fits' : `more than the ${env.contextWindow}-token context, so write the profile before running Codex`}`,
    );
  const promptNote =
    metrics.promptMs !== undefined
      ? `Codex-sized prompt processed in ${formatMs(metrics.promptMs)}${metrics.promptTps ? ` (≈${metrics.promptTps} tokens/s)` : ''}`
      : 'Answered a Codex-sized prompt';
  // Under a template without tool support llama-server leaves the tools out of the prompt (the
  // tool-call stage says so): a short count is then no sign of a truncated prompt.
  const expected = env.facts.templateTools === false ? Math.round(promptChars(body, false) / 4) : estTokens;
  if (used !== undefined && used > 0 && used < expected * 0.4) {
    return {
      status: 'warn',
      summary: `${promptNote}, but the server counted only ${used} input tokens`,
      evidence,
      metrics,
      diagnosis: {
        code: 'context-too-small',
        message: `The server reports ${used} input tokens for a prompt of about ${estTokens}: it probably dropped part of it to fit its context (Ollama does this silently). Codex would lose its instructions.`,
        fix: contextFix(env.serverKind, estTokens),
      },
    };
  }
  const min = AGENTS.codex.minContextTokens;
  if (env.contextWindow !== undefined && env.contextWindow < min) {
    return {
      status: 'warn',
      summary: `${promptNote}; the context (${env.contextWindow} tokens) leaves little room`,
      evidence,
      metrics,
      diagnosis: {
        code: 'context-too-small',
        message: `The context holds ${env.contextWindow} tokens. Codex's first request fits (about ${used ?? estTokens} tokens through the profile), but each tool result adds to it and a session will overflow soon: ${min} is the practical minimum.`,
        fix: contextFix(env.serverKind, min / 2),
      },
    };
  }
  const slow = rate ? slowPrompt({ tps: rate.tps, promptMs: promptAt, idleMs }, env) : undefined;
  if (slow)
    return {
      status: 'warn',
      summary: `${promptNote}: slower than Codex's default idle timeout allows for a long session`,
      evidence,
      metrics,
      diagnosis: slow,
    };
  return { status: 'pass', summary: promptNote, evidence, metrics };
}

/** Tokens per second of prompt processing, from the server's own count and the time to its first output item. */
function promptRate(inputTokens: number | undefined, promptMs: number | undefined): { tps: number } | undefined {
  if (!inputTokens || inputTokens < 200 || promptMs === undefined || promptMs <= 0) return undefined;
  const tps = inputTokens / (promptMs / 1000);
  return { tps: tps >= 100 ? Math.round(tps) : Math.round(tps * 10) / 10 };
}

/**
 * At this rate, does a cold prompt of the whole session (up to the auto-compact limit, or the
 * context) outlast Codex's default stream idle timeout? Codex waits that long for the first event
 * and retries on a cold cache after it (see core/codex/idleTimeout.ts for what the profile sets).
 */
function slowPrompt(t: PromptTiming & { tps: number }, env: CodexStageEnv): Diagnosis | undefined {
  const plan = idleTimeoutFor(t, env.contextWindow);
  if (!plan.raised) return undefined;
  return {
    code: 'slow-prompt',
    message: `This server processes about ${t.tps} prompt tokens per second. ${plan.why} Codex's default stream idle timeout (${formatMs(DEFAULT_STREAM_IDLE_TIMEOUT_MS)}) would end such a turn, and its retry starts cold again. The Codex profile this extension writes sets stream_idle_timeout_ms = ${plan.ms} from this measurement: write it again after this verification.`,
    fix: { kind: 'writeCodexProfile', label: 'Write the Codex profile with a longer idle timeout' },
  };
}

// ── chat-completions (informational) ───────────────────────────────────────────────────────────

export async function chatCompletionsStage(env: CodexStageEnv): Promise<StageOutcome> {
  const { path: file } = env.tokenFile;
  const body = {
    model: env.model,
    messages: [{ role: 'user', content: `Use a tool to read the file ${file}, then answer with its content and nothing else.` }],
    tools: [
      {
        type: 'function',
        function: { name: READ_FILE_TOOL.name, description: READ_FILE_TOOL.description, parameters: READ_FILE_TOOL.parameters },
      },
    ],
    tool_choice: 'auto',
    max_tokens: env.maxOutputTokens,
  };
  const r = await postJson(env, '/chat/completions', body);
  if (!r.ok) return failed(r, 'POST /chat/completions failed');
  const choice = ((r.json as { choices?: unknown[] })?.choices ?? [])[0] as
    | { message?: { content?: unknown; tool_calls?: { function?: { name?: unknown; arguments?: unknown } }[] }; finish_reason?: unknown }
    | undefined;
  const calls = choice?.message?.tool_calls ?? [];
  const content = typeof choice?.message?.content === 'string' ? choice.message.content : '';
  const evidence = [
    `finish_reason ${JSON.stringify(choice?.finish_reason ?? null)}, ${calls.length} tool call(s)`,
    ...(content ? [`content: ${JSON.stringify(excerpt(content, 200))}`] : []),
  ];
  if (!calls.length) {
    const asText = looksLikeToolCallText(content, file);
    return {
      status: 'fail',
      summary: asText ? 'The tool call came back as text' : 'No tool call',
      evidence,
      diagnosis: asText
        ? {
            code: 'tool-call-as-text',
            message: 'Through /chat/completions the model wrote the tool call as text instead of a tool_calls entry.',
            fix: toolParserFix(env),
          }
        : { code: 'no-tool-call', message: 'Through /chat/completions the model answered without a tool call.', fix: null },
    };
  }
  const fnc = calls[0].function ?? {};
  const verdict = judgeCall(
    { name: String(fnc.name ?? ''), arguments: typeof fnc.arguments === 'string' ? fnc.arguments : JSON.stringify(fnc.arguments ?? {}) },
    file,
  );
  evidence.push(`call: ${String(fnc.name)}(${excerpt(String(fnc.arguments ?? ''), 200)})`);
  if (verdict.kind !== 'reads-token-file')
    return {
      status: 'fail',
      summary: 'The tool call does not read the file',
      evidence,
      diagnosis: {
        code: 'wrong-tool-arguments',
        message: `Through /chat/completions the model called ${String(fnc.name)}, but ${verdict.reason}.`,
        fix: null,
      },
    };
  return { status: 'pass', summary: 'A proper tool call through /chat/completions', evidence };
}
