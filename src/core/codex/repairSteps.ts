// One repair per kind of rejection, applied to the in-memory files (Work). Each returns what it did
// (a typed action) and a sentence for the user, or null and the reason nothing mechanical exists.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSnapshot, FileRefusal, type FileSnapshot } from '../files';
import { keyPathAt } from './tomlEdit';
import { formatKeyPath } from './tomlText';
import { planMigration } from './migrate';
import type { CheckInput } from './check';
import type { CodexRejection } from './rejections';
import { responsesUpgradeHint, type ResponsesProbe, type ResponsesProber, type ResponsesProbeTarget } from './responsesProbe';
import { edit, parsed, providerSelectors, stringPath, table, type Work } from './repairWork';

export type RepairAction =
  | { kind: 'switch-wire-api'; file: string; providerId: string; probe: ResponsesProbe }
  | { kind: 'disable-provider'; file: string; providerId: string; probe: ResponsesProbe; unselectedIn: string[] }
  | { kind: 'move-legacy-profiles'; moved: { name: string; path: string }[]; selectorRemoved?: string }
  | { kind: 'comment-out'; file: string; key: string }
  | { kind: 'rename-provider'; renames: { from: string; to: string; file: string }[]; referencesIn: string[] }
  | { kind: 'fix-type'; file: string; key: string; value: number | boolean }
  | { kind: 'replace-ollama-chat'; files: string[] };

export function localDate(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function commentNote(today: string, codexVersion: string, reason: string): string {
  return `Commented out by Local Model Router on ${today}: Codex ${codexVersion} rejects it (${reason})`;
}

export interface StepContext {
  input: CheckInput & { codexVersion: string; probeTimeoutMs?: number };
  work: Work;
  today: string;
  probe: ResponsesProber;
}

export type Step = { repair: RepairAction | null; explanation: string };

const none = (explanation: string): Step => ({ repair: null, explanation });

function outsideFiles(r: CodexRejection): string {
  return 'at' in r && r.at
    ? `${r.at.file} is not a file this repair edits (only config.toml and profile files in CODEX_HOME are); fix it by hand.`
    : 'Codex did not say which file; fix it by hand.';
}

export async function repairOne(r: CodexRejection, ctx: StepContext): Promise<Step> {
  const { work, today } = ctx;
  const ver = ctx.input.codexVersion;
  switch (r.kind) {
    case 'wire-api-chat':
      return repairWireApi(r, ctx);

    case 'legacy-profile-selector':
    case 'legacy-profile-conflict': {
      const cfg = work.config;
      const plan = planMigration(cfg.text, work.codexHome, name => work.files.has(name) || fs.existsSync(path.join(work.codexHome, name)));
      if (!plan.ok) return none(plan.error);
      cfg.text = plan.configAfter;
      for (const f of plan.files) {
        let snapshot: FileSnapshot;
        try {
          snapshot = readSnapshot(f.path);
        } catch (e) {
          if (e instanceof FileRefusal) return none(e.message);
          throw e;
        }
        work.add({ name: f.fileName, snapshot, text: f.text, role: 'profile' });
      }
      const selector = r.kind === 'legacy-profile-selector' ? r.profile : undefined;
      return {
        repair: { kind: 'move-legacy-profiles', moved: plan.files.map(f => ({ name: f.name, path: f.path })), selectorRemoved: selector },
        explanation: plan.notes.join('; '),
      };
    }

    case 'unknown-field': {
      const f = work.at(r.at?.file);
      if (!f || !r.at) return none(outsideFiles(r));
      const key = stringPath(keyPathAt(f.text, r.at.line, r.at.col));
      if (!key) return none(`Codex points at line ${r.at.line}, where no key could be found; fix it by hand.`);
      const err = edit(f, { kind: 'comment-out', path: key, note: commentNote(today, ver, `unknown configuration field \`${r.key}\``) });
      if (err) return none(err);
      return {
        repair: { kind: 'comment-out', file: f.snapshot.path, key: formatKeyPath(key) },
        explanation: `Codex ${ver} does not know ${r.key}: with --strict-config it refuses it, without it the setting is ignored. It is commented out, so nothing Codex does changes.`,
      };
    }

    case 'reserved-provider-id': {
      const renames: { from: string; to: string; file: string }[] = [];
      const referencesIn = new Set<string>();
      for (const id of r.ids) {
        const to = freeProviderId(work, `local-${id.toLowerCase()}`);
        const defining = [...work.files.values()].filter(f => table(table(parsed(f).model_providers)?.[id]));
        if (defining.length === 0) return none(outsideFiles(r));
        for (const f of defining) {
          const err = edit(f, { kind: 'rename', path: ['model_providers', id], to });
          if (err) return none(err);
          renames.push({ from: id, to, file: f.snapshot.path });
        }
        // A model_provider naming the id meant the user's own table (Codex refused to load it otherwise).
        for (const f of work.files.values()) {
          for (const s of providerSelectors(f).filter(s => s.value === id)) {
            const err = edit(f, { kind: 'set', path: s.path, value: to });
            if (err) return none(err);
            referencesIn.add(f.snapshot.path);
          }
        }
      }
      const list = renames.map(x => `[model_providers.${x.from}] → [model_providers.${x.to}]`).join(', ');
      const refs = referencesIn.size ? ', and every model_provider that named it follows' : '';
      return {
        repair: { kind: 'rename-provider', renames, referencesIn: [...referencesIn] },
        explanation: `Codex reserves ${r.ids.map(i => `"${i}"`).join(', ')} for its built-in providers and refuses to redefine them: ${list}${refs}, so the settings (base_url and the rest) are kept and used.`,
      };
    }

    case 'invalid-type': {
      const f = work.at(r.at?.file);
      if (!f || !r.at) return none(outsideFiles(r));
      const key = stringPath(keyPathAt(f.text, r.at.line, r.at.col));
      const value = coerce(r.found, r.expected);
      if (!key || value === undefined)
        return none(`Codex expects ${r.expected} here, and the value cannot be converted mechanically; set it by hand.`);
      const err = edit(f, { kind: 'set', path: key, value });
      if (err) return none(err);
      return {
        repair: { kind: 'fix-type', file: f.snapshot.path, key: formatKeyPath(key), value },
        explanation: `${formatKeyPath(key)} holds ${r.found} where Codex expects ${r.expected}: written as ${JSON.stringify(value)}.`,
      };
    }

    case 'ollama-chat-removed': {
      const files: string[] = [];
      for (const f of work.files.values()) {
        if (table(table(parsed(f).model_providers)?.['ollama-chat'])) continue;
        for (const s of providerSelectors(f).filter(s => s.value === 'ollama-chat')) {
          const err = edit(f, { kind: 'set', path: s.path, value: 'ollama' });
          if (err) return none(err);
          files.push(f.snapshot.path);
        }
      }
      if (!files.length)
        return none(
          'No model_provider = "ollama-chat" was found in config.toml or the profile; Codex\'s own advice is to use "ollama" instead.',
        );
      return {
        repair: { kind: 'replace-ollama-chat', files },
        explanation: 'Codex removed its "ollama-chat" provider; as its message says, "ollama" replaces it.',
      };
    }

    case 'invalid-value':
      return none(`Codex accepts only ${r.expected.map(e => `"${e}"`).join(', ')} there; which one is your choice, so nothing is changed.`);
    case 'provider-not-found':
      return none(
        `There is no [model_providers.${r.providerId}] table and no built-in provider of that name (built-ins: openai, ollama, lmstudio). Define the provider, or write a profile for your server (codex-profile) and run codex -p <name>.`,
      );
    case 'not-a-file':
      return none(`${r.path} is not a file; nothing is changed.`);
    case 'unknown':
      return none("Codex's message is shown as it is: no repair is guessed for it.");
  }
}

function freeProviderId(work: Work, wanted: string): string {
  const taken = new Set<string>();
  for (const f of work.files.values()) for (const k of Object.keys(table(parsed(f).model_providers) ?? {})) taken.add(k);
  if (!taken.has(wanted)) return wanted;
  for (let i = 2; ; i++) if (!taken.has(`${wanted}-${i}`)) return `${wanted}-${i}`;
}

/** "string \"32768\"" as i64 → 32768; "string \"false\"" as a boolean → false; otherwise undefined. */
export function coerce(found: string, expected: string): number | boolean | undefined {
  const s = /^string "(.*)"$/.exec(found)?.[1];
  if (s === undefined) return undefined;
  if (/^[iu](8|16|32|64|128|size)$/.test(expected) && /^[+-]?\d+$/.test(s.trim())) {
    const n = Number(s.trim());
    if (!Number.isSafeInteger(n) || (expected.startsWith('u') && n < 0)) return undefined;
    return n;
  }
  if (/^f(32|64)$/.test(expected) && s.trim() !== '' && Number.isFinite(Number(s))) return Number(s);
  if (/boolean/.test(expected) && (s === 'true' || s === 'false')) return s === 'true';
  return undefined;
}

async function repairWireApi(r: Extract<CodexRejection, { kind: 'wire-api-chat' }>, ctx: StepContext): Promise<Step> {
  const { work } = ctx;
  let f = work.at(r.at?.file);
  let id: string | undefined;
  if (f && r.at) {
    const p = stringPath(keyPathAt(f.text, r.at.line, r.at.col));
    if (p && p.length === 3 && p[0] === 'model_providers' && p[2] === 'wire_api') id = p[1];
  }
  if (!id) {
    // No usable location: the first provider with wire_api = "chat" in a file this plan edits.
    for (const g of work.files.values()) {
      const hit = Object.entries(table(parsed(g).model_providers) ?? {}).find(([, v]) => table(v)?.wire_api === 'chat');
      if (hit) {
        f = g;
        id = hit[0];
        break;
      }
    }
  }
  if (!f || !id) return none(outsideFiles(r));
  const provider = table(table(parsed(f).model_providers)?.[id]) ?? {};
  const target: ResponsesProbeTarget = {
    providerId: id,
    name: typeof provider.name === 'string' ? provider.name : undefined,
    baseUrl: typeof provider.base_url === 'string' ? provider.base_url : '',
    model: modelFor(work, id),
  };
  if (typeof provider.env_key === 'string' && ctx.input.env[provider.env_key]) target.apiKey = ctx.input.env[provider.env_key];
  const probe: ResponsesProbe = target.baseUrl
    ? await ctx.probe(target, { timeoutMs: ctx.input.probeTimeoutMs, signal: ctx.input.signal })
    : { kind: 'unreachable', detail: `[model_providers.${id}] has no base_url to ask` };
  const ver = ctx.input.codexVersion;
  if (probe.kind === 'responses') {
    const err = edit(f, { kind: 'set', path: ['model_providers', id, 'wire_api'], value: 'responses' });
    if (err) return none(err);
    return {
      repair: { kind: 'switch-wire-api', file: f.snapshot.path, providerId: id, probe },
      explanation: `${probe.detail}: the server speaks the Responses API, so "${id}" switches to wire_api = "responses" (the only value Codex ${ver} accepts).`,
    };
  }
  const why =
    probe.kind === 'no-responses'
      ? `${probe.detail}: the server is chat-only (no Responses API, which is all Codex ${ver} speaks). ${responsesUpgradeHint(probe, target)}.`
      : probe.kind === 'unreachable'
        ? `${probe.detail}, so it could not be shown to speak the Responses API (all Codex ${ver} speaks). Switching blindly could leave a provider that fails on every turn. If it is a chat-only server: ${responsesUpgradeHint(probe, target)}.`
        : `${probe.detail}, which does not show a Responses API (all Codex ${ver} speaks). ${responsesUpgradeHint(probe, target)}.`;
  const reason =
    probe.kind === 'no-responses'
      ? 'wire_api = "chat"; the server has no /responses'
      : 'wire_api = "chat"; /responses could not be confirmed';
  const err = edit(f, { kind: 'comment-out', path: ['model_providers', id], note: commentNote(ctx.today, ver, reason) });
  if (err) return none(`${why} ${err}`);
  const unselectedIn: string[] = [];
  for (const g of work.files.values()) {
    // Selectors of the provider must go too: Codex refuses a model_provider that names no provider.
    for (const s of providerSelectors(g).filter(s => s.value === id)) {
      const e2 = edit(g, {
        kind: 'comment-out',
        path: s.path,
        note: commentNote(ctx.today, ver, `it selects "${id}", which is commented out`),
      });
      if (e2) return none(`${why} ${e2}`);
      unselectedIn.push(g.snapshot.path);
    }
  }
  const after = unselectedIn.length
    ? ' and model_provider no longer selects it (Codex uses its default provider until you pick a profile: codex -p <name>)'
    : '';
  return {
    repair: { kind: 'disable-provider', file: f.snapshot.path, providerId: id, probe, unselectedIn },
    explanation: `${why} [model_providers.${id}] is commented out, not deleted,${after}, so Codex starts again. Once the server serves /responses, uncomment it and set wire_api = "responses".`,
  };
}

/** The model a file pairs with provider `id` (top level first, then a legacy profile). */
function modelFor(work: Work, id: string): string | undefined {
  for (const f of work.files.values()) {
    const doc = parsed(f);
    if (doc.model_provider === id && typeof doc.model === 'string') return doc.model;
    for (const body of Object.values(table(doc.profiles) ?? {})) {
      const t = table(body);
      if (t?.model_provider === id && typeof t.model === 'string') return t.model;
    }
  }
  return undefined;
}
