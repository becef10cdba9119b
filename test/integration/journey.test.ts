// A new user's path through the real host, end to end: what they click, what they see, what lands on
// disk, and the real Codex CLI at the end. Each journey failed before the change it guards:
// - a keyed server verified, then Codex got 401 (the profile named no env_key, Open Codex passed no key);
// - a server Start Server started on non-default ports never appeared in the picker (discovery probed
//   the provider's default port while the launcher used the setting);
// - a server that refuses Codex's namespace tools with an MCP server configured: every Codex turn
//   failed, and nothing said why or what to turn off (issue 14).
// The listen journey sets no provider's baseUrl by hand: that is what hid the second one.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import { freePort } from '../support/ports';
import { claudeStandIn, codexStandIn } from '../support/agent-stand-in';
import type { LocalModelRouterApi } from '../../src/api';
import type { EndpointProbe } from '../../src/core/route/discovery';
import type { VerifyReport } from '../../src/core/verify/types';
import type { StartResult } from '../../src/features/launch/start';
import { main } from '../../src/cli/main';
import type { LaunchProvider } from '../../src/core/servers';

const EXTENSION_ID = 'local-model-router.local-model-router';
const ROOT = path.resolve(__dirname, '../..');
const CODEX = path.join(ROOT, 'node_modules/.bin/codex');
const BIN = path.join(ROOT, 'test/support/bin');

const config = () => vscode.workspace.getConfiguration('localModelRouter');
async function set(key: string, value: unknown): Promise<void> {
  await config().update(key, value, vscode.ConfigurationTarget.Global);
}

async function launchCommandBaseUrl(provider: LaunchProvider, settings: Record<string, unknown>, dir: string): Promise<string> {
  const file = path.join(dir, `settings-${provider}.json`);
  fs.writeFileSync(file, JSON.stringify(Object.fromEntries(Object.entries(settings).map(([k, v]) => [`localModelRouter.${k}`, v]))));
  let out = '';
  const code = await main(['launch-command', '--provider', provider, '--settings', file, '--json'], {
    out: t => {
      out += t;
    },
    err: () => undefined,
    env: { PATH: process.env.PATH },
    cwd: dir,
  });
  assert.equal(code, 0, out);
  return (JSON.parse(out) as { baseUrl: string }).baseUrl;
}

suite('journey: a server started by Start Server appears in the picker where launch-command says it listens', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-journey-listen-'));
  const touched = new Set<string>();
  let api: LocalModelRouterApi;

  suiteSetup(async function () {
    this.timeout(60_000);
    await set('discovery.refreshIntervalSeconds', 0);
    process.env.STAND_IN_LMS_STATE = dir;
    api = (await vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID)?.activate()) as LocalModelRouterApi;
  });

  suiteTeardown(async function () {
    this.timeout(60_000);
    for (const p of ['llamacpp', 'vllm', 'ollama', 'lmstudio']) await vscode.commands.executeCommand('localModelRouter.stopServer', p);
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of [...touched, 'discovery.refreshIntervalSeconds']) await set(k, undefined);
    delete process.env.STAND_IN_LMS_STATE;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const cases: { provider: LaunchProvider; settings: (port: number) => Record<string, unknown>; model: string }[] = [
    {
      provider: 'llamacpp',
      model: 'journey/llama',
      settings: port => ({
        'llamacpp.executable': path.join(BIN, 'stand-in-llama-server'),
        'llamacpp.host': '0.0.0.0',
        'llamacpp.port': port,
        'llamacpp.modelPath': '/models/journey.gguf',
        'llamacpp.modelAlias': 'journey/llama',
      }),
    },
    {
      provider: 'vllm',
      model: 'journey/vllm',
      settings: port => ({ 'vllm.executable': path.join(BIN, 'stand-in-vllm'), 'vllm.port': port, 'vllm.model': 'journey/vllm' }),
    },
    {
      provider: 'ollama',
      model: 'journey:ollama',
      settings: port => ({
        'ollama.executable': path.join(BIN, 'stand-in-ollama'),
        'ollama.host': `127.0.0.1:${port}`,
        'ollama.model': 'journey:ollama',
      }),
    },
    {
      provider: 'lmstudio',
      model: 'journey-lms',
      settings: port => ({ 'lmstudio.lmsPath': path.join(BIN, 'stand-in-lms'), 'lmstudio.port': port, 'lmstudio.modelKey': 'journey-lms' }),
    },
  ];
  for (const c of cases) {
    test(`${c.provider} on a non-default address`, async function () {
      this.timeout(90_000);
      const settings = c.settings(await freePort());
      // The 0.0.0.0 bind asks first; a person says yes to it.
      for (const [k, v] of Object.entries(settings)) {
        touched.add(k);
        await set(k, v);
      }
      const expected = await launchCommandBaseUrl(c.provider, settings, dir);
      const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', c.provider, {
        answers: { exposure: 'start' },
      });
      assert.ok(r.kind === 'ready', JSON.stringify(r));
      assert.equal(r.baseUrl, expected, 'Start Server reports where launch-command says it listens');
      const probes = await vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh');
      const mine = probes.find(p => p.baseUrl === expected);
      assert.ok(mine?.result.kind === 'up', `discovery at ${expected}: ${JSON.stringify(mine ?? probes.map(p => p.baseUrl))}`);
      const picked = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', {
        select: { baseUrl: expected, model: c.model },
      });
      assert.equal(picked?.ok, true, JSON.stringify(picked));
      assert.equal(api.activeRoute?.baseUrl, expected);
      assert.match(api.statusBar.tooltip, /Started here \| ready/);
      await vscode.commands.executeCommand('localModelRouter.stopServer', c.provider);
    });
  }
});

suite('journey: a keyed server, from Set API Key to the real Codex CLI answering', () => {
  const KEY = 'sk-journey-7b1e';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-journey-key-'));
  const codexHome = process.env.CODEX_HOME as string;
  let server: ScriptedServer;
  let api: LocalModelRouterApi;

  suiteSetup(async function () {
    this.timeout(60_000);
    assert.ok(fs.existsSync(CODEX), `the real Codex CLI (devDependency) at ${CODEX}`);
    assert.ok(codexHome && !codexHome.startsWith(os.userInfo().homedir + '/.codex'), 'the harness gives the host its own CODEX_HOME');
    server = await startScriptedServer({ kind: 'generic', models: [{ id: 'journey/keyed', contextWindow: 32768 }], apiKey: KEY });
    await set('discovery.refreshIntervalSeconds', 0);
    await set('openaiCompatible.endpoints', [{ label: 'Keyed box', baseUrl: server.baseUrl }]);
    await set('codex.previewChanges', true);
    api = (await vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID)?.activate()) as LocalModelRouterApi;
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('localModelRouter.setApiKey', server.baseUrl, '');
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of ['discovery.refreshIntervalSeconds', 'openaiCompatible.endpoints', 'codex.previewChanges', 'codex.executable'])
      await set(k, undefined);
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('Set API Key → pick → Verify → Write Codex Profile → Open Codex: Codex sends the key and answers', async function () {
    this.timeout(180_000);
    // The picker first shows the endpoint as wanting a key.
    let probes = await vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh');
    assert.equal(probes.find(p => p.baseUrl === server.baseUrl)?.result.kind, 'unauthorized');
    assert.equal(await vscode.commands.executeCommand('localModelRouter.setApiKey', server.baseUrl, KEY), true);
    probes = await vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh');
    assert.equal(probes.find(p => p.baseUrl === server.baseUrl)?.result.kind, 'up');
    const picked = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', {
      select: { baseUrl: server.baseUrl, model: 'journey/keyed' },
    });
    assert.equal(picked?.ok, true, JSON.stringify(picked));

    const report = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute');
    assert.equal(report.ok, true, JSON.stringify(report.stages.map(s => [s.id, s.status, s.summary])));
    assert.equal(api.health.kind, 'verified');

    await set('codex.executable', CODEX);
    const written = await vscode.commands.executeCommand<{ kind: string; files?: string[]; validation?: { kind: string } }>(
      'localModelRouter.writeCodexProfile',
      { name: 'journey', folder: false, answers: { apply: true } },
    );
    assert.equal(written.kind, 'written', JSON.stringify(written));
    assert.equal(written.validation?.kind, 'accepted', 'the real Codex loaded it with --strict-config');
    const profile = fs.readFileSync(path.join(codexHome, 'journey.config.toml'), 'utf8');
    assert.match(profile, /env_key = "LOCAL_LLM_API_KEY"/, 'the profile names the variable Codex reads the key from');
    for (const f of fs.readdirSync(codexHome, { recursive: true }) as string[]) {
      const p = path.join(codexHome, f);
      if (fs.statSync(p).isFile()) assert.ok(!fs.readFileSync(p, 'utf8').includes(KEY), `the key itself is in no file (${f})`);
    }

    // Open Codex runs codex.executable with the profile in a terminal; this stand-in hands the same
    // argv and environment to the real Codex CLI non-interactively and records what it printed.
    const codex = codexStandIn(dir, CODEX, 'Reply with exactly: JOURNEY-OK');
    await set('codex.executable', codex.executable);
    const before = server.requests.length;
    const opened = await vscode.commands.executeCommand<{ ok: boolean; args?: string[]; envNames?: string[] }>(
      'localModelRouter.openCodex',
    );
    assert.deepEqual(opened, { ok: true, args: ['--profile', 'journey'], envNames: ['LOCAL_LLM_API_KEY'] });
    const printed = await codex.printed(90_000);
    assert.match(printed, /JOURNEY-OK/, codex.describe());
    assert.match(printed, /exit=0/);
    const posts = server.requests.slice(before).filter(r => r.method === 'POST' && r.path.endsWith('/responses'));
    assert.ok(posts.length >= 1 && posts.every(p => p.headers.authorization === `Bearer ${KEY}`), 'every Codex request carried the key');
  });
});

suite('journey: Claude Code, from the picker to the real Claude Code CLI answering', () => {
  const CLAUDE_BIN = path.join(ROOT, 'node_modules/@anthropic-ai/claude-code-linux-x64/claude');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-journey-claude-'));
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath as string;
  let server: ScriptedServer;
  let api: LocalModelRouterApi;

  suiteSetup(async function () {
    this.timeout(60_000);
    assert.ok(fs.existsSync(CLAUDE_BIN), `the real Claude Code CLI (devDependency) at ${CLAUDE_BIN}`);
    const { startMessagesServer } = await import('../support/scripted-messages');
    server = await startMessagesServer({ kind: 'llamacpp', models: [{ id: 'journey/claude', contextWindow: 65536 }] });
    await set('discovery.refreshIntervalSeconds', 0);
    await set('discovery.probeLlamaServerDefaultPort', false);
    await set('llamacpp.baseUrl', server.baseUrl);
    await set('verify.agents', ['claude']);
    api = (await vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID)?.activate()) as LocalModelRouterApi;
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of [
      'discovery.refreshIntervalSeconds',
      'discovery.probeLlamaServerDefaultPort',
      'llamacpp.baseUrl',
      'verify.agents',
      'claude.executable',
    ])
      await set(k, undefined);
    fs.rmSync(path.join(folder, '.claude'), { recursive: true, force: true });
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('pick → Verify for Claude Code → Write Claude Code Settings (project) → Open Claude Code: the real CLI answers', async function () {
    this.timeout(180_000);
    await vscode.commands.executeCommand('localModelRouter.refresh');
    const picked = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', {
      select: { baseUrl: server.baseUrl, model: 'journey/claude' },
    });
    assert.equal(picked?.ok, true, JSON.stringify(picked));
    const report = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute');
    assert.equal(report.agent, 'claude');
    assert.equal(report.ok, true, JSON.stringify(report.stages.map(s => [s.id, s.status, s.summary])));
    assert.match(api.statusBar.tooltip, /Verified for Claude Code \| passed/);

    const w = await vscode.commands.executeCommand<{ kind: string; path?: string }>('localModelRouter.writeClaudeSettings', {
      scope: 'project',
      answers: { apply: true },
    });
    assert.equal(w.kind, 'written', JSON.stringify(w));
    const settings = JSON.parse(fs.readFileSync(path.join(folder, '.claude', 'settings.local.json'), 'utf8')) as {
      env: Record<string, string>;
    };
    assert.equal(settings.env.ANTHROPIC_BASE_URL, server.root);
    assert.equal(settings.env.ANTHROPIC_DEFAULT_SONNET_MODEL, 'journey/claude');
    assert.equal(settings.env.CLAUDE_CODE_MAX_CONTEXT_TOKENS, '65536');
    assert.equal(settings.env.CLAUDE_CODE_ATTRIBUTION_HEADER, '0');

    // Open Claude Code runs claude.executable in a terminal with the route's variables; this stand-in
    // runs the real CLI with them, non-interactively, in the project (where the settings file is).
    const claude = claudeStandIn(dir, CLAUDE_BIN, folder, 'Reply with exactly: CLAUDE-JOURNEY-OK');
    await set('claude.executable', claude.executable);
    const before = server.requests.length;
    const opened = await vscode.commands.executeCommand<{ ok: boolean; envNames?: string[] }>('localModelRouter.openClaudeCode');
    assert.equal(opened.ok, true, JSON.stringify(opened));
    assert.ok(opened.envNames?.includes('ANTHROPIC_BASE_URL'));
    const printed = await claude.printed(90_000);
    assert.match(printed, /CLAUDE-JOURNEY-OK/, claude.describe());
    assert.match(printed, /exit=0/);
    const posts = server.requests.slice(before).filter(r => r.method === 'POST' && r.path.startsWith('/v1/messages'));
    assert.ok(posts.length >= 1, 'Claude Code sent its turn to the route');
    assert.equal(JSON.parse(posts[0].body).model, 'journey/claude');
  });
});

suite('journey: a server that refuses MCP tools, from Verify to a Codex turn with an MCP server configured', () => {
  const MODEL = 'qwen3-coder-30b';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-journey-mcp-'));
  const codexHome = process.env.CODEX_HOME as string;
  const configFile = path.join(codexHome, 'config.toml');
  let configBefore: string | undefined;
  let server: ScriptedServer;
  let api: LocalModelRouterApi;

  suiteSetup(async function () {
    this.timeout(60_000);
    const C = await import('../support/codex-behaviours');
    // LM Studio 0.4.11 refuses Codex's namespace tools (lmstudio-bug-tracker#1810): with an MCP server
    // configured, every Codex turn fails there unless the profile turns it off.
    server = await startScriptedServer({
      kind: 'lmstudio',
      models: [{ id: MODEL, contextWindow: 32768 }],
      brain: C.namespaceToolsBrain('lmstudio-reject'),
    });
    configBefore = fs.existsSync(configFile) ? fs.readFileSync(configFile, 'utf8') : undefined;
    fs.mkdirSync(codexHome, { recursive: true });
    fs.appendFileSync(
      configFile,
      `\n[mcp_servers.demo]\ncommand = "node"\nargs = ["${path.join(ROOT, 'test/support/mcp-stdio-server.cjs')}"]\n`,
    );
    await set('discovery.refreshIntervalSeconds', 0);
    await set('lmstudio.baseUrl', server.baseUrl);
    await set('verify.agents', ['codex']);
    api = (await vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID)?.activate()) as LocalModelRouterApi;
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of ['discovery.refreshIntervalSeconds', 'lmstudio.baseUrl', 'verify.agents', 'codex.executable']) await set(k, undefined);
    if (configBefore === undefined) fs.rmSync(configFile, { force: true });
    else fs.writeFileSync(configFile, configBefore);
    for (const f of ['journey-mcp.config.toml', 'journey-mcp.models.json']) fs.rmSync(path.join(codexHome, f), { force: true });
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('pick → Verify names the refusal and the MCP server → Write Codex Profile turns it off → Open Codex: the real Codex answers', async function () {
    this.timeout(180_000);
    await vscode.commands.executeCommand('localModelRouter.refresh');
    const picked = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', {
      select: { baseUrl: server.baseUrl, model: MODEL },
    });
    assert.equal(picked?.ok, true, JSON.stringify(picked));

    const report = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute');
    const tt = report.stages.find(s => s.id === 'tool-types');
    assert.equal(tt?.status, 'warn', JSON.stringify(tt));
    assert.equal(tt?.diagnosis?.code, 'non-function-tool-rejected');
    assert.match(tt?.diagnosis?.message ?? '', /Your MCP servers \(demo\)/);
    assert.equal(tt?.diagnosis?.fix?.kind, 'writeCodexProfile');
    // The verdict is for Codex through the profile written from this verification (the default "auto").
    assert.equal(report.ok, true, JSON.stringify(report.stages.map(s => [s.id, s.status, s.diagnosis?.code])));
    assert.match(report.headline ?? '', /cannot use MCP tools \(the server refuses them; off in the profile\)/);
    assert.match(api.statusBar.tooltip, /cannot use MCP tools/);

    await set('codex.executable', CODEX);
    const written = await vscode.commands.executeCommand<{ kind: string; notes?: string[]; validation?: { kind: string } }>(
      'localModelRouter.writeCodexProfile',
      { name: 'journey-mcp', folder: false, answers: { apply: true } },
    );
    assert.equal(written.kind, 'written', JSON.stringify(written));
    assert.equal(written.validation?.kind, 'accepted', 'the real Codex loaded it with --strict-config');
    assert.ok(
      written.notes?.some(n => /MCP servers demo off in this profile/.test(n)),
      JSON.stringify(written.notes),
    );
    const profile = fs.readFileSync(path.join(codexHome, 'journey-mcp.config.toml'), 'utf8');
    assert.match(profile, /\[mcp_servers\.demo\]\ncommand = "node"\nenabled = false/);
    assert.match(profile, /web_search = "disabled"/);
    assert.ok(
      fs.readFileSync(configFile, 'utf8').includes('[mcp_servers.demo]\ncommand = "node"'),
      'config.toml keeps the server for every other profile',
    );

    const codex = codexStandIn(dir, CODEX, 'Reply with exactly: MCP-JOURNEY-OK');
    await set('codex.executable', codex.executable);
    const before = server.requests.length;
    const opened = await vscode.commands.executeCommand<{ ok: boolean; args?: string[] }>('localModelRouter.openCodex');
    assert.equal(opened.ok, true, JSON.stringify(opened));
    const printed = await codex.printed(90_000);
    assert.match(printed, /MCP-JOURNEY-OK/, codex.describe());
    assert.match(printed, /exit=0/);
    const posts = server.requests
      .slice(before)
      .filter(r => r.method === 'POST' && r.path.endsWith('/responses'))
      .map(r => JSON.parse(r.body) as { tools?: { type: string }[] });
    assert.ok(
      posts.length >= 1 && posts.every(b => (b.tools ?? []).every(t => t.type === 'function')),
      'Codex sent only function tools: no mcp__demo, no agents, no web search',
    );
  });
});
