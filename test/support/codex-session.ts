// The real Codex CLI (the pinned @openai/codex devDependency) in a sandbox of its own, driven the way a
// user drives it: profiles written by the product's `codex-profile` command, a verification by its
// `verify --json` command (both in-process), and `codex exec` runs (and `exec resume --last`) bounded
// by a timeout. HOME and CODEX_HOME are temp dirs, so the user's ~/.codex is never read or written.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main';
import { runBounded, type RunResult } from '../../src/core/codex/run';
import { PROVIDERS, type ProviderId } from '../../src/core/providers';
import type { StageId, VerifyReport } from '../../src/core/verify/types';
import type { ScriptedServer } from './scripted-server';

export const CODEX = resolve(__dirname, '../../node_modules/.bin/codex');
export const HAVE_CODEX = existsSync(CODEX);
export const CODEX_RUN_TIMEOUT_MS = 60_000;
export const MCP_FIXTURE = resolve(__dirname, 'mcp-stdio-server.cjs');

export interface CodexSandbox {
  root: string;
  home: string;
  codexHome: string;
  work: string;
  env: NodeJS.ProcessEnv;
}

export function codexSandbox(parent: string): CodexSandbox {
  const root = mkdtempSync(join(parent, 'sb-'));
  const home = join(root, 'home');
  const codexHome = join(root, 'codex-home');
  const work = join(root, 'work');
  for (const d of [home, codexHome, work]) mkdirSync(d);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    CODEX_HOME: codexHome,
    XDG_CONFIG_HOME: join(home, '.config'),
    NO_COLOR: '1',
  };
  delete env.OPENAI_API_KEY;
  return { root, home, codexHome, work, env };
}

/** The user's own config.toml gets an MCP server (the stdio fixture), as `codex mcp add` would write it. */
export function addMcpServer(sb: CodexSandbox, name: string, opts: { image?: boolean } = {}): void {
  const env = opts.image ? 'env = { MCP_IMAGE = "1" }\n' : '';
  appendFileSync(
    join(sb.codexHome, 'config.toml'),
    `\n[mcp_servers.${name}]\ncommand = "node"\nargs = [${JSON.stringify(MCP_FIXTURE)}]\n${env}`,
  );
}

export async function cli(sb: CodexSandbox, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: t => {
      out += `${t}\n`;
    },
    err: t => {
      err += `${t}\n`;
    },
    env: sb.env,
    cwd: sb.work,
  });
  return { code, out, err };
}

export interface WrittenProfile {
  name: string;
  providerId: string;
  /** The `codex-profile --json` report. */
  report: { ok: boolean; notes: string[]; validation: { kind: string; message?: string } | null };
  fileText: string;
  catalogPath: string;
}

/** `local-model-router codex-profile` for a scripted server; Codex validates the profile (--strict-config). */
export async function writeProfile(
  sb: CodexSandbox,
  p: {
    name: string;
    provider: ProviderId;
    server: ScriptedServer;
    model: string;
    contextWindow?: number;
    fromVerify?: string;
    /** `--bridge`: these sessions talk to the scripted server itself (no bridge runs), so `never` unless a test says otherwise. */
    bridge?: 'auto' | 'always' | 'never';
  },
): Promise<WrittenProfile> {
  const providerId = PROVIDERS[p.provider].codexProviderId;
  const r = await cli(sb, [
    'codex-profile',
    '--name',
    p.name,
    '--provider',
    p.provider,
    '--provider-id',
    providerId,
    '--base-url',
    p.server.baseUrl,
    '--model',
    p.model,
    ...(p.contextWindow ? ['--context-window', String(p.contextWindow)] : []),
    ...(p.fromVerify ? ['--from-verify', p.fromVerify] : []),
    '--bridge',
    p.bridge ?? 'never',
    '--codex',
    CODEX,
    '--json',
  ]);
  if (r.code !== 0) throw new Error(`codex-profile exited ${r.code}\n${r.out}\n${r.err}`);
  return {
    name: p.name,
    providerId,
    report: JSON.parse(r.out),
    fileText: readFileSync(join(sb.codexHome, `${p.name}.config.toml`), 'utf8'),
    catalogPath: join(sb.codexHome, `${p.name}.models.json`),
  };
}

/** Changes one entry of a profile's model catalog, as a user (or another tool) might. */
export function editCatalog(profile: WrittenProfile, change: Record<string, unknown>): void {
  const catalog = JSON.parse(readFileSync(profile.catalogPath, 'utf8')) as { models: Record<string, unknown>[] };
  Object.assign(catalog.models[0], change);
  writeFileSync(profile.catalogPath, JSON.stringify(catalog, null, 2));
}

let reports = 0;

/** `local-model-router verify --json` against a server; the report is also left in a file for `--from-verify`. */
export async function verifyJson(
  sb: CodexSandbox,
  server: ScriptedServer,
  model: string,
  extra: string[] = [],
): Promise<{ code: number; report: VerifyReport; file: string }> {
  const r = await cli(sb, ['verify', '--base-url', server.baseUrl, '--model', model, '--timeout-ms', '20000', '--json', ...extra]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`verify exited ${r.code}\n${r.out}\n${r.err}`);
  const file = join(sb.root, `verify-${++reports}.json`);
  writeFileSync(file, r.out);
  return { code: r.code, report: JSON.parse(r.out) as VerifyReport, file };
}

export function stageOf(report: VerifyReport, id: StageId): { status: string; code?: string } {
  const s = report.stages.find(x => x.id === id);
  if (!s) throw new Error(`stage ${id} missing from the report`);
  return { status: s.status, code: s.diagnosis?.code };
}

/** One line per stage, for assertion messages. */
export function verdict(report: VerifyReport): string {
  return `verifier ok=${report.ok}: ${report.stages.map(s => `${s.id}=${s.status}${s.diagnosis ? `(${s.diagnosis.code})` : ''}`).join(' ')}`;
}

/** read-only / workspace-write: `-a never -s <mode>`; bypass: --dangerously-bypass-approvals-and-sandbox
 * (Codex 0.169 refuses an MCP call under `-a never` otherwise: "MCP tool call requires approval"). */
export type SandboxMode = 'read-only' | 'workspace-write' | 'bypass';

export interface ExecOptions {
  sandbox?: SandboxMode;
  /** `exec resume --last`: the session's next turn, its history sent back. */
  resume?: boolean;
  /** `-c key=value` overrides for this run only. */
  config?: string[];
}

export function codexExec(sb: CodexSandbox, profile: string, prompt: string, opts: ExecOptions = {}): Promise<RunResult> {
  const mode = opts.sandbox ?? 'read-only';
  const policy = mode === 'bypass' ? ['--dangerously-bypass-approvals-and-sandbox'] : ['-a', 'never', '-s', mode];
  const args = [
    ...policy,
    'exec',
    '-p',
    profile,
    '--skip-git-repo-check',
    '--disable',
    'unbounded_connection_retries',
    ...(opts.config ?? []).flatMap(c => ['-c', c]),
    ...(opts.resume ? ['resume', '--last'] : []),
    prompt,
  ];
  return runBounded(CODEX, args, { env: sb.env, cwd: sb.work, timeoutMs: CODEX_RUN_TIMEOUT_MS });
}

/** Exit code, output and the end of stderr (Codex's errors), without its sandbox warnings. */
export function describeRun(r: RunResult): string {
  const err = r.stderr
    .split('\n')
    .filter(l => !/bubblewrap|PATH aliases/.test(l))
    .join('\n');
  return `codex exit ${r.code}${r.timedOut ? ' (timed out)' : ''}, stdout ${JSON.stringify(r.stdout.slice(0, 300))}\nstderr tail: ${err.slice(-1200)}`;
}

/** The Responses request bodies a server received, from the `from`-th recorded request on. */
export function responsesBodies(server: ScriptedServer, from = 0): Record<string, unknown>[] {
  return server.requests
    .slice(from)
    .filter(r => r.method === 'POST' && r.path.endsWith('/responses'))
    .map(r => JSON.parse(r.body) as Record<string, unknown>);
}

export function toolsOf(body: Record<string, unknown>): Record<string, unknown>[] {
  return Array.isArray(body.tools) ? (body.tools as Record<string, unknown>[]) : [];
}
