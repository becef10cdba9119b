// What to say before writing an agent's settings for a route that is known not to work for it: its
// last verification for that agent failed, or its context window is under what the agent needs
// (agents.ts minContextTokens, the same limit the picker's "too small for …" uses). The writers ask
// first; they never refuse (the person may know better, or fix the server afterwards).
import { AGENTS, type AgentId } from './agents';
import type { VerificationSummary } from './route/routeHealth';

export type WriteConcern =
  | { kind: 'verification-failed'; agent: AgentId; stage?: string; diagnosis?: string; message?: string }
  | { kind: 'context-too-small'; agent: AgentId; contextWindow: number; needs: number };

/**
 * `addressed`: diagnoses the file being written is itself made to avoid (a Codex profile turns the
 * tools a server refuses off), which are no reason to ask.
 */
export function writeConcerns(
  agent: AgentId,
  route: { contextWindow?: number },
  last: VerificationSummary | undefined,
  addressed: readonly string[] = [],
): WriteConcern[] {
  const out: WriteConcern[] = [];
  if (last && !last.ok && !(last.diagnosis && addressed.includes(last.diagnosis)))
    out.push({
      kind: 'verification-failed',
      agent,
      ...(last.failedStage ? { stage: last.failedStage } : {}),
      ...(last.diagnosis ? { diagnosis: last.diagnosis } : {}),
      ...(last.message ? { message: last.message } : {}),
    });
  const needs = AGENTS[agent].minContextTokens;
  if (route.contextWindow !== undefined && route.contextWindow < needs)
    out.push({ kind: 'context-too-small', agent, contextWindow: route.contextWindow, needs });
  return out;
}

/** One short sentence per concern, for the question asked before writing (the diagnosis's own message goes below it). */
export function describeConcern(c: WriteConcern): string {
  const name = AGENTS[c.agent].displayName;
  switch (c.kind) {
    case 'verification-failed':
      return `The last verification of this route for ${name} failed${c.stage ? ` at ${c.stage}` : ''}${c.diagnosis ? ` (${c.diagnosis})` : ''}.`;
    case 'context-too-small':
      return `The server's context holds ${c.contextWindow.toLocaleString('en-US')} tokens, too small for ${name}, which needs ${c.needs.toLocaleString('en-US')}.`;
  }
}
