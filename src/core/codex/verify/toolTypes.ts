// Which of Codex's non-function tool types a server takes, drops or refuses, and whether it takes a
// `text` option without a format. Small requests (one function tool, one question), each adding one
// thing to the same base, so the server's own input-token count tells "the model saw it" from
// "the server dropped it":
// - namespace: how Codex 0.169 sends every MCP server's tools (`mcp__<server>`) and its agent tools.
//   llama.cpp drops it with a log warning; older llama.cpp and LM Studio 0.4.11 refuse it; Ollama
//   refused it with a 500 in some versions and in others flattens the call's name
//   (`mcp__x.tool`), which Codex answers with "unsupported call".
// - custom: a freeform tool (Codex's `apply_patch` when a model's metadata asks for it).
// - web_search: Codex sends it unless `web_search = "disabled"`.
// - image-output: a tool result holding an image (view_image, an MCP tool returning a screenshot)
//   as Codex sends it to a model that takes image input; llama.cpp refuses it ("Output of tool call
//   should be 'Input text'").
// - text without format: Codex sends `text: {verbosity}` for models whose metadata supports
//   verbosity; LM Studio 0.4.x refuses a `text` without `format`.
import { postJson, type JsonResult } from '../../verify/request';
import { excerpt } from '../../verify/diagnose';
import { EXEC_COMMAND_TOOL } from '../../verify/toolcall';
import { LOOKUP_TOOL, MCP_NAMESPACE_TOOL, PROBE_NAMESPACE } from './history';
import type { OutputItem } from './responsesStream';
import { withSmallOutput, type StageOutcome } from '../../verify/stage';
import type { CodexStageEnv } from './stages';
import type { Diagnosis, ToolTypeId, ToolTypeOutcome } from '../../verify/types';

/** Shaped like Codex 0.169's freeform apply_patch (recorded), with a shorter grammar. */
const CUSTOM_TOOL = {
  type: 'custom',
  name: 'apply_patch',
  description: 'Use the `apply_patch` tool to edit files. This is a FREEFORM tool, so do not wrap the patch in JSON.',
  format: {
    type: 'grammar',
    syntax: 'lark',
    definition:
      'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF\nend_patch: "*** End Patch" LF?\nhunk: add_hunk | update_hunk\nadd_hunk: "*** Add File: " filename LF add_line+\nupdate_hunk: "*** Update File: " filename LF change_line+\nfilename: /(.+)/\nadd_line: "+" /(.*)/ LF -> line\nchange_line: ("+" | "-" | " ") /(.*)/ LF\n%import common.LF',
  },
} as const;
const WEB_SEARCH_TOOL = { type: 'web_search', external_web_access: false } as const;
const VIEW_IMAGE_TOOL = {
  type: 'function',
  name: 'view_image',
  description: 'View a local image file from the filesystem.',
  strict: false,
  parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false },
} as const;
/** A 1×1 PNG. */
const PIXEL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

const QUESTION = 'If you have a tool named lookup_ticket, call it with id "42". Otherwise reply with exactly: NO-TOOL';

/** Room for the model's call to a namespace tool, asked only where the model sees the tool: its name and namespace are judged. */
const CALL_BUDGET = 64;

function probe(env: CodexStageEnv, extra: Record<string, unknown>): Record<string, unknown> {
  return {
    model: env.model,
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: QUESTION }] }],
    tools: [EXEC_COMMAND_TOOL],
    tool_choice: 'auto',
    // Only the prompt matters here (its token count, a refusal): generation on a slow server costs
    // seconds a token under a tool grammar, so each probe asks for the smallest budget the server takes.
    max_output_tokens: env.smallOutput,
    store: false,
    ...extra,
  };
}

function imageProbe(env: CodexStageEnv): Record<string, unknown> {
  return {
    model: env.model,
    input: [
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Look at /tmp/pixel.png and say what color it is.' }] },
      {
        type: 'function_call',
        status: 'completed',
        name: 'view_image',
        arguments: '{"path":"/tmp/pixel.png"}',
        call_id: 'call_verify_image',
      },
      {
        type: 'function_call_output',
        call_id: 'call_verify_image',
        output: [
          { type: 'input_text', text: 'Wall time: 0.0019 seconds\nOutput:' },
          { type: 'input_image', image_url: PIXEL, detail: 'high' },
        ],
      },
    ],
    tools: [EXEC_COMMAND_TOOL, VIEW_IMAGE_TOOL],
    max_output_tokens: env.smallOutput,
    store: false,
  };
}

function inputTokens(r: JsonResult): number | undefined {
  const n = r.ok ? (r.json as { usage?: { input_tokens?: unknown } })?.usage?.input_tokens : undefined;
  return typeof n === 'number' ? n : undefined;
}
const outputItems = (r: JsonResult): OutputItem[] =>
  r.ok && Array.isArray((r.json as { output?: unknown })?.output) ? (r.json as { output: OutputItem[] }).output : [];

/** Failures that are not about the thing added (the server is down, busy, or the context is full). */
const NOT_ABOUT_THE_TOOL = new Set([
  'server-unreachable',
  'timeout',
  'model-loading',
  'unauthorized',
  'context-too-small',
  'model-not-found',
]);

interface ToolTypeResult {
  outcome: ToolTypeOutcome;
  /** One line of evidence. */
  line: string;
  /** The server's words when it refused. */
  refusal?: string;
}

/** Accepted or dropped, from the prompt growth the server counted (a tool's JSON is ≈4 characters a token). */
function classifyGrowth(
  base: number | undefined,
  withTool: number | undefined,
  toolChars: number,
): { outcome: ToolTypeOutcome; delta?: number } {
  if (typeof base !== 'number' || typeof withTool !== 'number') return { outcome: 'unknown' };
  const delta = withTool - base;
  return { outcome: delta >= Math.max(8, (toolChars / 4) * 0.2) ? 'accepted' : 'dropped', delta };
}

/** What the model's call says about a namespace tool: Codex routes it only with `namespace` and the bare name. */
function namespaceCall(items: readonly OutputItem[]): 'usable' | 'flattened' | 'none' {
  const call = items.find(i => i.type === 'function_call' && String(i.name ?? '').includes(LOOKUP_TOOL.name)) as
    (OutputItem & { namespace?: unknown }) | undefined;
  if (!call) return 'none';
  return call.name === LOOKUP_TOOL.name && call.namespace === PROBE_NAMESPACE ? 'usable' : 'flattened';
}

function refused(r: JsonResult): string | undefined {
  if (r.ok) return undefined;
  if (NOT_ABOUT_THE_TOOL.has(r.diagnosis.code)) return undefined;
  return r.evidence[0] ?? r.diagnosis.message;
}

export async function toolTypesStage(env: CodexStageEnv): Promise<StageOutcome> {
  const post = (b: Record<string, unknown>) => postJson(env, '/responses', b);
  // The base request first and alone: it tells the output budget the server takes. The text probe
  // right after it has the same prompt, so llama.cpp's prompt cache serves it whole.
  const base = await withSmallOutput(env, budget => post({ ...probe(env, {}), max_output_tokens: budget }));
  const bodies = [
    probe(env, { text: { verbosity: 'low' } }),
    probe(env, { tools: [EXEC_COMMAND_TOOL, CUSTOM_TOOL] }),
    probe(env, { tools: [EXEC_COMMAND_TOOL, WEB_SEARCH_TOOL] }),
    probe(env, { tools: [EXEC_COMMAND_TOOL, MCP_NAMESPACE_TOOL] }),
    imageProbe(env),
  ];
  const answers: JsonResult[] = [];
  if (env.parallel()) answers.push(...(await Promise.all(bodies.map(post))));
  else for (const b of bodies) answers.push(await post(b));
  const [text, custom, web, nsSmall, image] = answers as [JsonResult, JsonResult, JsonResult, JsonResult, JsonResult];
  let ns = nsSmall;
  if (!base.ok)
    return {
      status: 'fail',
      summary: 'The plain request with one function tool failed, so nothing else can be told',
      evidence: base.evidence,
      diagnosis: base.diagnosis,
    };
  const baseTokens = inputTokens(base);
  const results: Record<ToolTypeId, ToolTypeResult> = {
    namespace: grown(ns, baseTokens, MCP_NAMESPACE_TOOL, 'namespace (MCP)'),
    custom: grown(custom, baseTokens, CUSTOM_TOOL, 'custom (freeform)'),
    web_search: accepted(web, 'web_search', 'taken (whether the server searches is not checked)'),
    'image-output': accepted(image, 'image in a tool result', 'taken'),
  };
  if (results.namespace.outcome === 'accepted' || results.namespace.outcome === 'unknown') {
    // The model sees the tool: how it calls it decides whether Codex can route the call. The same
    // prompt again (cached) with room for the call, unless the small answer already holds one.
    if (namespaceCall(outputItems(ns)) === 'none') {
      const again = await post(probe(env, { tools: [EXEC_COMMAND_TOOL, MCP_NAMESPACE_TOOL], max_output_tokens: CALL_BUDGET }));
      if (again.ok) ns = again;
    }
    const call = namespaceCall(outputItems(ns));
    if (call === 'flattened') {
      const c = outputItems(ns).find(i => i.type === 'function_call') as { name?: unknown; namespace?: unknown };
      results.namespace = {
        outcome: 'calls-unusable',
        line: `namespace (MCP): the model called it as ${JSON.stringify(c.name)}${c.namespace === undefined ? ' with no namespace' : ` in namespace ${JSON.stringify(c.namespace)}`}; Codex answers such a call with "unsupported call"`,
      };
    } else if (call === 'usable') results.namespace.line += '; the model called it with its namespace, as Codex routes it';
  }
  const textRefusal = refused(text);
  const textFormatRequired = !!textRefusal && /text\.format/.test(textRefusal);
  const evidence = [
    `base request: ${typeof baseTokens === 'number' ? `${baseTokens} input tokens` : 'no token count reported'}`,
    ...Object.values(results).map(r => r.line),
    textFormatRequired
      ? `text without format: refused (${excerpt(textRefusal ?? '', 200)})`
      : textRefusal
        ? `text {verbosity}: refused (${excerpt(textRefusal, 200)})`
        : 'text {verbosity} without format: taken',
  ];
  env.findings.toolTypes = Object.fromEntries(Object.entries(results).map(([k, r]) => [k, r.outcome]));
  env.findings.textFormatRequired = textFormatRequired;

  const summary = `namespace (MCP) ${results.namespace.outcome}, custom ${results.custom.outcome}, web_search ${results.web_search.outcome}, images in tool results ${results['image-output'].outcome}${textFormatRequired ? ', text needs a format' : ''}`;
  const diagnosis = firstConcern(results, textFormatRequired, env);
  return { status: diagnosis ? 'warn' : 'pass', summary, evidence, ...(diagnosis ? { diagnosis } : {}) };
}

function grown(r: JsonResult, base: number | undefined, tool: object, what: string): ToolTypeResult {
  const why = refused(r);
  if (why) return { outcome: 'rejected', line: `${what}: refused: ${excerpt(why, 240)}`, refusal: why };
  if (!r.ok) return { outcome: 'unknown', line: `${what}: not told (${r.diagnosis.code})` };
  const g = classifyGrowth(base, inputTokens(r), JSON.stringify(tool).length);
  const line =
    g.outcome === 'accepted'
      ? `${what}: taken, the prompt grew by ${g.delta} tokens`
      : g.outcome === 'dropped'
        ? `${what}: answered, but the prompt grew by ${g.delta} tokens only: the server left the tool out`
        : `${what}: answered; the server reports no token counts, so whether the model saw it is not known`;
  return { outcome: g.outcome, line };
}

function accepted(r: JsonResult, what: string, okText: string): ToolTypeResult {
  const why = refused(r);
  if (why) return { outcome: 'rejected', line: `${what}: refused: ${excerpt(why, 240)}`, refusal: why };
  if (!r.ok) return { outcome: 'unknown', line: `${what}: not told (${r.diagnosis.code})` };
  return { outcome: 'accepted', line: `${what}: ${okText}` };
}

const servers = (names: readonly string[]) => (names.length ? `Your MCP servers (${names.join(', ')})` : 'MCP servers you add');

/** What turns the refused tools off, by codex.disableNonFunctionTools: the profile written now (auto), the setting (never), nothing (always: off already). */
function offFix(env: CodexStageEnv): { text: string; fix: Diagnosis['fix'] } {
  switch (env.nonFunctionToolsMode) {
    case 'auto':
      return {
        text: 'The Codex profile written for this route turns them off (MCP servers, agent tools, web search): write it (again) after this verification.',
        fix: { kind: 'writeCodexProfile', label: 'Write the Codex profile without them' },
      };
    case 'never':
      return {
        text: 'codex.disableNonFunctionTools is "never", so the profile leaves them on and Codex fails here.',
        fix: { kind: 'codexDisableNonFunctionTools', label: 'Turn off web search, agent and MCP tools in the Codex profile' },
      };
    default:
      return { text: 'The Codex profile has them off (codex.disableNonFunctionTools = always).', fix: null };
  }
}

/** The one concern the stage reports (the rest is in the evidence), most serious first. */
function firstConcern(r: Record<ToolTypeId, ToolTypeResult>, textFormatRequired: boolean, env: CodexStageEnv): Diagnosis | undefined {
  const ns = r.namespace;
  if (ns.outcome === 'rejected') {
    const o = offFix(env);
    return {
      code: 'non-function-tool-rejected',
      message: `The server refuses namespace tools (${excerpt(ns.refusal ?? '', 160)}). Codex sends each MCP server's tools and its agent tools as namespace tools, so every turn that carries one fails; ${servers(env.mcpServers)} would end every turn. ${o.text}`,
      fix: o.fix,
    };
  }
  if (ns.outcome === 'calls-unusable') {
    const o = offFix(env);
    return {
      code: 'mcp-calls-unusable',
      message: `The model sees namespace tools, but the server returns its calls without the namespace (${ns.line.replace(/^namespace \(MCP\): /, '')}). Codex cannot route such a call: ${servers(env.mcpServers)} would answer "unsupported call" and the model goes round in circles. ${o.text}`,
      fix: o.fix,
    };
  }
  if (r.web_search.outcome === 'rejected') {
    const o = offFix(env);
    return {
      code: 'non-function-tool-rejected',
      message: `The server refuses Codex's web_search tool (${excerpt(r.web_search.refusal ?? '', 160)}). ${o.text}`,
      fix: o.fix,
    };
  }
  if (ns.outcome === 'dropped') {
    return {
      code: 'mcp-tools-dropped',
      message: `The server takes namespace tools but leaves them out of the prompt. ${servers(env.mcpServers)} will not work on this route: the model never sees their tools, with no error (Codex's agent tools neither).`,
      fix: null,
    };
  }
  if (r['image-output'].outcome === 'rejected') {
    return {
      code: 'image-output-rejected',
      message: `The server refuses an image inside a tool result (${excerpt(r['image-output'].refusal ?? '', 160)}). Codex sends one when a model that takes images views a file or an MCP tool returns a screenshot; the Codex profile declares text-only input, so Codex replaces images with a note and the session goes on.`,
      fix: null,
    };
  }
  if (textFormatRequired) {
    return {
      code: 'text-format-required',
      message:
        "The server refuses a `text` option without `format` (LM Studio 0.4.x does, lmstudio-bug-tracker#1576). Codex sends `text` only for models whose metadata supports verbosity; the Codex profile's model catalog does not, so Codex works here. Do not set support_verbosity for this model, or upgrade LM Studio.",
      fix: null,
    };
  }
  if (r.custom.outcome === 'rejected') {
    return {
      code: 'non-function-tool-rejected',
      message: `The server refuses custom (freeform) tools (${excerpt(r.custom.refusal ?? '', 160)}). Codex sends one (apply_patch) only when a model's metadata asks for it; the Codex profile's model catalog does not, so Codex works here.`,
      fix: null,
    };
  }
  return undefined;
}
