// The product's own way to a route on the real llama-server (test/support/real-llama.ts: the binary
// and the tiny models), for the suites in test/real/: the argv and template choice come from its
// `launch-command` (what Start Server runs), the process from its launcher (core/launch/process.ts),
// "serving" from its readiness check, verdicts from its verifier (`verify --json`), the Codex profile
// from its writer (`codex-profile`), and then real Codex 0.169 runs on that profile. Every server is
// stopped and every temporary folder removed, also when a test fails or the run is interrupted.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main';
import {
  spawnServer,
  waitUntilReady,
  buildServerCommand,
  type LaunchCommand,
  type ProcessEnd,
  type ReadinessState,
  type ReadyResult,
  type ServerProcess,
} from '../../src/core/launch';
import { resolveSettings, lookupFromSettingsJson } from '../../src/core/settings/resolve';
import { runBounded, type RunResult } from '../../src/core/codex/run';
import type { StageResult, VerifyReport } from '../../src/core/verify/types';
import { findRealLlama, type RealModel } from './real-llama';
import { freePort } from './ports';

export const real = findRealLlama();
/** Without the binary a suite is skipped locally, but fails in CI (where setup:real-server ran). */
export const skipReal: string | false = !real.ok && !process.env.CI ? real.reason : false;

export const CODEX = resolve(__dirname, '../../node_modules/.bin/codex');
export const ALIAS = 'local/model';

// ── clean-up ──────────────────────────────────────────────────────────────────────────────────────

const temps: string[] = [];
const groups = new Set<number>();
let hooked = false;
// A test that throws, times out or is interrupted must not leave a server holding a port and a core.
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  const cleanUp = () => {
    for (const pid of groups)
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    for (const t of temps) rmSync(t, { recursive: true, force: true });
  };
  process.on('exit', cleanUp);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.once(sig, () => {
      cleanUp();
      process.kill(process.pid, sig);
    });
}

export function tempDir(prefix: string): string {
  hookExit();
  const d = mkdtempSync(join(tmpdir(), `lmr-real-${prefix}-`));
  temps.push(d);
  return d;
}

// ── the CLI, in-process ───────────────────────────────────────────────────────────────────────────

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export async function cli(args: string[], env: Record<string, string | undefined> = {}, cwd = tmpdir()): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: t => {
      out += `${t}\n`;
    },
    err: t => {
      err += `${t}\n`;
    },
    env,
    cwd,
  });
  return { code, out, err };
}

// ── a server started the way Start Server starts it ───────────────────────────────────────────────

/** What `launch-command --json` prints: what Start Server runs. */
export interface LaunchPlan {
  provider: 'llamacpp';
  baseUrl: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  chatTemplate?: { kind: 'named' | 'model' | 'relaxed'; why: string; file?: string };
  problems: string[];
}

export interface LaunchOptions {
  /** A model of make-models.sh, or a path. */
  model: RealModel | { path: string };
  /** Settings without the `localModelRouter.` prefix, e.g. { 'llamacpp.contextSize': 512 }. */
  settings?: Record<string, unknown>;
  /** The environment the settings are resolved in (PRODEX_LOCAL_* fill settings left at their default). */
  env?: Record<string, string>;
  /**
   * Serve the model's template unchanged: the product's argv for these settings without the relaxed
   * copy it would add — what `llama-server -m … --jinja` started by hand (or this product before the
   * relaxed copy existed) runs.
   */
  templateAsIs?: boolean;
  /** Poll interval of the readiness check (default: the product's own). */
  intervalMs?: number;
  readyTimeoutMs?: number;
  /** Resolve even when the server is not ready (early exits, timeouts); default: throw. */
  allowNotReady?: boolean;
}

export interface Launched {
  plan: LaunchPlan;
  /** What was spawned (plan's command, or the as-is argv). */
  command: LaunchCommand;
  /** The settings file given to launch-command. */
  settingsJson: Record<string, unknown>;
  proc: ServerProcess;
  ready: ReadyResult;
  /** Every state the readiness check reported before its result, in order. */
  states: ReadinessState[];
  baseUrl: string;
  root: string;
  /** The server's output so far (its last 200 lines). */
  log(): string;
  stop(graceMs?: number): Promise<ProcessEnd>;
}

export function settingsFor(o: Pick<LaunchOptions, 'model' | 'settings'>, port: number): Record<string, unknown> {
  if (!real.ok) throw new Error(real.reason);
  const modelPath = typeof o.model === 'string' ? real.model(o.model) : o.model.path;
  const json: Record<string, unknown> = {
    'localModelRouter.llamacpp.executable': real.binary,
    'localModelRouter.llamacpp.modelPath': modelPath,
    'localModelRouter.llamacpp.port': port,
  };
  for (const [k, v] of Object.entries(o.settings ?? {})) json[`localModelRouter.${k}`] = v;
  return json;
}

/** Start Server's steps in core: launch-command's plan, spawnServer, waitUntilReady (and its states). */
export async function launch(o: LaunchOptions): Promise<Launched> {
  const dir = tempDir('launch');
  const settingsJson = settingsFor(o, await freePort());
  const env = o.env ?? {};
  // Pinned where a variable was not given, so the values do not depend on the caller's environment.
  const fullEnv = { HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), ...env };
  const file = join(dir, 'settings.json');
  writeFileSync(file, JSON.stringify(settingsJson));
  const r = await cli(
    ['launch-command', '--provider', 'llamacpp', '--settings', file, '--json', '--template-dir', join(dir, 'templates')],
    fullEnv,
    dir,
  );
  if (r.code !== 0) throw new Error(`launch-command exited ${r.code}: ${r.out}${r.err}`);
  const plan = JSON.parse(r.out) as LaunchPlan;
  const command: LaunchCommand = o.templateAsIs
    ? buildServerCommand('llamacpp', resolveSettings(lookupFromSettingsJson(settingsJson), fullEnv, true).values, { env: fullEnv })
    : { command: plan.command, args: plan.args, env: plan.env };
  const proc = spawnServer(command, { cwd: dir });
  if (proc.pid) groups.add(proc.pid);
  void proc.exited.then(() => {
    if (proc.pid) groups.delete(proc.pid);
  });
  hookExit();
  const states: ReadinessState[] = [];
  const ready = await waitUntilReady({
    provider: 'llamacpp',
    baseUrl: plan.baseUrl,
    timeoutMs: o.readyTimeoutMs ?? 60_000,
    intervalMs: o.intervalMs,
    exited: proc.exited,
    onState: s => states.push(s),
  });
  const launched: Launched = {
    plan,
    command,
    settingsJson,
    proc,
    ready,
    states,
    baseUrl: plan.baseUrl,
    root: plan.baseUrl.replace(/\/v1$/, ''),
    log: () => proc.output.recent().join('\n'),
    stop: (graceMs = 2_000) => proc.stop(graceMs),
  };
  if (ready.kind !== 'ready' && !o.allowNotReady) {
    await proc.stop(500);
    throw new Error(`llama-server did not serve (${JSON.stringify(ready)}); last lines:\n${proc.output.recent(15).join('\n')}`);
  }
  return launched;
}

/** The argv a running process was started with, as the kernel has it. */
export function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
}

/** Whether any process of the group led by `pid` is left. */
export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

// ── the verifier ──────────────────────────────────────────────────────────────────────────────────

export async function verify(baseUrl: string, extra: string[] = []): Promise<{ code: number; report: VerifyReport; file: string }> {
  const r = await cli(['verify', '--base-url', baseUrl, '--model', ALIAS, '--json', '--timeout-ms', '60000', ...extra]);
  if (!r.out.trim().startsWith('{')) throw new Error(`verify printed no report (exit ${r.code}): ${r.out}${r.err}`);
  const file = join(tempDir('verify'), 'report.json');
  writeFileSync(file, r.out);
  return { code: r.code, report: JSON.parse(r.out) as VerifyReport, file };
}

export function stage(report: VerifyReport, id: StageResult['id']): StageResult {
  const s = report.stages.find(x => x.id === id);
  if (!s) throw new Error(`no ${id} stage in the report`);
  return s;
}

/** "codex-shape fail template-system-message" for every stage: readable in assertion messages. */
export function stagesLine(report: VerifyReport): string {
  return report.stages.map(s => `${s.id} ${s.status}${s.diagnosis ? ` ${s.diagnosis.code}` : ''}`).join('; ');
}

// ── real Codex on a profile the product wrote ─────────────────────────────────────────────────────

export interface CodexSandbox {
  home: string;
  codexHome: string;
  work: string;
  env: NodeJS.ProcessEnv;
}

/** Temporary HOME, CODEX_HOME and working folder: the real ~/.codex is never read or written. */
export function codexSandbox(): CodexSandbox {
  const root = tempDir('codex');
  const [home, codexHome, work] = ['home', 'codex-home', 'work'].map(d => join(root, d));
  for (const d of [home, codexHome, work]) mkdirSync(d);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, CODEX_HOME: codexHome, XDG_CONFIG_HOME: join(home, '.config') };
  delete env.OPENAI_API_KEY;
  return { home, codexHome, work, env };
}

export const PROFILE = 'lmr-real';

/** `codex-profile` for the server, as Write Codex Profile does after a verification (its findings). */
export async function writeProfile(
  sb: CodexSandbox,
  o: { baseUrl: string; contextWindow: number; verifyReport?: string; noCatalog?: boolean },
): Promise<{ code: number; json: Record<string, unknown>; text: string }> {
  const r = await cli(
    [
      'codex-profile',
      '--name',
      PROFILE,
      '--provider-id',
      'local-llamacpp',
      '--provider',
      'llamacpp',
      '--base-url',
      o.baseUrl,
      '--model',
      ALIAS,
      '--context-window',
      String(o.contextWindow),
      '--codex',
      CODEX,
      '--json',
      ...(o.verifyReport ? ['--from-verify', o.verifyReport] : []),
      ...(o.noCatalog ? ['--no-catalog'] : []),
    ],
    sb.env as Record<string, string>,
    sb.work,
  );
  const json = JSON.parse(r.out) as Record<string, unknown>;
  return {
    code: r.code,
    json,
    text: existsSync(join(sb.codexHome, `${PROFILE}.config.toml`))
      ? readFileSync(join(sb.codexHome, `${PROFILE}.config.toml`), 'utf8')
      : '',
  };
}

/** One line of `codex exec --json`. */
export interface CodexEvent {
  type: string;
  item?: { type: string; command?: string; text?: string; exit_code?: number | null; status?: string };
  error?: { message: string };
  message?: string;
}

/** A response item Codex recorded in its session file (what it sent and got). */
export interface RolloutItem {
  type: string;
  role?: string;
  name?: string;
  call_id?: string;
  arguments?: string;
  output?: unknown;
}

export interface CodexRun extends RunResult {
  ms: number;
  events: CodexEvent[];
  /** Every response item of every session Codex recorded in this sandbox. */
  rollout: RolloutItem[];
}

export interface CodexExecOptions {
  sandbox?: 'read-only' | 'workspace-write';
  /** `exec resume --last`: the next turn of the sandbox's most recent session. */
  resumeLast?: boolean;
  timeoutMs?: number;
}

export async function codexExec(sb: CodexSandbox, prompt: string, o: CodexExecOptions = {}): Promise<CodexRun> {
  const args = [
    '-a',
    'never',
    '-s',
    o.sandbox ?? 'read-only',
    'exec',
    '-p',
    PROFILE,
    '--skip-git-repo-check',
    '--strict-config',
    '--disable',
    'unbounded_connection_retries',
    '--json',
    ...(o.resumeLast ? ['resume', '--last'] : []),
    prompt,
  ];
  const t0 = Date.now();
  const r = await runBounded(CODEX, args, { env: sb.env, cwd: sb.work, timeoutMs: o.timeoutMs ?? 90_000 });
  const events = r.stdout
    .split('\n')
    .filter(l => l.startsWith('{'))
    .map(l => JSON.parse(l) as CodexEvent);
  return { ...r, ms: Date.now() - t0, events, rollout: rolloutItems(sb) };
}

function rolloutItems(sb: CodexSandbox): RolloutItem[] {
  const dir = join(sb.codexHome, 'sessions');
  if (!existsSync(dir)) return [];
  const files = (readdirSync(dir, { recursive: true }) as string[]).filter(f => f.endsWith('.jsonl')).sort();
  const items: RolloutItem[] = [];
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      const o = JSON.parse(line) as { type?: string; payload?: RolloutItem };
      if (o.type === 'response_item' && o.payload) items.push(o.payload);
    }
  }
  return items;
}

/** The commands Codex ran (its command_execution items). */
export function commandsRun(run: CodexRun): NonNullable<CodexEvent['item']>[] {
  return run.events.filter(e => e.type === 'item.completed' && e.item?.type === 'command_execution').map(e => e.item!);
}

export function turnCompleted(run: CodexRun): boolean {
  return run.events.some(e => e.type === 'turn.completed');
}

/** What Codex said went wrong (its turn.failed / error events). */
export function codexErrors(run: CodexRun): string {
  return run.events
    .filter(e => e.type === 'turn.failed' || e.type === 'error')
    .map(e => e.error?.message ?? e.message ?? '')
    .join('\n');
}

/** For assertion messages: exit, events and the end of stderr. */
export function describeRun(run: CodexRun): string {
  return `codex exit ${run.code}${run.timedOut ? ' (timed out)' : ''} after ${run.ms} ms\n${run.stdout.slice(0, 3000)}\n${run.stderr.slice(-1500)}`;
}
