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
import { SETTINGS, fullKey, type SettingDef, type SettingKey, type Settings } from '../settings/catalog';
import { isLoopbackHost, type Env } from '../endpoints';
import { SERVER_SPECS, listenAddress, ollamaHostValue, type LaunchProvider } from '../servers';

export { LAUNCH_PROVIDERS, isLaunchProvider, launchSettingKeys, type LaunchProvider } from '../servers';

/** What to spawn: `env` holds only the variables added to the inherited environment. */
export interface LaunchCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** What a launch needs besides the settings. */
export interface LaunchInputs {
  /** The extension host's (or the CLI's) environment: OLLAMA_HOST and friends. */
  env?: Env;
  /** A secret for the server, passed in its environment (never argv: `ps` shows argv to every user). */
  apiKey?: string;
  /** llama.cpp with no chatTemplate set: the template file to use instead of the model's own (see chatTemplate.ts). */
  chatTemplateFile?: string;
}

type Pick_<K extends SettingKey> = Pick<Settings, K>;

export type LlamaSettings = Pick_<
  | 'llamacpp.executable'
  | 'llamacpp.modelPath'
  | 'llamacpp.host'
  | 'llamacpp.port'
  | 'llamacpp.modelAlias'
  | 'llamacpp.gpuLayers'
  | 'llamacpp.threads'
  | 'llamacpp.contextSize'
  | 'llamacpp.batchSize'
  | 'llamacpp.ubatchSize'
  | 'llamacpp.chatTemplate'
  | 'llamacpp.parallel'
  | 'llamacpp.flashAttention'
  | 'llamacpp.jinja'
  | 'llamacpp.keep'
  | 'llamacpp.cacheTypeK'
  | 'llamacpp.cacheTypeV'
  | 'llamacpp.reasoning'
  | 'llamacpp.extraArgs'
>;

/**
 * One piece of the llama-server command line: a flag from a setting (left out when the value is
 * `omitWhen`; then `otherwise` is used when given), or fixed words.
 */
export type LlamaArgItem =
  { key: SettingKey; flag: string; value: string; omitWhen?: string; otherwise?: string[] } | { key: SettingKey; literal: string[] };

/** llama-server flags whose presence means the user wants its router mode (no single model) on purpose. */
export const LLAMA_ROUTER_FLAGS = ['--models-dir', '--models-preset', '-hf', '--hf-repo', '-m', '--model', '-mu', '--model-url'] as const;

/**
 * The llama-server command line as items, in order. Both the extension's own launch
 * (llamaServerArgs) and the exported wrapper script (wrapper.ts) are generated from this list,
 * so the two cannot drift apart.
 */
export function llamaArgItems(s: LlamaSettings, inputs: Pick<LaunchInputs, 'chatTemplateFile'> = {}): LlamaArgItem[] {
  const flag = (k: SettingKey) => (SETTINGS[k] as SettingDef).flag as string;
  const opt = (key: SettingKey & keyof LlamaSettings, omitWhen?: string): LlamaArgItem => ({
    key,
    flag: flag(key),
    value: String(s[key]),
    ...(omitWhen !== undefined ? { omitWhen } : {}),
  });
  const template = opt('llamacpp.chatTemplate', '');
  if (inputs.chatTemplateFile && 'flag' in template) template.otherwise = ['--chat-template-file', inputs.chatTemplateFile];
  const items: LlamaArgItem[] = [
    opt('llamacpp.modelPath', ''),
    opt('llamacpp.host'),
    opt('llamacpp.port'),
    opt('llamacpp.modelAlias', ''),
    // -1 leaves the choice to llama-server, which sizes both to this machine (GPU layers that fit,
    // one thread per core): the wrapper's fixed 20 / 8 do not fit a small machine without a GPU.
    opt('llamacpp.gpuLayers', '-1'),
    opt('llamacpp.threads', '-1'),
    opt('llamacpp.contextSize'),
    opt('llamacpp.batchSize'),
    opt('llamacpp.ubatchSize'),
    template,
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
export function llamaServerArgs(s: LlamaSettings, inputs: Pick<LaunchInputs, 'chatTemplateFile'> = {}): string[] {
  return llamaArgItems(s, inputs).flatMap(i => {
    if ('literal' in i) return i.literal;
    if (i.omitWhen !== undefined && i.value === i.omitWhen) return i.otherwise ?? [];
    return [i.flag, i.value];
  });
}

function serverKeyEnv(provider: LaunchProvider, apiKey: string | undefined): Record<string, string> {
  const name = SERVER_SPECS[provider].serverKeyEnv;
  return apiKey && name ? { [name]: apiKey } : {};
}

export function buildLlamaServerArgv(s: LlamaSettings, inputs: LaunchInputs = {}): LaunchCommand {
  return { command: s['llamacpp.executable'], args: llamaServerArgs(s, inputs), env: serverKeyEnv('llamacpp', inputs.apiKey) };
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
export function buildWrapperScriptCommand(s: Settings, inputs: LaunchInputs = {}): LaunchCommand {
  return {
    command: s['llamacpp.wrapperScript'],
    args: [...s['llamacpp.extraArgs']],
    env: { ...mirroredEnv(s), ...serverKeyEnv('llamacpp', inputs.apiKey) },
  };
}

export type VllmSettings = Pick_<
  | 'vllm.executable'
  | 'vllm.model'
  | 'vllm.servedModelName'
  | 'vllm.host'
  | 'vllm.port'
  | 'vllm.maxModelLen'
  | 'vllm.enableAutoToolChoice'
  | 'vllm.toolCallParser'
  | 'vllm.gpuMemoryUtilization'
  | 'vllm.extraArgs'
>;

export function buildVllmArgv(s: VllmSettings, inputs: LaunchInputs = {}): LaunchCommand {
  const model = s['vllm.model'];
  const a = ['serve', model.startsWith('-') ? `--model=${model}` : model];
  a.push(`--host=${s['vllm.host']}`, `--port=${s['vllm.port']}`);
  if (s['vllm.servedModelName']) a.push(`--served-model-name=${s['vllm.servedModelName']}`);
  if (s['vllm.maxModelLen'] > 0) a.push(`--max-model-len=${s['vllm.maxModelLen']}`);
  if (s['vllm.enableAutoToolChoice']) a.push('--enable-auto-tool-choice', `--tool-call-parser=${s['vllm.toolCallParser']}`);
  if (s['vllm.gpuMemoryUtilization'] > 0) a.push(`--gpu-memory-utilization=${s['vllm.gpuMemoryUtilization']}`);
  a.push(...s['vllm.extraArgs']);
  return { command: s['vllm.executable'], args: a, env: serverKeyEnv('vllm', inputs.apiKey) };
}

export type OllamaSettings = Pick_<'ollama.executable' | 'ollama.host' | 'ollama.contextLength' | 'ollama.modelsDir'>;

/** `ollama serve`: everything it needs goes through its environment variables. */
export function buildOllamaServeCommand(s: OllamaSettings, inputs: LaunchInputs = {}): LaunchCommand {
  const env: Record<string, string> = { OLLAMA_HOST: ollamaHostValue(s, inputs.env ?? {}) };
  if (s['ollama.contextLength'] > 0) env.OLLAMA_CONTEXT_LENGTH = String(s['ollama.contextLength']);
  if (s['ollama.modelsDir']) env.OLLAMA_MODELS = s['ollama.modelsDir'];
  return { command: s['ollama.executable'], args: ['serve'], env };
}

export type LmsSettings = Pick_<
  'lmstudio.lmsPath' | 'lmstudio.port' | 'lmstudio.modelKey' | 'lmstudio.contextLength' | 'lmstudio.identifier'
>;

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
export function buildServerCommand(provider: LaunchProvider, s: Settings, inputs: LaunchInputs = {}): LaunchCommand {
  switch (provider) {
    case 'llamacpp':
      return s['llamacpp.wrapperScript'] ? buildWrapperScriptCommand(s, inputs) : buildLlamaServerArgv(s, inputs);
    case 'vllm':
      return buildVllmArgv(s, inputs);
    case 'ollama':
      return buildOllamaServeCommand(s, inputs);
    case 'lmstudio':
      return buildLmsCommands(s).server;
  }
}

/** True when the server would listen beyond this machine (0.0.0.0, ::, a LAN address). */
export function exposesBeyondLoopback(provider: LaunchProvider, s: Settings, env: Env = {}): boolean {
  return !isLoopbackHost(listenAddress(provider, s, env).host);
}

/** A launch problem, typed so callers can act on it (offer a file picker, open the setting). */
export type LaunchProblem =
  | { kind: 'no-model'; setting: SettingKey; message: string }
  | { kind: 'no-executable'; setting: SettingKey; message: string }
  | { kind: 'invalid'; setting?: SettingKey; message: string };

/** Problems that make a launch pointless or impossible; empty when it can go ahead. */
export function launchIssues(provider: LaunchProvider, s: Settings, env: Env = {}): LaunchProblem[] {
  const p: LaunchProblem[] = [];
  const spec = SERVER_SPECS[provider];
  const cmd = buildServerCommand(provider, s, { env });
  const all = [cmd.command, ...cmd.args, ...Object.values(cmd.env)];
  if (provider === 'lmstudio') {
    const load = buildLmsCommands(s).load;
    if (load) all.push(...load.args);
  }
  // execve cannot carry a NUL byte; refuse instead of letting spawn throw mid-way.
  if (all.some(v => v.includes('\0')))
    p.push({ kind: 'invalid', message: 'A launch setting contains a NUL character, which no program can receive; remove it.' });
  const exe = provider === 'llamacpp' && s['llamacpp.wrapperScript'] ? 'llamacpp.wrapperScript' : spec.executableSetting;
  if (!cmd.command.trim()) p.push({ kind: 'no-executable', setting: exe, message: `Set ${fullKey(exe)} to the program to run.` });
  if (
    provider === 'llamacpp' &&
    !s['llamacpp.wrapperScript'] &&
    !s['llamacpp.modelPath'].trim() &&
    !s['llamacpp.extraArgs'].some(a => (LLAMA_ROUTER_FLAGS as readonly string[]).includes(a.split('=')[0]))
  ) {
    // Without a model llama-server starts in router mode with nothing to serve: refuse instead.
    p.push({
      kind: 'no-model',
      setting: 'llamacpp.modelPath',
      message: `No model to serve: set ${fullKey('llamacpp.modelPath')} to a .gguf file (or PRODEX_LOCAL_MODEL_PATH). For llama-server's router mode on purpose, put --models-dir <folder> in ${fullKey('llamacpp.extraArgs')}.`,
    });
  }
  if (provider === 'vllm' && !s['vllm.model'].trim())
    p.push({
      kind: 'no-model',
      setting: 'vllm.model',
      message: `No model to serve: set ${fullKey('vllm.model')} to a Hugging Face id or a local path.`,
    });
  if (provider === 'lmstudio' && s['lmstudio.modelKey'].startsWith('-'))
    p.push({
      kind: 'invalid',
      setting: 'lmstudio.modelKey',
      message: `The LM Studio model key "${s['lmstudio.modelKey']}" starts with "-", so lms would read it as an option; use the key \`lms ls\` shows.`,
    });
  if (provider === 'ollama' && !listenAddressValid(s, env))
    p.push({ kind: 'invalid', setting: 'ollama.host', message: `The Ollama address "${ollamaHostValue(s, env)}" is not host:port.` });
  return p;
}

function listenAddressValid(s: Settings, env: Env): boolean {
  const v = ollamaHostValue(s, env).replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  return /^(\[[^\]]+\]|[^:[\]\s]*)(:\d{1,5})?$/.test(v);
}

/** The problems' messages (the CLI and logs). */
export function launchProblems(provider: LaunchProvider, s: Settings, env: Env = {}): string[] {
  return launchIssues(provider, s, env).map(p => p.message);
}

/**
 * What a running server was started with, comparable across setting changes: when it differs after
 * a change, the running server is stale and the user is offered "Restart server".
 */
export function launchFingerprint(provider: LaunchProvider, s: Settings, env: Env = {}): string {
  const main = redactLaunchCommand(buildServerCommand(provider, s, { env }));
  const load = provider === 'lmstudio' ? (buildLmsCommands(s).load ?? null) : null;
  return JSON.stringify([main, load, provider === 'ollama' ? s['ollama.model'] : null]);
}

/** A copy with secret values replaced, for logs and the CLI. */
export function redactLaunchCommand(c: LaunchCommand): LaunchCommand {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.env)) env[k] = /API_KEY|TOKEN|SECRET|PASSWORD/i.test(k) ? '<redacted>' : v;
  return { command: c.command, args: [...c.args], env };
}
