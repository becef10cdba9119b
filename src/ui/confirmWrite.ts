// The question asked before writing an agent's settings for a route known not to work for it
// (core/writeConcerns.ts). Modal: it must be answered before anything is shown or written.
import * as vscode from 'vscode';
import { COMMANDS } from '../core/commands';
import { showWarning } from './notify';
import { describeConcern, type WriteConcern } from '../core/writeConcerns';
import type { AgentId } from '../core/agents';

export const WRITE_ANYWAY = 'Write Anyway';
const VERIFY_AGAIN = 'Verify Again';

/** True to write; `answer` answers in advance (tests, callers that asked already). */
export async function confirmWriteDespite(
  what: string,
  agent: AgentId,
  concerns: readonly WriteConcern[],
  o: { answer?: boolean; detail?: string } = {},
): Promise<boolean> {
  if (!concerns.length) return true;
  if (o.answer !== undefined) return o.answer;
  const failed = concerns.some(c => c.kind === 'verification-failed');
  const said = concerns.flatMap(c => (c.kind === 'verification-failed' && c.message ? [c.message] : []));
  const pick = await showWarning(
    `${what}? ${concerns.map(describeConcern).join(' ')}`,
    {
      modal: true,
      detail: [...said, o.detail ?? 'It would be written all the same; the agent is likely to fail the same way.'].join('\n\n'),
    },
    WRITE_ANYWAY,
    ...(failed ? [VERIFY_AGAIN] : []),
  );
  if (pick === VERIFY_AGAIN) void vscode.commands.executeCommand(COMMANDS.verifyRoute.id, { agent });
  return pick === WRITE_ANYWAY;
}
