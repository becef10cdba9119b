// What Codex says about the `[features]` keys a configuration sets: `codex features list` prints every
// feature it knows with its stage and effective state (observed with 0.169.0: no request is made and
// no strict validation runs). Keys in the stages "deprecated" and "removed" still load — strict
// validation accepts them — so they become advisories, never edits: commenting out a deprecated flag
// can change behaviour (`web_search_request = true` is effective `true`; without it, `false`).
import { runCodexCheck } from './run';
import { parseTomlText } from './tomlEdit';
import type { CheckInput } from './check';

export interface CodexFeature {
  name: string;
  /** "stable", "experimental", "under development", "deprecated", "removed". */
  stage: string;
  enabled: boolean;
}

export interface FeatureAdvisory {
  /** `features.<name>`. */
  key: string;
  stage: 'deprecated' | 'removed';
  /** Codex's effective state for it with the configuration as it is. */
  enabled: boolean;
}

export function parseFeatureList(stdout: string): CodexFeature[] {
  const out: CodexFeature[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^([A-Za-z0-9_.-]+)\s+(.+?)\s+(true|false)\s*$/.exec(line);
    if (m) out.push({ name: m[1], stage: m[2], enabled: m[3] === 'true' });
  }
  return out;
}

/** `files` (name in CODEX_HOME → text): a candidate configuration in place of the one on disk. */
export async function listCodexFeatures(input: CheckInput, files?: ReadonlyMap<string, string>): Promise<CodexFeature[] | undefined> {
  const r = await runCodexCheck({
    executable: input.executable,
    args: ['features', 'list'],
    codexHome: input.codexHome,
    files,
    env: input.env,
    cwd: input.cwd,
    timeoutMs: input.timeoutMs ?? 20_000,
    signal: input.signal,
  });
  if (r.code !== 0) return undefined;
  const list = parseFeatureList(r.stdout);
  return list.length ? list : undefined;
}

/** The `[features]` keys of a configuration text that Codex lists as deprecated or removed. */
export function featureAdvisories(configText: string, features: readonly CodexFeature[]): FeatureAdvisory[] {
  const parsed = parseTomlText(configText);
  const table = parsed.ok ? parsed.value.features : undefined;
  if (typeof table !== 'object' || table === null || Array.isArray(table)) return [];
  const out: FeatureAdvisory[] = [];
  for (const name of Object.keys(table)) {
    const f = features.find(x => x.name === name);
    if (f && (f.stage === 'deprecated' || f.stage === 'removed')) out.push({ key: `features.${name}`, stage: f.stage, enabled: f.enabled });
  }
  return out;
}

export function describeAdvisory(a: FeatureAdvisory, codexVersion: string): string {
  return a.stage === 'deprecated'
    ? `Codex ${codexVersion} lists ${a.key} as deprecated; it still loads (effective: ${a.enabled}), so it is left as it is.`
    : `Codex ${codexVersion} lists ${a.key} as removed: it has no effect any more, and is left as it is.`;
}
