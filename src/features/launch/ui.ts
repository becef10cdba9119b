// Small shared pieces of the launch commands: provider choice, messages with settings buttons.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { PROVIDERS } from '../../core/providers';
import { LAUNCH_PROVIDERS, listenAddress, type LaunchProvider } from '../../core/servers';
import type { Settings } from '../../core/settings/catalog';
import { ManagedServer } from './managedServer';
import { showError as notifyError } from '../../ui/notify';

export function managed(ctx: Ctx, provider: LaunchProvider): ManagedServer | undefined {
  const s = ctx.servers.get(provider);
  return s instanceof ManagedServer ? s : undefined;
}

export function isActive(s: ManagedServer | undefined): s is ManagedServer {
  return !!s && s.active;
}

export function terminalName(ctx: Ctx, provider: LaunchProvider, s: Settings): string {
  const { port } = listenAddress(provider, s, ctx.env);
  const exe = (c: string) => c.split(/[\\/]/).pop() || c;
  switch (provider) {
    case 'llamacpp':
      return `${exe(s['llamacpp.wrapperScript'] || s['llamacpp.executable'])} :${port}`;
    case 'vllm':
      return `vllm serve :${port}`;
    case 'ollama':
      return `ollama serve :${port}`;
    case 'lmstudio':
      return `LM Studio server :${port}`;
  }
}

export async function pickProvider(
  ctx: Ctx,
  title: string,
  only?: (p: LaunchProvider) => boolean,
  describe?: (p: LaunchProvider) => string | undefined,
): Promise<LaunchProvider | undefined> {
  const items = LAUNCH_PROVIDERS.filter(p => !only || only(p)).map(p => {
    const s = managed(ctx, p);
    const description = describe?.(p) ?? (s ? s.state : terminalName(ctx, p, ctx.settings().values));
    return { label: PROVIDERS[p].displayName, description, provider: p };
  });
  if (items.length === 0) return undefined;
  if (only && items.length === 1) return items[0].provider;
  return (await vscode.window.showQuickPick(items, { title, placeHolder: 'Which server?' }))?.provider;
}

/** An error with buttons; resolves with the button chosen (not awaited by commands that return at once). */
export function showError(message: string, ...buttons: string[]): Thenable<string | undefined> {
  return notifyError(message, ...buttons);
}
