// The route bridge in the real host: Start Route Bridge serves Codex's Responses API and Claude
// Code's Messages API on 127.0.0.1 over the active route's server, asking that server only for chat
// completions; its terminal names the URL and logs each request; a foreign Host is refused; Stop
// Route Bridge (or closing its terminal) stops it and the port no longer answers.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { notFound, startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import { freePorts } from '../support/ports';
import { claudeStandIn, codexStandIn } from '../support/agent-stand-in';
import type { VerifyReport } from '../../src/core/verify/types';
import type { LocalModelRouterApi } from '../../src/api';

const EXTENSION_ID = 'local-model-router.local-model-router';
const MODEL = 'local/chat-only';
const config = () => vscode.workspace.getConfiguration('localModelRouter');

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', ...headers } },
      res => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

suite("bridge: Start Route Bridge serves the agents over the route's chat completions", () => {
  let server: ScriptedServer;
  let api: LocalModelRouterApi;

  suiteSetup(async function () {
    this.timeout(60_000);
    server = await startScriptedServer({ kind: 'generic', models: [{ id: MODEL, contextWindow: 32_768 }] });
    await config().update('discovery.refreshIntervalSeconds', 0, vscode.ConfigurationTarget.Global);
    await config().update(
      'openaiCompatible.endpoints',
      [{ label: 'Chat only', baseUrl: server.baseUrl }],
      vscode.ConfigurationTarget.Global,
    );
    const ext = vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    await vscode.commands.executeCommand('localModelRouter.refresh');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('localModelRouter.stopBridge');
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of ['discovery.refreshIntervalSeconds', 'openaiCompatible.endpoints'])
      await config().update(k, undefined, vscode.ConfigurationTarget.Global);
    await server?.close();
  });

  test('without a route it asks to pick one and starts nothing', async () => {
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    const r = await vscode.commands.executeCommand<{ ok: boolean; reason?: string }>('localModelRouter.startBridge');
    assert.deepEqual(r, { ok: false, reason: 'no route' });
    assert.ok(!vscode.window.terminals.some(t => t.name.startsWith('Route Bridge')));
  });

  test('a streamed Codex turn and a Claude Code turn through the bridge reach only /v1/chat/completions; a foreign Host is refused; Stop ends it and closes its terminal', async function () {
    this.timeout(60_000);
    const picked = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', {
      select: { baseUrl: server.baseUrl, model: MODEL },
    });
    assert.equal(picked?.ok, true, JSON.stringify(picked));
    assert.equal(api.activeRoute?.model, MODEL);
    const started = await vscode.commands.executeCommand<{ ok: boolean; url: string }>('localModelRouter.startBridge');
    assert.equal(started?.ok, true, JSON.stringify(started));
    assert.match(started.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const terminal = vscode.window.terminals.find(t => t.name === `Route Bridge · ${MODEL}`);
    assert.ok(terminal, vscode.window.terminals.map(t => t.name).join(', '));
    // Starting again for the same route reuses it.
    const again = await vscode.commands.executeCommand<{ ok: boolean; url: string }>('localModelRouter.startBridge');
    assert.equal(again.url, started.url);

    const before = server.requests.length;
    const codex = await post(`${started.url}/responses`, {
      model: MODEL,
      instructions: 'You are a coding agent.',
      input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Reply with exactly: LOCAL-OK' }] }],
      stream: true,
    });
    assert.equal(codex.status, 200, codex.text);
    assert.match(codex.text, /event: response\.created/);
    assert.match(codex.text, /event: response\.completed/);
    const claude = await post(`${started.url}/messages`, {
      model: MODEL,
      max_tokens: 64,
      system: 'You are Claude Code.',
      messages: [{ role: 'user', content: 'Reply with exactly: LOCAL-OK' }],
      stream: true,
    });
    assert.equal(claude.status, 200, claude.text);
    assert.match(claude.text, /event: message_start/);
    assert.match(claude.text, /event: message_stop/);
    const paths = server.requests.slice(before).map(q => `${q.method} ${q.path}`);
    assert.deepEqual(paths, ['POST /v1/chat/completions', 'POST /v1/chat/completions'], 'the server saw chat completions only');

    // A web page that rebinds its name to 127.0.0.1 sends that name as Host: refused.
    const rebound = await post(`${started.url}/responses`, { model: MODEL, input: 'x' }, { host: 'evil.example' });
    assert.equal(rebound.status, 403, rebound.text);
    assert.equal(server.requests.length, before + 2, 'nothing reached the server');

    const stopped = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.stopBridge');
    assert.equal(stopped?.ok, true);
    await assert.rejects(post(`${started.url}/responses`, { model: MODEL, input: 'x' }), /ECONNREFUSED/);
    const end = Date.now() + 5_000;
    while (vscode.window.terminals.some(t => t.name === `Route Bridge · ${MODEL}`) && Date.now() < end)
      await new Promise(r => setTimeout(r, 100));
    assert.ok(!vscode.window.terminals.some(t => t.name === `Route Bridge · ${MODEL}`), 'its terminal closed');
  });

  test('closing its terminal stops the bridge', async function () {
    this.timeout(30_000);
    const started = await vscode.commands.executeCommand<{ ok: boolean; url: string }>('localModelRouter.startBridge');
    assert.equal(started?.ok, true, JSON.stringify(started));
    const terminal = vscode.window.terminals.find(t => t.name === `Route Bridge · ${MODEL}`);
    assert.ok(terminal);
    terminal.dispose();
    const end = Date.now() + 5_000;
    let refused = false;
    while (!refused && Date.now() < end) {
      refused = await post(`${started.url}/responses`, { model: MODEL, input: 'x' }).then(
        () => false,
        (e: Error) => /ECONNREFUSED/.test(e.message),
      );
      if (!refused) await new Promise(r => setTimeout(r, 100));
    }
    assert.ok(refused, 'the port no longer answers');
  });

  test('picking another model moves the bridge to its server (a profile written for the bridge names the port, not a server); clearing the route stops it', async function () {
    this.timeout(60_000);
    const OTHER = 'local/other-chat-only';
    const other = await startScriptedServer({ kind: 'generic', models: [{ id: OTHER, contextWindow: 32_768 }] });
    try {
      await config().update(
        'openaiCompatible.endpoints',
        [
          { label: 'Chat only', baseUrl: server.baseUrl },
          { label: 'Other', baseUrl: other.baseUrl },
        ],
        vscode.ConfigurationTarget.Global,
      );
      await vscode.commands.executeCommand('localModelRouter.refresh');
      const pick = (baseUrl: string, model: string) =>
        vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', { select: { baseUrl, model } });
      assert.equal((await pick(server.baseUrl, MODEL))?.ok, true);
      const started = await vscode.commands.executeCommand<{ ok: boolean; url: string }>('localModelRouter.startBridge');
      assert.equal(started?.ok, true, JSON.stringify(started));

      assert.equal((await pick(other.baseUrl, OTHER))?.ok, true);
      const end = Date.now() + 10_000;
      while (!vscode.window.terminals.some(t => t.name === `Route Bridge · ${OTHER}`) && Date.now() < end)
        await new Promise(r => setTimeout(r, 100));
      const names = vscode.window.terminals.map(t => t.name).filter(n => n.startsWith('Route Bridge'));
      assert.deepEqual(names, [`Route Bridge · ${OTHER}`], 'one bridge terminal, for the new route');
      const first = server.requests.length;
      const answer = await post(`${started.url}/responses`, {
        model: OTHER,
        input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Reply with exactly: LOCAL-OK' }] }],
        stream: true,
      });
      assert.equal(answer.status, 200, answer.text);
      assert.match(answer.text, /event: response\.completed/);
      assert.ok(
        other.requests.some(q => q.method === 'POST' && q.path === '/v1/chat/completions'),
        "the new route's server got the request",
      );
      assert.equal(server.requests.length, first, "the old route's server got nothing");

      await vscode.commands.executeCommand('localModelRouter.clearRoute');
      const gone = Date.now() + 10_000;
      let refused = false;
      while (!refused && Date.now() < gone) {
        refused = await post(`${started.url}/responses`, { model: OTHER, input: 'x' }).then(
          () => false,
          (e: Error) => /ECONNREFUSED/.test(e.message),
        );
        if (!refused) await new Promise(r => setTimeout(r, 100));
      }
      assert.ok(refused, 'with no route chosen the bridge stopped');
    } finally {
      await vscode.commands.executeCommand('localModelRouter.stopBridge');
      await config().update(
        'openaiCompatible.endpoints',
        [{ label: 'Chat only', baseUrl: server.baseUrl }],
        vscode.ConfigurationTarget.Global,
      );
      await vscode.commands.executeCommand('localModelRouter.refresh');
      await other.close();
    }
  });

  test('Verify Route on a server without /v1/responses: fails direct, and the report shows it passing through the bridge', async function () {
    this.timeout(60_000);
    const chatOnly = await startScriptedServer({
      kind: 'generic',
      models: [{ id: MODEL, contextWindow: 32_768 }],
      overrides: [
        (req, res) => {
          if ((req.url ?? '').split('?')[0] !== '/v1/responses') return false;
          notFound('generic', res);
          return true;
        },
      ],
    });
    try {
      const route = { provider: 'openaiCompatible', baseUrl: chatOnly.baseUrl, model: MODEL };
      const report = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute', { route, agent: 'codex' });
      assert.equal(report.ok, false);
      assert.ok(
        report.stages.some(st => st.diagnosis?.code === 'responses-api-missing'),
        JSON.stringify(report.stages.map(st => st.id)),
      );
      assert.equal(report.throughBridge?.ok, true, JSON.stringify(report.throughBridge));
      assert.deepEqual(report.throughBridge?.repairs, ['responses-api-missing']);
      assert.ok(
        chatOnly.requests.some(q => q.path === '/v1/chat/completions'),
        'the bridge asked the server for chat completions',
      );
    } finally {
      await chatOnly.close();
    }
  });
});

// The user's path when a server fails an agent and the bridge repairs it: Verify Route proves it
// (direct fails, through the bridge passes), Write Codex Profile / Write Claude Code Settings point the
// agent at the bridge's fixed port, and Open Codex / Open Claude Code start the bridge first; the real
// CLIs then answer through it, the server sees chat completions only (with its key, which no file and
// no agent terminal holds).
suite('journey: a keyed server with chat completions only, from Verify to the real agents answering through the bridge', () => {
  const KEY = 'sk-bridge-journey-5c2a';
  const ROOT = path.resolve(__dirname, '../..');
  const CODEX = path.join(ROOT, 'node_modules/.bin/codex');
  const CLAUDE_BIN = path.join(ROOT, 'node_modules/@anthropic-ai/claude-code-linux-x64/claude');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-bridge-journey-'));
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath as string;
  const codexHome = process.env.CODEX_HOME as string;
  let server: ScriptedServer;
  let port: number;

  const set = (k: string, v: unknown) => config().update(k, v, vscode.ConfigurationTarget.Global);
  const noKeyInFiles = (root: string) => {
    for (const f of fs.readdirSync(root, { recursive: true }) as string[]) {
      const p = path.join(root, f);
      if (fs.statSync(p).isFile()) assert.ok(!fs.readFileSync(p, 'utf8').includes(KEY), `the key itself is in no file (${p})`);
    }
  };

  suiteSetup(async function () {
    this.timeout(60_000);
    assert.ok(fs.existsSync(CODEX) && fs.existsSync(CLAUDE_BIN), 'the real Codex and Claude Code CLIs (devDependencies)');
    [port] = await freePorts(1);
    // No /v1/responses (mlx_lm.server, llama-cpp-python, older vLLM and LM Studio) and no /v1/messages.
    server = await startScriptedServer({
      kind: 'generic',
      models: [{ id: MODEL, contextWindow: 65_536 }],
      apiKey: KEY,
      overrides: [
        (req, res) => {
          const p = (req.url ?? '').split('?')[0];
          if (p !== '/v1/responses' && !p.startsWith('/v1/messages')) return false;
          notFound('generic', res);
          return true;
        },
      ],
    });
    await set('discovery.refreshIntervalSeconds', 0);
    await set('openaiCompatible.endpoints', [{ label: 'Chat only, keyed', baseUrl: server.baseUrl }]);
    await set('bridge.port', port);
    await set('codex.previewChanges', true);
    assert.equal(await vscode.commands.executeCommand('localModelRouter.setApiKey', server.baseUrl, KEY), true);
    await vscode.commands.executeCommand('localModelRouter.refresh');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('localModelRouter.stopBridge');
    await vscode.commands.executeCommand('localModelRouter.setApiKey', server.baseUrl, '');
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of [
      'discovery.refreshIntervalSeconds',
      'openaiCompatible.endpoints',
      'bridge.port',
      'codex.previewChanges',
      'codex.executable',
      'claude.executable',
      'verify.agents',
    ])
      await set(k, undefined);
    for (const f of ['bridged.config.toml', 'bridged.models.json']) fs.rmSync(path.join(codexHome, f), { force: true });
    fs.rmSync(path.join(folder, '.claude'), { recursive: true, force: true });
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('Codex: Verify fails direct and passes through the bridge → Write Codex Profile points at the bridge → Open Codex starts it → the real Codex answers', async function () {
    this.timeout(240_000);
    await vscode.commands.executeCommand('localModelRouter.stopBridge');
    // A server with chat completions only can be picked: both agents reach it through the bridge.
    const picked = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', {
      select: { baseUrl: server.baseUrl, model: MODEL },
    });
    assert.equal(picked?.ok, true, JSON.stringify(picked));
    const report = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute', { agent: 'codex' });
    assert.equal(report.ok, false);
    assert.equal(report.throughBridge?.ok, true, JSON.stringify(report.throughBridge));
    const api = (await vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID)?.activate()) as LocalModelRouterApi;
    assert.match(api.statusBar.tooltip, /Through the route bridge: passed \\?\(it repairs responses\\?-api\\?-missing/);

    await set('codex.executable', CODEX);
    const written = await vscode.commands.executeCommand<{ kind: string; notes?: string[]; validation?: { kind: string } }>(
      'localModelRouter.writeCodexProfile',
      // No "write despite the failed verification?" question: the bridge repairs what failed.
      { name: 'bridged', folder: false, answers: { apply: true } },
    );
    assert.equal(written.kind, 'written', JSON.stringify(written));
    assert.equal(written.validation?.kind, 'accepted', 'the real Codex loaded it with --strict-config');
    assert.ok(
      written.notes?.some(n => n.includes(`through the route bridge at http://127.0.0.1:${port}/v1`)),
      JSON.stringify(written.notes),
    );
    const profile = fs.readFileSync(path.join(codexHome, 'bridged.config.toml'), 'utf8');
    assert.match(profile, new RegExp(`base_url = "http://127\\.0\\.0\\.1:${port}/v1"`), profile);
    assert.doesNotMatch(profile, /env_key/, 'the bridge holds the key: the profile names none');
    assert.match(profile, new RegExp(`local-model-router bridge --port ${port} --upstream ${server.baseUrl.replace(/[.]/g, '\\.')}`));
    noKeyInFiles(codexHome);

    const codex = codexStandIn(dir, CODEX, 'Reply with exactly: BRIDGE-JOURNEY-OK');
    await set('codex.executable', codex.executable);
    const before = server.requests.length;
    const opened = await vscode.commands.executeCommand<{ ok: boolean; args?: string[]; envNames?: string[] }>(
      'localModelRouter.openCodex',
    );
    assert.deepEqual(opened, { ok: true, args: ['--profile', 'bridged'], envNames: [] }, 'no key in the Codex terminal');
    assert.ok(
      vscode.window.terminals.some(t => t.name === `Route Bridge · ${MODEL}`),
      `Open Codex started the bridge: ${vscode.window.terminals.map(t => t.name).join(', ')}`,
    );
    const printed = await codex.printed(120_000);
    assert.match(printed, /BRIDGE-JOURNEY-OK/, codex.describe());
    assert.match(printed, /exit=0/);
    assert.ok(!codex.env().includes(KEY), "the key is not in Codex's environment");
    const seen = server.requests.slice(before).filter(r => r.method === 'POST');
    assert.ok(seen.length >= 1, 'Codex reached the server');
    assert.deepEqual([...new Set(seen.map(r => r.path))], ['/v1/chat/completions'], 'the server saw chat completions only');
    assert.ok(
      seen.every(r => r.headers.authorization === `Bearer ${KEY}`),
      'the bridge sent the key to the server',
    );
  });

  test('Claude Code: Verify fails direct and passes through the bridge → Write Claude Code Settings points at it → Open Claude Code → the real CLI answers', async function () {
    this.timeout(240_000);
    await vscode.commands.executeCommand('localModelRouter.stopBridge');
    const picked = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', {
      select: { baseUrl: server.baseUrl, model: MODEL },
    });
    assert.equal(picked?.ok, true, JSON.stringify(picked));
    const report = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute', { agent: 'claude' });
    assert.equal(report.agent, 'claude');
    assert.equal(report.ok, false);
    assert.equal(report.throughBridge?.ok, true, JSON.stringify(report.throughBridge));
    assert.ok(report.throughBridge?.repairs.includes('messages-api-missing'), JSON.stringify(report.throughBridge));

    const w = await vscode.commands.executeCommand<{ kind: string; detail?: string }>('localModelRouter.writeClaudeSettings', {
      scope: 'project',
      answers: { apply: true },
    });
    assert.equal(w.kind, 'written', JSON.stringify(w));
    assert.match(w.detail ?? '', /through the route bridge/);
    const settings = JSON.parse(fs.readFileSync(path.join(folder, '.claude', 'settings.local.json'), 'utf8')) as {
      env: Record<string, string>;
      apiKeyHelper?: string;
    };
    assert.equal(settings.env.ANTHROPIC_BASE_URL, `http://127.0.0.1:${port}`);
    assert.equal(settings.apiKeyHelper, undefined, 'the bridge holds the key: no key helper');
    noKeyInFiles(path.join(folder, '.claude'));

    const claude = claudeStandIn(dir, CLAUDE_BIN, folder, 'Reply with exactly: CLAUDE-BRIDGE-OK');
    await set('claude.executable', claude.executable);
    const before = server.requests.length;
    const opened = await vscode.commands.executeCommand<{ ok: boolean; envNames?: string[] }>('localModelRouter.openClaudeCode');
    assert.equal(opened.ok, true, JSON.stringify(opened));
    assert.ok(
      vscode.window.terminals.some(t => t.name === `Route Bridge · ${MODEL}`),
      'Open Claude Code started the bridge',
    );
    const printed = await claude.printed(120_000);
    assert.match(printed, /CLAUDE-BRIDGE-OK/, claude.describe());
    assert.match(printed, /exit=0/);
    const env = claude.env();
    assert.match(env, new RegExp(`ANTHROPIC_BASE_URL=http://127\\.0\\.0\\.1:${port}\\b`));
    assert.ok(!env.includes(KEY), "the key is not in Claude Code's environment");
    const seen = server.requests.slice(before).filter(r => r.method === 'POST');
    assert.ok(seen.length >= 1, 'Claude Code reached the server');
    assert.deepEqual([...new Set(seen.map(r => r.path))], ['/v1/chat/completions'], 'the server saw chat completions only');
  });

  test('a terminal the user opens gets the bridge when the route goes through it: `codex --profile bridged` or `claude` typed there answers, and the bridge does not take the panel; with bridge.use never it is not started', async function () {
    this.timeout(240_000);
    await vscode.commands.executeCommand('localModelRouter.stopBridge');
    const picked = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', {
      select: { baseUrl: server.baseUrl, model: MODEL },
    });
    assert.equal(picked?.ok, true, JSON.stringify(picked));
    const bridgeUrl = `http://127.0.0.1:${port}/v1`;
    const answers = () =>
      post(`${bridgeUrl}/responses`, { model: MODEL, input: 'x' }).then(
        () => true,
        () => false,
      );
    assert.equal(await answers(), false, 'no bridge before the terminal opens');

    // The profile written above (Codex's verdict: through the bridge); the user types the command a
    // second after the shell opens.
    const codex = codexStandIn(dir, CODEX, 'Reply with exactly: USER-TERMINAL-OK', { name: 'codex-user-terminal' });
    const before = server.requests.length;
    const user = vscode.window.createTerminal({
      name: 'user shell',
      shellPath: '/bin/sh',
      shellArgs: ['-c', `sleep 1; exec '${codex.executable}' --profile bridged`],
    });
    user.show();
    const printed = await codex.printed(120_000);
    assert.match(printed, /USER-TERMINAL-OK/, codex.describe());
    assert.match(printed, /exit=0/);
    assert.ok(
      vscode.window.terminals.some(t => t.name === `Route Bridge · ${MODEL}`),
      `the bridge started: ${vscode.window.terminals.map(t => t.name).join(', ')}`,
    );
    assert.equal(vscode.window.activeTerminal?.name, 'user shell', "the bridge's terminal did not take the panel");
    const seen = server.requests.slice(before).filter(r => r.method === 'POST');
    assert.ok(seen.length >= 1, 'Codex reached the server');
    assert.deepEqual([...new Set(seen.map(r => r.path))], ['/v1/chat/completions']);
    user.dispose();

    // `claude` typed in a terminal that has the route's Claude Code variables (terminal.routeTargets
    // claudeCode), with no settings file: they name the bridge, and opening the terminal starts it.
    await vscode.commands.executeCommand('localModelRouter.stopBridge');
    const settingsFile = path.join(folder, '.claude', 'settings.local.json');
    const saved = fs.readFileSync(settingsFile);
    fs.rmSync(settingsFile);
    await set('terminal.routeTargets', ['localLlm', 'claudeCode']);
    try {
      const api = (await vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID)?.activate()) as LocalModelRouterApi;
      const until = Date.now() + 10_000;
      while (api.terminalEnv.ANTHROPIC_BASE_URL === undefined && Date.now() < until) await new Promise(r => setTimeout(r, 100));
      assert.equal(api.terminalEnv.ANTHROPIC_BASE_URL, `http://127.0.0.1:${port}`, JSON.stringify(api.terminalEnv));
      assert.equal(api.terminalEnv.LOCAL_LLM_BASE_URL, server.baseUrl, 'the other variables still name the server');
      assert.ok(!Object.values(api.terminalEnv).includes(KEY), 'no key in the terminal variables');
      const claude = claudeStandIn(dir, CLAUDE_BIN, folder, 'Reply with exactly: CLAUDE-USER-TERMINAL-OK');
      const sent = server.requests.length;
      const shell = vscode.window.createTerminal({
        name: 'user shell (claude)',
        shellPath: '/bin/sh',
        shellArgs: ['-c', `sleep 1; exec '${claude.executable}'`],
      });
      shell.show();
      const said = await claude.printed(120_000);
      assert.match(said, /CLAUDE-USER-TERMINAL-OK/, claude.describe());
      assert.match(said, /exit=0/);
      assert.ok(!claude.env().includes(KEY), "the key is not in the terminal's environment");
      assert.deepEqual(
        [
          ...new Set(
            server.requests
              .slice(sent)
              .filter(r => r.method === 'POST')
              .map(r => r.path),
          ),
        ],
        ['/v1/chat/completions'],
        'Claude Code reached the server through the bridge',
      );
      shell.dispose();
    } finally {
      fs.writeFileSync(settingsFile, saved);
      await set('terminal.routeTargets', undefined);
    }

    await vscode.commands.executeCommand('localModelRouter.stopBridge');
    await set('bridge.use', 'never');
    try {
      const other = vscode.window.createTerminal({ name: 'user shell 2', shellPath: '/bin/sh', shellArgs: ['-c', 'sleep 30'] });
      await new Promise(r => setTimeout(r, 2_000));
      assert.equal(await answers(), false, 'bridge.use never: opening a terminal starts no bridge');
      other.dispose();
    } finally {
      await set('bridge.use', undefined);
    }
  });
});
