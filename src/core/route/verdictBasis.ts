// What a verification's verdict rests on, so a kept verdict is shown only while it still holds: the
// server as discovery sees it (its kind, build, chat template, the context one request can hold, tool
// support) and the settings that change what the verifier sends or how it judges. Opening the picker,
// switching back to a route or restarting an unchanged server changes none of these, so the verdict
// stands; a new context, build, template or setting makes it out of date (and says what changed).
// Both sides come from the same sources: the discovery probe of the route's server and the resolved
// settings. Pure.
import { STAGE_IDS_BY_AGENT, type AgentId } from '../verify/types';
import type { ProbeResult } from './discovery';
import type { ServerKind } from '../serverKind';
import type { Settings } from '../settings/catalog';

export { templateId } from '../templateId';

export interface ServerBasis {
  kind?: ServerKind;
  /** llama.cpp's build_info, Ollama's version. */
  version?: string;
  /** What one request can hold (llama.cpp: a slot's context). */
  contextWindow?: number;
  tools?: boolean;
  /** A short hash of the chat template the server renders with (llama.cpp /props): templateId. */
  template?: string;
}

/** The settings that change one agent's verdict (what the written profile or settings make it send, the stages run). */
export interface SettingsBasis {
  nonFunctionTools?: string;
  thinking?: boolean;
  skip: string[];
}

export interface VerdictBasis {
  /** Absent when discovery did not see the server at the time. */
  server?: ServerBasis;
  settings: SettingsBasis;
}

/** The server a route points at, as one discovery probe saw it; undefined when it was not up. */
export function serverBasis(probe: ProbeResult | undefined, model: string): ServerBasis | undefined {
  if (probe?.kind !== 'up') return undefined;
  const m = probe.models.find(x => x.id === model);
  return {
    kind: probe.server.kind,
    ...(probe.server.version !== undefined ? { version: probe.server.version } : {}),
    ...(probe.template !== undefined ? { template: probe.template } : {}),
    ...(m?.contextWindow !== undefined ? { contextWindow: m.contextWindow } : {}),
    ...(m?.tools !== undefined ? { tools: m.tools } : {}),
  };
}

export function settingsBasis(
  agent: AgentId,
  s: Pick<Settings, 'codex.disableNonFunctionTools' | 'claude.disableThinking' | 'verify.skipStages'>,
): SettingsBasis {
  const own = STAGE_IDS_BY_AGENT[agent] as readonly string[];
  const skip = s['verify.skipStages'].filter(id => own.includes(id)).sort();
  return agent === 'codex'
    ? { nonFunctionTools: s['codex.disableNonFunctionTools'], skip }
    : { thinking: !s['claude.disableThinking'], skip };
}

const n = (v: number | undefined) => (v === undefined ? 'unknown' : v.toLocaleString('en-US'));

/**
 * What changed between the basis a verdict was reached on and the one now, in the user's words;
 * empty when the verdict still holds. A verdict kept without a basis (stored before there was one),
 * or a server discovery does not see now, is not called out of date by the server's part.
 */
export function basisChanges(then: VerdictBasis | undefined, now: VerdictBasis): string[] {
  if (!then) return [];
  const out: string[] = [];
  const a = then.server;
  const b = now.server;
  if (a && b) {
    if (a.kind !== b.kind) out.push(`server ${a.kind ?? 'unknown'} → ${b.kind ?? 'unknown'}`);
    else if (a.version !== b.version) out.push(`server version ${a.version ?? 'unknown'} → ${b.version ?? 'unknown'}`);
    if (a.contextWindow !== b.contextWindow) out.push(`context ${n(a.contextWindow)} → ${n(b.contextWindow)} tokens`);
    if (a.template !== b.template) out.push('another chat template');
    else if (a.tools !== b.tools)
      out.push(
        `tool support ${a.tools === undefined ? 'unknown' : a.tools ? 'yes' : 'no'} → ${b.tools === undefined ? 'unknown' : b.tools ? 'yes' : 'no'}`,
      );
  }
  const x = then.settings;
  const y = now.settings;
  if (x.nonFunctionTools !== y.nonFunctionTools)
    out.push(`codex.disableNonFunctionTools ${x.nonFunctionTools ?? 'unset'} → ${y.nonFunctionTools ?? 'unset'}`);
  if (x.thinking !== y.thinking) out.push(`Claude Code thinking ${x.thinking ? 'on' : 'off'} → ${y.thinking ? 'on' : 'off'}`);
  if (x.skip.join(',') !== y.skip.join(',')) out.push(`skipped stages [${x.skip.join(', ')}] → [${y.skip.join(', ')}]`);
  return out;
}
