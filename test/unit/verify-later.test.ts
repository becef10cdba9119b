// Issue 14: the failures Codex users meet later in a session or with the tools they add. Each scripted
// server reproduces a real server's behaviour and words (test/support/codex-behaviours.ts says where
// each comes from); the verifier must name it, and the profile writer must use what it learned.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseToml } from 'smol-toml';
import { startScriptedServer, type ScriptedServerOptions } from '../support/scripted-server';
import { inputItems } from '../support/brain';
import * as B from '../support/behaviours';
import * as C from '../support/codex-behaviours';
import { verifyRoute, type DiagnosisCode, type StageId, type VerifyOptions, type VerifyReport } from '../../src/core/codex/verify/index';
import { summarize } from '../../src/core/verify/report';
import { buildProfile } from '../../src/core/codex/profile';
import { idleTimeoutFor } from '../../src/core/codex/idleTimeout';
import { enabledMcpServers } from '../../src/core/codex/tomlEdit';
import { SETTINGS } from '../../src/core/settings/catalog';

const LLAMA = { kind: 'llamacpp', models: [{ id: 'local/model', contextWindow: 32768 }] } as const;

async function run(server: ScriptedServerOptions, opts: Partial<VerifyOptions> = {}) {
  const s = await startScriptedServer(server);
  try {
    const report = await verifyRoute({
      baseUrl: s.baseUrl,
      model: String(server.models?.[0]?.id ?? 'local/model'),
      skip: [],
      timeoutMs: 5_000,
      ...opts,
    });
    const bodies = s.requests
      .filter(r => r.method === 'POST')
      .map(r => {
        try {
          return JSON.parse(r.body) as Record<string, unknown>;
        } catch {
          return {};
        }
      });
    return { report, bodies };
  } finally {
    await s.close();
  }
}

function stage(r: VerifyReport, id: StageId) {
  const s = r.stages.find(x => x.id === id);
  assert.ok(s, `stage ${id} missing`);
  return s;
}

function expectCode(r: VerifyReport, id: StageId, code: DiagnosisCode, status: 'fail' | 'warn') {
  const s = stage(r, id);
  assert.equal(s.status, status, `${id}: ${s.status} ${s.summary} ${JSON.stringify(s.diagnosis)} ${s.evidence.join(' | ')}`);
  assert.equal(s.diagnosis?.code, code, `${id}: ${JSON.stringify(s.diagnosis)}`);
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
}

const laterTurn = (bodies: Record<string, unknown>[]) =>
  bodies.find(b => inputItems(b).some(i => typeof i.content === 'object' && JSON.stringify(i.content).includes('TURN2-OK')));

describe('a later turn (multi-turn stage)', () => {
  test('a healthy server: the second turn carries the history and a late developer message, as Codex sends them', async () => {
    const { report, bodies } = await run({ ...LLAMA, models: [...LLAMA.models] });
    assert.equal(
      report.ok,
      true,
      JSON.stringify(
        report.stages.filter(s => s.status !== 'pass'),
        null,
        1,
      ),
    );
    assert.equal(stage(report, 'multi-turn').status, 'pass');
    const body = laterTurn(bodies);
    assert.ok(body, 'the later turn was sent');
    const kinds = inputItems(body).map(i => (i.type === 'message' ? String(i.role) : String(i.type)));
    // developer, developer, user(env), user(task), [reasoning], function_call, function_call_output, …, assistant, developer, user(env), user(prompt)
    assert.deepEqual(kinds.slice(0, 4), ['developer', 'developer', 'user', 'user']);
    assert.deepEqual(kinds.slice(-4), ['assistant', 'developer', 'user', 'user']);
    assert.ok(kinds.includes('function_call') && kinds.includes('function_call_output'));
    const out = inputItems(body).find(i => i.type === 'function_call_output' && typeof i.output === 'string');
    assert.match(String(out?.output), /Process exited with code 0\nOriginal token count: \d+\nOutput:\nLMR-/);
    // The model's own call from the tool-call stage, sent back with its call id.
    const call = inputItems(body).find(i => i.type === 'function_call' && i.name === 'exec_command');
    assert.equal(call?.call_id, out?.call_id);
    assert.equal(report.findings?.laterTurns, true);
    assert.equal(report.findings?.lateDeveloper, true);
    assert.match(report.headline ?? '', /keep going across turns/);
  });

  for (const variant of ['llamacpp-500', 'vllm'] as const) {
    test(`a template that merges leading system messages (${variant}): the first turn passes, a turn after a permissions change fails`, async () => {
      const { report } = await run({ ...LLAMA, models: [...LLAMA.models], brain: C.mergingStrictTemplateBrain(variant) });
      assert.equal(stage(report, 'codex-shape').status, 'pass');
      assert.equal(stage(report, 'tool-call').status, 'pass');
      expectCode(report, 'multi-turn', 'template-system-message', 'fail');
      const d = stage(report, 'multi-turn').diagnosis;
      assert.match(d?.message ?? '', /first turn works and so does a plain later one, but a turn after a developer message/);
      assert.equal(d?.fix?.kind, 'changeServer');
      assert.deepEqual({ later: report.findings?.laterTurns, late: report.findings?.lateDeveloper }, { later: true, late: false });
      assert.match(report.headline ?? '', /cannot continue after a permissions change/);
    });
  }

  test('a strict template that refuses any second system message fails on the first turn already (not blamed on history)', async () => {
    const { report } = await run({ ...LLAMA, models: [...LLAMA.models], brain: B.strictTemplateBrain('llamacpp-500') });
    expectCode(report, 'codex-shape', 'template-system-message', 'fail');
    expectCode(report, 'multi-turn', 'template-system-message', 'fail');
    assert.equal(report.findings?.laterTurns, false);
    assert.match(report.headline ?? '', /^Codex cannot work on this route: a codex-sized turn failed \(template-system-message\)/);
  });

  test('vLLM 0.19.1: reasoning items sent back without status are refused; the first turn works, tools and later turns do not', async () => {
    const { report, bodies } = await run({
      kind: 'vllm',
      models: [{ id: 'glm-5.1', contextWindow: 65536 }],
      brain: C.vllmHistoryStatusBrain(),
    });
    assert.equal(stage(report, 'codex-shape').status, 'pass');
    expectCode(report, 'tool-call', 'history-rejected', 'fail');
    expectCode(report, 'multi-turn', 'history-rejected', 'fail');
    assert.match(stage(report, 'multi-turn').diagnosis?.message ?? '', /`status`.*vLLM 0\.19\.1.*vllm#45273/s);
    assert.match(stage(report, 'multi-turn').diagnosis?.message ?? '', /Field required/);
    // As Codex does: the reasoning item goes back without its status.
    const reasoning = bodies.flatMap(b => inputItems(b)).filter(i => i.type === 'reasoning');
    assert.ok(reasoning.length > 0 && reasoning.every(i => i.status === undefined));
    assert.match(report.headline ?? '', /cannot run tools \(history-rejected\) or continue past the first turn \(history-rejected\)/);
  });

  test('a session without a finished tool-call stage still gets a later turn (history made up, and said so)', async () => {
    const { report } = await run({ ...LLAMA, models: [...LLAMA.models], brain: B.noToolCallBrain() });
    assert.equal(stage(report, 'multi-turn').status, 'pass');
    assert.ok(stage(report, 'multi-turn').evidence.some(e => /made up by the verifier/.test(e)));
  });
});

describe('tool types Codex may send (tool-types stage)', () => {
  test('a server that takes everything: namespace calls come back with their namespace; MCP results go into the later turn', async () => {
    const { report, bodies } = await run({ ...LLAMA, models: [...LLAMA.models] });
    const s = stage(report, 'tool-types');
    assert.equal(s.status, 'pass', s.evidence.join('\n'));
    assert.deepEqual(report.findings?.toolTypes, {
      namespace: 'accepted',
      custom: 'accepted',
      web_search: 'accepted',
      'image-output': 'accepted',
    });
    assert.ok(s.evidence.some(e => /called it with its namespace/.test(e)));
    const later = inputItems(laterTurn(bodies) ?? {});
    assert.ok(later.some(i => i.type === 'function_call' && i.namespace === 'mcp__lmr_probe'));
    assert.ok(later.some(i => i.type === 'function_call_output' && Array.isArray(i.output)));
    assert.match(report.headline ?? '', /use MCP tools/);
  });

  const cases: {
    variant: C.NamespaceVariant;
    kind: ScriptedServerOptions['kind'];
    outcome: string;
    code: DiagnosisCode;
    shape: 'fail' | 'pass';
  }[] = [
    { variant: 'llamacpp-drop', kind: 'llamacpp', outcome: 'dropped', code: 'mcp-tools-dropped', shape: 'pass' },
    { variant: 'llamacpp-old-reject', kind: 'llamacpp', outcome: 'rejected', code: 'non-function-tool-rejected', shape: 'fail' },
    { variant: 'lmstudio-reject', kind: 'lmstudio', outcome: 'rejected', code: 'non-function-tool-rejected', shape: 'fail' },
    { variant: 'ollama-500', kind: 'ollama', outcome: 'rejected', code: 'non-function-tool-rejected', shape: 'fail' },
    { variant: 'vllm-harmony-reject', kind: 'vllm', outcome: 'rejected', code: 'non-function-tool-rejected', shape: 'fail' },
    { variant: 'ollama-flatten', kind: 'ollama', outcome: 'calls-unusable', code: 'mcp-calls-unusable', shape: 'pass' },
  ];
  for (const c of cases) {
    test(`namespace tools, ${c.variant}: ${c.outcome} (${c.code})`, async () => {
      const server = { kind: c.kind, models: [{ id: 'm', contextWindow: 32768 }], brain: C.namespaceToolsBrain(c.variant) };
      const { report } = await run(server, { mcpServers: ['github', 'tickets'] });
      assert.equal(report.findings?.toolTypes?.namespace, c.outcome, stage(report, 'tool-types').evidence.join('\n'));
      expectCode(report, 'tool-types', c.code, 'warn');
      if (c.code !== 'mcp-tools-dropped') {
        assert.match(stage(report, 'tool-types').diagnosis?.message ?? '', /github, tickets/);
        assert.equal(stage(report, 'tool-types').diagnosis?.fix?.kind, 'writeCodexProfile');
      }
      // Under "auto" (the default) the Codex-sized turns go as the profile written now will send them:
      // without the refused tools, so the route works through that profile.
      assert.equal(stage(report, 'codex-shape').status, 'pass');
      assert.equal(report.ok, true, JSON.stringify(report.stages.filter(s => s.status === 'fail')));
      // A profile that keeps them on (codex.disableNonFunctionTools = never): Codex's first turn fails where they are refused.
      const never = await run(server, { nonFunctionTools: true });
      assert.equal(stage(never.report, 'codex-shape').status, c.shape);
      // The headline says what the profile does with them.
      if (c.outcome === 'rejected') {
        assert.match(report.headline ?? '', /cannot use MCP tools \(the server refuses them; off in the profile\)/);
        assert.match(
          never.report.headline ?? '',
          /^Codex cannot work on this route: a codex-sized turn failed \(non-function-tool-rejected\)/,
        );
      }
      if (c.outcome === 'calls-unusable') {
        assert.match(report.headline ?? '', /their calls come back without the namespace; off in the profile/);
        assert.match(never.report.headline ?? '', /their calls come back without the namespace; Codex answers them "unsupported call"/);
      }
      if (c.shape === 'fail') {
        assert.equal(stage(never.report, 'codex-shape').diagnosis?.code, 'non-function-tool-rejected');
        assert.equal(stage(never.report, 'tool-types').diagnosis?.fix?.kind, 'codexDisableNonFunctionTools');
      }
    });
  }

  test('llama.cpp refuses an image in a tool result: "Output of tool call should be \'Input text\'" (image-output-rejected)', async () => {
    const { report } = await run({ ...LLAMA, models: [...LLAMA.models], brain: C.llamaToolOutputBrain() });
    expectCode(report, 'tool-types', 'image-output-rejected', 'warn');
    assert.match(stage(report, 'tool-types').diagnosis?.message ?? '', /Output of tool call should be 'Input text'/);
    // Text-only MCP results (a list of input_text parts) pass; the later turn works.
    assert.equal(stage(report, 'multi-turn').status, 'pass');
    assert.equal(report.ok, true);
  });

  test('LM Studio refuses `text` without `format`: named, and Codex through the profile (no `text` sent) still passes', async () => {
    const { report, bodies } = await run({
      kind: 'lmstudio',
      models: [{ id: 'qwen3-coder', contextWindow: 32768 }],
      brain: C.textFormatRequiredBrain(),
    });
    expectCode(report, 'tool-types', 'text-format-required', 'warn');
    assert.equal(report.findings?.textFormatRequired, true);
    assert.equal(report.ok, true);
    // Only the probe sent `text`; every Codex-shaped request goes without it, as Codex 0.169 does through the profile.
    assert.equal(bodies.filter(b => b.text !== undefined).length, 1);
  });

  test('the stage can be skipped; the later turn then leaves MCP results out', async () => {
    const { report, bodies } = await run({ ...LLAMA, models: [...LLAMA.models] }, { skip: ['tool-types', 'chat-completions'] });
    assert.equal(stage(report, 'tool-types').status, 'skip');
    assert.ok(!inputItems(laterTurn(bodies) ?? {}).some(i => i.namespace !== undefined));
  });
});

describe('prompt processing rate and the idle timeout', () => {
  // A 4M-token context at ~10,000 tokens/s: a full cold prompt takes ~420 s, over Codex's 300 s default
  // (the same sum as 32k at 78 tokens/s, a CPU; scaled so the test waits a quarter second, not minutes).
  const CTX = 4_194_304;
  const SKIP = ['tool-types', 'chat-completions', 'multi-turn', 'tool-call', 'responses-stream'] as const;
  test('a slow vLLM (headers first, then the prompt in silence): the rate is measured, named slow-prompt, and the profile raises stream_idle_timeout_ms', async () => {
    const { report } = await run(
      { kind: 'vllm', models: [{ id: 'big', contextWindow: CTX }], brain: C.slowPromptBrain(10_000) },
      { skip: [...SKIP] },
    );
    const shape = stage(report, 'codex-shape');
    expectCode(report, 'codex-shape', 'slow-prompt', 'warn');
    const tps = shape.metrics?.promptTps ?? 0;
    assert.ok(tps > 7_000 && tps < 11_000, `measured ${tps} tokens/s`);
    assert.equal(report.findings?.promptTps, tps);
    const f = report.findings ?? {};
    assert.ok((f.firstPromptMs ?? 0) > 100);
    assert.ok(
      (f.promptIdleMs ?? 0) > (f.firstPromptMs ?? 0) * 0.8,
      `silence after the headers: ${f.promptIdleMs} of ${f.firstPromptMs} ms`,
    );
    const plan = idleTimeoutFor({ tps, promptMs: f.firstPromptMs, idleMs: f.promptIdleMs }, CTX);
    assert.equal(plan.raised, true);
    assert.match(shape.diagnosis?.message ?? '', new RegExp(`stream_idle_timeout_ms = ${plan.ms}`));
    assert.equal(shape.diagnosis?.fix?.kind, 'writeCodexProfile');
    assert.match(report.headline ?? '', /first prompt ≈\d/);

    const profile = buildProfile(
      { provider: 'vllm', baseUrl: 'http://127.0.0.1:8000/v1', model: 'big', contextWindow: CTX },
      SETTINGS_VALUES,
      { name: 'local-vllm', codexHome: '/tmp/ch', findings: summarize(report).findings },
    );
    assert.equal(profile.streamIdleTimeoutMs, plan.ms);
    const toml = parseToml(profile.fileText ?? '') as { model_providers: Record<string, { stream_idle_timeout_ms: number }> };
    assert.equal(toml.model_providers['local-vllm'].stream_idle_timeout_ms, plan.ms);
    assert.match(profile.fileText ?? '', new RegExp(`# stream_idle_timeout_ms: prompt processing measured at ${tps} tokens/s`));
    assert.ok(profile.notes.some(n => n.startsWith(`stream_idle_timeout_ms = ${plan.ms}: prompt processing measured`)));
  });

  test("the same slow prompt on llama.cpp (nothing, not even headers, until the first output): no slow-prompt, Codex's default kept", async () => {
    const { report } = await run(
      { kind: 'llamacpp', models: [{ id: 'big', contextWindow: CTX }], brain: C.slowPromptBrain(10_000) },
      { skip: [...SKIP] },
    );
    const f = report.findings ?? {};
    assert.equal(stage(report, 'codex-shape').status, 'pass', JSON.stringify(stage(report, 'codex-shape').diagnosis));
    assert.ok(
      (f.firstPromptMs ?? 0) > 100 && (f.promptIdleMs ?? 0) < (f.firstPromptMs ?? 0) * 0.1,
      `slow (${f.firstPromptMs} ms) but silent after the headers for ${f.promptIdleMs} ms`,
    );
    const profile = buildProfile(
      { provider: 'llamacpp', baseUrl: 'http://127.0.0.1:8080/v1', model: 'big', contextWindow: CTX },
      SETTINGS_VALUES,
      { name: 'local-llamacpp', codexHome: '/tmp/ch', findings: f },
    );
    assert.equal(profile.streamIdleTimeoutMs, 300_000);
    assert.ok(profile.notes.some(n => /sends nothing, not even its headers, until its first output/.test(n)));
  });

  test("the rule: Codex's default unless the silence Codex sees, over a full cold context ×1.5, needs more (capped at an hour)", () => {
    assert.deepEqual(idleTimeoutFor({ tps: 5_000 }, 32_768).ms, 300_000);
    assert.equal(idleTimeoutFor({}, 32_768).raised, false);
    assert.equal(idleTimeoutFor({ tps: 20 }, 131_072).ms, 3_600_000, 'capped at an hour');
    assert.equal(idleTimeoutFor({ tps: 100 }, 32_768).ms, 500_000, '327.7 s × 1.5 rounded up to 10 s');
    assert.equal(
      idleTimeoutFor({ tps: 100, promptMs: 2_000, idleMs: 1_000 }, 32_768).ms,
      300_000,
      'half of it silent: 245.8 s, under the default',
    );
    assert.equal(
      idleTimeoutFor({ tps: 100, promptMs: 2_000, idleMs: 50 }, 32_768).raised,
      false,
      'silence under a tenth: the server holds its headers',
    );
  });

  test("the profile's comment says how long Codex's idle timer waits with nothing arriving", () => {
    assert.equal(
      idleTimeoutFor({ tps: 950, promptMs: 2_000, idleMs: 1_360 }, 32_768).why,
      "A cold prompt that fills the 32768-token context takes about 34 s at 950 tokens/s; the server sends its headers first, so Codex's idle timer waits through 23 s of it (68%) with nothing arriving: Codex's default idle timeout (300 s) covers it ×1.5.",
    );
  });
});

const SETTINGS_VALUES = Object.fromEntries(Object.entries(SETTINGS).map(([k, v]) => [k, v.default])) as never;

describe('the profile writer uses what the verifier learned', () => {
  const route = { provider: 'lmstudio', baseUrl: 'http://127.0.0.1:1234/v1', model: 'qwen3-coder', contextWindow: 32768 } as const;
  test('namespace tools refused: web search, agents and every MCP server are off in the profile, with the reason', () => {
    const p = buildProfile(route, SETTINGS_VALUES, {
      name: 'local-lmstudio',
      codexHome: '/tmp/ch',
      findings: { toolTypes: { namespace: 'rejected' } },
      mcpServers: { github: { command: 'gh-mcp' }, tickets: { url: 'http://127.0.0.1:9/mcp' } },
    });
    const toml = parseToml(p.fileText ?? '') as Record<string, unknown>;
    assert.equal(toml.web_search, 'disabled');
    assert.deepEqual({ ...(toml.agents as object) }, { enabled: false });
    assert.deepEqual(JSON.parse(JSON.stringify(toml.mcp_servers)), {
      github: { command: 'gh-mcp', enabled: false },
      tickets: { url: 'http://127.0.0.1:9/mcp', enabled: false },
    });
    assert.deepEqual(p.mcpServersOff, ['github', 'tickets']);
    assert.match(p.fileText ?? '', /# Off on this route: Codex sends MCP tools as namespace tools, and the server refuses namespace tools/);
    assert.ok(p.notes.some(n => /MCP servers github, tickets off in this profile/.test(n)));
  });
  test('calls that lose their namespace: the same, for that reason', () => {
    const p = buildProfile(route, SETTINGS_VALUES, {
      name: 'local-lmstudio',
      codexHome: '/tmp/ch',
      findings: { toolTypes: { namespace: 'calls-unusable' } },
      mcpServers: { github: { command: 'gh-mcp' } },
    });
    assert.deepEqual(p.mcpServersOff, ['github']);
    assert.ok(p.notes.some(n => /returns namespace tool calls without their namespace/.test(n)));
  });
  test('namespace tools dropped: nothing to turn off, the user is told which MCP servers will not work', () => {
    const p = buildProfile(route, SETTINGS_VALUES, {
      name: 'local-lmstudio',
      codexHome: '/tmp/ch',
      findings: { toolTypes: { namespace: 'dropped' } },
      mcpServers: { github: { command: 'gh-mcp' } },
    });
    assert.deepEqual(p.mcpServersOff, []);
    assert.equal((parseToml(p.fileText ?? '') as Record<string, unknown>).mcp_servers, undefined);
    assert.ok(p.notes.some(n => /MCP servers github will not work on this route: the server leaves namespace tools out/.test(n)));
  });
  test('codex.disableNonFunctionTools = never wins: nothing is turned off, the note says MCP servers will fail', () => {
    const p = buildProfile(route, { ...(SETTINGS_VALUES as object), 'codex.disableNonFunctionTools': 'never' } as never, {
      name: 'local-lmstudio',
      codexHome: '/tmp/ch',
      findings: { toolTypes: { namespace: 'rejected' } },
      mcpServers: { github: { command: 'gh-mcp' } },
    });
    assert.equal(p.nonFunctionToolsOff, false);
    assert.deepEqual(p.mcpServersOff, []);
    assert.ok(p.notes.some(n => /MCP servers github will fail on this route/.test(n)));
  });
  test('MCP servers are read from config.toml: enabled ones only; a config that does not parse gives none', () => {
    assert.deepEqual(
      enabledMcpServers(
        '[mcp_servers.github]\ncommand = "gh-mcp"\n\n[mcp_servers.old]\ncommand = "x"\nenabled = false\n\n[mcp_servers."my.server"]\nurl = "http://127.0.0.1:9/mcp"\n',
      ),
      { github: { command: 'gh-mcp' }, 'my.server': { url: 'http://127.0.0.1:9/mcp' } },
    );
    assert.deepEqual(enabledMcpServers('[mcp_servers\n'), {});
    assert.deepEqual(enabledMcpServers(''), {});
  });
});
