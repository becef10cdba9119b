// local-model-router discover: which local servers run, which models they serve.
import { discover, describeProbe, type EndpointProbe } from '../core/route/discovery';
import { createAgent } from '../core/net/http';
import { discoveryTargets } from '../core/route/targets';
import { resolveSettings, lookupFromSettingsJson } from '../core/settings/resolve';
import { PROVIDERS } from '../core/providers';
import { fullKey } from '../core/settings/catalog';
import { modelDetail } from '../core/route/pickerModel';
import { intFlag, parseFlags, readSettingsFile, UsageError, type Subcommand } from './io';

export const discoverCommand: Subcommand = {
  summary: 'probe Ollama, LM Studio, vLLM, llama.cpp and configured endpoints in parallel',
  help: `Usage: local-model-router discover [--json] [--settings FILE] [--timeout-ms N] [--base-url URL]...

Probes every known and configured endpoint in parallel and prints its state and models.

Options:
  --json            machine-readable output (see README: "discover --json")
  --settings FILE   a JSON object shaped like VS Code's settings.json (keys "localModelRouter.…");
                    missing keys take their defaults
  --timeout-ms N    time budget per endpoint (default: the discovery.timeoutMs setting, 1500)
  --base-url URL    also probe this OpenAI-compatible endpoint (repeatable)

Environment: <PROVIDER>_BASE_URL (OLLAMA_, LMSTUDIO_, VLLM_, LLAMACPP_), LOCAL_LLM_BASE_URL, OLLAMA_HOST,
<PROVIDER>_API_KEY, LOCAL_LLM_API_KEY, PRODEX_LOCAL_* (see README). OPENAI_BASE_URL is never used.

Exit status: 0 when at least one endpoint is up, 1 when none is, 2 on usage errors.`,
  async run(args, io) {
    const { values } = parseFlags(args, {
      json: { type: 'boolean' },
      settings: { type: 'string' },
      'timeout-ms': { type: 'string' },
      'base-url': { type: 'string', multiple: true },
    });
    const json = values.settings ? readSettingsFile(values.settings, io.cwd) : {};
    const extra = (values['base-url'] ?? []).map(baseUrl => ({ baseUrl }));
    if (extra.length)
      json[fullKey('openaiCompatible.endpoints')] = [...((json[fullKey('openaiCompatible.endpoints')] as unknown[]) ?? []), ...extra];
    const settings = resolveSettings(lookupFromSettingsJson(json), io.env, true);
    for (const p of settings.problems) io.err(`warning: ${p}`);
    const { targets, problems } = discoveryTargets(settings, io.env);
    if (problems.length && extra.length && problems.some(p => extra.some(e => p.includes(e.baseUrl))))
      throw new UsageError(problems.join('\n'));
    for (const p of problems) io.err(`warning: ${p}`);
    const timeoutMs = intFlag('timeout-ms', values['timeout-ms'], 1) ?? settings.values['discovery.timeoutMs'];
    const t0 = performance.now();
    // Its own pool, closed at once: a CLI must not wait for keep-alive sockets before exiting.
    const dispatcher = createAgent(Math.min(1_000, timeoutMs));
    const probes = await discover(targets, { timeoutMs, dispatcher }).finally(() => void dispatcher.close());
    const ms = Math.round(performance.now() - t0);
    if (values.json) io.out(JSON.stringify(toJson(probes, ms), null, 2));
    else io.out(toText(probes, ms));
    return probes.some(p => p.result.kind === 'up') ? 0 : 1;
  },
};

/** The stable JSON shape documented in the README. No keys, ever. */
export function toJson(probes: readonly EndpointProbe[], ms: number) {
  return {
    ms,
    endpoints: probes.map(p => {
      const r = p.result;
      const base = {
        provider: p.provider,
        label: p.label ?? PROVIDERS[p.provider].displayName,
        baseUrl: p.baseUrl,
        source: p.source,
        state: r.kind,
        ms: r.ms,
      };
      switch (r.kind) {
        case 'up':
          return {
            ...base,
            server: r.server,
            models: r.models.map(m => ({
              id: m.id,
              contextWindow: m.contextWindow ?? null,
              contextSource: m.contextSource ?? null,
              tools: m.tools ?? null,
            })),
          };
        case 'error':
          return { ...base, status: r.status ?? null, message: r.message };
        case 'unauthorized':
          return { ...base, status: r.status, message: r.message };
        default:
          return { ...base, message: r.message };
      }
    }),
  };
}

export function toText(probes: readonly EndpointProbe[], ms: number): string {
  const lines: string[] = [];
  for (const p of probes) {
    const r = p.result;
    const name = p.label ?? PROVIDERS[p.provider].displayName;
    lines.push(
      `${name.padEnd(18)} ${p.baseUrl.padEnd(32)} ${describeProbe(r)}${r.kind === 'up' ? (r.server.version ? ` (${r.server.kind} ${r.server.version})` : ` (${r.server.kind})`) : r.kind === 'down' ? '' : `: ${r.message}`}`,
    );
    if (r.kind === 'up') for (const m of r.models) lines.push(`    ${m.id}  —  ${modelDetail(m)}`);
  }
  lines.push(`(${probes.length} endpoints in ${ms} ms)`);
  return lines.join('\n');
}
