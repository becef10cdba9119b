// The provider registry: what the extension knows about each kind of local server.
// Pure data; everything that depends on the machine (settings, env) is resolved in endpoints.ts.

export const PROVIDER_IDS = ['ollama', 'lmstudio', 'vllm', 'llamacpp', 'openaiCompatible'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

/** Codex refuses to redefine these ids (model_providers contains reserved built-in provider IDs). */
export const RESERVED_CODEX_PROVIDER_IDS = ['openai', 'ollama', 'lmstudio', 'ollama-chat'] as const;

export interface ProviderInfo {
  id: ProviderId;
  displayName: string;
  /** Default base URLs to probe, in order; llama.cpp probes the configured port and llama-server's own 8080. */
  defaultBaseUrls: (settings: { llamacppPort: number; llamacppHost: string }) => string[];
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

const loopback = (port: number) => `http://127.0.0.1:${port}/v1`;

export const PROVIDERS: Record<ProviderId, ProviderInfo> = {
  ollama: {
    id: 'ollama', displayName: 'Ollama', envPrefix: 'OLLAMA', modelIdPrefix: 'ollama/', codexProviderId: 'local-ollama',
    codexOssProvider: 'ollama', launchable: true, defaultBaseUrls: () => [loopback(11434)],
  },
  lmstudio: {
    id: 'lmstudio', displayName: 'LM Studio', envPrefix: 'LMSTUDIO', modelIdPrefix: 'lm_studio/', codexProviderId: 'local-lmstudio',
    codexOssProvider: 'lmstudio', launchable: true, defaultBaseUrls: () => [loopback(1234)],
  },
  vllm: {
    id: 'vllm', displayName: 'vLLM', envPrefix: 'VLLM', modelIdPrefix: 'vllm/', codexProviderId: 'local-vllm',
    launchable: true, defaultBaseUrls: () => [loopback(8000)],
  },
  llamacpp: {
    id: 'llamacpp', displayName: 'llama.cpp', envPrefix: 'LLAMACPP', modelIdPrefix: 'llamacpp/', codexProviderId: 'local-llamacpp',
    launchable: true,
    defaultBaseUrls: ({ llamacppPort, llamacppHost }) => {
      const host = hostForUrl(llamacppHost === '0.0.0.0' || llamacppHost === '::' ? '127.0.0.1' : llamacppHost);
      const urls = [`http://${host}:${llamacppPort}/v1`];
      if (llamacppPort !== 8080) urls.push(loopback(8080));
      return urls;
    },
  },
  openaiCompatible: {
    id: 'openaiCompatible', displayName: 'OpenAI-compatible', modelIdPrefix: 'local/', codexProviderId: 'local-openai-compatible',
    launchable: false, defaultBaseUrls: () => [],
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
