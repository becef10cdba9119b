// How each local server is started: one pure argv builder per provider. A setting value is only
// ever one element of an argv array handed to execve (spawn with shell:false): no value is parsed
// by a shell, so `; rm -rf ~`, `$(…)`, backticks, quotes, spaces and newlines arrive verbatim.
//
// Values that start with `-`:
// - llama-server (common/arg.cpp common_params_parse_ex) looks up each flag as a whole word and
//   rejects `--alias=x` ("invalid argument"), but takes the next argv element as the value without
//   looking at it (`argv[++i]`), so `--alias -x` is safe and we always use the two-element form.
// - vLLM uses Python argparse, which would take `--served-model-name -x` for a missing value and a
//   flag: string values go in the `--flag=value` form, and a model name starting with `-` is given
//   as `--model=-x` instead of the positional.
// - lms: string options use `--flag=value` too; a model key starting with `-` is refused (it could
//   only be read as an option).
import { SETTINGS, type SettingDef, type SettingKey, type Settings } from '../settings/catalog';
import { isLoopbackHost, ollamaHostToBaseUrl } from '../endpoints';
import { hostForUrl, type ProviderId } from '../providers';

/** What to spawn: `env` holds only the variables added to the inherited environment. */
export interface LaunchCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export type LaunchProvider = Exclude<ProviderId, 'openaiCompatible'>;
export const LAUNCH_PROVIDERS: readonly LaunchProvider[] = ['llamacpp', 'vllm', 'ollama', 'lmstudio'];
export function isLaunchProvider(v: unknown): v is LaunchProvider {
  return typeof v === 'string' && (LAUNCH_PROVIDERS as readonly string[]).includes(v);
}

/** Optional secrets, passed in the environment (never argv: `ps` shows argv to every user). */
export interface LaunchSecrets {
  apiKey?: string;
}

type Pick_<K extends SettingKey> = Pick<Settings, K>;

export type LlamaSettings = Pick_<
  'llamacpp.executable' | 'llamacpp.modelPath' | 'llamacpp.host' | 'llamacpp.port' | 'llamacpp.modelAlias' | 'llamacpp.gpuLayers'
  | 'llamacpp.threads' | 'llamacpp.contextSize' | 'llamacpp.batchSize' | 'llamacpp.ubatchSize' | 'llamacpp.chatTemplate'
  | 'llamacpp.parallel' | 'llamacpp.flashAttention' | 'llamacpp.jinja' | 'llamacpp.keep' | 'llamacpp.cacheTypeK'
  | 'llamacpp.cacheTypeV' | 'llamacpp.reasoning' | 'llamacpp.extraArgs'
>;

/** One piece of the llama-server command line: a flag from a setting, or fixed words. */
export type LlamaArgItem =
  | { key: SettingKey; flag: string; value: string; omitIfEmpty?: boolean }
  | { key: SettingKey; literal: string[] };

/**
 * The llama-server command line as items, in order. Both the extension's own launch
 * (llamaServerArgs) and the exported wrapper script (wrapper.ts) are generated from this list,
 * so the two cannot drift apart.
 */
export function llamaArgItems(s: LlamaSettings): LlamaArgItem[] {
  const flag = (k: SettingKey) => (SETTINGS[k] as SettingDef).flag as string;
  const opt = (key: SettingKey & keyof LlamaSettings, omitIfEmpty = false): LlamaArgItem => ({ key, flag: flag(key), value: String(s[key]), omitIfEmpty });
  const items: LlamaArgItem[] = [
    opt('llamacpp.modelPath', true),
    opt('llamacpp.host'),
    opt('llamacpp.port'),
    opt('llamacpp.modelAlias', true),
    opt('llamacpp.gpuLayers'),
    opt('llamacpp.threads'),
    opt('llamacpp.contextSize'),
    opt('llamacpp.batchSize'),
    opt('llamacpp.ubatchSize'),
    opt('llamacpp.chatTemplate', true),
    opt('llamacpp.parallel'),
  ];
  // `auto` is llama-server's own default for both; leaving the flag out keeps builds that predate
  // the on/off/auto form (where -fa was a bare switch and --reasoning did not exist) working.
  if (s['llamacpp.flashAttention'] !== 'auto') items.push(opt('llamacpp.flashAttention'));
  items.push({ key: 'llamacpp.jinja', literal: [s['llamacpp.jinja'] ? '--jinja' : '--no-jinja'] });
  items.push(opt('llamacpp.keep'), opt('llamacpp.cacheTypeK'), opt('llamacpp.cacheTypeV'));
  if (s['llamacpp.reasoning'] !== 'auto') items.push(opt('llamacpp.reasoning'));
  items.push({ key: 'llamacpp.extraArgs', literal: [...s['llamacpp.extraArgs']] });
  return items;
}

/** The llama-server argv (without the executable) for these settings. */
export function llamaServerArgs(s: LlamaSettings): string[] {
  return llamaArgItems(s).flatMap(i => ('literal' in i ? i.literal : i.omitIfEmpty && !i.value ? [] : [i.flag, i.value]));
}

export function buildLlamaServerArgv(s: LlamaSettings, secrets: LaunchSecrets = {}): LaunchCommand {
  const env: Record<string, string> = {};
  // llama-server reads --api-key from LLAMA_API_KEY (common/arg.cpp set_env).
  if (secrets.apiKey) env.LLAMA_API_KEY = secrets.apiKey;
  return { command: s['llamacpp.executable'], args: llamaServerArgs(s), env };
}

/** The PRODEX_LOCAL_* variables for the current settings (every mirrored setting, strings as the wrapper reads them). */
export function mirroredEnv(s: Settings): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, def] of Object.entries(SETTINGS) as [SettingKey, SettingDef][]) {
    if (def.env) env[def.env] = String(s[key]);
  }
  return env;
}

/** `llamacpp.wrapperScript` set: run the user's own wrapper with the settings as PRODEX_LOCAL_* variables. */
export function buildWrapperScriptCommand(s: Settings, secrets: LaunchSecrets = {}): LaunchCommand {
  const env = mirroredEnv(s);
  if (secrets.apiKey) env.LLAMA_API_KEY = secrets.apiKey;
  return { command: s['llamacpp.wrapperScript'], args: [...s['llamacpp.extraArgs']], env };
}

export type VllmSettings = Pick_<
  'vllm.executable' | 'vllm.model' | 'vllm.servedModelName' | 'vllm.host' | 'vllm.port' | 'vllm.maxModelLen'
  | 'vllm.enableAutoToolChoice' | 'vllm.toolCallParser' | 'vllm.gpuMemoryUtilization' | 'vllm.extraArgs'
>;

export function buildVllmArgv(s: VllmSettings, secrets: LaunchSecrets = {}): LaunchCommand {
  const model = s['vllm.model'];
  const a = ['serve', model.startsWith('-') ? `--model=${model}` : model];
  a.push(`--host=${s['vllm.host']}`, `--port=${s['vllm.port']}`);
  if (s['vllm.servedModelName']) a.push(`--served-model-name=${s['vllm.servedModelName']}`);
  if (s['vllm.maxModelLen'] > 0) a.push(`--max-model-len=${s['vllm.maxModelLen']}`);
  if (s['vllm.enableAutoToolChoice']) a.push('--enable-auto-tool-choice', `--tool-call-parser=${s['vllm.toolCallParser']}`);
  if (s['vllm.gpuMemoryUtilization'] > 0) a.push(`--gpu-memory-utilization=${s['vllm.gpuMemoryUtilization']}`);
  a.push(...s['vllm.extraArgs']);
  const env: Record<string, string> = {};
  if (secrets.apiKey) env.VLLM_API_KEY = secrets.apiKey;
  return { command: s['vllm.executable'], args: a, env };
}

export type OllamaSettings = Pick_<'ollama.executable' | 'ollama.host' | 'ollama.contextLength' | 'ollama.modelsDir'>;

/** `ollama serve`: everything it needs goes through its environment variables. */
export function buildOllamaServeCommand(s: OllamaSettings): LaunchCommand {
  const env: Record<string, string> = { OLLAMA_HOST: s['ollama.host'] };
  if (s['ollama.contextLength'] > 0) env.OLLAMA_CONTEXT_LENGTH = String(s['ollama.contextLength']);
  if (s['ollama.modelsDir']) env.OLLAMA_MODELS = s['ollama.modelsDir'];
  return { command: s['ollama.executable'], args: ['serve'], env };
}

export type LmsSettings = Pick_<'lmstudio.lmsPath' | 'lmstudio.port' | 'lmstudio.modelKey' | 'lmstudio.contextLength' | 'lmstudio.identifier'>;

/** `lms server start --port N`, then (when a model key is set) `lms load <model> … -y`. */
export function buildLmsCommands(s: LmsSettings): { server: LaunchCommand; load?: LaunchCommand } {
  const lms = s['lmstudio.lmsPath'];
  const server: LaunchCommand = { command: lms, args: ['server', 'start', `--port=${s['lmstudio.port']}`], env: {} };
  const model = s['lmstudio.modelKey'];
  if (!model) return { server };
  const args = ['load', model];
  if (s['lmstudio.contextLength'] > 0) args.push(`--context-length=${s['lmstudio.contextLength']}`);
  if (s['lmstudio.identifier']) args.push(`--identifier=${s['lmstudio.identifier']}`);
  args.push('-y');
  return { server, load: { command: lms, args, env: {} } };
}

/** The long-running process the extension starts for a provider (LM Studio: the `server start` step). */
export function buildServerCommand(provider: LaunchProvider, s: Settings, secrets: LaunchSecrets = {}): LaunchCommand {
  switch (provider) {
    case 'llamacpp': return s['llamacpp.wrapperScript'] ? buildWrapperScriptCommand(s, secrets) : buildLlamaServerArgv(s, secrets);
    case 'vllm': return buildVllmArgv(s, secrets);
    case 'ollama': return buildOllamaServeCommand(s);
    case 'lmstudio': return buildLmsCommands(s).server;
  }
}

/** Where the launched server listens (host as configured; a wildcard bind is reached on loopback). */
export function launchHostPort(provider: LaunchProvider, s: Settings): { host: string; port: number } {
  switch (provider) {
    case 'llamacpp': return { host: s['llamacpp.host'], port: s['llamacpp.port'] };
    case 'vllm': return { host: s['vllm.host'], port: s['vllm.port'] };
    case 'lmstudio': return { host: '127.0.0.1', port: s['lmstudio.port'] };
    case 'ollama': {
      const u = ollamaHostToBaseUrl(s['ollama.host']);
      const raw = s['ollama.host'].trim().replace(/^[a-z]+:\/\//i, '');
      const host = /^(\[[^\]]+\]|[^:]*)/.exec(raw)?.[1]?.replace(/^\[|\]$/g, '') || '127.0.0.1';
      return { host, port: u.ok ? Number(new URL(u.url).port || 11434) : 11434 };
    }
  }
}

/** The base URL (…/v1) the launched server answers on. */
export function launchBaseUrl(provider: LaunchProvider, s: Settings): string {
  const { host, port } = launchHostPort(provider, s);
  const reach = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${hostForUrl(reach)}:${port}/v1`;
}

/** True when the server would listen beyond this machine (0.0.0.0, ::, a LAN address). */
export function exposesBeyondLoopback(provider: LaunchProvider, s: Settings): boolean {
  return !isLoopbackHost(launchHostPort(provider, s).host);
}

/** The settings that decide how a provider is launched (a change offers "Restart server"). */
export function launchSettingKeys(provider: LaunchProvider): SettingKey[] {
  return (Object.keys(SETTINGS) as SettingKey[]).filter(k => k.startsWith(`${provider}.`) && !k.endsWith('.baseUrl') && k !== 'llamacpp.autoCompactTokenLimit' && k !== 'ollama.model');
}

/** Problems that make a launch pointless or impossible; empty when it can go ahead. */
export function launchProblems(provider: LaunchProvider, s: Settings): string[] {
  const p: string[] = [];
  const cmd = buildServerCommand(provider, s);
  const all = [cmd.command, ...cmd.args, ...Object.values(cmd.env)];
  if (provider === 'lmstudio') {
    const load = buildLmsCommands(s).load;
    if (load) all.push(...load.args);
  }
  // execve cannot carry a NUL byte; refuse instead of letting spawn throw mid-way.
  if (all.some(v => v.includes('\0'))) p.push('A launch setting contains a NUL character, which no program can receive; remove it.');
  if (!cmd.command.trim()) p.push(`Set localModelRouter.${provider === 'lmstudio' ? 'lmstudio.lmsPath' : `${provider}.executable`} to the program to run.`);
  if (provider === 'vllm' && !s['vllm.model'].trim()) p.push('Set localModelRouter.vllm.model to the model vLLM should serve (a Hugging Face id or a local path).');
  if (provider === 'lmstudio' && s['lmstudio.modelKey'].startsWith('-')) p.push(`The LM Studio model key "${s['lmstudio.modelKey']}" starts with "-", so lms would read it as an option; use the key \`lms ls\` shows.`);
  if (provider === 'ollama' && !ollamaHostToBaseUrl(s['ollama.host']).ok) p.push(`localModelRouter.ollama.host "${s['ollama.host']}" is not host:port.`);
  return p;
}

/**
 * What a running server was started with, comparable across setting changes: when it differs after
 * a change, the running server is stale and the user is offered "Restart server".
 */
export function launchFingerprint(provider: LaunchProvider, s: Settings): string {
  const main = redactLaunchCommand(buildServerCommand(provider, s));
  const load = provider === 'lmstudio' ? buildLmsCommands(s).load ?? null : null;
  return JSON.stringify([main, load, provider === 'ollama' ? s['ollama.model'] : null]);
}

/** A copy with secret values replaced, for logs and the CLI. */
export function redactLaunchCommand(c: LaunchCommand): LaunchCommand {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.env)) env[k] = /API_KEY|TOKEN|SECRET|PASSWORD/i.test(k) ? '<redacted>' : v;
  return { command: c.command, args: [...c.args], env };
}
