// The provider registry: what the extension knows about each kind of local server.
// Pure data; where a provider listens for the current settings is decided in servers.ts.

export const PROVIDER_IDS = ['ollama', 'lmstudio', 'vllm', 'llamacpp', 'openaiCompatible'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** Codex refuses to redefine these ids (model_providers contains reserved built-in provider IDs). */
export const RESERVED_CODEX_PROVIDER_IDS = ['openai', 'ollama', 'lmstudio', 'ollama-chat'] as const;

/** The port each server software listens on when nobody says otherwise. */
export const OWN_DEFAULT_PORTS = { ollama: 11434, lmstudio: 1234, vllm: 8000, llamacpp: 8080 } as const;

export interface ProviderInfo {
  id: ProviderId;
  displayName: string;
  /** The port the server software itself listens on when nobody says otherwise (llama-server 8080, …). */
  ownDefaultPort?: number;
  /** `<PREFIX>_BASE_URL` / `<PREFIX>_API_KEY` environment variables; undefined for generic endpoints. */
  envPrefix?: string;
  /** Prefix used in model ids shared with other local-model tools (`ollama/llama3.2`). */
  modelIdPrefix: string;
  /** Provider id written into Codex profiles; never a reserved one. */
  codexProviderId: string;
  /** Codex's own `--oss --local-provider` name, where Codex has a built-in for this server. */
  codexOssProvider?: 'ollama' | 'lmstudio';
  /** Whether the extension can start this server itself. */
  launchable: boolean;
}

export const PROVIDERS: Record<ProviderId, ProviderInfo> = {
  ollama: {
    id: 'ollama',
    displayName: 'Ollama',
    ownDefaultPort: OWN_DEFAULT_PORTS.ollama,
    envPrefix: 'OLLAMA',
    modelIdPrefix: 'ollama/',
    codexProviderId: 'local-ollama',
    codexOssProvider: 'ollama',
    launchable: true,
  },
  lmstudio: {
    id: 'lmstudio',
    displayName: 'LM Studio',
    ownDefaultPort: OWN_DEFAULT_PORTS.lmstudio,
    envPrefix: 'LMSTUDIO',
    modelIdPrefix: 'lm_studio/',
    codexProviderId: 'local-lmstudio',
    codexOssProvider: 'lmstudio',
    launchable: true,
  },
  vllm: {
    id: 'vllm',
    displayName: 'vLLM',
    ownDefaultPort: OWN_DEFAULT_PORTS.vllm,
    envPrefix: 'VLLM',
    modelIdPrefix: 'vllm/',
    codexProviderId: 'local-vllm',
    launchable: true,
  },
  llamacpp: {
    id: 'llamacpp',
    displayName: 'llama.cpp',
    ownDefaultPort: OWN_DEFAULT_PORTS.llamacpp,
    envPrefix: 'LLAMACPP',
    modelIdPrefix: 'llamacpp/',
    codexProviderId: 'local-llamacpp',
    launchable: true,
  },
  openaiCompatible: {
    id: 'openaiCompatible',
    displayName: 'OpenAI-compatible',
    modelIdPrefix: 'local/',
    codexProviderId: 'local-openai-compatible',
    launchable: false,
  },
};

export function isProviderId(v: unknown): v is ProviderId {
  return typeof v === 'string' && (PROVIDER_IDS as readonly string[]).includes(v);
}

export function isReservedCodexProviderId(id: string): boolean {
  return (RESERVED_CODEX_PROVIDER_IDS as readonly string[]).includes(id.toLowerCase());
}

/** Brackets IPv6 literals for use in a URL authority. */
export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** The provider's own base-URL variable (`OLLAMA_BASE_URL`, …); undefined for generic endpoints. */
export function providerBaseUrlVar(provider: ProviderId): string | undefined {
  const prefix = PROVIDERS[provider].envPrefix;
  return prefix ? `${prefix}_BASE_URL` : undefined;
}

/** The provider's own key variable (`LLAMACPP_API_KEY`, …); undefined for generic endpoints. */
export function providerKeyVar(provider: ProviderId): string | undefined {
  const prefix = PROVIDERS[provider].envPrefix;
  return prefix ? `${prefix}_API_KEY` : undefined;
}

/** The provider whose server software listens on `port` by default (11434 → Ollama, …), if any. */
export function providerOfOwnDefaultPort(port: number): ProviderId | undefined {
  return PROVIDER_IDS.find(id => PROVIDERS[id].ownDefaultPort === port);
}
