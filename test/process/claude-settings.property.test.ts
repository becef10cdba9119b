// Property test of the Claude Code settings writer: generated settings files (any JSON values,
// unicode keys, nested objects, indentation 0/2/4/tab, LF or CRLF, a BOM, a previous write's managed
// keys mixed with the user's own) × edits (routes with and without a key, thinking off, removal).
// For every file and edit: (1) every member the edit does not own keeps its exact source text, in
// the same order, and the bytes around the top-level object stay; (2) the result parses to exactly
// the intended settings, computed here independently; (3) a second identical edit changes nothing.
// CLAUDE_PROPERTY_RUNS scales the run (default 3,000 files × 4 edits).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseTree, type Node } from 'jsonc-parser';
import {
  desiredClaudeSettings,
  managedKeys,
  planSettingsText,
  MANAGED_MARKER,
  type DesiredClaudeSettings,
} from '../../src/core/claude/settings';
import { claudeRoutingEnv } from '../../src/core/claude/env';

type Json = Record<string, unknown>;
const OWNED = Object.keys(
  claudeRoutingEnv({ baseUrl: 'http://h:1/v1', model: 'm', contextWindow: 1, needsKey: false, disableThinking: true }),
);

const keyName = fc
  .oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }),
    fc.constantFrom('permissions', 'model', 'hooks', 'é', '日本', 'a"b', 'back\\slash'),
  )
  .filter(k => k !== 'env' && k !== 'apiKeyHelper' && k !== '__proto__');
const value = fc.jsonValue({ maxDepth: 3 });
const userEnvKey = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 12 })
  .filter(k => !OWNED.includes(k) && k !== MANAGED_MARKER && k !== '__proto__');

const file = fc.record({
  top: fc.dictionary(keyName, value, { maxKeys: 5 }),
  hasEnv: fc.boolean(),
  userEnv: fc.dictionary(userEnvKey, fc.oneof(fc.string(), value), { maxKeys: 4 }),
  /** Keys a previous write owned (they carry some value) and whether the marker lists them. */
  previous: fc.subarray([...OWNED, 'apiKeyHelper']),
  userHelper: fc.option(fc.string(), { nil: undefined }),
  indent: fc.constantFrom<0 | 2 | 4 | '\t'>(0, 2, 4, '\t'),
  crlf: fc.boolean(),
  bom: fc.boolean(),
  trailing: fc.constantFrom('', '\n', '\n\n', '  \n'),
  envFirst: fc.boolean(),
});
type File = typeof file extends fc.Arbitrary<infer T> ? T : never;

function render(f: File): { text: string; value: Json } {
  const env: Json = { ...f.userEnv };
  for (const k of f.previous) if (k !== 'apiKeyHelper') env[k] = 'old';
  if (f.previous.length) env[MANAGED_MARKER] = f.previous.join(',');
  const v: Json = {};
  if (f.envFirst && (f.hasEnv || f.previous.length)) v.env = env;
  Object.assign(v, f.top);
  if (!f.envFirst && (f.hasEnv || f.previous.length)) v.env = env;
  if (f.previous.includes('apiKeyHelper')) v.apiKeyHelper = 'printenv OLD';
  else if (f.userHelper !== undefined) v.apiKeyHelper = f.userHelper;
  let text = JSON.stringify(v, null, f.indent) + f.trailing;
  if (f.crlf) text = text.replace(/\n/g, '\r\n');
  if (f.bom) text = `\uFEFF${text}`;
  return { text, value: JSON.parse(JSON.stringify(v)) as Json };
}

const edit = fc.oneof(
  fc
    .record({
      model: fc.string({ minLength: 1, maxLength: 20 }),
      ctx: fc.option(fc.integer({ min: 1024, max: 1 << 20 }), { nil: undefined }),
      needsKey: fc.boolean(),
      thinkingOff: fc.boolean(),
    })
    .map(r =>
      desiredClaudeSettings({
        baseUrl: 'http://127.0.0.1:8080/v1',
        model: r.model,
        contextWindow: r.ctx,
        needsKey: r.needsKey,
        keyVar: r.needsKey ? 'MY_KEY' : undefined,
        disableThinking: r.thinkingOff,
      }),
    ),
  fc.constant(null),
);

/** The intended result, computed from the parsed value (not from the text). */
function intended(before: Json, desired: DesiredClaudeSettings | null): Json {
  const out = structuredClone(before);
  const previous = managedKeys(before);
  const wanted = new Map<string, string>(desired ? Object.entries(desired.env) : []);
  if (desired?.apiKeyHelper) wanted.set('apiKeyHelper', desired.apiKeyHelper);
  let env = out.env as Json | undefined;
  for (const k of previous) {
    if (wanted.has(k)) continue;
    if (k === 'apiKeyHelper') delete out.apiKeyHelper;
    else if (env) delete env[k];
  }
  if (desired) {
    env = out.env = env ?? {};
    for (const [k, v] of wanted) {
      if (k === 'apiKeyHelper') out.apiKeyHelper = v;
      else env[k] = v;
    }
    env[MANAGED_MARKER] = [...wanted.keys()].join(',');
  } else if (env) delete env[MANAGED_MARKER];
  return out;
}

/** Source slices of the members the edit must not touch, in file order. */
function untouchedSlices(text: string, owned: Set<string>): string[] {
  const root = parseTree(text.replace(/^\uFEFF/, '')) as Node;
  const body = text.replace(/^\uFEFF/, '');
  const out: string[] = [];
  for (const prop of root.children ?? []) {
    const key = prop.children?.[0]?.value as string;
    if (key === 'apiKeyHelper' && owned.has('apiKeyHelper')) continue;
    if (key === 'env') {
      for (const e of prop.children?.[1]?.children ?? []) {
        const k = e.children?.[0]?.value as string;
        if (!owned.has(k) && k !== MANAGED_MARKER) out.push(body.slice(e.offset, e.offset + e.length));
      }
      continue;
    }
    out.push(body.slice(prop.offset, prop.offset + prop.length));
  }
  return out;
}

const RUNS = Number(process.env.CLAUDE_PROPERTY_RUNS ?? 3_000);

test(
  `settings files × edits: untouched bytes stay, the result is what was intended, edits are idempotent (${RUNS} files)`,
  { timeout: 600_000 },
  () => {
    fc.assert(
      fc.property(file, fc.array(edit, { minLength: 1, maxLength: 4 }), (f, edits) => {
        let { text } = render(f);
        for (const desired of edits) {
          const before = JSON.parse(text.replace(/^\uFEFF/, '')) as Json;
          const r = planSettingsText(text, desired);
          assert.ok(r.ok, !r.ok ? r.error : '');
          // (2) exactly the intended settings.
          assert.deepStrictEqual(JSON.parse(r.after.replace(/^\uFEFF/, '')), intended(before, desired));
          // (1) untouched members keep their exact text and order; BOM and what follows the object stay.
          const owned = new Set([
            ...managedKeys(before),
            ...(desired ? [...Object.keys(desired.env), ...(desired.apiKeyHelper ? ['apiKeyHelper'] : [])] : []),
          ]);
          if (!desired && typeof before.apiKeyHelper === 'string' && !managedKeys(before).includes('apiKeyHelper'))
            owned.delete('apiKeyHelper');
          let at = 0;
          for (const slice of untouchedSlices(text, owned)) {
            const i = r.after.indexOf(slice, at);
            assert.ok(i >= 0, `kept in order: ${slice.slice(0, 80)}`);
            at = i + slice.length;
          }
          assert.equal(r.after.startsWith('\uFEFF'), text.startsWith('\uFEFF'));
          const tail = (t: string) => t.slice(t.lastIndexOf('}') + 1);
          assert.equal(tail(r.after), tail(text), 'bytes after the object stay');
          // (3) idempotent.
          const again = planSettingsText(r.after, desired);
          assert.ok(again.ok);
          assert.equal(again.after, r.after);
          text = r.after;
        }
      }),
      { numRuns: RUNS },
    );
  },
);
