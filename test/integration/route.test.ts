// The active route in the real host: the picker's command path, the status bar, the probe that
// guards a switch, and the variables that new integrated terminals really receive.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startScriptedServer, sendJson, type ScriptedServer } from '../support/scripted-server';
import type { LocalModelRouterApi } from '../../src/api';
import type { EndpointProbe } from '../../src/core/route/discovery';

const EXTENSION_ID = 'local-model-router.local-model-router';
type PickResult = { ok: true } | { ok: false; reason: string } | undefined;

const config = () => vscode.workspace.getConfiguration('localModelRouter');
async function set(key: string, value: unknown): Promise<void> {
  await config().update(key, value, vscode.ConfigurationTarget.Global);
}

/** Opens a real terminal (no shell profile: /bin/sh) that writes the variables it received to a file. */
async function variablesInNewTerminal(names: string[]): Promise<Record<string, string>> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-term-')), 'env.json');
  const script = `printf '{${names.map(n => `"${n}":"%s"`).join(',')}}' ${names.map(n => `"$${n}"`).join(' ')} > '${out}.tmp' && mv '${out}.tmp' '${out}'`;
  const term = vscode.window.createTerminal({ name: 'lmr-env-probe', shellPath: '/bin/sh', shellArgs: ['-c', script] });
  try {
    const end = Date.now() + 20_000;
    while (!fs.existsSync(out)) {
      if (Date.now() > end) throw new Error('the terminal did not write its environment');
      await new Promise(r => setTimeout(r, 100));
    }
    return JSON.parse(fs.readFileSync(out, 'utf8')) as Record<string, string>;
  } finally {
    term.dispose();
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

/** Resolves once `ok()` holds, checking now and after every change the extension announces (no sleeps). */
function when(api: LocalModelRouterApi, ok: () => boolean, what: string, ms = 10_000): Promise<void> {
  if (ok()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for: ${what}`));
    }, ms);
    const sub = api.onDidChange(() => {
      if (!ok()) return;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
  });
}

async function pickOk(baseUrl: string, model: string): Promise<void> {
  const r = await vscode.commands.executeCommand<PickResult>('localModelRouter.pickRoute', { select: { baseUrl, model } });
  assert.equal(r?.ok, true, JSON.stringify(r));
}

// Each case starts from no route and sets up what it needs: none depends on another's leftovers.
suite('route: picker, status bar, terminals', () => {
  let api: LocalModelRouterApi;
  let llama: ScriptedServer;
  let ollama: ScriptedServer;
  let broken: ScriptedServer;

  suiteSetup(async function () {
    this.timeout(60_000);
    llama = await startScriptedServer({ kind: 'llamacpp', models: [{ id: 'local/model', contextWindow: 32768 }] });
    ollama = await startScriptedServer({
      kind: 'ollama',
      models: [{ id: 'qwen3-coder:30b', contextWindow: 262144, capabilities: ['completion', 'tools'] }],
    });
    // Lists a model but every generation fails, as a server with a broken template does.
    broken = await startScriptedServer({
      kind: 'generic',
      models: [{ id: 'broken-model' }],
      overrides: [
        (req, res) => {
          if (req.method !== 'POST') return false;
          sendJson(res, 500, {
            error: { code: 500, message: 'Jinja Exception: System message must be at the beginning.', type: 'server_error' },
          });
          return true;
        },
      ],
    });
    const closed = 'http://127.0.0.1:9'; // discard port: nothing listens
    await set('discovery.refreshIntervalSeconds', 0);
    await set('discovery.probeLlamaServerDefaultPort', false);
    await set('llamacpp.baseUrl', llama.baseUrl);
    await set('ollama.baseUrl', ollama.baseUrl);
    await set('lmstudio.baseUrl', closed);
    await set('vllm.baseUrl', closed);
    await set('openaiCompatible.endpoints', [{ label: 'Broken box', baseUrl: broken.baseUrl }]);
    await set('terminal.routeTargets', ['localLlm', 'provider', 'codexOss']);
    const ext = vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
  });

  setup(async () => {
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    await set('terminal.routeTargets', ['localLlm', 'provider', 'codexOss']);
    await vscode.commands.executeCommand('localModelRouter.refresh');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of [
      'discovery.refreshIntervalSeconds',
      'discovery.probeLlamaServerDefaultPort',
      'llamacpp.baseUrl',
      'ollama.baseUrl',
      'lmstudio.baseUrl',
      'vllm.baseUrl',
      'openaiCompatible.endpoints',
      'terminal.routeTargets',
    ])
      await set(k, undefined);
    await Promise.all([llama?.close(), ollama?.close(), broken?.close()]);
  });

  test('with no route the status bar says servers were found and offers nothing that needs a route', () => {
    assert.equal(api.activeRoute, undefined);
    assert.equal(api.statusBar.text, '$(server-process) Pick a local model');
    assert.match(api.statusBar.tooltip, /Found 3 servers with 3 models/);
    for (const c of ['verifyRoute', 'writeCodexProfile', 'openCodex'])
      assert.ok(!api.statusBar.tooltip.includes(`command:localModelRouter.${c}`), c);
  });

  test('Refresh finds both scripted providers with their models and context windows', async () => {
    const probes = await vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh');
    const by = (url: string) => probes.find(p => p.baseUrl === url)?.result;
    const l = by(llama.baseUrl);
    const o = by(ollama.baseUrl);
    assert.ok(l?.kind === 'up' && l.models[0].id === 'local/model' && l.models[0].contextWindow === 32768, JSON.stringify(l));
    assert.ok(o?.kind === 'up' && o.models[0].tools === true && o.models[0].contextWindow === 262144, JSON.stringify(o));
    assert.equal(by('http://127.0.0.1:9/v1')?.kind, 'down');
  });

  test('choosing a model through the picker sets the route, the status bar and the terminal variables', async () => {
    const before = llama.requests.filter(r => r.path === '/v1/responses').length;
    await pickOk(llama.baseUrl, 'local/model');
    // The switch was guarded by a one-token request to the model.
    const probe = llama.requests.filter(q => q.path === '/v1/responses').slice(before);
    assert.equal(probe.length, 1);
    assert.equal(JSON.parse(probe[0].body).max_output_tokens, 1);
    assert.equal(api.activeRoute?.model, 'local/model');
    assert.equal(api.activeRoute?.baseUrl, llama.baseUrl);
    assert.equal(api.health.kind, 'up');
    assert.match(api.statusBar.text, /llama\.cpp · local\/model$/);
    assert.match(api.statusBar.tooltip, /32,768 tokens/);
    await when(api, () => api.terminalEnv.LOCAL_LLM_BASE_URL === llama.baseUrl, 'terminal variables for the route');
    assert.deepEqual(api.terminalEnv, {
      LOCAL_LLM_BASE_URL: llama.baseUrl,
      LOCAL_LLM_MODEL: 'local/model',
      LLAMACPP_BASE_URL: llama.baseUrl,
    });
    const seen = await variablesInNewTerminal(['LOCAL_LLM_BASE_URL', 'LLAMACPP_BASE_URL', 'CODEX_OSS_BASE_URL']);
    assert.deepEqual(seen, { LOCAL_LLM_BASE_URL: llama.baseUrl, LLAMACPP_BASE_URL: llama.baseUrl, CODEX_OSS_BASE_URL: '' });
  });

  test('switching to an Ollama model routes codex --oss through CODEX_OSS_BASE_URL', async () => {
    await pickOk(ollama.baseUrl, 'qwen3-coder:30b');
    assert.match(api.statusBar.text, /Ollama · qwen3-coder:30b$/);
    await when(api, () => api.terminalEnv.OLLAMA_BASE_URL === ollama.baseUrl, 'terminal variables for Ollama');
    const seen = await variablesInNewTerminal(['LOCAL_LLM_BASE_URL', 'OLLAMA_BASE_URL', 'CODEX_OSS_BASE_URL', 'LLAMACPP_BASE_URL']);
    assert.deepEqual(seen, {
      LOCAL_LLM_BASE_URL: ollama.baseUrl,
      OLLAMA_BASE_URL: ollama.baseUrl,
      CODEX_OSS_BASE_URL: ollama.baseUrl,
      LLAMACPP_BASE_URL: '',
    });
  });

  test("a failing probe keeps the previous route and says why, with the verifier's diagnosis", async () => {
    await pickOk(ollama.baseUrl, 'qwen3-coder:30b');
    const statusBefore = api.statusBar.text;
    const r = await vscode.commands.executeCommand<PickResult & { code?: string }>('localModelRouter.pickRoute', {
      select: { baseUrl: broken.baseUrl, model: 'broken-model' },
    });
    assert.ok(r && !r.ok, JSON.stringify(r));
    assert.equal((r as { code?: string }).code, 'template-system-message');
    assert.match(r.reason, /refuses a system message after the first one/);
    assert.equal(api.activeRoute?.model, 'qwen3-coder:30b');
    assert.equal(api.statusBar.text, statusBefore);
    assert.equal((await variablesInNewTerminal(['LOCAL_LLM_BASE_URL'])).LOCAL_LLM_BASE_URL, ollama.baseUrl);
  });

  test('a route whose server goes down shows as down after a refresh', async () => {
    const doomed = await startScriptedServer({ kind: 'vllm', models: [{ id: 'doomed/model', contextWindow: 32768 }] });
    try {
      await set('vllm.baseUrl', doomed.baseUrl);
      await vscode.commands.executeCommand('localModelRouter.refresh');
      await pickOk(doomed.baseUrl, 'doomed/model');
      await doomed.close();
      await vscode.commands.executeCommand('localModelRouter.refresh');
      assert.equal(api.health.kind, 'down');
      assert.equal(api.statusBar.background, 'error');
      assert.match(api.statusBar.text, /^\$\(error\) vLLM · doomed\/model/);
    } finally {
      await doomed.close();
      await set('vllm.baseUrl', 'http://127.0.0.1:9');
    }
  });

  test('a verification is kept per route: switching away and back still shows it', async function () {
    this.timeout(60_000);
    await set('verify.skipStages', ['chat-completions', 'codex-shape']);
    try {
      await pickOk(llama.baseUrl, 'local/model');
      const report = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.verifyRoute');
      assert.equal(report.ok, true);
      assert.equal(api.health.kind, 'verified');
      await pickOk(ollama.baseUrl, 'qwen3-coder:30b');
      assert.match(api.statusBar.tooltip, /Verified \| not yet/);
      await pickOk(llama.baseUrl, 'local/model');
      assert.equal(api.health.kind, 'verified', 'the stored verification of this route');
      assert.match(api.statusBar.tooltip, /Verified for Codex \| passed/);
    } finally {
      await set('verify.skipStages', undefined);
    }
  });

  test('the terminal targets setting decides which variables are placed', async () => {
    await pickOk(llama.baseUrl, 'local/model');
    await set('terminal.routeTargets', ['provider']);
    await when(api, () => Object.keys(api.terminalEnv).join() === 'LLAMACPP_BASE_URL', 'only the provider variable');
    assert.deepEqual(api.terminalEnv, { LLAMACPP_BASE_URL: llama.baseUrl });
  });

  test('Clear Active Route empties the status bar and the terminal variables', async () => {
    await pickOk(llama.baseUrl, 'local/model');
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    assert.equal(api.activeRoute, undefined);
    assert.equal(api.statusBar.text, '$(server-process) Pick a local model');
    await when(api, () => Object.keys(api.terminalEnv).length === 0, 'no terminal variables');
  });
});

suite('route: Open Codex on This Route', () => {
  let ollama: ScriptedServer;
  let dir: string;
  suiteSetup(async () => {
    ollama = await startScriptedServer({ kind: 'ollama', models: [{ id: 'qwen3-coder:30b', contextWindow: 262144 }] });
    await set('ollama.baseUrl', ollama.baseUrl);
    await set('discovery.refreshIntervalSeconds', 0);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-codex-'));
  });
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of ['ollama.baseUrl', 'discovery.refreshIntervalSeconds', 'codex.executable']) await set(k, undefined);
    await ollama.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('without a route it says so', async () => {
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    const r = await vscode.commands.executeCommand<{ ok: boolean; reason?: string }>('localModelRouter.openCodex');
    assert.deepEqual(r, { ok: false, reason: 'no route' });
  });

  test('a missing Codex is reported, not launched', async () => {
    await vscode.commands.executeCommand('localModelRouter.pickRoute', { select: { baseUrl: ollama.baseUrl, model: 'qwen3-coder:30b' } });
    await set('codex.executable', path.join(dir, 'no-such-codex'));
    const r = await vscode.commands.executeCommand<{ ok: boolean; reason?: string }>('localModelRouter.openCodex');
    assert.deepEqual(r, { ok: false, reason: 'codex not found' });
  });

  test('an Ollama route without a profile opens codex --oss in a terminal, pointed at the route', async () => {
    // A stand-in codex that records how the terminal started it.
    const out = path.join(dir, 'argv.json');
    const fake = path.join(dir, 'codex');
    // It answers the configuration check (`codex exec --strict-config …`) as Codex does when it accepts it.
    fs.writeFileSync(
      fake,
      `#!/bin/sh\nif [ "$1" = exec ]; then echo 'No prompt provided via stdin.' >&2; exit 1; fi\nnode -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify({ argv: process.argv.slice(2), oss: process.env.CODEX_OSS_BASE_URL }))' '${out}' "$@"\n`,
      { mode: 0o755 },
    );
    await set('codex.executable', fake);
    const r = await vscode.commands.executeCommand<{ ok: boolean; args?: string[] }>('localModelRouter.openCodex');
    assert.equal(r.ok, true, JSON.stringify(r));
    const end = Date.now() + 20_000;
    while (!fs.existsSync(out) && Date.now() < end) await new Promise(res => setTimeout(res, 100));
    const seen = JSON.parse(fs.readFileSync(out, 'utf8')) as { argv: string[]; oss: string };
    assert.deepEqual(seen, { argv: ['--oss', '--local-provider', 'ollama', '-m', 'qwen3-coder:30b'], oss: ollama.baseUrl });
    assert.ok(vscode.window.terminals.some(t => t.name === 'Codex · qwen3-coder:30b'));
  });
});

suite('route: settings layers', () => {
  test('a workspace-level base URL wins over the user-level one (trusted workspace)', async () => {
    const user = await startScriptedServer({ kind: 'vllm', models: [{ id: 'user-model' }] });
    const ws = await startScriptedServer({ kind: 'vllm', models: [{ id: 'workspace-model' }] });
    try {
      await config().update('vllm.baseUrl', user.baseUrl, vscode.ConfigurationTarget.Global);
      await config().update('vllm.baseUrl', ws.baseUrl, vscode.ConfigurationTarget.Workspace);
      const probes = await vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh');
      const vllm = probes.filter(p => p.provider === 'vllm');
      assert.deepEqual(
        vllm.map(p => [p.baseUrl, p.source]),
        [[ws.baseUrl, 'setting']],
      );
      await config().update('vllm.baseUrl', undefined, vscode.ConfigurationTarget.Workspace);
      const again = await vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh');
      assert.deepEqual(
        again.filter(p => p.provider === 'vllm').map(p => p.baseUrl),
        [user.baseUrl],
      );
    } finally {
      await config().update('vllm.baseUrl', undefined, vscode.ConfigurationTarget.Workspace);
      await config().update('vllm.baseUrl', undefined, vscode.ConfigurationTarget.Global);
      await Promise.all([user.close(), ws.close()]);
    }
  });
});
