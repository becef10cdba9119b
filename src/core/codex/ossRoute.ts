// Which server `codex --oss` will talk to, decided the way Codex 0.169 decides it (observed with two
// listeners on loopback, see codex-cli.md): the provider is `--local-provider`, else `oss_provider` from
// the profile (`-p`), else from config.toml; the base URL is CODEX_OSS_BASE_URL when set and not
// empty, else `http://localhost:<CODEX_OSS_PORT>/v1` when that is a port number (anything else is
// ignored), else the provider's default. Pure: the caller passes file texts and the environment.
import { parseTomlText } from './tomlEdit';
import { PROVIDERS } from '../providers';

export type OssProvider = 'ollama' | 'lmstudio';
export type OssProviderSource = 'flag' | 'profile' | 'config';
export type OssBaseUrlSource = 'CODEX_OSS_BASE_URL' | 'CODEX_OSS_PORT' | 'default';

/** Codex's own defaults for --oss: localhost at the server software's default port (PROVIDERS). */
export const OSS_DEFAULT_BASE_URLS: Record<OssProvider, string> = {
  ollama: `http://localhost:${PROVIDERS.ollama.ownDefaultPort}/v1`,
  lmstudio: `http://localhost:${PROVIDERS.lmstudio.ownDefaultPort}/v1`,
};

export type OssRoute =
  | {
      kind: 'route';
      provider: OssProvider;
      providerSource: OssProviderSource;
      baseUrl: string;
      baseUrlSource: OssBaseUrlSource;
      warnings: string[];
    }
  /** Neither the flag nor oss_provider: `codex --oss` stops with "No default OSS provider configured". */
  | { kind: 'unconfigured'; message: string }
  /** A provider name Codex refuses for --oss ("ollama-chat" was removed; others are not OSS providers). */
  | { kind: 'invalid'; provider: string; providerSource: OssProviderSource; message: string };

export interface OssRouteInput {
  /** config.toml text ('' or undefined when there is none). */
  configText?: string;
  /** The selected profile file's text, when `-p` is used. */
  profileText?: string;
  /** `--local-provider`, when given. */
  localProvider?: string;
  env: Readonly<Record<string, string | undefined>>;
}

function ossProviderIn(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const p = parseTomlText(text);
  return p.ok && typeof p.value.oss_provider === 'string' ? p.value.oss_provider : undefined;
}

export function resolveOssRoute(input: OssRouteInput): OssRoute {
  const candidates: [OssProviderSource, string | undefined][] = [
    ['flag', input.localProvider],
    ['profile', ossProviderIn(input.profileText)],
    ['config', ossProviderIn(input.configText)],
  ];
  const chosen = candidates.find(([, v]) => v !== undefined && v !== '');
  if (!chosen)
    return {
      kind: 'unconfigured',
      message:
        'No default OSS provider configured: `codex --oss` needs --local-provider ollama|lmstudio or oss_provider = "ollama" | "lmstudio" in config.toml.',
    };
  const [providerSource, provider] = chosen as [OssProviderSource, string];
  if (provider === 'ollama-chat')
    return {
      kind: 'invalid',
      provider,
      providerSource,
      message: 'Codex removed "ollama-chat"; use "ollama" (Codex: "`ollama-chat` is no longer supported").',
    };
  if (provider !== 'ollama' && provider !== 'lmstudio')
    return {
      kind: 'invalid',
      provider,
      providerSource,
      message: `"${provider}" is not one of Codex's --oss providers (ollama, lmstudio); \`codex --oss\` stops with "Model provider \`${provider}\` not found".`,
    };
  const warnings: string[] = [];
  const baseEnv = input.env.CODEX_OSS_BASE_URL;
  if (baseEnv) {
    let pathname = '';
    try {
      pathname = new URL(baseEnv).pathname;
    } catch {
      warnings.push(`CODEX_OSS_BASE_URL="${baseEnv}" is not a URL.`);
    }
    if (pathname && !/\/v1\/?$/.test(pathname))
      warnings.push(
        `CODEX_OSS_BASE_URL="${baseEnv}" does not end in /v1; Codex appends its paths to it as it is (for Ollama it then asks ${baseEnv.replace(/\/+$/, '')}/api/tags).`,
      );
    if (input.env.CODEX_OSS_PORT) warnings.push('CODEX_OSS_PORT is ignored because CODEX_OSS_BASE_URL is set.');
    return { kind: 'route', provider, providerSource, baseUrl: baseEnv.replace(/\/+$/, ''), baseUrlSource: 'CODEX_OSS_BASE_URL', warnings };
  }
  const portEnv = input.env.CODEX_OSS_PORT;
  if (portEnv !== undefined && portEnv !== '') {
    const port = /^\d{1,5}$/.test(portEnv) ? Number(portEnv) : NaN;
    if (port >= 1 && port <= 65535)
      return { kind: 'route', provider, providerSource, baseUrl: `http://localhost:${port}/v1`, baseUrlSource: 'CODEX_OSS_PORT', warnings };
    warnings.push(`CODEX_OSS_PORT="${portEnv}" is not a port number; Codex ignores it.`);
  }
  return { kind: 'route', provider, providerSource, baseUrl: OSS_DEFAULT_BASE_URLS[provider], baseUrlSource: 'default', warnings };
}
