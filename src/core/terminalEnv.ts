// Variables that new integrated terminals receive for the active route.
import { PROVIDERS } from './providers';
import { codexOssBaseUrl } from './codex/launch';
import type { Route } from './route';

export type RouteTarget = 'localLlm' | 'provider' | 'codexOss';

export function routeTerminalEnv(route: Route, targets: readonly string[], apiKey?: string): Record<string, string> {
  const env: Record<string, string> = {};
  const info = PROVIDERS[route.provider];
  if (targets.includes('localLlm')) {
    env.LOCAL_LLM_BASE_URL = route.baseUrl;
    env.LOCAL_LLM_MODEL = route.model;
    if (apiKey) env.LOCAL_LLM_API_KEY = apiKey;
  }
  if (targets.includes('provider') && info.envPrefix) {
    env[`${info.envPrefix}_BASE_URL`] = route.baseUrl;
    if (apiKey) env[`${info.envPrefix}_API_KEY`] = apiKey;
  }
  // Codex's --oss mode reads CODEX_OSS_BASE_URL.
  if (targets.includes('codexOss') && info.codexOssProvider) env.CODEX_OSS_BASE_URL = codexOssBaseUrl(route.baseUrl);
  return env;
}
