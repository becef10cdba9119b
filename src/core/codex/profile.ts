// What a Codex profile for a route contains, decided in one pure function (buildProfile) shared by
// the VS Code command, the CLI and the verifier's Codex agreement test.
// Facts it relies on (observed with Codex 0.169, see CONTRIBUTING notes in the tests):
// - `wire_api = "responses"` is the only accepted value; `base_url` must include `/v1`.
// - built-in provider ids (openai, ollama, lmstudio, ollama-chat) cannot be redefined.
// - `web_search = "disabled"` and `[agents] enabled = false` remove the two non-function tools
//   (`web_search`, `namespace`) that some servers reject with "'type' of tool must be 'function'".
// - `[features] plugins = false` stops lookups of github.com / chatgpt.com at start, `goals = false`
//   drops three goal tools (tokens a small context needs), `[analytics] enabled = false` keeps a
//   local-model session on the machine. None of them changes what the agent can do with files.
import { bridgeBaseUrl, bridgeCommandLine } from '../bridge/facts';
import { join } from 'node:path';
import { PROVIDERS, isReservedCodexProviderId } from '../providers';
import { normalizeBaseUrl } from '../endpoints';
import type { Route } from '../route/route';
import type { Settings } from '../settings/catalog';
import { formatDocument, type TomlTable } from './tomlText';
import { modelCatalogJson } from './modelCatalog';
import { profileFileName } from './files';
import { DEFAULT_STREAM_IDLE_TIMEOUT_MS, idleTimeoutFor } from './idleTimeout';
import type { BridgeUpstreamApi, CodexFindings } from '../verify/types';
import type { McpTransport } from './tomlEdit';

export type CodexFormat = 'profile-file' | 'legacy-table';

export type ProfileSettings = Pick<
  Settings,
  'codex.disableNonFunctionTools' | 'codex.autoCompactFraction' | 'llamacpp.autoCompactTokenLimit'
>;

export interface BuildProfileOptions {
  /** Profile name: `codex -p <name>`. */
  name: string;
  /** 'profile-file' (Codex ≥ 0.134, the default) or 'legacy-table' (older Codex). */
  format?: CodexFormat;
  /** Overrides PROVIDERS[route.provider].codexProviderId. */
  providerId?: string;
  /** Overrides route.contextWindow. */
  contextWindow?: number;
  /** Overrides the computed auto-compact limit. */
  autoCompact?: number;
  /** Overrides route.keyVar: the environment variable Codex reads the key from. */
  apiKeyEnv?: string;
  /** For codex.disableNonFunctionTools = 'auto': true when the server (or the verifier) rejected them. */
  serverRejectsNonFunctionTools?: boolean;
  /** Absolute CODEX_HOME. With it (and the profile-file format) a model catalog is written beside the profile. */
  codexHome?: string;
  /** Default true: write `<name>.models.json` and point `model_catalog_json` at it (profile-file format only). */
  modelCatalog?: boolean;
  /** What the route's last Codex verification learned: tool types, prompt rate (see verify/types.ts). */
  findings?: CodexFindings;
  /**
   * The enabled MCP servers of config.toml with their transports (tomlEdit.ts enabledMcpServers):
   * Codex sends their tools as namespace tools; a server turned off here repeats its transport, which
   * Codex 0.169 with --strict-config wants in every layer that names a server.
   */
  mcpServers?: Readonly<Record<string, McpTransport | null>>;
  /**
   * Codex goes through the route bridge (core/bridge/use.ts decided): `base_url` is the bridge's, no
   * key variable (the bridge holds the server's key), and what the bridge repairs (namespace and custom
   * tools, web_search) is not turned off.
   */
  bridge?: { port: number; why: string; upstreamApi?: BridgeUpstreamApi };
}

export interface CodexProfile {
  name: string;
  format: CodexFormat;
  providerId: string;
  /** What the written TOML holds, as smol-toml parses it: the whole profile file, or for the legacy
   * format the `profiles.<name>` and `model_providers.<id>` tables to merge into config.toml. */
  config: TomlTable;
  /** The `[model_providers.<id>]` table. */
  provider: TomlTable;
  /** profile-file format: the text of `$CODEX_HOME/<name>.config.toml`. */
  fileName?: string;
  fileText?: string;
  /** The model catalog written beside the profile. */
  catalog?: { fileName: string; path: string; json: string };
  /** Codex's built-in `--oss` provider for this route (Ollama, LM Studio), to offer as `oss_provider`. */
  ossProvider?: 'ollama' | 'lmstudio';
  contextWindow?: number;
  autoCompact?: number;
  nonFunctionToolsOff: boolean;
  /** MCP servers turned off in this profile (the server refuses, or mangles, namespace tools). */
  mcpServersOff: string[];
  streamIdleTimeoutMs: number;
  /** Why the profile looks the way it does, one line each (shown by the CLI and the log). */
  notes: string[];
}

export class CodexProfileError extends Error {}

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const PROVIDER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const ENV_VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Codex's default idle timeout, the least a profile sets (see idleTimeout.ts for the measured one). */
export const STREAM_IDLE_TIMEOUT_MS = DEFAULT_STREAM_IDLE_TIMEOUT_MS;

export type NonFunctionToolsMode = Settings['codex.disableNonFunctionTools'];

/**
 * Whether the profile turns off Codex's non-function tools (web search, the agents namespace, and
 * with them every MCP server, whose tools are namespace tools too). One decision, used by the profile
 * writer and by the verifier (so its Codex-sized turn is what Codex will send through the profile).
 */
export function decideNonFunctionTools(
  mode: NonFunctionToolsMode,
  findings: CodexFindings | undefined,
  serverRejects?: boolean,
): { off: boolean; namespaceBroken: boolean; why?: string } {
  const tools = findings?.toolTypes ?? {};
  const namespaceBroken = tools.namespace === 'rejected' || tools.namespace === 'calls-unusable';
  const why = namespaceBroken
    ? tools.namespace === 'rejected'
      ? 'the server refuses namespace tools'
      : 'the server returns namespace tool calls without their namespace'
    : tools.web_search === 'rejected'
      ? 'the server refuses web_search'
      : serverRejects
        ? 'the server rejects non-function tools'
        : undefined;
  return { off: mode === 'always' || (mode === 'auto' && why !== undefined), namespaceBroken, ...(why ? { why } : {}) };
}

export function profileNameProblem(name: string): string | undefined {
  if (!PROFILE_NAME.test(name))
    return `The profile name "${name}" must be 1–64 letters, digits, "-" or "_", starting with a letter or digit (it becomes the file name ${name}.config.toml).`;
  if (name === 'config') return 'The profile name "config" would collide with config.toml; choose another.';
  return undefined;
}

export function providerIdProblem(id: string): string | undefined {
  if (!PROVIDER_ID.test(id)) return `The provider id "${id}" must be letters, digits, "-" or "_".`;
  if (isReservedCodexProviderId(id))
    return `"${id}" is one of Codex's built-in provider ids (openai, ollama, lmstudio, ollama-chat), which Codex refuses to redefine ("Built-in providers cannot be overridden"). Use an id like "local-${id.toLowerCase()}".`;
  return undefined;
}

/**
 * A default profile name for a route: "local-llamacpp", "local-ollama"…; a generic endpoint is named
 * after its label or its host and port ("local-gpu-box", "local-127-0-0-1-9000"), so two endpoints
 * do not share (and overwrite) one profile.
 */
export function defaultProfileName(route: Pick<Route, 'provider' | 'baseUrl' | 'endpointLabel'>): string {
  if (route.provider !== 'openaiCompatible') return PROVIDERS[route.provider].codexProviderId;
  let base = route.endpointLabel ?? '';
  if (!base) {
    try {
      const u = new URL(route.baseUrl);
      base = `${u.hostname}-${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
    } catch {
      base = 'endpoint';
    }
  }
  const slug =
    base
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || 'endpoint';
  return `local-${slug}`;
}

export function autoCompactLimit(
  route: Pick<Route, 'provider'>,
  contextWindow: number | undefined,
  settings: ProfileSettings,
): { value?: number; why: string } {
  const llama = settings['llamacpp.autoCompactTokenLimit'];
  if (route.provider === 'llamacpp' && llama > 0 && (contextWindow === undefined || llama < contextWindow)) {
    return { value: llama, why: `auto-compact at ${llama} tokens (llamacpp.autoCompactTokenLimit)` };
  }
  if (contextWindow) {
    const f = settings['codex.autoCompactFraction'];
    const value = Math.floor(contextWindow * f);
    return { value, why: `auto-compact at ${value} tokens (${f} × the ${contextWindow}-token window, codex.autoCompactFraction)` };
  }
  return { why: 'no auto-compact limit: the context window is unknown, Codex uses its own default' };
}

export function buildProfile(route: Route, settings: ProfileSettings, opts: BuildProfileOptions): CodexProfile {
  const format = opts.format ?? 'profile-file';
  const info = PROVIDERS[route.provider];
  const notes: string[] = [];
  const nameProblem = profileNameProblem(opts.name);
  if (nameProblem) throw new CodexProfileError(nameProblem);
  const providerId = opts.providerId ?? info.codexProviderId;
  const idProblem = providerIdProblem(providerId);
  if (idProblem) throw new CodexProfileError(idProblem);
  const url = normalizeBaseUrl(route.baseUrl);
  if (!url.ok) throw new CodexProfileError(url.error);
  if (!route.model.trim()) throw new CodexProfileError('The route has no model; pick a model first.');
  const bridge = opts.bridge && { ...opts.bridge, url: bridgeBaseUrl(opts.bridge.port) };
  const routeKeyVar = opts.apiKeyEnv ?? route.keyVar;
  const keyVar = bridge ? undefined : routeKeyVar;
  if (keyVar !== undefined && !ENV_VAR.test(keyVar))
    throw new CodexProfileError(`"${keyVar}" is not an environment variable name; Codex reads the key from the variable named by env_key.`);

  const contextWindow = opts.contextWindow ?? route.contextWindow;
  if (contextWindow !== undefined && (!Number.isInteger(contextWindow) || contextWindow <= 0))
    throw new CodexProfileError(`The context window must be a positive integer, got ${contextWindow}.`);
  notes.push(
    contextWindow
      ? `context window ${contextWindow} tokens${opts.contextWindow ? ' (given)' : ' (reported by the server)'}`
      : 'context window unknown: model_context_window not written',
  );
  let autoCompact: number | undefined;
  if (opts.autoCompact !== undefined) {
    if (!Number.isInteger(opts.autoCompact) || opts.autoCompact <= 0)
      throw new CodexProfileError(`The auto-compact limit must be a positive integer, got ${opts.autoCompact}.`);
    if (contextWindow && opts.autoCompact >= contextWindow)
      throw new CodexProfileError(
        `The auto-compact limit (${opts.autoCompact}) must be below the context window (${contextWindow}); Codex compacts only when a turn reaches it.`,
      );
    autoCompact = opts.autoCompact;
    notes.push(`auto-compact at ${autoCompact} tokens (given)`);
  } else {
    const a = autoCompactLimit(route, contextWindow, settings);
    autoCompact = a.value;
    notes.push(a.why);
  }

  const mode = settings['codex.disableNonFunctionTools'];
  // Through the bridge the server never sees a non-function tool: what it did with them does not matter.
  const toolFindings = bridge ? undefined : opts.findings;
  const tools = toolFindings?.toolTypes ?? {};
  const decided = decideNonFunctionTools(mode, toolFindings, bridge ? false : opts.serverRejectsNonFunctionTools);
  const { off: nonFunctionToolsOff, namespaceBroken } = decided;
  const learned = decided.why;
  notes.push(
    nonFunctionToolsOff
      ? `web search and agent tools off (${mode === 'always' ? 'codex.disableNonFunctionTools = always' : learned})`
      : `web search and agent tools left to Codex (${mode === 'never' ? 'codex.disableNonFunctionTools = never' : opts.serverRejectsNonFunctionTools === false || tools.namespace === 'accepted' ? 'the server takes non-function tools' : 'nothing showed the server rejects non-function tools'})`,
  );
  const mcp = Object.keys(opts.mcpServers ?? {});
  const mcpServersOff = mode !== 'never' && namespaceBroken && format === 'profile-file' ? mcp : [];
  if (mcpServersOff.length)
    notes.push(`MCP servers ${mcpServersOff.join(', ')} off in this profile: Codex sends their tools as namespace tools, and ${learned}`);
  else if (mcp.length && namespaceBroken)
    notes.push(
      `MCP servers ${mcp.join(', ')} will fail on this route: ${learned} (turn them off for it, or set codex.disableNonFunctionTools to "auto")`,
    );
  else if (mcp.length && tools.namespace === 'dropped')
    notes.push(
      `MCP servers ${mcp.join(', ')} will not work on this route: the server leaves namespace tools out of the prompt, so the model never sees their tools`,
    );
  const f = opts.findings;
  const idle = idleTimeoutFor(
    { tps: f?.promptTps, promptMs: f?.firstPromptMs, idleMs: f?.promptIdleMs },
    opts.contextWindow ?? route.contextWindow,
  );
  const measured =
    opts.findings?.promptTps !== undefined && opts.findings.firstPromptMs !== undefined
      ? `prompt processing measured at ${opts.findings.promptTps} tokens/s (Codex's first prompt${opts.findings.firstPromptTokens ? `, ${opts.findings.firstPromptTokens} tokens,` : ''} in ${(opts.findings.firstPromptMs / 1000).toFixed(1)} s)`
      : undefined;
  notes.push(
    `stream_idle_timeout_ms = ${idle.ms}: ${measured ? `${measured}; ${idle.why.charAt(0).toLowerCase()}${idle.why.slice(1)}` : idle.why}`,
  );

  const serverLabel = route.endpointLabel ?? `${info.displayName} (${hostOf(url.url)})`;
  const provider: TomlTable = {
    name: bridge ? `${serverLabel} through the route bridge` : serverLabel,
    base_url: bridge ? bridge.url : url.url,
    wire_api: 'responses',
  };
  if (bridge)
    notes.push(
      `through the route bridge at ${bridge.url} (${bridge.why}): Open Codex starts it; outside VS Code run \`${bridgeCommandLine(bridge.port, url.url, routeKeyVar, { codex: bridge.upstreamApi })}\``,
    );
  if (keyVar) {
    provider.env_key = keyVar;
    notes.push(`key read from $${keyVar} (env_key); the key itself is not written`);
  }
  Object.assign(provider, { request_max_retries: 1, stream_max_retries: 1, stream_idle_timeout_ms: idle.ms });

  const ossProvider = info.codexOssProvider;
  if (format === 'legacy-table') {
    const profile: TomlTable = { model_provider: providerId, model: route.model };
    if (contextWindow) profile.model_context_window = contextWindow;
    if (autoCompact) profile.model_auto_compact_token_limit = autoCompact;
    notes.push(
      'legacy format (Codex older than 0.134): [profiles.' + opts.name + '] and [model_providers.' + providerId + '] in config.toml',
    );
    return {
      name: opts.name,
      format,
      providerId,
      config: { profiles: { [opts.name]: profile }, model_providers: { [providerId]: provider } },
      provider,
      ossProvider,
      contextWindow,
      autoCompact,
      nonFunctionToolsOff,
      mcpServersOff,
      streamIdleTimeoutMs: idle.ms,
      notes,
    };
  }

  const doc: TomlTable = { model_provider: providerId, model: route.model };
  if (contextWindow) doc.model_context_window = contextWindow;
  if (autoCompact) doc.model_auto_compact_token_limit = autoCompact;
  let catalog: CodexProfile['catalog'];
  if (opts.modelCatalog !== false && opts.codexHome) {
    const fileName = `${opts.name}.models.json`;
    const path = join(opts.codexHome, fileName);
    catalog = { fileName, path, json: modelCatalogJson({ model: route.model, contextWindow, autoCompact }) };
    doc.model_catalog_json = path;
    notes.push(`model catalog ${fileName}: Codex knows the model (no "metadata not found" fallback) and uses a short system prompt`);
  }
  if (nonFunctionToolsOff) doc.web_search = 'disabled';
  doc.model_providers = { [providerId]: provider };
  if (nonFunctionToolsOff) doc.agents = { enabled: false };
  doc.features = { goals: false, plugins: false };
  doc.analytics = { enabled: false };
  // A profile file is a layer over config.toml: `enabled = false` here turns a server off for this
  // profile only. Codex 0.169 with --strict-config checks each layer's server table on its own and
  // refuses one without a transport ("invalid transport"), and a different transport key than
  // config.toml's breaks the merged table ("url is not supported for stdio"): so the table repeats
  // config.toml's own `command` or `url`, which leaves the merged server unchanged but for `enabled`.
  if (mcpServersOff.length) doc.mcp_servers = Object.fromEntries(mcpServersOff.map(n => [n, { ...opts.mcpServers?.[n], enabled: false }]));
  const fileName = profileFileName(opts.name);
  const through = bridge
    ? `\nThrough the route bridge at ${bridge.url} (${bridge.why}). Open Codex in VS Code starts it; elsewhere run first:\n  ${bridgeCommandLine(bridge.port, url.url, routeKeyVar, { codex: bridge.upstreamApi })}`
    : '';
  const header = `Codex profile written by Local Model Router for ${serverLabel}.${through}\nUse it with: codex -p ${opts.name}\nRewritten when you run "Write Codex Profile" again; edit config.toml for your own settings.`;
  const comments: Record<string, string> = {
    '': header,
    [`model_providers.${providerId}`]: `stream_idle_timeout_ms: ${measured ? `${measured}. ` : ''}${idle.why}`,
  };
  if (mcpServersOff.length)
    comments[`mcp_servers.${mcpServersOff[0]}`] =
      `Off on this route: Codex sends MCP tools as namespace tools, and ${learned} (Local Model Router's verification).`;
  const fileText = formatDocument(doc, comments);
  return {
    name: opts.name,
    format,
    providerId,
    config: doc,
    provider,
    fileName,
    fileText,
    catalog,
    ossProvider,
    contextWindow,
    autoCompact,
    nonFunctionToolsOff,
    mcpServersOff,
    streamIdleTimeoutMs: idle.ms,
    notes,
  };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
