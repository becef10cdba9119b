import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { buildPickerEntries } from '../../src/core/route/pickerModel';
import { renderStatus } from '../../src/core/route/statusView';
import { routeTerminalEnv } from '../../src/core/route/terminalEnv';
import { codexLaunchFor, codexKeyVar } from '../../src/core/codex/launch';
import type { EndpointProbe } from '../../src/core/route/discovery';
import type { Route } from '../../src/core/route/route';
import { PROVIDERS, type ProviderId } from '../../src/core/providers';

const launchable = {
  active: undefined as Route | undefined,
  launchable: (p: ProviderId) => PROVIDERS[p].launchable,
  trusted: true,
  verifications: () => ({}),
};
const probes: EndpointProbe[] = [
  {
    provider: 'ollama',
    baseUrl: 'http://127.0.0.1:11434/v1',
    source: 'default',
    result: {
      kind: 'up',
      ms: 3,
      server: { kind: 'ollama', version: '0.33.0' },
      models: [
        { id: 'qwen3-coder:30b', contextWindow: 262144, tools: true },
        { id: 'tiny:1b', contextWindow: 8192, tools: false },
        { id: 'x' },
      ],
    },
  },
  {
    provider: 'lmstudio',
    baseUrl: 'http://127.0.0.1:1234/v1',
    source: 'default',
    result: { kind: 'down', ms: 1, message: 'connection refused' },
  },
  {
    provider: 'llamacpp',
    baseUrl: 'http://127.0.0.1:8131/v1',
    source: 'default',
    result: { kind: 'loading', ms: 1, message: 'Loading model' },
  },
  {
    provider: 'llamacpp',
    baseUrl: 'http://127.0.0.1:8080/v1',
    source: 'default',
    result: { kind: 'down', ms: 1, message: 'connection refused' },
  },
  {
    provider: 'vllm',
    baseUrl: 'http://127.0.0.1:8000/v1',
    source: 'default',
    result: { kind: 'unauthorized', ms: 1, status: 401, message: 'Unauthorized' },
  },
  {
    provider: 'openaiCompatible',
    label: 'GPU box',
    baseUrl: 'http://127.0.0.1:9000/v1',
    source: 'extra',
    result: { kind: 'timeout', ms: 1500, message: 'no answer within 1500 ms' },
  },
];

describe('picker rows', () => {
  const rows = buildPickerEntries(probes, launchable);
  const labels = rows.map(r => r.label);
  test('a separator per endpoint with its state', () => {
    assert.deepEqual(
      rows.filter(r => r.kind === 'separator').map(r => r.label),
      ['Ollama — up · 3 models', 'LM Studio — down', 'llama.cpp — loading', 'vLLM — unauthorized', 'GPU box — timeout', 'Actions'],
    );
  });
  test('one row per model with context, tools and the Codex minimum', () => {
    const models = rows.filter(r => r.kind === 'item' && r.payload.kind === 'model');
    assert.deepEqual(
      models.map(m => m.kind === 'item' && m.detail),
      [
        'context 262,144 · tools: yes',
        'context 8,192 — too small for Codex and Claude Code · tools: no',
        'context unknown · tools: not reported',
      ],
    );
  });
  test('actions carry typed payloads', () => {
    const payloads = rows.flatMap(r => (r.kind === 'item' ? [r.payload] : []));
    assert.deepEqual(
      payloads.filter(p => p.kind === 'start'),
      [{ kind: 'start', provider: 'lmstudio' }],
    );
    assert.deepEqual(
      payloads.filter(p => p.kind === 'setKey'),
      [{ kind: 'setKey', baseUrl: 'http://127.0.0.1:8000/v1', provider: 'vllm' }],
    );
    assert.ok(labels.includes('Add an OpenAI-compatible endpoint…') && labels.includes('Refresh'));
    const route = payloads.find(p => p.kind === 'model');
    assert.deepEqual(route, {
      kind: 'model',
      route: {
        provider: 'ollama',
        baseUrl: 'http://127.0.0.1:11434/v1',
        model: 'qwen3-coder:30b',
        serverKind: 'ollama',
        serverVersion: '0.33.0',
        contextWindow: 262144,
        tools: true,
      },
    });
  });
  test('the active route is marked', () => {
    const active: Route = { provider: 'ollama', baseUrl: 'http://127.0.0.1:11434/v1', model: 'tiny:1b' };
    const marked = buildPickerEntries(probes, { ...launchable, active }).filter(r => r.kind === 'item' && r.active);
    assert.deepEqual(
      marked.map(r => r.label),
      ['tiny:1b'],
    );
  });
  test('a down row keeps its label short: the message goes to the detail line', () => {
    const row = buildPickerEntries(
      [
        {
          provider: 'openaiCompatible',
          baseUrl: 'http://127.0.0.1:80/v1',
          source: 'extra',
          result: { kind: 'down', ms: 1, message: 'connection refused (ECONNREFUSED 127.0.0.1:80) while connecting to the endpoint' },
        },
      ],
      launchable,
    ).find(r => r.kind === 'item' && r.payload.kind === 'refresh' && r.description === 'http://127.0.0.1:80/v1');
    assert.ok(row && row.kind === 'item');
    assert.equal(row.label, 'down');
    assert.match(row.detail ?? '', /connection refused/);
  });
  test('Restricted Mode: no Start row that would then refuse; a trust row instead', () => {
    const rows = buildPickerEntries(probes, { ...launchable, trusted: false });
    const payloads = rows.flatMap(r => (r.kind === 'item' ? [r.payload] : []));
    assert.deepEqual(
      payloads.filter(p => p.kind === 'start'),
      [],
    );
    assert.deepEqual(
      payloads.filter(p => p.kind === 'trust'),
      [{ kind: 'trust' }],
    );
  });
  test('a server with no models offers to choose one (llama.cpp: a .gguf; Ollama: a pull)', () => {
    const empty: EndpointProbe[] = [
      {
        provider: 'llamacpp',
        baseUrl: 'http://127.0.0.1:8131/v1',
        source: 'default',
        result: { kind: 'up', ms: 1, server: { kind: 'llamacpp' }, models: [] },
      },
      {
        provider: 'ollama',
        baseUrl: 'http://127.0.0.1:11434/v1',
        source: 'default',
        result: { kind: 'up', ms: 1, server: { kind: 'ollama' }, models: [] },
      },
    ];
    const rows = buildPickerEntries(empty, launchable).filter(r => r.kind === 'item' && r.payload.kind === 'chooseModel');
    assert.deepEqual(
      rows.map(r => r.kind === 'item' && r.payload),
      [
        { kind: 'chooseModel', provider: 'llamacpp', baseUrl: 'http://127.0.0.1:8131/v1' },
        { kind: 'chooseModel', provider: 'ollama', baseUrl: 'http://127.0.0.1:11434/v1' },
      ],
    );
    assert.match(rows[0].kind === 'item' ? (rows[0].detail ?? '') : '', /router mode/);
  });
  test('rows say which agents a model was verified for', () => {
    const rows = buildPickerEntries(probes, {
      ...launchable,
      verifications: r =>
        r.model === 'qwen3-coder:30b' ? { codex: { agent: 'codex', ok: true, at: 1 }, claude: { agent: 'claude', ok: false, at: 2 } } : {},
    });
    const row = rows.find(r => r.kind === 'item' && r.label === 'qwen3-coder:30b');
    assert.match(row?.kind === 'item' ? (row.detail ?? '') : '', /verified for Codex · failed verification for Claude Code/);
  });
});

describe('status bar', () => {
  const route: Route = {
    provider: 'llamacpp',
    baseUrl: 'http://127.0.0.1:8131/v1',
    model: 'local/model',
    serverKind: 'llamacpp',
    serverVersion: 'b10438',
    contextWindow: 16384,
  };
  const base = { verifications: {}, discovery: { ran: true, busy: false, endpointsUp: 0, models: 0 }, trusted: true };
  test('no route: the text says whether servers were found', () => {
    const looking = renderStatus({
      ...base,
      discovery: { ran: false, busy: true, endpointsUp: 0, models: 0 },
      route: undefined,
      health: { kind: 'unknown' },
      terminalsRouted: false,
    });
    assert.equal(looking.text, '$(loading~spin) Looking for local servers…');
    const none = renderStatus({ ...base, route: undefined, health: { kind: 'unknown' }, terminalsRouted: false });
    assert.equal(none.text, '$(circle-slash) No local server');
    const found = renderStatus({
      ...base,
      discovery: { ran: true, busy: false, endpointsUp: 2, models: 3 },
      route: undefined,
      health: { kind: 'unknown' },
      terminalsRouted: false,
    });
    assert.equal(found.text, '$(server-process) Pick a local model');
    assert.match(found.tooltip, /Found 2 servers with 3 models/);
    for (const v of [none, found]) {
      assert.equal(v.background, 'none');
      // Without a route there is nothing to verify, write a profile for, or open Codex on.
      for (const c of ['verifyRoute', 'writeCodexProfile', 'openCodex'])
        assert.ok(!v.tooltip.includes(`command:localModelRouter.${c}`), `${c} offered without a route`);
      assert.ok(v.tooltip.includes('command:localModelRouter.pickRoute'));
    }
    assert.ok(
      !renderStatus({ ...base, trusted: false, route: undefined, health: { kind: 'unknown' }, terminalsRouted: false }).tooltip.includes(
        'command:localModelRouter.startServer',
      ),
      'Restricted Mode: no Start',
    );
  });
  test('each health has its icon and background', () => {
    const cases = [
      [{ kind: 'checking', what: 'verify', runId: 1, previous: { kind: 'up' } }, '$(loading~spin)', 'none'],
      [{ kind: 'up' }, '$(server-process)', 'none'],
      [{ kind: 'verified', verification: { ok: true, at: 0 } }, '$(pass-filled)', 'none'],
      [{ kind: 'failing', reason: 'tool-call-as-text' }, '$(warning)', 'warning'],
      [{ kind: 'down', reason: 'connection refused' }, '$(error)', 'error'],
    ] as const;
    for (const [health, icon, bg] of cases) {
      const v = renderStatus({ ...base, route, health, terminalsRouted: true });
      assert.ok(v.text.startsWith(icon), `${health.kind}: ${v.text}`);
      assert.equal(v.background, bg);
      assert.match(v.text, /llama\.cpp · local\/model/);
    }
  });
  test('tooltip: URL, server, context, tools, the verification per agent and action links', () => {
    const failed = {
      agent: 'codex' as const,
      ok: false,
      at: 1_000,
      failedStage: 'tool-call',
      diagnosis: 'tool-call-as-text',
      headline: 'Codex here can answer; cannot run tools (tool-call-as-text).',
    };
    const v = renderStatus(
      {
        ...base,
        verifications: { codex: failed, claude: { agent: 'claude', ok: true, at: 31_000 } },
        route,
        health: { kind: 'failing', reason: 'x', verification: failed },
        terminalsRouted: true,
      },
      61_000,
    );
    for (const s of [
      '`http://127.0.0.1:8131/v1`',
      'llamacpp b10438',
      '16,384 tokens — too small for Claude Code',
      'Verified for Codex | failed at tool\\-call (tool\\-call\\-as\\-text), 1 min ago',
      'Verified for Claude Code | passed, 30 s ago',
      '| | Codex here can answer; cannot run tools \\(tool\\-call\\-as\\-text\\)\\. |',
      'command:localModelRouter.verifyRoute',
      'command:localModelRouter.writeCodexProfile',
      'command:localModelRouter.openSettings',
      'keep the old ones',
    ])
      assert.ok(v.tooltip.includes(s), `${s}\n${v.tooltip}`);
  });
});

describe('terminal variables', () => {
  const ollama: Route = { provider: 'ollama', baseUrl: 'http://127.0.0.1:11500/v1', model: 'qwen3-coder:30b' };
  test('all targets', () => {
    assert.deepEqual(routeTerminalEnv(ollama, ['localLlm', 'provider', 'codexOss']), {
      LOCAL_LLM_BASE_URL: 'http://127.0.0.1:11500/v1',
      LOCAL_LLM_MODEL: 'qwen3-coder:30b',
      OLLAMA_BASE_URL: 'http://127.0.0.1:11500/v1',
      CODEX_OSS_BASE_URL: 'http://127.0.0.1:11500/v1',
    });
  });
  test('keys only when given; CODEX_OSS_BASE_URL only for Ollama and LM Studio', () => {
    const v: Route = { provider: 'vllm', baseUrl: 'http://127.0.0.1:8000/v1', model: 'm' };
    assert.deepEqual(routeTerminalEnv(v, ['localLlm', 'provider', 'codexOss'], { apiKey: 'k' }), {
      LOCAL_LLM_BASE_URL: v.baseUrl,
      LOCAL_LLM_MODEL: 'm',
      LOCAL_LLM_API_KEY: 'k',
      VLLM_BASE_URL: v.baseUrl,
      VLLM_API_KEY: 'k',
    });
    assert.deepEqual(routeTerminalEnv(ollama, []), {});
  });
  test('Claude Code only when chosen: the server root, the model for every tier, the window; no key without includeApiKey', () => {
    const r: Route = { provider: 'llamacpp', baseUrl: 'http://127.0.0.1:8131/v1', model: 'local/model', contextWindow: 32768 };
    assert.equal(routeTerminalEnv(r, ['localLlm']).ANTHROPIC_BASE_URL, undefined);
    const env = routeTerminalEnv(r, ['claudeCode']);
    assert.equal(env.ANTHROPIC_BASE_URL, 'http://127.0.0.1:8131');
    for (const v of [
      'ANTHROPIC_MODEL',
      'ANTHROPIC_DEFAULT_OPUS_MODEL',
      'ANTHROPIC_DEFAULT_SONNET_MODEL',
      'ANTHROPIC_DEFAULT_HAIKU_MODEL',
      'CLAUDE_CODE_SUBAGENT_MODEL',
    ])
      assert.equal(env[v], 'local/model', v);
    assert.equal(env.CLAUDE_CODE_MAX_CONTEXT_TOKENS, '32768');
    assert.equal(env.ANTHROPIC_AUTH_TOKEN, 'local-model-router', 'a keyless server gets the placeholder');
    const keyed = routeTerminalEnv(r, ['claudeCode'], { needsKey: true });
    assert.equal(keyed.ANTHROPIC_AUTH_TOKEN, undefined, 'a keyed server without includeApiKey gets no token at all');
    assert.equal(
      routeTerminalEnv(r, ['claudeCode'], { needsKey: true, apiKey: 'sk-9', keyVar: 'LLAMACPP_API_KEY' }).ANTHROPIC_AUTH_TOKEN,
      'sk-9',
    );
  });
  test('Claude Code through the route bridge: its URL without /v1, and no key even where the key is included (the bridge holds it)', () => {
    const r = { provider: 'llamacpp' as const, baseUrl: 'http://127.0.0.1:8131/v1', model: 'local/model', contextWindow: 32768 };
    const env = routeTerminalEnv(r, ['claudeCode', 'localLlm'], {
      needsKey: true,
      apiKey: 'sk-9',
      keyVar: 'LLAMACPP_API_KEY',
      claudeViaBridge: 'http://127.0.0.1:18088/v1',
    });
    assert.equal(env.ANTHROPIC_BASE_URL, 'http://127.0.0.1:18088');
    assert.equal(env.ANTHROPIC_AUTH_TOKEN, 'local-model-router', 'the placeholder: the bridge sends the key');
    assert.equal(env.ANTHROPIC_MODEL, 'local/model');
    assert.equal(env.LOCAL_LLM_BASE_URL, 'http://127.0.0.1:8131/v1', 'the other targets still name the server');
    assert.equal(env.LOCAL_LLM_API_KEY, 'sk-9');
  });
  test('CODEX_OSS_BASE_URL always ends in /v1', () => {
    assert.equal(
      routeTerminalEnv({ provider: 'lmstudio', baseUrl: 'http://127.0.0.1:1234/api', model: 'm' }, ['codexOss']).CODEX_OSS_BASE_URL,
      'http://127.0.0.1:1234/api/v1',
    );
  });
});

describe('Open Codex command line', () => {
  test('profile when written and present', () => {
    assert.deepEqual(codexLaunchFor({ provider: 'vllm', baseUrl: 'u', model: 'm', codexProfile: 'local-vllm' }, { profileExists: true }), {
      ok: true,
      args: ['--profile', 'local-vllm'],
      env: {},
      describe: 'codex --profile local-vllm',
    });
  });
  test('a keyed route: the key goes into the variable the profile names (env_key), never argv', () => {
    const r = codexLaunchFor(
      { provider: 'llamacpp', baseUrl: 'u', model: 'm', codexProfile: 'p' },
      { profileExists: true, apiKey: 'sk-1' },
    );
    assert.deepEqual(r, { ok: true, args: ['--profile', 'p'], env: { LLAMACPP_API_KEY: 'sk-1' }, describe: 'codex --profile p' });
    assert.equal(codexKeyVar({ provider: 'llamacpp', keyVar: 'MY_KEY' }), 'MY_KEY', 'the variable the key came from wins');
    assert.equal(codexKeyVar({ provider: 'openaiCompatible' }), 'LOCAL_LLM_API_KEY');
    const oss = codexLaunchFor(
      { provider: 'ollama', baseUrl: 'http://127.0.0.1:11434/v1', model: 'm' },
      { profileExists: false, apiKey: 'sk-2' },
    );
    assert.ok(!oss.ok && /needs a key/.test(oss.reason), '--oss sends no key: a profile is needed');
  });
  test('--oss for Ollama and LM Studio without a profile file', () => {
    const r = codexLaunchFor(
      { provider: 'lmstudio', baseUrl: 'http://127.0.0.1:1234/v1', model: 'openai/gpt-oss-20b', codexProfile: 'gone' },
      { profileExists: false },
    );
    assert.ok(r.ok);
    assert.deepEqual(r.args, ['--oss', '--local-provider', 'lmstudio', '-m', 'openai/gpt-oss-20b']);
    assert.equal(r.env.CODEX_OSS_BASE_URL, 'http://127.0.0.1:1234/v1');
  });
  test('otherwise it says to write a profile', () => {
    const r = codexLaunchFor({ provider: 'llamacpp', baseUrl: 'u', model: 'm' }, { profileExists: false });
    assert.ok(!r.ok && /write a Codex profile/.test(r.reason));
  });
});
