// The verifier's Codex-shaped requests held against what the real Codex CLI 0.169 sends, so the
// imitation cannot drift from the real thing unnoticed (src/core/codex/verify/shape.ts and
// history.ts say what they imitate):
// - the first request, through the profile the product writes and without its model catalog: the
//   item sequence, the fields, the tool types, and the sizes CODEX_REQUEST_SIZES records;
// - the verifier's Codex-sized turn is about as large as Codex's through the profile;
// - a resumed turn with other permissions: Codex's item sequence and replay rules (reasoning without
//   `status`, a late developer message) are the ones codexHistoryRequest sends.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import { healthyBrain } from '../support/brain';
import { codexExec, codexSandbox, describeRun, HAVE_CODEX, responsesBodies, writeProfile } from '../support/codex-session';
import { codexShapedRequest, CODEX_REQUEST_FIELDS, CODEX_REQUEST_SIZES } from '../../src/core/codex/verify/shape';
import { codexHistoryRequest, syntheticHistory } from '../../src/core/codex/verify/history';

const root = mkdtempSync(join(tmpdir(), 'lmr-shape-real-'));
const servers: ScriptedServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
  rmSync(root, { recursive: true, force: true });
});

type Item = Record<string, unknown>;
const items = (b: Item) => b.input as Item[];
const kinds = (b: Item) => items(b).map(i => (i.type === 'message' ? String(i.role) : String(i.type)));
const textOf = (i: Item) => ((i.content as { text?: string }[] | undefined) ?? []).map(c => c.text ?? '').join('');
const size = (x: unknown) => JSON.stringify(x).length;
const near = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(
    Math.abs(actual - expected) <= expected * tolerance,
    `${what}: real Codex ${actual}, recorded ${expected} (±${tolerance * 100}%)`,
  );

async function serve(reasoning = false): Promise<ScriptedServer> {
  const s = await startScriptedServer({
    kind: 'llamacpp',
    models: [{ id: 'local/model', contextWindow: 32768 }],
    // A model that reasons before it answers, so Codex has reasoning items to send back.
    brain: async turn => {
      const r = await healthyBrain(turn);
      return reasoning && r.kind === 'output' ? { ...r, items: [{ type: 'reasoning', text: 'Thinking it over.' }, ...r.items] } : r;
    },
  });
  servers.push(s);
  return s;
}

test(
  'the first request: items, fields and sizes as the verifier imitates them',
  { skip: !HAVE_CODEX && 'node_modules/.bin/codex missing', timeout: 120_000 },
  async () => {
    const server = await serve();
    const sb = codexSandbox(root);
    await writeProfile(sb, { name: 'p', provider: 'llamacpp', server, model: 'local/model', contextWindow: 32768 });
    let r = await codexExec(sb, 'p', 'Reply with exactly: SHAPE');
    assert.equal(r.code, 0, describeRun(r));
    const [first] = responsesBodies(server);
    assert.deepEqual(kinds(first), ['developer', 'developer', 'user', 'user']);
    for (const [k, v] of Object.entries(CODEX_REQUEST_FIELDS)) {
      if (k === 'prompt_cache_key') assert.equal(typeof first[k], 'string', 'a prompt_cache_key (Codex uses its thread id)');
      else assert.deepEqual(first[k], v, `field ${k}`);
    }
    assert.equal(first.stream, true);
    assert.equal(first.instructions, undefined, 'no `instructions`: the prompt is in developer messages');
    assert.equal(first.text, undefined, 'no `text` through the profile (its catalog has no verbosity)');
    const tools = first.tools as Item[];
    assert.deepEqual([...new Set(tools.map(t => String(t.type)))].sort(), ['function', 'namespace', 'web_search']);
    const byName = Object.fromEntries(tools.map(t => [String(t.name ?? t.type), size(t)]));
    for (const [name, recorded] of Object.entries(CODEX_REQUEST_SIZES.tools))
      near(byName[name === 'namespace' ? 'multi_agent_v1' : name] ?? 0, recorded, 0.15, `tool ${name}`);
    near(size(textOf(items(first)[1])), CODEX_REQUEST_SIZES.turnInstructions, 0.15, 'developer[1] (turn instructions)');
    near(textOf(items(first)[2]).length, CODEX_REQUEST_SIZES.environment, 0.3, 'the environment context (its cwd varies)');

    // The verifier's Codex-sized turn is about as large as Codex's own through the profile.
    const mine = codexShapedRequest({
      model: 'local/model',
      profile: { catalog: true, nonFunctionTools: true },
      marker: 'X',
      cwd: sb.work,
    });
    near(size(mine.input) + size(mine.tools), size(first.input) + size(first.tools), 0.15, 'the whole first request (input + tools)');

    // Without the model catalog, Codex's own prompt is the first developer message.
    const server2 = await serve();
    const sb2 = codexSandbox(root);
    const p2 = await writeProfile(sb2, { name: 'p', provider: 'llamacpp', server: server2, model: 'local/model', contextWindow: 32768 });
    writeFileSync(join(sb2.codexHome, 'p.config.toml'), p2.fileText.replace(/^model_catalog_json = .*\n/m, ''));
    r = await codexExec(sb2, 'p', 'Reply with exactly: SHAPE');
    assert.equal(r.code, 0, describeRun(r));
    near(
      size(textOf(items(responsesBodies(server2)[0])[0])),
      CODEX_REQUEST_SIZES.fallbackInstructions,
      0.15,
      "developer[0] without the catalog (Codex's own prompt)",
    );
  },
);

test(
  'a resumed turn with other permissions: the sequence and replay rules codexHistoryRequest sends',
  { skip: !HAVE_CODEX && 'node_modules/.bin/codex missing', timeout: 180_000 },
  async () => {
    const server = await serve(true);
    const sb = codexSandbox(root);
    await writeProfile(sb, { name: 'p', provider: 'llamacpp', server, model: 'local/model', contextWindow: 32768 });
    const file = join(sb.work, 'note.txt');
    writeFileSync(file, 'HELLO\n');
    let r = await codexExec(sb, 'p', `Show me ${file}`, { sandbox: 'read-only' });
    assert.equal(r.code, 0, describeRun(r));
    const mark = server.requests.length;
    r = await codexExec(sb, 'p', 'Reply with exactly: SECOND', { sandbox: 'workspace-write', resume: true });
    assert.equal(r.code, 0, describeRun(r));
    const real = responsesBodies(server, mark)[0];
    // Real: developer, developer, user, user, reasoning, function_call, function_call_output, reasoning, assistant, developer, user, user
    const realKinds = kinds(real);
    assert.deepEqual(realKinds.slice(-4), ['assistant', 'developer', 'user', 'user'], realKinds.join(', '));
    for (const i of items(real).filter(x => x.type === 'reasoning'))
      assert.equal(i.status, undefined, 'Codex sends reasoning back without status');
    assert.equal(typeof items(real).find(x => x.type === 'function_call_output')?.output, 'string', 'an exec_command result is a string');

    // The verifier's later turn, built from a history shaped like this session's (a reasoning model).
    const reasoning = {
      type: 'reasoning',
      id: 'rs_1',
      summary: [],
      content: [{ type: 'reasoning_text', text: 'x' }],
      encrypted_content: '',
      status: 'completed',
    };
    const mine = codexHistoryRequest({
      model: 'local/model',
      profile: { catalog: true, nonFunctionTools: true },
      cwd: sb.work,
      firstPrompt: `Show me ${file}`,
      history: syntheticHistory(file, 'HELLO', reasoning as never),
      marker: 'SECOND',
      lateDeveloper: true,
    });
    assert.deepEqual(kinds(mine), realKinds, 'the same item sequence as the real resumed turn');
    for (const i of items(mine).filter(x => x.type === 'reasoning')) assert.equal(i.status, undefined);
    // Both late messages are of the recorded kind: permission instructions, then an environment context.
    const late = (b: Item) => items(b).slice(-3).map(textOf);
    assert.match(late(real)[0], /permissions instructions/);
    assert.match(late(mine)[0], /permissions instructions/);
    assert.match(late(real)[1], /<environment_context>/);
    assert.match(late(mine)[1], /<environment_context>/);
  },
);
