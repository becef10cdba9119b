// Endpoints and keys (bundled as dist/lazy/endpoints.js, loaded on first use): add an
// OpenAI-compatible endpoint, set the key of one.
import * as vscode from 'vscode';
import type { Ctx, LazyModule } from '../../ctx';
import { normalizeBaseUrl } from '../../core/endpoints';
import { showError } from '../../ui/notify';

export const commands: LazyModule['commands'] = {
  addEndpoint: (ctx, input) => addEndpoint(ctx, input as { baseUrl: string; label?: string; apiKey?: string } | undefined),
  setApiKey: (ctx, baseUrl, key) => setApiKey(ctx, baseUrl as string | undefined, key as string | undefined),
};

async function addEndpoint(
  ctx: Ctx,
  input?: { baseUrl: string; label?: string; apiKey?: string },
): Promise<{ baseUrl: string } | undefined> {
  const raw =
    input?.baseUrl ??
    (await vscode.window.showInputBox({
      title: 'Add an OpenAI-compatible endpoint (1/2)',
      prompt: 'Base URL of a server that speaks /v1/responses',
      placeHolder: 'http://127.0.0.1:9000/v1',
      ignoreFocusOut: true,
      validateInput: v => {
        const n = normalizeBaseUrl(v);
        return n.ok ? undefined : n.error;
      },
    }));
  if (raw === undefined) return undefined;
  const n = normalizeBaseUrl(raw);
  if (!n.ok) {
    void showError(n.error);
    return undefined;
  }
  const label = input
    ? input.label
    : await vscode.window.showInputBox({
        title: 'Add an OpenAI-compatible endpoint (2/2)',
        prompt: 'A name for it (optional)',
        placeHolder: 'GPU box',
        ignoreFocusOut: true,
      });
  if (label === undefined && !input) return undefined;
  // The user's own list (a workspace's list stays the workspace's): where VS Code applies it in this window.
  const current = (ctx.settingsStore.userValue('openaiCompatible.endpoints') ?? []).filter(
    e => (e as { baseUrl?: string }).baseUrl !== n.url,
  );
  await ctx.settingsStore.update('openaiCompatible.endpoints', [...current, { baseUrl: n.url, ...(label ? { label } : {}) }], {
    level: 'user',
  });
  if (input?.apiKey) await ctx.keys.store(n.url, input.apiKey);
  await ctx.discovery.refresh('endpoint-added');
  return { baseUrl: n.url };
}

async function setApiKey(ctx: Ctx, baseUrl?: string, key?: string): Promise<boolean> {
  let url = baseUrl;
  if (!url) {
    const items = ctx.discovery.latest.map(p => ({ label: p.baseUrl, description: p.label ?? p.provider }));
    const pick = await vscode.window.showQuickPick(items, { title: 'Set API key for which endpoint?' });
    url = pick?.label;
  }
  if (!url) return false;
  const value =
    key ??
    (await vscode.window.showInputBox({
      title: `API key for ${url}`,
      prompt: 'Stored in the OS keychain (SecretStorage). Leave empty to remove it.',
      password: true,
      ignoreFocusOut: true,
    }));
  if (value === undefined) return false;
  await ctx.keys.store(url, value || undefined);
  void ctx.discovery.refresh('key-changed');
  return true;
}
