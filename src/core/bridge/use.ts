// Whether an agent goes to a route through the route bridge: one
// decision for Write Codex Profile, Write Claude Code Settings, Open Codex and Open Claude Code, so
// the profile, the settings file and the terminals never disagree. `auto` follows the proof: the
// agent goes through the bridge when its last verification ran again through one and passed there
// (verifyThrough.ts runs it only when the direct verdict holds what the bridge repairs); a route that
// works directly, or one never verified, is written direct.
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
  if (!through.ok) return { use: false, why: `${name} fails through the bridge too` };
  const what = through.repairs.length ? ` (it repairs ${through.repairs.join(', ')})` : '';
  return {
    use: true,
    why: last?.ok ? `${name} passed directly and through the bridge${what}` : `${name} fails directly and passes through the bridge${what}`,
  };
}
