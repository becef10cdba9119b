// Whether an agent goes to a route through the route bridge: one
// decision for Write Codex Profile, Write Claude Code Settings, Open Codex and Open Claude Code, so
// the profile, the settings file and the terminals never disagree. `auto` follows the proof: the
// agent goes through the bridge when its last verification ran again through one (decide.ts says when
// that is worth it) and passed there, or failed there only where it failed directly while the bridge
// repaired the rest; a route that works directly, or one never verified, is written direct.
import type { AgentId } from '../agents';
import type { VerificationSummary } from '../route/routeHealth';
import { AGENTS } from '../agents';

export type BridgeDecision = { readonly use: true; readonly why: string } | { readonly use: false; readonly why: string };

/**
 * Whether `agent` should reach the route through the bridge, from the agent's last verdict on it and
 * `mode`, the `bridge.use` setting (a value it does not know counts as `auto`).
 */
export function decideBridge(agent: AgentId, last: VerificationSummary | undefined, mode: string): BridgeDecision {
  const name = AGENTS[agent].displayName;
  if (mode === 'always') return { use: true, why: 'bridge.use is "always"' };
  if (mode === 'never') return { use: false, why: 'bridge.use is "never"' };
  const through = last?.throughBridge;
  if (!through) return { use: false, why: last ? `${name} was not verified through the bridge` : `${name} was not verified on this route` };
  const what = through.repairs.length ? ` (it repairs ${through.repairs.join(', ')})` : '';
  if (!through.ok) {
    // What fails through the bridge failed directly too (the model's own tool calls, say): the bridge
    // still gives back what it repairs, and loses nothing.
    if (last && !last.ok && through.failed !== undefined && through.failed === last.diagnosis && through.repairs.length)
      return { use: true, why: `the bridge repairs ${through.repairs.join(', ')}; ${through.failed} fails with or without it` };
    return { use: false, why: `${name} fails through the bridge${through.failed ? ` (${through.failed})` : ''}, not only directly` };
  }
  return {
    use: true,
    why: last?.ok ? `${name} passed directly and through the bridge${what}` : `${name} fails directly and passes through the bridge${what}`,
  };
}
