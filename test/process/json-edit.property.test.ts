// Property test of JSON settings edits agreeing with the reader: generated files — any JSON values,
// minified or indented (2, 4, tab), LF or CRLF, with or without a BOM, some with a key twice in one
// object (at the top or nested), some nested deeper than the limit — × generated edits (set and
// remove at paths up to three keys deep).
//  - The edit engine (applyJsonEdits): a file with a duplicate key or nesting past MAX_JSON_DEPTH is
//    refused; otherwise every accepted edit parses to exactly the intended value (computed here on
//    the parsed object), every top-level member no edit touches keeps its exact source text and
//    order, and the BOM stays.
//  - The settings writer on disk (plan + write, ~/.claude/settings.json in a scratch home): a refused
//    file is unchanged on disk and no backup is made; an accepted one holds exactly the intended
//    settings.
// JSON_PROPERTY_RUNS scales the run (default 1,500 engine cases, a fifth of them on disk; ≈ 10 s).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { parseTree, type Node } from 'jsonc-parser';
import { applyJsonEdits, MAX_JSON_DEPTH, type JsonEdit } from '../../src/core/claude/jsonEdit';
import { claudeSettingsLocation, desiredClaudeSettings, MANAGED_MARKER, type DesiredClaudeSettings } from '../../src/core/claude/settings';
import { applyClaudeSettingsWrite, planClaudeSettingsWrite } from '../../src/core/claude/write';

type Json = Record<string, unknown>;
const RUNS = Number(process.env.JSON_PROPERTY_RUNS ?? 1_500);
const temps: string[] = [];
after(() => {
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

const key = fc
  .oneof(fc.constantFrom('env', 'model', 'permissions', 'a', 'b', 'é', 'a"b', 'x\\y'), fc.string({ maxLength: 6 }))
  .filter(k => k !== '__proto__');
const value = fc.jsonValue({ maxDepth: 3 });

/** A value once in `n` cases, else undefined. */
function sometimes<T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: fc.constant(undefined), weight: n - 1 }, { arbitrary: arb, weight: 1 });
}

interface FileSpec {
  value: Json;
  indent: 0 | 2 | 4 | '\t';
  crlf: boolean;
  bom: boolean;
  trailing: string;
  /** A key written twice: in the object at this path (top level when empty). */
  dup?: { at: string[]; key: string; second: unknown };
  /** A member nested this deep (arrays). */
  deep?: number;
}

const fileSpec: fc.Arbitrary<FileSpec> = fc
  .record({
    value: fc.dictionary(key, value, { maxKeys: 6 }),
    indent: fc.constantFrom<0 | 2 | 4 | '\t'>(0, 0, 2, 4, '\t'),
    crlf: fc.boolean(),
    bom: fc.boolean(),
    trailing: fc.constantFrom('', '\n', '\n\n'),
    dupKey: sometimes(fc.record({ key, second: value, nested: fc.boolean() }), 4),
    deep: sometimes(fc.integer({ min: MAX_JSON_DEPTH - 6, max: MAX_JSON_DEPTH + 6 }), 5),
  })
  .map(r => {
    const spec: FileSpec = { value: r.value, indent: r.indent, crlf: r.crlf, bom: r.bom, trailing: r.trailing };
    if (r.deep !== undefined) spec.value = { ...spec.value, deep: JSON.parse(`${'['.repeat(r.deep)}${']'.repeat(r.deep)}`) };
    if (r.deep !== undefined) spec.deep = r.deep;
    if (r.dupKey) {
      // Nested: inside the first member that holds an object, else at the top.
      const host = r.dupKey.nested ? Object.keys(spec.value).find(k => isObject(spec.value[k])) : undefined;
      spec.dup = { at: host ? [host] : [], key: r.dupKey.key, second: r.dupKey.second };
    }
    return spec;
  });

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON text of the spec; the duplicate member (when any) is written after the object's own members. */
function render(spec: FileSpec): string {
  const nl = spec.indent === 0 ? '' : '\n';
  const pad = (level: number) => (spec.indent === 0 ? '' : (spec.indent === '\t' ? '\t' : ' '.repeat(spec.indent)).repeat(level));
  const sep = spec.indent === 0 ? ':' : ': ';
  const write = (v: unknown, level: number, at: string[]): string => {
    if (!isObject(v)) return JSON.stringify(v);
    const members = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}${sep}${write(x, level + 1, [...at, k])}`);
    if (spec.dup && spec.dup.at.join('\u0000') === at.join('\u0000'))
      members.push(
        `${JSON.stringify(spec.dup.key)}${sep}${JSON.stringify(spec.dup.second)}`,
        ...(Object.hasOwn(v, spec.dup.key) ? [] : [`${JSON.stringify(spec.dup.key)}${sep}0`]),
      );
    if (!members.length) return '{}';
    return `{${nl}${members.map(m => pad(level + 1) + m).join(`,${nl}`)}${nl}${pad(level)}}`;
  };
  let text = write(spec.value, 0, []) + spec.trailing;
  if (spec.crlf) text = text.replace(/\n/g, '\r\n');
  return spec.bom ? `\uFEFF${text}` : text;
}

/** What a reader must refuse: a duplicate key, or nesting past the limit. */
const refusable = (spec: FileSpec) => spec.dup !== undefined || (spec.deep !== undefined && spec.deep + 1 > MAX_JSON_DEPTH);

const edit: fc.Arbitrary<JsonEdit> = fc.oneof(
  fc.record({ kind: fc.constant<'set'>('set'), path: fc.array(key, { minLength: 1, maxLength: 3 }), value }),
  fc.record({ kind: fc.constant<'remove'>('remove'), path: fc.array(key, { minLength: 1, maxLength: 3 }) }),
);

/** The intended value, or 'refused' when a set would have to go through a non-object. */
function intended(before: Json, edits: readonly JsonEdit[]): Json | 'refused' {
  const out = structuredClone(before);
  for (const e of edits) {
    let cur: Json | undefined = out;
    for (const k of e.path.slice(0, -1)) {
      if (!Object.hasOwn(cur, k)) {
        if (e.kind === 'remove') {
          cur = undefined;
          break;
        }
        cur[k] = {};
      } else if (!isObject(cur[k])) {
        if (e.kind === 'set') return 'refused';
        cur = undefined;
        break;
      }
      cur = cur[k] as Json;
    }
    if (!cur) continue;
    const last = e.path[e.path.length - 1];
    if (e.kind === 'set') cur[last] = structuredClone(e.value);
    else delete cur[last];
  }
  return out;
}

/** Source text of each top-level member whose key no edit path starts with, in file order. */
function untouched(text: string, edits: readonly JsonEdit[]): string[] {
  const body = text.replace(/^\uFEFF/, '');
  const root = parseTree(body) as Node;
  const touched = new Set(edits.map(e => e.path[0]));
  return (root.children ?? [])
    .filter(p => !touched.has(p.children?.[0]?.value as string))
    .map(p => body.slice(p.offset, p.offset + p.length));
}

test(
  `the edit engine: refused files are refused; accepted edits give the intended value and keep every other member (${RUNS} cases)`,
  { timeout: 600_000 },
  () => {
    let refused = 0;
    let accepted = 0;
    fc.assert(
      fc.property(fileSpec, fc.array(edit, { minLength: 1, maxLength: 4 }), (spec, edits) => {
        const text = render(spec);
        const r = applyJsonEdits(text, edits);
        if (refusable(spec)) {
          assert.equal(r.ok, false, 'a duplicate key or excess depth is refused');
          assert.match(
            (r as { error: string }).error,
            spec.deep !== undefined && spec.deep + 1 > MAX_JSON_DEPTH ? /appears twice|nested more than/ : /appears twice/,
          );
          refused++;
          return;
        }
        const before = JSON.parse(text.replace(/^\uFEFF/, '')) as Json;
        const want = intended(before, edits);
        if (want === 'refused') {
          assert.equal(r.ok, false, 'a set through a non-object is refused');
          return;
        }
        assert.ok(r.ok, !r.ok ? r.error : '');
        accepted++;
        // Through JSON once: -0 is written as 0.
        assert.deepStrictEqual(JSON.parse(r.text.replace(/^\uFEFF/, '')), JSON.parse(JSON.stringify(want)));
        let at = 0;
        for (const slice of untouched(text, edits)) {
          const i = r.text.indexOf(slice, at);
          assert.ok(i >= 0, `member kept as written, in order: ${slice.slice(0, 60)}`);
          at = i + slice.length;
        }
        assert.equal(r.text.startsWith('\uFEFF'), text.startsWith('\uFEFF'));
      }),
      { numRuns: RUNS },
    );
    assert.ok(refused > RUNS / 20 && accepted > RUNS / 4, `both kinds were generated (${refused} refused, ${accepted} accepted)`);
  },
);

const route = fc.record({
  model: fc.string({ minLength: 1, maxLength: 12 }),
  needsKey: fc.boolean(),
  ctx: fc.integer({ min: 4096, max: 1 << 20 }),
});

test(
  `the settings writer on disk: a refused file is unchanged and not backed up; an accepted one is the intended settings (${Math.ceil(RUNS / 5)} files)`,
  { timeout: 600_000 },
  () => {
    fc.assert(
      fc.property(fileSpec, route, (spec, r) => {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-json-prop-'));
        temps.push(home);
        const loc = claudeSettingsLocation('user', { home });
        assert.ok(loc.ok);
        const file = loc.location.path;
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const text = render(spec);
        fs.writeFileSync(file, text);
        const desired: DesiredClaudeSettings = desiredClaudeSettings({
          baseUrl: 'http://127.0.0.1:8080/v1',
          model: r.model,
          contextWindow: r.ctx,
          needsKey: r.needsKey,
          keyVar: r.needsKey ? 'MY_KEY' : undefined,
        });
        const before = refusable(spec) ? undefined : (JSON.parse(text.replace(/^\uFEFF/, '')) as Json);
        const envIsObject = before !== undefined && (before.env === undefined || isObject(before.env));
        const plan = planClaudeSettingsWrite(loc.location, desired);
        const w = plan.ok ? applyClaudeSettingsWrite(plan.change) : plan;
        const backups = path.join(path.dirname(file), '.local-model-router-backups');
        if (!before || !envIsObject) {
          assert.equal(w.ok, false, 'refused');
          assert.equal(fs.readFileSync(file, 'utf8'), text, 'the refused file is unchanged on disk');
          assert.ok(!fs.existsSync(backups) || fs.readdirSync(backups).length === 0, 'and nothing was backed up');
        } else {
          assert.ok(w.ok, !w.ok ? w.error : '');
          const want = structuredClone(before);
          const env = (want.env ?? {}) as Json;
          Object.assign(env, desired.env, {
            [MANAGED_MARKER]: [...Object.keys(desired.env), ...(desired.apiKeyHelper ? ['apiKeyHelper'] : [])].join(','),
          });
          want.env = env;
          if (desired.apiKeyHelper) want.apiKeyHelper = desired.apiKeyHelper;
          assert.deepStrictEqual(JSON.parse(fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '')), JSON.parse(JSON.stringify(want)));
        }
        fs.rmSync(home, { recursive: true, force: true });
      }),
      { numRuns: Math.ceil(RUNS / 5) },
    );
  },
);
