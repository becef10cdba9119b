// Writing TOML values and keys as text. Small on purpose: the profile writer and the surgical editor
// only ever emit strings, integers, booleans and plain tables, and must emit them byte-predictably.

export type TomlScalar = string | number | boolean;
/** A table in insertion order: scalars, or nested tables written as their own `[a.b]` header. */
export interface TomlTable {
  [key: string]: TomlScalar | TomlTable;
}

export function isTable(v: TomlScalar | TomlTable | undefined): v is TomlTable {
  return typeof v === 'object' && v !== null;
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** A key as TOML wants it: bare when it can be, a basic string otherwise. */
export function formatKey(key: string): string {
  return BARE_KEY.test(key) ? key : formatString(key);
}

/** `a.b."c d"` from ['a', 'b', 'c d']. */
export function formatKeyPath(path: readonly string[]): string {
  return path.map(formatKey).join('.');
}

/**
 * A TOML basic string. JSON's escaping is TOML's except for DEL (U+007F), which TOML forbids raw
 * in strings, and lone surrogates, which TOML cannot hold at all (refused rather than mangled).
 */
export function formatString(s: string): string {
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)) {
    throw new Error(`The text ${JSON.stringify(s)} contains a lone surrogate and cannot be written to TOML.`);
  }
  return JSON.stringify(s).replace(/\x7f/g, '\\u007F');
}

export function formatValue(v: TomlScalar): string {
  if (typeof v === 'string') return formatString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (!Number.isFinite(v)) throw new Error(`${v} cannot be written to TOML here.`);
  // Non-integers always print with a '.' or an exponent, both valid TOML floats.
  return String(v);
}

/** The `key = value` lines of a table's scalars, in order. */
export function scalarLines(table: TomlTable, eol = '\n'): string {
  return Object.entries(table)
    .filter((e): e is [string, TomlScalar] => !isTable(e[1]))
    .map(([k, v]) => `${formatKey(k)} = ${formatValue(v)}${eol}`)
    .join('');
}

/**
 * A whole document: top-level scalars first, then one `[header]` section per nested table (depth
 * first), sections separated by a blank line. `comments` maps a dotted table path to a comment line
 * placed above its header; the key '' is a header comment for the document.
 */
export function formatDocument(doc: TomlTable, comments: Record<string, string> = {}, eol = '\n'): string {
  const parts: string[] = [];
  const head =
    comments[''] !== undefined
      ? comments['']
          .split('\n')
          .map(l => `# ${l}`.trimEnd() + eol)
          .join('')
      : '';
  const top = scalarLines(doc, eol);
  if (head || top) parts.push(head + top);
  const walk = (table: TomlTable, path: string[]) => {
    for (const [k, v] of Object.entries(table)) {
      if (!isTable(v)) continue;
      const p = [...path, k];
      const lines = scalarLines(v, eol);
      const hasScalars = Object.values(v).some(x => !isTable(x));
      if (hasScalars || Object.keys(v).length === 0) {
        const c = comments[p.join('.')];
        parts.push(
          `${
            c !== undefined
              ? c
                  .split('\n')
                  .map(l => `# ${l}`.trimEnd() + eol)
                  .join('')
              : ''
          }[${formatKeyPath(p)}]${eol}${lines}`,
        );
      }
      walk(v, p);
    }
  };
  walk(doc, []);
  return parts.join(eol);
}
