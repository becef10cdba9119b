// Which MCP servers Codex's config.toml enables, as the Codex verifier takes them: the Verify command
// and the CLI both ask here.
import { readTextFile } from '../files/read';
import { configPath } from './files';
import { enabledMcpServers } from './tomlEdit';

/** The MCP servers `$CODEX_HOME/config.toml` enables (named in the report when the server cannot carry their tools); none without a readable file. */
export function enabledMcpServerNames(codexHome: string): string[] {
  try {
    return Object.keys(enabledMcpServers(readTextFile(configPath(codexHome)) ?? ''));
  } catch {
    return [];
  }
}
