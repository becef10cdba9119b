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
export function profileKeyVar(codexHome: string, profile: string): string | undefined {
  let text: string | undefined;
  try {
    text = readTextFile(profilePath(codexHome, profile));
  } catch {
    return undefined;
  }
  const parsed = text !== undefined ? parseTomlText(text) : undefined;
  const providers = parsed?.ok ? Object.values((parsed.value.model_providers ?? {}) as Record<string, { env_key?: unknown }>) : [];
  return providers.map(p => p.env_key).find((k): k is string => typeof k === 'string');
}
