// Byte-preserving edits of a Claude Code settings file (strict JSON: Claude Code 2.1.328 refuses a
// settings file with comments or trailing commas as "Invalid or malformed JSON" and loads none of it,
// so such a file is refused here too). jsonc-parser computes the minimal text edits; every byte
// outside them stays, including the file's indentation, line endings and a BOM.
import { applyEdits, modify, type Edit, type FormattingOptions } from 'jsonc-parser';

export type JsonPath = string[];
export type JsonEdit = { kind: 'set'; path: JsonPath; value: unknown } | { kind: 'remove'; path: JsonPath };

export type SettingsProblem = 'invalid' | 'not-object' | 'duplicate-key' | 'too-deep';
export type ParsedSettings = { ok: true; value: Record<string, unknown> } | { ok: false; error: string; problem: SettingsProblem };

const BOM = '\uFEFF';
/** Deeper nesting than any settings file has; past it a file is refused before any recursive parser sees it. */
export const MAX_JSON_DEPTH = 100;

/**
 * Strict JSON whose top level is an object; an empty (or whitespace-only) file counts as `{}`.
 * Refused besides invalid JSON: a key twice in one object (JSON.parse and Claude Code keep the last,
 * an editor would change the first: the file would say one thing and do another), and nesting
 * deeper than MAX_JSON_DEPTH.
 */
export function parseSettingsText(text: string): ParsedSettings {
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  if (!body.trim()) return { ok: true, value: {} };
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch (e) {
    const hint = /\/\/|\/\*/.test(body) ? ' (comments are not allowed: Claude Code rejects the whole file)' : '';
    return { ok: false, problem: 'invalid', error: `not valid JSON: ${(e as Error).message}${hint}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return { ok: false, problem: 'not-object', error: 'the top level is not a JSON object' };
  const shape = checkShape(body);
  if (shape) return { ok: false, ...shape };
  return { ok: true, value: v as Record<string, unknown> };
}

/**
 * One pass over valid JSON text (no recursion, so any depth is safe): the first duplicate key or
 * excess depth, with its line.
 */
function checkShape(body: string): { problem: SettingsProblem; error: string } | undefined {
  type Frame = { object: boolean; keys?: Map<string, number>; path: string; expectKey: boolean };
  const stack: Frame[] = [];
  let line = 1;
  let lastKey = '';
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    if (c === 0x0a) line++;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= MAX_JSON_DEPTH)
        return {
          problem: 'too-deep',
          error: `the JSON is nested more than ${MAX_JSON_DEPTH} levels deep (line ${line}); no settings file is, so it is not edited`,
        };
      const parent = stack[stack.length - 1];
      const path = parent ? (parent.object ? `${parent.path}${parent.path ? '.' : ''}${lastKey}` : `${parent.path}[]`) : '';
      stack.push(c === 0x7b ? { object: true, keys: new Map(), path, expectKey: true } : { object: false, path, expectKey: false });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) stack.pop();
    else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.object) top.expectKey = true;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      while (body.charCodeAt(j) !== 0x22) j += body.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.object && top.expectKey) {
        const key = JSON.parse(body.slice(i, j + 1)) as string;
        const first = top.keys!.get(key);
        if (first !== undefined)
          return {
            problem: 'duplicate-key',
            error: `the key ${JSON.stringify(key)}${top.path ? ` in "${top.path}"` : ''} appears twice (lines ${first} and ${line}); JSON readers such as Claude Code use the last one and an edit would change the first, so the file is not edited until one of them is removed`,
          };
        top.keys!.set(key, line);
        top.expectKey = false;
        lastKey = key;
      }
      i = j;
    }
  }
  return undefined;
}

/** The file's own style, so inserted lines look like their neighbours. */
export function formattingOf(text: string): FormattingOptions {
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const indent = /^([ \t]+)"/m.exec(text)?.[1];
  if (indent?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: indent ? Math.min(indent.length, 8) : 2, eol };
}

export type EditResult = { ok: true; text: string } | { ok: false; error: string; problem?: SettingsProblem };

/** Applies edits in order; refuses text that is not a strict JSON object (nothing is changed then). */
export function applyJsonEdits(text: string, edits: readonly JsonEdit[]): EditResult {
  const parsed = parseSettingsText(text);
  if (!parsed.ok) return parsed;
  const bom = text.startsWith(BOM) ? BOM : '';
  let body = bom ? text.slice(1) : text;
  const formattingOptions = formattingOf(body);
  if (!body.trim()) body = `{}${formattingOptions.eol}`;
  for (const e of edits) {
    const now = parseSettingsText(body);
    if (e.kind === 'remove') {
      if (getPath(now, e.path) === undefined) continue;
    } else {
      // Setting a.b.c needs a and a.b to be objects (or absent): never replace a value on the way.
      for (let i = 1; i < e.path.length; i++) {
        const on = getPath(now, e.path.slice(0, i));
        if (on !== undefined && (typeof on !== 'object' || on === null || Array.isArray(on)))
          return { ok: false, error: `"${e.path.slice(0, i).join('.')}" is not an object, so "${e.path.join('.')}" cannot be set in it` };
      }
    }
    try {
      body = applyEdits(body, editFor(body, e.path, e.kind === 'set' ? e.value : undefined, formattingOptions));
    } catch (err) {
      return { ok: false, error: `"${e.path.join('.')}" could not be edited in this file (${(err as Error).message})` };
    }
  }
  const check = parseSettingsText(body);
  if (!check.ok) return { ok: false, error: `the edit would produce invalid JSON (${check.error})` };
  return { ok: true, text: bom + body };
}

/** Past this many characters on the edited line, jsonc-parser's formatter is not asked (its cost grows with the line's length squared). */
const FORMAT_LINE_LIMIT = 2_000;

/**
 * jsonc-parser formats the whole lines an edit touches, which would rewrite a neighbour that shares
 * the line (a one-line file, `"env": {"MINE": "1"}`). The formatted edit is used only when it keeps
 * every byte around the plain edit; otherwise the plain, unformatted one. A long line (a minified
 * file) always gets the plain edit: formatting it would rewrite its neighbours anyway.
 */
function editFor(body: string, path: JsonPath, value: unknown, formattingOptions: FormattingOptions): Edit[] {
  const plain = modify(body, path, value, {});
  if (plain.length !== 1) return plain;
  const [p] = plain;
  const lineStart = body.lastIndexOf('\n', p.offset - 1) + 1;
  const lineEnd = body.indexOf('\n', p.offset + p.length);
  if ((lineEnd < 0 ? body.length : lineEnd) - lineStart > FORMAT_LINE_LIMIT) return plain;
  let pretty: Edit[];
  try {
    pretty = modify(body, path, value, { formattingOptions });
  } catch {
    // jsonc-parser's formatter fails on some deep layouts: the plain edit is always right.
    return plain;
  }
  if (pretty.length !== 1 || typeof pretty[0].content !== 'string') return plain;
  const [f] = pretty;
  const before = body.slice(f.offset, p.offset);
  const after = body.slice(p.offset + p.length, f.offset + f.length);
  const keeps =
    f.offset <= p.offset &&
    f.offset + f.length >= p.offset + p.length &&
    f.content.startsWith(before) &&
    f.content.endsWith(after) &&
    f.content.length >= before.length + after.length;
  return keeps ? pretty : plain;
}

function getPath(p: ParsedSettings, path: JsonPath): unknown {
  if (!p.ok) return undefined;
  let cur: unknown = p.value;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

export { getPath as getJsonPath };
