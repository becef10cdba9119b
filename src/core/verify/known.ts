// Which stages need not ask the server, because what they would find is already settled: by an
// earlier stage of the same run, or by the other agent's stages on the same server (Verify Route
// checks Codex first, then Claude Code). Every request to a local model costs its server real work,
// so a verdict that is already known is reported as known, with where it came from. Pure.
import { templateNoTools, type StageOutcome } from './stage';
import type { AgentId, CodexFindings, StageId, StageResult, VerifyReport } from './types';

export interface KnownContext {
  /** This run's results so far. */
  results: ReadonlyMap<StageId, StageResult>;
  /** The other agent's report from the same Verify Route run, on the same server and model. */
  earlier?: VerifyReport;
}

export type StageDecision =
  | { kind: 'ask' }
  /** Reported without a request: `outcome` is what the stage would find; `findings` what it would record. */
  | { kind: 'known'; outcome: StageOutcome; from: string; findings?: Partial<CodexFindings> };

const ASK: StageDecision = { kind: 'ask' };

const failedWith = (r: StageResult | undefined, code: string) => r?.status === 'fail' && r.diagnosis?.code === code;

export function decideStage(agent: AgentId, id: StageId, k: KnownContext): StageDecision {
  return agent === 'codex' ? decideCodex(id, k) : decideClaude(id, k);
}

function decideCodex(id: StageId, k: KnownContext): StageDecision {
  if (id !== 'multi-turn') return ASK;
  // A later turn starts with the same instructions and environment as the first, and adds to them:
  // where the first turn's prompt is refused (a template that refuses its second system message, a
  // context it does not fit), the later one is refused the same way.
  const shape = k.results.get('codex-shape');
  for (const code of ['template-system-message', 'context-too-small'] as const) {
    if (!failedWith(shape, code) || !shape?.diagnosis) continue;
    return {
      kind: 'known',
      from: 'the Codex-sized turn',
      findings: { laterTurns: false },
      outcome: {
        status: 'fail',
        summary:
          code === 'template-system-message'
            ? 'A later turn fails: the template refuses its system messages'
            : 'A later turn fails: its prompt does not fit the context either',
        evidence: [`a later turn sends the Codex-sized turn's instructions and more; that turn failed with ${code}`],
        diagnosis: shape.diagnosis,
      },
    };
  }
  return ASK;
}

function decideClaude(id: StageId, k: KnownContext): StageDecision {
  const earlier = k.earlier;
  if (!earlier) return ASK;
  const from = `the ${earlier.agent === 'codex' ? 'Codex' : 'Claude Code'} stages of this run`;
  const stage = (sid: StageId) => earlier.stages.find(s => s.id === sid);
  switch (id) {
    case 'models': {
      // The same GET /models (and llama.cpp's /props) on the same server: asked once for both agents.
      const models = stage('models');
      if (!models || models.status === 'skip') return ASK;
      const { id: _id, title: _title, ms: _ms, ...outcome } = models;
      return { kind: 'known', from, outcome: { ...outcome, evidence: [...outcome.evidence] } };
    }
    case 'messages-tool-call': {
      // A chat template without tool support leaves the tools out of every prompt, whichever API
      // carries them: Claude Code's tool_use cannot come back either.
      const tool = stage('tool-call');
      if (!failedWith(tool, 'template-no-tools')) return ASK;
      return {
        kind: 'known',
        from,
        outcome: {
          status: 'fail',
          summary: "The server's chat template has no tool support",
          evidence: [
            "Codex's tool-call stage found the template leaves the tools out of the prompt; Claude Code's tools go through the same template",
          ],
          diagnosis: templateNoTools('', 'Claude Code'),
        },
      };
    }
    default:
      return ASK;
  }
}
