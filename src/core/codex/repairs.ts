// One repair plan for everything the installed Codex rejects in a configuration: Codex reports its
// first error, the matching repair is applied to a copy of the text, Codex is asked again (in a
// scratch CODEX_HOME) — until it accepts, or says something no mechanical repair exists for. All edits
// end up in one set of file changes the user sees as diffs before anything is written. Edits are
// byte-surgical (tomlEdit); what Codex no longer accepts is commented out with a dated note, never
// deleted; legacy profiles are moved (migrate.ts), not dropped.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSnapshot, FileRefusal, type FileSnapshot } from './fs';
import { applyEdit, keyPathAt, parseTomlText, type ParsedToml, type TomlEdit } from './tomlEdit';
import { formatKeyPath } from './tomlText';
import { planMigration } from './migrate';
import { plannedChange, type PlannedChange } from './plan';
import { checkCodexConfig, profileFile, type CheckInput, type CodexConfigCheck } from './check';
import { checkCandidate, withScratchHome } from './scratch';
import { describeRejection, type CodexRejection } from './rejections';
import { featureAdvisories, listCodexFeatures, type FeatureAdvisory } from './features';
import { probeResponsesApi, responsesUpgradeHint, type ResponsesProbe, type ResponsesProber, type ResponsesProbeTarget } from './responsesProbe';

export interface RepairInput extends CheckInput {
  /** Named in the notes: "Codex 0.169.0 rejects it". */
  codexVersion: string;
  /** YYYY-MM-DD for the notes; default: today, local time. */
  today?: string;
  /** How a `wire_api = "chat"` provider's server is asked about /responses (default: over HTTP). */
  probe?: ResponsesProber;
  probeTimeoutMs?: number;
  /** The check of the files on disk, when the caller already ran it. */
  initial?: CodexConfigCheck;
  /** Codex runs at most this many times while the plan is built. */
  maxRounds?: number;
}

export type RepairAction =
  | { kind: 'switch-wire-api'; file: string; providerId: string; probe: ResponsesProbe }
  | { kind: 'disable-provider'; file: string; providerId: string; probe: ResponsesProbe; unselectedIn: string[] }
  | { kind: 'move-legacy-profiles'; moved: { name: string; path: string }[]; selectorRemoved?: string }
  | { kind: 'comment-out'; file: string; key: string }
  | { kind: 'rename-provider'; file: string; from: string; to: string; referencesIn: string[] }
  | { kind: 'fix-type'; file: string; key: string; value: number | boolean }
  | { kind: 'replace-ollama-chat'; files: string[] };

export interface Finding {
  rejection: CodexRejection;
  /** What the plan does about it; null when nothing mechanical can be done (Codex's words are shown as they are). */
  repair: RepairAction | null;
  /** For the user: what changes and why, or why nothing does. */
  explanation: string;
  /** Codex found it in the copy with the earlier repairs applied (its line numbers are that copy's). */
  onCopy: boolean;
}

export type RepairOutcome =
  /** Codex accepts the repaired files (checked on a scratch copy before anything is written). */
  | { kind: 'accepted' }
  /** Codex still rejects something that has no mechanical repair; it may say more once that is fixed. */
  | { kind: 'stuck'; rejection: CodexRejection }
  | { kind: 'failed'; message: string };

export type RepairRefusal = 'not-a-file' | 'unreadable' | 'invalid-toml' | 'profile-missing' | 'codex-failed';

export type RepairPlan =
  | { ok: true; initial: CodexConfigCheck; findings: Finding[]; changes: PlannedChange[]; outcome: RepairOutcome; notes: string[]; advisories: FeatureAdvisory[] }
  | { ok: false; refusal: RepairRefusal; error: string; initial?: CodexConfigCheck };

interface WorkFile {
  /** File name inside CODEX_HOME. */
  name: string;
  snapshot: FileSnapshot;
  text: string;
  role: 'config' | 'profile';
}

class Work {
  readonly files = new Map<string, WorkFile>();
  constructor(readonly codexHome: string) {}
  add(f: WorkFile): void {
    this.files.set(f.name, f);
  }
  /** The file Codex pointed at, when it is one this plan may edit. */
  at(file: string | undefined): WorkFile | undefined {
    if (!file) return undefined;
    const abs = path.resolve(file);
    return [...this.files.values()].find(f => path.join(this.codexHome, f.name) === abs || f.snapshot.realPath === abs);
  }
  get config(): WorkFile {
    return this.files.get('config.toml') as WorkFile;
  }
  texts(): Map<string, string> {
    return new Map([...this.files.values()].map(f => [f.name, f.text]));
  }
}

export function localDate(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function commentNote(today: string, codexVersion: string, reason: string): string {
  return `Commented out by Local Model Router on ${today}: Codex ${codexVersion} rejects it (${reason})`;
}

function loadFile(codexHome: string, name: string, role: WorkFile['role']): WorkFile | { refusal: RepairRefusal; error: string } {
  const p = path.join(codexHome, name);
  try {
    if (fs.statSync(p).isDirectory()) return { refusal: 'not-a-file', error: `${p} is a folder, not a file. Codex cannot read it either; nothing was changed.` };
  } catch { /* missing: an empty configuration */ }
  let snapshot: FileSnapshot;
  try {
    snapshot = readSnapshot(p);
  } catch (e) {
    if (e instanceof FileRefusal) return { refusal: 'unreadable', error: e.message };
    throw e;
  }
  const parsed = parseTomlText(snapshot.text);
  if (!parsed.ok) return { refusal: 'invalid-toml', error: `${p} is not valid TOML (${parsed.error}). Codex cannot read it either; fix that line by hand. Nothing was changed.` };
  return { name, snapshot, text: snapshot.text, role };
}

export async function planCodexRepair(input: RepairInput): Promise<RepairPlan> {
  const work = new Work(input.codexHome);
  const cfg = loadFile(input.codexHome, 'config.toml', 'config');
  if ('refusal' in cfg) return { ok: false, ...cfg };
  work.add(cfg);
  if (input.profile !== undefined && fs.existsSync(profileFile(input.codexHome, input.profile))) {
    const prof = loadFile(input.codexHome, `${input.profile}.config.toml`, 'profile');
    if ('refusal' in prof) return { ok: false, ...prof };
    work.add(prof);
  }
  const initial = input.initial ?? await checkCodexConfig(input);
  if (initial.kind === 'failed') return { ok: false, refusal: 'codex-failed', error: initial.message, initial };
  if (initial.kind === 'profile-missing') return { ok: false, refusal: 'profile-missing', error: `${initial.path} does not exist: \`codex -p ${initial.profile}\` would silently use OpenAI's provider instead. Write the profile first.`, initial };
  const findings: Finding[] = [];
  let outcome: RepairOutcome | undefined;
  let current: CodexConfigCheck = initial;
  const maxRounds = input.maxRounds ?? 24;
  const ctx: StepContext = { input, work, today: input.today ?? localDate(), probe: input.probe ?? probeResponsesApi };
  for (let round = 0; !outcome; round++) {
    if (current.kind === 'accepted') outcome = { kind: 'accepted' };
    else if (current.kind !== 'rejected') outcome = { kind: 'failed', message: current.kind === 'failed' ? current.message : `${current.path} is missing.` };
    else if (round >= maxRounds || findings.some(f => sameRejection(f.rejection, (current as { rejection: CodexRejection }).rejection))) {
      // The same error again means the repair did not do what Codex needed: stop rather than loop.
      findings.push({ rejection: current.rejection, repair: null, explanation: 'Codex still rejects this after the repair above; it has to be fixed by hand.', onCopy: round > 0 });
      outcome = { kind: 'stuck', rejection: current.rejection };
    } else {
      const step = await repairOne(current.rejection, ctx);
      findings.push({ rejection: current.rejection, ...step, onCopy: round > 0 });
      if (!step.repair) outcome = { kind: 'stuck', rejection: current.rejection };
      else current = await checkWork(ctx);
    }
  }
  // Codex lists features only for a configuration it can load: the repaired copy.
  const features = outcome.kind === 'accepted' ? await withScratchHome(input.codexHome, work.texts(), home => listCodexFeatures({ ...input, codexHome: home })) : undefined;
  const advisories = features ? featureAdvisories(work.config.text, features) : [];
  const changes = [...work.files.values()].filter(f => f.text !== f.snapshot.text || !f.snapshot.exists).map(f => plannedChange(f.role, f.snapshot, f.text));
  const notes: string[] = [];
  if (outcome.kind === 'stuck') notes.push('Codex reports one error at a time: once the error above is fixed by hand, run the check again to see whether anything else is left.');
  return { ok: true, initial, findings, changes, outcome, notes, advisories };
}

function sameRejection(a: CodexRejection, b: CodexRejection): boolean {
  return a.kind === b.kind && a.text === b.text;
}

/** Asks Codex about the candidate: config.toml (with the named profile), then each profile the plan creates. */
async function checkWork(ctx: StepContext): Promise<CodexConfigCheck> {
  const files = ctx.work.texts();
  const first = await checkCandidate(ctx.input, files);
  if (first.kind !== 'accepted') return first;
  for (const f of ctx.work.files.values()) {
    if (f.role !== 'profile' || f.snapshot.exists) continue;
    const name = f.name.replace(/\.config\.toml$/, '');
    if (name === ctx.input.profile) continue;
    const r = await checkCandidate({ ...ctx.input, profile: name }, files);
    if (r.kind !== 'accepted') return r;
  }
  return first;
}

interface StepContext {
  input: RepairInput;
  work: Work;
  today: string;
  probe: ResponsesProber;
}

type Step = { repair: RepairAction | null; explanation: string };

const none = (explanation: string): Step => ({ repair: null, explanation });

function edit(f: WorkFile, e: TomlEdit): string | undefined {
  const r = applyEdit(f.text, e);
  if (!r.ok) return r.error;
  f.text = r.text;
  return undefined;
}

function parsed(f: WorkFile): ParsedToml {
  const p = parseTomlText(f.text);
  return p.ok ? p.value : {};
}

function table(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date) ? (v as Record<string, unknown>) : undefined;
}

/** Every `model_provider` key (top level and in legacy [profiles.*]) of a file, with its value. */
function providerSelectors(f: WorkFile): { path: string[]; value: string }[] {
  const doc = parsed(f);
  const out: { path: string[]; value: string }[] = [];
  if (typeof doc.model_provider === 'string') out.push({ path: ['model_provider'], value: doc.model_provider });
  for (const [name, body] of Object.entries(table(doc.profiles) ?? {})) {
    const mp = table(body)?.model_provider;
    if (typeof mp === 'string') out.push({ path: ['profiles', name, 'model_provider'], value: mp });
  }
  return out;
}

function stringPath(p: (string | number)[] | undefined): string[] | undefined {
  return p && p.every(s => typeof s === 'string') ? (p as string[]) : undefined;
}

function outsideFiles(r: CodexRejection): string {
  return 'at' in r && r.at ? `${r.at.file} is not a file this repair edits (only config.toml and profile files in CODEX_HOME are); fix it by hand.` : 'Codex did not say which file; fix it by hand.';
}

async function repairOne(r: CodexRejection, ctx: StepContext): Promise<Step> {
  const { work, today } = ctx;
  const ver = ctx.input.codexVersion;
  switch (r.kind) {
    case 'wire-api-chat': return repairWireApi(r, ctx);

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
      return { repair: { kind: 'move-legacy-profiles', moved: plan.files.map(f => ({ name: f.name, path: f.path })), selectorRemoved: selector }, explanation: plan.notes.join(' ') };
    }

    case 'unknown-field': {
      const f = work.at(r.at?.file);
      if (!f || !r.at) return none(outsideFiles(r));
      const key = stringPath(keyPathAt(f.text, r.at.line, r.at.col));
      if (!key) return none(`Codex points at line ${r.at.line}, where no key could be found; fix it by hand.`);
      const err = edit(f, { kind: 'comment-out', path: key, note: commentNote(today, ver, `unknown configuration field \`${r.key}\``) });
      if (err) return none(err);
      return { repair: { kind: 'comment-out', file: f.snapshot.path, key: formatKeyPath(key) }, explanation: `Codex ${ver} does not know ${r.key}: with --strict-config it refuses it, without it the setting is ignored. It is commented out, so nothing Codex does changes.` };
    }

    case 'reserved-provider-id': {
      const renamed: string[] = [];
      const referencesIn = new Set<string>();
      let file = '';
      for (const id of r.ids) {
        const to = freeProviderId(work, `local-${id.toLowerCase()}`);
        const defining = [...work.files.values()].filter(f => table(table(parsed(f).model_providers)?.[id]));
        if (defining.length === 0) return none(outsideFiles(r));
        for (const f of defining) {
          const err = edit(f, { kind: 'rename', path: ['model_providers', id], to });
          if (err) return none(err);
          file ||= f.snapshot.path;
        }
        for (const f of work.files.values()) {
          for (const s of providerSelectors(f).filter(s => s.value === id)) {
            const err = edit(f, { kind: 'set', path: s.path, value: to });
            if (err) return none(err);
            referencesIn.add(f.snapshot.path);
          }
        }
        renamed.push(`[model_providers.${id}] → [model_providers.${to}]`);
        if (r.ids.length === 1) {
          const refs = referencesIn.size ? ` and model_provider = "${id}" now says "${to}"` : '';
          return { repair: { kind: 'rename-provider', file, from: id, to, referencesIn: [...referencesIn] }, explanation: `Codex reserves "${id}" for its built-in provider and refuses to redefine it. The table is renamed to "${to}"${refs}, so its settings (base_url and the rest) are kept and used.` };
        }
      }
      // Several reserved ids in one message: one finding covering all of them.
      return { repair: { kind: 'rename-provider', file, from: r.ids.join(', '), to: r.ids.map(id => `local-${id.toLowerCase()}`).join(', '), referencesIn: [...referencesIn] }, explanation: `Codex reserves ${r.ids.map(i => `"${i}"`).join(', ')} for its built-in providers and refuses to redefine them: ${renamed.join(', ')}; every model_provider that named them follows.` };
    }

    case 'invalid-type': {
      const f = work.at(r.at?.file);
      if (!f || !r.at) return none(outsideFiles(r));
      const key = stringPath(keyPathAt(f.text, r.at.line, r.at.col));
      const value = coerce(r.found, r.expected);
      if (!key || value === undefined) return none(`Codex expects ${r.expected} here, and the value cannot be converted mechanically; set it by hand.`);
      const err = edit(f, { kind: 'set', path: key, value });
      if (err) return none(err);
      return { repair: { kind: 'fix-type', file: f.snapshot.path, key: formatKeyPath(key), value }, explanation: `${formatKeyPath(key)} holds ${r.found} where Codex expects ${r.expected}: written as ${JSON.stringify(value)}.` };
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
      if (!files.length) return none('No model_provider = "ollama-chat" was found in config.toml or the profile; Codex\'s own advice is to use "ollama" instead.');
      return { repair: { kind: 'replace-ollama-chat', files }, explanation: 'Codex removed its "ollama-chat" provider; as its message says, "ollama" replaces it.' };
    }

    case 'invalid-value': return none(`Codex accepts only ${r.expected.map(e => `"${e}"`).join(', ')} there; which one is your choice, so nothing is changed.`);
    case 'provider-not-found': return none(`There is no [model_providers.${r.providerId}] table and no built-in provider of that name (built-ins: openai, ollama, lmstudio). Define the provider, or write a profile for your server (codex-profile) and run codex -p <name>.`);
    case 'not-a-file': return none(`${r.path} is not a file; nothing is changed.`);
    case 'unknown': return none('Codex\'s message is shown as it is: no repair is guessed for it.');
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
      if (hit) { f = g; id = hit[0]; break; }
    }
  }
  if (!f || !id) return none(outsideFiles(r));
  const provider = table(table(parsed(f).model_providers)?.[id]) ?? {};
  const target: ResponsesProbeTarget = { providerId: id, name: typeof provider.name === 'string' ? provider.name : undefined, baseUrl: typeof provider.base_url === 'string' ? provider.base_url : '', model: modelFor(work, id) };
  if (typeof provider.env_key === 'string' && ctx.input.env[provider.env_key]) target.apiKey = ctx.input.env[provider.env_key];
  const probe: ResponsesProbe = target.baseUrl
    ? await ctx.probe(target, { timeoutMs: ctx.input.probeTimeoutMs, signal: ctx.input.signal })
    : { kind: 'unreachable', detail: `[model_providers.${id}] has no base_url to ask` };
  const ver = ctx.input.codexVersion;
  if (probe.kind === 'responses') {
    const err = edit(f, { kind: 'set', path: ['model_providers', id, 'wire_api'], value: 'responses' });
    if (err) return none(err);
    return { repair: { kind: 'switch-wire-api', file: f.snapshot.path, providerId: id, probe }, explanation: `${probe.detail}: the server speaks the Responses API, so "${id}" switches to wire_api = "responses" (the only value Codex ${ver} accepts).` };
  }
  const why = probe.kind === 'no-responses'
    ? `${probe.detail}: the server is chat-only (no Responses API, which is all Codex ${ver} speaks). ${responsesUpgradeHint(probe, target)}.`
    : probe.kind === 'unreachable'
      ? `${probe.detail}, so it could not be shown to speak the Responses API (all Codex ${ver} speaks). Switching blindly could leave a provider that fails on every turn. If it is a chat-only server: ${responsesUpgradeHint(probe, target)}.`
      : `${probe.detail}, which does not show a Responses API (all Codex ${ver} speaks). ${responsesUpgradeHint(probe, target)}.`;
  const reason = probe.kind === 'no-responses' ? 'wire_api = "chat"; the server has no /responses' : 'wire_api = "chat"; /responses could not be confirmed';
  const err = edit(f, { kind: 'comment-out', path: ['model_providers', id], note: commentNote(ctx.today, ver, reason) });
  if (err) return none(`${why} ${err}`);
  const unselectedIn: string[] = [];
  for (const g of work.files.values()) {
    // Selectors of the provider must go too: Codex refuses a model_provider that names no provider.
    for (const s of providerSelectors(g).filter(s => s.value === id)) {
      const e2 = edit(g, { kind: 'comment-out', path: s.path, note: commentNote(ctx.today, ver, `it selects "${id}", which is commented out`) });
      if (e2) return none(`${why} ${e2}`);
      unselectedIn.push(g.snapshot.path);
    }
  }
  const after = unselectedIn.length ? ' and model_provider no longer selects it (Codex uses its default provider until you pick a profile: codex -p <name>)' : '';
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

export { describeRejection };
