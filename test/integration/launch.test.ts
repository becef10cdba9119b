// Starting a server in the real host: the stand-in llama-server (test/support/bin) is started by the
// launch command, answers 503 "Loading model" first, is detected as ready, shows in discovery and the
// status bar, is revealed rather than started twice, and Stop ends it (port closed, process gone).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LocalModelRouterApi } from '../../src/api';
import type { EndpointProbe } from '../../src/core/route/discovery';
import type { StartResult, StopResult } from '../../src/features/launch/start';
import type { ExportResult } from '../../src/features/launch/exportScripts';
import { buildLlamaServerArgv } from '../../src/core/launch';
import { resolveSettings } from '../../src/core/settings/resolve';
import { alive, freePort, portOpen } from '../support/ports';

const EXTENSION_ID = 'local-model-router.local-model-router';
const ROOT = path.resolve(__dirname, '../..');
const STAND_IN = path.join(ROOT, 'test/support/bin/stand-in-llama-server');
const ARGV_JSON = path.join(ROOT, 'test/support/bin/argv-json');

const config = () => vscode.workspace.getConfiguration('localModelRouter');
async function set(key: string, value: unknown): Promise<void> {
  await config().update(key, value, vscode.ConfigurationTarget.Global);
}
const KEYS = [
  'llamacpp.executable',
  'llamacpp.port',
  'llamacpp.extraArgs',
  'llamacpp.modelPath',
  'launch.readyTimeoutSeconds',
  'discovery.refreshIntervalSeconds',
  'discovery.probeLlamaServerDefaultPort',
  'llamacpp.baseUrl',
];

/** Polls the port while the launch command runs and records what it answered. */
function watchStatuses(port: number): { stop(): Promise<string[]> } {
  const seen: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/health`);
        seen.push(`${r.status} ${await r.text()}`);
      } catch {
        seen.push('refused');
      }
      await new Promise(r => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return seen;
    },
  };
}

suite('launch: start, watch and stop a local server', () => {
  let api: LocalModelRouterApi;
  let port: number;
  let baseUrl: string;
  let pid: number | undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-launch-'));

  suiteSetup(async function () {
    this.timeout(60_000);
    assert.ok(fs.existsSync(STAND_IN), STAND_IN);
    port = await freePort();
    baseUrl = `http://127.0.0.1:${port}/v1`;
    await set('discovery.refreshIntervalSeconds', 0);
    await set('discovery.probeLlamaServerDefaultPort', false);
    await set('llamacpp.baseUrl', undefined);
    await set('llamacpp.executable', STAND_IN);
    await set('llamacpp.port', port);
    await set('llamacpp.modelPath', '/models/stand-in.gguf');
    await set('llamacpp.extraArgs', ['--stand-in-loading-ms', '2500']);
    await set('launch.readyTimeoutSeconds', 60);
    const ext = vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
  });

  suiteTeardown(async function () {
    this.timeout(30_000);
    await vscode.commands.executeCommand('localModelRouter.stopServer', 'llamacpp');
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of KEYS) await set(k, undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('the launch command starts the server; 503 "Loading model" first, then ready', async function () {
    this.timeout(90_000);
    const watch = watchStatuses(port);
    const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp');
    const statuses = await watch.stop();
    assert.equal(r.kind, 'ready', JSON.stringify(r));
    assert.ok(r.kind === 'ready');
    assert.equal(r.baseUrl, baseUrl);
    assert.equal(r.sawLoading, true, 'readiness saw the 503 while the model loaded');
    assert.ok(
      statuses.some(s => s.startsWith('503') && s.includes('Loading model')),
      statuses.join('\n'),
    );
    assert.ok(r.pid && alive(r.pid));
    pid = r.pid;
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
  });

  test('discovery and the status bar follow the started server', async function () {
    this.timeout(30_000);
    const probes = await vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh');
    const mine = probes.find(p => p.baseUrl === baseUrl);
    assert.ok(mine?.result.kind === 'up' && mine.result.models[0].id === 'local/model', JSON.stringify(mine));
    const picked = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', {
      select: { baseUrl, model: 'local/model' },
    });
    assert.equal(picked?.ok, true, JSON.stringify(picked));
    assert.match(api.statusBar.text, /llama\.cpp · local\/model$/);
    assert.match(api.statusBar.tooltip, /Started here \| ready/);
  });

  test('a second start reveals the running server instead of starting another', async () => {
    const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp');
    assert.equal(r.kind, 'already-running', JSON.stringify(r));
    assert.equal(r.kind === 'already-running' && r.pid, pid);
  });

  test('the terminal runs the argv the pure builder makes, with no shell', async () => {
    const s = resolveSettings(k => config().inspect(k), process.env, vscode.workspace.isTrusted).values;
    const expected = buildLlamaServerArgv(s);
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    // The launcher execs node on the stand-in script: its arguments follow the script path.
    const at = cmdline.findIndex(a => a.endsWith('stand-in-server.ts'));
    assert.ok(at > 0, cmdline.join(' '));
    assert.deepEqual(cmdline.slice(at + 1), expected.args);
    assert.ok(
      vscode.window.terminals.some(t => t.name === `stand-in-llama-server :${port}`),
      vscode.window.terminals.map(t => t.name).join(', '),
    );
  });

  test('Stop ends it: port closed, process gone, discovery says down', async function () {
    this.timeout(30_000);
    const r = await vscode.commands.executeCommand<StopResult>('localModelRouter.stopServer', 'llamacpp');
    assert.equal(r.kind, 'stopped', JSON.stringify(r));
    assert.equal(await portOpen(port), false);
    assert.equal(alive(pid as number), false);
    const probes = await vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh');
    assert.equal(probes.find(p => p.baseUrl === baseUrl)?.result.kind, 'down');
    assert.match(api.statusBar.tooltip, /Started here \| stopped/);
    const again = await vscode.commands.executeCommand<StopResult>('localModelRouter.stopServer', 'llamacpp');
    assert.equal(again.kind, 'not-running');
  });

  test('an executable that exits at once gives the early-exit error with its code and last lines', async function () {
    this.timeout(60_000);
    await set('llamacpp.extraArgs', [
      '--stand-in-exit',
      '7',
      '--stand-in-error',
      'llama_model_load: error loading model: tensor data is not within the file bounds',
    ]);
    const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp');
    assert.equal(r.kind, 'exited', JSON.stringify(r));
    assert.ok(r.kind === 'exited');
    assert.equal(r.code, 7);
    assert.ok(
      r.lines.some(l => l.includes('error loading model')),
      r.lines.join('\n'),
    );
  });

  test('a missing executable is refused before anything starts, with where to get it', async function () {
    this.timeout(30_000);
    await set('llamacpp.executable', path.join(tmp, 'no-such-llama-server'));
    try {
      const terminals = vscode.window.terminals.length;
      const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp');
      assert.ok(r.kind === 'refused' && r.reason === 'not-installed', JSON.stringify(r));
      assert.match(
        r.problems.join(),
        /not installed or not on PATH\. Get llama-server from https:\/\/github\.com\/ggml-org\/llama\.cpp\/releases/,
      );
      assert.equal(vscode.window.terminals.length, terminals, 'no terminal was opened for a program that is not there');
    } finally {
      await set('llamacpp.executable', STAND_IN);
    }
  });

  test('no model, no start: llama.cpp without a model path is refused with the message', async function () {
    this.timeout(30_000);
    await set('llamacpp.modelPath', undefined);
    try {
      const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp');
      assert.ok(r.kind === 'refused' && r.reason === 'invalid-settings', JSON.stringify(r));
      assert.deepEqual(
        r.issues?.map(i => [i.kind, i.setting]),
        [['no-model', 'llamacpp.modelPath']],
      );
      assert.match(r.problems.join(), /No model to serve: set localModelRouter\.llamacpp\.modelPath to a \.gguf file/);
      assert.equal(await portOpen(port), false, 'nothing listens: no router-mode server was started');
    } finally {
      await set('llamacpp.modelPath', '/models/stand-in.gguf');
    }
  });

  test('Restart after a settings change serves on the new port', async function () {
    this.timeout(90_000);
    await set('llamacpp.extraArgs', ['--stand-in-loading-ms', '300']);
    const first = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp');
    assert.equal(first.kind, 'ready', JSON.stringify(first));
    const next = await freePort();
    await set('llamacpp.port', next);
    const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.restartServer', 'llamacpp');
    assert.ok(r.kind === 'ready' && r.baseUrl === `http://127.0.0.1:${next}/v1`, JSON.stringify(r));
    assert.equal(await portOpen(port), false, 'the old server is gone');
    assert.equal((await vscode.commands.executeCommand<StopResult>('localModelRouter.stopServer', 'llamacpp')).kind, 'stopped');
    await set('llamacpp.port', port);
  });

  test('a host beyond loopback needs the modal confirmation; declining starts nothing', async function () {
    this.timeout(30_000);
    await config().update('llamacpp.host', '0.0.0.0', vscode.ConfigurationTarget.Global);
    try {
      const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp', {
        answers: { exposure: 'cancel' },
      });
      assert.ok(r.kind === 'refused' && r.reason === 'exposure-declined', JSON.stringify(r));
      assert.equal(await portOpen(port), false);
    } finally {
      await config().update('llamacpp.host', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('accepting the exposure modal binds 0.0.0.0 (reached on loopback)', async function () {
    this.timeout(60_000);
    await config().update('llamacpp.host', '0.0.0.0', vscode.ConfigurationTarget.Global);
    try {
      const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp', {
        answers: { exposure: 'start' },
      });
      assert.ok(r.kind === 'ready' && r.baseUrl === baseUrl, JSON.stringify(r));
      const cmdline = fs.readFileSync(`/proc/${r.pid}/cmdline`, 'utf8').split('\0');
      assert.equal(cmdline[cmdline.indexOf('--host') + 1], '0.0.0.0');
    } finally {
      await vscode.commands.executeCommand('localModelRouter.stopServer', 'llamacpp');
      await config().update('llamacpp.host', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('a server that is not serving within launch.readyTimeoutSeconds is reported and left running', async function () {
    this.timeout(60_000);
    await set('launch.readyTimeoutSeconds', 5);
    await set('llamacpp.extraArgs', ['--stand-in-loading-ms', '60000']);
    try {
      const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp');
      assert.ok(r.kind === 'timeout' && r.seconds === 5 && r.last === 'Loading model', JSON.stringify(r));
      assert.equal(await portOpen(port), true, 'still running: large models can take longer');
      const again = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp');
      assert.ok(again.kind === 'already-running' && again.state === 'starting', JSON.stringify(again));
      assert.equal((await vscode.commands.executeCommand<StopResult>('localModelRouter.stopServer', 'llamacpp')).kind, 'stopped');
      assert.equal(await portOpen(port), false);
    } finally {
      await set('launch.readyTimeoutSeconds', 60);
      await set('llamacpp.extraArgs', ['--stand-in-loading-ms', '300']);
    }
  });

  test('exported wrapper scripts are executable and pass the same flags as the launch', async function () {
    this.timeout(30_000);
    const r = await vscode.commands.executeCommand<ExportResult>('localModelRouter.exportWrapperScripts', tmp, {
      answers: { overwrite: true },
    });
    assert.equal(r.kind, 'written');
    assert.deepEqual(
      r.files.map(f => path.basename(f)),
      ['llama-server-wrapper.sh', 'codex-local.sh'],
    );
    for (const f of r.files) assert.ok((fs.statSync(f).mode & 0o111) !== 0, `${f} is executable`);
    const text = fs.readFileSync(r.files[0], 'utf8');
    assert.ok(text.includes(`saved='${port}'\nPRODEX_LOCAL_PORT=`), 'the current port is the default');
    // Run it with the argv printer as the executable: same argv as the extension's own launch.
    const s = resolveSettings(k => config().inspect(k), {}, true).values;
    const { execFileSync } = await import('node:child_process');
    const script = text.replace(/^exec '[^']*' "\$@"$/m, `exec '${ARGV_JSON}' "$@"`);
    fs.writeFileSync(path.join(tmp, 'check.sh'), script);
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PRODEX_LOCAL_')));
    const out = execFileSync('/bin/sh', [path.join(tmp, 'check.sh')], { env: { ...env, ARGV_JSON_OUT: '' }, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), buildLlamaServerArgv(s).args);
  });
});

suite('launch: Ollama (serve if not running, then pull the model if missing)', () => {
  const STAND_IN_OLLAMA = path.join(ROOT, 'test/support/bin/stand-in-ollama');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-ollama-'));
  let port: number;
  let baseUrl: string;
  let pid: number | undefined;
  const OLLAMA_KEYS = [
    'ollama.executable',
    'ollama.host',
    'ollama.model',
    'ollama.modelsDir',
    'ollama.contextLength',
    'ollama.baseUrl',
    'discovery.refreshIntervalSeconds',
  ];

  suiteSetup(async function () {
    this.timeout(60_000);
    port = await freePort();
    baseUrl = `http://127.0.0.1:${port}/v1`;
    await set('discovery.refreshIntervalSeconds', 0);
    await set('ollama.executable', STAND_IN_OLLAMA);
    await set('ollama.host', `127.0.0.1:${port}`);
    await set('ollama.baseUrl', baseUrl);
    await set('ollama.model', 'qwen3:8b');
    await set('ollama.modelsDir', tmp);
    await set('ollama.contextLength', 8192);
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });

  suiteTeardown(async function () {
    this.timeout(30_000);
    await vscode.commands.executeCommand('localModelRouter.stopServer', 'ollama');
    for (const k of OLLAMA_KEYS) await set(k, undefined);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('starts `ollama serve` with OLLAMA_HOST/OLLAMA_CONTEXT_LENGTH/OLLAMA_MODELS, then pulls the missing model', async function () {
    this.timeout(90_000);
    const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'ollama');
    assert.ok(r.kind === 'ready' && r.pulled === true && r.baseUrl === baseUrl, JSON.stringify(r));
    pid = r.pid;
    assert.ok(pid);
    const env = Object.fromEntries(
      fs
        .readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    assert.deepEqual([env.OLLAMA_HOST, env.OLLAMA_CONTEXT_LENGTH, env.OLLAMA_MODELS], [`127.0.0.1:${port}`, '8192', tmp]);
    const probes = await vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh');
    const mine = probes.find(p => p.baseUrl === baseUrl)?.result;
    assert.ok(mine?.kind === 'up' && mine.models.some(m => m.id === 'qwen3:8b'), JSON.stringify(mine));
  });

  test("a model that cannot be pulled is reported with Ollama's error", async function () {
    this.timeout(30_000);
    await set('ollama.model', 'missing/nothing');
    // Ollama already runs (started above): no second `ollama serve`, straight to the pull.
    const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'ollama');
    assert.ok(r.kind === 'already-running', JSON.stringify(r));
    await vscode.commands.executeCommand('localModelRouter.stopServer', 'ollama');
    assert.equal(await portOpen(port), false);
    assert.equal(alive(pid as number), false);
    const again = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'ollama');
    assert.ok(again.kind === 'failed' && again.step === 'pull' && /file does not exist/.test(again.message), JSON.stringify(again));
  });
});

suite('launch: LM Studio (lms server start, then lms load)', () => {
  const STAND_IN_LMS = path.join(ROOT, 'test/support/bin/stand-in-lms');
  const state = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-lms-'));
  let port: number;
  let baseUrl: string;
  const LMS_KEYS = [
    'lmstudio.lmsPath',
    'lmstudio.port',
    'lmstudio.modelKey',
    'lmstudio.identifier',
    'lmstudio.contextLength',
    'lmstudio.baseUrl',
    'discovery.refreshIntervalSeconds',
  ];

  suiteSetup(async function () {
    this.timeout(60_000);
    // The stand-in keeps its server's pid here; spawned processes inherit the host's environment.
    process.env.STAND_IN_LMS_STATE = state;
    port = await freePort();
    baseUrl = `http://127.0.0.1:${port}/v1`;
    await set('discovery.refreshIntervalSeconds', 0);
    await set('lmstudio.lmsPath', STAND_IN_LMS);
    await set('lmstudio.port', port);
    await set('lmstudio.baseUrl', baseUrl);
    await set('lmstudio.modelKey', 'qwen/qwen3-8b');
    await set('lmstudio.identifier', 'q8');
    await set('lmstudio.contextLength', 4096);
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });

  suiteTeardown(async function () {
    this.timeout(30_000);
    const { spawnSync } = await import('node:child_process');
    spawnSync(STAND_IN_LMS, ['server', 'stop'], { env: process.env, timeout: 20_000 });
    for (const k of LMS_KEYS) await set(k, undefined);
    delete process.env.STAND_IN_LMS_STATE;
    fs.rmSync(state, { recursive: true, force: true });
  });

  test('starts the LM Studio server on the port, waits for it, loads the model under its identifier', async function () {
    this.timeout(90_000);
    const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'lmstudio');
    assert.ok(r.kind === 'ready' && r.baseUrl === baseUrl, JSON.stringify(r));
    const probes = await vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh');
    const mine = probes.find(p => p.baseUrl === baseUrl)?.result;
    assert.ok(mine?.kind === 'up' && mine.models.some(m => m.id === 'q8'), JSON.stringify(mine));
  });

  test('Stop runs `lms server stop`', async function () {
    this.timeout(30_000);
    const r = await vscode.commands.executeCommand<StopResult>('localModelRouter.stopServer', 'lmstudio');
    assert.ok(r.kind === 'stopped' && r.code === 0, JSON.stringify(r));
    await new Promise(res => setTimeout(res, 300));
    assert.equal(await portOpen(port), false);
  });

  test('a model lms cannot load is reported with its exit code and message', async function () {
    this.timeout(60_000);
    await set('lmstudio.modelKey', 'missing/model');
    const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'lmstudio');
    assert.ok(r.kind === 'exited' && r.code === 1, JSON.stringify(r));
    assert.ok(
      r.lines.some(l => l.includes('Cannot find a model matching "missing/model"')),
      r.lines.join('\n'),
    );
  });
});
