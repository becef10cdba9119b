// Ollama models: make sure the configured one is there after a start, and "Pull an Ollama Model…"
// (also what the verifier's and the picker's "pull" buttons run). One pull with progress for all.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { serverRoot } from '../../core/endpoints';
import { listenAddress } from '../../core/servers';
import { ollamaHasModel, pullOllamaModel, describePull, type PullResult } from '../../core/launch';
import type { ManagedServer } from './managedServer';
import type { PullCommandResult } from '../../core/commandContracts';
import type { LaunchProvider } from '../../core/servers';
import { showError, showInfo } from '../../ui/notify';

/** How a start fails while making sure Ollama has the model (part of start.ts's StartResult). */
export type EnsureModelFailure = { kind: 'failed'; provider: LaunchProvider; step: string; message: string } | { kind: 'cancelled' };

type Progress = vscode.Progress<{ message?: string; increment?: number }>;

/** Pulls with progress reported as percent increments; `note` mirrors it into a server terminal. */
async function pullReporting(root: string, model: string, progress: Progress, signal: AbortSignal): Promise<PullResult> {
  let lastPct = 0;
  return pullOllamaModel(root, model, {
    signal,
    onProgress: p => {
      const pct = p.total ? Math.floor(((p.completed ?? 0) / p.total) * 100) : undefined;
      const increment = pct !== undefined && pct >= lastPct ? pct - lastPct : undefined;
      if (pct !== undefined) lastPct = pct;
      progress.report({ message: `pulling ${model}: ${describePull(p)}`, ...(increment ? { increment } : {}) });
    },
  });
}

export async function ensureOllamaModel(
  server: ManagedServer,
  baseUrl: string,
  model: string,
  progress: Progress,
  signal: AbortSignal,
): Promise<{ kind: 'ok'; pulled: boolean } | EnsureModelFailure> {
  const root = serverRoot(baseUrl);
  progress.report({ message: `checking ${model}…` });
  const has = await ollamaHasModel(root, model, signal);
  if (has.kind === 'present') return { kind: 'ok', pulled: false };
  if (has.kind === 'error') return { kind: 'failed', provider: 'ollama', step: 'show', message: has.message };
  server.note(`Pulling ${model}…`);
  const r = await pullReporting(root, model, progress, signal);
  if (r.kind === 'cancelled') {
    server.note('Pull cancelled.');
    return { kind: 'cancelled' };
  }
  if (r.kind === 'error') {
    server.note(`Pull failed: ${r.message}`);
    void showError(`Ollama could not pull ${model}: ${r.message}`, 'Show Terminal').then(c => {
      if (c) server.showTerminal();
    });
    return { kind: 'failed', provider: 'ollama', step: 'pull', message: r.message };
  }
  server.note(`Pulled ${model}.`);
  return { kind: 'ok', pulled: true };
}

export type { PullCommandResult } from '../../core/commandContracts';

/** "Pull an Ollama Model…": `args` = { baseUrl?, model? }; asks for what is missing. */
export async function pullOllamaModelCommand(ctx: Ctx, raw?: unknown): Promise<PullCommandResult> {
  const a = (raw && typeof raw === 'object' ? raw : {}) as { baseUrl?: string; model?: string };
  const baseUrl =
    a.baseUrl ??
    ctx.discovery.latest.find(p => p.provider === 'ollama' && p.result.kind === 'up')?.baseUrl ??
    listenAddress('ollama', ctx.settings().values, ctx.env).baseUrl;
  const model =
    a.model ??
    (
      await vscode.window.showInputBox({
        title: 'Pull an Ollama model',
        prompt: `From the Ollama library, into the server at ${baseUrl}`,
        placeHolder: 'qwen3-coder:30b',
        ignoreFocusOut: true,
      })
    )?.trim();
  if (!model) return { kind: 'cancelled' };
  const root = serverRoot(baseUrl);
  const r = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Pulling ${model}`, cancellable: true },
    async (progress, token) => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      try {
        const has = await ollamaHasModel(root, model, ac.signal);
        if (has.kind === 'present') return { kind: 'present' } as const;
        return await pullReporting(root, model, progress, ac.signal);
      } finally {
        sub.dispose();
      }
    },
  );
  ctx.log.info(`pull ${model} at ${root}: ${r.kind}${r.kind === 'error' ? `: ${r.message}` : ''}`);
  if (r.kind === 'error') {
    void showError(`Ollama could not pull ${model}: ${r.message}`);
    return { kind: 'failed', message: r.message };
  }
  if (r.kind === 'cancelled') return { kind: 'cancelled' };
  void ctx.discovery.refresh('model-pulled');
  if (r.kind === 'done') void showInfo(`Pulled ${model}.`);
  return { kind: r.kind === 'done' ? 'pulled' : 'present', model };
}
