// The verification report as a self-contained HTML page for a webview: every stage with its
// timings, evidence and diagnosis, a button per fix, and the server's own output next to a failing
// stage. Pure: the extension supplies the CSP source and nonce, and posts back `{type, stage}`.
import { SHAPE_STAGES, type StageResult, type VerifyReport } from './types';
import { AGENT_NAMES, describeBridgeVerdict, describeFix, formatMs, type ChangeResolver } from './report';
import { displayText, DISPLAY_LIMITS } from '../text/sanitize';

export interface HtmlOptions {
  cspSource: string;
  nonce: string;
  /** Server output per failing stage id (the extension's launched server's recent lines). */
  serverOutput?: Partial<Record<string, string[]>>;
  /** How a server change is made for the server that failed (a setting and a restart, or a flag to copy). */
  resolve?: ChangeResolver;
  /** When the run started, as the person reads times (the extension formats it in their locale). */
  startedLabel?: string;
  /** What to do next after a pass: buttons posting `{type: action}`. */
  next?: { label: string; action: string }[];
  /** Lines about the agent beside the stages (whether Codex will have the key, …). */
  notes?: string[];
}

/** Text for the page: sanitized (a server's control and bidi characters shown escaped, long text cut), then HTML-escaped. */
export function escapeHtml(s: string): string {
  return displayText(s, { max: DISPLAY_LIMITS.block }).replace(
    /[&<>"']/g,
    c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const BADGE: Record<StageResult['status'], string> = { pass: '✔ pass', warn: '⚠ warn', fail: '✖ fail', skip: '– skip' };

function metrics(s: StageResult): string {
  const m = s.metrics ?? {};
  const parts: string[] = [];
  if (m.ttftMs !== undefined) parts.push(`time to first token ${formatMs(m.ttftMs)}`);
  if (m.promptMs !== undefined && SHAPE_STAGES.includes(s.id)) parts.push(`prompt ${formatMs(m.promptMs)}`);
  if (m.inputTokens !== undefined) parts.push(`${m.inputTokens} input tokens`);
  if (m.contextWindow !== undefined) parts.push(`context ${m.contextWindow}`);
  if (m.rounds !== undefined) parts.push(`${m.rounds} round${m.rounds === 1 ? '' : 's'}`);
  return parts.join(' · ');
}

function stageHtml(s: StageResult, o: HtmlOptions): string {
  const d = s.diagnosis;
  const fix = d?.fix;
  const m = metrics(s);
  const plan = fix?.kind === 'changeServer' ? o.resolve?.(fix.change) : undefined;
  const label = plan ? plan.label : (fix?.label ?? '');
  const out = o.serverOutput?.[s.id];
  return `<section class="stage ${escapeHtml(s.status)}" id="stage-${escapeHtml(s.id)}">
  <h2><span class="badge ${s.status}">${BADGE[s.status]}</span> ${escapeHtml(s.title)} <span class="ms">${formatMs(s.ms)}</span></h2>
  <p>${escapeHtml(s.summary)}${m ? `<br><span class="metrics">${escapeHtml(m)}</span>` : ''}</p>
  ${d && s.status !== 'pass' ? `<p class="diagnosis"><code>${escapeHtml(d.code)}</code> ${escapeHtml(d.message)}</p>` : ''}
  ${fix && s.status !== 'pass' ? `<p><button data-stage="${escapeHtml(s.id)}" title="${escapeHtml(describeFix(fix, o.resolve))}">${escapeHtml(label)}</button> <span class="hint">${escapeHtml(describeFix(fix, o.resolve))}</span>${plan?.how === 'manual' && plan.copy ? `<br><code>${escapeHtml(plan.copy)}</code>` : ''}</p>` : ''}
  ${s.evidence.length && s.status !== 'pass' && s.status !== 'skip' ? `<details open><summary>Evidence</summary><pre>${escapeHtml(s.evidence.join('\n'))}</pre></details>` : s.evidence.length ? `<details><summary>Evidence</summary><pre>${escapeHtml(s.evidence.join('\n'))}</pre></details>` : ''}
  ${out?.length ? `<details open><summary>The server's last output</summary><pre>${escapeHtml(out.join('\n'))}</pre></details>` : ''}
</section>`;
}

export function renderHtml(report: VerifyReport, o: HtmlOptions): string {
  const name = AGENT_NAMES[report.agent ?? 'codex'];
  const verdict = report.cancelled ? 'Cancelled' : report.ok ? `${name} can use this route` : `This route will fail in ${name}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${o.cspSource} 'nonce-${o.nonce}'; script-src 'nonce-${o.nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Route verification</title>
<style nonce="${o.nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1.5em 2em; line-height: 1.45; }
h1 { font-size: 1.4em; } h2 { font-size: 1.05em; margin: 0 0 .3em; }
.stage { border-left: 3px solid var(--vscode-panel-border); padding: .4em .9em; margin: .8em 0; }
.stage.pass { border-color: var(--vscode-testing-iconPassed); } .stage.fail { border-color: var(--vscode-testing-iconFailed); }
.stage.warn { border-color: var(--vscode-editorWarning-foreground); } .stage.skip { opacity: .7; }
.ms, .metrics, .hint { color: var(--vscode-descriptionForeground); font-weight: normal; font-size: .92em; }
.badge { font-family: var(--vscode-editor-font-family); }
pre { background: var(--vscode-textCodeBlock-background); padding: .6em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
button { background: var(--vscode-button-background); color: var(--vscode-button-foreground); border: none; padding: .35em .9em; cursor: pointer; }
button:hover { background: var(--vscode-button-hoverBackground); }
.actions button { margin-right: .5em; }
</style></head>
<body>
<h1>${report.ok ? '✔' : report.cancelled ? '–' : '✖'} ${escapeHtml(verdict)}</h1>
${report.headline ? `<p class="headline"><strong>${escapeHtml(report.headline)}</strong></p>` : ''}
${report.throughBridge ? `<p class="bridge">${escapeHtml(describeBridgeVerdict(report.throughBridge, report.agent))}</p>` : ''}
<p><code>${escapeHtml(report.model)}</code> at <code>${escapeHtml(report.baseUrl)}</code>${report.serverKind ? ` (${escapeHtml(report.serverKind)})` : ''} · ${escapeHtml(o.startedLabel ?? report.startedAt)} · took ${formatMs(report.ms)}</p>
${o.notes?.length ? `<ul class="notes">${o.notes.map(n => `<li>${escapeHtml(n)}</li>`).join('')}</ul>` : ''}
${report.ok && o.next?.length ? `<p class="next">Next: ${o.next.map(n => `<button data-action="${escapeHtml(n.action)}">${escapeHtml(n.label)}</button>`).join(' ')}</p>` : ''}
<p class="actions"><button data-action="rerun">Verify again</button><button data-action="log">Show log</button></p>
${report.stages.map(s => stageHtml(s, o)).join('\n')}
<script nonce="${o.nonce}">
const vscode = acquireVsCodeApi();
document.addEventListener('click', e => {
  const b = e.target.closest('button');
  if (!b) return;
  if (b.dataset.stage) vscode.postMessage({ type: 'fix', stage: b.dataset.stage });
  else if (b.dataset.action) vscode.postMessage({ type: b.dataset.action });
});
</script>
</body></html>`;
}
