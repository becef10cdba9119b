// Where a base URL sends prompts and keys, and the "ask once per URL over plain http" rule.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { classifyBaseUrl, plainHttpConsent, type UrlReach } from '../../src/core/endpoints';

describe('classifyBaseUrl', () => {
  const rows: [string, UrlReach['kind'], string?][] = [
    ['http://127.0.0.1:11434/v1', 'loopback'],
    ['http://127.8.9.10:8080', 'loopback'],
    ['http://localhost:1234/v1', 'loopback'],
    ['http://ollama.localhost:11434', 'loopback'],
    ['http://[::1]:8000/v1', 'loopback'],
    ['127.0.0.1:8131', 'loopback'],
    ['https://127.0.0.1:8443/v1', 'loopback'],
    ['http://[::ffff:127.0.0.1]:8080', 'loopback'],
    ['https://gpu.example.com/v1', 'remote-https', 'gpu.example.com'],
    ['https://[2001:db8::1]:8443/v1', 'remote-https', '2001:db8::1'],
    ['http://gpu-box:11434', 'remote-http', 'gpu-box'],
    ['http://192.168.1.20:11434/v1', 'remote-http', '192.168.1.20'],
    ['gpu-box:8080', 'remote-http', 'gpu-box'],
    ['http://0.0.0.0:8080', 'remote-http', '0.0.0.0'],
    ['http://128.0.0.1:8080', 'remote-http', '128.0.0.1'],
    ['http://localhost.evil.com', 'remote-http', 'localhost.evil.com'],
    ['http://[fe80::1]:8080', 'remote-http', 'fe80::1'],
    ['ftp://gpu-box', 'invalid'],
    ['http://user:pw@gpu-box', 'invalid'],
    ['', 'invalid'],
  ];
  for (const [url, kind, host] of rows) {
    test(`${JSON.stringify(url)} → ${kind}${host ? ` (${host})` : ''}`, () => {
      const r = classifyBaseUrl(url);
      assert.equal(r.kind, kind);
      if (host) assert.equal('host' in r && r.host, host);
    });
  }
});

describe('plainHttpConsent', () => {
  test('loopback and https never ask; plain http to another host asks until its URL is approved', () => {
    const approved = new Set<string>();
    assert.deepEqual(plainHttpConsent('http://127.0.0.1:11434/v1', approved), { kind: 'send' });
    assert.deepEqual(plainHttpConsent('https://gpu.example.com/v1', approved), { kind: 'send' });
    const ask = plainHttpConsent('http://gpu-box:11434', approved);
    assert.deepEqual(ask, { kind: 'ask', approvalKey: 'http://gpu-box:11434/v1', host: 'gpu-box' });
    approved.add(ask.kind === 'ask' ? ask.approvalKey : '');
    // The same URL however it is written: asked once.
    for (const same of ['http://gpu-box:11434', 'http://gpu-box:11434/v1/', 'HTTP://GPU-BOX:11434/v1', 'gpu-box:11434'])
      assert.deepEqual(plainHttpConsent(same, approved), { kind: 'send' }, same);
    // Another port, path or host is another URL.
    for (const other of ['http://gpu-box:8080/v1', 'http://gpu-box:11434/api/v1', 'http://gpu-box2:11434/v1'])
      assert.equal(plainHttpConsent(other, approved).kind, 'ask', other);
  });

  test('an invalid URL is neither sent nor asked about', () => {
    assert.equal(plainHttpConsent('http://u:p@gpu-box', new Set()).kind, 'invalid');
  });
});
