// The CLI as a user runs it: the bundled dist/cli.js in a child process.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import { freePorts as closedPorts } from '../support/ports';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  // A clean environment: no provider variables from the machine running the tests.
  const base = { PATH: process.env.PATH ?? '', HOME: tmpdir() };
  return new Promise(resolve =>
    execFile(process.execPath, [CLI, ...args], { env: { ...base, ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    }),
  );
}

describe('local-model-router discover', () => {
  let dir: string;
  let llama: ScriptedServer;
  let ollama: ScriptedServer;
  before(async () => {
    assert.ok(existsSync(CLI), 'run `npm run build` first');
    dir = mkdtempSync(join(tmpdir(), 'lmr-cli-'));
    llama = await startScriptedServer({ kind: 'llamacpp', models: [{ id: 'local/model', contextWindow: 16384 }] });
    ollama = await startScriptedServer({
      kind: 'ollama',
      models: [
        { id: 'qwen3-coder:30b', contextWindow: 262144, capabilities: ['completion', 'tools'] },
        { id: 'llama3.2:3b', contextWindow: 131072, capabilities: ['completion'] },
      ],
    });
  });
  after(async () => {
    await Promise.all([llama.close(), ollama.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("--json with scripted servers on two providers' ports reports both up with models and context windows", async () => {
    const [lm, vl] = await closedPorts(2);
    const settings = join(dir, 'settings.json');
    writeFileSync(
      settings,
      JSON.stringify({
        'localModelRouter.llamacpp.port': llama.port,
        'localModelRouter.discovery.probeLlamaServerDefaultPort': false,
        'localModelRouter.lmstudio.baseUrl': `http://127.0.0.1:${lm}`,
        'localModelRouter.vllm.baseUrl': `http://127.0.0.1:${vl}`,
      }),
    );
    const r = await run(['discover', '--json', '--settings', settings], { OLLAMA_HOST: `127.0.0.1:${ollama.port}` });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const by = Object.fromEntries(out.endpoints.map((e: { provider: string }) => [e.provider, e]));
    assert.equal(by.llamacpp.state, 'up');
    assert.equal(by.llamacpp.baseUrl, `http://127.0.0.1:${llama.port}/v1`);
    assert.deepEqual(by.llamacpp.models, [{ id: 'local/model', contextWindow: 16384, contextSource: 'llamacpp-slot', tools: true }]);
    assert.equal(by.ollama.state, 'up');
    assert.equal(by.ollama.source, 'ollama-host');
    assert.deepEqual(
      by.ollama.models.map((m: { id: string; contextWindow: number; tools: boolean }) => [m.id, m.contextWindow, m.tools]),
      [
        ['qwen3-coder:30b', 262144, true],
        ['llama3.2:3b', 131072, false],
      ],
    );
    assert.equal(by.lmstudio.state, 'down');
    assert.equal(by.vllm.state, 'down');
    assert.doesNotMatch(r.stdout, /apiKey/);
  });

  test('with nothing running every endpoint is down, in under 200 ms, exit 1', async () => {
    const [o, l, v, c] = await closedPorts(4);
    const settings = join(dir, 'down.json');
    writeFileSync(
      settings,
      JSON.stringify({ 'localModelRouter.llamacpp.port': c, 'localModelRouter.discovery.probeLlamaServerDefaultPort': false }),
    );
    const r = await run(['discover', '--json', '--settings', settings], {
      OLLAMA_HOST: `127.0.0.1:${o}`,
      LMSTUDIO_BASE_URL: `http://127.0.0.1:${l}`,
      VLLM_BASE_URL: `http://127.0.0.1:${v}`,
    });
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(
      out.endpoints.map((e: { state: string }) => e.state),
      ['down', 'down', 'down', 'down'],
    );
    assert.ok(out.ms < 200, `discovery took ${out.ms} ms`);
  });

  test('text output names each server and its models', async () => {
    const r = await run(['discover', '--base-url', llama.baseUrl], { OLLAMA_HOST: '127.0.0.1:1' });
    assert.match(r.stdout, /local\/model {2}— {2}context 16,384/);
  });

  test('usage errors exit 2 with a hint; --help exits 0', async () => {
    const bad = await run(['discover', '--nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Unknown option '--nope'[\s\S]*--help/);
    const badUrl = await run(['discover', '--base-url', 'ftp://x']);
    assert.equal(badUrl.code, 2);
    assert.match(badUrl.stderr, /only http and https/);
    const help = await run(['discover', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: local-model-router discover/);
    const top = await run([]);
    assert.equal(top.code, 2);
    assert.match(top.stdout, /discover/);
    assert.equal((await run(['frobnicate'])).code, 2);
  });
});
