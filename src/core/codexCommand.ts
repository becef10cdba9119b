// The command line that opens Codex on a route.
import { PROVIDERS } from './providers';
import type { Route } from './route';

export type CodexLaunch = { ok: true; args: string[]; env: Record<string, string>; describe: string } | { ok: false; reason: string };

/** With a written profile: `codex --profile <name>`; else `--oss` for Ollama/LM Studio; else nothing fits. */
export function codexLaunchFor(route: Route, profileExists: boolean): CodexLaunch {
  if (route.codexProfile && profileExists) return { ok: true, args: ['--profile', route.codexProfile], env: {}, describe: `codex --profile ${route.codexProfile}` };
  const oss = PROVIDERS[route.provider].codexOssProvider;
  if (oss) {
    const base = route.baseUrl.endsWith('/v1') ? route.baseUrl : `${route.baseUrl}/v1`;
    return { ok: true, args: ['--oss', '--local-provider', oss, '-m', route.model], env: { CODEX_OSS_BASE_URL: base }, describe: `codex --oss --local-provider ${oss} -m ${route.model}` };
  }
  return { ok: false, reason: `Codex has no built-in provider for ${PROVIDERS[route.provider].displayName}: write a Codex profile for this route first.` };
}
