// `local-model-router bridge`: the route bridge on 127.0.0.1, Codex's Responses API and Claude Code's
// Messages API over a server that has only chat completions (or Codex's passed through to the
// server's own Responses API, repaired; or Claude Code's translated onto it), until Ctrl+C.
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { DEFAULT_BRIDGE_PORT } from '../core/bridge/facts';
import { intFlag, parseFlags, UsageError, type Subcommand } from './io';
import { normalizeBaseUrl } from '../core/endpoints';
import { DEFAULT_REPAIRS, type RepairSwitches } from '../core/bridge/adapter';
import { startBridge } from '../core/bridge/server';
import { bridgeAdapters } from '../core/bridge/decide';
import type { BridgeUpstreamApi } from '../core/verify/types';

/** The repairs by the names --no-repair takes. */
const REPAIR_NAMES: Record<string, (r: RepairSwitches) => RepairSwitches> = {
  'namespace-tools': r => ({ ...r, namespaceTools: false }),
  'custom-tools': r => ({ ...r, customTools: false }),
  'hosted-tools': r => ({ ...r, dropHostedTools: false }),
  'image-in-tool-result': r => ({ ...r, imageInToolResult: 'keep' }),
  'late-system': r => ({ ...r, lateSystem: false }),
  'replay-status': r => ({ ...r, replayStatus: false }),
  'text-format': r => ({ ...r, textFormat: false }),
};

const UPSTREAM_APIS: readonly BridgeUpstreamApi[] = ['chat', 'responses'];

const HELP = `Usage: local-model-router bridge --upstream <base url> [--upstream-api chat|responses]
         [--claude-upstream-api chat|responses] [--port N] [--api-key-env NAME] [--no-repair <name>]...
         [--debug-log]

Serves Codex's Responses API (POST /v1/responses) and Claude Code's Messages API (POST /v1/messages,
/v1/messages/count_tokens: an estimate) on 127.0.0.1 over a server that has only chat completions
(mlx_lm.server, llama-cpp-python, TGI, older vLLM, LM Studio and Ollama), and repairs what local
servers get wrong for Codex. Prints its base URL when it listens; point Codex's provider base_url
at it, or Claude Code's ANTHROPIC_BASE_URL (without /v1). GET /v1/models is passed through. Runs
until Ctrl+C.

Options:
  --upstream URL       the server's base URL, e.g. http://127.0.0.1:8080/v1 (chat completions at
                       <URL>/chat/completions)
  --upstream-api API   what Codex's requests go to (default chat):
                       chat       the server's chat completions, translated (no /v1/responses, MCP
                                  tools dropped or refused, a strict template, …)
                       responses  the server's own <URL>/responses, passed through with only the
                                  replay-status and text-format repairs, its stream sent back as it
                                  comes (vLLM 0.19.1 refusing replayed history without status, LM
                                  Studio refusing text without format); local-model-router verify
                                  names the mode its verdict needs
  --claude-upstream-api API
                       what Claude Code's requests go to (default chat):
                       chat       the server's chat completions, translated
                       responses  the server's own <URL>/responses, translated (a server with the
                                  Responses API and neither chat completions nor /v1/messages);
                                  local-model-router verify names the mode its verdict needs
  --port N             port on 127.0.0.1 (default ${DEFAULT_BRIDGE_PORT}, where Write Codex Profile and
                       Write Claude Code Settings point an agent; 0: any free port)
  --api-key-env NAME   send the key in this environment variable to the upstream (only there)
  --no-repair NAME     turn one repair off (repeatable): ${Object.keys(REPAIR_NAMES).join(', ')}
  --debug-log          log request bodies and the upstream's stream to stderr (prompts included)

Requests are logged one line each on stderr (method, path, status, time, repairs applied).
Exit codes: 0 stopped with Ctrl+C (or SIGTERM), 1 could not listen, 2 usage error.`;

const FLAGS = {
  upstream: { type: 'string' },
  'upstream-api': { type: 'string' },
  'claude-upstream-api': { type: 'string' },
  port: { type: 'string' },
  'api-key-env': { type: 'string' },
  'no-repair': { type: 'string', multiple: true },
  'debug-log': { type: 'boolean' },
} as const;

export const bridgeCommand: Subcommand = {
  summary: "Serve Codex's Responses API and Claude Code's Messages API over a server that has only chat completions",
  help: HELP,
  async run(args, io) {
    const { values: f } = parseFlags(args, FLAGS);
    if (f.upstream === undefined) throw new UsageError('--upstream is required');
    const upstream = normalizeBaseUrl(f.upstream);
    if (!upstream.ok) throw new UsageError(upstream.error);
    // The fixed port profiles and settings written for the bridge name (bridge.port); 0: any free port.
    const port = intFlag('port', f.port, 0) ?? DEFAULT_BRIDGE_PORT;
    if (port > 65535) throw new UsageError(`--port must be 0–65535, got ${port}`);
    const upstreamApi = (flag: 'upstream-api' | 'claude-upstream-api'): BridgeUpstreamApi => {
      const api = (f[flag] ?? 'chat') as BridgeUpstreamApi;
      if (!UPSTREAM_APIS.includes(api)) throw new UsageError(`--${flag} takes ${UPSTREAM_APIS.join(' or ')}; not "${f[flag]}"`);
      return api;
    };
    const upstreams = { codex: upstreamApi('upstream-api'), claude: upstreamApi('claude-upstream-api') };
    let repairs = DEFAULT_REPAIRS;
    for (const name of f['no-repair'] ?? []) {
      const off = REPAIR_NAMES[name];
      if (!off) throw new UsageError(`--no-repair takes ${Object.keys(REPAIR_NAMES).join(', ')}; not "${name}"`);
      repairs = off(repairs);
    }
    let apiKey: string | undefined;
    const keyVar = f['api-key-env'];
    if (keyVar !== undefined) {
      apiKey = io.env[keyVar];
      if (!apiKey) throw new UsageError(`--api-key-env ${keyVar}: that variable is not set`);
    }
    const uncap = capYoungGeneration();
    let bridge;
    try {
      bridge = await startBridge({
        upstream: upstream.url,
        adapters: bridgeAdapters(upstreams),
        port,
        apiKey,
        repairs,
        debugLog: f['debug-log'] === true,
        log: line => io.err(line),
      });
    } catch (e) {
      uncap();
      io.err(`local-model-router bridge: cannot listen on 127.0.0.1:${port ?? 0}: ${(e as Error).message}`);
      return 1;
    }
    io.out(bridge.url);
    const codexTo = upstreams.codex === 'responses' ? `${upstream.url}/responses (passed through)` : `${upstream.url}/chat/completions`;
    const claudeTo = upstreams.claude === 'responses' ? `${upstream.url}/responses` : `${upstream.url}/chat/completions`;
    io.err(`bridge: ${bridge.url}/responses → ${codexTo}, ${bridge.url}/messages → ${claudeTo} (Ctrl+C stops it)`);
    await new Promise<void>(resolve => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await bridge.close();
    uncap();
    return 0;
  },
};

/** The young generation's size (both semi-spaces) the bridge process lets V8 grow to, in bytes: at 4 MB a
 * long stream runs at the direct rate and the process holds tens of MiB less than at V8's own 32–64 MB. */
const YOUNG_GENERATION_CAP = 4 * 1024 * 1024;

/**
 * A bridge is a long-lived process of many small requests: V8 grows the young generation to 32 MB
 * (Node 20) or 64 MB (Node 24) of resident pages under their load, while a long stream wants more than
 * V8's first 2 MB (a young generation that small promotes a stream's short-lived objects). Node flags
 * cannot be given to a bin script portably, so its growth is switched at run time: V8 reads
 * --semi-space-growth-factor at each growth, and a cheap look at the heap four times a second turns
 * growth off at the cap and on again below it (V8 shrinks the young generation when idle). `npm run
 * bench`: "bridge process resident memory" and "streaming throughput".
 */
function capYoungGeneration(): () => void {
  let growing = true;
  const timer = setInterval(() => {
    const young = getHeapSpaceStatistics().find(s => s.space_name === 'new_space');
    if (!young) return;
    const grow = young.space_size < YOUNG_GENERATION_CAP;
    if (grow === growing) return;
    growing = grow;
    setFlagsFromString(`--semi-space-growth-factor=${grow ? 2 : 1}`);
  }, 250);
  timer.unref();
  return () => clearInterval(timer);
}
