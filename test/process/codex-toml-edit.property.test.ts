// Property tests of the surgical TOML editor: ≥ 10,000 generated config.toml files (comments
// everywhere, inline tables, arrays of tables, dotted and quoted keys, multi-line strings holding
// lines like `[profiles.x]`, CRLF, BOM, unicode) × the edits the Codex feature makes.
// For every file and edit: (1) the reported changes reproduce the result exactly, (2) every changed
// byte lies inside the edited key's or table's own lines (insertions only at line starts), (3) the
// result parses (smol-toml) to exactly the intended change, computed here independently.
// CODEX_PROPERTY_RUNS scales the run (default 10,000 files; each file gets all 11 edits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from 'smol-toml';
import { applyChanges, applyEdit, canonical, type TomlEdit } from '../../src/core/codex/tomlEdit';
import { formatString } from '../../src/core/codex/tomlText';

type Group = 'noise' | 'trust' | 'profilesX' | 'profile' | 'oss' | 'provider';
interface Chunk {
  text: string;
  group: Group;
}

const TRUST_PATHS = ['/home/ü/proj', '/tmp/a b/"q"', 'C:\\Users\\dev\\repo', '/srv/日本/x'];

// ── text pieces ──
// eslint-disable-next-line no-control-regex -- control characters are exactly what TOML forbids in comments and keys
const TOML_CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/g;
const noNewlineText = fc.string({ unit: 'grapheme', maxLength: 12 }).map(s => s.replace(TOML_CONTROL, '').replace(/[\uD800-\uDFFF]/g, ''));
const commentText = fc.oneof(
  noNewlineText,
  fc.constantFrom('[profiles.x]', 'profile = "x"', '[projects."/home/ü/proj"]', 'trust_level = "trusted"', ''),
);
const literalSafe = noNewlineText.map(s => s.replace(/'/g, ''));

const scalar = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.constantFrom('3.25', '-0.5', '1e6', 'inf', 'nan', 'true', 'false', '0x1F', '1_000', '1979-05-27T07:32:00Z', '1979-05-27', '07:32:00'),
  noNewlineText.map(s => formatString(s)),
  literalSafe.map(s => `'${s}'`),
  fc.constantFrom(
    '"""\n[profiles.x]\nmodel = "m"\n"""',
    "'''\n[projects.\"/home/ü/proj\"]\ntrust_level = \"untrusted\"\n'''",
    '"""first \\\n  continued [profiles.x]"""',
    '"tab\\tand \\u00e9 \\"quote\\""',
  ),
);
const value: fc.Arbitrary<string> = fc.letrec<{ v: string }>(tie => ({
  v: fc.oneof(
    { weight: 5, arbitrary: scalar },
    { weight: 1, arbitrary: fc.array(tie('v'), { maxLength: 3 }).map(xs => `[${xs.join(', ')}]`) },
    {
      weight: 1,
      arbitrary: fc
        .array(tie('v'), { maxLength: 3 })
        .map(xs => `[\n  # inside an array [profiles.x]\n  ${xs.join(',\n  ')}${xs.length ? ',' : ''}\n]`),
    },
    { weight: 1, arbitrary: fc.array(tie('v'), { maxLength: 3 }).map(xs => `{ ${xs.map((x, i) => `i${i} = ${x}`).join(', ')} }`) },
    // TOML 1.1 (which Codex reads): inline tables over several lines, with comments and a trailing comma.
    {
      weight: 1,
      arbitrary: fc
        .array(tie('v'), { maxLength: 3 })
        .map(xs => `{\n  # in an inline table [profiles.x]\n${xs.map((x, i) => `  i${i} = ${x},\n`).join('')}}`),
    },
  ),
})).v;
const keyStyle = fc.constantFrom<'bare' | 'quoted' | 'literal' | 'dotted'>('bare', 'quoted', 'literal', 'dotted');
const trailing = fc.option(
  commentText.map(c => ` # ${c}`),
  { nil: '' },
);

interface NoiseKv {
  style: 'bare' | 'quoted' | 'literal' | 'dotted';
  name: string;
  value: string;
  trail: string;
}
const noiseKv = fc.record({ style: keyStyle, name: noNewlineText, value, trail: trailing });
const filler = fc.oneof(
  commentText.map(c => `# ${c}\n`),
  fc.constant('\n'),
  fc.constant('   \t\n'),
);

let uniq = 0;
function kvLine(kv: NoiseKv): string {
  const n = uniq++;
  const key =
    kv.style === 'bare'
      ? `k${n}`
      : kv.style === 'quoted'
        ? formatString(`${kv.name} ${n}`)
        : kv.style === 'literal'
          ? `'${kv.name.replace(/'/g, '')} ${n}'`
          : `d${n}.${formatString(kv.name)}.z`;
  return `${key} = ${kv.value}${kv.trail}\n`;
}

// ── sections ──
const tableKind = fc.constantFrom('plain', 'quoted', 'array', 'profilesOther', 'projectsOther', 'providersOther', 'dottedHeader');
const section = fc.record({
  kind: tableKind,
  kvs: fc.array(fc.tuple(noiseKv, fc.option(filler, { nil: '' })), { maxLength: 4 }),
  trail: trailing,
  name: noNewlineText,
});
type Section = { kind: string; kvs: [NoiseKv, string][]; trail: string; name: string };

function sectionText(s: Section): string {
  const n = uniq++;
  const body = s.kvs.map(([kv, f]) => kvLine(kv) + f).join('');
  switch (s.kind) {
    case 'plain':
      return `[t${n}]${s.trail}\n${body}`;
    case 'quoted':
      return `[${formatString(`${s.name} §${n}`)}]${s.trail}\n${body}`;
    case 'dottedHeader':
      return `[ a${n} . ${formatString(s.name)} . 'c' ]${s.trail}\n${body}`;
    case 'array':
      return `[[arr${n}]]${s.trail}\n${body}[[arr${n}]]\nq = 1\n[arr${n}.sub]\nr = 2\n`;
    case 'profilesOther':
      return `[profiles.other${n}]${s.trail}\nmodel = "o"\n${body}`;
    case 'projectsOther':
      return `[projects.${formatString(`/other/${n}`)}]${s.trail}\ntrust_level = "trusted"\n${body}`;
    default:
      return `[model_providers.other${n}]${s.trail}\nname = "other"\n${body}`;
  }
}

// ── the structures the edits touch, in the forms users write them ──
const forms = fc.record({
  trust: fc.constantFrom('none', 'section', 'rootDotted', 'inline', 'inlineMultiline', 'parentSection'),
  trustPath: fc.constantFrom(...TRUST_PATHS),
  trustValue: fc.constantFrom('"untrusted"', "'trusted'", '"trusted"'),
  profilesX: fc.constantFrom('none', 'section', 'sectionWithSub', 'rootDotted', 'inline', 'parentSection'),
  profile: fc.boolean(),
  oss: fc.boolean(),
  provider: fc.constantFrom('none', 'section', 'inline'),
});
type Forms = typeof forms extends fc.Arbitrary<infer T> ? T : never;

const doc = fc.record({
  forms,
  root: fc.array(
    fc.oneof(
      noiseKv.map(kv => ({ kv })),
      filler.map(f => ({ f })),
    ),
    { maxLength: 6 },
  ),
  sections: fc.array(fc.tuple(section, fc.array(filler, { maxLength: 2 })), { maxLength: 6 }),
  order: fc.array(fc.nat(), { maxLength: 20 }),
  crlf: fc.boolean(),
  bom: fc.boolean(),
  finalNewline: fc.boolean(),
});

function shuffle<T>(xs: T[], seeds: number[]): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = (seeds[i % Math.max(1, seeds.length)] ?? 0) % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

function build(d: typeof doc extends fc.Arbitrary<infer T> ? T : never): {
  text: string;
  chunks: (Chunk & { start: number; end: number })[];
  forms: Forms;
} {
  uniq = 0;
  const f = d.forms;
  const p = formatString(f.trustPath);
  const rootChunks: Chunk[] = d.root.map(r =>
    'kv' in r ? { text: kvLine(r.kv), group: 'noise' as Group } : { text: r.f, group: 'noise' as Group },
  );
  const tableChunks: Chunk[] = d.sections.map(([s, fill]) => ({ text: sectionText(s) + fill.join(''), group: 'noise' as Group }));
  // Forms that define a parent by dotted keys or inline tables forbid other sections under that parent.
  const parentOpen = {
    projects: !['rootDotted', 'inline', 'inlineMultiline'].includes(f.trust),
    profiles: !['rootDotted', 'inline'].includes(f.profilesX),
    model_providers: f.provider !== 'inline',
  };
  const keep = (c: Chunk) =>
    (parentOpen.projects || !c.text.includes('[projects.')) &&
    (parentOpen.profiles || !c.text.includes('[profiles.')) &&
    (parentOpen.model_providers || !c.text.includes('[model_providers.'));
  const tables = tableChunks.filter(keep);
  if (f.profile) rootChunks.push({ text: 'profile = "x" # the default profile\n', group: 'profile' });
  if (f.oss) rootChunks.push({ text: "oss_provider = 'lmstudio'\n", group: 'oss' });
  switch (f.trust) {
    case 'section':
      tables.push({ text: `[projects.${p}] # mine\ntrust_level = ${f.trustValue}\n# between\nnote = "keep me"\n`, group: 'trust' });
      break;
    case 'rootDotted':
      rootChunks.push({ text: `projects.${p}.trust_level = ${f.trustValue}\n`, group: 'trust' });
      break;
    case 'inline':
      rootChunks.push({ text: `projects = { ${p} = { trust_level = ${f.trustValue} }, "/z" = {} }\n`, group: 'trust' });
      break;
    case 'inlineMultiline':
      rootChunks.push({ text: `projects = {\n  # mine\n  ${p} = { trust_level = ${f.trustValue} },\n}\n`, group: 'trust' });
      break;
    case 'parentSection':
      tables.push({ text: `[projects]\n${p}.trust_level = ${f.trustValue}\n`, group: 'trust' });
      break;
  }
  switch (f.profilesX) {
    case 'section':
      tables.push({ text: '[profiles.x]\nmodel = "m" # why\nmodel_provider = "local-x"\n', group: 'profilesX' });
      break;
    case 'sectionWithSub':
      tables.push(
        { text: '[profiles.x]\nmodel = "m"\n', group: 'profilesX' },
        { text: '[profiles.x.features]\nplugins = false\n', group: 'profilesX' },
      );
      break;
    case 'rootDotted':
      rootChunks.push({ text: 'profiles.x.model = "m"\n', group: 'profilesX' }, { text: 'profiles.y.model = "n"\n', group: 'noise' });
      break;
    case 'inline':
      rootChunks.push({
        text: 'profiles = { x = { model = "m", features = { plugins = false } }, y = { model = "n" } }\n',
        group: 'profilesX',
      });
      break;
    case 'parentSection':
      tables.push(
        { text: '[profiles]\n', group: 'noise' },
        { text: 'x.model = "m"\nx.features.plugins = false\n', group: 'profilesX' },
        { text: 'y.model = "n"\n', group: 'noise' },
      );
      break;
  }
  switch (f.provider) {
    case 'section':
      tables.push({ text: '[model_providers.local-x]\nname = "X"\nbase_url = "http://127.0.0.1:1/v1" # old\n', group: 'provider' });
      break;
    case 'inline':
      rootChunks.push({ text: 'model_providers = { local-x = { name = "X", base_url = "http://127.0.0.1:1/v1" } }\n', group: 'provider' });
      break;
  }
  // Keep `[profiles]` + its dotted keys together (they only make sense in that order).
  const glued: Chunk[][] = [];
  for (const c of tables) {
    const prev = glued[glued.length - 1];
    if (prev && prev[0].text === '[profiles]\n' && prev.length < 3) prev.push(c);
    else glued.push([c]);
  }
  const ordered = [...shuffle(rootChunks, d.order), ...shuffle(glued, d.order.slice().reverse()).flat()];
  const eol = d.crlf ? '\r\n' : '\n';
  const chunks: (Chunk & { start: number; end: number })[] = [];
  let text = d.bom ? '\uFEFF' : '';
  for (const c of ordered) {
    const t = c.text.replace(/\n/g, eol);
    chunks.push({ ...c, text: t, start: text.length, end: text.length + t.length });
    text += t;
  }
  if (!d.finalNewline && text.endsWith(eol) && chunks.length) {
    const last = chunks[chunks.length - 1];
    // Only drop the final newline where it ends a line that is not inside a multi-line value.
    if (last.group !== 'noise' || !/"""|'''|\[\n|\[\r\n/.test(last.text)) {
      text = text.slice(0, -eol.length);
      last.end -= eol.length;
    }
  }
  return { text, chunks, forms: f };
}

// ── the intended change, computed independently of the editor ──
function expectedAfter(before: Record<string, unknown>, edit: TomlEdit, pruneEmptyParents = false): string {
  const clone = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(clone)
      : v && typeof v === 'object' && !(v instanceof Date)
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)]))
        : v;
  const d = clone(before) as Record<string, unknown>;
  const parents: Record<string, unknown>[] = [d];
  let t = d;
  for (const k of edit.path.slice(0, -1)) {
    if (t[k] === undefined) {
      if (edit.kind !== 'set') return canonical(d);
      t[k] = {};
    }
    t = t[k] as Record<string, unknown>;
    parents.push(t);
  }
  const last = edit.path[edit.path.length - 1];
  if (edit.kind === 'set') t[last] = edit.value;
  else if (edit.kind === 'rename') {
    if (t[last] !== undefined) {
      t[edit.to] = t[last];
      delete t[last];
    }
  } else delete t[last];
  if (pruneEmptyParents) {
    for (let i = parents.length - 1; i > 0 && Object.keys(parents[i]).length === 0; i--) delete parents[i - 1][edit.path[i - 1]];
  }
  return canonical(d);
}

const EDITS: { edit: TomlEdit; group: Group }[] = [
  { edit: { kind: 'set', path: ['projects', TRUST_PATHS[0], 'trust_level'], value: 'trusted' }, group: 'trust' },
  { edit: { kind: 'set', path: ['oss_provider'], value: 'ollama' }, group: 'oss' },
  { edit: { kind: 'remove', path: ['profiles', 'x'] }, group: 'profilesX' },
  { edit: { kind: 'remove', path: ['profile'] }, group: 'profile' },
  { edit: { kind: 'set', path: ['model_providers', 'local-x', 'base_url'], value: 'http://127.0.0.1:8131/v1' }, group: 'provider' },
  { edit: { kind: 'set', path: ['model_providers', 'local-x', 'stream_idle_timeout_ms'], value: 300000 }, group: 'provider' },
  { edit: { kind: 'set', path: ['profiles', 'x', 'model'], value: 'qwen/ü' }, group: 'profilesX' },
  // Check Codex Config: what Codex no longer accepts is commented out, reserved provider ids renamed.
  {
    edit: {
      kind: 'comment-out',
      path: ['profiles', 'x'],
      note: 'Commented out by Local Model Router on 2026-11-28: Codex 0.169.0 rejects it (test)',
    },
    group: 'profilesX',
  },
  {
    edit: {
      kind: 'comment-out',
      path: ['model_providers', 'local-x'],
      note: 'Commented out by Local Model Router on 2026-11-28: Codex 0.169.0 rejects it (test)',
    },
    group: 'provider',
  },
  {
    edit: {
      kind: 'comment-out',
      path: ['profile'],
      note: 'Commented out by Local Model Router on 2026-11-28: Codex 0.169.0 rejects it (test)',
    },
    group: 'profile',
  },
  { edit: { kind: 'rename', path: ['model_providers', 'local-x'], to: 'local-renamed' }, group: 'provider' },
];

function check(built: ReturnType<typeof build>, before: Record<string, unknown>, edit: TomlEdit, group: Group): void {
  const { text, chunks } = built;
  const e: TomlEdit =
    edit.kind === 'set' && edit.path[0] === 'projects' ? { ...edit, path: ['projects', built.forms.trustPath, 'trust_level'] } : edit;
  const r = applyEdit(text, e);
  // One line cannot be half a comment: a table inside an inline table is refused, never mangled.
  const inlineForm =
    group === 'profilesX' ? built.forms.profilesX === 'inline' : group === 'provider' ? built.forms.provider === 'inline' : false;
  if (!r.ok && e.kind === 'comment-out' && inlineForm) {
    assert.match(r.error, /inline table/);
    return;
  }
  assert.ok(r.ok, `edit refused: ${!r.ok && r.error}\n--- file ---\n${text}`);
  // (1) the reported changes are the whole difference
  assert.equal(applyChanges(text, r.changes), r.text);
  // (2) only the edited key's or table's own lines change; insertions start a line
  const own = chunks.filter(c => c.group === group);
  for (const c of r.changes) {
    const inside = own.some(o => c.start >= o.start && c.end <= o.end);
    const atLineStart =
      c.start === c.end &&
      (c.start === 0 || c.start === text.length || text[c.start - 1] === '\n' || (c.start === 1 && text.startsWith('\uFEFF')));
    assert.ok(
      inside || atLineStart,
      `change ${JSON.stringify(c)} touches bytes outside ${formatString(e.path.join('.'))}\n--- file ---\n${text}\n--- result ---\n${r.text}`,
    );
  }
  if (text.startsWith('\uFEFF')) assert.ok(r.text.startsWith('\uFEFF'), 'BOM kept');
  // Commenting out keeps every byte: drop the notes and the added "# " and the original text is back.
  if (e.kind === 'comment-out' && r.changed) {
    const restored = applyChanges(
      text,
      r.changes.map(c => ({
        ...c,
        text: c.text.replace(/^[ \t]*# Commented out by Local Model Router[^\n]*\n/gm, '').replace(/^([ \t]*)# /gm, '$1'),
      })),
    );
    assert.equal(restored, text, `comment-out lost bytes\n--- file ---\n${text}\n--- result ---\n${r.text}`);
  }
  // (3) the result parses to exactly the intended change
  const after = parse(r.text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
  const got = canonical(after);
  // After a removal, tables that only existed to hold the removed one may go with it.
  const ok =
    got === expectedAfter(before, e) || ((e.kind === 'remove' || e.kind === 'comment-out') && got === expectedAfter(before, e, true));
  assert.ok(ok, `parse differs from the intended change\n--- file ---\n${text}\n--- result ---\n${r.text}`);
  // Trusting again changes nothing (idempotent).
  if (e.kind === 'set' && group === 'trust') {
    const again = applyEdit(r.text, e);
    assert.ok(again.ok && !again.changed, 'a second identical edit is a no-op');
  }
}

test('generated config.toml files × edits: unrelated bytes identical, parse equals the intended change', () => {
  const runs = Number(process.env.CODEX_PROPERTY_RUNS ?? 10_000);
  let files = 0;
  const t0 = Date.now();
  fc.assert(
    fc.property(doc, d => {
      const built = build(d);
      // Every generated file is valid TOML to begin with (otherwise the generator is wrong).
      const before = parse(built.text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
      files++;
      for (const { edit, group } of EDITS) check(built, before, edit, group);
    }),
    { numRuns: runs },
  );
  assert.ok(files >= runs);
  console.log(`${files} files × ${EDITS.length} edits in ${Date.now() - t0} ms`);
});
