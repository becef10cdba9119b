// Descriptions for package.json, kept apart from catalog.ts so the runtime bundles stay small.
// Only the manifest generator (test/tools/gen-manifest.ts) reads this file.
import type { SettingKey } from './catalog';

export const DOCS: Record<SettingKey, { md: string; enumDescriptions?: string[] }> = {
  'discovery.timeoutMs': {
    md: 'Time budget in milliseconds for probing one server (connect, headers and the follow-up requests for context windows). Probes run in parallel.',
  },
  'discovery.refreshIntervalSeconds': {
    md: 'Re-probe servers in the background every this many seconds, **only while this window is focused**. `0` turns background probing off; the picker always probes when opened.',
  },
  'discovery.probeLlamaServerDefaultPort': {
    md: "Also probe `llama-server`'s own default port 8080 besides `#localModelRouter.llamacpp.port#`.",
  },
  'terminal.routeTargets': {
    md: 'Which variables new integrated terminals receive for the active route. `localLlm`: `LOCAL_LLM_BASE_URL` (and the key, see `#localModelRouter.terminal.includeApiKey#`); `provider`: `<PROVIDER>_BASE_URL` such as `OLLAMA_BASE_URL`; `codexOss`: `CODEX_OSS_BASE_URL` for Ollama and LM Studio routes, so `codex --oss -m <model>` uses the chosen server; `claudeCode`: `ANTHROPIC_BASE_URL` (the route bridge where Claude Code goes through it: opening the terminal starts the bridge), the model for every Claude Code tier and the context window, so `claude` uses the route (off by default: it also overrides a cloud login in those terminals). Existing terminals keep their old values until reopened.',
  },
  'terminal.includeApiKey': {
    md: "Also place the route's API key (from the OS keychain via SecretStorage) into new terminals as `LOCAL_LLM_API_KEY` / `<PROVIDER>_API_KEY`. Off by default: any program in the terminal can read it.",
  },
  'launch.readyTimeoutSeconds': {
    md: 'How long to wait for a started server to serve (`/health` or `/v1/models`). Large models can take minutes to load.',
  },
  'verify.timeoutMs': { md: 'Upper bound for one verification request (the Codex-shaped request on a slow CPU model is the longest).' },
  'verify.agents': {
    md: "Which agents **Verify Route** checks the route for: Codex (the Responses API, `/v1/responses`) and Claude Code (Anthropic's Messages API, `/v1/messages`). Each has its own stages and its own verdict in the status bar and the picker.",
  },
  'verify.skipStages': {
    md: "Verification stages to skip. `chat-completions` is informational (Codex never uses it) and skipped by default. `multi-turn` sends a session's second turn back as Codex does (history and a late developer message); `tool-types` tells which of Codex's MCP (namespace), custom and web-search tools the server takes, drops or refuses.",
  },
  'codex.executable': {
    md: 'The Codex CLI to run (`codex` on `PATH` by default). Used to read its version, validate written profiles with `--strict-config` and open Codex on the active route.',
  },
  'codex.home': { md: "Codex's configuration folder. Empty: `CODEX_HOME` from the environment, else `~/.codex`." },
  'codex.profileName': {
    md: 'Name of the Codex profile written for a route (`<name>.config.toml`, used as `codex -p <name>`). Empty: `local-<provider>`.',
  },
  'codex.previewChanges': { md: 'Show a diff and ask before writing Codex configuration files.' },
  'codex.disableNonFunctionTools': {
    md: "Turn off Codex's non-function tools in profiles: `web_search = \"disabled\"`, `[agents] enabled = false` and `[mcp_servers.<name>] enabled = false` for each MCP server of your `config.toml` (Codex sends MCP tools as `namespace` tools). Some servers refuse them (\"'type' of tool must be 'function'\", LM Studio's `tools.N.type`), others return their calls without the namespace. Verify Route checks it and judges Codex's turns as the profile will send them.",
    enumDescriptions: [
      'Off on a route where the last verification saw the server refuse them, or return their calls without the namespace.',
      'Always off (MCP servers stay on: only the route a verification judged gets them turned off).',
      'Never: Codex sends them (it fails on a server that refuses them).',
    ],
  },
  'codex.autoCompactFraction': {
    md: "When the llama.cpp `autoCompactTokenLimit` does not apply, profiles set `model_auto_compact_token_limit` to this fraction of the server's context window.",
  },
  'codex.validateAfterWrite': {
    md: 'After writing a profile, run the installed Codex with `--strict-config` (no request is sent) and show its own error if the file is refused.',
  },
  'claude.executable': {
    md: 'The Claude Code CLI that **Open Claude Code on This Route** runs (`claude` on `PATH` by default; `npm i -g @anthropic-ai/claude-code`).',
  },
  'claude.settingsScope': {
    md: "Where **Write Claude Code Settings…** writes: `project` — this folder's `.claude/settings.local.json` (personal, not checked in); `user` — `~/.claude/settings.json` (every project). `ask` asks each time.",
    enumDescriptions: ['Ask each time.', 'This folder: .claude/settings.local.json.', 'Every project: ~/.claude/settings.json.'],
  },
  'claude.disableThinking': {
    md: 'Claude Code asks every model for thinking; servers that refuse it ("does not support thinking") fail every turn. On: Claude Code is started, and its settings written, with `CLAUDE_CODE_DISABLE_THINKING=1`. Verify offers it when a server refuses thinking.',
  },
  'bridge.use': {
    md: "Whether **Write Codex Profile**, **Write Claude Code Settings**, **Open Codex** and **Open Claude Code** send the agent through the route bridge (Codex's Responses API and Claude Code's Messages API on 127.0.0.1, over the server's chat completions, with the repairs Verify Route found necessary). The bridge runs in this window while the agent needs it; outside VS Code run `local-model-router bridge --port <port> --upstream <server URL>`.",
    enumDescriptions: [
      'Through the bridge where the last verification proved it helps: it failed directly and passed through the bridge, or lost MCP tools directly and kept them through it, or failed through the bridge only where it failed directly too. Directly otherwise.',
      'Always through the bridge.',
      'Never: the agent talks to the server directly.',
    ],
  },
  'bridge.debugLog': {
    md: "Show each request's body and the server's stream in the route bridge's terminal (prompts and answers included; never the key). Off: one line per request (method, path, status, time, the repairs applied).",
  },
  'bridge.port': {
    md: 'The loopback port the route bridge listens on. Profiles and settings written for the bridge name it: after changing it, write them again.',
  },
  'ollama.baseUrl': {
    md: "Ollama's OpenAI-compatible base URL. Empty: `OLLAMA_BASE_URL`, then `OLLAMA_HOST`, then `LOCAL_LLM_BASE_URL`, then `http://127.0.0.1:11434/v1`.",
  },
  'lmstudio.baseUrl': {
    md: "LM Studio's base URL. Empty: `LMSTUDIO_BASE_URL`, then `LOCAL_LLM_BASE_URL`, then `http://127.0.0.1:1234/v1`.",
  },
  'vllm.baseUrl': { md: "vLLM's base URL. Empty: `VLLM_BASE_URL`, then `LOCAL_LLM_BASE_URL`, then `http://127.0.0.1:8000/v1`." },
  'llamacpp.baseUrl': {
    md: "`llama-server`'s base URL. Empty: `LLAMACPP_BASE_URL`, then `LOCAL_LLM_BASE_URL`, then `http://<host>:<port>/v1` from the settings below (and port 8080).",
  },
  'openaiCompatible.baseUrl': { md: 'Base URL of any other OpenAI-compatible server (must serve `/v1/responses` for Codex).' },
  'openaiCompatible.endpoints': {
    md: 'More OpenAI-compatible endpoints: `[{ "label": "GPU box", "baseUrl": "http://127.0.0.1:9000/v1" }]`. Keys are kept in SecretStorage (command **Set API Key…**), never here.',
  },
  'llamacpp.executable': {
    md: 'The `llama-server` program: a name on `PATH` or a full path. llama.cpp releases ship it (github.com/ggml-org/llama.cpp/releases); Homebrew, winget and most Linux distributions package it too.',
  },
  'llamacpp.modelPath': {
    md: 'GGUF model file (`-m`). Required to start llama-server (command **Choose the llama.cpp Model File…**); for its router mode on purpose, put `--models-dir <folder>` in `#localModelRouter.llamacpp.extraArgs#`. Mirrors `PRODEX_LOCAL_MODEL_PATH`.',
  },
  'llamacpp.host': {
    md: 'Address to bind (`--host`). Mirrors `PRODEX_LOCAL_HOST`. Anything but loopback makes the server reachable from other machines and asks first.',
  },
  'llamacpp.port': { md: 'Port (`--port`). Mirrors `PRODEX_LOCAL_PORT`.' },
  'llamacpp.modelAlias': { md: 'Model name the server reports and Codex sends (`--alias`). Mirrors `PRODEX_LOCAL_MODEL_ALIAS`.' },
  'llamacpp.gpuLayers': {
    md: "Layers to offload to the GPU (`--n-gpu-layers`). `-1` (default): left to llama-server, which fits as many layers as this machine's GPU holds (none without one). The server wrapper's fixed 20 does not fit every machine; set it, or `PRODEX_LOCAL_GPU_LAYERS`, to choose. Mirrors `PRODEX_LOCAL_GPU_LAYERS`.",
  },
  'llamacpp.threads': {
    md: "CPU threads (`--threads`). `-1` (default): left to llama-server, which uses this machine's cores. The server wrapper's fixed 8 oversubscribes a smaller machine; set it, or `PRODEX_LOCAL_THREADS`, to choose. Mirrors `PRODEX_LOCAL_THREADS`.",
  },
  'llamacpp.contextSize': {
    md: "Context size in tokens (`--ctx-size`). Codex's first request is about 2k tokens through a written profile (6–9k without one) and grows with every tool result: 16384 is the practical minimum; Claude Code needs 32768 or more. Mirrors `PRODEX_LOCAL_CONTEXT`.",
  },
  'llamacpp.batchSize': { md: 'Logical batch size (`--batch-size`). Mirrors `PRODEX_LOCAL_BATCH`.' },
  'llamacpp.ubatchSize': { md: 'Physical batch size (`--ubatch-size`). Mirrors `PRODEX_LOCAL_UBATCH`.' },
  'llamacpp.chatTemplate': {
    md: "Chat template (`--chat-template`). Empty (default): the model's own template, which carries tool calls; when it refuses a system message after the first (\"System message must be at the beginning\", Qwen3.5 and others — Codex sends several), Start Server passes a copy with that check relaxed (`--chat-template-file`). The server wrapper's `chatml` accepts the order but has no tool support: llama-server then drops Codex's tools without a word. A value here, or `PRODEX_LOCAL_CHAT_TEMPLATE`, wins. Mirrors `PRODEX_LOCAL_CHAT_TEMPLATE`.",
  },
  'llamacpp.autoCompactTokenLimit': {
    md: 'Written into Codex profiles as `model_auto_compact_token_limit` (keep it below the context size). Mirrors `PRODEX_LOCAL_AUTO_COMPACT_LIMIT`.',
  },
  'llamacpp.parallel': { md: 'Slots (`--parallel`). The context is split between slots: keep 1 for one agent.' },
  'llamacpp.flashAttention': {
    md: 'Flash attention (`--flash-attn`): faster and smaller with a quantized KV cache where the backend supports it.',
    enumDescriptions: ['On.', 'Off.', 'Let llama-server decide.'],
  },
  'llamacpp.jinja': { md: 'Use the Jinja template engine (`--jinja`); needed for tool calls.' },
  'llamacpp.keep': { md: 'Tokens of the initial prompt to keep when the context shifts (`--keep`).' },
  'llamacpp.cacheTypeK': {
    md: "KV cache type for K (`--cache-type-k`): `q8_0` halves the cache's memory, leaving room for a longer context.",
  },
  'llamacpp.cacheTypeV': {
    md: "KV cache type for V (`--cache-type-v`): `q8_0` halves the cache's memory, leaving room for a longer context.",
  },
  'llamacpp.reasoning': {
    md: 'Reasoning (`--reasoning`). `off` keeps thinking tokens out of tool calls for most local coding models.',
    enumDescriptions: ['On.', 'Off.', 'Let llama-server decide.'],
  },
  'llamacpp.extraArgs': { md: 'More arguments for `llama-server`, one per array element (never parsed by a shell).' },
  'llamacpp.wrapperScript': {
    md: 'Run your own wrapper script instead of `llama-server`; it receives every setting above as its `PRODEX_LOCAL_*` variable.',
  },
  'vllm.executable': {
    md: 'The `vllm` program that **Start Server** runs as `vllm serve`: a name on `PATH` or a full path (often inside a Python virtual environment).',
  },
  'vllm.model': { md: 'Model to serve (`vllm serve <model>`): a Hugging Face id or a local path.' },
  'vllm.servedModelName': { md: 'Name the server reports (`--served-model-name`). Empty: the model.' },
  'vllm.host': { md: "Address to bind (`--host`). vLLM's own default is all interfaces; this defaults to loopback." },
  'vllm.port': { md: "Port of vLLM's server (`--port`), and where the extension looks for it." },
  'vllm.maxModelLen': { md: "Context length (`--max-model-len`). `0`: the model's own." },
  'vllm.enableAutoToolChoice': { md: 'Pass `--enable-auto-tool-choice` (tool calls need it, with a parser).' },
  'vllm.toolCallParser': { md: 'Tool-call parser for the model family (`--tool-call-parser`).' },
  'vllm.gpuMemoryUtilization': { md: "Fraction of GPU memory to use (`--gpu-memory-utilization`). `0`: vLLM's default." },
  'vllm.extraArgs': { md: 'More arguments for `vllm serve`, one per array element.' },
  'ollama.executable': { md: 'The `ollama` program that **Start Server** runs as `ollama serve`: a name on `PATH` or a full path.' },
  'ollama.host': {
    md: 'Where Ollama listens (`host:port`): `OLLAMA_HOST` for `ollama serve`, and where the extension looks for it. Empty: `OLLAMA_HOST` from the environment, else `127.0.0.1:11434`.',
  },
  'ollama.contextLength': {
    md: "`OLLAMA_CONTEXT_LENGTH` for `ollama serve`. Ollama's default (4k–32k by VRAM) silently drops Codex's prompt. `0`: Ollama's default.",
  },
  'ollama.modelsDir': { md: "`OLLAMA_MODELS` for `ollama serve`. Empty: Ollama's default." },
  'ollama.model': { md: 'Model to make sure of: pulled after the server starts when missing.' },
  'lmstudio.lmsPath': {
    md: "LM Studio's `lms` command line (installed with the app in `~/.lmstudio/bin/lms`): starts the app's server and loads models.",
  },
  'lmstudio.port': { md: "Port of LM Studio's server (`lms server start --port`), and where the extension looks for it." },
  'lmstudio.modelKey': { md: 'Model to load after the server starts (`lms load <model>`), as `lms ls` lists it.' },
  'lmstudio.contextLength': { md: "Context length for `lms load --context-length`. `0`: LM Studio's default." },
  'lmstudio.identifier': { md: 'Identifier the loaded model gets (`lms load --identifier`). Empty: the model key.' },
};
