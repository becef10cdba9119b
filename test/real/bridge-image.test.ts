// An image inside a tool result, before/after the route bridge, with real Codex 0.169 and the real
// llama-server: tiny-view-image calls Codex's view_image on z.png, a real PNG in the working folder,
// and Codex sends the picture back as an input_image part of the function_call_output. llama.cpp
// refuses that request (400 "Output of tool call should be 'Input text'", server-chat.cpp;
// llama.cpp#23542), so direct the turn fails right after the image; through the bridge the image
// becomes a line of text, the server answers and the turn ends. The verifier's image probe (the
// tool-types stage) agrees: refused direct, taken through the bridge.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  PROFILE,
  codexErrors,
  codexExec,
  codexSandbox,
  describeRun,
  launch,
  skipReal,
  stage,
  stagesLine,
  turnCompleted,
  verify,
  writeProfile,
  type CodexRun,
  type Launched,
} from '../support/real-route';
import { startBridgeCli, type BridgeProcess } from '../support/bridge-cli';
import { startRecordingProxy, type RecordingProxy } from '../support/recording-proxy';

// A 2×2 RGB PNG (red, green / blue, white).
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR42mP4z8DAAMIM/4EAAB/uBfvxq7p3AAAAAElFTkSuQmCC', 'base64');
const LLAMA_REFUSAL = "Output of tool call should be 'Input text'";

/**
 * The product's catalog declares text-only input (Codex then never sends a picture); a user with a
 * vision model declares images, as this one does.
 */
function imagesOn(codexHome: string): void {
  const file = join(codexHome, `${PROFILE}.models.json`);
  const catalog = JSON.parse(readFileSync(file, 'utf8')) as { models: Record<string, unknown>[] };
  for (const m of catalog.models) m.input_modalities = ['text', 'image'];
  writeFileSync(file, JSON.stringify(catalog));
}

describe('Codex view_image on the real llama-server: direct and through the bridge', { skip: skipReal, timeout: 240_000 }, () => {
  let server: Launched;
  let direct: RecordingProxy;
  let upstream: RecordingProxy;
  let bridge: BridgeProcess;
  before(async () => {
    server = await launch({ model: 'tiny-view-image' });
    direct = await startRecordingProxy(server.baseUrl, { keepBodies: true });
    upstream = await startRecordingProxy(server.baseUrl, { keepBodies: true });
    bridge = await startBridgeCli(['--upstream', upstream.baseUrl]);
  });
  after(async () => {
    await bridge?.stop();
    await upstream?.close();
    await direct?.close();
    await server?.stop();
  });

  const run = async (baseUrl: string) => {
    const sb = codexSandbox();
    writeFileSync(join(sb.work, 'z.png'), PNG);
    const w = await writeProfile(sb, { baseUrl, contextWindow: 16384 });
    assert.equal(w.code, 0, JSON.stringify(w.json));
    imagesOn(sb.codexHome);
    return codexExec(sb, 'Look at the picture z.png and say what it shows');
  };

  test('direct: the request after the image gets the 400; through the bridge the turn ends with the answer', async () => {
    const d = await run(direct.baseUrl);
    // What Codex sent: the model's view_image call on z.png, answered with the picture itself.
    const sentImage = (r: CodexRun) => {
      const call = r.rollout.find(i => i.type === 'function_call' && i.name === 'view_image');
      const out = r.rollout.find(i => i.type === 'function_call_output' && i.call_id === call?.call_id);
      return (
        !!call &&
        (JSON.parse(call.arguments ?? '{}') as { path?: string }).path === 'z.png' &&
        JSON.stringify(out?.output ?? '').includes(PNG.toString('base64'))
      );
    };
    assert.ok(sentImage(d), `direct: Codex viewed z.png and sent the picture back\n${describeRun(d)}`);
    assert.notEqual(d.code, 0, describeRun(d));
    assert.ok(!turnCompleted(d), describeRun(d));
    assert.ok(codexErrors(d).includes(LLAMA_REFUSAL), `direct: Codex's turn fails with llama.cpp's refusal\n${describeRun(d)}`);
    assert.deepEqual(direct.requests, ['POST /v1/responses', 'POST /v1/responses'], 'direct: the call, then the request with the image');
    assert.ok(imageParts(direct.bodies[1]!) > 0, 'direct: the refused request held the picture as an image part');

    const b = await run(bridge.url);
    assert.ok(sentImage(b), `through the bridge: Codex viewed z.png and sent the picture back\n${describeRun(b)}`);
    assert.equal(b.code, 0, describeRun(b));
    assert.ok(turnCompleted(b), describeRun(b));
    const answer = b.events.find(e => e.type === 'item.completed' && e.item?.type === 'agent_message')?.item?.text ?? '';
    assert.match(answer, /^Done/, `the model's answer after the tool result\n${describeRun(b)}`);
    assert.match(bridge.log(), /^POST \/v1\/responses 200 .*\[image-in-tool-result-as-text/m, bridge.log());
    assert.match(bridge.log(), /^note image-in-tool-result-as-text: /m, bridge.log());
    assert.ok(upstream.requests.length >= 2, upstream.requests.join(', '));
    assert.ok(
      upstream.requests.every(r => r === 'POST /v1/chat/completions'),
      upstream.requests.join(', '),
    );
    for (const body of upstream.bodies) {
      assert.equal(imageParts(body), 0, 'no image part reached the server');
      assert.ok(!body.includes(PNG.toString('base64')), 'nor the picture in any form');
    }
  });

  test('the verifier agrees: images in tool results refused direct, taken through the bridge', async () => {
    // The product's own run: the direct verification, then (it failed: the random model's call is
    // not the one asked for) verifyThroughBridge, whose verdict goes into the report.
    const d = await verify(server.baseUrl);
    const types = stage(d.report, 'tool-types');
    assert.equal(d.report.findings?.toolTypes?.['image-output'], 'rejected', stagesLine(d.report));
    assert.ok(
      types.evidence.some(e => e.startsWith('image in a tool result: refused') && e.includes(LLAMA_REFUSAL)),
      types.evidence.join('\n'),
    );
    assert.ok(d.report.throughBridge, `verified through the bridge too\n${stagesLine(d.report)}`);
    assert.notEqual(d.report.throughBridge.failed?.stage, 'tool-types', JSON.stringify(d.report.throughBridge));
    // The same stage through the bridge, in full.
    const b = await verify(bridge.url, ['--no-bridge']);
    const through = stage(b.report, 'tool-types');
    assert.equal(through.status, 'pass', `${stagesLine(b.report)}\n${through.evidence.join('\n')}`);
    assert.equal(b.report.findings?.toolTypes?.['image-output'], 'accepted', through.evidence.join('\n'));
  });
});

/** Image parts (chat completions' image_url, Responses' input_image) in a request body. */
function imageParts(body: string): number {
  let n = 0;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (o.type === 'image_url' || o.type === 'input_image') n++;
      Object.values(o).forEach(walk);
    }
  };
  walk(JSON.parse(body));
  return n;
}
