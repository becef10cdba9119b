// Remote endpoints in the picker and the status bar, tunnel targets for discovery, the recommended
// Ollama model row, the plain-http consent owner, and which ssh config file a tunnel is given.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPickerEntries, type PickerContext, type PickerEntry } from '../../src/core/route/pickerModel';
import { renderStatus, type StatusState } from '../../src/core/route/statusView';
import { describeReach, endpointReach } from '../../src/core/route/endpointReach';
import { withTunnelTargets, tunnelLabel } from '../../src/core/route/targets';
import { chooseDefaultModel, GIB } from '../../src/core/route/defaultModel';
import type { DiscoveryTarget, EndpointProbe } from '../../src/core/route/discovery';
import type { Route } from '../../src/core/route/route';
import { PROVIDERS, type ProviderId } from '../../src/core/providers';
import { createPlainHttpConsent, type PlainHttpQuestion } from '../../src/state/plainHttpConsent';
import { userSshConfigFile } from '../../src/features/tunnel/hosts';
import type { PlainHttpAnswer } from '../../src/ctx';

const ctx: PickerContext = {
  active: undefined,
  launchable: (p: ProviderId) => PROVIDERS[p].launchable,
  trusted: true,
  verifications: () => ({}),
};
const up = (models: string[], kind: 'ollama' | 'openai-compatible' = 'ollama') => ({
  kind: 'up' as const,
  ms: 2,
  server: { kind },
  models: models.map(id => ({ id, contextWindow: 131072, tools: true })),
});
const TUNNEL: EndpointProbe = {
  provider: 'ollama',
  baseUrl: 'http://127.0.0.1:40111/v1',
  source: 'tunnel',
  label: 'me@gpu-box (ssh)',
  via: { kind: 'ssh', host: 'me@gpu-box', remotePort: 11434 },
  result: up(['gpt-oss:120b']),
};
const LAN: EndpointProbe = {
  provider: 'openaiCompatible',
  baseUrl: 'http://192.168.1.20:8080/v1',
  source: 'extra',
  label: 'LAN box',
  result: up(['big'], 'openai-compatible'),
};
const TLS: EndpointProbe = {
  provider: 'openaiCompatible',
  baseUrl: 'https://gpu.example.com/v1',
  source: 'extra',
  label: 'TLS box',
  result: up(['tls-model'], 'openai-compatible'),
};
const LOCAL: EndpointProbe = {
  provider: 'ollama',
  baseUrl: 'http://127.0.0.1:11434/v1',
  source: 'default',
  result: up(['qwen3-coder:30b']),
};

const items = (rows: PickerEntry[]) => rows.flatMap(r => (r.kind === 'item' ? [r] : []));
const row = (rows: PickerEntry[], label: string) => items(rows).find(r => r.label === label);

describe('how an endpoint is reached', () => {
  test('a tunnel is remote over ssh although its URL is loopback; the URL decides the rest', () => {
    assert.deepEqual(endpointReach(TUNNEL), { kind: 'ssh', host: 'me@gpu-box' });
    assert.deepEqual(endpointReach(LAN), { kind: 'remote-http', host: '192.168.1.20' });
    assert.deepEqual(endpointReach(TLS), { kind: 'remote-https', host: 'gpu.example.com' });
    assert.deepEqual(endpointReach(LOCAL), { kind: 'local' });
    assert.equal(describeReach(endpointReach(TUNNEL)), 'over SSH to me@gpu-box');
    assert.equal(describeReach(endpointReach(LAN)), 'remote: 192.168.1.20 over plain http — not encrypted');
    assert.equal(describeReach(endpointReach(LOCAL)), undefined);
  });
});

describe('tunnel targets for discovery', () => {
  const configured: DiscoveryTarget[] = [
    { provider: 'ollama', baseUrl: 'http://127.0.0.1:11434/v1', source: 'default' },
    { provider: 'llamacpp', baseUrl: 'http://127.0.0.1:8131/v1', source: 'default' },
  ];
  test('a tunnel on the local default port replaces that target: what answers there is the remote server', () => {
    const t = withTunnelTargets(configured, [
      { provider: 'ollama', localBaseUrl: 'http://127.0.0.1:11434/v1', destination: 'gpu-box', remotePort: 11434 },
    ]);
    assert.deepEqual(t, [
      { provider: 'llamacpp', baseUrl: 'http://127.0.0.1:8131/v1', source: 'default' },
      {
        provider: 'ollama',
        baseUrl: 'http://127.0.0.1:11434/v1',
        source: 'tunnel',
        label: 'gpu-box (ssh)',
        via: { kind: 'ssh', host: 'gpu-box', remotePort: 11434 },
      },
    ]);
  });
  test('no tunnels: the targets unchanged; the label is the destination with (ssh)', () => {
    assert.deepEqual(withTunnelTargets(configured, []), configured);
    assert.equal(tunnelLabel('me@gpu-box'), 'me@gpu-box (ssh)');
  });
});

describe('picker rows for remote endpoints', () => {
  const rows = buildPickerEntries([LOCAL, TUNNEL, LAN, TLS], ctx);
  test('model rows say how the server is reached; local ones say nothing more', () => {
    assert.equal(row(rows, 'gpt-oss:120b')?.description, 'http://127.0.0.1:40111/v1 · over SSH to me@gpu-box');
    assert.equal(row(rows, 'big')?.description, 'http://192.168.1.20:8080/v1 · remote: 192.168.1.20 over plain http — not encrypted');
    assert.equal(row(rows, 'tls-model')?.description, 'https://gpu.example.com/v1 · remote: gpu.example.com (https)');
    assert.equal(row(rows, 'qwen3-coder:30b')?.description, 'http://127.0.0.1:11434/v1');
  });
  test('the tunnel separator carries its ssh label, and its route keeps it', () => {
    assert.ok(rows.some(r => r.kind === 'separator' && r.label === 'me@gpu-box (ssh) — up · 1 model'));
    const p = row(rows, 'gpt-oss:120b')?.payload;
    assert.equal(p?.kind === 'model' && p.route.endpointLabel, 'me@gpu-box (ssh)');
    assert.deepEqual(
      p?.kind === 'model' && p.route.via,
      { kind: 'ssh', host: 'me@gpu-box', remotePort: 11434 },
      'the route remembers it went through a tunnel',
    );
    const local = row(rows, 'qwen3-coder:30b')?.payload;
    assert.ok(local?.kind === 'model' && !('via' in local.route));
  });
  test('a key withheld from plain http asks instead of offering to set a key', () => {
    const withheld: EndpointProbe = {
      ...LAN,
      keyWithheld: true,
      result: { kind: 'unauthorized', status: 401, message: 'Invalid API key', ms: 1 },
    };
    const r = items(buildPickerEntries([withheld], ctx)).find(i => i.payload.kind === 'allowPlainHttp');
    assert.deepEqual(r?.payload, { kind: 'allowPlainHttp', baseUrl: LAN.baseUrl, provider: 'openaiCompatible' });
    const plain = items(buildPickerEntries([{ ...withheld, keyWithheld: undefined }], ctx)).map(i => i.payload.kind);
    assert.ok(plain.includes('setKey') && !plain.includes('allowPlainHttp'));
  });
  test('Connect over SSH is an action only in a trusted workspace', () => {
    assert.ok(items(rows).some(i => i.payload.kind === 'connectSsh'));
    assert.ok(!items(buildPickerEntries([LOCAL], { ...ctx, trusted: false })).some(i => i.payload.kind === 'connectSsh'));
  });
});

describe('the recommended Ollama model row', () => {
  const memory = { totalBytes: 32 * GIB, freeBytes: 24 * GIB };
  const missing = chooseDefaultModel({ installed: [{ name: 'llama3.2:3b', sizeBytes: 2e9 }], memory });
  const remote = chooseDefaultModel({ installed: [{ name: 'gpt-oss:120b', sizeBytes: 65e9 }] });
  const recommendations = new Map([
    [LOCAL.baseUrl, missing],
    [TUNNEL.baseUrl, remote],
  ]);

  test('first under its endpoint, with why, and that it must be pulled', () => {
    const rows = buildPickerEntries([LOCAL, TUNNEL], { ...ctx, recommendations });
    const at = rows.findIndex(r => r.kind === 'separator' && r.label.startsWith('Ollama'));
    const r = rows[at + 1];
    assert.ok(r?.kind === 'item');
    assert.equal(r.label, 'Recommended for this machine: gpt-oss:20b');
    assert.equal(r.description, 'not installed — choose to pull it (about 14.0 GB) · http://127.0.0.1:11434/v1');
    assert.match(r.detail ?? '', /this host has 32 GiB of memory/);
    assert.equal(r.icon, 'cloud-download');
    assert.deepEqual(r.payload, { kind: 'recommended', provider: 'ollama', baseUrl: LOCAL.baseUrl, model: 'gpt-oss:20b', mustPull: true });
  });
  test('behind a tunnel the far host is not "this machine"; an installed model needs no pull', () => {
    const r = row(buildPickerEntries([LOCAL, TUNNEL], { ...ctx, recommendations }), 'Recommended: gpt-oss:20b');
    assert.ok(r, 'the tunnel row is labelled without "this machine"');
    assert.match(r.detail ?? '', /memory is unknown/);
    const installed = chooseDefaultModel({ installed: [{ name: 'gpt-oss:20b', sizeBytes: 14e9 }], memory });
    const i = row(
      buildPickerEntries([LOCAL], { ...ctx, recommendations: new Map([[LOCAL.baseUrl, installed]]) }),
      'Recommended for this machine: gpt-oss:20b',
    );
    assert.equal(i?.description, 'installed · http://127.0.0.1:11434/v1');
    assert.equal(i?.payload.kind === 'recommended' && i.payload.mustPull, false);
  });
  test("the setting's model is what is proposed", () => {
    const explicit = chooseDefaultModel({ explicit: 'qwen3-coder:30b', installed: [{ name: 'qwen3-coder:30b', sizeBytes: 18e9 }], memory });
    const r = items(buildPickerEntries([LOCAL], { ...ctx, recommendations: new Map([[LOCAL.baseUrl, explicit]]) })).find(
      i => i.payload.kind === 'recommended',
    );
    assert.equal(r?.label, 'Recommended for this machine: qwen3-coder:30b');
    assert.match(r?.detail ?? '', /your choice/);
  });
  test('a route already chosen is never replaced: no proposal then', () => {
    const active: Route = { provider: 'ollama', baseUrl: LOCAL.baseUrl, model: 'qwen3-coder:30b' };
    assert.ok(!items(buildPickerEntries([LOCAL, TUNNEL], { ...ctx, active, recommendations })).some(i => i.payload.kind === 'recommended'));
  });
});

describe('status bar for remote routes', () => {
  const base: Omit<StatusState, 'route'> = {
    health: { kind: 'up' },
    verifications: {},
    terminalsRouted: false,
    discovery: { ran: true, busy: false, endpointsUp: 1, models: 1 },
    trusted: true,
  };
  const tunnelRoute: Route = { provider: 'ollama', baseUrl: TUNNEL.baseUrl, model: 'gpt-oss:120b', endpointLabel: 'me@gpu-box (ssh)' };
  test('a tunnel route: $(remote) in the text, "over SSH to" and the tunnel state in the tooltip', () => {
    const v = renderStatus({ ...base, route: tunnelRoute, reach: { kind: 'ssh', host: 'me@gpu-box' }, tunnel: { state: 'up' } });
    assert.equal(v.text, '$(server-process) $(remote) me@gpu-box (ssh) · gpt-oss:120b');
    assert.match(v.tooltip, /\| Remote \| over SSH to me@gpu\\-box — tunnel up \|/);
    assert.match(v.accessibility, /over SSH to me@gpu-box/);
    const failed = renderStatus({
      ...base,
      route: tunnelRoute,
      reach: { kind: 'ssh', host: 'me@gpu-box' },
      tunnel: { state: 'failed', message: 'gave up' },
    });
    assert.match(failed.tooltip, /tunnel failed: gave up/);
    const closed = renderStatus({
      ...base,
      health: { kind: 'down', reason: 'the SSH tunnel to me@gpu-box is closed' },
      route: tunnelRoute,
      reach: { kind: 'ssh', host: 'me@gpu-box' },
      tunnel: { state: 'closed' },
    });
    assert.equal(closed.text, '$(error) $(remote) me@gpu-box (ssh) · gpt-oss:120b');
    assert.match(closed.tooltip, /over SSH to me@gpu\\-box — tunnel closed \|/);
  });
  test('plain http to another host says it is not encrypted; a local route has no remote mark', () => {
    const lan = renderStatus({
      ...base,
      route: { provider: 'openaiCompatible', baseUrl: LAN.baseUrl, model: 'big', endpointLabel: 'LAN box' },
      reach: endpointReach(LAN),
    });
    assert.equal(lan.text, '$(server-process) $(remote) LAN box · big');
    assert.match(lan.tooltip, /\| Remote \| remote: 192\\\.168\\\.1\\\.20 over plain http — not encrypted \|/);
    const local = renderStatus({
      ...base,
      route: { provider: 'ollama', baseUrl: LOCAL.baseUrl, model: 'qwen3-coder:30b' },
      reach: endpointReach(LOCAL),
    });
    assert.equal(local.text, '$(server-process) Ollama · qwen3-coder:30b');
    assert.doesNotMatch(local.tooltip, /\| Remote \|/);
  });
  test('in a remote window the tooltip says which machine "local" is', () => {
    const v = renderStatus({
      ...base,
      route: { provider: 'ollama', baseUrl: LOCAL.baseUrl, model: 'm' },
      remoteWindow: { name: 'ssh-remote', host: 'gpu-box' },
    });
    assert.match(v.tooltip, /\| Runs on \| gpu\\-box \(remote window: ssh\\-remote\); servers on 127\.0\.0\.1 are that machine's \|/);
  });
});

describe('plain-http consent: once per URL, only a yes is kept', () => {
  function harness(answers: PlainHttpAnswer[]) {
    const store = new Map<string, unknown>();
    const asked: PlainHttpQuestion[] = [];
    const tunnels: PlainHttpQuestion[] = [];
    const consent = createPlainHttpConsent({
      state: {
        get: (k: string) => store.get(k),
        update: async (k: string, v: unknown) => void store.set(k, v),
        keys: () => [...store.keys()],
      } as never,
      log: { info: () => undefined },
      ask: async q => {
        asked.push(q);
        return answers.shift() ?? 'cancel';
      },
      offerTunnel: q => void tunnels.push(q),
    });
    return { consent, asked, tunnels, store };
  }
  test('asks before the first send, not again after a yes (the same URL written another way included)', async () => {
    const h = harness(['send']);
    assert.deepEqual(await h.consent.confirm('http://192.168.1.20:8080/v1', { provider: 'openaiCompatible' }), {
      kind: 'send',
      asked: true,
    });
    assert.deepEqual(h.asked, [{ baseUrl: 'http://192.168.1.20:8080/v1', host: '192.168.1.20', provider: 'openaiCompatible' }]);
    assert.deepEqual(await h.consent.confirm('http://192.168.1.20:8080/v1/'), { kind: 'send', asked: false });
    assert.equal(h.consent.decide('192.168.1.20:8080').kind, 'send');
    assert.equal(h.asked.length, 1);
  });
  test('a no is not remembered: the next send asks again', async () => {
    const h = harness(['cancel', 'cancel']);
    assert.deepEqual(await h.consent.confirm('http://gpu-box:11434/v1'), { kind: 'declined' });
    assert.deepEqual(await h.consent.confirm('http://gpu-box:11434/v1'), { kind: 'declined' });
    assert.equal(h.asked.length, 2);
    assert.equal(h.consent.decide('http://gpu-box:11434/v1').kind, 'ask');
  });
  test('loopback and https never ask; a pre-answer is used instead of asking', async () => {
    const h = harness([]);
    assert.deepEqual(await h.consent.confirm('http://127.0.0.1:11434/v1'), { kind: 'send', asked: false });
    assert.deepEqual(await h.consent.confirm('https://gpu.example.com/v1'), { kind: 'send', asked: false });
    assert.deepEqual(await h.consent.confirm('http://gpu-box:11434/v1', { answer: 'send' }), { kind: 'send', asked: true });
    assert.equal(h.asked.length, 0);
    assert.deepEqual(h.store.get('localModelRouter.plainHttpApprovals'), ['http://gpu-box:11434/v1']);
  });
  test('"Use an SSH Tunnel Instead…" opens the tunnel for that host and sends nothing', async () => {
    const h = harness(['tunnel']);
    assert.deepEqual(await h.consent.confirm('http://gpu-box:11434/v1', { provider: 'ollama' }), { kind: 'tunnel' });
    assert.deepEqual(h.tunnels, [{ baseUrl: 'http://gpu-box:11434/v1', host: 'gpu-box', provider: 'ollama' }]);
    assert.equal(h.consent.decide('http://gpu-box:11434/v1').kind, 'ask');
  });
});

describe('the ssh config file a tunnel is given', () => {
  test('none when $HOME is the passwd home (ssh reads it itself); $HOME/.ssh/config with -F when they differ', () => {
    const home = mkdtempSync(join(tmpdir(), 'lmr-home-'));
    try {
      assert.equal(userSshConfigFile(home, home), undefined);
      assert.equal(userSshConfigFile(home, '/root'), undefined, 'no file: nothing to pass');
      mkdirSync(join(home, '.ssh'));
      writeFileSync(join(home, '.ssh', 'config'), 'Host x\n', { mode: 0o600 });
      assert.equal(userSshConfigFile(home, '/root'), join(home, '.ssh', 'config'));
      assert.equal(userSshConfigFile(home, `${home}/`), undefined);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
