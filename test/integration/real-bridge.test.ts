// The MCP journey on real parts, in the real host: a llama-server started by Start Server (the real
// one, `npm run setup:real-server`; skipped without it unless CI is set) leaves Codex's namespace
// tools out of the prompt, so a user's MCP server does nothing there. Verify Route finds it, verifies
// again through the route bridge (the user has an MCP server), Write Codex Profile points Codex at the
// bridge and leaves the MCP server on, and Open Codex starts the bridge in this window: the real Codex
// then calls the MCP server's tool (a server written with the official SDK) through it.
// tiny-mcp calls a tool only where it is not one of Codex's own; its random weights fail the
// verifier's tool-call arguments either way, which the bridge neither causes nor repairs.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EndpointProbe } from '../../src/core/route/discovery';
import type { StartResult } from '../../src/features/launch/start';
import type { VerifyReport } from '../../src/core/verify/types';
import { findRealLlama } from '../support/real-llama';
import { freePorts } from '../support/ports';
import { codexStandIn } from '../support/agent-stand-in';

const EXTENSION_ID = 'local-model-router.local-model-router';
const ROOT = path.resolve(__dirname, '../..');
const CODEX = path.join(ROOT, 'node_modules/.bin/codex');
const MCP_SERVER = path.join(ROOT, 'test/support/mcp-sdk-server.cjs');
const real = findRealLlama();

const config = () => vscode.workspace.getConfiguration('localModelRouter');
const set = (k: string, v: unknown) => config().update(k, v, vscode.ConfigurationTarget.Global);
const KEYS = [
  'llamacpp.executable',
  'llamacpp.port',
  'llamacpp.modelPath',
  'launch.readyTimeoutSeconds',
  'discovery.refreshIntervalSeconds',
  'discovery.probeLlamaServerDefaultPort',
  'llamacpp.baseUrl',
  'bridge.port',
  'codex.executable',
  'codex.previewChanges',
];

suite('real llama-server: an MCP server that does nothing direct works through the route bridge, from Verify to the real Codex', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-real-bridge-'));
  const codexHome = process.env.CODEX_HOME as string;
  const configFile = path.join(codexHome, 'config.toml');
  const calls = path.join(dir, 'mcp-calls.jsonl');
  let configBefore: string | undefined;
  let serverPort: number;
  let bridgePort: number;

  suiteSetup(async function () {
    this.timeout(60_000);
    if (!real.ok) {
      if (process.env.CI) throw new Error(real.reason);
      this.skip();
    }
    [serverPort, bridgePort] = await freePorts(2);
    configBefore = fs.existsSync(configFile) ? fs.readFileSync(configFile, 'utf8') : undefined;
    fs.mkdirSync(codexHome, { recursive: true });
    // The user's config.toml: an MCP server (a generous start-up time: on a loaded machine the SDK
    // server can take longer than Codex's default 10 s to list its tools), and no sub-agents (a random
    // model picks any tool it sees).
    fs.appendFileSync(
      configFile,
      `\n[agents]\nenabled = false\n\n[mcp_servers.tickets]\ncommand = "node"\nargs = [${JSON.stringify(MCP_SERVER)}]\nstartup_timeout_sec = 60\nenv = { MCP_CALL_LOG = ${JSON.stringify(calls)} }\n`,
    );
    await set('discovery.refreshIntervalSeconds', 0);
    await set('discovery.probeLlamaServerDefaultPort', false);
    await set('llamacpp.baseUrl', undefined);
    await set('llamacpp.executable', real.binary);
    await set('llamacpp.port', serverPort);
    await set('llamacpp.modelPath', real.model('tiny-mcp'));
    await set('launch.readyTimeoutSeconds', 60);
    await set('bridge.port', bridgePort);
    await set('codex.previewChanges', true);
    await vscode.extensions.getExtension(EXTENSION_ID)?.activate();
  });

  suiteTeardown(async function () {
    this.timeout(30_000);
    if (!real.ok) return;
    await vscode.commands.executeCommand('localModelRouter.stopBridge');
    await vscode.commands.executeCommand('localModelRouter.stopServer', 'llamacpp');
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of KEYS) await set(k, undefined);
    if (configBefore === undefined) fs.rmSync(configFile, { force: true });
    else fs.writeFileSync(configFile, configBefore);
    for (const f of ['real-bridge.config.toml', 'real-bridge.models.json']) fs.rmSync(path.join(codexHome, f), { force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('Start Server → pick → Verify (MCP tools dropped; through the bridge they reach the model) → Write Codex Profile → Open Codex: Codex calls the MCP tool', async function () {
    this.timeout(420_000);
    const started = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp');
    assert.ok(started.kind === 'ready', JSON.stringify(started));
    const probes = await vscode.commands.executeCommand<EndpointProbe[]>('localModelRouter.refresh');
    const mine = probes.find(p => p.baseUrl === started.baseUrl);
    assert.ok(mine?.result.kind === 'up', JSON.stringify(mine));
    const model = mine.result.kind === 'up' ? mine.result.models[0].id : '';
    const picked = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', {
      select: { baseUrl: started.baseUrl, model },
    });
    assert.equal(picked?.ok, true, JSON.stringify(picked));

    const report = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute', { agent: 'codex' });
    const tt = report.stages.find(s => s.id === 'tool-types');
    assert.equal(tt?.diagnosis?.code, 'mcp-tools-dropped', JSON.stringify(report.stages.map(s => [s.id, s.status, s.diagnosis?.code])));
    assert.ok(report.throughBridge, 'verified again through the bridge: the user has an MCP server');
    assert.ok(report.throughBridge.repairs.includes('mcp-tools-dropped'), JSON.stringify(report.throughBridge));
    assert.match(report.throughBridge.headline ?? '', /use MCP tools/, 'through the bridge the MCP tools reach the model');

    await set('codex.executable', CODEX);
    const written = await vscode.commands.executeCommand<{ kind: string; notes?: string[]; validation?: { kind: string } }>(
      'localModelRouter.writeCodexProfile',
      { name: 'real-bridge', folder: false, answers: { apply: true, despiteConcerns: true } },
    );
    assert.equal(written.kind, 'written', JSON.stringify(written));
    assert.equal(written.validation?.kind, 'accepted', 'the real Codex loaded it with --strict-config');
    const profile = fs.readFileSync(path.join(codexHome, 'real-bridge.config.toml'), 'utf8');
    assert.match(profile, new RegExp(`base_url = "http://127\\.0\\.0\\.1:${bridgePort}/v1"`), profile);
    assert.doesNotMatch(profile, /\[mcp_servers\.tickets\]/, 'the MCP server stays on: through the bridge it works');

    // Open Codex runs codex.executable with the profile in a terminal; this stand-in runs the real
    // Codex non-interactively with the same arguments (approvals bypassed: Codex 0.169 refuses an MCP
    // call under `-a never`). The random model now and then picks another tool: up to five turns.
    let printed = '';
    for (let attempt = 1; attempt <= 5 && !fs.existsSync(calls); attempt++) {
      const codex = codexStandIn(dir, CODEX, 'Look up ticket 42 in the tracker', { mcp: true, name: `codex-${attempt}` });
      await set('codex.executable', codex.executable);
      const opened = await vscode.commands.executeCommand<{ ok: boolean; args?: string[] }>('localModelRouter.openCodex');
      assert.equal(opened.ok, true, JSON.stringify(opened));
      assert.ok(
        vscode.window.terminals.some(t => t.name.startsWith('Route Bridge')),
        `Open Codex started the bridge: ${vscode.window.terminals.map(t => t.name).join(', ')}`,
      );
      printed = await codex.printed(120_000);
      assert.match(printed, /exit=0/, codex.describe());
    }
    assert.ok(fs.existsSync(calls), `the MCP server got the call through the bridge\n${printed.slice(0, 3000)}`);
    assert.match(fs.readFileSync(calls, 'utf8'), /"tool":"lookup_ticket"/);
    assert.match(
      printed,
      /"type":"mcp_tool_call"[^\n]*"server":"tickets"[^\n]*"status":"completed"|"server":"tickets"[^\n]*"type":"mcp_tool_call"/,
    );
  });
});
