// Variables that new integrated terminals receive for the active route, per target the user chose.
import { PROVIDERS, providerBaseUrlVar, providerKeyVar } from '../providers';
import { codexOssBaseUrl } from '../codex/launch';
import { claudeTerminalEnv } from '../claude/launch';
import type { Route } from './route';

export type RouteTarget = 'localLlm' | 'provider' | 'codexOss' | 'claudeCode';

export interface TerminalKey {
  /** Only with terminal.includeApiKey: any program in the terminal can read it. */
  apiKey?: string;
  /** The server wants a key (Claude Code then gets no placeholder token). */
  needsKey?: boolean;
  /** The variable the key travels in (core/endpoints.ts routeKeyVar). */
  keyVar?: string;
  /** claude.disableThinking. */
  disableThinking?: boolean;
  /** Claude Code goes through the route bridge at this URL (core/bridge/use.ts): the bridge holds the key. */
  claudeViaBridge?: string;
}

export function routeTerminalEnv(route: Route, targets: readonly string[], k: TerminalKey = {}): Record<string, string> {
  const env: Record<string, string> = {};
  const info = PROVIDERS[route.provider];
  const apiKey = k.apiKey;
  if (targets.includes('localLlm')) {
    env.LOCAL_LLM_BASE_URL = route.baseUrl;
    env.LOCAL_LLM_MODEL = route.model;
    if (apiKey) env.LOCAL_LLM_API_KEY = apiKey;
  }
  const baseUrlVar = providerBaseUrlVar(route.provider);
  const keyVar = providerKeyVar(route.provider);
  if (targets.includes('provider') && baseUrlVar && keyVar) {
    env[baseUrlVar] = route.baseUrl;
    if (apiKey) env[keyVar] = apiKey;
  }
  // Codex's --oss mode reads CODEX_OSS_BASE_URL.
  if (targets.includes('codexOss') && info.codexOssProvider) env.CODEX_OSS_BASE_URL = codexOssBaseUrl(route.baseUrl);
  if (targets.includes('claudeCode')) {
    Object.assign(
      env,
      claudeTerminalEnv({
        // Through the bridge: its URL, and no key (the bridge holds it).
        baseUrl: k.claudeViaBridge ?? route.baseUrl,
        model: route.model,
        contextWindow: route.contextWindow,
        needsKey: !k.claudeViaBridge && !!(k.needsKey || apiKey),
        disableThinking: k.disableThinking,
        ...(apiKey && !k.claudeViaBridge ? { apiKey, keyVar: k.keyVar } : {}),
      }),
    );
  }
  return env;
}
