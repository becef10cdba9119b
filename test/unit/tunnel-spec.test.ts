// The ssh argv and the checks that keep user values from becoming ssh options, table-driven.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  buildTunnelCommand,
  checkHost,
  checkTunnelRequest,
  checkUser,
  providerDefaultPort,
  trustedSshConfigFile,
  type TunnelField,
  type TunnelRequest,
} from '../../src/core/tunnel';
import { PROVIDERS, PROVIDER_IDS } from '../../src/core/providers';

describe('checkHost', () => {
  const ok: [string, string][] = [
    ['gpu-box', 'gpu-box'],
    ['gpu_box.lan', 'gpu_box.lan'],
    ['GPU.example.com', 'GPU.example.com'],
    ['192.168.1.20', '192.168.1.20'],
    ['10', '10'],
    ['::1', '::1'],
    ['[fe80::1%eth0]', 'fe80::1%eth0'],
    ['2001:db8::42', '2001:db8::42'],
  ];
  for (const [input, want] of ok)
    test(`accepts ${JSON.stringify(input)}`, () => assert.deepEqual(checkHost(input), { ok: true, host: want }));

  const refused: [string, RegExp][] = [
    ['', /empty/],
    ['-oProxyCommand=touch /tmp/x', /starts with "-"/],
    ['-p', /starts with "-"/],
    ['--', /starts with "-"/],
    ['host -p 1', /contains a space/],
    ['host\t-p1', /control character/],
    ['host\n-oProxyCommand=sh', /control character/],
    ['host\r', /control character/],
    ['host\u0000', /control character/],
    ['host\u0085', /control character/],
    ['gpu\u202ebox', /invisible formatting/],
    ['gpu\u200bbox', /invisible formatting/],
    ['\ufeffgpu', /invisible formatting/],
    ['root@gpu-box', /contains "@"; give the user separately/],
    ['@gpu-box', /contains "@"/],
    ['gpu-box@', /contains "@"/],
    ['ssh://root@gpu-box:22', /contains "@"/],
    ['ssh://gpu-box', /not a host name/],
    ['gpu-box:22', /not a host name/],
    ['gpu-box/x', /not a host name/],
    ['gpu%box', /not a host name/],
    ['.hidden', /not a host name/],
    ['gpu-', /not a host name/],
    ['$(touch x)', /contains a space/],
    ['$(id)', /not a host name/],
    ['`id`', /not a host name/],
    ['gpu;id', /not a host name/],
    ['gpu\u00a0box', /contains a space/],
    ['bücher.example', /non-ASCII/],
    // Too long: refused for its length (its characters are all allowed ones), the value not echoed whole.
    ['a'.repeat(300), /is 300 characters long; .* at most 253\.$/],
    ['a'.repeat(5000), /is 5000 characters long; .* at most 253\.$/],
    [`${'a'.repeat(5000)}\u001b[2J`, /is 5004 characters long/],
  ];
  for (const [input, re] of refused) {
    test(`refuses ${JSON.stringify(input.length > 40 ? `${input.slice(0, 20)}…(${input.length})` : input)}`, () => {
      const r = checkHost(input);
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.message, re);
      // The message shows invisible characters escaped, never raw.
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(r.ok ? '' : r.message, /[\u0000-\u001f\u202e\u200b\ufeff]/);
      assert.ok((r.ok ? '' : r.message).length < 300, 'the message does not repeat a long value whole');
    });
  }
});

describe('checkUser', () => {
  for (const u of ['root', 'alice', 'a.b-c_d', 'svc$', '_build', '42'])
    test(`accepts ${u}`, () => assert.deepEqual(checkUser(u), { ok: true, user: u }));
  const refused: [string, RegExp][] = [
    ['-oProxyCommand=x', /starts with "-"/],
    ['-l', /starts with "-"/],
    ['root@evil', /contains "@"/],
    ['a b', /contains a space/],
    ['a\nb', /control character/],
    ['DOMAIN\\user', /not a plain user name/],
    ['a:b', /not a plain user name/],
    ['$x', /not a plain user name/],
    ['', /empty/],
  ];
  for (const [input, re] of refused)
    test(`refuses ${JSON.stringify(input)}`, () => {
      const r = checkUser(input);
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.message, re);
    });
});

describe('checkTunnelRequest', () => {
  test('provider default ports come from PROVIDERS, not a copy', () => {
    assert.deepEqual(Object.fromEntries(PROVIDER_IDS.map(p => [p, providerDefaultPort(p)])), {
      ollama: 11434,
      lmstudio: 1234,
      vllm: 8000,
      llamacpp: 8080,
      openaiCompatible: undefined,
    });
    for (const p of PROVIDER_IDS) assert.equal(providerDefaultPort(p), PROVIDERS[p].ownDefaultPort);
  });

  const ok: [TunnelRequest, object][] = [
    [
      { host: 'gpu', provider: 'ollama' },
      { host: 'gpu', remotePort: 11434, localPort: 11434, localPortExplicit: false, provider: 'ollama' },
    ],
    [
      { host: 'gpu', provider: 'llamacpp' },
      { host: 'gpu', remotePort: 8080, localPort: 8080, localPortExplicit: false, provider: 'llamacpp' },
    ],
    [
      { host: 'gpu', remotePort: '9000' },
      { host: 'gpu', remotePort: 9000, localPort: 9000, localPortExplicit: false, provider: 'openaiCompatible' },
    ],
    [
      { host: 'gpu', provider: 'vllm', remotePort: 8001, localPort: '18001', user: 'me', sshPort: 2222 },
      { host: 'gpu', user: 'me', remotePort: 8001, localPort: 18001, localPortExplicit: true, sshPort: 2222, provider: 'vllm' },
    ],
    [
      { host: 'gpu', provider: 'lmstudio', user: '' },
      { host: 'gpu', remotePort: 1234, localPort: 1234, localPortExplicit: false, provider: 'lmstudio' },
    ],
  ];
  for (const [req, spec] of ok) test(`accepts ${JSON.stringify(req)}`, () => assert.deepEqual(checkTunnelRequest(req), { ok: true, spec }));

  const refused: [TunnelRequest, TunnelField[]][] = [
    [{ host: 'gpu' }, ['remotePort']],
    [{ host: 'gpu', provider: 'openaiCompatible' }, ['remotePort']],
    [{ host: 'gpu', provider: 'bogus' }, ['provider']],
    [{ host: 'gpu', remotePort: '0' }, ['remotePort']],
    [{ host: 'gpu', remotePort: '65536' }, ['remotePort']],
    [{ host: 'gpu', remotePort: '-1' }, ['remotePort']],
    [{ host: 'gpu', remotePort: '80 -oProxyCommand=x' }, ['remotePort']],
    [{ host: 'gpu', remotePort: '0x50' }, ['remotePort']],
    [{ host: 'gpu', remotePort: '1e3' }, ['remotePort']],
    [{ host: 'gpu', remotePort: 80.5 }, ['remotePort']],
    [{ host: 'gpu', remotePort: Number.NaN }, ['remotePort']],
    [{ host: 'gpu', remotePort: '８０' }, ['remotePort']],
    [{ host: 'gpu', remotePort: '8080\n' }, ['remotePort']],
    [{ host: 'gpu', provider: 'ollama', localPort: '99999' }, ['localPort']],
    [{ host: 'gpu', provider: 'ollama', sshPort: '22;id' }, ['sshPort']],
    [{ host: '-oProxyCommand=touch /tmp/x', provider: 'ollama', user: 'root@evil', localPort: '-L' }, ['host', 'user', 'localPort']],
  ];
  for (const [req, fields] of refused)
    test(`refuses ${JSON.stringify(req)} (${fields.join(', ')})`, () => {
      const r = checkTunnelRequest(req);
      assert.equal(r.ok, false);
      assert.deepEqual(r.ok ? [] : r.problems.map(p => p.field), fields);
    });
});

describe('buildTunnelCommand', () => {
  const spec = (req: TunnelRequest) => {
    const r = checkTunnelRequest(req);
    assert.ok(r.ok);
    return r.spec;
  };

  test('the argv: -N, forward-failure exit, keep-alives, own connection, BatchMode, bind to 127.0.0.1, -- before the host', () => {
    const c = buildTunnelCommand(spec({ host: 'gpu-box', provider: 'ollama' }));
    assert.deepEqual(c.command, {
      command: 'ssh',
      args: [
        '-N',
        '-o',
        'ExitOnForwardFailure=yes',
        '-o',
        'ServerAliveInterval=15',
        '-o',
        'ServerAliveCountMax=3',
        '-o',
        'ControlMaster=no',
        '-o',
        'ControlPath=none',
        '-o',
        'BatchMode=yes',
        '-L',
        '127.0.0.1:11434:localhost:11434',
        '--',
        'gpu-box',
      ],
      env: {},
    });
    assert.equal(c.localBaseUrl, 'http://127.0.0.1:11434/v1');
    assert.equal(c.destination, 'gpu-box');
  });

  test('user, ssh port, local port, trusted config file; no BatchMode when a terminal can ask', () => {
    const c = buildTunnelCommand(spec({ host: '::1', user: 'me', provider: 'vllm', localPort: 18000, sshPort: 2222 }), {
      configFile: trustedSshConfigFile('/tmp/test dir/ssh_config'),
      interactive: true,
      executable: '/usr/bin/ssh',
      aliveIntervalS: 5,
      aliveCountMax: 2,
    });
    assert.deepEqual(c.command.args, [
      '-N',
      '-o',
      'ExitOnForwardFailure=yes',
      '-o',
      'ServerAliveInterval=5',
      '-o',
      'ServerAliveCountMax=2',
      '-o',
      'ControlMaster=no',
      '-o',
      'ControlPath=none',
      '-F',
      '/tmp/test dir/ssh_config',
      '-p',
      '2222',
      '-l',
      'me',
      '-L',
      '127.0.0.1:18000:localhost:8000',
      '--',
      '::1',
    ]);
    assert.equal(c.command.command, '/usr/bin/ssh');
    assert.equal(c.destination, 'me@::1');
    assert.equal(c.localBaseUrl, 'http://127.0.0.1:18000/v1');
  });

  test('every accepted host is the last argv element, right after --, and appears nowhere else', () => {
    for (const host of ['gpu', 'a.b', '_x', '10.0.0.1', 'fe80::1%eth0']) {
      const args = buildTunnelCommand(spec({ host, provider: 'ollama' })).command.args;
      assert.deepEqual(args.slice(-2), ['--', host]);
      assert.equal(args.filter(a => a.includes(host)).length, 1);
    }
  });

  test('a config file must be an absolute path without control characters', () => {
    for (const bad of ['ssh_config', '-oProxyCommand=x', '~/.ssh/config', '/tmp/a\nb'])
      assert.throws(() => trustedSshConfigFile(bad), /absolute path/);
  });
});
