// Start, watch, stop and restart local servers (loaded on first use). Every handler returns a
// result object, so the picker, the route store's fixes and the extension-host tests can act on
// what happened; tests answer modals through the optional `answers` argument instead of mocking vscode.
import * as vscode from 'vscode';
import { chmod, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ctx, LazyModule } from '../../ctx';
import { COMMANDS } from '../../commands';
import { PROVIDERS } from '../../core/providers';
import { serverRoot } from '../../core/endpoints';
import type { Settings } from '../../core/settings/catalog';
import {
  buildServerCommand, buildLmsCommands, launchBaseUrl, launchHostPort, launchProblems, launchSettingKeys, exposesBeyondLoopback,
  redactLaunchCommand, isLaunchProvider, LAUNCH_PROVIDERS, waitUntilReady, checkServing, ollamaHasModel, pullOllamaModel, describePull,
  serverWrapperScript, codexLauncherScript, launchFingerprint, type LaunchProvider, type LaunchCommand, type ReadyResult,
} from '../../core/launch';
import { ManagedServer } from '../launch/serverTerminal';

/** Answers to the questions a command would ask, for tests and scripted callers. */
export interface LaunchAnswers {
  /** The modal shown before binding beyond loopback. */
  exposure?: 'start' | 'cancel';
  /** Replace existing files when exporting wrapper scripts. */
  overwrite?: boolean;
}
export interface LaunchOptions {
  answers?: LaunchAnswers;
}

export type StartResult =
  | { kind: 'ready'; provider: LaunchProvider; baseUrl: string; pid?: number; ms: number; sawLoading: boolean; pulled?: boolean }
  | { kind: 'already-running'; provider: LaunchProvider; baseUrl: string; pid?: number; state: string }
  | { kind: 'already-serving'; provider: LaunchProvider; baseUrl: string }
  | { kind: 'exited'; provider: LaunchProvider; code: number | null; signal?: string | null; lines: string[] }
  | { kind: 'timeout'; provider: LaunchProvider; baseUrl: string; seconds: number; last: string }
  | { kind: 'failed'; provider: LaunchProvider; step: string; message: string }
  | { kind: 'cancelled' }
  | { kind: 'stopped'; provider: LaunchProvider }
  | { kind: 'refused'; reason: 'untrusted'; ignoredSettings: string[]; command?: LaunchCommand }
  | { kind: 'refused'; reason: 'exposure-declined' | 'invalid-settings'; problems: string[] };

export type StopResult = { kind: 'stopped'; provider: LaunchProvider; pid?: number; code: number | null; signal?: string | null } | { kind: 'not-running' };

const GRACE_MS = 5_000;
const EARLY_EXIT_LINES = 12;

function managed(ctx: Ctx, provider: LaunchProvider): ManagedServer | undefined {
  const s = ctx.servers.get(provider);
  return s instanceof ManagedServer ? s : undefined;
}

function isActive(s: ManagedServer | undefined): s is ManagedServer {
  return !!s && (s.state === 'starting' || s.state === 'ready');
}

function terminalName(provider: LaunchProvider, s: Settings): string {
  const { port } = launchHostPort(provider, s);
  const exe = (c: string) => c.split(/[\\/]/).pop() || c;
  switch (provider) {
    case 'llamacpp': return `${exe(s['llamacpp.wrapperScript'] || s['llamacpp.executable'])} :${port}`;
    case 'vllm': return `vllm serve :${port}`;
    case 'ollama': return `ollama serve :${port}`;
    case 'lmstudio': return `LM Studio server :${port}`;
  }
}

async function refuseUntrusted(ctx: Ctx, provider?: LaunchProvider): Promise<StartResult> {
  const s = ctx.settings();
  void vscode.window.showWarningMessage(
    'Starting local servers is turned off in Restricted Mode: this workspace is not trusted, so its settings cannot choose a program to run.',
    'Manage Workspace Trust',
  ).then(c => { if (c) void vscode.commands.executeCommand('workbench.trust.manage'); });
  ctx.log.warn(`launch refused in Restricted Mode${s.ignoredUntrusted.length ? `; ignoring workspace values of ${s.ignoredUntrusted.join(', ')}` : ''}`);
  return { kind: 'refused', reason: 'untrusted', ignoredSettings: [...s.ignoredUntrusted], ...(provider ? { command: redactLaunchCommand(buildServerCommand(provider, s.values)) } : {}) };
}

async function pickProvider(ctx: Ctx, title: string, only?: (p: LaunchProvider) => boolean): Promise<LaunchProvider | undefined> {
  const items = LAUNCH_PROVIDERS.filter(p => !only || only(p)).map(p => {
    const s = managed(ctx, p);
    return { label: PROVIDERS[p].displayName, description: s ? s.state : terminalName(p, ctx.settings().values), provider: p };
  });
  if (items.length === 0) return undefined;
  if (only && items.length === 1) return items[0].provider;
  return (await vscode.window.showQuickPick(items, { title, placeHolder: 'Which server?' }))?.provider;
}

function offerSettings(message: string, provider: LaunchProvider, ...extra: string[]): void {
  void vscode.window.showErrorMessage(message, ...extra, 'Open Settings').then(c => {
    if (c === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', `localModelRouter.${provider}`);
  });
}

async function confirmExposure(provider: LaunchProvider, s: Settings, answers: LaunchAnswers | undefined): Promise<boolean> {
  const { host, port } = launchHostPort(provider, s);
  const name = PROVIDERS[provider].displayName;
  const keyHint = provider === 'llamacpp' ? 'llama-server `--api-key`' : provider === 'vllm' ? 'vLLM `--api-key`' : 'an API key or a firewall rule';
  const answer = answers?.exposure ?? ((await vscode.window.showWarningMessage(
    `Start ${name} listening on ${host}:${port}?`,
    {
      modal: true,
      detail: `${host} is not a loopback address: every device that can reach this machine on port ${port} (your local network, a VPN, or the internet if the port is forwarded) can use this server and its model. Protect it with ${keyHint} — set one with "Local Model Router: Set API Key…" and it is passed to the server in its environment — or use 127.0.0.1 to keep it on this machine.`,
    },
    'Start Anyway',
  )) === 'Start Anyway' ? 'start' : 'cancel');
  return answer === 'start';
}

/** Stops the process the extension started; waits for it to end. */
async function stopManaged(ctx: Ctx, server: ManagedServer): Promise<StopResult> {
  server.stopping = true;
  const pid = server.pid;
  let end: { code: number | null; signal?: string | null } = { code: null };
  if (server.provider === 'lmstudio') {
    // The LM Studio app owns its server; `lms server stop` asks it to stop.
    const p = await server.run({ command: ctx.settings().values['lmstudio.lmsPath'], args: ['server', 'stop'], env: {} });
    end = await p.exited;
  } else {
    end = (await server.stop(GRACE_MS)) ?? { code: server.exitCode ?? null };
  }
  server.state = 'stopped';
  server.disposeWatchers();
  ctx.servers.set(server);
  ctx.log.info(`${server.name}: stopped (code ${end.code}${end.signal ? `, ${end.signal}` : ''})`);
  void ctx.discovery.refresh('server-stopped');
  return { kind: 'stopped', provider: server.provider, pid, code: end.code, signal: end.signal };
}

function watchSettings(ctx: Ctx, server: ManagedServer): void {
  let offering = false;
  server.watchers.push(vscode.workspace.onDidChangeConfiguration(e => {
    if (offering || !isActive(server) || !launchSettingKeys(server.provider).some(k => e.affectsConfiguration(`localModelRouter.${k}`))) return;
    if (launchFingerprint(server.provider, ctx.settings().values) === server.commandKey) return;
    offering = true;
    void vscode.window.showInformationMessage(`${PROVIDERS[server.provider].displayName} launch settings changed; the running server still uses the old ones.`, 'Restart Server').then(c => {
      offering = false;
      if (c) void vscode.commands.executeCommand(COMMANDS.restartServer.id, server.provider);
    });
  }));
}

function reportEarlyExit(server: ManagedServer, r: Extract<ReadyResult, { kind: 'exited' }>): string[] {
  const lines = server.recentOutput(EARLY_EXIT_LINES);
  const how = r.signal ? `was stopped by ${r.signal}` : `exited with code ${r.code}`;
  const last = lines.filter(l => l.trim()).slice(-3).join(' ⏎ ');
  void vscode.window.showErrorMessage(`${server.name} ${how} before it served.${last ? ` Last output: ${last}` : ''}`, 'Show Terminal', 'Open Settings').then(c => {
    if (c === 'Show Terminal') server.showTerminal();
    else if (c === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', `localModelRouter.${server.provider}`);
  });
  return lines;
}

async function startServer(ctx: Ctx, providerArg?: unknown, options?: LaunchOptions): Promise<StartResult> {
  const given = isLaunchProvider(providerArg) ? providerArg : undefined;
  if (!vscode.workspace.isTrusted) return refuseUntrusted(ctx, given);
  const provider = given ?? await pickProvider(ctx, 'Start a local server');
  if (!provider) return { kind: 'cancelled' };
  const name = PROVIDERS[provider].displayName;

  const existing = managed(ctx, provider);
  if (isActive(existing)) {
    existing.showTerminal();
    return { kind: 'already-running', provider, baseUrl: existing.baseUrl, pid: existing.pid, state: existing.state };
  }

  const settings = ctx.settings();
  const s = settings.values;
  const problems = [...launchProblems(provider, s)];
  if (problems.length) {
    offerSettings(`Cannot start ${name}: ${problems.join(' ')}`, provider);
    return { kind: 'refused', reason: 'invalid-settings', problems };
  }
  if (exposesBeyondLoopback(provider, s) && !(await confirmExposure(provider, s, options?.answers))) {
    return { kind: 'refused', reason: 'exposure-declined', problems: [`${launchHostPort(provider, s).host} is not a loopback address`] };
  }

  const baseUrl = launchBaseUrl(provider, s);
  const apiKey = provider === 'llamacpp' || provider === 'vllm' ? await ctx.secrets.get(baseUrl) : undefined;
  const already = await checkServing(provider, baseUrl, { apiKey });
  if (already.kind !== 'waiting' && provider !== 'ollama') {
    void vscode.window.showInformationMessage(`Something already answers at ${baseUrl}; not starting a second ${name} server on the same port.`);
    void ctx.discovery.refresh('server-started');
    return { kind: 'already-serving', provider, baseUrl };
  }

  managed(ctx, provider)?.dispose();
  const server = new ManagedServer({
    provider, baseUrl, name: terminalName(provider, s), commandKey: launchFingerprint(provider, s),
    cwd: vscode.workspace.workspaceFolders?.[0]?.uri.scheme === 'file' ? vscode.workspace.workspaceFolders[0].uri.fsPath : undefined,
    // Closing the terminal stops the server it shows (LM Studio's server belongs to the app: left alone).
    onUserClose: sv => { if (sv.running && sv.provider !== 'lmstudio') void stopManaged(ctx, sv); },
  });
  ctx.servers.set(server);
  // The server runs in its own process group (so Stop reaches its helpers); without this it would
  // outlive the window. Terminals a user opens die with VS Code, and so does this one.
  ctx.extension.subscriptions.push({ dispose: () => server.terminateNow() });
  watchSettings(ctx, server);
  server.showTerminal(true);

  const timeoutSeconds = s['launch.readyTimeoutSeconds'];
  const main = provider === 'llamacpp' || provider === 'vllm' ? buildServerCommand(provider, s, { apiKey }) : buildServerCommand(provider, s);
  ctx.log.info(`${server.name}: starting ${JSON.stringify(redactLaunchCommand(main))}`);

  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Starting ${name}`, cancellable: true },
    async (progress, token): Promise<StartResult> => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      if (provider === 'ollama' && already.kind !== 'waiting') {
        server.note(`Ollama already answers at ${baseUrl}; not starting another.`);
      } else {
        progress.report({ message: 'starting…' });
        const proc = await server.run(main);
        const lmsStep = provider === 'lmstudio';
        if (lmsStep) {
          // `lms server start` asks the LM Studio app to start its server and returns.
          const end = await Promise.race([proc.exited, new Promise<'cancel'>(r => ac.signal.addEventListener('abort', () => r('cancel'), { once: true }))]);
          if (end === 'cancel') return { kind: 'cancelled' };
          if (end.code !== 0) return exited(server, { kind: 'exited', ms: 0, code: end.code, signal: end.signal });
        } else {
          watchExit(ctx, server);
        }
        const r = await waitUntilReady({
          provider, baseUrl, apiKey, timeoutMs: timeoutSeconds * 1000, signal: ac.signal,
          exited: lmsStep ? undefined : proc.exited,
          onState: st => progress.report({ message: st.kind === 'loading' ? `loading the model (${st.message})…` : `waiting for ${baseUrl} (${st.detail})…` }),
        });
        if (r.kind === 'exited') return server.stopping ? { kind: 'stopped', provider } : exited(server, r);
        if (r.kind === 'cancelled') {
          server.note('Start cancelled.');
          await stopManaged(ctx, server);
          return { kind: 'cancelled' };
        }
        if (r.kind === 'timeout') {
          void vscode.window.showWarningMessage(`${server.name} is not serving after ${timeoutSeconds} s (${r.last}). It is still running; large models can take longer (localModelRouter.launch.readyTimeoutSeconds).`, 'Show Terminal', 'Stop Server').then(c => {
            if (c === 'Show Terminal') server.showTerminal();
            else if (c === 'Stop Server') void vscode.commands.executeCommand(COMMANDS.stopServer.id, provider);
          });
          return { kind: 'timeout', provider, baseUrl, seconds: timeoutSeconds, last: r.last };
        }
        if (lmsStep) {
          const load = buildLmsCommands(s).load;
          if (load) {
            progress.report({ message: `loading ${s['lmstudio.modelKey']}…` });
            const end = await (await server.run(load)).exited;
            if (end.code !== 0) return exited(server, { kind: 'exited', ms: r.ms, code: end.code, signal: end.signal });
          }
        }
        server.state = 'ready';
        ctx.servers.set(server);
        ctx.log.info(`${server.name}: serving at ${baseUrl} after ${r.ms} ms`);
        void ctx.discovery.refresh('server-started');
        if (provider !== 'ollama') return { kind: 'ready', provider, baseUrl, pid: server.pid, ms: r.ms, sawLoading: r.sawLoading };
      }
      if (provider === 'ollama') {
        if (already.kind !== 'waiting') {
          server.state = 'ready';
          ctx.servers.set(server);
        }
        const model = s['ollama.model'];
        let pulled = false;
        if (model) {
          const pr = await ensureOllamaModel(server, baseUrl, model, progress, ac.signal);
          if (pr.kind === 'failed' || pr.kind === 'cancelled') return pr;
          pulled = pr.pulled;
          void ctx.discovery.refresh('server-started');
        }
        return { kind: 'ready', provider, baseUrl, pid: server.pid, ms: 0, sawLoading: false, pulled };
      }
      return { kind: 'cancelled' };
    },
  );
  if (outcome.kind === 'exited' || outcome.kind === 'failed') {
    server.state = 'exited';
    ctx.servers.set(server);
  }
  return outcome;
}

function exited(server: ManagedServer, r: Extract<ReadyResult, { kind: 'exited' }>): StartResult {
  server.state = 'exited';
  if (r.code !== null) server.exitCode = r.code;
  const lines = reportEarlyExit(server, r);
  return { kind: 'exited', provider: server.provider, code: r.code, signal: r.signal, lines };
}

/** A server that ends after it served (a crash, or killed outside VS Code) is reported once. */
function watchExit(ctx: Ctx, server: ManagedServer): void {
  const p = server.process;
  void p?.exited.then(end => {
    if (server.process !== p) return;
    const wasReady = server.state === 'ready';
    if (end.code !== null) server.exitCode = end.code;
    if (server.stopping) return;
    server.state = 'exited';
    ctx.servers.set(server);
    server.disposeWatchers();
    if (wasReady) {
      void vscode.window.showWarningMessage(`${server.name} ${end.signal ? `was stopped by ${end.signal}` : `exited with code ${end.code}`}.`, 'Show Terminal').then(c => { if (c) server.showTerminal(); });
      void ctx.discovery.refresh('server-stopped');
    }
  });
}

async function ensureOllamaModel(
  server: ManagedServer, baseUrl: string, model: string,
  progress: vscode.Progress<{ message?: string; increment?: number }>, signal: AbortSignal,
): Promise<{ kind: 'ok'; pulled: boolean } | Extract<StartResult, { kind: 'failed' | 'cancelled' }>> {
  const root = serverRoot(baseUrl);
  progress.report({ message: `checking ${model}…` });
  const has = await ollamaHasModel(root, model, signal);
  if (has.kind === 'present') return { kind: 'ok', pulled: false };
  if (has.kind === 'error') return { kind: 'failed', provider: 'ollama', step: 'show', message: has.message };
  server.note(`Pulling ${model}…`);
  let lastPct = 0;
  const r = await pullOllamaModel(root, model, {
    signal,
    onProgress: p => {
      const pct = p.total ? Math.floor(((p.completed ?? 0) / p.total) * 100) : undefined;
      const increment = pct !== undefined && pct >= lastPct ? pct - lastPct : undefined;
      if (pct !== undefined) lastPct = pct;
      progress.report({ message: `pulling ${model}: ${describePull(p)}`, ...(increment ? { increment } : {}) });
    },
  });
  if (r.kind === 'cancelled') {
    server.note('Pull cancelled.');
    return { kind: 'cancelled' };
  }
  if (r.kind === 'error') {
    server.note(`Pull failed: ${r.message}`);
    void vscode.window.showErrorMessage(`Ollama could not pull ${model}: ${r.message}`, 'Show Terminal').then(c => { if (c) server.showTerminal(); });
    return { kind: 'failed', provider: 'ollama', step: 'pull', message: r.message };
  }
  server.note(`Pulled ${model}.`);
  return { kind: 'ok', pulled: true };
}

async function stopServer(ctx: Ctx, providerArg?: unknown): Promise<StopResult> {
  const running = (p: LaunchProvider) => isActive(managed(ctx, p));
  const provider = isLaunchProvider(providerArg) ? providerArg : await pickProvider(ctx, 'Stop which server?', running);
  const server = provider ? managed(ctx, provider) : undefined;
  if (!isActive(server)) {
    if (!providerArg) void vscode.window.showInformationMessage('No server started by Local Model Router is running.');
    return { kind: 'not-running' };
  }
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Stopping ${server.name}` }, () => stopManaged(ctx, server));
}

async function restartServer(ctx: Ctx, providerArg?: unknown, options?: LaunchOptions): Promise<StartResult> {
  if (!vscode.workspace.isTrusted) return refuseUntrusted(ctx, isLaunchProvider(providerArg) ? providerArg : undefined);
  const provider = isLaunchProvider(providerArg) ? providerArg : await pickProvider(ctx, 'Restart which server?', p => isActive(managed(ctx, p)));
  if (!provider) return { kind: 'cancelled' };
  const server = managed(ctx, provider);
  if (isActive(server)) await stopManaged(ctx, server);
  server?.dispose();
  return startServer(ctx, provider, options);
}

function showServerTerminal(ctx: Ctx, providerArg?: unknown): boolean {
  const provider = isLaunchProvider(providerArg) ? providerArg : LAUNCH_PROVIDERS.find(p => isActive(managed(ctx, p))) ?? LAUNCH_PROVIDERS.find(p => managed(ctx, p));
  const server = provider ? managed(ctx, provider) : undefined;
  if (!server) {
    void vscode.window.showInformationMessage('No server terminal: Local Model Router has not started a server in this window.', 'Start Server…').then(c => { if (c) void vscode.commands.executeCommand(COMMANDS.startServer.id); });
    return false;
  }
  server.showTerminal();
  return true;
}

export interface ExportResult {
  kind: 'written' | 'cancelled';
  files: string[];
}

async function exportWrapperScripts(ctx: Ctx, folderArg?: unknown, options?: LaunchOptions): Promise<ExportResult> {
  let folder = typeof folderArg === 'string' && folderArg ? folderArg : undefined;
  if (!folder) {
    const picked = await vscode.window.showOpenDialog({
      canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Export Here',
      title: 'Where should the server wrapper and the Codex launcher go?',
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    });
    folder = picked?.[0]?.fsPath;
  }
  if (!folder) return { kind: 'cancelled', files: [] };
  const s = ctx.settings().values;
  const scripts = [serverWrapperScript(s), codexLauncherScript(s)];
  const paths = scripts.map(sc => join(folder, sc.fileName));
  const existing = (await Promise.all(paths.map(p => stat(p).then(() => p, () => undefined)))).filter((p): p is string => !!p);
  if (existing.length) {
    const ok = options?.answers?.overwrite ?? ((await vscode.window.showWarningMessage(`Replace ${existing.map(p => p.split(/[\\/]/).pop()).join(' and ')}?`, { modal: true, detail: `In ${folder}` }, 'Replace')) === 'Replace');
    if (!ok) return { kind: 'cancelled', files: [] };
  }
  for (const [i, sc] of scripts.entries()) {
    await writeFile(paths[i], sc.text, { mode: 0o755 });
    await chmod(paths[i], 0o755);
  }
  ctx.log.info(`wrote ${paths.join(', ')}`);
  void vscode.window.showInformationMessage(`Wrote ${scripts.map(sc => sc.fileName).join(' and ')}. Each reads the PRODEX_LOCAL_* variables, with your current settings as defaults.`, 'Open Server Wrapper').then(c => {
    if (c) void vscode.window.showTextDocument(vscode.Uri.file(paths[0]));
  });
  return { kind: 'written', files: paths };
}

export const commands: LazyModule['commands'] = {
  startServer: (ctx, provider, options) => startServer(ctx, provider, options as LaunchOptions | undefined),
  stopServer: (ctx, provider) => stopServer(ctx, provider),
  restartServer: (ctx, provider, options) => restartServer(ctx, provider, options as LaunchOptions | undefined),
  showServerTerminal: (ctx, provider) => showServerTerminal(ctx, provider),
  exportWrapperScripts: (ctx, folder, options) => exportWrapperScripts(ctx, folder, options as LaunchOptions | undefined),
};
