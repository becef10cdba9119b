// verifyClaudeRoute: checks that a server + model can carry a Claude Code session over the Anthropic
// Messages API, stage by stage, with the same runner, limits, report and diagnoses as Codex's.
import { join } from 'node:path';
import { createAgent } from '../../net/http';
import { blockingCodes, modelsStage } from '../../verify/stage';
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
import { CLAUDE_STAGE_IDS, type StageId, type VerifyReport } from '../../verify/types';
import { decideStage, type StageDecision } from '../../verify/known';
import { claudeShapedRequest, estimateShapeTokens } from './shape';
import { anthropicBaseUrl, CLAUDE_DEFAULT_OUTPUT_TOKENS, outputTokensFor } from '../env';
import {
  claudeShapeStage,
  countTokensStage,
  messagesStreamStage,
  messagesTextStage,
  messagesToolCallStage,
  thinkingStage,
  type ClaudeStageEnv,
} from './stages';

/** `baseUrl` may be given with or without /v1: Claude Code talks to <root>/v1/messages. The key goes as `Authorization: Bearer` and `X-Api-Key`. Default skip: none. */
export interface VerifyClaudeOptions extends CommonVerifyOptions {
  /** The server's real context window, when the caller knows it. */
  contextWindow?: number;
  /** Claude Code asks for thinking; false when the route's settings turn it off. Default true. */
  thinking?: boolean;
  /** max_tokens of the Claude-Code-sized turn; default what the settings writer sets for the window, else 32 000. */
  shapeMaxTokens?: number;
  /**
   * The Codex report of the same Verify Route run on the same server and model: what it learned
   * (the model listing, the server's kind, context and template, the prompt rate, a template
   * without tools) is not asked again (core/verify/known.ts).
   */
  earlier?: VerifyReport;
}

const BLOCKING = blockingCodes('messages-api-missing');

/** count_tokens is optional for Claude Code: its failure stops nothing. */
function blocks(failed: StageId): boolean {
  return failed !== 'count-tokens';
}

export async function verifyClaudeRoute(options: VerifyClaudeOptions): Promise<VerifyReport> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const { limits, connectMs } = verifyLimits(options);
  const agent = createAgent(connectMs);
  const headers: Record<string, string> = { 'user-agent': 'local-model-router-verify', 'anthropic-version': '2023-06-01' };
  if (options.apiKey) {
    headers.authorization = `Bearer ${options.apiKey}`;
    headers['x-api-key'] = options.apiKey;
  }
  const tokenFile = makeTokenFile(options.tempDir);
  const earlier = options.earlier && !options.earlier.cancelled ? options.earlier : undefined;
  const learnedWindow = earlier?.stages.find(s => s.id === 'models')?.metrics?.contextWindow;
  const env: ClaudeStageEnv = {
    baseUrl: `${anthropicBaseUrl(options.baseUrl)}/v1`,
    model: options.model,
    headers,
    dispatcher: agent,
    signal: options.signal,
    limits,
    serverKind: options.serverKind ?? earlier?.serverKind,
    agent: 'claude',
    tokenFile: { path: '', token: tokenFile.token },
    facts: { ...earlier?.facts },
    ...(learnedWindow !== undefined ? { contextWindow: learnedWindow } : {}),
    maxOutputTokens: options.maxOutputTokens ?? 512,
    smallOutput: 1,
    cwd: '',
    nonce: '',
    parallel: () => sideBySide(options.concurrent, env.serverKind),
    knownWindow: options.contextWindow,
    thinking: options.thinking ?? true,
    shapeMaxTokens: options.shapeMaxTokens ?? outputTokensFor(options.contextWindow) ?? CLAUDE_DEFAULT_OUTPUT_TOKENS,
  };
  const runner = createStageRunner<ClaudeStageEnv>({
    fns: {
      models: modelsStage,
      'messages-text': messagesTextStage,
      'messages-stream': messagesStreamStage,
      thinking: thinkingStage,
      'messages-tool-call': messagesToolCallStage,
      'claude-shape': claudeShapeStage,
      'count-tokens': countTokensStage,
    },
    skip: new Set(options.skip ?? []),
    skipNote: options.skipNote,
    blocking: BLOCKING,
    blocks,
    signal: options.signal,
    onProgress: options.onProgress,
    concurrent: () => env.parallel(),
    known: (id): StageDecision => decideStage('claude', id, { results: runner.results, earlier }),
    estimate: (id, e) => {
      if (id !== 'claude-shape') return undefined;
      const tokens = estimateShapeTokens(
        claudeShapedRequest({ model: e.model, marker: '', cwd: e.cwd, thinking: e.thinking, maxTokens: e.shapeMaxTokens }),
      );
      return promptEstimateMs(tokens, earlier?.findings?.promptTps ?? options.promptTps);
    },
  });
  try {
    await runner.phase(['models', 'messages-text'], env);
    reconcileModelListing(runner.results, 'messages-text');
    const dir = await tokenFile.dir;
    env.tokenFile.path = join(dir, 'token.txt');
    env.cwd = dir;
    await runner.phase(['messages-stream', 'thinking', 'messages-tool-call', 'claude-shape', 'count-tokens'], env);
  } finally {
    await Promise.all([tokenFile.remove(), agent.destroy().catch(() => undefined)]);
  }
  const stages = runner.ordered(CLAUDE_STAGE_IDS);
  return {
    agent: 'claude',
    ok: reportOk(stages, runner.cancelled),
    baseUrl: env.baseUrl,
    model: options.model,
    ...(env.serverKind ? { serverKind: env.serverKind } : {}),
    startedAt,
    ms: Math.round(performance.now() - t0),
    cancelled: runner.cancelled,
    stages,
  };
}
