// Start, stop and restart local servers. Every handler returns a result object, so the picker, the
// verifier's fixes and the extension-host tests can act on what happened; tests answer modals
// through the optional `answers` argument instead of mocking vscode.
import * as vscode from 'vscode';
import type { Ctx } from '../../ctx';
import { COMMANDS } from '../../core/commands';
import { PROVIDERS } from '../../core/providers';
import { SERVER_SPECS, isLaunchProvider, listenAddress, launchSettingKeys, type LaunchProvider } from '../../core/servers';
import { SERVER_KIND_INFO } from '../../core/serverKind';
import { findExecutable } from '../../core/which';
import { fullKey, type Settings } from '../../core/settings/catalog';
import {
  buildServerCommand,
  buildLmsCommands,
  launchIssues,
  exposesBeyondLoopback,
  redactLaunchCommand,
  waitUntilReady,
  checkServing,
  launchFingerprint,
  type LaunchCommand,
  type LaunchProblem,
  type ReadyResult,
  type ServerProcess,
  attachServer,
} from '../../core/launch';
import { identify } from '../../core/launch/processIdentity';
import type { RecordVerdict, ServerRecord } from '../../core/launch/serverRecords';
import { ManagedServer } from './managedServer';
import { adoptServers, type AdoptResult } from './adopt';
import { isActive, managed, pickProvider, showError, terminalName } from './ui';
import { prepareChatTemplate, describeChoice } from '../../state/chatTemplates';
import { ensureOllamaModel } from './ollama';
import { showInfo, showWarning } from '../../ui/notify';

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
  | { kind: 'refused'; reason: 'not-installed'; program: string; problems: string[] }
  | { kind: 'refused'; reason: 'exposure-declined' | 'invalid-settings'; problems: string[]; issues?: LaunchProblem[] };

export type StopResult =
  { kind: 'stopped'; provider: LaunchProvider; pid?: number; code: number | null; signal?: string | null } | { kind: 'not-running' };

const GRACE_MS = 5_000;
const EARLY_EXIT_LINES = 12;

function refuseUntrusted(ctx: Ctx, provider?: LaunchProvider): StartResult {
  const s = ctx.settings();
  void showWarning(
    'Starting local servers is turned off in Restricted Mode: this workspace is not trusted, so its settings cannot choose a program to run.',
    'Manage Workspace Trust',
  ).then(c => {
    if (c) void vscode.commands.executeCommand('workbench.trust.manage');
  });
  ctx.log.warn(
    `launch refused in Restricted Mode${s.ignoredUntrusted.length ? `; ignoring workspace values of ${s.ignoredUntrusted.join(', ')}` : ''}`,
  );
  return {
    kind: 'refused',
    reason: 'untrusted',
    ignoredSettings: [...s.ignoredUntrusted],
    ...(provider ? { command: redactLaunchCommand(buildServerCommand(provider, s.values, { env: ctx.env })) } : {}),
  };
}

async function confirmExposure(ctx: Ctx, provider: LaunchProvider, s: Settings, answers: LaunchAnswers | undefined): Promise<boolean> {
  const { host, port } = listenAddress(provider, s, ctx.env);
  const name = PROVIDERS[provider].displayName;
  const keyHint =
    provider === 'llamacpp' ? 'llama-server `--api-key`' : provider === 'vllm' ? 'vLLM `--api-key`' : 'an API key or a firewall rule';
  const answer =
    answers?.exposure ??
    ((await showWarning(
      `Start ${name} listening on ${host}:${port}?`,
      {
        modal: true,
        detail: `${host} is not a loopback address: every device that can reach this machine on port ${port} (your local network, a VPN, or the internet if the port is forwarded) can use this server and its model. Protect it with ${keyHint} — set one with "Local Model Router: Set API Key…" and it is passed to the server in its environment — or use 127.0.0.1 to keep it on this machine.`,
      },
      'Start Anyway',
    )) === 'Start Anyway'
      ? 'start'
      : 'cancel');
  return answer === 'start';
}

/** Stops the process the extension started; waits for it to end. */
export async function stopManaged(ctx: Ctx, server: ManagedServer): Promise<StopResult> {
  const pid = server.pid;
  let end: { code: number | null; signal?: string | null } = { code: null };
  if (server.provider === 'lmstudio') {
    // The LM Studio app owns its server; `lms server stop` asks it to stop.
    const p = await server.run({ command: ctx.settings().values['lmstudio.lmsPath'], args: ['server', 'stop'], env: {} });
    end = await p.exited;
  } else {
    end = (await server.stop(GRACE_MS)) ?? { code: server.exitCode ?? null };
  }
  server.markStopped(end.code);
  ctx.log.info(`${server.name}: stopped (code ${end.code}${end.signal ? `, ${end.signal}` : ''})`);
  void ctx.discovery.refresh('server-stopped');
  return { kind: 'stopped', provider: server.provider, pid, code: end.code, signal: end.signal };
}

/**
 * How long a launch-setting change settles before the running server is compared with it. A fix
 * that writes a setting and restarts the server (and a person editing several settings) is done by
 * then: the server running then is the one to compare, not the one being replaced.
 */
const SETTLE_MS = 1_000;

function watchSettings(ctx: Ctx, server: ManagedServer): void {
  let offering = false;
  let timer: NodeJS.Timeout | undefined;
  // Offered only about this server while it runs and is not being stopped, when the settings now
  // would start it differently from how it was started (its commandKey).
  const check = () => {
    timer = undefined;
    if (offering || !server.active || server.stopping) return;
    if (launchFingerprint(server.provider, ctx.settings().values, ctx.env) === server.commandKey) return;
    offering = true;
    const message = `${PROVIDERS[server.provider].displayName} launch settings changed; the running server still uses the old ones.`;
    ctx.log.info(`${server.name}: ${message}`);
    void showInfo(message, 'Restart Server').then(c => {
      offering = false;
      if (c) void vscode.commands.executeCommand(COMMANDS.restartServer.id, server.provider);
    });
  };
  server.watchers.push(
    ctx.onDidChangeSettings(e => {
      if (e.trust || !e.affects(...launchSettingKeys(server.provider))) return;
      clearTimeout(timer);
      timer = setTimeout(check, SETTLE_MS);
    }),
    { dispose: () => clearTimeout(timer) },
  );
}

function reportEarlyExit(ctx: Ctx, server: ManagedServer, r: Extract<ReadyResult, { kind: 'exited' }>): string[] {
  const lines = server.recentOutput(EARLY_EXIT_LINES);
  const how = r.signal ? `was stopped by ${r.signal}` : `exited with code ${r.code}`;
  const last = lines
    .filter(l => l.trim())
    .slice(-3)
    .join(' ⏎ ');
  void showError(`${server.name} ${how} before it served.${last ? ` Last output: ${last}` : ''}`, 'Show Terminal', 'Open Settings').then(
    c => {
      if (c === 'Show Terminal') server.showTerminal();
      else if (c === 'Open Settings') void ctx.settingsStore.openSection(server.provider);
    },
  );
  return lines;
}

/** The settings problems, said once with the buttons that fix them; returns the refusal. */
function refuseInvalid(ctx: Ctx, provider: LaunchProvider, issues: LaunchProblem[]): StartResult {
  const name = PROVIDERS[provider].displayName;
  const noModel = issues.find(i => i.kind === 'no-model');
  const buttons = noModel && provider === 'llamacpp' ? ['Choose a .gguf File…', 'Open Settings'] : ['Open Settings'];
  const message = `Cannot start ${name}: ${issues.map(i => i.message).join(' ')}`;
  ctx.log.warn(message);
  void showError(message, ...buttons).then(async c => {
    if (c === 'Choose a .gguf File…') {
      const chosen = await vscode.commands.executeCommand<{ kind: string } | undefined>(COMMANDS.chooseLlamaModel.id);
      if (chosen?.kind === 'set') void vscode.commands.executeCommand(COMMANDS.startServer.id, provider);
    } else if (c) {
      const first = issues[0]?.setting;
      void (first ? ctx.settingsStore.open(first) : ctx.settingsStore.openSection(provider));
    }
  });
  return { kind: 'refused', reason: 'invalid-settings', problems: issues.map(i => i.message), issues };
}

/** The program is not there: say where to get it, instead of a spawn error in a terminal. */
function refuseNotInstalled(ctx: Ctx, provider: LaunchProvider, cmd: LaunchCommand): StartResult {
  const info = SERVER_KIND_INFO[SERVER_SPECS[provider].kind];
  const setting =
    provider === 'llamacpp' && ctx.settings().values['llamacpp.wrapperScript']
      ? 'llamacpp.wrapperScript'
      : SERVER_SPECS[provider].executableSetting;
  const message = `Cannot start ${PROVIDERS[provider].displayName}: "${cmd.command}" is not installed or not on PATH.${info.downloadUrl ? ` Get ${info.program} from ${info.downloadUrl}, or` : ''} set ${fullKey(setting)} to its full path.`;
  ctx.log.warn(message);
  void showError(message, ...(info.downloadUrl ? ['Open Download Page'] : []), 'Open Settings').then(c => {
    if (c === 'Open Download Page' && info.downloadUrl) void vscode.env.openExternal(vscode.Uri.parse(info.downloadUrl));
    else if (c) void ctx.settingsStore.open(setting);
  });
  return { kind: 'refused', reason: 'not-installed', program: cmd.command, problems: [message] };
}

export async function startServer(ctx: Ctx, providerArg?: unknown, options?: LaunchOptions): Promise<StartResult> {
  const given = isLaunchProvider(providerArg) ? providerArg : undefined;
  if (!vscode.workspace.isTrusted) return refuseUntrusted(ctx, given);
  const provider = given ?? (await pickProvider(ctx, 'Start a local server'));
  if (!provider) return { kind: 'cancelled' };
  const name = PROVIDERS[provider].displayName;

  const existing = managed(ctx, provider);
  if (isActive(existing)) {
    existing.showTerminal();
    return { kind: 'already-running', provider, baseUrl: existing.baseUrl, pid: existing.pid, state: existing.state };
  }

  const s = ctx.settings().values;
  const issues = launchIssues(provider, s, ctx.env);
  if (issues.length) return refuseInvalid(ctx, provider, issues);
  if (exposesBeyondLoopback(provider, s, ctx.env) && !(await confirmExposure(ctx, provider, s, options?.answers))) {
    return {
      kind: 'refused',
      reason: 'exposure-declined',
      problems: [`${listenAddress(provider, s, ctx.env).host} is not a loopback address`],
    };
  }

  const baseUrl = listenAddress(provider, s, ctx.env).baseUrl;
  // The one key precedence: a <PROVIDER>_API_KEY / LOCAL_LLM_API_KEY variable, else the stored key.
  const apiKey = SERVER_SPECS[provider].serverKeyEnv ? (await ctx.keys.resolve(provider, baseUrl)).apiKey : undefined;
  const already = await checkServing(provider, baseUrl, { apiKey });
  if (already.kind !== 'waiting' && provider !== 'ollama') {
    void showInfo(`Something already answers at ${baseUrl}; not starting a second ${name} server on the same port.`);
    void ctx.discovery.refresh('server-started');
    return { kind: 'already-serving', provider, baseUrl };
  }

  let chatTemplateFile: string | undefined;
  if (provider === 'llamacpp' && !s['llamacpp.wrapperScript']) {
    const t = await prepareChatTemplate(ctx, s['llamacpp.chatTemplate'], s['llamacpp.modelPath']);
    chatTemplateFile = t.file;
    ctx.log.info(`llama.cpp: ${describeChoice(t.choice)}${t.file ? ` → ${t.file}` : ''}`);
  }
  const main = buildServerCommand(provider, s, { env: ctx.env, apiKey, chatTemplateFile });
  if (!(provider === 'ollama' && already.kind !== 'waiting') && !findExecutable(main.command, ctx.env as NodeJS.ProcessEnv))
    return refuseNotInstalled(ctx, provider, main);

  managed(ctx, provider)?.dispose();
  const server = new ManagedServer({
    provider,
    baseUrl,
    name: terminalName(ctx, provider, s),
    commandKey: launchFingerprint(provider, s, ctx.env),
    cwd: vscode.workspace.workspaceFolders?.[0]?.uri.scheme === 'file' ? vscode.workspace.workspaceFolders[0].uri.fsPath : undefined,
    onUserClose: sv => onUserClose(ctx, sv),
    ownedHere: sv => !sv.record || ctx.serverRecords.ownedHere(sv.record),
  });
  ctx.servers.add(server);
  watchSettings(ctx, server);
  server.showTerminal(true);

  const timeoutSeconds = s['launch.readyTimeoutSeconds'];
  ctx.log.info(`${server.name}: starting ${JSON.stringify(redactLaunchCommand(main))}`);

  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Starting ${name}`, cancellable: true },
    async (progress, token): Promise<StartResult> => {
      const ac = new AbortController();
      token.onCancellationRequested(() => ac.abort());
      if (provider === 'ollama' && already.kind !== 'waiting') {
        server.note(`Ollama already answers at ${baseUrl}; not starting another.`);
        server.markReady();
      } else {
        progress.report({ message: 'starting…' });
        const lmsStep = provider === 'lmstudio';
        // `lms server start` returns at once (the LM Studio app owns its server): nothing to record.
        const logFile = lmsStep ? undefined : ctx.serverRecords.newLogFile(provider);
        const proc = await server.run(main, logFile);
        if (logFile) keepRecord(ctx, server, proc, logFile);
        if (lmsStep) {
          // `lms server start` asks the LM Studio app to start its server and returns.
          const end = await Promise.race([
            proc.exited,
            new Promise<'cancel'>(r => ac.signal.addEventListener('abort', () => r('cancel'), { once: true })),
          ]);
          if (end === 'cancel') return { kind: 'cancelled' };
          if (end.code !== 0) return exited(ctx, server, { kind: 'exited', ms: 0, code: end.code, signal: end.signal });
        } else {
          watchExit(ctx, server);
        }
        const r = await waitUntilReady({
          provider,
          baseUrl,
          apiKey,
          timeoutMs: timeoutSeconds * 1000,
          signal: ac.signal,
          exited: lmsStep ? undefined : proc.exited,
          onState: st =>
            progress.report({
              message: st.kind === 'loading' ? `loading the model (${st.message})…` : `waiting for ${baseUrl} (${st.detail})…`,
            }),
        });
        if (r.kind === 'exited') return server.stopping ? { kind: 'stopped', provider } : exited(ctx, server, r);
        if (r.kind === 'cancelled') {
          server.note('Start cancelled.');
          await stopManaged(ctx, server);
          return { kind: 'cancelled' };
        }
        if (r.kind === 'timeout') {
          void showWarning(
            `${server.name} is not serving after ${timeoutSeconds} s (${r.last}). It is still running; large models can take longer (${fullKey('launch.readyTimeoutSeconds')}).`,
            'Show Terminal',
            'Stop Server',
          ).then(c => {
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
            if (end.code !== 0) return exited(ctx, server, { kind: 'exited', ms: r.ms, code: end.code, signal: end.signal });
          }
        }
        server.markReady();
        ctx.log.info(`${server.name}: serving at ${baseUrl} after ${r.ms} ms`);
        void ctx.discovery.refresh('server-started');
        if (provider !== 'ollama') return { kind: 'ready', provider, baseUrl, pid: server.pid, ms: r.ms, sawLoading: r.sawLoading };
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
    },
  );
  if (outcome.kind === 'failed') server.markExited(server.exitCode);
  return outcome;
}

/** Closing the terminal stops the server it shows (LM Studio's server belongs to the app: left alone). */
function onUserClose(ctx: Ctx, sv: ManagedServer): void {
  if (sv.running && sv.provider !== 'lmstudio') void stopManaged(ctx, sv);
}

/** Records the server where every window on this machine finds it (an earlier window's stays stoppable). */
function keepRecord(ctx: Ctx, server: ManagedServer, proc: ServerProcess, logFile: string): void {
  const self = ctx.serverRecords.self;
  const id = identify(proc.pid);
  const record: ServerRecord | undefined =
    self && id
      ? {
          version: 1,
          provider: server.provider,
          baseUrl: server.baseUrl,
          name: server.name,
          commandKey: server.commandKey,
          server: id,
          logFile,
          startedAt: new Date().toISOString(),
          owner: self,
        }
      : undefined;
  if (record) {
    ctx.serverRecords.save(record);
    server.record = record;
  } else ctx.log.warn(`${server.name}: its start time cannot be read here, so other windows will not find it`);
  void proc.exited.then(() => (record ? ctx.serverRecords.remove(record) : ctx.serverRecords.discardLog(logFile)));
}

function exited(ctx: Ctx, server: ManagedServer, r: Extract<ReadyResult, { kind: 'exited' }>): StartResult {
  server.markExited(r.code);
  const lines = reportEarlyExit(ctx, server, r);
  return { kind: 'exited', provider: server.provider, code: r.code, signal: r.signal, lines };
}

/** A server that ends after it served (a crash, or killed outside VS Code) is reported once. */
function watchExit(ctx: Ctx, server: ManagedServer): void {
  const p = server.process;
  void p?.exited.then(end => {
    if (server.process !== p || server.stopping) return;
    const wasReady = server.state === 'ready';
    server.markExited(end.code);
    if (wasReady) {
      void showWarning(
        `${server.name} ${end.signal ? `was stopped by ${end.signal}` : `exited with code ${end.code}`}.`,
        'Show Terminal',
      ).then(c => {
        if (c) server.showTerminal();
      });
      void ctx.discovery.refresh('server-stopped');
    }
  });
}

/** A running server another window started (still open, or gone before this one took it over). */
function startedElsewhere(ctx: Ctx, provider: LaunchProvider): ServerRecord | undefined {
  return ctx.serverRecords.all().find(r => r.provider === provider && ELSEWHERE.has(ctx.serverRecords.judge(r)));
}
const ELSEWHERE = new Set<RecordVerdict>(['other-window', 'orphan', 'previous-window']);

/** Stops a recorded server through its process group, once its pid is seen to name the same process. */
async function stopRecorded(ctx: Ctx, r: ServerRecord): Promise<StopResult> {
  const end = await attachServer(r.server, r.logFile).stop(GRACE_MS);
  ctx.serverRecords.remove(r);
  ctx.log.info(`${r.name}: pid ${r.server.pid} (started by another window) stopped`);
  void ctx.discovery.refresh('server-stopped');
  return { kind: 'stopped', provider: r.provider, pid: r.server.pid, code: end.code, signal: end.signal };
}

export async function stopServer(ctx: Ctx, providerArg?: unknown): Promise<StopResult> {
  const provider = isLaunchProvider(providerArg)
    ? providerArg
    : await pickProvider(
        ctx,
        'Stop which server?',
        p => isActive(managed(ctx, p)) || !!startedElsewhere(ctx, p),
        p => (isActive(managed(ctx, p)) ? undefined : 'started by another window'),
      );
  const server = provider ? managed(ctx, provider) : undefined;
  if (isActive(server))
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Stopping ${server.name}` }, () =>
      stopManaged(ctx, server),
    );
  const other = provider ? startedElsewhere(ctx, provider) : undefined;
  if (other)
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Stopping ${other.name}` }, () =>
      stopRecorded(ctx, other),
    );
  if (!providerArg) void showInfo('No server started by Local Model Router is running.');
  return { kind: 'not-running' };
}

/** After start-up: take over the servers of windows that are gone and of this workspace's previous window. */
export function adoptServersCommand(ctx: Ctx): Promise<AdoptResult> {
  return adoptServers(ctx, sv => onUserClose(ctx, sv));
}

export async function restartServer(ctx: Ctx, providerArg?: unknown, options?: LaunchOptions): Promise<StartResult> {
  if (!vscode.workspace.isTrusted) return refuseUntrusted(ctx, isLaunchProvider(providerArg) ? providerArg : undefined);
  const provider = isLaunchProvider(providerArg)
    ? providerArg
    : await pickProvider(ctx, 'Restart which server?', p => isActive(managed(ctx, p)));
  if (!provider) return { kind: 'cancelled' };
  const server = managed(ctx, provider);
  if (isActive(server)) await stopManaged(ctx, server);
  return startServer(ctx, provider, options);
}

export function showServerTerminal(ctx: Ctx, providerArg?: unknown): boolean {
  const all = ctx.servers.all().filter((s): s is ManagedServer => s instanceof ManagedServer);
  const server = isLaunchProvider(providerArg) ? managed(ctx, providerArg) : (all.find(s => s.active) ?? all[0]);
  if (!server) {
    void showInfo('No server terminal: Local Model Router has not started a server in this window.', 'Start Server…').then(c => {
      if (c) void vscode.commands.executeCommand(COMMANDS.startServer.id);
    });
    return false;
  }
  server.showTerminal();
  return true;
}
