// Where a server listens is decided once (core/servers.ts listenAddress): `launch-command` (what
// Start Server runs) and `discover --settings` (where the picker looks) print the same base URL for
// every provider, over a table of non-default listen settings — the port bug of round 1 was these
// two disagreeing (vllm.port 8001: started on :8001, probed on :8000).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main';
import { LAUNCH_PROVIDERS, type LaunchProvider } from '../../src/core/servers';

const dir = mkdtempSync(join(tmpdir(), 'lmr-listen-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(args, {
    out: t => {
      out += t;
    },
    err: () => undefined,
    env: { PATH: process.env.PATH, ...env },
    cwd: dir,
  });
  return { code, out };
}

/** Non-default listen settings (ports nothing listens on: discovery reports them down, quickly). */
const TABLE: { name: string; settings: Record<string, unknown>; env?: Record<string, string> }[] = [
  {
    name: 'ports',
    settings: {
      'localModelRouter.llamacpp.port': 9131,
      'localModelRouter.vllm.port': 9001,
      'localModelRouter.lmstudio.port': 9234,
      'localModelRouter.ollama.host': '127.0.0.1:9434',
    },
  },
  {
    name: 'wildcard binds',
    settings: {
      'localModelRouter.llamacpp.host': '0.0.0.0',
      'localModelRouter.llamacpp.port': 9132,
      'localModelRouter.vllm.host': '0.0.0.0',
      'localModelRouter.vllm.port': 9002,
      'localModelRouter.ollama.host': '0.0.0.0:9435',
    },
  },
  {
    name: 'IPv6 wildcard and loopback',
    settings: {
      'localModelRouter.llamacpp.host': '::',
      'localModelRouter.llamacpp.port': 9133,
      'localModelRouter.vllm.host': '::1',
      'localModelRouter.vllm.port': 9003,
      'localModelRouter.ollama.host': '[::1]:9436',
    },
  },
  { name: 'wrapper variables', settings: {}, env: { PRODEX_LOCAL_HOST: '127.0.0.1', PRODEX_LOCAL_PORT: '9134' } },
  {
    name: 'OLLAMA_HOST when the setting is empty',
    settings: { 'localModelRouter.llamacpp.port': 9135 },
    env: { OLLAMA_HOST: '127.0.0.1:9437' },
  },
  {
    name: 'changed ports win over LOCAL_LLM_BASE_URL',
    settings: {
      'localModelRouter.llamacpp.port': 9136,
      'localModelRouter.vllm.port': 9004,
      'localModelRouter.lmstudio.port': 9235,
      'localModelRouter.ollama.host': '127.0.0.1:9438',
    },
    env: { LOCAL_LLM_BASE_URL: 'http://127.0.0.1:9999/v1' },
  },
];

for (const row of TABLE) {
  test(`launch-command and discover agree: ${row.name}`, async () => {
    const file = join(dir, `${row.name.replace(/\W+/g, '-')}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        'localModelRouter.llamacpp.modelPath': '/m.gguf',
        'localModelRouter.vllm.model': 'm',
        'localModelRouter.discovery.probeLlamaServerDefaultPort': false,
        ...row.settings,
      }),
    );
    const d = await cli(['discover', '--json', '--settings', file, '--timeout-ms', '300'], row.env);
    const endpoints = (JSON.parse(d.out) as { endpoints: { provider: string; baseUrl: string }[] }).endpoints;
    for (const provider of LAUNCH_PROVIDERS as readonly LaunchProvider[]) {
      const l = await cli(['launch-command', '--provider', provider, '--settings', file, '--json'], row.env);
      const launched = (JSON.parse(l.out) as { baseUrl: string }).baseUrl;
      const probed = endpoints.filter(e => e.provider === provider).map(e => e.baseUrl);
      assert.ok(
        probed.includes(launched),
        `${provider}: launch-command says ${launched}, discover probes ${probed.join(', ') || 'nothing'}`,
      );
    }
  });
}
