// verifyRoute: checks that a server + model can carry a Codex session, stage by stage, and says what
// to change when it cannot. Shared by the CLI (`local-model-router verify`) and the extension.
import { join } from 'node:path';
import { createAgent } from '../../net/http';
import { randomBytes } from 'node:crypto';
import { chatCompletionsStage, codexShapeStage, codexShapeTokens, responsesStreamStage, responsesTextStage, toolCallStage } from './stages';
import { blockingCodes, modelsStage } from '../../verify/stage';
import type { CodexStageEnv } from './stages';
import { multiTurnStage } from './multiTurn';
import { toolTypesStage } from './toolTypes';
import { codexHeadline } from '../../verify/report';
import { decideNonFunctionTools } from '../profile';
import {
  createStageRunner,
  makeTokenFile,
  promptEstimateMs,
  reconcileModelListing,
  reportOk,
  sideBySide,
  verifyLimits,
  type CommonVerifyOptions,
} from '../../verify/runner';
import { STAGE_IDS, type DiagnosisCode, type StageId, type VerifyReport } from '../../verify/types';
import { decideStage } from '../../verify/known';

export * from '../../verify/types';
export { renderMarkdown, renderText, summarize, codexHeadline } from '../../verify/report';

export interface VerifyOptions extends CommonVerifyOptions {
  /**
   * Codex's non-function tools (`namespace`: agents and MCP servers; `web_search`) in the Codex-sized
   * turns: true = sent (a profile that leaves them on), false = not sent (turned off), 'auto' (the
   * default, as codex.disableNonFunctionTools) = what the profile written after this verification
   * will do: off when the tool-types stage finds the server refuses them (core/codex/profile.ts
   * decideNonFunctionTools). Default skip: chat-completions (setting verify.skipStages).
   */
  nonFunctionTools?: boolean | 'auto';
  /** The route's profile carries a model catalog with short instructions (the profile this extension writes). Default true. */
  catalog?: boolean;
  /** The user's enabled MCP servers (names in Codex's config.toml), named in the tool-types stage's messages. */
  mcpServers?: readonly string[];
}

export const DEFAULT_SKIP: readonly StageId[] = ['chat-completions'];

const BLOCKING = blockingCodes('responses-api-missing');

export async function verifyRoute(options: VerifyOptions): Promise<VerifyReport> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const { limits, connectMs } = verifyLimits(options);
  const agent = createAgent(connectMs);
  const headers: Record<string, string> = { 'user-agent': 'local-model-router-verify' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  // The token file is needed only from phase 2 on: it is written while phase 1 runs.
  const tokenFile = makeTokenFile(options.tempDir);

  const env: CodexStageEnv = {
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    model: options.model,
    headers,
    dispatcher: agent,
    signal: options.signal,
    limits,
    serverKind: options.serverKind,
    agent: 'codex',
    tokenFile: { path: '', token: tokenFile.token },
    codexProfile: { catalog: options.catalog ?? true, nonFunctionTools: options.nonFunctionTools !== false },
    nonFunctionToolsMode:
      options.nonFunctionTools === undefined || options.nonFunctionTools === 'auto'
        ? 'auto'
        : options.nonFunctionTools
          ? 'never'
          : 'always',
    facts: {},
    maxOutputTokens: options.maxOutputTokens ?? 512,
    smallOutput: 1,
    cwd: '',
    nonce: randomBytes(6).toString('hex'),
    parallel: () => sideBySide(options.concurrent, env.serverKind),
    findings: {},
    mcpServers: options.mcpServers ?? [],
  };

  const runner = createStageRunner<CodexStageEnv>({
    fns: {
      models: modelsStage,
      'responses-text': responsesTextStage,
      'responses-stream': responsesStreamStage,
      'tool-call': toolCallStage,
      'codex-shape': codexShapeStage,
      'multi-turn': multiTurnStage,
      'tool-types': toolTypesStage,
      'chat-completions': chatCompletionsStage,
    },
    skip: new Set(options.skip ?? DEFAULT_SKIP),
    skipNote: options.skipNote,
    blocking: BLOCKING,
    blocks,
    signal: options.signal,
    onProgress: options.onProgress,
    concurrent: () => env.parallel(),
    known: id => {
      const d = decideStage('codex', id, { results: runner.results });
      if (d.kind === 'known' && d.findings) Object.assign(env.findings, d.findings);
      return d;
    },
    estimate: (id, e) =>
      id === 'codex-shape' ? promptEstimateMs(codexShapeTokens(e), e.findings.promptTps ?? options.promptTps) : undefined,
  });

  try {
    // Phase 1 is cheap and tells whether anything else can work. The Codex-sized turn then runs
    // alone, so its prompt time is the server's own (no other request queued beside it) and cold
    // (its nonce); the other turns follow together, and the later turn last: it sends back the
    // tool-call stage's conversation, with MCP results where the tool-types stage saw MCP tools work.
    // The tool types go first (beside phase 1, small requests): under 'auto' they decide what the
    // profile, and so the Codex-sized turns, will carry.
    // /models first, alone: it tells the server kind, and with it whether requests may overlap.
    await runner.phase(['models'], env);
    await runner.phase(['responses-text', 'tool-types'], env);
    reconcileModelListing(runner.results, 'responses-text');
    const off = decideNonFunctionTools(env.nonFunctionToolsMode, env.findings).off;
    env.codexProfile.nonFunctionTools = !off;
    env.findings.nonFunctionToolsOff = off;
    const dir = await tokenFile.dir;
    env.tokenFile.path = join(dir, 'token.txt');
    env.cwd = dir;
    await runner.phase(['codex-shape'], env);
    const shape = runner.results.get('codex-shape');
    if (shape && shape.status !== 'fail' && shape.status !== 'skip') env.findings.firstTurnOk = true;
    await runner.phase(['responses-stream', 'tool-call', 'chat-completions'], env);
    await runner.phase(['multi-turn'], env);
  } finally {
    // Every request has ended by now: destroy closes the idle keep-alive sockets at once (close waits for them).
    await Promise.all([tokenFile.remove(), agent.destroy().catch(() => undefined)]);
  }

  const stages = runner.ordered(STAGE_IDS);
  const facts = Object.fromEntries(Object.entries(env.facts).filter(([, v]) => v !== undefined));
  const findings = Object.fromEntries(Object.entries(env.findings).filter(([, v]) => v !== undefined));
  const report: VerifyReport = {
    agent: 'codex',
    ok: reportOk(stages, runner.cancelled),
    baseUrl: env.baseUrl,
    model: options.model,
    ...(env.serverKind ? { serverKind: env.serverKind } : {}),
    startedAt,
    ms: Math.round(performance.now() - t0),
    cancelled: runner.cancelled,
    stages,
    ...(Object.keys(facts).length ? { facts } : {}),
    ...(Object.keys(findings).length ? { findings } : {}),
  };
  report.headline = codexHeadline(report);
  return report;
}

/** Which failures stop which later stages: a missing /responses does not stop chat-completions. */
function blocks(failed: StageId, next: StageId, code: DiagnosisCode): boolean {
  if (code === 'responses-api-missing') return next !== 'chat-completions' && failed !== 'chat-completions';
  if (code === 'model-not-found' || code === 'timeout') return failed !== 'chat-completions';
  return true;
}
