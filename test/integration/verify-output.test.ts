// Each agent's report shows the server's output for its own requests only: Verify Route checks Codex
// and then Claude Code on a llama-server this window started (the stand-in, which logs each request
// as llama-server does); under the Codex failure, "The server's last output" holds the Codex requests,
// never the Claude Code ones that came after.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { StartResult } from '../../src/features/launch/start';
import type { ReportWithOutput } from '../../src/features/verify/run';
import { freePort } from '../support/ports';

const EXTENSION_ID = 'local-model-router.local-model-router';
const STAND_IN = path.resolve(__dirname, '../../test/support/bin/stand-in-llama-server');
const config = () => vscode.workspace.getConfiguration('localModelRouter');
const SETTINGS: Record<string, unknown> = {
  'discovery.refreshIntervalSeconds': 0,
  'discovery.probeLlamaServerDefaultPort': false,
  'llamacpp.executable': STAND_IN,
  'llamacpp.modelPath': '/models/stand-in.gguf',
  // chatml: no tool support, so Codex's tool call fails (template-no-tools).
  'llamacpp.chatTemplate': 'chatml',
  'llamacpp.contextSize': 32768,
  'verify.agents': ['codex', 'claude'],
};

suite("verify: each report shows its own agent's server output", () => {
  let baseUrl: string;

  suiteSetup(async function () {
    this.timeout(60_000);
    const port = await freePort();
    for (const [k, v] of Object.entries({ ...SETTINGS, 'llamacpp.port': port }))
      await config().update(k, v, vscode.ConfigurationTarget.Global);
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    const r = await vscode.commands.executeCommand<StartResult>('localModelRouter.startServer', 'llamacpp');
    assert.equal(r.kind, 'ready', JSON.stringify(r));
    baseUrl = `http://127.0.0.1:${port}/v1`;
    const picked = await vscode.commands.executeCommand<{ ok: boolean }>('localModelRouter.pickRoute', {
      select: { baseUrl, model: 'local/model' },
    });
    assert.equal(picked?.ok, true, JSON.stringify(picked));
  });

  suiteTeardown(async function () {
    this.timeout(30_000);
    await vscode.commands.executeCommand('localModelRouter.stopServer', 'llamacpp');
    await vscode.commands.executeCommand('localModelRouter.clearRoute');
    for (const k of [...Object.keys(SETTINGS), 'llamacpp.port']) await config().update(k, undefined, vscode.ConfigurationTarget.Global);
  });

  test("the Codex failure's server output holds Codex's requests, not Claude Code's later ones", async function () {
    this.timeout(120_000);
    const codex = await vscode.commands.executeCommand<ReportWithOutput & { others?: ReportWithOutput[] }>('localModelRouter.verifyRoute');
    assert.ok(codex);
    const claude = codex.others?.[0];
    assert.equal(codex.agent, 'codex');
    assert.equal(claude?.agent, 'claude');
    assert.ok(
      codex.stages.some(s => s.status === 'fail'),
      JSON.stringify(codex.stages.map(s => [s.id, s.status])),
    );
    const own = codex.serverOutput ?? [];
    assert.ok(
      own.some(l => l.includes('POST /v1/responses')),
      `Codex's requests are in its report: ${JSON.stringify(own)}`,
    );
    assert.deepEqual(
      own.filter(l => l.includes('/v1/messages')),
      [],
      "Claude Code's requests came later and are not in the Codex report",
    );
    assert.ok(
      (claude?.serverOutput ?? []).some(l => l.includes('/v1/messages')),
      `Claude Code's report has its own requests: ${JSON.stringify(claude?.serverOutput)}`,
    );
  });
});
