// How each local server the extension can start listens and is configured: one description per
// provider. Discovery (where to look), the launcher (where it will listen), readiness, the verifier's
// fixes (which setting changes it), the status bar and the CLI all read it (listen-agreement.test.ts
// states that they agree).
import { SETTINGS, type SettingKey, type Settings } from './settings/catalog';
import { PROVIDERS, hostForUrl, type ProviderId } from './providers';
import type { ServerKind } from './serverKind';
import type { Env } from './endpoints';

export type LaunchProvider = Exclude<ProviderId, 'openaiCompatible'>;
export const LAUNCH_PROVIDERS: readonly LaunchProvider[] = ['llamacpp', 'vllm', 'ollama', 'lmstudio'];
export function isLaunchProvider(v: unknown): v is LaunchProvider {
  return typeof v === 'string' && (LAUNCH_PROVIDERS as readonly string[]).includes(v);
}

export interface ServerSpec {
  provider: LaunchProvider;
  kind: ServerKind;
  /** The setting naming the program the extension runs. */
  executableSetting: SettingKey;
  /** The setting naming the model it serves (a path, an id or a key). */
  modelSetting: SettingKey;
  /** The setting sizing its context window, in tokens. */
  contextSetting: SettingKey;
  /** Settings that decide where it listens. */
  listenSettings: readonly SettingKey[];
  /** The variable the server reads an API key from (never argv: `ps` shows argv to every user). */
  serverKeyEnv?: string;
  /** Paths that say "serving", in the order tried; a 404 moves on to the next one. */
  readinessPaths: readonly string[];
}

export const SERVER_SPECS: Record<LaunchProvider, ServerSpec> = {
  llamacpp: {
    provider: 'llamacpp',
    kind: 'llamacpp',
    executableSetting: 'llamacpp.executable',
    modelSetting: 'llamacpp.modelPath',
    contextSetting: 'llamacpp.contextSize',
    listenSettings: ['llamacpp.host', 'llamacpp.port'],
    // llama-server reads --api-key from LLAMA_API_KEY (common/arg.cpp set_env).
    serverKeyEnv: 'LLAMA_API_KEY',
    readinessPaths: ['/health', '/v1/models'],
  },
  vllm: {
    provider: 'vllm',
    kind: 'vllm',
    executableSetting: 'vllm.executable',
    modelSetting: 'vllm.model',
    contextSetting: 'vllm.maxModelLen',
    listenSettings: ['vllm.host', 'vllm.port'],
    serverKeyEnv: 'VLLM_API_KEY',
    readinessPaths: ['/health', '/v1/models'],
  },
  ollama: {
    provider: 'ollama',
    kind: 'ollama',
    executableSetting: 'ollama.executable',
    modelSetting: 'ollama.model',
    contextSetting: 'ollama.contextLength',
    listenSettings: ['ollama.host'],
    readinessPaths: ['/api/version', '/v1/models'],
  },
  lmstudio: {
    provider: 'lmstudio',
    kind: 'lmstudio',
    executableSetting: 'lmstudio.lmsPath',
    modelSetting: 'lmstudio.modelKey',
    contextSetting: 'lmstudio.contextLength',
    listenSettings: ['lmstudio.port'],
    readinessPaths: ['/v1/models'],
  },
};

export interface ListenAddress {
  /** The address the server binds, as configured ('0.0.0.0', '::', '127.0.0.1', a LAN address…). */
  host: string;
  port: number;
  /** Where this machine reaches it: a wildcard bind is reached on loopback. Ends with /v1. */
  baseUrl: string;
}

/** `host:port`, `host`, `:port`, `[v6]:port` or a URL, as OLLAMA_HOST is written (Ollama parses it as leniently). */
export function parseHostPort(value: string, defaultPort: number): { host: string; port: number } | undefined {
  const v = value
    .trim()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
    .replace(/\/.*$/, '');
  const m = /^(\[[^\]]*\]|[^:[\]]*)(?::(\d{1,5}))?$/.exec(v);
  if (!m) return undefined;
  const host = m[1].replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** Ollama's listen address: the setting, else OLLAMA_HOST (what `ollama serve` itself would use), else its default. */
export function ollamaHostValue(s: Pick<Settings, 'ollama.host'>, env: Env): string {
  return s['ollama.host'].trim() || env.OLLAMA_HOST?.trim() || `127.0.0.1:${PROVIDERS.ollama.ownDefaultPort}`;
}

/** The loopback address that reaches a wildcard bind. */
export function reachableHost(host: string): string {
  const h = host.trim();
  if (h === '' || h === '0.0.0.0') return '127.0.0.1';
  if (h === '::' || h === '[::]') return '::1';
  return h.replace(/^\[|\]$/g, '');
}

export function listenAddress(provider: LaunchProvider, s: Settings, env: Env): ListenAddress {
  let host: string;
  let port: number;
  switch (provider) {
    case 'llamacpp':
      host = s['llamacpp.host'];
      port = s['llamacpp.port'];
      break;
    case 'vllm':
      host = s['vllm.host'];
      port = s['vllm.port'];
      break;
    // `lms server start` binds loopback; only the port is ours to choose.
    case 'lmstudio':
      host = '127.0.0.1';
      port = s['lmstudio.port'];
      break;
    case 'ollama': {
      const hp = parseHostPort(ollamaHostValue(s, env), PROVIDERS.ollama.ownDefaultPort as number);
      host = hp?.host ?? '127.0.0.1';
      port = hp?.port ?? (PROVIDERS.ollama.ownDefaultPort as number);
      break;
    }
  }
  return { host, port, baseUrl: `http://${hostForUrl(reachableHost(host))}:${port}/v1` };
}

/** The settings that decide how a provider is launched (a change offers "Restart server"). */
export function launchSettingKeys(provider: LaunchProvider): SettingKey[] {
  return (Object.keys(SETTINGS) as SettingKey[]).filter(
    k => k.startsWith(`${provider}.`) && !k.endsWith('.baseUrl') && k !== 'llamacpp.autoCompactTokenLimit' && k !== 'ollama.model',
  );
}
