// The Ollama model proposed when none is chosen: the gpt-oss pair by total memory, a heavier installed
// model when it fits in free memory, the person's choice above all. Table-driven.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  chooseDefaultModel,
  GIB,
  sameOllamaModel,
  type DefaultModelChoice,
  type DefaultModelInput,
  type InstalledModel,
} from '../../src/core/route/defaultModel';
import { fetchOllamaTags, parseOllamaTags } from '../../src/core/route/ollamaTags';
import { startScriptedServer, sendJson } from '../support/scripted-server';
import { freePort } from '../support/ports';

const mem = (totalGiB: number, freeGiB: number) => ({ totalBytes: totalGiB * GIB, freeBytes: freeGiB * GIB });
const m = (name: string, sizeBytes: number, extra: Partial<InstalledModel> = {}): InstalledModel => ({ name, sizeBytes, ...extra });
const OSS20 = m('gpt-oss:20b', 13.8e9, { capabilities: ['completion', 'tools', 'thinking'] });
const OSS120 = m('gpt-oss:120b', 65.3e9, { capabilities: ['completion', 'tools', 'thinking'] });
const QWEN30 = m('qwen3-coder:30b', 18.6e9, { capabilities: ['completion', 'tools'] });
const LLAMA70 = m('llama3.3:70b', 42.5e9, { capabilities: ['completion', 'tools'] });
const QWEN235 = m('qwen3:235b', 142e9, { capabilities: ['completion', 'tools', 'thinking'] });

type Want = Pick<DefaultModelChoice, 'model' | 'reason' | 'installed' | 'mustPull'> & { fits?: boolean | undefined; why?: RegExp };
const rows: [string, DefaultModelInput, Want][] = [
  [
    '128 GiB, nothing installed → gpt-oss:120b, pull',
    { memory: mem(128, 100), installed: [] },
    {
      model: 'gpt-oss:120b',
      reason: 'memory-tier',
      installed: false,
      mustPull: true,
      fits: true,
      why: /128 GiB of memory \(≥ 64 GiB: gpt-oss:120b, else gpt-oss:20b\); it is not installed, so it must be pulled \(about 65\.0 GB\)/,
    },
  ],
  [
    'exactly 64 GiB → gpt-oss:120b',
    { memory: mem(64, 60), installed: [] },
    { model: 'gpt-oss:120b', reason: 'memory-tier', installed: false, mustPull: true },
  ],
  [
    '63.9 GiB → gpt-oss:20b',
    { memory: mem(63.9, 60), installed: [] },
    { model: 'gpt-oss:20b', reason: 'memory-tier', installed: false, mustPull: true, fits: true },
  ],
  [
    '32 GiB with gpt-oss:20b installed → it, no pull',
    { memory: mem(32, 20), installed: [OSS20] },
    {
      model: 'gpt-oss:20b',
      reason: 'memory-tier',
      installed: true,
      mustPull: false,
      fits: true,
      why: /^gpt-oss:20b: this host has 32 GiB of memory/,
    },
  ],
  [
    '32 GiB, a heavier installed tool model that fits → it',
    { memory: mem(32, 28), installed: [OSS20, QWEN30] },
    {
      model: 'qwen3-coder:30b',
      reason: 'installed-heavier',
      installed: true,
      mustPull: false,
      fits: true,
      why: /qwen3-coder:30b \(18\.6 GB\) is the heaviest installed model with tool support that fits in 28 GiB of free memory; it is heavier than gpt-oss:20b/,
    },
  ],
  [
    '… that does not fit in free memory (1.2 × 18.6 GB > 20 GiB) → gpt-oss:20b',
    { memory: mem(32, 20), installed: [OSS20, QWEN30] },
    { model: 'gpt-oss:20b', reason: 'memory-tier', installed: true, mustPull: false },
  ],
  [
    'a heavier model without tools is no candidate',
    { memory: mem(32, 28), installed: [m('llama3.2-vision:11b-big', 20e9, { capabilities: ['completion', 'vision'] })] },
    { model: 'gpt-oss:20b', reason: 'memory-tier', installed: false, mustPull: true },
  ],
  [
    'an embedding model is no candidate',
    { memory: mem(32, 28), installed: [m('huge-embed', 16e9, { capabilities: ['embedding'] })] },
    { model: 'gpt-oss:20b', reason: 'memory-tier', installed: false, mustPull: true },
  ],
  [
    'a cloud model listed locally is no candidate',
    { memory: mem(32, 28), installed: [m('gpt-oss:120b-cloud', 384, { remote: true }), m('big:cloud', 20e9, { remote: true })] },
    { model: 'gpt-oss:20b', reason: 'memory-tier', installed: false, mustPull: true },
  ],
  [
    'older Ollama lists no capabilities: size decides',
    { memory: mem(32, 28), installed: [m('qwen3-coder:30b', 18.6e9)] },
    { model: 'qwen3-coder:30b', reason: 'installed-heavier', installed: true, mustPull: false },
  ],
  [
    'an installed model of unknown size (0) is no candidate',
    { memory: mem(32, 28), installed: [m('mystery', 0)] },
    { model: 'gpt-oss:20b', reason: 'memory-tier', installed: false, mustPull: true },
  ],
  [
    '128 GiB: gpt-oss:120b beats a lighter installed llama3.3:70b, even if it must be pulled',
    { memory: mem(128, 120), installed: [LLAMA70, OSS20] },
    { model: 'gpt-oss:120b', reason: 'memory-tier', installed: false, mustPull: true },
  ],
  [
    '128 GiB: qwen3:235b is heavier but does not fit → gpt-oss:120b installed',
    { memory: mem(128, 120), installed: [QWEN235, OSS120] },
    { model: 'gpt-oss:120b', reason: 'memory-tier', installed: true, mustPull: false },
  ],
  [
    '256 GiB: qwen3:235b heavier and fits → it',
    { memory: mem(256, 240), installed: [QWEN235, OSS120, LLAMA70] },
    { model: 'qwen3:235b', reason: 'installed-heavier', installed: true, mustPull: false },
  ],
  [
    'gpt-oss:120b installed on a 32 GiB host: too big, the tier says 20b',
    { memory: mem(32, 30), installed: [OSS120] },
    { model: 'gpt-oss:20b', reason: 'memory-tier', installed: false, mustPull: true },
  ],
  [
    '16 GiB: gpt-oss:20b by the rule, flagged as not fitting the free memory',
    { memory: mem(16, 10), installed: [] },
    {
      model: 'gpt-oss:20b',
      reason: 'memory-tier',
      installed: false,
      mustPull: true,
      fits: false,
      why: /may not fit in the 10 GiB free now/,
    },
  ],
  [
    'memory unknown (behind a tunnel): gpt-oss:20b, installed models not ranked',
    { installed: [QWEN30] },
    { model: 'gpt-oss:20b', reason: 'memory-tier', installed: false, mustPull: true, fits: undefined, why: /memory is unknown/ },
  ],
  [
    'installed list unknown: no claim about pulling',
    { memory: mem(32, 28) },
    { model: 'gpt-oss:20b', reason: 'memory-tier', installed: undefined, mustPull: false },
  ],
  [
    'explicit choice wins over a heavier fitting model',
    { explicit: 'llama3.2', memory: mem(256, 240), installed: [QWEN235, m('llama3.2:latest', 2e9)] },
    { model: 'llama3.2', reason: 'explicit', installed: true, mustPull: false, fits: true, why: /^llama3\.2 is your choice\.$/ },
  ],
  [
    'explicit choice not installed → must be pulled',
    { explicit: 'gpt-oss:120b', memory: mem(16, 8), installed: [OSS20] },
    { model: 'gpt-oss:120b', reason: 'explicit', installed: false, mustPull: true, why: /not installed, so it must be pulled/ },
  ],
  [
    'explicit choice, installed list unknown',
    { explicit: 'qwen3:8b' },
    { model: 'qwen3:8b', reason: 'explicit', installed: undefined, mustPull: false },
  ],
  [
    'a blank explicit choice is no choice',
    { explicit: '  ', memory: mem(8, 4), installed: [] },
    { model: 'gpt-oss:20b', reason: 'memory-tier', installed: false, mustPull: true },
  ],
];

describe('chooseDefaultModel', () => {
  for (const [name, input, want] of rows) {
    test(name, () => {
      const c = chooseDefaultModel(input);
      assert.deepEqual(
        { model: c.model, reason: c.reason, installed: c.installed, mustPull: c.mustPull },
        { model: want.model, reason: want.reason, installed: want.installed, mustPull: want.mustPull },
      );
      if ('fits' in want) assert.equal(c.fitsFreeMemory, want.fits);
      if (want.why) assert.match(c.why, want.why);
    });
  }

  test('sameOllamaModel: an untagged name is :latest; case does not matter', () => {
    assert.equal(sameOllamaModel('llama3.2', 'llama3.2:latest'), true);
    assert.equal(sameOllamaModel('GPT-OSS:20b', 'gpt-oss:20b'), true);
    assert.equal(sameOllamaModel('gpt-oss', 'gpt-oss:20b'), false);
  });
});

describe('Ollama /api/tags', () => {
  const TAGS = {
    models: [
      {
        name: 'gpt-oss:20b',
        model: 'gpt-oss:20b',
        modified_at: '2026-01-01T00:00:00Z',
        size: 13780173839,
        digest: 'aa',
        details: { format: 'gguf', family: 'gptoss', parameter_size: '20.9B', quantization_level: 'MXFP4' },
        capabilities: ['completion', 'tools', 'thinking'],
      },
      { name: 'nomic-embed-text:latest', model: 'nomic-embed-text:latest', size: 274302450, digest: 'bb', details: {} },
      {
        name: 'gpt-oss:120b-cloud',
        model: 'gpt-oss:120b-cloud',
        remote_model: 'gpt-oss:120b',
        remote_host: 'https://ollama.com:443',
        size: 384,
        digest: 'cc',
        details: {},
      },
      { model: 'only-model-key:1b', size: 'big' },
      null,
      { size: 5 },
    ],
  };

  test('parseOllamaTags keeps names, sizes, capabilities and marks cloud models', () => {
    assert.deepEqual(parseOllamaTags(TAGS), [
      { name: 'gpt-oss:20b', sizeBytes: 13780173839, capabilities: ['completion', 'tools', 'thinking'] },
      { name: 'nomic-embed-text:latest', sizeBytes: 274302450 },
      { name: 'gpt-oss:120b-cloud', sizeBytes: 384, remote: true },
      { name: 'only-model-key:1b', sizeBytes: 0 },
    ]);
    assert.deepEqual(parseOllamaTags({ models: null }), []);
    assert.deepEqual(parseOllamaTags('nonsense'), []);
  });

  test('fetchOllamaTags from a scripted Ollama; a down server is an error, not a throw', async () => {
    const s = await startScriptedServer({
      kind: 'ollama',
      overrides: [(req, res) => (req.url === '/api/tags' ? (sendJson(res, 200, TAGS), true) : false)],
    });
    try {
      const r = await fetchOllamaTags(s.root);
      assert.equal(r.kind, 'ok');
      assert.deepEqual(r.kind === 'ok' && r.models.map(x => x.name), [
        'gpt-oss:20b',
        'nomic-embed-text:latest',
        'gpt-oss:120b-cloud',
        'only-model-key:1b',
      ]);
      const c = chooseDefaultModel({ memory: mem(32, 24), installed: r.kind === 'ok' ? r.models : [] });
      assert.deepEqual([c.model, c.mustPull], ['gpt-oss:20b', false]);
    } finally {
      await s.close();
    }
    const down = await fetchOllamaTags(`http://127.0.0.1:${await freePort()}`);
    assert.equal(down.kind, 'error');
  });
});
