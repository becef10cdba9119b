// The verifier's stages. Each returns a StageOutcome; the runner (index.ts) times them and decides
// what runs after what. Pure except for the token file the tool-call stage writes (and removes).
import { diagnoseStream, getJson, postJson, postResponsesStream, summarizeEvents, type Failed, type RequestEnv } from './request';
import { contextFix, excerpt, historyDiagnosis } from './diagnose';
import { messageText, type OutputItem } from './sse';
import {
  EXEC_COMMAND_TOOL,
  READ_FILE_TOOL,
  execOutput,
  judgeCall,
  looksLikeToolCallText,
  unsupportedOutput,
  type ProposedCall,
} from './toolcall';
import { codexShapedRequest, NO_PROFILE_SHAPE, type CodexProfileShape } from './codex-shape';
import { httpRequest, parseJson } from '../net/http';
import { serverRoot } from '../endpoints';
import { kindFromEvidence } from '../serverKind';
import { AGENTS } from '../agents';
import { formatMs } from './report';
import { DEFAULT_STREAM_IDLE_TIMEOUT_MS, idleTimeoutFor, type PromptTiming } from '../codex/idleTimeout';
import type { CodexFindings, Diagnosis, StageMetrics, StageStatus } from './types';
import type { ServerKind } from '../route/discovery';
import { replayItem, type TurnHistory } from './codex-history';
import type { NonFunctionToolsMode } from '../codex/profile';

export interface StageOutcome {
  status: StageStatus;
  summary: string;
  evidence: string[];
  metrics?: StageMetrics;
  diagnosis?: Diagnosis;
}

/** What the server said about itself along the way (llama.cpp's /props), for reports and fixes. */
export interface ServerFacts {
  /** llama.cpp: whether its chat template can carry tool calls (`chat_template_caps.supports_tools`). */
  templateTools?: boolean;
  /** llama.cpp: the chat template in use (to write a relaxed copy for --chat-template-file). */
  chatTemplate?: string;
  build?: string;
}

export interface StageEnv extends RequestEnv {
  tokenFile: { path: string; token: string };
  /** What the route's Codex profile does to Codex's request. */
  codexProfile: CodexProfileShape;
  /** codex.disableNonFunctionTools as the verification assumes it (see VerifyOptions.nonFunctionTools). */
  nonFunctionToolsMode: NonFunctionToolsMode;
  facts: ServerFacts;
  /** Filled by the models stage. */
  contextWindow?: number;
  maxOutputTokens: number;
  cwd: string;
  /** Opens Codex-shaped prompts so no server has them cached from an earlier run (see codex-shape.ts). */
  nonce: string;
  /** What the Codex stages learned for the profile writer. */
  findings: CodexFindings;
  /** The tool-call stage's conversation, for the later-turn stage to send back as Codex would. */
  history?: TurnHistory;
  /** The user's MCP servers (names from config.toml), for messages. */
  mcpServers: readonly string[];
  /** Requests may go side by side (runner.ts sideBySide). */
  parallel(): boolean;
  /** A reasoning item the server produced on the Codex-sized turn: a made-up history carries one like it. */
  reasoningSample?: OutputItem;
  /**
   * The output budget of requests whose judgement needs only the prompt's token count or the
   * server's acceptance: one token, or FALLBACK_OUTPUT_TOKENS on a server that refused one.
   */
  smallOutput: number;
}

/** What a server that refuses a one-token budget gets instead (OpenAI's own API wants at least 16). */
export const FALLBACK_OUTPUT_TOKENS = 16;

/**
 * Sends a request with the smallest output budget the server takes: generation is what a slow
 * server spends its time on, and these requests judge only the prompt. A server that refuses one
 * token with an unexplained 400 is asked once more with FALLBACK_OUTPUT_TOKENS, and the run keeps that.
 */
export async function withSmallOutput<R extends { ok: boolean }>(env: StageEnv, send: (budget: number) => Promise<R>): Promise<R> {
  const r = await send(env.smallOutput);
  const f = r as R & Partial<Failed>;
  if (r.ok || env.smallOutput >= FALLBACK_OUTPUT_TOKENS || f.status !== 400 || f.diagnosis?.code !== 'server-error') return r;
  const again = await send(FALLBACK_OUTPUT_TOKENS);
  if (again.ok) env.smallOutput = FALLBACK_OUTPUT_TOKENS;
  return again;
}

export const TEXT_MARKER = 'LOCAL-OK';
export const CODEX_MARKER = 'CODEX-OK';

function failed(f: Failed, summary: string): StageOutcome {
  return { status: 'fail', summary, evidence: f.evidence, diagnosis: f.diagnosis };
}

const round = (n: number | undefined) => (n === undefined ? undefined : Math.round(n));

// ── models ──────────────────────────────────────────────────────────────────────────────────────

interface ModelsBody {
  object?: unknown;
  data?: { id?: unknown; owned_by?: unknown; max_model_len?: unknown; aliases?: unknown; meta?: { n_ctx?: unknown } }[] | null;
  models?: { name?: unknown; model?: unknown }[];
}

export function kindFromModels(headers: Record<string, string>, body: ModelsBody): ServerKind | undefined {
  return kindFromEvidence({ headers, body });
}

/** llama.cpp's /props: template capabilities and the template itself. Best effort: a failure leaves them unknown. */
async function readLlamaProps(env: StageEnv): Promise<void> {
  try {
    const r = await httpRequest({
      url: `${serverRoot(env.baseUrl)}/props`,
      headers: env.headers,
      limits: { ...env.limits, maxBytes: 2 * 1024 * 1024 },
      signal: env.signal,
      dispatcher: env.dispatcher,
    });
    const p = r.status === 200 ? parseJson(r.text) : undefined;
    if (!p?.ok) return;
    const v = p.value as {
      chat_template_caps?: { supports_tools?: unknown };
      chat_template?: unknown;
      build_info?: unknown;
      default_generation_settings?: { n_ctx?: unknown };
    };
    // What one request can hold is a slot's context (the whole context split by --parallel), as discovery reads it.
    const slot = v.default_generation_settings?.n_ctx;
    if (typeof slot === 'number' && slot > 0) env.contextWindow = slot;
    if (typeof v.chat_template_caps?.supports_tools === 'boolean') env.facts.templateTools = v.chat_template_caps.supports_tools;
    if (typeof v.chat_template === 'string') env.facts.chatTemplate = v.chat_template;
    if (typeof v.build_info === 'string') env.facts.build = v.build_info;
  } catch {
    // unknown stays unknown
  }
}

export async function modelsStage(env: StageEnv): Promise<StageOutcome> {
  const r = await getJson(env, '/models');
  if (!r.ok && r.status === 404 && r.diagnosis.code !== 'model-not-found') {
    // Codex never lists models for a custom provider: a server (or proxy) without /models still works.
    return {
      status: 'warn',
      summary: 'The server has no /models endpoint',
      evidence: r.evidence,
      diagnosis: {
        code: 'model-not-listed',
        message: `GET ${env.baseUrl}/models answered 404, so the model name cannot be checked here; the next stages show whether the server knows it.`,
        fix: null,
      },
    };
  }
  if (!r.ok) return failed(r, 'GET /models failed');
  const body = (r.json ?? {}) as ModelsBody;
  env.serverKind ??= kindFromModels(r.headers, body);
  const data = Array.isArray(body.data) ? body.data : [];
  const ids = new Map<string, (typeof data)[number]>();
  for (const d of data) {
    if (typeof d?.id === 'string') ids.set(d.id, d);
    if (Array.isArray(d?.aliases)) for (const a of d.aliases) if (typeof a === 'string') ids.set(a, d);
  }
  for (const m of Array.isArray(body.models) ? body.models : [])
    for (const n of [m?.name, m?.model]) if (typeof n === 'string' && !ids.has(n)) ids.set(n, {});
  const want = env.model;
  const entry = ids.get(want) ?? ids.get(`${want}:latest`) ?? (want.endsWith(':latest') ? ids.get(want.slice(0, -7)) : undefined);
  const listed = [...ids.keys()];
  const evidence = [
    `HTTP ${r.status}, ${listed.length} model${listed.length === 1 ? '' : 's'}: ${excerpt(listed.slice(0, 12).join(', ') || '(none)', 400)}`,
  ];
  if (!entry) {
    const close = closeMatches(want, listed);
    return {
      status: 'fail',
      summary: `"${want}" is not among the ${listed.length} listed model${listed.length === 1 ? '' : 's'}`,
      evidence,
      diagnosis: {
        code: 'model-not-listed',
        message: `The server does not list "${want}".${close.length ? ` Did you mean ${close.map(c => `"${c}"`).join(' or ')}?` : listed.length ? '' : ' It lists no models at all.'}`,
        fix: env.serverKind === 'ollama' ? { kind: 'pullModel', model: want, label: `Pull ${want}` } : null,
      },
    };
  }
  const nCtx =
    typeof entry.meta?.n_ctx === 'number' ? entry.meta.n_ctx : typeof entry.max_model_len === 'number' ? entry.max_model_len : undefined;
  if (nCtx) env.contextWindow = nCtx;
  if (env.serverKind === 'llamacpp') await readLlamaProps(env);
  const noTools = env.facts.templateTools === false ? '; its chat template has no tool support' : '';
  if (noTools) evidence.push('/props: chat_template_caps.supports_tools = false');
  const ctx = env.contextWindow ?? nCtx;
  return {
    status: 'pass',
    summary: `"${want}" is listed${ctx ? ` (context ${ctx} tokens)` : ''}${noTools}`,
    evidence,
    metrics: { contextWindow: ctx },
  };
}

/** Listed ids that look like what the user meant (case, tag, prefix differences, small typos). */
export function closeMatches(want: string, ids: readonly string[], max = 3): string[] {
  const w = want.toLowerCase().replace(/:latest$/, '');
  const scored = ids.map(id => {
    const i = id.toLowerCase().replace(/:latest$/, '');
    const base = (s: string) => s.split('/').pop() ?? s;
    let score = levenshtein(w, i);
    if (i.includes(w) || w.includes(i) || base(i) === base(w)) score = Math.min(score, 1);
    return { id, score };
  });
  const limit = Math.max(2, Math.floor(w.length / 4));
  return scored
    .filter(s => s.score <= limit)
    .sort((a, b) => a.score - b.score)
    .slice(0, max)
    .map(s => s.id);
}

function levenshtein(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

// ── responses-text ─────────────────────────────────────────────────────────────────────────────

function textRequest(env: StageEnv): Record<string, unknown> {
  return {
    model: env.model,
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: `Reply with exactly: ${TEXT_MARKER}` }] }],
    max_output_tokens: env.maxOutputTokens,
    store: false,
  };
}

function judgeText(
  text: string,
  marker: string,
  what: string,
  items: readonly OutputItem[] = [],
): Pick<StageOutcome, 'status' | 'summary' | 'diagnosis'> {
  if (text.includes(marker)) return { status: 'pass', summary: `${what} answered "${excerpt(text, 60)}"` };
  if (!text.trim() && items.some(i => i.type === 'reasoning')) {
    // A thinking model that used the verifier's small output budget on reasoning: Codex sets no such budget.
    return {
      status: 'warn',
      summary: `${what} only reasoned within the verifier's output limit`,
      diagnosis: {
        code: 'final-answer-mismatch',
        message:
          'The model spent the output budget of this check on reasoning and wrote no answer. The API works; Codex sets no output limit, so this is not a failure by itself.',
        fix: null,
      },
    };
  }
  if (text.trim()) {
    return {
      status: 'warn',
      summary: `${what} answered, but not with ${marker}`,
      diagnosis: {
        code: 'final-answer-mismatch',
        message: `Asked to reply with exactly ${marker}, the model wrote "${excerpt(text, 120)}". The API works; the model follows instructions loosely.`,
        fix: null,
      },
    };
  }
  return {
    status: 'fail',
    summary: `${what} came back without any text`,
    diagnosis: {
      code: 'final-answer-mismatch',
      message: `The answer holds no text (asked to reply with ${marker}). A reasoning model may have spent every output token thinking; otherwise the server drops the text.`,
      fix: null,
    },
  };
}

export async function responsesTextStage(env: StageEnv): Promise<StageOutcome> {
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
  if (!Array.isArray(body.output)) {
    return {
      status: 'fail',
      summary: 'The answer has no `output` array',
      evidence: [...evidence, excerpt(r.text, 400)],
      diagnosis: {
        code: 'server-error',
        message: 'The server answered POST /responses with JSON that is not a Responses object (no `output`).',
        fix: null,
      },
    };
  }
  return {
    ...judgeText(text, TEXT_MARKER, 'The model', items),
    evidence,
    metrics: { inputTokens: body.usage?.input_tokens, outputTokens: body.usage?.output_tokens },
  };
}

// ── responses-stream ───────────────────────────────────────────────────────────────────────────

export async function responsesStreamStage(env: StageEnv): Promise<StageOutcome> {
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
    ...judgeText(text, TEXT_MARKER, 'The stream', o.items),
    evidence: [...evidence, `text: ${JSON.stringify(excerpt(text, 200))}`],
    metrics,
  };
}

// ── tool-call ──────────────────────────────────────────────────────────────────────────────────

const MAX_ROUNDS = 3;

export async function toolCallStage(env: StageEnv): Promise<StageOutcome> {
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
    const r = await postResponsesStream(env, {
      model: env.model,
      input,
      tools: [EXEC_COMMAND_TOOL, READ_FILE_TOOL],
      tool_choice: 'auto',
      parallel_tool_calls: true,
      store: false,
    });
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
    const calls = o.items.filter(i => i.type === 'function_call');
    const text = o.text || o.deltaText;
    const metrics: StageMetrics = { ttftMs: Math.round(firstTtft ?? 0) || undefined, rounds: turn };
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
  return {
    status: 'fail',
    summary: `No final answer after ${MAX_ROUNDS} rounds of tool calls`,
    evidence,
    diagnosis: {
      code: readOk ? 'final-answer-mismatch' : 'wrong-tool-arguments',
      message: readOk
        ? 'The model kept calling tools after it had the file content instead of answering.'
        : `The model kept calling tools without reading ${file}.`,
      fix: null,
    },
  };
}

const CALL_WORDS = {
  codex: {
    name: 'Codex',
    call: 'a function call',
    called: 'called a tool',
    output: 'tool output',
    small: 'Small models often do; Codex needs one that calls tools.',
  },
  claude: {
    name: 'Claude Code',
    call: 'a tool_use block',
    called: 'used a tool',
    output: 'tool results',
    small: 'Claude Code needs a model that uses tools.',
  },
} as const;

/**
 * The verdict of a tool-call round that came back without a call, for either agent: the final
 * answer after the read, or why no call came (another call, a template without tools, a call written
 * as text, prose). One judgement, so a cause found for one agent is named for the other too.
 */
export function answeredWithoutCall(o: {
  agent: 'codex' | 'claude';
  text: string;
  token: string;
  file: string;
  readOk: boolean;
  lastWrong: string | undefined;
  env: Pick<StageEnv, 'serverKind' | 'facts'>;
  evidence: string[];
  metrics: StageMetrics;
  turn: number;
}): StageOutcome {
  const w = CALL_WORDS[o.agent];
  const { evidence, metrics } = o;
  const fail = (summary: string, diagnosis: Diagnosis): StageOutcome => ({ status: 'fail', summary, evidence, metrics, diagnosis });
  if (o.readOk) {
    if (o.text.includes(o.token))
      return {
        status: 'pass',
        summary: `The model read the file through a tool and answered with its token (${o.turn} rounds)`,
        evidence,
        metrics,
      };
    return fail('The final answer does not hold the token', {
      code: 'final-answer-mismatch',
      message: `The tool call worked, but the final answer does not contain the file's content (${o.token}). The model ignores ${w.output}.`,
      fix: null,
    });
  }
  if (o.lastWrong)
    return fail(`The model ${w.called}, but never to read the file`, {
      code: 'wrong-tool-arguments',
      message: `The model made ${w.call}, but not one that reads ${o.file}: ${o.lastWrong}.`,
      fix: null,
    });
  if (o.env.facts.templateTools === false) return fail("The server's chat template has no tool support", templateNoTools(o.text, w.name));
  if (looksLikeToolCallText(o.text, o.file)) {
    return fail('The model wrote the tool call as text', {
      code: 'tool-call-as-text',
      message: `The model wrote a tool call into its answer instead of ${w.call}: the server did not parse it (wrong or missing tool-call parser, or a template without tool support). ${w.name} would print it and stop.`,
      fix: toolParserFix(o.env),
    });
  }
  return fail('The model answered without calling a tool', {
    code: 'no-tool-call',
    message: `Asked to read a file with a tool, the model answered in prose without ${w.call}. ${w.small}`,
    fix: null,
  });
}

/** The template (not the model) is why no call came back: llama-server leaves tools out of the prompt. */
export function templateNoTools(text: string, agent: 'Codex' | 'Claude Code' = 'Codex'): Diagnosis {
  return {
    code: 'template-no-tools',
    message: `The server's chat template has no tool support (/props: chat_template_caps.supports_tools is false), so llama-server leaves the tools out of the prompt and returns any call the model writes as plain text${text.includes('<tool_call>') ? ' (as here)' : ''}. ${agent} would run without working tools. This is the template, not the model: --chat-template chatml does this.`,
    fix: { kind: 'changeServer', change: { what: 'template', reason: 'no-tool-support' }, label: 'Use a template with tool support' },
  };
}

/** The server-side fix for a call that came back as text, for the server kind (and what /props said). */
export function toolParserFix(env: Pick<StageEnv, 'serverKind' | 'facts'>): Diagnosis['fix'] {
  if (env.serverKind === 'llamacpp') {
    // With a tool-capable template and Jinja on (/props says so), the model itself is the problem.
    if (env.facts.templateTools === true) return null;
    return { kind: 'changeServer', change: { what: 'jinja' }, label: 'Turn on --jinja' };
  }
  if (env.serverKind === 'vllm') return { kind: 'changeServer', change: { what: 'tool-parser' }, label: 'Turn on tool-call parsing' };
  return null;
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
function codexShapeBody(env: StageEnv): Record<string, unknown> {
  return codexShapedRequest({ model: env.model, profile: env.codexProfile, marker: CODEX_MARKER, cwd: env.cwd, nonce: env.nonce });
}

/** Tokens the Codex-sized turn's prompt holds, about (4 characters a token): what the progress estimate uses. */
export function codexShapeTokens(env: StageEnv): number {
  return Math.round(promptChars(codexShapeBody(env)) / 4);
}

export async function codexShapeStage(env: StageEnv): Promise<StageOutcome> {
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
function slowPrompt(t: PromptTiming & { tps: number }, env: StageEnv): Diagnosis | undefined {
  const plan = idleTimeoutFor(t, env.contextWindow);
  if (!plan.raised) return undefined;
  return {
    code: 'slow-prompt',
    message: `This server processes about ${t.tps} prompt tokens per second. ${plan.why} Codex's default stream idle timeout (${formatMs(DEFAULT_STREAM_IDLE_TIMEOUT_MS)}) would end such a turn, and its retry starts cold again. The Codex profile this extension writes sets stream_idle_timeout_ms = ${plan.ms} from this measurement: write it again after this verification.`,
    fix: { kind: 'writeCodexProfile', label: 'Write the Codex profile with a longer idle timeout' },
  };
}

// ── chat-completions (informational) ───────────────────────────────────────────────────────────

export async function chatCompletionsStage(env: StageEnv): Promise<StageOutcome> {
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
