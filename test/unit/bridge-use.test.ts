// Whether an agent goes through the route bridge (core/bridge/use.ts), and what the Codex profile
// written for it holds: the bridge's base URL on its fixed port, no key variable, the tools the bridge
// repairs left on, and the command that runs the same bridge outside VS Code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { main } from '../../src/cli/main';
import { decideBridge } from '../../src/core/bridge/use';
import { bridgeCanHelp, bridgeRepairsFor } from '../../src/core/bridge/decide';
import { bridgeBaseUrl, bridgeCommandLine, DEFAULT_BRIDGE_PORT } from '../../src/core/bridge/facts';
import { buildProfile } from '../../src/core/codex/profile';
import { summarize } from '../../src/core/verify/report';
import { SETTINGS } from '../../src/core/settings/catalog';
import type { VerificationSummary } from '../../src/core/route/routeHealth';
import type { VerifyReport } from '../../src/core/verify/types';

const failedDirect: VerificationSummary = {
  agent: 'codex',
  ok: false,
  at: 1,
  failedStage: 'responses-text',
  diagnosis: 'responses-api-missing',
  throughBridge: { ok: true, repairs: ['responses-api-missing'] },
};

test('auto: through the bridge only when the verification passed through it', () => {
  assert.deepEqual(decideBridge('codex', failedDirect, 'auto'), {
    use: true,
    why: 'Codex fails directly and passes through the bridge (it repairs responses-api-missing)',
  });
  assert.equal(
    decideBridge('codex', { ...failedDirect, throughBridge: { ok: false, repairs: ['responses-api-missing'] } }, 'auto').use,
    false,
  );
  assert.equal(decideBridge('codex', { agent: 'codex', ok: true, at: 1 }, 'auto').use, false, 'a route that works directly stays direct');
  assert.deepEqual(decideBridge('claude', undefined, 'auto'), { use: false, why: 'Claude Code was not verified on this route' });
  assert.equal(decideBridge('codex', undefined, 'always').use, true);
  assert.equal(decideBridge('codex', failedDirect, 'never').use, false);
  assert.equal(decideBridge('codex', failedDirect, 'something-else').use, true, 'an unknown value counts as auto');
});

test('the setting defaults to the one fixed port; the URL and the CLI line are built from it', () => {
  assert.equal(SETTINGS['bridge.port'].default, DEFAULT_BRIDGE_PORT);
  assert.equal(SETTINGS['bridge.use'].default, 'auto');
  assert.equal(bridgeBaseUrl(18088), 'http://127.0.0.1:18088/v1');
  assert.equal(
    bridgeCommandLine(18088, 'http://127.0.0.1:8080/v1', 'LOCAL_LLM_API_KEY'),
    'local-model-router bridge --port 18088 --upstream http://127.0.0.1:8080/v1 --api-key-env LOCAL_LLM_API_KEY',
  );
  // A verdict that ran an agent's side over the server's /v1/responses: the line runs the same mode.
  assert.equal(
    bridgeCommandLine(18088, 'http://127.0.0.1:8080/v1', undefined, { claude: 'responses' }),
    'local-model-router bridge --port 18088 --upstream http://127.0.0.1:8080/v1 --claude-upstream-api responses',
  );
  assert.equal(
    bridgeCommandLine(18088, 'http://127.0.0.1:8080/v1', undefined, { codex: 'responses', claude: 'chat' }),
    'local-model-router bridge --port 18088 --upstream http://127.0.0.1:8080/v1 --upstream-api responses',
  );
});

test("a verification's summary keeps the verdict through the bridge", () => {
  const report = {
    agent: 'codex',
    ok: false,
    cancelled: false,
    ms: 1,
    stages: [
      {
        id: 'responses-text',
        title: 't',
        status: 'fail',
        ms: 1,
        summary: 's',
        evidence: [],
        diagnosis: { code: 'responses-api-missing', message: 'm' },
      },
    ],
    throughBridge: { ok: true, repairs: ['responses-api-missing'], headline: 'h' },
  } as unknown as VerifyReport;
  assert.deepEqual(summarize(report, 5).throughBridge, { ok: true, repairs: ['responses-api-missing'] });
});

const S = { 'codex.disableNonFunctionTools': 'auto', 'codex.autoCompactFraction': 0.75, 'llamacpp.autoCompactTokenLimit': 14000 } as const;
const route = {
  provider: 'openaiCompatible',
  baseUrl: 'http://10.0.0.5:8000/v1',
  model: 'qwen3-coder',
  contextWindow: 32768,
  keyVar: 'LOCAL_LLM_API_KEY',
} as const;

test('a profile through the bridge: its base_url, no env_key, MCP servers and web search left on, the CLI line in its header', () => {
  const findings = { toolTypes: { namespace: 'rejected', web_search: 'rejected' } } as const;
  const direct = buildProfile(route, S, { name: 'p', codexHome: '/tmp/ch', findings, mcpServers: { github: { command: 'gh-mcp' } } });
  assert.equal(direct.provider.base_url, 'http://10.0.0.5:8000/v1');
  assert.equal(direct.provider.env_key, 'LOCAL_LLM_API_KEY');
  assert.deepEqual(direct.mcpServersOff, ['github'], 'direct, the refused namespace tools are turned off');

  const bridged = buildProfile(route, S, {
    name: 'p',
    codexHome: '/tmp/ch',
    findings,
    mcpServers: { github: { command: 'gh-mcp' } },
    bridge: { port: 18100, why: 'Codex fails directly and passes through the bridge' },
  });
  assert.equal(bridged.provider.base_url, 'http://127.0.0.1:18100/v1');
  assert.equal(bridged.provider.env_key, undefined, 'the bridge holds the key');
  assert.deepEqual(bridged.mcpServersOff, [], 'the bridge flattens namespace tools: MCP servers stay on');
  assert.equal(bridged.nonFunctionToolsOff, false);
  const doc = parseToml(bridged.fileText ?? '') as { web_search?: string; mcp_servers?: unknown };
  assert.equal(doc.web_search, undefined);
  assert.equal(doc.mcp_servers, undefined);
  assert.match(
    bridged.fileText ?? '',
    /#\s+local-model-router bridge --port 18100 --upstream http:\/\/10\.0\.0\.5:8000\/v1 --api-key-env LOCAL_LLM_API_KEY/,
  );
  assert.ok(bridged.notes.some(n => n.startsWith('through the route bridge at http://127.0.0.1:18100/v1')));
});

test('a passing Codex verdict is verified through the bridge only where it costs the user their MCP servers', () => {
  const stage = (code: string, status: 'warn' | 'fail') =>
    ({ id: 'tool-types', title: 't', status, ms: 1, summary: 's', evidence: [], diagnosis: { code, message: 'm' } }) as const;
  const passing = (code: string) =>
    ({ agent: 'codex', ok: true, cancelled: false, ms: 1, stages: [stage(code, 'warn')] }) as unknown as VerifyReport;
  assert.equal(bridgeCanHelp(passing('mcp-tools-dropped'), { mcpServers: ['github'] }), true);
  assert.equal(bridgeCanHelp(passing('mcp-tools-dropped'), { mcpServers: [] }), false, 'no MCP server: nothing to give back');
  assert.equal(bridgeCanHelp(passing('mcp-tools-dropped')), false);
  assert.equal(bridgeCanHelp(passing('template-system-message'), { mcpServers: ['github'] }), false, 'another warning on a passing route');
  const failing = {
    agent: 'codex',
    ok: false,
    cancelled: false,
    ms: 1,
    stages: [stage('responses-api-missing', 'fail')],
  } as unknown as VerifyReport;
  assert.equal(bridgeCanHelp(failing), true);
  // What decideBridge then makes of it: through the bridge, and why.
  const summary = summarize(
    { ...passing('mcp-tools-dropped'), throughBridge: { ok: true, repairs: ['mcp-tools-dropped'], upstreamApi: 'chat' } } as VerifyReport,
    1,
  );
  assert.deepEqual(decideBridge('codex', summary, 'auto'), {
    use: true,
    why: 'Codex passed directly and through the bridge (it repairs mcp-tools-dropped)',
  });
  assert.equal(summary.throughBridge?.upstreamApi, 'chat', 'Start Route Bridge runs the mode the verification ran');
});

test('codex-profile --from-verify: a report that passed only through the bridge writes the profile for it; --bridge never keeps it direct', async () => {
  const home = mkdtempSync(join(tmpdir(), 'lmr-bridge-cli-'));
  try {
    mkdirSync(join(home, 'ch'));
    writeFileSync(join(home, 'ch', 'config.toml'), '');
    const report = {
      agent: 'codex',
      ok: false,
      stages: [],
      findings: {},
      throughBridge: { ok: true, repairs: ['responses-api-missing'], upstreamApi: 'chat' },
    };
    writeFileSync(join(home, 'report.json'), JSON.stringify(report));
    const run = async (...extra: string[]) => {
      let out = '';
      const io = { out: (t: string) => void (out += t), err: (t: string) => void (out += t), env: { HOME: home }, cwd: home };
      const code = await main(
        [
          'codex-profile',
          ...['--name', 'p', '--provider-id', 'local-mlx', '--base-url', 'http://127.0.0.1:8080/v1', '--model', 'm'],
          ...['--codex-home', join(home, 'ch'), '--codex-version', '0.169.0', '--from-verify', join(home, 'report.json')],
          ...extra,
        ],
        io,
      );
      assert.equal(code, 0, out);
      return readFileSync(join(home, 'ch', 'p.config.toml'), 'utf8');
    };
    assert.match(await run('--bridge-port', '18200'), /base_url = "http:\/\/127\.0\.0\.1:18200\/v1"/);
    // A verdict through the bridge's Responses pass-through: the profile's CLI line runs the same mode.
    writeFileSync(
      join(home, 'report.json'),
      JSON.stringify({ ...report, throughBridge: { ...report.throughBridge, upstreamApi: 'responses' } }),
    );
    assert.match(await run(), /local-model-router bridge --port 18088 --upstream http:\/\/127\.0\.0\.1:8080\/v1 --upstream-api responses/);
    assert.match(await run('--bridge', 'never'), /base_url = "http:\/\/127\.0\.0\.1:8080\/v1"/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("the bridge's repairs include what the tool-type findings show beyond the stage's one diagnosis", () => {
  const report = {
    agent: 'codex',
    ok: false,
    cancelled: false,
    ms: 1,
    stages: [
      {
        id: 'tool-types',
        title: 't',
        status: 'warn',
        ms: 1,
        summary: 's',
        evidence: [],
        diagnosis: { code: 'mcp-tools-dropped', message: 'm' },
      },
    ],
    findings: { toolTypes: { namespace: 'dropped', 'image-output': 'rejected' } },
  } as unknown as VerifyReport;
  assert.deepEqual(bridgeRepairsFor(report), ['mcp-tools-dropped', 'image-output-rejected']);
});

test('auto: a failure the bridge does not cause (the same code either way) does not keep the agent from what the bridge repairs', () => {
  const direct: VerificationSummary = { agent: 'codex', ok: false, at: 1, failedStage: 'tool-call', diagnosis: 'wrong-tool-arguments' };
  const same = {
    ...direct,
    throughBridge: { ok: false, repairs: ['mcp-tools-dropped'], failed: 'wrong-tool-arguments' },
  } as VerificationSummary;
  assert.deepEqual(decideBridge('codex', same, 'auto'), {
    use: true,
    why: 'the bridge repairs mcp-tools-dropped; wrong-tool-arguments fails with or without it',
  });
  const worse = {
    ...direct,
    throughBridge: { ok: false, repairs: ['mcp-tools-dropped'], failed: 'stream-malformed' },
  } as VerificationSummary;
  assert.equal(decideBridge('codex', worse, 'auto').use, false, 'a failure only the bridge shows keeps the agent direct');
});

test('Claude Code’s verdict through the bridge over the server’s Responses API: the summary keeps the mode, and the bridge is used', () => {
  const report = {
    agent: 'claude',
    ok: false,
    cancelled: false,
    ms: 1,
    stages: [
      {
        id: 'messages-text',
        title: 't',
        status: 'fail',
        ms: 1,
        summary: 's',
        evidence: [],
        diagnosis: { code: 'messages-api-missing', message: 'm' },
      },
    ],
    throughBridge: { ok: true, repairs: ['messages-api-missing'], upstreamApi: 'responses' },
  } as unknown as VerifyReport;
  const summary = summarize(report, 1);
  assert.equal(summary.throughBridge?.upstreamApi, 'responses', 'Start Route Bridge runs Claude Code’s side over /v1/responses');
  assert.equal(decideBridge('claude', summary, 'auto').use, true);
});
