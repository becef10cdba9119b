// Reading what a `verify --json` report learned (its `findings`) back for a profile: the report is a
// file, so every value is checked for its type and range before it shapes the profile or lands in a
// comment in it ("prompt processing measured at 950 tokens/s"). A value that is not what the
// verifier writes refuses the whole report, naming the field.
import { TOOL_TYPE_IDS, type CodexFindings, type ToolTypeOutcome } from '../verify/types';
import { displayName } from '../text/sanitize';

const OUTCOMES: readonly ToolTypeOutcome[] = ['accepted', 'dropped', 'rejected', 'calls-unusable', 'unknown'];
const NUMBERS = {
  promptTps: { min: 0, exclusive: true, integer: false },
  firstPromptMs: { min: 0, exclusive: false, integer: false },
  promptIdleMs: { min: 0, exclusive: false, integer: false },
  firstPromptTokens: { min: 0, exclusive: true, integer: true },
} as const;
const BOOLEANS = ['nonFunctionToolsOff', 'textFormatRequired', 'firstTurnOk', 'laterTurns', 'lateDeveloper'] as const;

export type FindingsRead = { ok: true; findings: CodexFindings } | { ok: false; error: string };

const shown = (v: unknown) => displayName(typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v) ?? v));

export function readCodexFindings(value: unknown): FindingsRead {
  if (value === undefined || value === null) return { ok: true, findings: {} };
  if (typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: '"findings" is not an object' };
  const v = value as Record<string, unknown>;
  const out: CodexFindings = {};
  for (const [key, rule] of Object.entries(NUMBERS) as [keyof typeof NUMBERS, (typeof NUMBERS)[keyof typeof NUMBERS]][]) {
    const n = v[key];
    if (n === undefined) continue;
    if (
      typeof n !== 'number' ||
      !Number.isFinite(n) ||
      (rule.exclusive ? n <= rule.min : n < rule.min) ||
      (rule.integer && !Number.isInteger(n))
    )
      return {
        ok: false,
        error: `findings.${key} is ${shown(n)}; the verifier writes ${rule.integer ? 'a whole number' : 'a number'} ${rule.exclusive ? 'above' : 'of at least'} ${rule.min}`,
      };
    out[key] = n;
  }
  for (const key of BOOLEANS) {
    const b = v[key];
    if (b === undefined) continue;
    if (typeof b !== 'boolean') return { ok: false, error: `findings.${key} is ${shown(b)}; the verifier writes true or false` };
    out[key] = b;
  }
  if (v.toolTypes !== undefined) {
    const t = v.toolTypes;
    if (typeof t !== 'object' || t === null || Array.isArray(t)) return { ok: false, error: 'findings.toolTypes is not an object' };
    const tools: NonNullable<CodexFindings['toolTypes']> = {};
    for (const [id, outcome] of Object.entries(t as Record<string, unknown>)) {
      if (!(TOOL_TYPE_IDS as readonly string[]).includes(id))
        return { ok: false, error: `findings.toolTypes has ${shown(id)}; the verifier writes ${TOOL_TYPE_IDS.join(', ')}` };
      if (!OUTCOMES.includes(outcome as ToolTypeOutcome))
        return { ok: false, error: `findings.toolTypes.${id} is ${shown(outcome)}; the verifier writes ${OUTCOMES.join(', ')}` };
      tools[id as keyof typeof tools] = outcome as ToolTypeOutcome;
    }
    out.toolTypes = tools;
  }
  return { ok: true, findings: out };
}
