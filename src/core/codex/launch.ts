// How Codex is pointed at a route outside a profile file: the command line that opens it, the
// variables its --oss mode reads, and the variable that carries the route's key.
import { PROVIDERS } from '../providers';
import { routeKeyVar } from '../endpoints';
import type { Route } from '../route/route';

/** CODEX_OSS_BASE_URL must end in /v1 (codex-cli.md); the one place that builds it. */
export function codexOssBaseUrl(baseUrl: string): string {
  const b = baseUrl.replace(/\/+$/, '');
  return b.endsWith('/v1') ? b : `${b}/v1`;
}

/** The variable a profile's `env_key` names for a route's key (one rule for every agent: endpoints.ts). */
export const codexKeyVar = (route: Pick<Route, 'provider' | 'keyVar'>): string => routeKeyVar(route);

export type CodexLaunch = { ok: true; args: string[]; env: Record<string, string>; describe: string } | { ok: false; reason: string };

export interface CodexLaunchOptions {
  /** The route's profile file exists in the Codex home. */
  profileExists: boolean;
  /** The route's key, when it has one: given to Codex in the variable the profile names. */
  apiKey?: string;
}

/** With a written profile: `codex --profile <name>`; else `--oss` for Ollama/LM Studio; else nothing fits. */
export function codexLaunchFor(route: Route, o: CodexLaunchOptions): CodexLaunch {
  const keyEnv: Record<string, string> = o.apiKey ? { [codexKeyVar(route)]: o.apiKey } : {};
  if (route.codexProfile && o.profileExists)
    return { ok: true, args: ['--profile', route.codexProfile], env: keyEnv, describe: `codex --profile ${route.codexProfile}` };
  const oss = PROVIDERS[route.provider].codexOssProvider;
  if (oss) {
    if (o.apiKey)
      return {
        ok: false,
        reason: `This ${PROVIDERS[route.provider].displayName} server needs a key, and Codex's --oss mode sends none: write a Codex profile for this route first.`,
      };
    return {
      ok: true,
      args: ['--oss', '--local-provider', oss, '-m', route.model],
      env: { CODEX_OSS_BASE_URL: codexOssBaseUrl(route.baseUrl) },
      describe: `codex --oss --local-provider ${oss} -m ${route.model}`,
    };
  }
  return {
    ok: false,
    reason: `Codex has no built-in provider for ${PROVIDERS[route.provider].displayName}: write a Codex profile for this route first.`,
  };
}
