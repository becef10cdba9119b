// Every setting the extension declares, defined once. package.json's contributes.configuration is
// generated from this file plus docs.ts (`npm run gen:manifest`), and a unit test fails when they drift.
// The CLI reads defaults from here; the extension reads the same values through VS Code.

import { CLAUDE_STAGE_IDS, CODEX_STAGE_IDS } from '../verify/types';
import { OWN_DEFAULT_PORTS } from '../providers';
import { NON_FUNCTION_TOOLS_MODES } from '../codex/nonFunctionTools';
import { BRIDGE_USE_MODES, DEFAULT_BRIDGE_PORT } from '../bridge/facts';

export type SettingScope = 'application' | 'machine' | 'machine-overridable' | 'window' | 'resource';

interface Base<T> {
  default: T;
  /**
   * Which settings files VS Code takes the value from (layers.ts has the rules):
   * - `window`: how the extension behaves; User settings (in a remote window also the remote
   *   machine's) and workspace settings.
   * - `machine-overridable`: names a program, a model file, a port or a URL on the machine the
   *   extension runs on (extensionKind workspace: in a remote window, the remote machine). There only
   *   the remote machine's settings apply: a path on the laptop means nothing on the server. A trusted
   *   workspace may set its own (one project, one model); `restricted` keeps an untrusted one out.
   * - `machine`: the same, and never from a workspace, for what a project must not decide: whether
   *   keys go into terminals, which Codex home is edited, and the safety switches of those edits.
   * None is `application` (the local machine's settings only): nothing here is about the local UI.
   */
  scope: SettingScope;
  /** Names an executable, arguments, environment, a model path, a script, or where keys are sent:
   * listed in restrictedConfigurations, and its workspace value is ignored in untrusted workspaces. */
  restricted?: boolean;
  /** The server wrapper's environment variable this setting mirrors (PRODEX_LOCAL_*). */
  env?: string;
  /** The llama-server flag the value becomes. */
  flag?: string;
}
export type SettingDef =
  | (Base<string> & { type: 'string'; enum?: readonly string[] })
  | (Base<number> & { type: 'integer' | 'number'; minimum?: number; maximum?: number })
  | (Base<boolean> & { type: 'boolean' })
  | (Base<string[]> & { type: 'array'; items: { type: 'string'; enum?: readonly string[] } })
  | (Base<Record<string, string>> & { type: 'object' })
  | (Base<unknown[]> & { type: 'array'; items: { type: 'object' } });

const launch = { scope: 'machine-overridable', restricted: true } as const;

/** vLLM's registered tool-call parsers (vllm/tool_parsers/__init__.py). */
export const VLLM_TOOL_PARSERS = [
  'apertus',
  'cohere_command3',
  'cohere_command4',
  'deepseek_v3',
  'deepseek_v31',
  'deepseek_v32',
  'deepseek_v4',
  'ernie45',
  'functiongemma',
  'gemma4',
  'gigachat3',
  'glm45',
  'glm47',
  'granite',
  'granite-20b-fc',
  'granite4',
  'hermes',
  'hunyuan_a13b',
  'hy_v3',
  'inkling',
  'internlm',
  'jamba',
  'kimi_k2',
  'kimi_k3',
  'lfm2',
  'llama3_json',
  'llama4_json',
  'llama4_pythonic',
  'longcat',
  'mimo',
  'minicpm5',
  'minimax_m2',
  'minimax_m3',
  'mistral',
  'olmo3',
  'openai',
  'phi4_mini_json',
  'poolside_v1',
  'pythonic',
  'qwen3_coder',
  'qwen3_xml',
  'seed_oss',
  'solar_open2',
  'step3',
  'step3p5',
  'xlam',
] as const;

export const CACHE_TYPES = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q4_1', 'iq4_nl', 'q5_0', 'q5_1'] as const;

export const SETTINGS = {
  // ── discovery and the status bar ──
  'discovery.timeoutMs': { type: 'integer', default: 1500, minimum: 100, maximum: 60000, scope: 'window' },
  'discovery.refreshIntervalSeconds': { type: 'integer', default: 30, minimum: 0, maximum: 3600, scope: 'window' },
  'discovery.probeLlamaServerDefaultPort': { type: 'boolean', default: true, scope: 'window' },

  // ── terminals ──
  'terminal.routeTargets': {
    type: 'array',
    items: { type: 'string', enum: ['localLlm', 'provider', 'codexOss', 'claudeCode'] },
    default: ['localLlm', 'provider', 'codexOss'],
    scope: 'window',
  },
  'terminal.includeApiKey': { type: 'boolean', default: false, scope: 'machine', restricted: true },

  // ── launching servers (common) ──
  'launch.readyTimeoutSeconds': { type: 'integer', default: 600, minimum: 5, maximum: 7200, scope: 'machine-overridable' },

  // ── verification ──
  'verify.timeoutMs': { type: 'integer', default: 120000, minimum: 1000, maximum: 1800000, scope: 'window' },
  'verify.skipStages': {
    type: 'array',
    items: { type: 'string', enum: [...new Set<string>([...CODEX_STAGE_IDS, ...CLAUDE_STAGE_IDS])] },
    default: ['chat-completions'],
    scope: 'window',
  },
  'verify.agents': { type: 'array', items: { type: 'string', enum: ['codex', 'claude'] }, default: ['codex', 'claude'], scope: 'window' },

  // ── Codex ──
  'codex.executable': { type: 'string', default: 'codex', ...launch },
  'codex.home': { type: 'string', default: '', scope: 'machine', restricted: true },
  'codex.profileName': { type: 'string', default: '', scope: 'window' },
  'codex.previewChanges': { type: 'boolean', default: true, scope: 'machine' },
  'codex.disableNonFunctionTools': { type: 'string', enum: NON_FUNCTION_TOOLS_MODES, default: 'auto', scope: 'window' },
  'codex.autoCompactFraction': { type: 'number', default: 0.75, minimum: 0.1, maximum: 0.95, scope: 'window' },
  'codex.validateAfterWrite': { type: 'boolean', default: true, scope: 'machine' },

  // ── Claude Code ──
  'claude.executable': { type: 'string', default: 'claude', ...launch },
  'claude.settingsScope': { type: 'string', enum: ['ask', 'project', 'user'], default: 'ask', scope: 'window' },
  'claude.disableThinking': { type: 'boolean', default: false, scope: 'window' },

  // ── the route bridge ──
  'bridge.use': { type: 'string', enum: BRIDGE_USE_MODES, default: 'auto', scope: 'window' },
  'bridge.debugLog': { type: 'boolean', default: false, scope: 'machine' },
  'bridge.port': {
    type: 'integer',
    default: DEFAULT_BRIDGE_PORT,
    minimum: 1024,
    maximum: 65535,
    scope: 'machine-overridable',
    restricted: true,
  },

  // ── per provider: where it listens ──
  'ollama.baseUrl': { type: 'string', default: '', scope: 'machine-overridable', restricted: true },
  'lmstudio.baseUrl': { type: 'string', default: '', scope: 'machine-overridable', restricted: true },
  'vllm.baseUrl': { type: 'string', default: '', scope: 'machine-overridable', restricted: true },
  'llamacpp.baseUrl': { type: 'string', default: '', scope: 'machine-overridable', restricted: true },
  'openaiCompatible.baseUrl': { type: 'string', default: '', scope: 'machine-overridable', restricted: true },
  'openaiCompatible.endpoints': {
    type: 'array',
    items: { type: 'object' },
    default: [] as unknown[],
    scope: 'machine-overridable',
    restricted: true,
  },

  // ── llama.cpp (llama-server): mirrors the server wrapper's PRODEX_LOCAL_* variables ──
  'llamacpp.executable': { type: 'string', default: 'llama-server', ...launch },
  'llamacpp.modelPath': { type: 'string', default: '', ...launch, env: 'PRODEX_LOCAL_MODEL_PATH', flag: '-m' },
  'llamacpp.host': { type: 'string', default: '127.0.0.1', ...launch, env: 'PRODEX_LOCAL_HOST', flag: '--host' },
  'llamacpp.port': { type: 'integer', default: 8131, minimum: 1, maximum: 65535, ...launch, env: 'PRODEX_LOCAL_PORT', flag: '--port' },
  'llamacpp.modelAlias': { type: 'string', default: 'local/model', ...launch, env: 'PRODEX_LOCAL_MODEL_ALIAS', flag: '--alias' },
  'llamacpp.gpuLayers': { type: 'integer', default: -1, minimum: -1, ...launch, env: 'PRODEX_LOCAL_GPU_LAYERS', flag: '--n-gpu-layers' },
  'llamacpp.threads': { type: 'integer', default: -1, minimum: -1, ...launch, env: 'PRODEX_LOCAL_THREADS', flag: '--threads' },
  'llamacpp.contextSize': { type: 'integer', default: 16384, minimum: 0, ...launch, env: 'PRODEX_LOCAL_CONTEXT', flag: '--ctx-size' },
  'llamacpp.batchSize': { type: 'integer', default: 256, minimum: 1, ...launch, env: 'PRODEX_LOCAL_BATCH', flag: '--batch-size' },
  'llamacpp.ubatchSize': { type: 'integer', default: 256, minimum: 1, ...launch, env: 'PRODEX_LOCAL_UBATCH', flag: '--ubatch-size' },
  'llamacpp.chatTemplate': { type: 'string', default: '', ...launch, env: 'PRODEX_LOCAL_CHAT_TEMPLATE', flag: '--chat-template' },
  'llamacpp.autoCompactTokenLimit': { type: 'integer', default: 14000, minimum: 0, ...launch, env: 'PRODEX_LOCAL_AUTO_COMPACT_LIMIT' },
  'llamacpp.parallel': { type: 'integer', default: 1, minimum: -1, ...launch, flag: '--parallel' },
  'llamacpp.flashAttention': { type: 'string', enum: ['on', 'off', 'auto'], default: 'auto', ...launch, flag: '--flash-attn' },
  'llamacpp.jinja': { type: 'boolean', default: true, ...launch, flag: '--jinja' },
  'llamacpp.keep': { type: 'integer', default: 1024, minimum: -1, ...launch, flag: '--keep' },
  'llamacpp.cacheTypeK': { type: 'string', enum: CACHE_TYPES, default: 'q8_0', ...launch, flag: '--cache-type-k' },
  'llamacpp.cacheTypeV': { type: 'string', enum: CACHE_TYPES, default: 'q8_0', ...launch, flag: '--cache-type-v' },
  'llamacpp.reasoning': { type: 'string', enum: ['on', 'off', 'auto'], default: 'off', ...launch, flag: '--reasoning' },
  'llamacpp.extraArgs': { type: 'array', items: { type: 'string' }, default: [] as string[], ...launch },
  'llamacpp.wrapperScript': { type: 'string', default: '', ...launch },

  // ── vLLM ──
  'vllm.executable': { type: 'string', default: 'vllm', ...launch },
  'vllm.model': { type: 'string', default: '', ...launch },
  'vllm.servedModelName': { type: 'string', default: '', ...launch },
  'vllm.host': { type: 'string', default: '127.0.0.1', ...launch },
  'vllm.port': { type: 'integer', default: OWN_DEFAULT_PORTS.vllm, minimum: 1, maximum: 65535, ...launch },
  'vllm.maxModelLen': { type: 'integer', default: 32768, minimum: 0, ...launch },
  'vllm.enableAutoToolChoice': { type: 'boolean', default: true, ...launch },
  'vllm.toolCallParser': { type: 'string', enum: VLLM_TOOL_PARSERS, default: 'hermes', ...launch },
  'vllm.gpuMemoryUtilization': { type: 'number', default: 0, minimum: 0, maximum: 1, ...launch },
  'vllm.extraArgs': { type: 'array', items: { type: 'string' }, default: [] as string[], ...launch },

  // ── Ollama ──
  'ollama.executable': { type: 'string', default: 'ollama', ...launch },
  'ollama.host': { type: 'string', default: '', ...launch },
  'ollama.contextLength': { type: 'integer', default: 32768, minimum: 0, ...launch },
  'ollama.modelsDir': { type: 'string', default: '', ...launch },
  'ollama.model': { type: 'string', default: '', ...launch },

  // ── LM Studio ──
  'lmstudio.lmsPath': { type: 'string', default: 'lms', ...launch },
  'lmstudio.port': { type: 'integer', default: OWN_DEFAULT_PORTS.lmstudio, minimum: 1, maximum: 65535, ...launch },
  'lmstudio.modelKey': { type: 'string', default: '', ...launch },
  'lmstudio.contextLength': { type: 'integer', default: 32768, minimum: 0, ...launch },
  'lmstudio.identifier': { type: 'string', default: '', ...launch },
} as const satisfies Record<string, SettingDef>;

export type SettingKey = keyof typeof SETTINGS;
/** The part before the first dot: one group per section of the Settings editor ('llamacpp'). */
export type SettingGroup = SettingKey extends `${infer G}.${string}` ? G : never;
export const SECTION = 'localModelRouter';
/** The key as it appears in settings.json and in messages: `localModelRouter.llamacpp.port`. */
export const fullKey = (k: SettingKey | SettingGroup) => `${SECTION}.${k}` as const;

type Widen<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends readonly (infer U)[]
        ? Widen<U>[]
        : T;
export type SettingValue<K extends SettingKey> = Widen<(typeof SETTINGS)[K]['default']>;
export type Settings = { [K in SettingKey]: SettingValue<K> };

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];
export const RESTRICTED_KEYS = SETTING_KEYS.filter(k => (SETTINGS[k] as SettingDef).restricted);
export const MIRRORED_KEYS = SETTING_KEYS.filter(k => (SETTINGS[k] as SettingDef).env);
