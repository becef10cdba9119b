// Where each provider lives and which key it takes, from settings and the environment.
// Precedence (first wins) — base URL: the provider's baseUrl setting → its listen settings when the
// user changed them (host/port: where Start Server puts it) → <PROVIDER>_BASE_URL → OLLAMA_HOST
// (Ollama) → LOCAL_LLM_BASE_URL → the default listen address; key: <PROVIDER>_API_KEY →
// LOCAL_LLM_API_KEY → the stored secret → none.
// OPENAI_BASE_URL is never read: it points at a cloud provider more often than not.
import { displayName } from './text/sanitize';
import { OWN_DEFAULT_PORTS, PROVIDERS, providerBaseUrlVar, providerKeyVar, type ProviderId } from './providers';

export type Env = Readonly<Record<string, string | undefined>>;

export type NormalizedUrl = { ok: true; url: string } | { ok: false; error: string };

/**
 * Normalizes a base URL the way users type them: adds `http://` to a bare `host:port`, appends `/v1`
 * when there is no path, drops trailing slashes. Refuses other schemes and embedded credentials.
 */
export function normalizeBaseUrl(raw: string): NormalizedUrl {
  const input = raw.trim();
  if (!input) return { ok: false, error: 'The base URL is empty.' };
  // The URL parser drops tabs and line breaks silently: a URL with one inside is not what was meant.
  // eslint-disable-next-line no-control-regex -- control characters are exactly what it refuses
  if (/[\u0000-\u001f\u007f-\u009f]/.test(input))
    return {
      ok: false,
      error: `"${displayName(input)}" contains a line break or another control character; a base URL is one line, e.g. http://127.0.0.1:8080/v1.`,
    };
  if (/\s/.test(input)) return { ok: false, error: `"${displayName(input)}" contains a space; a base URL has none.` };
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `http://${input}`;
  // The URL parser calls a port over 65535 "invalid URL" and takes port 0: say what is wrong instead.
  const port = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)(?:[/?#]|$)/i.exec(withScheme)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535))
    return { ok: false, error: `"${displayName(raw)}" has port ${port}; a port is 1–65535.` };
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    return { ok: false, error: `"${displayName(raw)}" is not a URL. Use the form http://127.0.0.1:8080/v1.` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return { ok: false, error: `"${displayName(raw)}" uses ${u.protocol.replace(/:$/, '')}; only http and https base URLs are supported.` };
  }
  if (u.username || u.password) {
    return {
      ok: false,
      error: `"${displayName(redactCredentials(raw))}" embeds credentials in the URL. Remove them and give the key separately: an *_API_KEY variable, or Set API Key in VS Code.`,
    };
  }
  if (u.search || u.hash) {
    return { ok: false, error: `"${displayName(raw)}" has a query or fragment; a base URL is scheme, host, port and path only.` };
  }
  let path = u.pathname.replace(/\/+$/, '');
  if (path === '') path = '/v1';
  return { ok: true, url: `${u.protocol}//${u.host}${path}` };
}

function redactCredentials(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, '//***@');
}

/** `OLLAMA_HOST` is `host:port`, `host`, `:port` or a URL (Ollama's own parsing is as lenient). */
export function ollamaHostToBaseUrl(value: string): NormalizedUrl {
  let v = value.trim();
  if (!v) return { ok: false, error: 'OLLAMA_HOST is empty.' };
  const scheme = /^[a-z]+:\/\//i.exec(v)?.[0] ?? 'http://';
  v = v.replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, '');
  let host = v;
  let port = String(OWN_DEFAULT_PORTS.ollama);
  const m = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(v);
  if (m) {
    host = m[1] || '127.0.0.1';
    if (m[2]) port = m[2];
  }
  if (host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::' || host === '[::]') host = '[::1]';
  return normalizeBaseUrl(`${scheme}${host}:${port}/v1`);
}

export type BaseUrlSource = 'setting' | 'listen-setting' | 'provider-env' | 'ollama-host' | 'local-llm-env' | 'default';
export type KeySource = 'provider-env' | 'local-llm-env' | 'secret' | 'none';

export interface ResolvedEndpoint {
  provider: ProviderId;
  baseUrl: string;
  source: BaseUrlSource;
  /** Name of the variable the key came from (never the key itself in logs). */
  keyVar?: string;
  keySource: KeySource;
  apiKey?: string;
}

export interface ResolveInput {
  provider: ProviderId;
  /** The provider's `baseUrl` setting ('' when unset). */
  settingBaseUrl: string;
  env: Env;
  /** Where Start Server would put it, when the user changed the host/port settings (wins over variables). */
  listenBaseUrl?: string;
  /** Used when nothing else applies. */
  defaultBaseUrl?: string;
  /** A key from SecretStorage: used when no variable names one. */
  secretKey?: string;
}

export function resolveEndpoint(
  input: ResolveInput,
): { ok: true; endpoint: ResolvedEndpoint } | { ok: false; error: string; source: BaseUrlSource } {
  const providerVar = providerBaseUrlVar(input.provider);
  const candidates: [BaseUrlSource, string | undefined][] = [
    ['setting', input.settingBaseUrl],
    ['listen-setting', input.listenBaseUrl],
    ['provider-env', providerVar ? input.env[providerVar] : undefined],
    ['local-llm-env', input.env.LOCAL_LLM_BASE_URL],
  ];
  if (input.provider === 'ollama' && input.env.OLLAMA_HOST) candidates.splice(3, 0, ['ollama-host', input.env.OLLAMA_HOST]);
  let baseUrl: string | undefined;
  let source: BaseUrlSource = 'default';
  for (const [src, value] of candidates) {
    if (value && value.trim()) {
      const n = src === 'ollama-host' ? ollamaHostToBaseUrl(value) : normalizeBaseUrl(value);
      if (!n.ok) return { ok: false, error: `${describeSource(src, providerVar)}: ${n.error}`, source: src };
      baseUrl = n.url;
      source = src;
      break;
    }
  }
  if (!baseUrl) {
    if (!input.defaultBaseUrl)
      return { ok: false, error: `${PROVIDERS[input.provider].displayName} has no base URL configured.`, source: 'default' };
    baseUrl = input.defaultBaseUrl;
  }
  return {
    ok: true,
    endpoint: { provider: input.provider, baseUrl, source, ...resolveApiKey(input.provider, input.env, input.secretKey) },
  };
}

export interface ResolvedKey {
  apiKey?: string;
  /** Name of the variable the key came from (never the key itself in logs). */
  keyVar?: string;
  keySource: KeySource;
}

/** Key precedence, first wins: <PROVIDER>_API_KEY → LOCAL_LLM_API_KEY → the stored secret → none. */
export function resolveApiKey(provider: ProviderId, env: Env, secretKey?: string): ResolvedKey {
  const keyVar = providerKeyVar(provider);
  if (keyVar && env[keyVar]) return { apiKey: env[keyVar], keyVar, keySource: 'provider-env' };
  if (env.LOCAL_LLM_API_KEY) return { apiKey: env.LOCAL_LLM_API_KEY, keyVar: 'LOCAL_LLM_API_KEY', keySource: 'local-llm-env' };
  if (secretKey) return { apiKey: secretKey, keySource: 'secret' };
  return { keySource: 'none' };
}

/**
 * The variable that carries a route's key to an agent (a Codex profile's `env_key`, Claude Code's
 * apiKeyHelper): the variable the key came from, else the provider's own (`LLAMACPP_API_KEY`…), else
 * LOCAL_LLM_API_KEY. Open Codex / Open Claude Code fill it from SecretStorage in their terminal; the key
 * itself is never written to a file.
 */
export function routeKeyVar(route: { provider: ProviderId; keyVar?: string }): string {
  if (route.keyVar) return route.keyVar;
  return providerKeyVar(route.provider) ?? 'LOCAL_LLM_API_KEY';
}

function describeSource(src: BaseUrlSource, providerVar?: string): string {
  switch (src) {
    case 'setting':
      return 'The baseUrl setting';
    case 'listen-setting':
      return 'The host/port settings';
    case 'provider-env':
      return providerVar ?? 'LOCAL_LLM_BASE_URL';
    case 'ollama-host':
      return 'OLLAMA_HOST';
    case 'local-llm-env':
      return 'LOCAL_LLM_BASE_URL';
    case 'default':
      return 'The default';
  }
}

/** True for 127.0.0.0/8, ::1, and `localhost` names: anything else is reachable from other machines. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (v4) return Number(v4[1]) === 127 && v4.slice(1).every(o => Number(o) <= 255);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(h);
  if (mapped) return isLoopbackHost(mapped[1]);
  // WHATWG URL writes an IPv4-mapped address in hex: [::ffff:127.0.0.1] has the hostname [::ffff:7f00:1].
  const mappedHex = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(h);
  if (mappedHex) return parseInt(mappedHex[1], 16) >> 8 === 127;
  return false;
}

export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** The server root (without /v1) for native endpoints such as /props, /api/show, /health. */
export function serverRoot(baseUrl: string): string {
  return baseUrl.replace(/\/v1$/, '');
}

/**
 * Where a base URL sends prompts, code and keys: this machine (loopback, including an SSH tunnel's
 * local end), another host over TLS, or another host in clear text that anyone on the path can read.
 */
export type UrlReach =
  | { kind: 'loopback' }
  | { kind: 'remote-https'; host: string }
  | { kind: 'remote-http'; host: string }
  | { kind: 'invalid'; error: string };

export function classifyBaseUrl(url: string): UrlReach {
  const n = normalizeBaseUrl(url);
  if (!n.ok) return { kind: 'invalid', error: n.error };
  const u = new URL(n.url);
  if (isLoopbackHost(u.hostname)) return { kind: 'loopback' };
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return u.protocol === 'https:' ? { kind: 'remote-https', host } : { kind: 'remote-http', host };
}

export type PlainHttpDecision =
  | { kind: 'send' }
  /** Ask the person first; remember `approvalKey` in the approved set when they say yes. */
  | { kind: 'ask'; approvalKey: string; host: string }
  | { kind: 'invalid'; error: string };

/**
 * The "ask once per URL" rule before a key or a prompt goes to another host over plain http.
 * `approved` holds approval keys from earlier answers; the key is the normalized base URL, so
 * `http://box:8080` and `http://box:8080/v1/` are one approval.
 */
export function plainHttpConsent(url: string, approved: ReadonlySet<string>): PlainHttpDecision {
  const reach = classifyBaseUrl(url);
  switch (reach.kind) {
    case 'invalid':
      return reach;
    case 'loopback':
    case 'remote-https':
      return { kind: 'send' };
    case 'remote-http': {
      const approvalKey = (normalizeBaseUrl(url) as { ok: true; url: string }).url;
      return approved.has(approvalKey) ? { kind: 'send' } : { kind: 'ask', approvalKey, host: reach.host };
    }
  }
}
