// What the Codex verifier takes from Codex's own files: which MCP servers config.toml enables, and
// which key variable the route's profile reads. The Verify command and the CLI ask here.
import { readTextFile } from '../files/read';
import { configPath, profilePath } from './files';
import { enabledMcpServers, parseTomlText } from './tomlEdit';

/** The MCP servers `$CODEX_HOME/config.toml` enables (named in the report when the server cannot carry their tools); none without a readable file. */
export function enabledMcpServerNames(codexHome: string): string[] {
  try {
    return Object.keys(enabledMcpServers(readTextFile(configPath(codexHome)) ?? ''));
  } catch {
    return [];
  }
}

/**
 * The variable the profile `profile` in `codexHome` reads the provider key from (`env_key`);
 * undefined when the file is missing, unreadable or names none.
 */
/** The provider table the profile `profile` in `codexHome` selects (`model_provider`), or undefined. */
function profileProvider(codexHome: string, profile: string): Record<string, unknown> | undefined {
  let text: string | undefined;
  try {
    text = readTextFile(profilePath(codexHome, profile));
  } catch {
    return undefined;
  }
  const parsed = text !== undefined ? parseTomlText(text) : undefined;
  if (!parsed?.ok) return undefined;
  const providers = (parsed.value.model_providers ?? {}) as Record<string, Record<string, unknown>>;
  const id = parsed.value.model_provider;
  const chosen = typeof id === 'string' ? providers[id] : Object.values(providers)[0];
  return chosen && typeof chosen === 'object' ? chosen : undefined;
}

export function profileKeyVar(codexHome: string, profile: string): string | undefined {
  const k = profileProvider(codexHome, profile)?.env_key;
  return typeof k === 'string' ? k : undefined;
}

/** The `base_url` the profile `profile` in `codexHome` sends Codex to (Open Codex starts the bridge when it is the bridge's). */
export function profileBaseUrl(codexHome: string, profile: string): string | undefined {
  const u = profileProvider(codexHome, profile)?.base_url;
  return typeof u === 'string' ? u : undefined;
}
