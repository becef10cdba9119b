// Renders a VerifyReport for people: plain text for the terminal, Markdown for documents, and the
// one-line summary the route store keeps.
import type { VerificationSummary } from '../route/routeHealth';
import { SHAPE_STAGES, type BridgeVerdict, type Fix, type ServerChange, type StageResult, type VerifyReport } from './types';
import { SERVER_KIND_INFO } from '../serverKind';
import { AGENTS, AGENT_IDS, type AgentId } from '../agents';
import type { ChangePlan } from '../serverChanges';
import { fullKey } from '../settings/catalog';

/** The agents' names, from agents.ts. */
export const AGENT_NAMES = Object.fromEntries(AGENT_IDS.map(a => [a, AGENTS[a].displayName])) as Record<AgentId, string>;

const ICON: Record<StageResult['status'], string> = { pass: '✔', warn: '⚠', fail: '✖', skip: '–' };

export function firstFailure(report: VerifyReport): StageResult | undefined {
  return report.stages.find(s => s.status === 'fail');
}

function bridgeSummary(v: BridgeVerdict): NonNullable<VerificationSummary['throughBridge']> {
  return {
    ok: v.ok,
    repairs: [...v.repairs],
    ...(v.upstreamApi ? { upstreamApi: v.upstreamApi } : {}),
    ...(v.failed ? { failed: v.failed.code } : {}),
  };
}

export function summarize(report: VerifyReport, at = Date.now()): VerificationSummary {
  const f = firstFailure(report);
  const agent = report.agent ?? 'codex';
  const tool = report.stages.find(s => s.id === 'tool-call' || s.id === 'messages-tool-call');
  const extra = {
    ...(report.headline ? { headline: report.headline } : {}),
    ...(report.findings ? { findings: report.findings } : {}),
    ...(tool
      ? { toolCall: { status: tool.status, ...(tool.diagnosis ? { code: tool.diagnosis.code, message: tool.diagnosis.message } : {}) } }
      : {}),
    ...(report.throughBridge ? { throughBridge: bridgeSummary(report.throughBridge) } : {}),
  };
  if (report.ok || !f) return { agent, ok: report.ok, at, ...(report.cancelled ? { message: 'cancelled' } : {}), ...extra };
  return { agent, ok: false, at, failedStage: f.id, diagnosis: f.diagnosis?.code, message: f.diagnosis?.message ?? f.summary, ...extra };
}

const stage = (r: VerifyReport, id: StageResult['id']) => r.stages.find(s => s.id === id);
const passed = (s: StageResult | undefined) => s !== undefined && (s.status === 'pass' || s.status === 'warn');
const failedWith = (s: StageResult | undefined) => (s?.status === 'fail' ? (s.diagnosis?.code ?? 'failed') : undefined);

/** Why MCP tools will not work, from the tool-types stage's finding. */
function mcpWhy(ns: string, off: boolean | undefined): string | undefined {
  const then = off ? 'off in the profile' : 'every turn with one configured fails';
  switch (ns) {
    case 'rejected':
      return `the server refuses them; ${then}`;
    case 'calls-unusable':
      return `their calls come back without the namespace; ${off ? then : 'Codex answers them "unsupported call"'}`;
    case 'dropped':
      return 'the server leaves them out of the prompt';
    default:
      return undefined;
  }
}

/**
 * One line: what a Codex session on this route will and will not be able to do, from the stages
 * that ran. Stages that were skipped say nothing.
 */
export function codexHeadline(r: VerifyReport): string {
  if (r.cancelled) return 'Verification cancelled: nothing is known yet.';
  const blocking = ['models', 'responses-text', 'responses-stream', 'codex-shape']
    .map(id => stage(r, id as StageResult['id']))
    .find(s => s?.status === 'fail');
  if (blocking && blocking.id !== 'models')
    return `Codex cannot work on this route: ${blocking.title.toLowerCase()} failed (${blocking.diagnosis?.code ?? 'failed'}).`;
  const can: string[] = [];
  const cannot: string[] = [];
  if (passed(stage(r, 'codex-shape')) || passed(stage(r, 'responses-stream'))) can.push('answer');
  const tool = stage(r, 'tool-call');
  if (passed(tool)) can.push('run commands through tools');
  else if (failedWith(tool)) cannot.push(`run tools (${failedWith(tool)})`);
  const later = stage(r, 'multi-turn');
  const f = r.findings ?? {};
  if (passed(later)) can.push('keep going across turns');
  else if (later?.status === 'fail' && f.laterTurns && f.lateDeveloper === false) {
    can.push('keep going across turns');
    cannot.push('continue after a permissions change (template-system-message)');
  } else if (failedWith(later)) cannot.push(`continue past the first turn (${failedWith(later)})`);
  const ns = f.toolTypes?.namespace;
  if (ns === 'accepted') can.push('use MCP tools');
  else if (ns && mcpWhy(ns, f.nonFunctionToolsOff)) cannot.push(`use MCP tools (${mcpWhy(ns, f.nonFunctionToolsOff)})`);
  const parts = [`Codex here can ${can.length ? joinAnd(can) : 'do nothing yet'}`];
  // "cannot run tools or use MCP tools": each is impossible on its own, not only the two together.
  if (cannot.length) parts.push(`cannot ${joinWith(cannot, 'or')}`);
  if (f.firstPromptMs !== undefined && f.promptTps !== undefined)
    parts.push(`first prompt ≈${formatMs(f.firstPromptMs)} at ${f.promptTps} tokens/s`);
  return `${parts.join('; ')}.`;
}

function joinWith(xs: string[], word: 'and' | 'or'): string {
  return xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} ${word} ${xs[xs.length - 1]}`;
}
const joinAnd = (xs: string[]) => joinWith(xs, 'and');

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function metricsLine(s: StageResult): string {
  const m = s.metrics ?? {};
  const parts: string[] = [];
  if (m.ttftMs !== undefined) parts.push(`first token ${formatMs(m.ttftMs)}`);
  if (m.promptMs !== undefined && SHAPE_STAGES.includes(s.id)) parts.push(`prompt ${formatMs(m.promptMs)}`);
  if (m.inputTokens !== undefined) parts.push(`${m.inputTokens} input tokens`);
  if (m.contextWindow !== undefined) parts.push(`context ${m.contextWindow}`);
  return parts.join(', ');
}

/** Resolves a server change against the server that failed (core/serverChanges.ts planServerChange). */
export type ChangeResolver = (change: ServerChange) => ChangePlan;

/** One line on what a fix does; `resolve` says how a server change is made for this server. */
export function describeFix(fix: Fix, resolve?: ChangeResolver): string {
  switch (fix.kind) {
    case 'changeServer': {
      const plan = resolve?.(fix.change);
      if (!plan) return fix.label.toLowerCase();
      return plan.how === 'setting' ? plan.detail : `${plan.detail}${plan.copy ? ` (${plan.copy})` : ''}`;
    }
    case 'codexDisableNonFunctionTools':
      return `set ${fullKey('codex.disableNonFunctionTools')} to "auto" and write the Codex profile again (web search, agent and MCP tools off where the server refuses them)`;
    case 'pullModel':
      return `pull the model (ollama pull ${fix.model})`;
    case 'openServerTerminal':
      return "read the server's own output";
    case 'setApiKey':
      return 'set the API key for this endpoint';
    case 'upgrade': {
      const k = SERVER_KIND_INFO[fix.serverKind];
      return `upgrade ${k.displayName} to ${fix.api === 'responses' ? k.responsesSince : k.messagesSince}${k.downloadUrl ? ` (${k.downloadUrl})` : ''}`;
    }
    case 'claudeDisableThinking':
      return "set CLAUDE_CODE_DISABLE_THINKING=1 in the route's Claude Code settings";
    case 'writeCodexProfile':
      return 'write the Codex profile again (it uses what this verification measured)';
  }
}

/** One line for a report: the verdict through the bridge for `agent`. */
export function describeBridgeVerdict(v: BridgeVerdict, agent: AgentId = 'codex'): string {
  const over =
    v.upstreamApi !== 'responses'
      ? "the server's chat completions"
      : agent === 'claude'
        ? "the server's /v1/responses, translated (bridge --claude-upstream-api responses)"
        : "the server's own /v1/responses, repaired (bridge --upstream-api responses)";
  const what = `the bridge repairs ${v.repairs.join(', ')} over ${over}`;
  if (v.ok) return `Through the route bridge (Start Route Bridge): passed — ${what}.${v.headline ? ` ${v.headline}` : ''}`;
  return `Through the route bridge: still fails${v.failed ? ` at ${v.failed.stage} (${v.failed.code}: ${v.failed.message})` : ''} — ${what}, not this.`;
}

export function renderText(report: VerifyReport, resolve?: ChangeResolver): string {
  const lines = [`Verify ${report.model} at ${report.baseUrl}${report.serverKind ? ` (${report.serverKind})` : ''}`];
  if (report.headline) lines.push(`  ${report.headline}`);
  if (report.throughBridge) lines.push(`  ${describeBridgeVerdict(report.throughBridge, report.agent)}`);
  for (const s of report.stages) {
    const m = metricsLine(s);
    lines.push(
      `  ${ICON[s.status]} ${s.id.padEnd(17)} ${s.status.padEnd(4)} ${formatMs(s.ms).padStart(8)}  ${s.summary}${m ? ` [${m}]` : ''}`,
    );
    if (s.diagnosis && s.status !== 'pass') {
      lines.push(`      ${s.diagnosis.code}: ${s.diagnosis.message}`);
      if (s.diagnosis.fix) lines.push(`      fix: ${describeFix(s.diagnosis.fix, resolve)}`);
      for (const e of s.evidence.slice(0, 3)) lines.push(`      > ${e}`);
    }
  }
  lines.push(
    report.cancelled
      ? 'Cancelled.'
      : report.ok
        ? `OK: ${AGENT_NAMES[report.agent ?? 'codex']} can use this route (${formatMs(report.ms)}).`
        : `FAILED (${formatMs(report.ms)}).`,
  );
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/[\\`*_[\]<>|]/g, m => `\\${m}`);

/** A Markdown document (for a preview or a file); `serverOutput` maps stage id → the server's last lines. */
export function renderMarkdown(
  report: VerifyReport,
  serverOutput: Partial<Record<string, string[]>> = {},
  resolve?: ChangeResolver,
): string {
  const out = [
    `# Route verification: ${report.ok ? 'passed' : report.cancelled ? 'cancelled' : 'failed'}`,
    '',
    ...(report.headline ? [`**${esc(report.headline)}**`, ''] : []),
    ...(report.throughBridge ? [esc(describeBridgeVerdict(report.throughBridge, report.agent)), ''] : []),
    `- Model: \`${report.model}\``,
    `- Server: \`${report.baseUrl}\`${report.serverKind ? ` (${report.serverKind})` : ''}`,
    `- Started: ${report.startedAt}, took ${formatMs(report.ms)}`,
    '',
    '| Stage | Result | Time | Details |',
    '|---|---|---|---|',
    ...report.stages.map(
      s =>
        `| ${esc(s.title)} | ${ICON[s.status]} ${s.status} | ${formatMs(s.ms)} | ${esc(s.summary)}${metricsLine(s) ? ` (${esc(metricsLine(s))})` : ''} |`,
    ),
    '',
  ];
  for (const s of report.stages) {
    if (s.status === 'pass' || s.status === 'skip') continue;
    out.push(`## ${ICON[s.status]} ${esc(s.title)}`, '');
    if (s.diagnosis) {
      out.push(`**${s.diagnosis.code}**: ${esc(s.diagnosis.message)}`, '');
      if (s.diagnosis.fix) out.push(`Fix: ${esc(describeFix(s.diagnosis.fix, resolve))}.`, '');
    }
    if (s.evidence.length) out.push('```text', ...s.evidence.map(e => e.replace(/```/g, "'''")), '```', '');
    const lines = serverOutput[s.id];
    if (lines?.length) out.push("The server's last output:", '', '```text', ...lines.map(l => l.replace(/```/g, "'''")), '```', '');
  }
  return out.join('\n');
}
