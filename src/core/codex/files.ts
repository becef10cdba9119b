// The names of Codex's own files in its home (CODEX_HOME): defined here once, for every reader and
// writer — the profile writer, the strict check and its repairs, the migration, Open Codex, Verify.
import * as path from 'node:path';

/** The file every profile is loaded over. */
export const CONFIG_FILE = 'config.toml';

export const configPath = (codexHome: string): string => path.join(codexHome, CONFIG_FILE);

/** Codex ≥ 0.134 reads profile `name` from this file (`codex -p name`). */
export const profileFileName = (name: string): string => `${name}.config.toml`;

export const profilePath = (codexHome: string, name: string): string => path.join(codexHome, profileFileName(name));
