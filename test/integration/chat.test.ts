// The routes' models in VS Code's own language-model API, in the real host (code-server 1.139) with
// the real llama-server (`npm run setup:real-server`; skipped without it unless CI is set). Another
// extension (test/fixtures/lm-consumer, loaded beside this one) selects them with
// `vscode.lm.selectChatModels({ vendor: 'local-model-router' })` and sends requests as any extension
// would: the model is listed with the server's real context; an answer streams; the tiny tools model's
// call arrives as a LanguageModelToolCallPart and the answer completes after the result goes back;
// a verification turns tool calling on, a failed one keeps it off and the detail says why; stopping
// the server takes the model out of the list and starting it brings it back; cancelling stops the
// generation in the server (/slots goes idle, the log says so).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LocalModelRouterApi } from '../../src/api';
import type { ChatModelOffer } from '../../src/core/chat/offers';
import type { VerifyReport } from '../../src/core/verify/types';
import { findRealLlama, startRealLlama, type RealModel, type RealServer } from '../support/real-llama';
import { freePort } from '../support/ports';
import { startScriptedServer } from '../support/scripted-server';

const EXTENSION_ID = 'local-model-router.local-model-router';
const CONSUMER_ID = 'lmr-tests.lm-consumer';
const VENDOR = { vendor: 'local-model-router' };
const real = findRealLlama();
const hasApi =
  typeof (vscode as { lm?: { registerLanguageModelChatProvider?: unknown } }).lm?.registerLanguageModelChatProvider === 'function';

interface ModelView {
  id: string;
  name: string;
  vendor: string;
  family: string;
  version: string;
  maxInputTokens: number;
  capabilities?: { supportsToolCalling?: boolean; supportsImageToText?: boolean };
}
type Part = { kind: 'text'; value: string; at: number } | { kind: 'toolCall'; callId: string; name: string; input: object; at: number };
interface Sent {
  parts: Part[];
  error?: { name?: string; code?: string; message?: string };
  cancelledAt?: number;
}
type TurnPart =
  { text: string } | { toolCall: { callId: string; name: string; input: object } } | { toolResult: { callId: string; text: string } };
interface Consumer {
  models(selector: object): Promise<ModelView[]>;
  onDidChangeChatModels(listener: () => void): vscode.Disposable;
  countTokens(selector: object, text: string): Promise<number>;
  send(
    selector: object,
    turns: { role: 'user' | 'assistant'; parts: TurnPart[] }[],
    o?: { tools?: object[]; cancelAfterParts?: number },
  ): Promise<Sent>;
}

const config = () => vscode.workspace.getConfiguration('localModelRouter');
async function set(key: string, value: unknown): Promise<void> {
  await config().update(key, value, vscode.ConfigurationTarget.Global);
}
const TOUCHED = [
  'discovery.refreshIntervalSeconds',
  'discovery.probeLlamaServerDefaultPort',
  'llamacpp.baseUrl',
  'verify.agents',
  'openaiCompatible.endpoints',
];

const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'The weather for a city',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

suite('chat models: the routes in vscode.lm, on the real llama-server', () => {
  let consumer: Consumer;
  let api: LocalModelRouterApi;
  let port: number;
  let server: RealServer | undefined;

  /** llama-server as Start Server runs it (one slot, Jinja, the model's own template), under an alias of its own. */
  async function serve(model: RealModel, alias: string, ctx = 8192): Promise<RealServer> {
    await server?.stop(2_000);
    server = await startRealLlama({
      port,
      args: ['-m', real.ok ? real.model(model) : '', '-c', String(ctx), '--parallel', '1', '--jinja', '--alias', alias],
    });
    return server;
  }

  /** Refreshes discovery (what a person's Refresh or the background timer does) until the consumer sees what it waits for. */
  async function until<T>(what: string, check: (models: ModelView[]) => T | undefined, ms = 20_000): Promise<T> {
    const end = Date.now() + ms;
    let last: ModelView[] = [];
    for (;;) {
      await vscode.commands.executeCommand('localModelRouter.refresh');
      last = await consumer.models(VENDOR);
      const hit = check(last);
      if (hit !== undefined) return hit;
      if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms; models: ${JSON.stringify(last)}`);
      await new Promise(r => setTimeout(r, 250));
    }
  }
  const named = (name: string) => (ms: ModelView[]) => ms.find(m => m.name === name);
  /** VS Code's own event, heard by the other extension: fired once the provider told VS Code its models changed. */
  function nextChange(ms = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error(`no onDidChangeChatModels within ${ms} ms`));
      }, ms);
      const sub = consumer.onDidChangeChatModels(() => {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      });
    });
  }
  async function offer(name: string): Promise<ChatModelOffer> {
    await until(`${name} listed`, named(name));
    const o = (await api.chatModels()).find(x => x.name === name);
    assert.ok(o, `offered: ${name}`);
    return o;
  }

  suiteSetup(async function () {
    this.timeout(90_000);
    if (!hasApi) return this.skip();
    if (!real.ok) {
      if (process.env.CI) throw new Error(real.reason);
      return this.skip();
    }
    port = await freePort();
    await set('discovery.refreshIntervalSeconds', 0);
    await set('discovery.probeLlamaServerDefaultPort', false);
    await set('verify.agents', ['codex']);
    await set('llamacpp.baseUrl', `http://127.0.0.1:${port}/v1`);
    const ext = vscode.extensions.getExtension<LocalModelRouterApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    const other = vscode.extensions.getExtension<Consumer>(CONSUMER_ID);
    assert.ok(other, 'the consumer fixture is loaded beside the extension');
    consumer = await other.activate();
    await serve('tiny-tools', 'tools/model');
  });

  suiteTeardown(async function () {
    this.timeout(30_000);
    await server?.stop(2_000);
    for (const k of TOUCHED) await set(k, undefined);
  });

  test("another extension lists the model with the server's real context, family and build; tool calling unknown until verified", async function () {
    this.timeout(60_000);
    const m = await until('tools/model listed', named('tools/model'));
    const props = (await (await fetch(`${server!.root}/props`)).json()) as { default_generation_settings: { n_ctx: number } };
    const nCtx = props.default_generation_settings.n_ctx;
    assert.equal(nCtx, 8192, 'the server serves the context it was started with');
    // A quarter of the window (at most 4,096 tokens) is kept for the answer.
    assert.equal(m.maxInputTokens, nCtx - Math.min(4096, nCtx / 4));
    assert.equal(m.vendor, 'local-model-router');
    assert.equal(m.family, 'llamacpp');
    assert.equal(m.version, real.ok ? real.buildInfo : '');
    assert.equal(m.capabilities?.supportsToolCalling, false, 'not claimed before a verification');
    const o = await offer('tools/model');
    assert.equal(o.capabilities.toolCalling, undefined);
    assert.match(o.detail, /tools not verified/);
    assert.match(o.tooltip, /Tool calling: unknown — not verified yet/);
    assert.match(o.tooltip, /Context: 8,192 tokens \(llama\.cpp's per-slot n_ctx\)/);
  });

  test("countTokens is the server's own tokenizer", async function () {
    this.timeout(30_000);
    const text = 'Count these tokens, please: tokenizers differ from estimates.';
    const own = (await (await fetch(`${server!.root}/tokenize`, { method: 'POST', body: JSON.stringify({ content: text }) })).json()) as {
      tokens: number[];
    };
    assert.equal(await consumer.countTokens({ ...VENDOR, family: 'llamacpp' }, text), own.tokens.length);
  });

  test('sendRequest streams an answer; no consent is asked of the other extension', async function () {
    this.timeout(60_000);
    const r = await consumer.send(VENDOR, [{ role: 'user', parts: [{ text: 'Say hello.' }] }]);
    assert.equal(r.error, undefined, JSON.stringify(r.error));
    assert.ok(r.parts.length > 0 && r.parts.every(p => p.kind === 'text'), JSON.stringify(r.parts));
    assert.ok(r.parts.map(p => (p.kind === 'text' ? p.value : '')).join('').length > 0);
  });

  test("with a tool offered, the tiny tools model's call arrives as a LanguageModelToolCallPart; the result goes back and the answer completes", async function () {
    this.timeout(90_000);
    const ask = { role: 'user' as const, parts: [{ text: 'What is the weather in Paris? Use the tool.' }] };
    const first = await consumer.send(VENDOR, [ask], { tools: [WEATHER_TOOL] });
    assert.equal(first.error, undefined, JSON.stringify(first.error));
    const call = first.parts.find(p => p.kind === 'toolCall');
    assert.ok(call && call.kind === 'toolCall', JSON.stringify(first.parts));
    assert.equal(call.name, 'get_weather');
    assert.equal(typeof call.input, 'object');
    assert.match(call.callId, /\S/);
    const second = await consumer.send(
      VENDOR,
      [
        ask,
        { role: 'assistant', parts: [{ toolCall: { callId: call.callId, name: call.name, input: call.input } }] },
        { role: 'user', parts: [{ toolResult: { callId: call.callId, text: 'Sunny, 21 degrees.' } }] },
      ],
      { tools: [WEATHER_TOOL] },
    );
    assert.equal(second.error, undefined, JSON.stringify(second.error));
    const answer = second.parts.map(p => (p.kind === 'text' ? p.value : '')).join('');
    // tiny-tools answers "Done…" once it sees a tool result (test/real-server/README.md).
    assert.match(answer, /^Done/, JSON.stringify(second.parts));
  });

  test("the tools model's verification fails tool calling (its arguments are random): offered without toolCalling, and the picker detail says why", async function () {
    this.timeout(120_000);
    const route = (await offer('tools/model')).route;
    const report = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute', { route, agent: 'codex' });
    const stage = report.stages.find(s => s.id === 'tool-call');
    // The tiny model calls the tool with random arguments: the verifier's own verdict (test/real/codex.test.ts).
    assert.equal(stage?.diagnosis?.code, 'wrong-tool-arguments', JSON.stringify(stage ?? report.stages.map(s => [s.id, s.status])));
    // VS Code tells other extensions (onDidChangeChatModels) only when the set of models changes; a
    // changed capability reaches them on their next selectChatModels, which asks the provider again.
    assert.equal(named('tools/model')(await consumer.models(VENDOR))?.capabilities?.supportsToolCalling, false);
    const o = await offer('tools/model');
    assert.equal(o.capabilities.toolCalling, false);
    assert.match(o.detail, /no tools: failed verification \(wrong-tool-arguments\)/);
    assert.match(
      o.tooltip,
      /Tool calling: no — tool calls failed verification \(wrong-tool-arguments, \d{4}-\d\d-\d\d\): The model made a function call, but not one that reads/,
    );
  });

  test('a model whose tool-call round trip passes verification (a scripted llama.cpp): tool calling on, for every extension', async function () {
    this.timeout(120_000);
    const good = await startScriptedServer({ kind: 'llamacpp', models: [{ id: 'good/model', contextWindow: 32768 }] });
    try {
      await set('openaiCompatible.endpoints', [{ label: 'Scripted', baseUrl: good.baseUrl }]);
      const route = (await offer('good/model')).route;
      assert.equal((await offer('good/model')).capabilities.toolCalling, undefined);
      const report = await vscode.commands.executeCommand<VerifyReport>('localModelRouter.verifyRoute', { route, agent: 'codex' });
      assert.equal(report.stages.find(s => s.id === 'tool-call')?.status, 'pass');
      const m = named('good/model')(await consumer.models(VENDOR));
      assert.equal(m?.capabilities?.supportsToolCalling, true);
      assert.equal(m?.maxInputTokens, 32768 - 4096);
      assert.match((await offer('good/model')).detail, /^Scripted · 127\.0\.0\.1:\d+ · tools verified$/);
    } finally {
      await set('openaiCompatible.endpoints', undefined);
      await good.close();
    }
  });

  test('stop the server: the model leaves the list; start it: it comes back, its verdict kept', async function () {
    this.timeout(90_000);
    await offer('tools/model');
    const left = nextChange();
    await server!.stop(2_000);
    server = undefined;
    await vscode.commands.executeCommand('localModelRouter.refresh');
    await left;
    assert.equal(named('tools/model')(await consumer.models(VENDOR)), undefined);
    assert.equal(
      (await api.chatModels()).find(o => o.name === 'tools/model'),
      undefined,
    );
    const returned = nextChange();
    await serve('tiny-tools', 'tools/model');
    await vscode.commands.executeCommand('localModelRouter.refresh');
    await returned;
    const back = named('tools/model')(await consumer.models(VENDOR));
    assert.ok(back);
    assert.equal(back.capabilities?.supportsToolCalling, false);
    assert.match((await offer('tools/model')).detail, /failed verification \(wrong-tool-arguments\)/);
  });

  test('cancelling the request stops the generation in the server: /slots goes idle and its log says so', async function () {
    this.timeout(90_000);
    const s = await serve('tiny-endless', 'endless/model');
    await until('endless/model listed', named('endless/model'));
    const r = await consumer.send(VENDOR, [{ role: 'user', parts: [{ text: 'Write forever.' }] }], { cancelAfterParts: 5 });
    assert.ok(r.cancelledAt, JSON.stringify(r));
    assert.ok(r.parts.length >= 5, 'the answer streamed before it was cancelled');
    // Without the cancellation the endless model would write until its output limit (2,048 tokens, tens of seconds here).
    let idleAfter: number | undefined;
    for (let i = 0; i < 60 && idleAfter === undefined; i++) {
      const slots = (await (await fetch(`${s.root}/slots`)).json()) as { is_processing: boolean }[];
      if (slots.every(x => !x.is_processing)) idleAfter = Date.now() - r.cancelledAt;
      else await new Promise(res => setTimeout(res, 100));
    }
    assert.ok(idleAfter !== undefined && idleAfter < 5_000, `slots idle ${idleAfter} ms after the cancel`);
    assert.match(s.log(), /cancel task, id_task = \d+/);
    assert.match(s.log(), /stop processing: n_tokens = \d+/);
  });
});
