// Surgical edits of a TOML document: set one key or remove one key/table, touching only the bytes
// of that key or table. Spans come from toml-eslint-parser's AST (source ranges), never from line
// scanning, so `[profiles.x]` inside a multi-line string or a comment is never mistaken for a table.
// Every result is re-parsed with smol-toml (the same kind of parser Codex uses) and compared with
// the intended change before it is returned; on any mismatch the edit is refused.
import { parseTOML, type AST } from 'toml-eslint-parser';
import { parse as parseToml } from 'smol-toml';
import { formatKey, formatKeyPath, formatValue, type TomlScalar } from './tomlText';

export type KeyPath = readonly string[];

export type TomlEdit =
  /** Set a scalar; creates the key (and an `[table]` section for its parent when none exists). */
  | { kind: 'set'; path: KeyPath; value: TomlScalar }
  /** Remove a key, or a table with everything under it (sub-tables, arrays of tables, dotted keys). */
  | { kind: 'remove'; path: KeyPath }
  /**
   * What `remove` takes away, kept as comments: every line of it is prefixed with `# ` and a `# <note>`
   * line goes above each commented block. Refused inside an inline table (one line cannot be half a comment).
   */
  | { kind: 'comment-out'; path: KeyPath; note: string }
  /** Renames the last key of `path` to `to` wherever it is spelled (table headers, dotted and inline keys). */
  | { kind: 'rename'; path: KeyPath; to: string };

/** One replacement in the text the edit was applied to: [start, end) becomes `text`. */
export interface TextChange {
  start: number;
  end: number;
  text: string;
}

export type EditResult = { ok: true; text: string; changes: TextChange[]; changed: boolean } | { ok: false; error: string };

export type ParsedToml = Record<string, unknown>;

export class TomlEditError extends Error {}

const BOM = '\uFEFF';

/** Parses with smol-toml; the error names the line and column. */
export function parseTomlText(text: string): { ok: true; value: ParsedToml } | { ok: false; error: string } {
  try {
    return { ok: true, value: parseToml(stripBom(text)) as ParsedToml };
  } catch (e) {
    const err = e as Error & { line?: number; column?: number };
    const first = err.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
    return { ok: false, error: err.line ? `line ${err.line}, column ${err.column}: ${first}` : oneLine(err.message) };
  }
}

/** An MCP server's transport as config.toml gives it: the one key (`command` or `url`) Codex 0.169
 * needs in every layer that names the server (see profile.ts). */
export type McpTransport = { command: string } | { url: string };

/**
 * The MCP servers config.toml turns on (`[mcp_servers.<name>]` without `enabled = false`), each with
 * its transport (null when the table has neither key); none when the file does not parse.
 */
export function enabledMcpServers(text: string): Record<string, McpTransport | null> {
  const parsed = parseTomlText(text);
  if (!parsed.ok) return {};
  const servers = (parsed.value as Record<string, unknown>).mcp_servers;
  if (!servers || typeof servers !== 'object' || Array.isArray(servers)) return {};
  const out: Record<string, McpTransport | null> = {};
  for (const [name, v] of Object.entries(servers as Record<string, Record<string, unknown> | undefined>)) {
    if (!v || typeof v !== 'object' || v.enabled === false) continue;
    out[name] = typeof v.command === 'string' ? { command: v.command } : typeof v.url === 'string' ? { url: v.url } : null;
  }
  return out;
}

function oneLine(s: string): string {
  const first = s.split('\n')[0];
  const loc = /at line (\d+), column (\d+)|line (\d+), col(?:umn)? (\d+)/i.exec(s);
  return loc && !first.includes(loc[0]) ? `${first} (${loc[0]})` : first;
}

function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}

export function detectEol(text: string): '\n' | '\r\n' {
  const crlf = (text.match(/\r\n/g) ?? []).length;
  const lf = (text.match(/\n/g) ?? []).length - crlf;
  return crlf > lf ? '\r\n' : '\n';
}

/** Applies one edit. `changes` are in the coordinates of `text` (BOM included). */
export function applyEdit(text: string, edit: TomlEdit): EditResult {
  const bom = text.startsWith(BOM) ? BOM : '';
  const body = text.slice(bom.length);
  const before = parseTomlText(body);
  if (!before.ok) return { ok: false, error: `The file is not valid TOML: ${before.error}` };
  let ast: AST.TOMLProgram;
  try {
    ast = parseTOML(body, { tomlVersion: '1.1' });
  } catch (e) {
    return { ok: false, error: `The file is not valid TOML: ${oneLine((e as Error).message)}` };
  }
  let changes: TextChange[];
  try {
    changes = planFor(body, ast, edit, before.value);
  } catch (e) {
    if (e instanceof TomlEditError) return { ok: false, error: e.message };
    throw e;
  }
  const out = applyChanges(body, changes);
  const after = parseTomlText(out);
  const where = formatKeyPath(edit.path);
  if (!after.ok) return { ok: false, error: `Editing ${where} would leave invalid TOML (${after.error}); nothing was changed.` };
  const expected = cloneTables(before.value) as ParsedToml;
  try {
    applyToObject(expected, edit);
  } catch (e) {
    if (e instanceof TomlEditError) return { ok: false, error: e.message };
    throw e;
  }
  const got = canonical(after.value);
  let matches = got === canonical(expected);
  if (!matches && (edit.kind === 'remove' || edit.kind === 'comment-out')) {
    pruneEmptyAncestors(expected, edit.path);
    matches = got === canonical(expected);
  }
  if (!matches) {
    return {
      ok: false,
      error: `Editing ${where} would change more than ${where} in this file (its layout is one this editor does not handle); nothing was changed.`,
    };
  }
  const shifted = changes.map(c => ({ start: c.start + bom.length, end: c.end + bom.length, text: c.text }));
  return { ok: true, text: bom + out, changes: shifted, changed: out !== body };
}

function planFor(body: string, ast: AST.TOMLProgram, edit: TomlEdit, parsed: ParsedToml): TextChange[] {
  switch (edit.kind) {
    case 'set':
      return planSet(body, ast, edit.path, edit.value, parsed);
    case 'remove':
      return planRemove(body, ast, edit.path);
    case 'comment-out':
      return planCommentOut(body, ast, edit.path, edit.note);
    case 'rename':
      return planRename(ast, edit.path, edit.to, parsed);
  }
}

/** Applies edits in order; stops at the first refusal. */
export function applyEdits(
  text: string,
  edits: readonly TomlEdit[],
): { ok: true; text: string; changed: boolean } | { ok: false; error: string } {
  let cur = text;
  for (const e of edits) {
    const r = applyEdit(cur, e);
    if (!r.ok) return r;
    cur = r.text;
  }
  return { ok: true, text: cur, changed: cur !== text };
}

export function applyChanges(text: string, changes: readonly TextChange[]): string {
  const sorted = [...changes].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let pos = 0;
  for (const c of sorted) {
    if (c.start < pos) throw new Error('overlapping changes');
    out += text.slice(pos, c.start) + c.text;
    pos = c.end;
  }
  return out + text.slice(pos);
}

// ── the intended change, on parsed values ──

/** What `edit` means for a parsed document (used to check the text edit, and by tests). */
export function applyToObject(doc: ParsedToml, edit: TomlEdit): void {
  const parentPath = edit.path.slice(0, -1);
  const last = edit.path[edit.path.length - 1];
  let t: Record<string, unknown> = doc;
  for (const k of parentPath) {
    const next = t[k];
    if (next === undefined) {
      if (edit.kind !== 'set') return;
      t[k] = {};
    } else if (typeof next !== 'object' || next === null || Array.isArray(next) || next instanceof Date) {
      if (edit.kind !== 'set') return;
      throw new TomlEditError(`${formatKeyPath(edit.path)} cannot be set: ${k} is not a table.`);
    }
    t = t[k] as Record<string, unknown>;
  }
  if (edit.kind === 'set') t[last] = edit.value;
  else if (edit.kind === 'rename') {
    if (!(last in t)) return;
    if (edit.to in t)
      throw new TomlEditError(`${formatKeyPath(edit.path)} cannot be renamed to ${formatKey(edit.to)}: that name is taken.`);
    t[edit.to] = t[last];
    delete t[last];
  } else delete t[last];
}

/** A stable text for deep comparison: key order ignored, dates by their text, bigints kept exact. */
export function canonical(v: unknown): string {
  if (v instanceof Date) return `D${String(v.toISOString?.() ?? v)}`;
  if (typeof v === 'bigint') return `n${v}`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : String(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v)
      .sort()
      .map(k => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Copies tables and arrays; leaves dates as they are (smol-toml's TomlDate prints local dates its own way). */
function cloneTables(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneTables);
  if (typeof v === 'object' && v !== null && !(v instanceof Date))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cloneTables(x)]));
  return v;
}

function valueAt(doc: ParsedToml, path: KeyPath): unknown {
  let cur: unknown = doc;
  for (const k of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** After removing `path`, its ancestors left empty may vanish (they were only implied by it). */
function pruneEmptyAncestors(doc: ParsedToml, path: KeyPath): void {
  for (let n = path.length - 1; n > 0; n--) {
    const anc = valueAt(doc, path.slice(0, n));
    if (typeof anc !== 'object' || anc === null || Object.keys(anc).length > 0) return;
    delete (valueAt(doc, path.slice(0, n - 1)) as Record<string, unknown>)[path[n - 1]];
  }
}

// ── locating things in the AST ──

type Seg = string | number;

interface KvInfo {
  node: AST.TOMLKeyValue;
  path: Seg[];
  /** Where it lives: a table section (undefined = root) or an inline table. */
  container: AST.TOMLTable | AST.TOMLInlineTable | undefined;
}

function keyNames(key: AST.TOMLKey): string[] {
  return key.keys.map(k => (k.type === 'TOMLBare' ? k.name : k.value));
}

/** Every key/value in the document with its full path, inline tables included. */
function allKeyValues(ast: AST.TOMLProgram): KvInfo[] {
  const out: KvInfo[] = [];
  const visitValue = (value: AST.TOMLContentNode, path: Seg[]) => {
    if (value.type === 'TOMLInlineTable') {
      for (const kv of value.body) visitKv(kv, path, value);
    } else if (value.type === 'TOMLArray') {
      value.elements.forEach((el, i) => visitValue(el, [...path, i]));
    }
  };
  const visitKv = (kv: AST.TOMLKeyValue, base: Seg[], container: KvInfo['container']) => {
    const path = [...base, ...keyNames(kv.key)];
    out.push({ node: kv, path, container });
    visitValue(kv.value, path);
  };
  for (const n of ast.body[0].body) {
    if (n.type === 'TOMLKeyValue') visitKv(n, [], undefined);
    else for (const kv of n.body) visitKv(kv, n.resolvedKey, n);
  }
  return out;
}

function tables(ast: AST.TOMLProgram): AST.TOMLTable[] {
  return ast.body[0].body.filter((n): n is AST.TOMLTable => n.type === 'TOMLTable');
}

function rootKeyValues(ast: AST.TOMLProgram): AST.TOMLKeyValue[] {
  return ast.body[0].body.filter((n): n is AST.TOMLKeyValue => n.type === 'TOMLKeyValue');
}

const samePath = (a: readonly Seg[], b: readonly Seg[]) => a.length === b.length && a.every((x, i) => x === b[i]);
const startsWith = (a: readonly Seg[], prefix: readonly Seg[]) => prefix.length <= a.length && prefix.every((x, i) => x === a[i]);

/** Index just after the end of the line containing `pos` (after its newline), or the text length. */
function lineEndAfter(text: string, pos: number): number {
  const nl = text.indexOf('\n', pos);
  return nl < 0 ? text.length : nl + 1;
}

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

/** Text to insert at `pos` so that it starts on a fresh line. */
function onFreshLine(text: string, pos: number, lines: string, eol: string): string {
  return pos > 0 && text[pos - 1] !== '\n' ? eol + lines : lines;
}

// ── set ──

function planSet(text: string, ast: AST.TOMLProgram, path: KeyPath, value: TomlScalar, parsed: ParsedToml): TextChange[] {
  if (path.length === 0) throw new TomlEditError('An empty key cannot be set.');
  const eol = detectEol(text);
  const kvs = allKeyValues(ast);
  const formatted = formatValue(value);
  const exact = kvs.find(k => samePath(k.path, path));
  if (exact) {
    const v = exact.node.value;
    if (v.type === 'TOMLInlineTable' || v.type === 'TOMLArray')
      throw new TomlEditError(
        `${formatKeyPath(path)} holds a ${v.type === 'TOMLArray' ? 'list' : 'table'}, not a single value; edit it by hand.`,
      );
    // Already the value (in whatever quoting the user chose): leave the bytes alone.
    if (canonical(valueAt(parsed, path)) === canonical(value)) return [];
    return [{ start: v.range[0], end: v.range[1], text: formatted }];
  }
  // A shorter path already holding a value: an inline table we can add to, or a conflict.
  const prefixKv = kvs
    .filter(k => k.path.length < path.length && startsWith(path, k.path))
    .sort((a, b) => b.path.length - a.path.length)[0];
  if (prefixKv) {
    const v = prefixKv.node.value;
    if (v.type !== 'TOMLInlineTable')
      throw new TomlEditError(
        `${formatKeyPath(path)} cannot be set: ${formatKeyPath(prefixKv.path.map(String))} is already a ${v.type === 'TOMLArray' ? 'list' : 'value'}.`,
      );
    const rest = formatKeyPath(path.slice(prefixKv.path.length));
    const lastEl = v.body[v.body.length - 1];
    if (lastEl) return [{ start: lastEl.range[1], end: lastEl.range[1], text: `, ${rest} = ${formatted}` }];
    const inner = v.range[0] + 1;
    return [{ start: inner, end: v.range[1] - 1, text: ` ${rest} = ${formatted} ` }];
  }
  const parent = path.slice(0, -1);
  const last = path[path.length - 1];
  // A table section for the parent: add the key after its last key/value line.
  const section = [...tables(ast)].reverse().find(t => t.kind === 'standard' && samePath(t.resolvedKey, parent));
  if (section || parent.length === 0) {
    const body = section ? section.body : rootKeyValues(ast);
    const line = `${formatKeyPath([last])} = ${formatted}${eol}`;
    if (body.length > 0) {
      const at = lineEndAfter(text, body[body.length - 1].range[1]);
      return [{ start: at, end: at, text: onFreshLine(text, at, line, eol) }];
    }
    if (section) {
      const at = lineEndAfter(text, section.key.range[1]);
      return [{ start: at, end: at, text: onFreshLine(text, at, line, eol) }];
    }
    return [{ start: 0, end: 0, text: line }];
  }
  // The parent defined by dotted keys (`[projects]` + `"/a".x = 1`): add another dotted key beside them.
  const sibling = kvs
    .filter(k => k.container?.type !== 'TOMLInlineTable' && k.path.length > parent.length && startsWith(k.path, parent))
    .pop();
  if (sibling) {
    const base = sibling.container?.type === 'TOMLTable' ? sibling.container.resolvedKey : [];
    if (base.every(x => typeof x === 'string')) {
      const siblings = sibling.container?.type === 'TOMLTable' ? sibling.container.body : rootKeyValues(ast);
      const at = lineEndAfter(text, siblings[siblings.length - 1].range[1]);
      return [{ start: at, end: at, text: onFreshLine(text, at, `${formatKeyPath(path.slice(base.length))} = ${formatted}${eol}`, eol) }];
    }
  }
  // No section for the parent: a new one at the end of the file, as Codex itself does for trust.
  const at = text.length;
  const sep = text.length === 0 ? '' : text.endsWith(`${eol}${eol}`) || text.endsWith('\n\n') ? '' : text.endsWith('\n') ? eol : eol + eol;
  return [{ start: at, end: at, text: `${sep}[${formatKeyPath(parent)}]${eol}${formatKeyPath([last])} = ${formatted}${eol}` }];
}

// ── remove ──

function planRemove(text: string, ast: AST.TOMLProgram, path: KeyPath): TextChange[] {
  if (path.length === 0) throw new TomlEditError('An empty key cannot be removed.');
  const changes: TextChange[] = [];
  // Sections at or under the path: the header line through the end of its last line.
  for (const t of tables(ast)) {
    if (!startsWith(t.resolvedKey, path)) continue;
    const start = lineStart(text, t.range[0]);
    const end = lineEndAfter(text, t.range[1]);
    changes.push({ start, end, text: '' });
  }
  const kvs = allKeyValues(ast);
  for (const k of kvs) {
    if (!startsWith(k.path, path)) continue;
    // Inside a removed section, or nested in another removed key/value: covered already.
    if (k.container && k.container.type === 'TOMLTable' && startsWith(k.container.resolvedKey, path)) continue;
    // Nested in another key/value that is removed whole: covered by that one.
    if (kvs.some(o => o.path.length < k.path.length && startsWith(k.path, o.path) && startsWith(o.path, path))) continue;
    if (k.container?.type === 'TOMLInlineTable') {
      changes.push(removeFromInline(k.container, k.node));
    } else {
      changes.push({ start: lineStart(text, k.node.range[0]), end: lineEndAfter(text, k.node.range[1]), text: '' });
    }
  }
  return dropNested(changes);
}

function removeFromInline(table: AST.TOMLInlineTable, kv: AST.TOMLKeyValue): TextChange {
  const i = table.body.indexOf(kv);
  if (table.body.length === 1) return { start: table.range[0] + 1, end: table.range[1] - 1, text: '' };
  if (i < table.body.length - 1) return { start: kv.range[0], end: table.body[i + 1].range[0], text: '' };
  return { start: table.body[i - 1].range[1], end: kv.range[1], text: '' };
}

function dropNested(changes: TextChange[]): TextChange[] {
  const sorted = [...changes].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: TextChange[] = [];
  for (const c of sorted) {
    const prev = out[out.length - 1];
    if (prev && c.start < prev.end) {
      prev.end = Math.max(prev.end, c.end);
      continue;
    }
    out.push({ ...c });
  }
  return out;
}

// ── comment out ──

function planCommentOut(text: string, ast: AST.TOMLProgram, path: KeyPath, note: string): TextChange[] {
  if (path.length === 0) throw new TomlEditError('An empty key cannot be commented out.');
  if (/[\r\n]/.test(note)) throw new TomlEditError('A note must be one line.');
  const kvs = allKeyValues(ast);
  // Only a whole line can become a comment: a key inside `{ … }` is refused unless a line-level key/value under `path` holds it.
  const partial = kvs.some(
    k =>
      startsWith(k.path, path) &&
      k.container?.type === 'TOMLInlineTable' &&
      !kvs.some(o => o.container?.type !== 'TOMLInlineTable' && startsWith(k.path, o.path) && startsWith(o.path, path)),
  );
  if (partial) {
    throw new TomlEditError(
      `${formatKeyPath(path)} is inside an inline table ({ … } on one line) and cannot be commented out on its own; edit it by hand.`,
    );
  }
  const eol = detectEol(text);
  return planRemove(text, ast, path).map(c => {
    const block = text.slice(c.start, c.end);
    const indent = /^[ \t]*/.exec(block)?.[0] ?? '';
    const commented = block.replace(/^([ \t]*)(?=\S)/gm, '$1# ');
    return { start: c.start, end: c.end, text: `${indent}# ${note}${eol}${commented}` };
  });
}

// ── rename ──

function planRename(ast: AST.TOMLProgram, path: KeyPath, to: string, parsed: ParsedToml): TextChange[] {
  if (path.length === 0) throw new TomlEditError('An empty key cannot be renamed.');
  if (valueAt(parsed, path) === undefined) return [];
  if (valueAt(parsed, [...path.slice(0, -1), to]) !== undefined)
    throw new TomlEditError(`${formatKeyPath(path)} cannot be renamed to ${formatKey(to)}: that name is taken.`);
  const depth = path.length - 1;
  const changes: TextChange[] = [];
  const renameSegment = (node: AST.TOMLKey, base: number) => {
    const seg = node.keys[depth - base];
    changes.push({ start: seg.range[0], end: seg.range[1], text: formatKey(to) });
  };
  for (const t of tables(ast)) {
    const names = keyNames(t.key);
    if (names.length > depth && startsWith(names, path)) renameSegment(t.key, 0);
  }
  for (const k of allKeyValues(ast)) {
    const own = k.node.key.keys.length;
    const base = k.path.length - own;
    if (base <= depth && depth < k.path.length && startsWith(k.path, path)) renameSegment(k.node.key, base);
  }
  return changes;
}

// ── where Codex points ──

function astOf(body: string): AST.TOMLProgram | undefined {
  try {
    return parseTOML(body, { tomlVersion: '1.1' });
  } catch {
    return undefined;
  }
}

/**
 * The key path at a 1-based line and column (as Codex reports them): the innermost key/value or
 * table header there, cut after the key segment the column falls on. Undefined when nothing is there
 * or the text does not parse.
 */
export function keyPathAt(text: string, line: number, col: number): (string | number)[] | undefined {
  const body = stripBom(text);
  const ast = astOf(body);
  if (!ast) return undefined;
  const col0 = col - 1;
  const inside = (loc: AST.SourceLocation) =>
    (loc.start.line < line || (loc.start.line === line && loc.start.column <= col0)) &&
    (loc.end.line > line || (loc.end.line === line && loc.end.column >= col0));
  type Hit = { path: Seg[]; key: AST.TOMLKey; base: number };
  const hits: Hit[] = [];
  for (const t of tables(ast)) if (t.key.loc.start.line === line) hits.push({ path: t.resolvedKey, key: t.key, base: 0 });
  for (const k of allKeyValues(ast))
    if (inside(k.node.loc)) hits.push({ path: k.path, key: k.node.key, base: k.path.length - k.node.key.keys.length });
  const best = hits.sort((a, b) => b.path.length - a.path.length)[0];
  if (!best) return undefined;
  const segIndex = best.key.keys.findIndex(s => inside(s.loc));
  if (segIndex < 0) return [...best.path];
  // A table header's resolved key may hold array indices the written key does not; count written segments.
  if (best.base === 0 && best.key.keys.length !== best.path.length) return keyNames(best.key).slice(0, segIndex + 1);
  return best.path.slice(0, best.base + segIndex + 1);
}

/**
 * The source text of the table at `path` as a document of its own: every `[path…]` section's lines as
 * they are written (comments, quoting and layout kept), headers made relative to `path` (the table's
 * own header goes; `[path.sub]` becomes `[sub]`), a trailing comment on a dropped header kept as a
 * comment line; comment lines between two of its sections go with it. `spans` are the lines it came
 * from (in the text without a BOM). Undefined when the table is also written elsewhere (dotted keys
 * or an inline table), so no source text of it alone exists. The caller checks the result.
 */
export function tableSource(text: string, path: KeyPath): { text: string; spans: [number, number][] } | undefined {
  const body = stripBom(text);
  const ast = astOf(body);
  if (!ast) return undefined;
  const eol = detectEol(body);
  const all = tables(ast);
  const own = all.filter(t => startsWith(t.resolvedKey, path));
  const outside = allKeyValues(ast).some(
    k => startsWith(k.path, path) && !(k.container?.type === 'TOMLTable' && startsWith(k.container.resolvedKey, path)),
  );
  if (outside || own.length === 0) return undefined;
  const parts: { first: boolean; text: string }[] = [];
  const spans: [number, number][] = [];
  for (const t of own) {
    const rest = t.resolvedKey.slice(path.length);
    if (!rest.every(x => typeof x === 'string')) return undefined;
    const start = lineStart(body, t.range[0]);
    const headerEnd = lineEndAfter(body, t.key.range[1]);
    const trailing = /^\s*\]\]?\s*(#[^\r\n]*)?/.exec(body.slice(t.key.range[1], headerEnd))?.[1];
    let end = t.body.length ? lineEndAfter(body, t.range[1]) : headerEnd;
    // Comment and blank lines up to the next section stay with this table when that section is its too.
    const next = all[all.indexOf(t) + 1];
    if (next && startsWith(next.resolvedKey, path)) {
      const gap = body.slice(end, lineStart(body, next.range[0]));
      if (/^(?:[ \t]*(?:#[^\r\n]*)?\r?\n)*$/.test(gap)) end += gap.length;
    }
    const lines = body.slice(headerEnd, end);
    const isOwn = rest.length === 0 && t.kind === 'standard';
    const header = isOwn
      ? trailing
        ? `${trailing}${eol}`
        : ''
      : `${t.kind === 'array' ? '[[' : '['}${formatKeyPath(rest as string[])}${t.kind === 'array' ? ']]' : ']'}${trailing ? ` ${trailing}` : ''}${eol}`;
    parts.push({ first: isOwn, text: header + (lines && !lines.endsWith('\n') ? lines + eol : lines) });
    spans.push([start, end]);
  }
  // The table's own keys come first: TOML puts them before any sub-table header.
  return { text: [...parts.filter(p => p.first), ...parts.filter(p => !p.first)].map(p => p.text).join(''), spans };
}
