// Renders a VerifyReport for people: plain text for the terminal, Markdown for documents, and the
// one-line summary the route store keeps.
import type { VerificationSummary } from '../route';
import { SHAPE_STAGES, type AgentId, type Fix, type StageResult, type VerifyReport } from './types';
import { SETTINGS, type SettingDef } from '../settings/catalog';

export const AGENT_NAMES: Record<AgentId, string> = { codex: 'Codex', claude: 'Claude Code' };

const ICON: Record<StageResult['status'], string> = { pass: '✔', warn: '⚠', fail: '✖', skip: '–' };

export function firstFailure(report: VerifyReport): StageResult | undefined {
  return report.stages.find(s => s.status === 'fail');
}

export function summarize(report: VerifyReport, at = Date.now()): VerificationSummary {
  const f = firstFailure(report);
  if (report.ok || !f) return { ok: report.ok, at, ...(report.cancelled ? { message: 'cancelled' } : {}) };
  return { ok: false, at, failedStage: f.id, diagnosis: f.diagnosis?.code, message: f.diagnosis?.message ?? f.summary };
}

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

/** For a server the user starts by hand: the flag or variable that has the same effect as a setting. */
export function manualEquivalent(key: string, value: string | number | boolean): string | undefined {
  const def = (SETTINGS as Record<string, SettingDef>)[key];
  if (key.startsWith('llamacpp.') && def?.flag) return def.type === 'boolean' ? (value ? def.flag : `--no-${def.flag.replace(/^--/, '')}`) : `llama-server ${def.flag} ${value}`;
  switch (key) {
    case 'vllm.maxModelLen': return `vllm serve … --max-model-len ${value}`;
    case 'vllm.enableAutoToolChoice': return 'vllm serve … --enable-auto-tool-choice --tool-call-parser <parser for your model>';
    case 'ollama.contextLength': return `OLLAMA_CONTEXT_LENGTH=${value} ollama serve`;
    case 'lmstudio.contextLength': return `lms load <model> --context-length ${value}`;
    default: return undefined;
  }
}

export function describeFix(fix: Fix): string {
  switch (fix.kind) {
    case 'setSetting': {
      const manual = manualEquivalent(fix.key, fix.value);
      return `set localModelRouter.${fix.key} to ${JSON.stringify(fix.value)}${fix.restart ? ' and restart the server' : ''}${manual ? ` (a server you start yourself: ${manual})` : ''}`;
    }
    case 'codexDisableNonFunctionTools': return 'set localModelRouter.codex.disableNonFunctionTools to "always" and rewrite the Codex profile';
    case 'pullModel': return `pull the model (ollama pull ${fix.model})`;
    case 'openServerTerminal': return "read the server's own output";
    case 'setApiKey': return 'set the API key for this endpoint';
    case 'upgrade': return `upgrade ${fix.what} to ${fix.minVersion}`;
    case 'claudeDisableThinking': return "set CLAUDE_CODE_DISABLE_THINKING=1 in the route's Claude Code settings";
  }
}

export function renderText(report: VerifyReport): string {
  const lines = [`Verify ${report.model} at ${report.baseUrl}${report.serverKind ? ` (${report.serverKind})` : ''}`];
  for (const s of report.stages) {
    const m = metricsLine(s);
    lines.push(`  ${ICON[s.status]} ${s.id.padEnd(17)} ${s.status.padEnd(4)} ${formatMs(s.ms).padStart(8)}  ${s.summary}${m ? ` [${m}]` : ''}`);
    if (s.diagnosis && s.status !== 'pass') {
      lines.push(`      ${s.diagnosis.code}: ${s.diagnosis.message}`);
      if (s.diagnosis.fix) lines.push(`      fix: ${describeFix(s.diagnosis.fix)}`);
      for (const e of s.evidence.slice(0, 3)) lines.push(`      > ${e}`);
    }
  }
  lines.push(report.cancelled ? 'Cancelled.' : report.ok ? `OK: ${AGENT_NAMES[report.agent ?? 'codex']} can use this route (${formatMs(report.ms)}).` : `FAILED (${formatMs(report.ms)}).`);
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/[\\`*_[\]<>|]/g, m => `\\${m}`);

/** A Markdown document (for a preview or a file); `serverOutput` maps stage id → the server's last lines. */
export function renderMarkdown(report: VerifyReport, serverOutput: Partial<Record<string, string[]>> = {}): string {
  const out = [
    `# Route verification: ${report.ok ? 'passed' : report.cancelled ? 'cancelled' : 'failed'}`,
    '',
    `- Model: \`${report.model}\``,
    `- Server: \`${report.baseUrl}\`${report.serverKind ? ` (${report.serverKind})` : ''}`,
    `- Started: ${report.startedAt}, took ${formatMs(report.ms)}`,
    '',
    '| Stage | Result | Time | Details |',
    '|---|---|---|---|',
    ...report.stages.map(s => `| ${esc(s.title)} | ${ICON[s.status]} ${s.status} | ${formatMs(s.ms)} | ${esc(s.summary)}${metricsLine(s) ? ` (${esc(metricsLine(s))})` : ''} |`),
    '',
  ];
  for (const s of report.stages) {
    if (s.status === 'pass' || s.status === 'skip') continue;
    out.push(`## ${ICON[s.status]} ${esc(s.title)}`, '');
    if (s.diagnosis) {
      out.push(`**${s.diagnosis.code}**: ${esc(s.diagnosis.message)}`, '');
      if (s.diagnosis.fix) out.push(`Fix: ${esc(describeFix(s.diagnosis.fix))}.`, '');
    }
    if (s.evidence.length) out.push('```text', ...s.evidence.map(e => e.replace(/```/g, "'''")), '```', '');
    const lines = serverOutput[s.id];
    if (lines?.length) out.push("The server's last output:", '', '```text', ...lines.map(l => l.replace(/```/g, "'''")), '```', '');
  }
  return out.join('\n');
}
