// The later-turn stage: what Codex sends on the second turn of a session (history.ts). The
// first turn can pass and this one fail: a server that refuses history items (vLLM 0.19.1 wants a
// `status` on the reasoning items Codex sends back), a template that merges leading system messages
// but refuses one later (the developer message Codex adds when permissions change).
import { atFirstItem, summarizeEvents } from '../../verify/request';
import { historyDiagnosis } from '../../verify/diagnose';
import { codexHistoryRequest, syntheticHistory } from './history';
import { diagnoseStream, postResponsesStream, type StreamOutcome, type StreamResult } from './responsesStream';
import type { StageOutcome } from '../../verify/stage';
import type { CodexStageEnv } from './stages';
import type { Diagnosis, StageMetrics } from '../../verify/types';

export const LATER_MARKER = 'TURN2-OK';

const FIRST_PROMPT = (file: string) => `Show me ${file}`;

function request(env: CodexStageEnv, lateDeveloper: boolean): Record<string, unknown> {
  const history = env.history ?? syntheticHistory(env.tokenFile.path, env.tokenFile.token, env.reasoningSample);
  const ns = env.findings.toolTypes?.namespace;
  return codexHistoryRequest({
    model: env.model,
    profile: env.codexProfile,
    cwd: env.cwd,
    nonce: env.nonce,
    firstPrompt: FIRST_PROMPT(env.tokenFile.path),
    history,
    // MCP results (lists of input_text parts) are in a session's history only where MCP tools work.
    mcp: env.codexProfile.nonFunctionTools && ns === 'accepted',
    marker: LATER_MARKER,
    lateDeveloper,
  });
}

/** "developer, developer, user, user, function_call, function_call_output, assistant, developer, user, user" */
export function summarizeInput(input: readonly Record<string, unknown>[]): string {
  return input.map(i => (i.type === 'message' ? String(i.role) : String(i.type))).join(', ');
}

type TurnResult = { ok: true; outcome: StreamOutcome; stopped: boolean } | { ok: false; diagnosis: Diagnosis; evidence: string[] };

/** A streamed turn as one result: answered, or failed (before the stream or inside it) with the reason. */
function turnResult(r: StreamResult, env: CodexStageEnv): TurnResult {
  if (!r.ok) return { ok: false, diagnosis: r.diagnosis, evidence: r.evidence };
  const d = diagnoseStream(r.outcome, env);
  return d
    ? { ok: false, diagnosis: d, evidence: [`events: ${summarizeEvents(r.outcome.eventTypes)}`, ...r.outcome.problems.map(p => p.message)] }
    : { ok: true, outcome: r.outcome, stopped: r.stopped };
}

export async function multiTurnStage(env: CodexStageEnv): Promise<StageOutcome> {
  const body = request(env, true);
  const evidence = [
    `sent the second turn of a session as Codex does: ${summarizeInput(body.input as Record<string, unknown>[])}`,
    env.history
      ? "history: the tool-call stage's own conversation, sent back as Codex sends it"
      : 'history: made up by the verifier (the tool-call stage did not finish)',
  ];
  // Whether the server takes the history is settled before the first output item (the template
  // renders it, or the server refuses it, first): the stream stops there, nothing more is generated.
  const f = turnResult(await postResponsesStream(env, body, atFirstItem), env);
  if (!f.ok) {
    evidence.push(...f.evidence);
    if (f.diagnosis.code === 'template-system-message') {
      // Tell a session that breaks on any later turn from one that breaks only after a permissions change.
      const g = turnResult(await postResponsesStream(env, request(env, false), atFirstItem), env);
      const firstTurnOk = env.findings.firstTurnOk === true;
      if (g.ok) {
        env.findings.laterTurns = true;
        env.findings.lateDeveloper = false;
        evidence.push('the same history without the late developer message: answered');
        return {
          status: 'fail',
          summary: 'Later turns work, but one after a permissions change fails: the template refuses a late system message',
          evidence,
          diagnosis: lateDeveloperDiagnosis(f.diagnosis, firstTurnOk),
        };
      }
      evidence.push(`the same history without the late developer message: ${g.diagnosis.code}`);
      env.findings.laterTurns = false;
      return { status: 'fail', summary: 'A later turn fails: the template refuses its system messages', evidence, diagnosis: f.diagnosis };
    }
    env.findings.laterTurns = false;
    return {
      status: 'fail',
      summary: 'The second turn of a session fails',
      evidence,
      diagnosis: historyDiagnosis(f.diagnosis, f.evidence[0] ?? ''),
    };
  }
  const o = f.outcome;
  env.findings.laterTurns = true;
  env.findings.lateDeveloper = true;
  const metrics: StageMetrics = {
    promptMs: o.firstItemAt === undefined ? undefined : Math.round(o.firstItemAt),
    inputTokens: o.usage?.input_tokens,
  };
  evidence.push(
    `events: ${summarizeEvents(o.eventTypes)}${f.stopped ? ' (stopped at the first output item: the server took the history)' : ''}`,
  );
  return { status: 'pass', summary: 'The second turn of a session works, with history and a late developer message', evidence, metrics };
}

function lateDeveloperDiagnosis(d: Diagnosis, firstTurnOk: boolean): Diagnosis {
  return {
    ...d,
    message: `${firstTurnOk ? 'The first turn works and so does a plain later one, but' : 'A plain later turn works, but'} a turn after a developer message in the middle of the session fails: Codex adds one when the permissions change (/permissions, /approvals, or resuming with another sandbox mode), and the server turns it into a system message that is not first. This template accepts the leading system messages (it merges them) and refuses a later one with "System message must be at the beginning". A template that accepts later system messages fixes it.`,
  };
}
