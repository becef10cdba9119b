// Discovery, in process, through the same `discover` the status bar and the picker use.
//  - all five providers down: five closed loopback ports (connection refused), absolute time;
//  - all five up behind scripted servers answering every request after a fixed 20 ms, vs the
//    slowest single probe (each provider probed alone) and vs the same five probes one after another.
import { discover, type DiscoveryTarget } from '../../src/core/route/discovery';
import type { ProviderId } from '../../src/core/providers';
import { startScriptedServer, type ScriptedKind, type ScriptedServer } from '../support/scripted-server';
import { median, spread, timed } from './lib/stats';
import type { Row } from './lib/report';
import { freePort as closedPort } from '../support/ports';

const PROVIDERS: Array<{ provider: ProviderId; kind: ScriptedKind; models: Array<{ id: string; contextWindow?: number }> }> = [
  { provider: 'llamacpp', kind: 'llamacpp', models: [{ id: 'qwen3-coder-30b', contextWindow: 32768 }] },
  { provider: 'ollama', kind: 'ollama', models: [{ id: 'qwen3:8b' }, { id: 'gpt-oss:20b' }, { id: 'llama3.2:3b' }] },
  { provider: 'vllm', kind: 'vllm', models: [{ id: 'Qwen/Qwen3-8B', contextWindow: 32768 }] },
  { provider: 'lmstudio', kind: 'lmstudio', models: [{ id: 'openai/gpt-oss-20b' }, { id: 'qwen/qwen3-8b' }] },
  { provider: 'openaiCompatible', kind: 'generic', models: [{ id: 'local-model' }] },
];
export const LATENCY_MS = 20;

export async function benchDiscovery(runs: number, log: (s: string) => void): Promise<Row[]> {
  const rows: Row[] = [];

  // --- all down
  const ports = await Promise.all(PROVIDERS.map(() => closedPort()));
  const down: DiscoveryTarget[] = PROVIDERS.map((p, i) => ({
    provider: p.provider,
    baseUrl: `http://127.0.0.1:${ports[i]}/v1`,
    source: 'default',
  }));
  for (let i = 0; i < 3; i++) await discover(down); // warm-up: JIT and the first undici load are not what a refresh costs
  const downMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { ms, value } = await timed(() => discover(down));
    if (!value.every(v => v.result.kind === 'down'))
      throw new Error(`all-down discovery: expected five "down", got ${value.map(v => v.result.kind).join(', ')}`);
    downMs.push(ms);
  }
  log(`discovery all down: ${downMs.map(m => m.toFixed(1)).join(' ')} ms`);
  rows.push({
    section: 'Discovery',
    what: 'All five providers down (closed ports)',
    runs,
    value: median(downMs),
    unit: 'ms',
    target: { kind: 'max', value: 50, unit: 'ms' },
    notes: [`\`discover()\` on five loopback ports nobody listens on (connection refused), after 3 warm-up runs; ${spread(downMs, 1)} ms.`],
  });

  // --- all up, 20 ms per request
  const servers: ScriptedServer[] = [];
  try {
    for (const p of PROVIDERS) servers.push(await startScriptedServer({ kind: p.kind, models: p.models, latencyMs: LATENCY_MS }));
    const up: DiscoveryTarget[] = PROVIDERS.map((p, i) => ({ provider: p.provider, baseUrl: servers[i]!.baseUrl, source: 'setting' }));
    for (let i = 0; i < 3; i++) await discover(up);
    const all: number[] = [];
    const single: number[][] = up.map(() => []);
    const sequential: number[] = [];
    for (let i = 0; i < runs; i++) {
      const a = await timed(() => discover(up));
      if (!a.value.every(v => v.result.kind === 'up'))
        throw new Error(`all-up discovery: ${a.value.map(v => `${v.provider}=${v.result.kind}`).join(', ')}`);
      all.push(a.ms);
      let sum = 0;
      for (let t = 0; t < up.length; t++) {
        const one = await timed(() => discover([up[t]!]));
        single[t]!.push(one.ms);
        sum += one.ms;
      }
      sequential.push(sum);
    }
    const perProvider = single.map(median);
    const slowest = Math.max(...perProvider);
    const slowestName = PROVIDERS[perProvider.indexOf(slowest)]!.provider;
    const requests = servers.map(s => s.requests.length);
    log(`discovery all up: ${all.map(m => m.toFixed(1)).join(' ')} ms; single medians ${perProvider.map(m => m.toFixed(1)).join(' ')}`);
    rows.push({
      section: 'Discovery',
      what: `All five up, ${LATENCY_MS} ms per request, vs the slowest single probe`,
      runs,
      value: median(all),
      unit: 'ms',
      baseline: { what: `slowest single probe: ${slowestName}`, value: slowest },
      target: { kind: 'ratio-max', value: 1.3 },
      notes: [
        `Scripted llama.cpp, Ollama (3 models), vLLM, LM Studio and generic servers, each answering every request after ${LATENCY_MS} ms. A probe is \`GET /v1/models\` plus the follow-ups the provider needs (llama.cpp \`/props\`, Ollama \`/api/version\` and one \`/api/show\` per model), so the slowest single probe is two round trips.`,
        `All five: ${spread(all, 1)} ms. Single probes (median ms): ${PROVIDERS.map((p, i) => `${p.provider} ${perProvider[i]!.toFixed(1)}`).join(', ')}.`,
        `Requests the servers saw over the whole row (warm-up included): ${PROVIDERS.map((p, i) => `${p.provider} ${requests[i]}`).join(', ')}.`,
      ],
    });
    rows.push({
      section: 'Discovery',
      what: 'All five up vs the same probes one after another',
      runs,
      value: median(all),
      unit: 'ms',
      baseline: { what: 'sum of the five single probes', value: median(sequential) },
      target: { kind: 'info' },
      notes: [
        `Baseline: each provider probed alone, one after another, same run; ${spread(sequential, 1)} ms. The ratio is what probing in parallel saves.`,
      ],
    });
  } finally {
    await Promise.all(servers.map(s => s.close()));
  }
  return rows;
}
