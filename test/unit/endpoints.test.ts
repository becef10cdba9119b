import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeBaseUrl, ollamaHostToBaseUrl, resolveEndpoint, isLoopbackHost, isLoopbackUrl } from '../../src/core/endpoints';
import { isReservedCodexProviderId, PROVIDERS, PROVIDER_IDS } from '../../src/core/providers';

describe('normalizeBaseUrl', () => {
  const ok: [string, string][] = [
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/v1'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080/v1'],
    ['http://127.0.0.1:8080/v1/', 'http://127.0.0.1:8080/v1'],
    ['http://127.0.0.1:8080/v1///', 'http://127.0.0.1:8080/v1'],
    ['127.0.0.1:11434', 'http://127.0.0.1:11434/v1'],
    ['localhost:1234/api/v1', 'http://localhost:1234/api/v1'],
    ['https://gpu.example:443/openai/v1', 'https://gpu.example/openai/v1'],
    ['  http://[::1]:8000  ', 'http://[::1]:8000/v1'],
    ['HTTP://127.0.0.1:8000', 'http://127.0.0.1:8000/v1'],
  ];
  for (const [input, want] of ok)
    test(`${JSON.stringify(input)} → ${want}`, () => assert.deepEqual(normalizeBaseUrl(input), { ok: true, url: want }));

  const refused: [string, RegExp][] = [
    ['', /empty/],
    ['ftp://127.0.0.1/v1', /only http and https/],
    ['file:///etc/passwd', /only http and https/],
    ['ws://127.0.0.1:8080', /only http and https/],
    ['http://user:secret@127.0.0.1:8080/v1', /embeds credentials/],
    ['http://:tok@127.0.0.1:8080', /embeds credentials/],
    ['http://127.0.0.1:8080/v1?key=abc', /query or fragment/],
    ['http://exa mple:80', /contains a space/],
    ['http://127.0.0.1:8080\n/v1', /line break or another control character/],
    ['http://127.0.0.1:8080/\tv1', /line break or another control character/],
    ['http://127.0.0.1:99999/v1', /port 99999; a port is 1–65535/],
    ['127.0.0.1:0', /port 0; a port is 1–65535/],
    ['http://[::1]:70000', /port 70000/],
  ];
  for (const [input, re] of refused)
    test(`refuses ${JSON.stringify(input)}`, () => {
      const r = normalizeBaseUrl(input);
      assert.equal(r.ok, false);
      assert.match((r as { error: string }).error, re);
    });
  test('the refusal never repeats embedded credentials', () => {
    const r = normalizeBaseUrl('http://user:hunter2@127.0.0.1:8080');
    assert.equal(r.ok, false);
    assert.doesNotMatch((r as { error: string }).error, /hunter2/);
  });
});

describe('OLLAMA_HOST', () => {
  const cases: [string, string][] = [
    ['127.0.0.1:11500', 'http://127.0.0.1:11500/v1'],
    ['http://10.1.2.3:11434', 'http://10.1.2.3:11434/v1'],
    ['0.0.0.0', 'http://127.0.0.1:11434/v1'],
    [':9999', 'http://127.0.0.1:9999/v1'],
    ['https://ollama.lan', 'https://ollama.lan:11434/v1'],
    ['[::1]:11434', 'http://[::1]:11434/v1'],
  ];
  for (const [input, want] of cases)
    test(`${input} → ${want}`, () => assert.deepEqual(ollamaHostToBaseUrl(input), { ok: true, url: want }));
});

describe('resolveEndpoint precedence', () => {
  const full = {
    OLLAMA_BASE_URL: 'http://127.0.0.1:2001',
    OLLAMA_HOST: '127.0.0.1:2002',
    LOCAL_LLM_BASE_URL: 'http://127.0.0.1:2003',
    OPENAI_BASE_URL: 'http://127.0.0.1:2009',
    OLLAMA_API_KEY: 'k-provider',
    LOCAL_LLM_API_KEY: 'k-local',
    OPENAI_API_KEY: 'k-openai',
  };
  const def = 'http://127.0.0.1:11434/v1';
  const resolve = (settingBaseUrl: string, env: Record<string, string>) => {
    const r = resolveEndpoint({ provider: 'ollama', settingBaseUrl, env, defaultBaseUrl: def });
    assert.ok(r.ok, JSON.stringify(r));
    return r.endpoint;
  };
  test('the setting wins over every variable', () =>
    assert.deepEqual(
      [resolve('http://127.0.0.1:2000', full).baseUrl, resolve('http://127.0.0.1:2000', full).source],
      ['http://127.0.0.1:2000/v1', 'setting'],
    ));
  test('<PROVIDER>_BASE_URL wins over OLLAMA_HOST and LOCAL_LLM_BASE_URL', () =>
    assert.equal(resolve('', full).baseUrl, 'http://127.0.0.1:2001/v1'));
  test('OLLAMA_HOST wins over LOCAL_LLM_BASE_URL for Ollama', () => {
    const { OLLAMA_BASE_URL: _, ...env } = full;
    assert.deepEqual([resolve('', env).baseUrl, resolve('', env).source], ['http://127.0.0.1:2002/v1', 'ollama-host']);
  });
  test('LOCAL_LLM_BASE_URL wins over the default', () =>
    assert.equal(resolve('', { LOCAL_LLM_BASE_URL: 'http://127.0.0.1:2003' }).baseUrl, 'http://127.0.0.1:2003/v1'));
  test('the default applies last; OPENAI_BASE_URL is never used', () => {
    const e = resolve('', { OPENAI_BASE_URL: 'http://127.0.0.1:2009', OPENAI_API_KEY: 'x' });
    assert.deepEqual([e.baseUrl, e.source, e.apiKey], [def, 'default', undefined]);
  });
  test('<PROVIDER>_API_KEY wins over LOCAL_LLM_API_KEY wins over a stored secret', () => {
    assert.deepEqual([resolve('', full).apiKey, resolve('', full).keyVar], ['k-provider', 'OLLAMA_API_KEY']);
    assert.deepEqual(
      [resolve('', { LOCAL_LLM_API_KEY: 'k-local' }).apiKey, resolve('', { LOCAL_LLM_API_KEY: 'k-local' }).keyVar],
      ['k-local', 'LOCAL_LLM_API_KEY'],
    );
    const r = resolveEndpoint({ provider: 'vllm', settingBaseUrl: '', env: {}, defaultBaseUrl: def, secretKey: 's' });
    assert.ok(r.ok && r.endpoint.apiKey === 's' && r.endpoint.keySource === 'secret');
  });
  test('each provider reads only its own prefix', () => {
    const r = resolveEndpoint({
      provider: 'vllm',
      settingBaseUrl: '',
      env: { OLLAMA_BASE_URL: 'http://127.0.0.1:1', LMSTUDIO_BASE_URL: 'http://127.0.0.1:2', VLLM_BASE_URL: 'http://127.0.0.1:3' },
      defaultBaseUrl: def,
    });
    assert.ok(r.ok && r.endpoint.baseUrl === 'http://127.0.0.1:3/v1');
    const l = resolveEndpoint({
      provider: 'llamacpp',
      settingBaseUrl: '',
      env: { LLAMACPP_BASE_URL: 'http://127.0.0.1:4' },
      defaultBaseUrl: def,
    });
    assert.ok(l.ok && l.endpoint.baseUrl === 'http://127.0.0.1:4/v1');
  });
  test('a bad value names its source and is not skipped silently', () => {
    const r = resolveEndpoint({ provider: 'lmstudio', settingBaseUrl: '', env: { LMSTUDIO_BASE_URL: 'ftp://x' }, defaultBaseUrl: def });
    assert.equal(r.ok, false);
    assert.match((r as { error: string }).error, /^LMSTUDIO_BASE_URL: .*only http and https/);
  });
});

describe('loopback', () => {
  for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', 'api.localhost', '::1', '[::1]', '::ffff:127.0.0.1', 'LOCALHOST'])
    test(`${h} is loopback`, () => assert.equal(isLoopbackHost(h), true));
  for (const h of ['0.0.0.0', '192.168.1.10', '10.0.0.1', '::', 'example.com', '128.0.0.1', '127.0.0.256', 'localhost.example.com'])
    test(`${h} is not loopback`, () => assert.equal(isLoopbackHost(h), false));
  test('URLs', () => {
    assert.equal(isLoopbackUrl('http://127.0.0.1:8080/v1'), true);
    assert.equal(isLoopbackUrl('http://0.0.0.0:8080/v1'), false);
    assert.equal(isLoopbackUrl('not a url'), false);
  });
});

describe('provider registry', () => {
  test('no Codex provider id is reserved by Codex', () => {
    for (const p of PROVIDER_IDS) assert.equal(isReservedCodexProviderId(PROVIDERS[p].codexProviderId), false, p);
    for (const r of ['openai', 'ollama', 'lmstudio', 'ollama-chat', 'OLLAMA']) assert.equal(isReservedCodexProviderId(r), true);
  });
  test("the server software's own default ports", () => {
    assert.deepEqual(
      PROVIDER_IDS.map(p => PROVIDERS[p].ownDefaultPort),
      [11434, 1234, 8000, 8080, undefined],
    );
  });
});
