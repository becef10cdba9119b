// Moving legacy profiles out of config.toml. Since Codex 0.134 `[profiles.<name>]` and
// `profile = "<name>"` are refused: `codex -p <name>` fails while either exists, and a top-level
// `profile = "<name>"` makes every run without -p fail ("legacy `profile = …` config is no longer
// supported"). Each profile becomes `$CODEX_HOME/<name>.config.toml`.
import * as path from 'node:path';
import { stringify } from 'smol-toml';
import { applyEdit, canonical, parseTomlText, tableSource } from './tomlEdit';
import { profileNameProblem } from './profile';
import { profileFileName } from './files';

export interface LegacyProfiles {
  /** Names of `[profiles.<name>]` tables. */
  tables: string[];
  /** The top-level `profile = "<name>"` selector, if any. */
  selector?: string;
}

export function findLegacyProfiles(configText: string): LegacyProfiles | { error: string } {
  const parsed = parseTomlText(configText);
  if (!parsed.ok) return { error: parsed.error };
  const profiles = parsed.value.profiles;
  const tables = profiles && typeof profiles === 'object' && !Array.isArray(profiles) ? Object.keys(profiles) : [];
  const selector = typeof parsed.value.profile === 'string' ? parsed.value.profile : undefined;
  return { tables, selector };
}

export function hasLegacyProfiles(l: LegacyProfiles): boolean {
  return l.tables.length > 0 || l.selector !== undefined;
}

export interface MigrationFile {
  name: string;
  fileName: string;
  path: string;
  text: string;
}

export type MigrationPlan = { ok: true; configAfter: string; files: MigrationFile[]; notes: string[] } | { ok: false; error: string };

/**
 * Removes every `[profiles.*]` table and the `profile` selector from config.toml and writes each table
 * as a profile file. `existing` tells which profile files already exist (they are never overwritten).
 */
export function planMigration(configText: string, codexHome: string, existing: (fileName: string) => boolean): MigrationPlan {
  const parsed = parseTomlText(configText);
  if (!parsed.ok) return { ok: false, error: `config.toml is not valid TOML (${parsed.error}); nothing was changed.` };
  const found = findLegacyProfiles(configText) as LegacyProfiles;
  const notes: string[] = [];
  const files: MigrationFile[] = [];
  const profiles = (parsed.value.profiles ?? {}) as Record<string, Record<string, unknown>>;
  let text = configText;
  for (const name of found.tables) {
    const problem = profileNameProblem(name);
    if (problem) return { ok: false, error: `[profiles.${name}] cannot become a profile file: ${problem}` };
    const fileName = profileFileName(name);
    if (existing(fileName))
      return {
        ok: false,
        error: `${fileName} already exists in ${codexHome}; merge [profiles.${name}] into it by hand, then remove the table from config.toml.`,
      };
    const body = profiles[name];
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return { ok: false, error: `profiles.${name} is not a table; fix config.toml by hand.` };
    const head = `# Moved from [profiles.${name}] in config.toml by Local Model Router (Codex 0.134 and later read profiles from here).\n# Use it with: codex -p ${name}\n`;
    // The table's own lines, comments included, when they parse to exactly the table and taking them
    // out of config.toml leaves exactly the rest; else its values are rewritten (then its comments
    // are only in config.toml's backup, and the note says so).
    const moved = sourceMove(text, name, body);
    if (moved) {
      files.push({ name, fileName, path: path.join(codexHome, fileName), text: `${head}${moved.source}` });
      text = moved.rest;
      continue;
    }
    if (/#/.test(text))
      notes.push(
        `[profiles.${name}] is written in a way that cannot be moved line by line (dotted keys or an inline table); its values were moved, any comments in it stay only in config.toml's backup`,
      );
    files.push({ name, fileName, path: path.join(codexHome, fileName), text: `${head}${stringify(body)}\n` });
    const r = applyEdit(text, { kind: 'remove', path: ['profiles', name] });
    if (!r.ok) return { ok: false, error: r.error };
    text = r.text;
  }
  if (found.selector !== undefined) {
    const r = applyEdit(text, { kind: 'remove', path: ['profile'] });
    if (!r.ok) return { ok: false, error: r.error };
    text = r.text;
    notes.push(
      `Removed profile = "${found.selector}" (Codex refuses every run while it is there). Select the profile per run instead: codex -p ${found.selector}`,
    );
  }
  // An empty `[profiles]` header left behind is harmless; remove it when nothing else is in it.
  const after = parseTomlText(text);
  if (after.ok && after.value.profiles && typeof after.value.profiles === 'object' && Object.keys(after.value.profiles).length === 0) {
    const r = applyEdit(text, { kind: 'remove', path: ['profiles'] });
    if (r.ok) text = r.text;
  }
  for (const f of files) notes.push(`Moved [profiles.${f.name}] to ${f.fileName}; run it with: codex -p ${f.name}`);
  return { ok: true, configAfter: text, files, notes };
}

/** Moves `[profiles.<name>]` by its lines: the new file's text and config.toml without them, each checked. */
function sourceMove(text: string, name: string, table: unknown): { source: string; rest: string } | undefined {
  const src = tableSource(text, ['profiles', name]);
  if (!src) return undefined;
  const moved = parseTomlText(src.text);
  if (!moved.ok || canonical(moved.value) !== canonical(table)) return undefined;
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  let body = text.slice(bom.length);
  for (const [start, end] of [...src.spans].sort((a, b) => b[0] - a[0])) body = body.slice(0, start) + body.slice(end);
  const rest = parseTomlText(body);
  const before = parseTomlText(text);
  if (!rest.ok || !before.ok) return undefined;
  const expected = structuredClone(before.value) as Record<string, Record<string, unknown>>;
  delete expected.profiles[name];
  // A `[profiles]` left with nothing in it is the same as none.
  const got = structuredClone(rest.value) as Record<string, unknown>;
  for (const doc of [expected, got] as Record<string, unknown>[])
    if (typeof doc.profiles === 'object' && doc.profiles !== null && Object.keys(doc.profiles).length === 0) delete doc.profiles;
  if (canonical(got) !== canonical(expected)) return undefined;
  return { source: src.text, rest: bom + body };
}
