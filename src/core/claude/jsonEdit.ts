// Byte-preserving edits of a Claude Code settings file (strict JSON: Claude Code 2.1.328 refuses a
// settings file with comments or trailing commas as "Invalid or malformed JSON" and loads none of it,
// so such a file is refused here too). jsonc-parser computes the minimal text edits; every byte
// outside them stays, including the file's indentation, line endings and a BOM.
import { applyEdits, modify, type Edit, type FormattingOptions } from 'jsonc-parser';

export type JsonPath = string[];
export type JsonEdit = { kind: 'set'; path: JsonPath; value: unknown } | { kind: 'remove'; path: JsonPath };

export type ParsedSettings = { ok: true; value: Record<string, unknown> } | { ok: false; error: string };

const BOM = '\uFEFF';

/** Strict JSON whose top level is an object; an empty (or whitespace-only) file counts as `{}`. */
export function parseSettingsText(text: string): ParsedSettings {
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  if (!body.trim()) return { ok: true, value: {} };
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch (e) {
    const hint = /\/\/|\/\*/.test(body) ? ' (comments are not allowed: Claude Code rejects the whole file)' : '';
    return { ok: false, error: `not valid JSON: ${(e as Error).message}${hint}` };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, error: 'the top level is not a JSON object' };
  return { ok: true, value: v as Record<string, unknown> };
}

/** The file's own style, so inserted lines look like their neighbours. */
export function formattingOf(text: string): FormattingOptions {
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  const indent = /^([ \t]+)"/m.exec(text)?.[1];
  if (indent?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: indent ? Math.min(indent.length, 8) : 2, eol };
}

export type EditResult = { ok: true; text: string } | { ok: false; error: string };

/** Applies edits in order; refuses text that is not a strict JSON object (nothing is changed then). */
export function applyJsonEdits(text: string, edits: readonly JsonEdit[]): EditResult {
  const parsed = parseSettingsText(text);
  if (!parsed.ok) return parsed;
  const bom = text.startsWith(BOM) ? BOM : '';
  let body = bom ? text.slice(1) : text;
  const formattingOptions = formattingOf(body);
  if (!body.trim()) body = `{}${formattingOptions.eol}`;
  for (const e of edits) {
    const value = e.kind === 'set' ? e.value : undefined;
    if (e.kind === 'remove' && getPath(parseSettingsText(body), e.path) === undefined) continue;
    body = applyEdits(body, editFor(body, e.path, value, formattingOptions));
  }
  const check = parseSettingsText(body);
  if (!check.ok) return { ok: false, error: `the edit would produce invalid JSON (${check.error})` };
  return { ok: true, text: bom + body };
}

/**
 * jsonc-parser formats the whole lines an edit touches, which would rewrite a neighbour that shares
 * the line (a one-line file, `"env": {"MINE": "1"}`). The formatted edit is used only when it keeps
 * every byte around the plain edit; otherwise the plain, unformatted one.
 */
function editFor(body: string, path: JsonPath, value: unknown, formattingOptions: FormattingOptions): Edit[] {
  const plain = modify(body, path, value, {});
  const pretty = modify(body, path, value, { formattingOptions });
  if (plain.length !== 1 || pretty.length !== 1) return plain;
  const [p, f] = [plain[0], pretty[0]];
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
