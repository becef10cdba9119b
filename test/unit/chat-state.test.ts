// The chat feature's state owner without a VS Code host: its inputs are plain events and values.
// VS Code hears of a change only when what it shows changes: a model gone or back, a verification's
// verdict, a plain-http route refused; a discovery round that finds the same things says nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatState } from '../../src/features/chat/state';
import type { EndpointProbe } from '../../src/core/route/discovery';
import type { VerificationSummary } from '../../src/core/route/routeHealth';
import type { AgentId } from '../../src/core/agents';
import type { PlainHttpDecision } from '../../src/core/endpoints';

function emitter() {
  const listeners = new Set<() => void>();
  return {
    event: (l: () => void) => {
      listeners.add(l);
      return { dispose: () => listeners.delete(l) };
    },
    fire: () => listeners.forEach(l => l()),
    get count() {
      return listeners.size;
    },
  };
}

const probe = (baseUrl: string, models: string[]): EndpointProbe => ({
  provider: 'llamacpp',
  baseUrl,
  source: 'default',
  result: { kind: 'up', models: models.map(id => ({ id, contextWindow: 8192, tools: true })), server: { kind: 'llamacpp' }, ms: 1 },
});

test('VS Code is told when the offered models change, and only then', async () => {
  const discovery = emitter();
  const routes = emitter();
  let latest: EndpointProbe[] = [probe('http://127.0.0.1:8131/v1', ['a']), probe('http://gpu-box:8080/v1', ['r'])];
  let verifications: Partial<Record<AgentId, VerificationSummary>> = {};
  let fired = 0;
  const state = new ChatState(
    {
      discovery: {
        get latest() {
          return latest;
        },
        ran: true,
        onDidChange: discovery.event,
        refresh: async () => latest,
      },
      routes: { holdingOf: () => verifications, onDidChange: routes.event },
      plainHttp: {
        decide: (u: string): PlainHttpDecision =>
          u.includes('gpu-box') ? { kind: 'ask', approvalKey: u, host: 'gpu-box' } : { kind: 'send' },
      },
    },
    () => fired++,
  );
  assert.deepEqual(
    (await state.current()).map(o => o.name),
    ['a', 'r'],
  );
  assert.equal(fired, 0, 'nothing to announce when VS Code first asks');

  discovery.fire();
  assert.equal(fired, 0, 'the same models: no change');

  latest = [probe('http://127.0.0.1:8131/v1', ['a', 'b']), latest[1]];
  discovery.fire();
  assert.equal(fired, 1, 'a model appeared');
  assert.ok(state.find('http://127.0.0.1:8131/v1#b'));

  verifications = { codex: { agent: 'codex', ok: false, at: 1, toolCall: { status: 'fail', code: 'no-tool-call' } } };
  routes.fire();
  assert.equal(fired, 2, 'a verdict changed what the picker shows');
  assert.equal(state.find('http://127.0.0.1:8131/v1#a')?.capabilities.toolCalling, false);

  state.refuse('http://gpu-box:8080');
  assert.equal(fired, 3, 'a refused plain-http route leaves');
  assert.equal(state.find('http://gpu-box:8080/v1#r'), undefined);

  latest = [];
  discovery.fire();
  assert.equal(fired, 4, 'the server stopped');
  assert.deepEqual(await state.current(), []);

  state.dispose();
  assert.equal(discovery.count + routes.count, 0, 'no listener left');
});

test('the first question waits for a discovery round when none has run', async () => {
  let ran = false;
  const latest = [probe('http://127.0.0.1:8131/v1', ['a'])];
  const state = new ChatState(
    {
      discovery: {
        get latest() {
          return ran ? latest : [];
        },
        get ran() {
          return ran;
        },
        onDidChange: emitter().event,
        refresh: async () => {
          ran = true;
          return latest;
        },
      },
      routes: { holdingOf: () => ({}), onDidChange: emitter().event },
      plainHttp: { decide: () => ({ kind: 'send' }) },
    },
    () => {},
  );
  assert.deepEqual(
    (await state.current()).map(o => o.name),
    ['a'],
  );
});
