// Issue 14, with the real Codex CLI 0.169: for each failure Codex users meet later in a session or
// with the tools they add, the verifier's verdict on a scripted server and what Codex does on the SAME
// server agree. Profiles are written by the product (`codex-profile`, with `--from-verify` where the
// verifier's findings should shape it); a catalog is edited by hand only to show the failure the
// product's catalog avoids. Every Codex run is bounded (test/support/codex-session.ts).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScriptedServer, type ScriptedServer, type ScriptedServerOptions } from '../support/scripted-server';
import { estimateTokens, inputItems } from '../support/brain';
import { DEFAULT_STREAM_IDLE_TIMEOUT_MS, idleTimeoutFor } from '../../src/core/codex/idleTimeout';
import * as C from '../support/codex-behaviours';
import {
  CODEX_RUN_TIMEOUT_MS,
  HAVE_CODEX,
  addMcpServer,
  codexExec,
  editCatalog,
  codexSandbox,
  describeRun,
  responsesBodies,
  stageOf,
  toolsOf,
  verdict,
  verifyJson,
  writeProfile,
} from '../support/codex-session';

const TIMEOUT = 6 * CODEX_RUN_TIMEOUT_MS;
let root = '';
const servers: ScriptedServer[] = [];

async function serve(options: ScriptedServerOptions): Promise<ScriptedServer> {
  const s = await startScriptedServer(options);
  servers.push(s);
  return s;
}

// If the model sees lookup_ticket (the MCP fixture's tool) it calls it, with its namespace; otherwise it says so.
const PROMPT = 'If you have a tool named lookup_ticket, call it with id "42". Reply with exactly: NO-TICKET-TOOL';

/** Roles and types of a request's input, in order: developer, user, assistant, function_call… */
const kinds = (body: Record<string, unknown>) =>
  inputItems(body).map(i => (i.type === 'message' || i.type === undefined ? String(i.role) : String(i.type)));

describe(
  'the real Codex CLI agrees with the verifier on later turns and tool types (issue 14)',
  { skip: !HAVE_CODEX && 'node_modules/.bin/codex is not installed' },
  () => {
    before(() => {
      root = mkdtempSync(join(tmpdir(), 'lmr-later-agree-'));
    });
    after(async () => {
      for (const s of servers) await s.close();
      rmSync(root, { recursive: true, force: true });
    });

    describe('a template that merges the leading system messages (llama.cpp, 500 on a later one)', () => {
      const MODEL = 'local/model';
      let server: ScriptedServer;
      before(async () => {
        server = await serve({
          kind: 'llamacpp',
          models: [{ id: MODEL, contextWindow: 32768 }],
          brain: C.mergingStrictTemplateBrain('llamacpp-500'),
        });
      });

      test(
        'the verifier: the first turn passes, a turn after a developer message fails (template-system-message)',
        { timeout: TIMEOUT },
        async () => {
          const sb = codexSandbox(root);
          const { report } = await verifyJson(sb, server, MODEL);
          assert.deepEqual(stageOf(report, 'codex-shape'), { status: 'pass', code: undefined }, verdict(report));
          assert.deepEqual(stageOf(report, 'multi-turn'), { status: 'fail', code: 'template-system-message' }, verdict(report));
          assert.equal(report.findings?.firstTurnOk, true);
          assert.equal(report.findings?.lateDeveloper, false);
        },
      );

      test(
        'Codex: turn 1 (-s read-only) works; turn 2 resumed with -s workspace-write carries a late developer message and fails',
        { timeout: TIMEOUT },
        async () => {
          const sb = codexSandbox(root);
          await writeProfile(sb, { name: 'p', provider: 'llamacpp', server, model: MODEL, contextWindow: 32768 });
          const t1 = await codexExec(sb, 'p', 'Reply with exactly: TURN1-OK', { sandbox: 'read-only' });
          assert.equal(t1.code, 0, describeRun(t1));
          assert.equal(t1.stdout.trim(), 'TURN1-OK');
          const mark = server.requests.length;
          const t2 = await codexExec(sb, 'p', 'Reply with exactly: TURN2-OK', { sandbox: 'workspace-write', resume: true });
          assert.equal(t2.timedOut, false, describeRun(t2));
          assert.notEqual(t2.code, 0, describeRun(t2));
          assert.doesNotMatch(t2.stdout, /TURN2-OK/);
          const sent = responsesBodies(server, mark);
          assert.ok(
            sent.length >= 1 && sent.every(C.lateSystemMessage),
            `every turn-2 request has a system message after the conversation started: ${sent.map(b => kinds(b).join(',')).join(' / ')}`,
          );
          const k = kinds(sent[0]);
          assert.deepEqual(k.slice(-4), ['assistant', 'developer', 'user', 'user'], k.join(','));
        },
      );

      test('Codex: the same two turns with the same -s both work (no late developer message)', { timeout: TIMEOUT }, async () => {
        const sb = codexSandbox(root);
        await writeProfile(sb, { name: 'p', provider: 'llamacpp', server, model: MODEL, contextWindow: 32768 });
        const t1 = await codexExec(sb, 'p', 'Reply with exactly: TURN1-OK', { sandbox: 'read-only' });
        assert.equal(t1.code, 0, describeRun(t1));
        const mark = server.requests.length;
        const t2 = await codexExec(sb, 'p', 'Reply with exactly: TURN2-OK', { sandbox: 'read-only', resume: true });
        assert.equal(t2.code, 0, describeRun(t2));
        assert.equal(t2.stdout.trim(), 'TURN2-OK');
        const [sent] = responsesBodies(server, mark);
        assert.equal(C.lateSystemMessage(sent), false, kinds(sent).join(','));
        assert.ok(kinds(sent).includes('assistant'), 'turn 1 went back as history');
      });
    });

    describe('vLLM 0.19.1 refuses history items without `status`', () => {
      const MODEL = 'glm-5.1';
      let server: ScriptedServer;
      before(async () => {
        server = await serve({ kind: 'vllm', models: [{ id: MODEL, contextWindow: 65536 }], brain: C.vllmHistoryStatusBrain() });
      });

      test('the verifier: codex-shape passes, tool-call and multi-turn fail (history-rejected)', { timeout: TIMEOUT }, async () => {
        const sb = codexSandbox(root);
        const { report } = await verifyJson(sb, server, MODEL);
        assert.equal(stageOf(report, 'codex-shape').status, 'pass', verdict(report));
        assert.deepEqual(stageOf(report, 'multi-turn'), { status: 'fail', code: 'history-rejected' }, verdict(report));
        assert.deepEqual(stageOf(report, 'tool-call'), { status: 'fail', code: 'history-rejected' }, verdict(report));
      });

      test('Codex: a text turn works, the resumed turn fails with vLLM\'s "Field required"', { timeout: TIMEOUT }, async () => {
        const sb = codexSandbox(root);
        await writeProfile(sb, { name: 'p', provider: 'vllm', server, model: MODEL, contextWindow: 65536 });
        const t1 = await codexExec(sb, 'p', 'Reply with exactly: TURN1-OK');
        assert.equal(t1.code, 0, describeRun(t1));
        assert.equal(t1.stdout.trim(), 'TURN1-OK');
        const mark = server.requests.length;
        const t2 = await codexExec(sb, 'p', 'Reply with exactly: TURN2-OK', { resume: true });
        assert.notEqual(t2.code, 0, describeRun(t2));
        assert.match(t2.stdout + t2.stderr, /Field required/, describeRun(t2));
        const [sent] = responsesBodies(server, mark);
        const reasoning = inputItems(sent).filter(i => i.type === 'reasoning');
        assert.ok(
          reasoning.length > 0 && reasoning.every(i => i.status === undefined),
          'Codex sent the reasoning item back without its status',
        );
      });

      test('Codex: a tool round trip in one turn fails the same way', { timeout: TIMEOUT }, async () => {
        const sb = codexSandbox(root);
        await writeProfile(sb, { name: 'p', provider: 'vllm', server, model: MODEL, contextWindow: 65536 });
        const file = join(sb.work, 'note.txt');
        writeFileSync(file, 'ROUND-TRIP-7\n');
        const mark = server.requests.length;
        const r = await codexExec(sb, 'p', `Show me ${file}`);
        assert.notEqual(r.code, 0, describeRun(r));
        assert.match(r.stdout + r.stderr, /Field required/, describeRun(r));
        const sent = responsesBodies(server, mark);
        assert.ok(
          sent.length >= 2 && kinds(sent[sent.length - 1]).includes('function_call_output'),
          'the failing request carried the tool output',
        );
      });
    });

    describe('MCP servers: Codex sends their tools as namespace tools', () => {
      const MCP = 'mcp__demo';
      const namespaces = (b: Record<string, unknown>) =>
        toolsOf(b)
          .filter(t => t.type === 'namespace')
          .map(t => String(t.name));
      const REJECTING: { variant: C.NamespaceVariant; provider: 'lmstudio' | 'ollama' | 'llamacpp' | 'vllm'; model: string }[] = [
        { variant: 'lmstudio-reject', provider: 'lmstudio', model: 'qwen/qwen3-coder-30b' },
        { variant: 'ollama-500', provider: 'ollama', model: 'qwen3-coder:30b' },
        { variant: 'llamacpp-old-reject', provider: 'llamacpp', model: 'local/model' },
        { variant: 'vllm-harmony-reject', provider: 'vllm', model: 'openai/gpt-oss-20b' },
      ];

      async function mcpSetup(provider: 'lmstudio' | 'ollama' | 'llamacpp' | 'vllm', model: string, brain: ScriptedServerOptions['brain']) {
        const server = await serve({ kind: provider, models: [{ id: model, contextWindow: 32768 }], brain });
        const sb = codexSandbox(root);
        addMcpServer(sb, 'demo');
        return { server, sb };
      }

      for (const c of REJECTING) {
        test(
          `${c.variant}: the verifier names the refusal; Codex fails through a profile written without findings and completes through one written --from-verify`,
          { timeout: TIMEOUT },
          async () => {
            const { server, sb } = await mcpSetup(c.provider, c.model, C.namespaceToolsBrain(c.variant));
            const v = await verifyJson(sb, server, c.model);
            assert.equal(v.report.findings?.toolTypes?.namespace, 'rejected', verdict(v.report));
            assert.deepEqual(stageOf(v.report, 'tool-types'), { status: 'warn', code: 'non-function-tool-rejected' }, verdict(v.report));
            // Under "auto" (the default) the verdict is for the profile written from these findings: it works.
            assert.equal(v.report.ok, true, verdict(v.report));
            // With the tools left on (a profile written without findings, or "never"), Codex's own first turn fails.
            const on = await verifyJson(sb, server, c.model, ['--non-function-tools', 'never']);
            assert.equal(on.report.ok, false, verdict(on.report));
            assert.deepEqual(stageOf(on.report, 'codex-shape'), { status: 'fail', code: 'non-function-tool-rejected' }, verdict(on.report));

            const plain = await writeProfile(sb, { name: 'plain', provider: c.provider, server, model: c.model, contextWindow: 32768 });
            assert.deepEqual(plain.report.validation, { kind: 'accepted' });
            let mark = server.requests.length;
            const bad = await codexExec(sb, 'plain', PROMPT, { sandbox: 'bypass' });
            assert.equal(bad.timedOut, false, describeRun(bad));
            assert.notEqual(bad.code, 0, describeRun(bad));
            assert.ok(
              responsesBodies(server, mark).some(b => namespaces(b).includes(MCP)),
              'Codex sent the MCP server as a namespace tool',
            );

            const fixed = await writeProfile(sb, {
              name: 'fixed',
              provider: c.provider,
              server,
              model: c.model,
              contextWindow: 32768,
              fromVerify: v.file,
            });
            assert.deepEqual(
              fixed.report.validation,
              { kind: 'accepted' },
              'Codex takes the profile, MCP server off, under --strict-config',
            );
            assert.match(fixed.fileText, /\[mcp_servers\.demo\]\ncommand = "node"\nenabled = false\n/);
            const off = await verifyJson(sb, server, c.model, ['--no-non-function-tools']);
            assert.equal(off.report.ok, true, `the verifier, with the tools the profile leaves on: ${verdict(off.report)}`);
            mark = server.requests.length;
            const good = await codexExec(sb, 'fixed', PROMPT, { sandbox: 'bypass' });
            assert.equal(good.code, 0, describeRun(good));
            assert.equal(good.stdout.trim(), 'NO-TICKET-TOOL');
            const sent = responsesBodies(server, mark);
            assert.ok(
              sent.length > 0 && sent.every(b => toolsOf(b).every(t => t.type === 'function')),
              `only function tools: ${sent
                .map(b =>
                  toolsOf(b)
                    .map(t => t.type)
                    .join(','),
                )
                .join(' / ')}`,
            );
          },
        );
      }

      test(
        'ollama-flatten: the call comes back as mcp__demo.lookup_ticket and Codex answers "unsupported call" (mcp-calls-unusable); from the findings, no MCP tools are sent',
        { timeout: TIMEOUT },
        async () => {
          const model = 'qwen3-coder:30b';
          const { server, sb } = await mcpSetup('ollama', model, C.namespaceToolsBrain('ollama-flatten'));
          const v = await verifyJson(sb, server, model);
          assert.deepEqual(stageOf(v.report, 'tool-types'), { status: 'warn', code: 'mcp-calls-unusable' }, verdict(v.report));
          assert.equal(v.report.ok, true, verdict(v.report));

          await writeProfile(sb, { name: 'plain', provider: 'ollama', server, model, contextWindow: 32768 });
          let mark = server.requests.length;
          const r = await codexExec(sb, 'plain', PROMPT, { sandbox: 'bypass' });
          assert.equal(r.code, 0, `the turn completes, with the call unusable: ${describeRun(r)}`);
          const sent = responsesBodies(server, mark);
          const outputs = sent
            .flatMap(b => inputItems(b))
            .filter(i => i.type === 'function_call_output')
            .map(i => JSON.stringify(i.output));
          assert.ok(
            outputs.some(o => o.includes('unsupported call: mcp__demo.lookup_ticket')),
            `Codex's next request: ${outputs.join(' | ')}`,
          );
          assert.doesNotMatch(r.stdout, /TICKET-42/);

          const fixed = await writeProfile(sb, {
            name: 'fixed',
            provider: 'ollama',
            server,
            model,
            contextWindow: 32768,
            fromVerify: v.file,
          });
          assert.match(fixed.fileText, /\[mcp_servers\.demo\]\ncommand = "node"\nenabled = false\n/);
          mark = server.requests.length;
          const good = await codexExec(sb, 'fixed', PROMPT, { sandbox: 'bypass' });
          assert.equal(good.code, 0, describeRun(good));
          assert.equal(good.stdout.trim(), 'NO-TICKET-TOOL');
          assert.ok(
            responsesBodies(server, mark).every(b => !namespaces(b).includes(MCP)),
            'no mcp__demo tools sent',
          );
        },
      );

      test(
        'llamacpp-drop: Codex completes without the tool (mcp-tools-dropped is a warning, the route is ok)',
        { timeout: TIMEOUT },
        async () => {
          const model = 'local/model';
          const { server, sb } = await mcpSetup('llamacpp', model, C.namespaceToolsBrain('llamacpp-drop'));
          const v = await verifyJson(sb, server, model);
          assert.deepEqual(stageOf(v.report, 'tool-types'), { status: 'warn', code: 'mcp-tools-dropped' }, verdict(v.report));
          assert.equal(v.report.ok, true, verdict(v.report));
          await writeProfile(sb, { name: 'plain', provider: 'llamacpp', server, model, contextWindow: 32768 });
          const mark = server.requests.length;
          const r = await codexExec(sb, 'plain', PROMPT, { sandbox: 'bypass' });
          assert.equal(r.code, 0, describeRun(r));
          assert.equal(r.stdout.trim(), 'NO-TICKET-TOOL', 'the model never saw the MCP tool');
          assert.ok(
            responsesBodies(server, mark).some(b => namespaces(b).includes(MCP)),
            'Codex did send it',
          );
          const fromVerify = await writeProfile(sb, {
            name: 'fixed',
            provider: 'llamacpp',
            server,
            model,
            contextWindow: 32768,
            fromVerify: v.file,
          });
          assert.ok(
            fromVerify.report.notes.some(n => /MCP servers demo will not work on this route/.test(n)),
            fromVerify.report.notes.join('\n'),
          );
        },
      );

      test('a server that takes namespace tools: the MCP call round-trips through the real MCP server', { timeout: TIMEOUT }, async () => {
        const model = 'local/model';
        const { server, sb } = await mcpSetup('llamacpp', model, undefined);
        const v = await verifyJson(sb, server, model);
        assert.equal(v.report.findings?.toolTypes?.namespace, 'accepted', verdict(v.report));
        assert.equal(v.report.ok, true, verdict(v.report));
        await writeProfile(sb, { name: 'plain', provider: 'llamacpp', server, model, contextWindow: 32768 });
        const mark = server.requests.length;
        const r = await codexExec(sb, 'plain', PROMPT, { sandbox: 'bypass' });
        assert.equal(r.code, 0, describeRun(r));
        assert.match(r.stdout, /TICKET-42: open/, 'the answer holds what the MCP server returned');
        const items = responsesBodies(server, mark).flatMap(b => inputItems(b));
        assert.ok(
          items.some(i => i.type === 'function_call' && i.name === 'lookup_ticket' && i.namespace === MCP),
          'the call went out with its namespace',
        );
        const out = items.find(i => i.type === 'function_call_output')?.output as { type: string; text: string }[] | undefined;
        assert.ok(
          Array.isArray(out) && out.every(p => p.type === 'input_text') && out.some(p => p.text === 'TICKET-42: open'),
          `an MCP result goes back as a list of input_text parts: ${JSON.stringify(out)}`,
        );
      });
    });

    test(
      "images in tool results (llama.cpp): the verifier names image-output-rejected; Codex fails when its catalog declares image input, and completes through the product's text-only catalog",
      { timeout: TIMEOUT },
      async () => {
        const model = 'local/model';
        const server = await serve({ kind: 'llamacpp', models: [{ id: model, contextWindow: 32768 }], brain: C.llamaToolOutputBrain() });
        const sb = codexSandbox(root);
        addMcpServer(sb, 'demo', { image: true });
        const v = await verifyJson(sb, server, model);
        assert.deepEqual(stageOf(v.report, 'tool-types'), { status: 'warn', code: 'image-output-rejected' }, verdict(v.report));
        assert.equal(v.report.ok, true, verdict(v.report));

        await writeProfile(sb, { name: 'p', provider: 'llamacpp', server, model, contextWindow: 32768 });
        let mark = server.requests.length;
        const ok = await codexExec(sb, 'p', PROMPT, { sandbox: 'bypass' });
        assert.equal(ok.code, 0, describeRun(ok));
        assert.match(ok.stdout, /TICKET-42: open/);
        const parts = responsesBodies(server, mark)
          .flatMap(b => inputItems(b))
          .filter(i => i.type === 'function_call_output')
          .flatMap(i => (Array.isArray(i.output) ? i.output : [])) as { type: string; text?: string }[];
        assert.ok(parts.length > 0 && parts.every(p => p.type === 'input_text'), JSON.stringify(parts));
        assert.ok(
          parts.some(p => /image content omitted/.test(p.text ?? '')),
          'a text-only model gets a note in place of the image',
        );

        const img = await writeProfile(sb, { name: 'img', provider: 'llamacpp', server, model, contextWindow: 32768 });
        editCatalog(img, { input_modalities: ['text', 'image'] });
        mark = server.requests.length;
        const bad = await codexExec(sb, 'img', PROMPT, { sandbox: 'bypass' });
        assert.notEqual(bad.code, 0, describeRun(bad));
        assert.match(bad.stdout + bad.stderr, /Output of tool call should be 'Input text'/, describeRun(bad));
        const sent = responsesBodies(server, mark)
          .flatMap(b => inputItems(b))
          .filter(i => i.type === 'function_call_output');
        assert.ok(
          sent.some(i => Array.isArray(i.output) && (i.output as { type: string }[]).some(p => p.type === 'input_image')),
          'Codex sent the image as input_image',
        );
      },
    );

    test(
      "LM Studio requires text.format: the verifier names text-format-required (route ok); Codex through the product's profile sends no `text`, with support_verbosity in its catalog it fails",
      { timeout: TIMEOUT },
      async () => {
        const model = 'qwen/qwen3-coder-30b';
        const server = await serve({ kind: 'lmstudio', models: [{ id: model, contextWindow: 32768 }], brain: C.textFormatRequiredBrain() });
        const sb = codexSandbox(root);
        const v = await verifyJson(sb, server, model);
        assert.deepEqual(stageOf(v.report, 'tool-types'), { status: 'warn', code: 'text-format-required' }, verdict(v.report));
        assert.equal(v.report.findings?.textFormatRequired, true);
        assert.equal(v.report.ok, true, verdict(v.report));

        await writeProfile(sb, { name: 'p', provider: 'lmstudio', server, model, contextWindow: 32768 });
        let mark = server.requests.length;
        const ok = await codexExec(sb, 'p', 'Reply with exactly: NO-TEXT-FIELD');
        assert.equal(ok.code, 0, describeRun(ok));
        assert.equal(ok.stdout.trim(), 'NO-TEXT-FIELD');
        assert.ok(
          responsesBodies(server, mark).every(b => b.text === undefined),
          'no `text` field',
        );

        const verbose = await writeProfile(sb, { name: 'verbose', provider: 'lmstudio', server, model, contextWindow: 32768 });
        editCatalog(verbose, { support_verbosity: true, default_verbosity: 'low' });
        mark = server.requests.length;
        const bad = await codexExec(sb, 'verbose', 'Reply with exactly: NO-TEXT-FIELD');
        assert.notEqual(bad.code, 0, describeRun(bad));
        assert.match(bad.stdout + bad.stderr, /"param":"text\.format"/, describeRun(bad));
        const [sent] = responsesBodies(server, mark);
        assert.deepEqual(sent.text, { verbosity: 'low' }, 'Codex sent `text` with a verbosity and no format');
      },
    );

    describe("slow prompts and Codex's stream idle timeout", () => {
      // 262,144 tokens of context at 1,000 prompt tokens/s: a cold full prompt takes 262 s, ×1.5 is over
      // Codex's 300 s default, so the profile written from the verification raises the timeout. A Codex
      // request through the profile (≈4k tokens as the scripted server counts them) waits ≈4 s.
      const TPS = 1_000;
      const WINDOW = 262_144;
      const model = 'Qwen/Qwen3-Coder-30B-A3B-Instruct';
      const IDLE_BELOW = 1_000;
      const waitOf = (b: Record<string, unknown>) => (estimateTokens(b) / TPS) * 1000;

      test(
        'vLLM (headers and response.created before the prompt is processed): Codex fails when stream_idle_timeout_ms is below the wait, and completes through the profile written --from-verify, whose timeout is above the measured first prompt',
        { timeout: TIMEOUT },
        async () => {
          const server = await serve({ kind: 'vllm', models: [{ id: model, contextWindow: WINDOW }], brain: C.slowPromptBrain(TPS) });
          const sb = codexSandbox(root);
          const v = await verifyJson(sb, server, model, ['--skip', 'tool-types,multi-turn']);
          assert.deepEqual(stageOf(v.report, 'codex-shape'), { status: 'warn', code: 'slow-prompt' }, verdict(v.report));
          const { promptTps, firstPromptMs, promptIdleMs } = v.report.findings ?? {};
          assert.ok(promptTps && promptTps > 700 && promptTps < 1_100, `measured ${promptTps} tokens/s`);
          assert.ok(firstPromptMs && firstPromptMs > IDLE_BELOW, `first prompt ${firstPromptMs} ms`);

          const p = await writeProfile(sb, { name: 'p', provider: 'vllm', server, model, contextWindow: WINDOW, fromVerify: v.file });
          const timeout = Number(/stream_idle_timeout_ms = (\d+)/.exec(p.fileText)?.[1]);
          assert.ok(
            promptIdleMs !== undefined && promptIdleMs > firstPromptMs * 0.8,
            `vLLM: the prompt time is silence after the headers (${promptIdleMs} of ${firstPromptMs} ms)`,
          );
          assert.equal(timeout, idleTimeoutFor({ tps: promptTps, promptMs: firstPromptMs, idleMs: promptIdleMs }, WINDOW).ms);
          assert.ok(
            timeout > DEFAULT_STREAM_IDLE_TIMEOUT_MS && timeout > firstPromptMs,
            `the profile's ${timeout} ms covers the measured ${firstPromptMs} ms, and more than Codex's default`,
          );

          let mark = server.requests.length;
          const ok = await codexExec(sb, 'p', 'Reply with exactly: SLOW-BUT-OK');
          assert.equal(ok.code, 0, describeRun(ok));
          assert.equal(ok.stdout.trim(), 'SLOW-BUT-OK');
          const [first] = responsesBodies(server, mark);
          assert.ok(waitOf(first) > IDLE_BELOW * 2 && waitOf(first) < timeout, `Codex's request waited ≈${Math.round(waitOf(first))} ms`);

          mark = server.requests.length;
          const short = await codexExec(sb, 'p', 'Reply with exactly: SLOW-BUT-OK', {
            config: [`model_providers.${p.providerId}.stream_idle_timeout_ms=${IDLE_BELOW}`],
          });
          assert.notEqual(short.code, 0, describeRun(short));
          assert.match(short.stderr, /idle timeout waiting for SSE/, describeRun(short));
          assert.ok(responsesBodies(server, mark).length >= 2, 'the timed-out request was retried (stream_max_retries = 1), cold again');
        },
      );

      test(
        "llama.cpp (no header until the prompt is processed): Codex's idle timer never starts, so a timeout below the wait does not fail it",
        { timeout: TIMEOUT },
        async () => {
          // Codex 0.169 starts its idle timer at the response headers, and llama.cpp sends them with its
          // first result: the verifier measures that silence (none here) and names no slow prompt, and the
          // profile keeps Codex's default.
          const server = await serve({
            kind: 'llamacpp',
            models: [{ id: 'local/model', contextWindow: WINDOW }],
            brain: C.slowPromptBrain(TPS),
          });
          const sb = codexSandbox(root);
          const v = await verifyJson(sb, server, 'local/model', ['--skip', 'tool-types,multi-turn']);
          assert.equal(stageOf(v.report, 'codex-shape').status, 'pass', verdict(v.report));
          const f = v.report.findings ?? {};
          assert.ok(
            f.firstPromptMs && f.firstPromptMs > IDLE_BELOW && (f.promptIdleMs ?? 0) < f.firstPromptMs * 0.1,
            `slow (${f.firstPromptMs} ms), but silent for ${f.promptIdleMs} ms after the headers`,
          );
          const p = await writeProfile(sb, {
            name: 'p',
            provider: 'llamacpp',
            server,
            model: 'local/model',
            contextWindow: WINDOW,
            fromVerify: v.file,
          });
          assert.match(p.fileText, /stream_idle_timeout_ms = 300000\n/);
          assert.match(p.fileText, /sends nothing, not even its headers, until its first output/);
          const mark = server.requests.length;
          const r = await codexExec(sb, 'p', 'Reply with exactly: WAITED', {
            config: [`model_providers.${p.providerId}.stream_idle_timeout_ms=${IDLE_BELOW}`],
          });
          assert.equal(r.code, 0, describeRun(r));
          assert.equal(r.stdout.trim(), 'WAITED');
          const sent = responsesBodies(server, mark);
          assert.equal(sent.length, 1, 'no retry');
          assert.ok(waitOf(sent[0]) > IDLE_BELOW * 2, `the server waited ≈${Math.round(waitOf(sent[0]))} ms before its headers`);
        },
      );
    });
  },
);
