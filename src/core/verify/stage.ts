// What every agent's verifier stages share: the outcome and environment types, the small output
// budget, the models stage, and the judgement of a tool-call round that came back without a call.
// Agent-specific stages live with their agent (core/codex/verify, core/claude/verify).
import { getJson, type Failed, type RequestEnv } from './request';
import { excerpt } from './diagnose';
import { looksLikeToolCallText } from './toolcall';
import { httpRequest, parseJson } from '../net/http';
import { serverRoot } from '../endpoints';
import { kindFromEvidence } from '../serverKind';
import type { Diagnosis, DiagnosisCode, StageMetrics, StageStatus } from './types';
import type { ServerKind } from '../serverKind';
import { listedContext, llamaPropsFacts, type ModelsEntry } from '../serverFacts';

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
  facts: ServerFacts;
  /** Filled by the models stage. */
  contextWindow?: number;
  maxOutputTokens: number;
  cwd: string;
  /** Opens agent-shaped prompts so no server has them cached from an earlier run. */
  nonce: string;
  /** Requests may go side by side (runner.ts sideBySide). */
  parallel(): boolean;
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

export function failed(f: Failed, summary: string): StageOutcome {
  return { status: 'fail', summary, evidence: f.evidence, diagnosis: f.diagnosis };
}

export const round = (n: number | undefined) => (n === undefined ? undefined : Math.round(n));

// ── models ──────────────────────────────────────────────────────────────────────────────────────

interface ModelsBody {
  object?: unknown;
  data?: ModelsEntry[] | null;
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
    const { slotContext, ...facts } = llamaPropsFacts(p.value);
    if (slotContext) env.contextWindow = slotContext;
    Object.assign(env.facts, facts);
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
  const nCtx = listedContext(entry, env.serverKind)?.contextWindow;
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

/** Rounds of tool calls the tool stages answer before they want the final answer (both agents). */
export const MAX_TOOL_ROUNDS = 3;

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

/**
 * The verdict after MAX_TOOL_ROUNDS rounds of calls of which none read the file, for either agent: the
 * same code whether the model then calls again or answers, so what it writes after the server took
 * the conversation is not read (`stopped`).
 */
export function neverRead(
  agent: 'codex' | 'claude',
  o: { file: string; lastWrong: string | undefined; evidence: string[]; metrics: StageMetrics; turn: number; stopped: boolean },
): StageOutcome {
  const w = CALL_WORDS[agent];
  return {
    status: 'fail',
    summary: `${MAX_TOOL_ROUNDS} rounds of ${agent === 'codex' ? 'tool calls' : 'tool use'}, none a read of the file`,
    evidence: [
      ...o.evidence,
      `round ${o.turn}: the server took the conversation${o.stopped ? `; stopped at the first output item (after ${MAX_TOOL_ROUNDS} rounds without a read, what the model writes next cannot change the verdict)` : ''}`,
    ],
    metrics: o.metrics,
    diagnosis: {
      code: 'wrong-tool-arguments',
      message: `The model made ${w.call} in each of ${MAX_TOOL_ROUNDS} rounds, but never one that reads ${o.file}${o.lastWrong ? `: ${o.lastWrong}` : ''}.`,
      fix: null,
    },
  };
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

const THOUGHT_WORDS = {
  codex: { verb: 'reasoned', noun: 'reasoning', budget: 'Codex sets no output limit, so this is not a failure by itself.' },
  claude: { verb: 'thought', noun: 'thinking', budget: 'Claude Code allows far more output.' },
} as const;

/**
 * The verdict on a text answer asked to reply with exactly `marker`, for either agent: the marker,
 * only reasoning within the verifier's small output budget (no failure: the agents set no such
 * budget), other text (the model follows instructions loosely), or no text at all.
 */
export function judgeText(
  agent: 'codex' | 'claude',
  text: string,
  marker: string,
  what: string,
  thought: boolean,
): Pick<StageOutcome, 'status' | 'summary' | 'diagnosis'> {
  const w = THOUGHT_WORDS[agent];
  if (text.includes(marker)) return { status: 'pass', summary: `${what} answered "${excerpt(text, 60)}"` };
  if (!text.trim() && thought)
    return {
      status: 'warn',
      summary: `${what} only ${w.verb} within the verifier's output limit`,
      diagnosis: {
        code: 'final-answer-mismatch',
        message: `The model spent the output budget of this check on ${w.noun} and wrote no answer. The API works; ${w.budget}`,
        fix: null,
      },
    };
  if (text.trim())
    return {
      status: 'warn',
      summary: `${what} answered, but not with ${marker}`,
      diagnosis: {
        code: 'final-answer-mismatch',
        message: `Asked to reply with exactly ${marker}, the model wrote "${excerpt(text, 120)}". The API works; the model follows instructions loosely.`,
        fix: null,
      },
    };
  return {
    status: 'fail',
    summary: `${what} came back without any text`,
    diagnosis: {
      code: 'final-answer-mismatch',
      message: `The answer holds no text (asked to reply with ${marker}). A reasoning model may have spent every output token ${w.noun}; otherwise the server drops the text.`,
      fix: null,
    },
  };
}

/** When one of these comes back, an agent's later stages would only repeat it; `apiMissing` is the agent's own API missing. */
export function blockingCodes(apiMissing: DiagnosisCode): readonly DiagnosisCode[] {
  return ['server-unreachable', 'unauthorized', 'model-loading', 'model-not-found', apiMissing, 'timeout'];
}

/** A 200 answer whose JSON is not the agent's response object (no `field` array): a failed stage. */
export function notTheApisObject(
  evidence: readonly string[],
  bodyText: string,
  request: string,
  field: string,
  what: string,
): StageOutcome {
  return {
    status: 'fail',
    summary: `The answer has no \`${field}\` array`,
    evidence: [...evidence, excerpt(bodyText, 400)],
    diagnosis: {
      code: 'server-error',
      message: `The server answered ${request} with JSON that is not a ${what} object (no \`${field}\`).`,
      fix: null,
    },
  };
}
