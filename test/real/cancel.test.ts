// Cancel on the real llama-server: a verification cancelled in the middle of a generation aborts its
// request, and the server stops working on it (its log says "cancel task") and is idle again within
// a second, ready for the next request. The model is tiny-endless (it never ends a reply), started the
// way Start Server starts it, with `--metrics` so the server's own counters say when it is idle.
// Cancelled in a streamed stage (the tool-call round), where llama-server notices the closed
// connection at its next token; a non-streamed request is noticed at its next 1-second poll
// (HTTP_POLLING_SECONDS in tools/server/server-context.cpp).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { verifyRoute } from '../../src/core/codex/verify/index';
import type { StageId } from '../../src/core/verify/types';
import { ALIAS, launch, skipReal, type Launched } from '../support/real-route';

let server: Launched | undefined;
after(async () => {
  await server?.stop();
});

async function processing(root: string): Promise<number> {
  const r = await request(`${root}/metrics`, { headersTimeout: 5_000, bodyTimeout: 5_000 });
  const text = await r.body.text();
  const m = /^llamacpp:requests_processing (\S+)$/m.exec(text);
  if (!m) throw new Error(`no requests_processing in /metrics (HTTP ${r.statusCode})`);
  return Number(m[1]);
}

test(
  'a cancelled verification leaves the real llama-server idle within 1 s, the abort in its log',
  { skip: skipReal, timeout: 120_000 },
  async () => {
    server = await launch({ model: 'tiny-endless', settings: { 'llamacpp.threads': 2, 'llamacpp.extraArgs': ['--metrics'] } });
    const s = server;
    const ac = new AbortController();
    let abortedAt = 0;
    let busyAtAbort = -1;
    const cancelIn: StageId = 'tool-call';
    const report = await verifyRoute({
      baseUrl: s.baseUrl,
      model: ALIAS,
      timeoutMs: 60_000,
      // The small checks' budget: the model never stops, so they would write 512 tokens each.
      maxOutputTokens: 16,
      signal: ac.signal,
      onProgress: p => {
        if (p.kind !== 'stage-start' || p.id !== cancelIn) return;
        // Cancel once the round is generating (the model never stops on its own).
        void (async () => {
          for (let i = 0; i < 100 && (await processing(s.root)) === 0; i++) await new Promise(r => setTimeout(r, 20));
          await new Promise(r => setTimeout(r, 500));
          busyAtAbort = await processing(s.root);
          abortedAt = performance.now();
          ac.abort();
        })();
      },
    });
    assert.ok(abortedAt > 0, 'the verification reached the stage to cancel');
    assert.equal(busyAtAbort, 1, 'the server was generating when Cancel came');
    assert.equal(report.cancelled, true);
    assert.equal(report.stages.find(x => x.id === cancelIn)?.summary, 'cancelled');
    let idleAfter: number | undefined;
    while (performance.now() - abortedAt < 5_000) {
      if ((await processing(s.root)) === 0) {
        idleAfter = performance.now() - abortedAt;
        break;
      }
      await new Promise(r => setTimeout(r, 25));
    }
    assert.ok(idleAfter !== undefined && idleAfter <= 1_000, `idle ${idleAfter?.toFixed(0) ?? 'not within 5 s'} ms after Cancel`);
    assert.match(s.log(), /cancel task, id_task = \d+/, 'the server log shows the abort');
    // And it serves the next request.
    const health = await request(`${s.root}/health`);
    assert.equal(health.statusCode, 200);
    await health.body.dump();
  },
);
