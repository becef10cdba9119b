// The health of the active route as one pure reducer: the route store owns the state and feeds it
// events (a switch, a verification, a discovery round); the status bar only renders the result.
import type { AgentId } from '../agents';
import type { BridgeVerdict, CodexFindings, DiagnosisCode, StageStatus } from '../verify/types';
import type { VerdictBasis } from './verdictBasis';

export type VerificationSummary = {
  /** Which agent's verification this was (older stored summaries have none: Codex). */
  agent?: AgentId;
  ok: boolean;
  at: number;
  failedStage?: string;
  diagnosis?: string;
  message?: string;
  /** What a session of the agent can and cannot do on the route (the report's headline). */
  headline?: string;
  /** Codex: what the profile writer uses (tool types, prompt rate, later turns). */
  findings?: CodexFindings;
  /** What the verdict rests on (the server as discovery saw it, the settings): it holds while they do (core/route/verdictBasis.ts). */
  basis?: VerdictBasis;
  /**
   * The tool-call round trip as it ran (Codex: `tool-call` on the Responses API; Claude Code:
   * `messages-tool-call`); absent when the stage did not run. VS Code's chat models take their tool
   * support from it.
   */
  toolCall?: { status: StageStatus; code?: DiagnosisCode; message?: string };
  /** The same verification through the route bridge, when it ran (core/bridge/use.ts decides from it). */
  throughBridge?: Pick<BridgeVerdict, 'ok' | 'repairs'> & Partial<Pick<BridgeVerdict, 'upstreamApi'>> & { failed?: DiagnosisCode };
};

/** A health that is not in flux. */
export type SettledHealth =
  | { kind: 'unknown' }
  | { kind: 'up' }
  | { kind: 'verified'; verification: VerificationSummary }
  | { kind: 'failing'; reason: string; verification?: VerificationSummary }
  | { kind: 'down'; reason: string };

export type RouteHealth =
  | SettledHealth
  /** A switch or a verification is running; `previous` is what a cancellation returns to. */
  | { kind: 'checking'; what: 'switch' | 'verify'; runId: number; previous: SettledHealth };

/** What one discovery round says about the active route's endpoint. */
export type DiscoveredState =
  { kind: 'listed' } | { kind: 'not-listed'; model: string } | { kind: 'loading' } | { kind: 'down'; reason: string };

export type HealthEvent =
  | { type: 'switch-started'; runId: number }
  /** The new route answered; `verification` is the last one stored for it that still holds (kept across switches). */
  | { type: 'switch-succeeded'; runId: number; verification?: VerificationSummary }
  | { type: 'switch-failed'; runId: number }
  | { type: 'verify-started'; runId: number }
  | { type: 'verify-finished'; runId: number; verification: VerificationSummary }
  | { type: 'verify-cancelled'; runId: number }
  /** `verification`: the route's verdict that holds for the server as discovered now (none when it changed since). */
  | { type: 'discovered'; state: DiscoveredState; verification?: VerificationSummary }
  | { type: 'cleared' };

function fromVerification(v: VerificationSummary): SettledHealth {
  return v.ok
    ? { kind: 'verified', verification: v }
    : { kind: 'failing', reason: v.message ?? v.diagnosis ?? 'verification failed', verification: v };
}

/** What a discovery round makes of a settled health. */
function discovered(h: SettledHealth, d: DiscoveredState, last: VerificationSummary | undefined): SettledHealth {
  switch (d.kind) {
    case 'listed':
      // A verification's verdict stands while the server keeps serving the model and the verdict
      // still holds for it; after a change that makes it out of date (another context, template,
      // build, setting) the route is only up until it is verified again.
      if ((h.kind === 'verified' || (h.kind === 'failing' && h.verification)) && h.verification?.at === last?.at) return h;
      return last ? fromVerification(last) : { kind: 'up' };
    case 'not-listed':
      return { kind: 'failing', reason: `${d.model} is no longer listed` };
    case 'loading':
      return { kind: 'failing', reason: 'loading model' };
    case 'down':
      return { kind: 'down', reason: d.reason };
  }
}

export function reduceHealth(h: RouteHealth, e: HealthEvent): RouteHealth {
  const settled: SettledHealth = h.kind === 'checking' ? h.previous : h;
  switch (e.type) {
    case 'switch-started':
    case 'verify-started':
      return { kind: 'checking', what: e.type === 'switch-started' ? 'switch' : 'verify', runId: e.runId, previous: settled };
    case 'switch-succeeded':
      // Only the run that is checking settles it: a superseded run (a newer pick, a newer
      // verification, a clear) says nothing any more.
      if (h.kind !== 'checking' || h.runId !== e.runId) return h;
      return e.verification ? fromVerification(e.verification) : { kind: 'up' };
    case 'switch-failed':
    case 'verify-cancelled':
      return h.kind === 'checking' && h.runId === e.runId ? h.previous : h;
    case 'verify-finished':
      if (h.kind !== 'checking' || h.runId !== e.runId) return h;
      return fromVerification(e.verification);
    case 'discovered':
      // While a check runs, discovery updates what a cancellation would return to.
      if (h.kind === 'checking') return { ...h, previous: discovered(h.previous, e.state, e.verification) };
      return discovered(h, e.state, e.verification);
    case 'cleared':
      return { kind: 'unknown' };
  }
}

/**
 * One verdict from a run that checked several agents: the route works when an agent can use it
 * (each agent's own verdict stays in the tooltip and the picker); it fails when none can.
 */
export function combineVerifications(list: readonly VerificationSummary[]): VerificationSummary {
  if (list.length === 1) return list[0];
  const at = Math.max(...list.map(v => v.at));
  const failed = list.filter(v => !v.ok);
  if (failed.length < list.length)
    return { ok: true, at, ...(failed.length ? { message: `failed for ${failed.map(v => v.agent ?? 'codex').join(', ')}` } : {}) };
  const first = failed[0];
  return {
    ok: false,
    at,
    failedStage: first.failedStage,
    diagnosis: first.diagnosis,
    message: failed.map(v => `${v.agent ?? 'codex'}: ${v.message ?? v.diagnosis ?? 'failed'}`).join('; '),
  };
}
