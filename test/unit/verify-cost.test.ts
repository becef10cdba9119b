// What each stage asks of the server (real sockets, scripted servers): the smallest output budget
// where only the prompt is judged (and 16 tokens on a server that refuses one), a stream stopped at
// its first output item where only the server's acceptance counts (the later turn; a tool stage's last
// round after three rounds without a read, where a call after that point would not change the verdict),
// a namespace call asked for only
// where the model sees the tool, and stages whose verdict is already known not sent at all: a later
// turn after the first one's prompt was refused, Claude Code's model listing and a template without
// tools learned from the Codex stages of the same run, a Claude-Code-sized turn on a context that
// cannot hold it. Plus the progress estimate from the measured prompt rate.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import {
  startScriptedServer,
  type RecordedRequest,
  type RouteOverride,
  type ScriptedServer,
  type ScriptedServerOptions,
} from '../support/scripted-server';
import { healthyMessagesBrain, messagesStreamFrames, startMessagesServer, type MessagesBrain } from '../support/scripted-messages';
import { healthyBrain, type Brain } from '../support/brain';
import * as B from '../support/behaviours';
import { namespaceToolsBrain } from '../support/codex-behaviours';
import { verifyRoute, type VerifyOptions } from '../../src/core/codex/verify/index';
import { verifyAgents } from '../../src/core/agentVerify';
import { decideStage } from '../../src/core/verify/known';
import { runningText } from '../../src/core/verify/progress';
import type { StageId, StageResult, VerifyProgress, VerifyReport } from '../../src/core/verify/types';

const MODEL = 'local/model';
const servers: ScriptedServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function serve(o: Partial<ScriptedServerOptions> = {}): Promise<ScriptedServer> {
  const s = await startScriptedServer({ kind: 'llamacpp', models: [{ id: MODEL, contextWindow: 32768 }], ...o });
  servers.push(s);
  return s;
}

const run = (s: ScriptedServer, o: Partial<VerifyOptions> = {}) =>
  verifyRoute({ baseUrl: s.baseUrl, model: MODEL, timeoutMs: 5_000, ...o });
const stage = (r: VerifyReport, id: StageId): StageResult => {
  const x = r.stages.find(s => s.id === id);
  assert.ok(x, `no ${id}: ${r.stages.map(s => s.id).join(', ')}`);
  return x;
};
const bodies = (s: ScriptedServer, path: string) =>
  s.requests.filter(r => r.method === 'POST' && r.path === path).map(r => JSON.parse(r.body) as Record<string, unknown>);
const has = (b: Record<string, unknown>, text: string) => JSON.stringify(b).includes(text);
const isNamespaceProbe = (b: Record<string, unknown>) => has(b, '"type":"namespace"') && has(b, 'lookup_ticket') && !has(b, 'developer');
const isShape = (b: Record<string, unknown>) => has(b, 'CODEX-OK');

describe('output budgets', () => {
  test('the Codex-sized turn and every tool-type probe ask for one token; the Codex-sized request is otherwise what Codex sends', async () => {
    const s = await serve();
    const r = await run(s);
    assert.equal(r.ok, true, JSON.stringify(r.stages, null, 1));
    const shape = bodies(s, '/v1/responses').filter(isShape);
    assert.equal(shape.length, 1);
    assert.equal(shape[0]!.max_output_tokens, 1);
    for (const k of ['tool_choice', 'parallel_tool_calls', 'reasoning', 'store', 'include', 'prompt_cache_key', 'tools', 'input', 'stream'])
      assert.ok(k in shape[0]!, `the Codex-sized request keeps ${k}`);
    const probes = bodies(s, '/v1/responses').filter(
      b => (has(b, 'If you have a tool named lookup_ticket') || has(b, 'pixel.png')) && !has(b, 'developer'),
    );
    assert.equal(probes.length, 6, 'one probe per tool type, the base and text probes');
    assert.deepEqual(
      probes.map(b => b.max_output_tokens),
      [1, 1, 1, 1, 1, 1],
    );
    assert.ok(stage(r, 'codex-shape').metrics?.promptMs !== undefined, 'the prompt time is measured');
    assert.equal(stage(r, 'tool-types').status, 'pass');
  });

  test('a server that refuses a one-token budget (OpenAI wants 16) is asked once more with 16, and the run keeps 16', async () => {
    let refused = 0;
    const minimum16: Brain = turn => {
      const n = turn.request.max_output_tokens;
      if (typeof n === 'number' && n < 16) {
        refused++;
        return {
          kind: 'http',
          status: 400,
          body: {
            error: {
              message: `Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16, but got ${n} instead.`,
              type: 'invalid_request_error',
              param: 'max_output_tokens',
              code: 'integer_below_min_value',
            },
          },
        };
      }
      return healthyBrain(turn);
    };
    const s = await serve({ kind: 'generic', brain: minimum16 });
    const r = await run(s);
    assert.equal(r.ok, true, JSON.stringify(r.stages, null, 1));
    assert.equal(refused, 1, 'one refusal, then the run asks for 16');
    assert.equal(stage(r, 'tool-types').status, 'pass');
    assert.equal(bodies(s, '/v1/responses').filter(isShape)[0]!.max_output_tokens, 16);
    assert.match(stage(r, 'codex-shape').evidence[0]!, /output budget of 16 tokens/);
  });

  test('a one-token answer llama.cpp sends whole at the end still times the prompt', async () => {
    // llama-server with max_tokens 1 sends no partial event: the answer comes with response.completed.
    const whole: Brain = turn =>
      turn.request.max_output_tokens === 1 && isShape(turn.request)
        ? { kind: 'sse', frames: [': processing the prompt\n\n', B.healthyStreamFrames('C').at(-1)!], delayMs: 30 }
        : healthyBrain(turn);
    const s = await serve({ brain: whole });
    const r = await run(s);
    const shape = stage(r, 'codex-shape');
    assert.notEqual(shape.status, 'fail', JSON.stringify(shape));
    assert.ok((shape.metrics?.promptMs ?? 0) > 0, JSON.stringify(shape.metrics));
  });
});

describe('the namespace call is asked for only where the model sees the tool', () => {
  test('a server that drops namespace tools (llama.cpp): one namespace probe, no call asked for', async () => {
    const s = await serve({ brain: namespaceToolsBrain('llamacpp-drop') });
    const r = await run(s);
    assert.equal(r.findings?.toolTypes?.namespace, 'dropped');
    assert.equal(bodies(s, '/v1/responses').filter(isNamespaceProbe).length, 1);
  });
  test('a server that shows the tool, and a one-token answer holds no call: the same prompt again with room for the call', async () => {
    // A model that needs more than one token to write its call (every real one).
    const needsRoom: Brain = turn => {
      const n = turn.request.max_output_tokens;
      if (typeof n === 'number' && n < 8)
        return { kind: 'output', items: [{ type: 'message', text: '<' }], inputTokens: healthyBrainTokens(turn.request) };
      return healthyBrain(turn);
    };
    const s = await serve({ brain: needsRoom });
    const r = await run(s);
    assert.equal(r.findings?.toolTypes?.namespace, 'accepted');
    const ns = bodies(s, '/v1/responses').filter(isNamespaceProbe);
    assert.deepEqual(
      ns.map(b => b.max_output_tokens),
      [1, 64],
    );
    assert.match(stage(r, 'tool-types').evidence.join('\n'), /called it with its namespace/);
  });
});

function healthyBrainTokens(request: Record<string, unknown>): number {
  return Math.ceil(JSON.stringify([request.input ?? '', request.tools ?? []]).length / 4);
}

describe('streams stopped at the first output item', () => {
  test('the later turn: accepted at the first item; the request is aborted (the server sees the connection close) and nothing more is read', async () => {
    const closed: string[] = [];
    // The later turn's stream starts, then never ends (a model that writes forever).
    const endless: RouteOverride = (req: IncomingMessage, res, body) => {
      if (req.method !== 'POST' || !body.includes('TURN2-OK')) return false;
      res.writeHead(200, { 'content-type': 'text/event-stream', server: 'llama.cpp' });
      const [c, p, added, delta] = B.healthyStreamFrames('thinking about it');
      res.write(`${c}${p}${added}${delta}`);
      const t = setInterval(() => res.write(delta!), 20);
      res.on('close', () => {
        clearInterval(t);
        closed.push('closed');
      });
      return true;
    };
    const s = await serve({ overrides: [endless] });
    const t0 = performance.now();
    const r = await run(s);
    const later = stage(r, 'multi-turn');
    assert.equal(later.status, 'pass', JSON.stringify(later));
    assert.match(later.evidence.join('\n'), /stopped at the first output item/);
    assert.ok(performance.now() - t0 < 4_000, 'not waiting for the stream to end (the idle limit is 5 s)');
    for (let i = 0; i < 50 && !closed.length; i++) await new Promise(res => setTimeout(res, 20));
    assert.deepEqual(closed, ['closed'], 'the server saw the request go');
    assert.equal(r.findings?.laterTurns, true);
  });
});

describe('stages whose verdict is already known are not sent', () => {
  test("a template that refuses the Codex-sized turn's second system message: the later turn is not sent, it fails the same way", async () => {
    const s = await serve({ template: 'strict' });
    const r = await run(s);
    assert.equal(stage(r, 'codex-shape').diagnosis?.code, 'template-system-message');
    const later = stage(r, 'multi-turn');
    assert.equal(later.status, 'fail');
    assert.equal(later.diagnosis?.code, 'template-system-message');
    assert.match(later.evidence[0]!, /^known from the Codex-sized turn: not asked again/);
    assert.equal(bodies(s, '/v1/responses').filter(b => has(b, 'TURN2-OK')).length, 0, 'no later-turn request');
    assert.equal(r.findings?.laterTurns, false);
  });

  test('Claude Code after Codex on the same server: the model listing is asked once', async () => {
    const s = await startMessagesServer({ kind: 'llamacpp', models: [{ id: MODEL, contextWindow: 65536 }] });
    servers.push(s);
    const reports = await verifyAgents(['codex', 'claude'], { baseUrl: s.baseUrl, model: MODEL, timeoutMs: 5_000 });
    assert.deepEqual(
      reports.map(r => r.agent),
      ['codex', 'claude'],
    );
    const models = (x: RecordedRequest) => x.method === 'GET' && (x.path === '/v1/models' || x.path === '/models');
    assert.equal(s.requests.filter(models).length, 1, 'one GET /v1/models for both agents');
    const claudeModels = stage(reports[1]!, 'models');
    assert.equal(claudeModels.status, 'pass');
    assert.equal(claudeModels.metrics?.contextWindow, 65536);
    assert.match(claudeModels.evidence[0]!, /^known from the Codex stages of this run/);
    assert.equal(reports[1]!.ok, true, JSON.stringify(reports[1]!.stages, null, 1));
  });

  test("a template without tools found by Codex's tool call: Claude Code's tool stage is not sent, same verdict", async () => {
    const s = await startMessagesServer({ kind: 'llamacpp', models: [{ id: MODEL, contextWindow: 65536 }], template: 'chatml' });
    servers.push(s);
    const [codex, claude] = await verifyAgents(['codex', 'claude'], { baseUrl: s.baseUrl, model: MODEL, timeoutMs: 5_000 });
    assert.equal(stage(codex!, 'tool-call').diagnosis?.code, 'template-no-tools');
    const tool = stage(claude!, 'messages-tool-call');
    assert.equal(tool.status, 'fail');
    assert.equal(tool.diagnosis?.code, 'template-no-tools');
    assert.deepEqual(tool.diagnosis?.fix, {
      kind: 'changeServer',
      change: { what: 'template', reason: 'no-tool-support' },
      label: 'Use a template with tool support',
    });
    assert.equal(bodies(s, '/v1/messages').filter(b => has(b, 'Use a tool to read the file')).length, 0);
  });

  test('a context under 16,384 tokens: the Claude-Code-sized turn is not sent (it cannot fit a session whatever the server says)', async () => {
    const s = await startMessagesServer({ kind: 'llamacpp', models: [{ id: MODEL, contextWindow: 8192 }] });
    servers.push(s);
    const [claude] = await verifyAgents(['claude'], { baseUrl: s.baseUrl, model: MODEL, timeoutMs: 5_000 });
    const shape = stage(claude!, 'claude-shape');
    assert.equal(shape.status, 'fail');
    assert.equal(shape.diagnosis?.code, 'context-too-small');
    assert.equal(shape.diagnosis?.fix?.kind, 'changeServer');
    assert.equal(bodies(s, '/v1/messages').filter(b => has(b, 'CLAUDE-OK')).length, 0);
  });

  test('the decisions, without a server', () => {
    const result = (id: StageId, status: StageResult['status'], code?: string): StageResult => ({
      id,
      title: id,
      status,
      ms: 1,
      summary: '',
      evidence: [],
      ...(code ? { diagnosis: { code: code as never, message: code, fix: null } } : {}),
    });
    const results = (...rs: StageResult[]) => new Map(rs.map(r => [r.id, r]));
    // Codex: only the later turn, only after the first one's prompt was refused.
    assert.equal(decideStage('codex', 'multi-turn', { results: results(result('codex-shape', 'pass')) }).kind, 'ask');
    assert.equal(decideStage('codex', 'multi-turn', { results: results(result('codex-shape', 'warn', 'context-too-small')) }).kind, 'ask');
    assert.equal(
      decideStage('codex', 'multi-turn', { results: results(result('codex-shape', 'fail', 'context-too-small')) }).kind,
      'known',
    );
    assert.equal(decideStage('codex', 'multi-turn', { results: results(result('codex-shape', 'fail', 'server-error')) }).kind, 'ask');
    assert.equal(
      decideStage('codex', 'tool-call', { results: results(result('codex-shape', 'fail', 'template-system-message')) }).kind,
      'ask',
    );
    // Claude Code: nothing without an earlier agent's report; a cancelled or skipped listing is asked again.
    const earlier = (...stages: StageResult[]): VerifyReport => ({
      agent: 'codex',
      ok: true,
      baseUrl: 'http://x/v1',
      model: MODEL,
      startedAt: '',
      ms: 1,
      cancelled: false,
      stages,
    });
    assert.equal(decideStage('claude', 'models', { results: new Map() }).kind, 'ask');
    assert.equal(decideStage('claude', 'models', { results: new Map(), earlier: earlier(result('models', 'skip')) }).kind, 'ask');
    assert.equal(
      decideStage('claude', 'models', { results: new Map(), earlier: earlier(result('models', 'fail', 'server-unreachable')) }).kind,
      'known',
    );
    assert.equal(
      decideStage('claude', 'messages-tool-call', { results: new Map(), earlier: earlier(result('tool-call', 'fail', 'no-tool-call')) })
        .kind,
      'ask',
    );
    assert.equal(
      decideStage('claude', 'messages-tool-call', {
        results: new Map(),
        earlier: earlier(result('tool-call', 'fail', 'template-no-tools')),
      }).kind,
      'known',
    );
    assert.equal(
      decideStage('claude', 'claude-shape', { results: new Map(), earlier: earlier(result('codex-shape', 'pass')) }).kind,
      'ask',
    );
  });
});

describe('progress: an estimate for the sized turns from the measured prompt rate', () => {
  test('Codex: from the rate measured before; Claude Code: from the rate the Codex stages just measured', async () => {
    const s = await startMessagesServer({ kind: 'llamacpp', models: [{ id: MODEL, contextWindow: 65536 }] });
    servers.push(s);
    const starts: { agent: string; p: Extract<VerifyProgress, { kind: 'stage-start' }> }[] = [];
    const [codex] = await verifyAgents(['codex', 'claude'], {
      baseUrl: s.baseUrl,
      model: MODEL,
      timeoutMs: 5_000,
      promptTps: 1_000,
      onProgress: (agent, p) => {
        if (p.kind === 'stage-start') starts.push({ agent, p });
      },
    });
    const codexShape = starts.find(x => x.agent === 'codex' && x.p.id === 'codex-shape')?.p;
    const tokens = Number(/≈(\d+) tokens/.exec(stage(codex!, 'codex-shape').evidence[0]!)?.[1]);
    assert.equal(codexShape?.estimateMs, tokens, 'at 1000 tokens/s, a millisecond a token');
    const claudeShape = starts.find(x => x.agent === 'claude' && x.p.id === 'claude-shape')?.p;
    const measured = codex!.findings?.promptTps;
    assert.ok(measured, 'the Codex stages measured a rate');
    assert.ok(claudeShape?.estimateMs !== undefined && claudeShape.estimateMs >= 0, JSON.stringify(claudeShape));
    assert.equal(starts.find(x => x.p.id === 'responses-text')?.p.estimateMs, undefined, 'small stages get none');
  });

  test('no rate known yet: no estimate', async () => {
    const s = await serve();
    const starts: VerifyProgress[] = [];
    await run(s, { onProgress: p => starts.push(p) });
    const shape = starts.find(p => p.kind === 'stage-start' && p.id === 'codex-shape');
    assert.ok(shape && shape.kind === 'stage-start' && shape.estimateMs === undefined);
  });

  test('what the notification says', () => {
    assert.equal(
      runningText({ label: 'Codex: A Codex-sized turn', startedAt: 1_000, estimateMs: 2_100 }, 0, 5_500),
      'Codex: A Codex-sized turn — 4 s (prompt ≈2.10 s at the measured rate) · 5 s in all',
    );
    assert.equal(
      runningText({ label: 'Codex: Tool call round trip', startedAt: 0 }, 0, 999),
      'Codex: Tool call round trip — 0 s · 0 s in all',
    );
  });
});

describe('the last tool round after three without a read: read only until the server takes the conversation', () => {
  // Rounds 1-3: a call that reads the wrong file. Round 4 (three tool results in the request): text,
  // then, only after the point the stage stops at, a call that DOES read the token file. A whole read
  // of that stream ends the stage as before: a call in the last round ends it without an answer, and
  // with nothing read the code is wrong-tool-arguments; the same as when round 4 answers in prose. So
  // the early stop cannot change the verdict, and the server sees the request go before the call.
  const ev = (type: string, data: Record<string, unknown> = {}) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const TOOL_PROMPT = 'Use a tool to read the file';
  const fileIn = (body: string) => /(\/[^\s"\\]+token\.txt)/.exec(body)?.[1] ?? '/missing';

  /** Writes `frames` 30 ms apart until the client goes; `written()` = frames written before it went. */
  function slowly(res: import('node:http').ServerResponse, frames: string[], headers: Record<string, string>) {
    let written = 0;
    let gone = false;
    res.on('close', () => (gone = true));
    res.writeHead(200, { 'content-type': 'text/event-stream', server: 'llama.cpp', ...headers });
    const next = () => {
      if (gone || res.destroyed) return;
      if (written < frames.length) {
        res.write(frames[written++]);
        setTimeout(next, 30);
      } else res.end();
    };
    next();
    return { written: () => written, gone: () => gone };
  }

  test('Codex: round 4 writes text, then a call reading the file after the first output item: not read, same verdict (wrong-tool-arguments)', async () => {
    let last: ReturnType<typeof slowly> | undefined;
    let callAt = -1;
    const wrongCalls: Brain = turn => {
      const body = JSON.stringify(turn.request);
      if (!body.includes(TOOL_PROMPT)) return healthyBrain(turn);
      return {
        kind: 'output',
        items: [{ type: 'function_call', name: 'exec_command', arguments: JSON.stringify({ cmd: 'cat /etc/hostname' }) }],
      };
    };
    const round4: RouteOverride = (req, res, body) => {
      if (req.method !== 'POST' || !body.includes(TOOL_PROMPT) || body.split('"function_call_output"').length - 1 !== 3) return false;
      const args = JSON.stringify({ cmd: `cat ${fileIn(body)}` });
      const resp = { id: 'resp_4', object: 'response', status: 'in_progress' };
      const msg = {
        type: 'message',
        id: 'msg_4',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Again.', annotations: [] }],
      };
      const call = { type: 'function_call', id: 'fc_4', call_id: 'call_4', name: 'exec_command', arguments: args, status: 'completed' };
      const frames = [
        ev('response.created', { response: resp }),
        ev('response.in_progress', { response: resp }),
        ev('response.output_item.added', { output_index: 0, item: { ...msg, status: 'in_progress', content: [] } }),
        ev('response.content_part.added', { item_id: 'msg_4', output_index: 0, content_index: 0, part: { type: 'output_text', text: '' } }),
        ev('response.output_text.delta', { item_id: 'msg_4', output_index: 0, content_index: 0, delta: 'Again.' }),
        ev('response.output_item.added', { output_index: 1, item: { ...call, arguments: '', status: 'in_progress' } }),
        ev('response.function_call_arguments.delta', { item_id: 'fc_4', output_index: 1, delta: args }),
        ev('response.output_item.done', { output_index: 0, item: msg }),
        ev('response.output_item.done', { output_index: 1, item: call }),
        ev('response.completed', {
          response: { ...resp, status: 'completed', output: [msg, call], usage: { input_tokens: 90, output_tokens: 30 } },
        }),
      ];
      callAt = 5;
      last = slowly(res, frames, {});
      return true;
    };
    const s = await serve({ brain: wrongCalls, overrides: [round4] });
    const r = await run(s);
    const tool = stage(r, 'tool-call');
    assert.equal(tool.status, 'fail', JSON.stringify(tool));
    assert.equal(tool.diagnosis?.code, 'wrong-tool-arguments');
    assert.equal(tool.metrics?.rounds, 4);
    assert.equal(
      tool.evidence.filter(e => /^round \d call: exec_command\(\{"cmd":"cat \/etc\/hostname"\}\)/.test(e)).length,
      3,
      tool.evidence.join('\n'),
    );
    assert.match(tool.evidence.at(-1)!, /^round 4: the server took the conversation; stopped at the first output item/);
    assert.ok(last, 'round 4 was sent');
    for (let i = 0; i < 50 && !last.gone(); i++) await new Promise(res => setTimeout(res, 20));
    assert.ok(last.gone(), 'the server saw the request go');
    assert.ok(
      last.written() <= callAt,
      `stopped before the call was written (${last.written()} frames written, the call is frame ${callAt + 1})`,
    );
  });

  test('Claude Code: round 4 writes text, then a Read of the file after the first block: not read, same verdict (wrong-tool-arguments)', async () => {
    let last: ReturnType<typeof slowly> | undefined;
    let callAt = -1;
    const brain: MessagesBrain = turn => {
      if (!JSON.stringify(turn.request).includes(TOOL_PROMPT)) return healthyMessagesBrain(turn);
      return {
        kind: 'output',
        blocks: [{ type: 'tool_use', name: 'Bash', input: { command: 'cat /etc/hostname' } }],
        stopReason: 'tool_use',
      };
    };
    const round4: RouteOverride = (req, res, body) => {
      if (req.method !== 'POST' || !body.includes(TOOL_PROMPT) || body.split('"tool_result"').length - 1 !== 3) return false;
      const frames = messagesStreamFrames(
        'llamacpp',
        {
          kind: 'output',
          blocks: [
            { type: 'text', text: 'Again.' },
            { type: 'tool_use', id: 'toolu_4', name: 'Read', input: { file_path: fileIn(body) } },
          ],
          stopReason: 'tool_use',
        },
        MODEL,
      );
      callAt = frames.findIndex(f => f.includes('"tool_use"'));
      last = slowly(res, frames, {});
      return true;
    };
    const s = await startMessagesServer({
      kind: 'llamacpp',
      models: [{ id: MODEL, contextWindow: 65536 }],
      overrides: [round4],
      messages: { brain },
    });
    servers.push(s);
    const [claude] = await verifyAgents(['claude'], { baseUrl: s.baseUrl, model: MODEL, timeoutMs: 5_000 });
    const tool = stage(claude!, 'messages-tool-call');
    assert.equal(tool.status, 'fail', JSON.stringify(tool));
    assert.equal(tool.diagnosis?.code, 'wrong-tool-arguments');
    assert.equal(tool.metrics?.rounds, 4);
    assert.match(tool.evidence.at(-1)!, /^round 4: the server took the conversation; stopped at the first output item/);
    assert.ok(last && callAt > 0, 'round 4 was sent');
    for (let i = 0; i < 50 && !last.gone(); i++) await new Promise(res => setTimeout(res, 20));
    assert.ok(last.gone(), 'the server saw the request go');
    assert.ok(
      last.written() <= callAt,
      `stopped before the Read was written (${last.written()} frames written, the Read starts at frame ${callAt + 1})`,
    );
  });
});
