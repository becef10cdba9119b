// The manual procedure the verifier replaces, timed against the same kind of scripted server: two
// curl checks (GET /v1/models, POST /v1/responses), a real `codex exec` tool check with the real
// Codex CLI (node_modules/.bin/codex) on the profile the extension writes (buildProfile), and the
// checks the verifier added since: a resumed second turn with other permissions (history and a late
// developer message) and a turn with an MCP server configured (namespace tools). Isolated
// CODEX_HOME/HOME. Only machine time is counted: no typing, no reading.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProfile } from '../../src/core/codex/profile';
import { startScriptedServer } from '../support/scripted-server';
import { firstLine, ROOT, which } from './lib/machine';
import { median, spread, timed } from './lib/stats';
import type { Row } from './lib/report';
import { VERIFY_KIND, VERIFY_LATENCY_MS, VERIFY_MODEL } from './verifier';

const CODEX = join(ROOT, 'node_modules/.bin/codex');
const CODEX_TIMEOUT_MS = 60_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    // Own process group, so a timeout stops Codex and anything it started.
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', d => {
      stdout += d;
    });
    child.stderr.on('data', d => {
      stderr += d;
    });
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    child.on('error', e => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', code => {
      clearTimeout(timer);
      kill();
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

export async function benchManual(runs: number, verifyMs: number | undefined, log: (s: string) => void): Promise<Row> {
  const row: Row = {
    section: 'Verifier',
    what: 'verifyRoute vs the manual procedure (2 × curl + real `codex exec`: a tool check, a resumed second turn, a turn with an MCP server)',
    runs,
    unit: 'ms',
    target: { kind: 'faster-by', value: 5 },
    notes: [],
  };
  const curl = which('curl');
  if (!curl) return { ...row, notMeasured: 'curl is not installed (apt-get install curl)' };
  if (!existsSync(CODEX)) return { ...row, notMeasured: 'node_modules/.bin/codex missing (npm ci)' };
  if (verifyMs === undefined) return { ...row, notMeasured: 'the verifier row failed' };

  const server = await startScriptedServer({
    kind: VERIFY_KIND,
    models: [{ id: VERIFY_MODEL, contextWindow: 32768 }],
    latencyMs: VERIFY_LATENCY_MS,
  });
  const dir = mkdtempSync(join(tmpdir(), 'lmr-bench-manual-'));
  try {
    const home = join(dir, 'home');
    const work = join(dir, 'work');
    mkdirSync(home);
    mkdirSync(work);
    const profile = buildProfile(
      { provider: 'vllm', baseUrl: server.baseUrl, model: VERIFY_MODEL, contextWindow: 32768 },
      { 'codex.disableNonFunctionTools': 'auto', 'codex.autoCompactFraction': 0.75, 'llamacpp.autoCompactTokenLimit': 14000 },
      { name: 'bench', codexHome: home },
    );
    writeFileSync(join(home, profile.fileName!), profile.fileText!);
    if (profile.catalog) writeFileSync(profile.catalog.path, profile.catalog.json);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', CODEX_HOME: home, HOME: home, NO_COLOR: '1', TMPDIR: dir };

    const total: number[] = [];
    const parts: number[][] = [[], [], [], [], []];
    // The MCP check: the same profile in a second CODEX_HOME whose config.toml names an MCP server.
    const mcpHome = join(dir, 'mcp-home');
    mkdirSync(mcpHome);
    writeFileSync(join(mcpHome, profile.fileName!), profile.fileText!.split(home).join(mcpHome));
    if (profile.catalog) writeFileSync(join(mcpHome, profile.catalog.fileName), profile.catalog.json);
    writeFileSync(
      join(mcpHome, 'config.toml'),
      `[mcp_servers.demo]\ncommand = "${process.execPath}"\nargs = ["${join(ROOT, 'test/support/mcp-stdio-server.cjs')}"]\n`,
    );
    const mcpEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', CODEX_HOME: mcpHome, HOME: mcpHome, NO_COLOR: '1', TMPDIR: dir };
    for (let i = 0; i < runs + 1; i++) {
      const token = `TOKEN-${Math.random().toString(36).slice(2, 10).toUpperCase()}`;
      const file = join(work, 'token.txt');
      writeFileSync(file, `${token}\n`);
      const models = await timed(() => run(curl, ['-sS', '-f', '--max-time', '10', `${server.baseUrl}/models`], { timeoutMs: 15_000 }));
      if (models.value.code !== 0 || !models.value.stdout.includes(VERIFY_MODEL))
        throw new Error(`curl /v1/models failed: ${models.value.stderr}`);
      const body = JSON.stringify({ model: VERIFY_MODEL, input: 'Reply with exactly: OK' });
      const responses = await timed(() =>
        run(curl, ['-sS', '-f', '--max-time', '30', '-H', 'content-type: application/json', '-d', body, `${server.baseUrl}/responses`], {
          timeoutMs: 35_000,
        }),
      );
      if (responses.value.code !== 0 || !responses.value.stdout.includes('"OK"'))
        throw new Error(`curl /v1/responses failed: ${responses.value.stderr}${responses.value.stdout}`);
      // One `codex exec` turn, as a person runs it: timed, and it must answer as asked.
      const turn = async (what: string, sandbox: string, prompt: string[], expect: string, turnEnv: NodeJS.ProcessEnv) => {
        const t = await timed(() =>
          run(
            CODEX,
            [
              '-a',
              'never',
              '-s',
              sandbox,
              'exec',
              '-p',
              profile.name,
              '--skip-git-repo-check',
              '--disable',
              'unbounded_connection_retries',
              ...prompt,
            ],
            {
              cwd: work,
              env: turnEnv,
              timeoutMs: CODEX_TIMEOUT_MS,
            },
          ),
        );
        const c = t.value;
        if (c.timedOut || c.code !== 0 || !c.stdout.includes(expect)) {
          throw new Error(
            `${what} failed (exit ${c.code}${c.timedOut ? ', timed out' : ''}): stdout ${JSON.stringify(c.stdout.slice(0, 300))}\nstderr tail: ${c.stderr.slice(-600)}`,
          );
        }
        return t;
      };
      const codex = await turn(
        'codex exec tool check',
        'read-only',
        [`Read the file ${file} and reply with exactly its content.`],
        token,
        env,
      );
      // The later turn, as a person checks it: resume the session with other permissions (Codex then
      // adds a developer message after the history, what strict templates refuse).
      const second = await turn('codex exec resume', 'workspace-write', ['resume', '--last', 'Reply with exactly: SECOND'], 'SECOND', env);
      const mcp = await turn('codex exec with an MCP server', 'read-only', ['Reply with exactly: MCP-OK'], 'MCP-OK', mcpEnv);
      if (i === 0) continue; // warm-up: the first Codex start reads its binary from disk
      parts[0]!.push(models.ms);
      parts[1]!.push(responses.ms);
      parts[2]!.push(codex.ms);
      parts[3]!.push(second.ms);
      parts[4]!.push(mcp.ms);
      total.push(models.ms + responses.ms + codex.ms + second.ms + mcp.ms);
    }
    const codexRequests = server.requests.filter(
      r => r.path === '/v1/responses' && r.headers['user-agent'] && !String(r.headers['user-agent']).startsWith('curl'),
    ).length;
    log(`manual procedure: ${total.map(m => m.toFixed(0)).join(' ')} ms (codex ${parts[2]!.map(m => m.toFixed(0)).join(' ')})`);
    const [m0, m1, m2, m3, m4] = parts.map(median) as [number, number, number, number, number];
    const why = `the manual steps are timed as machine time only, against a scripted model that answers every request in ${VERIFY_LATENCY_MS} ms: the two curl checks take ${m0.toFixed(0)} + ${m1.toFixed(0)} ms (mostly starting curl), \`codex exec\` ${m2.toFixed(0)} ms, the resumed turn ${m3.toFixed(0)} ms and the MCP turn ${m4.toFixed(0)} ms, mostly Codex's own start-up. verifyRoute takes ${verifyMs.toFixed(0)} ms, ${6 * VERIFY_LATENCY_MS} ms of which are its six sequential steps (models; the text and tool-type probes; the Codex-sized turn alone; two tool rounds; the later turn; independent stages side by side). So against a model this fast the speed-up is bounded by Codex's start-up, and it shrinks further as model turns get slower, because both sides then wait for about the same number of turns. What the verifier saves most, a person typing three commands and reading their output, is not counted here.`;
    return {
      ...row,
      value: verifyMs,
      baseline: { what: 'manual procedure, machine time only', value: median(total) },
      why,
      notes: [
        `Same scripted vLLM-style server (${VERIFY_LATENCY_MS} ms per request). Manual = \`curl -sS -f …/v1/models\` (median ${median(parts[0]!).toFixed(0)} ms) + \`curl -sS -f -d '{"model":…,"input":"Reply with exactly: OK"}' …/v1/responses\` (${median(parts[1]!).toFixed(0)} ms) + \`codex -a never -s read-only exec -p bench --skip-git-repo-check --disable unbounded_connection_retries "Read the file …/token.txt and reply with exactly its content."\` (${median(parts[2]!).toFixed(0)} ms; passes only when the answer holds the file's random token) + \`codex -a never -s workspace-write exec -p bench … resume --last "Reply with exactly: SECOND"\` (${median(parts[3]!).toFixed(0)} ms) + \`codex … exec -p bench "Reply with exactly: MCP-OK"\` with an MCP stdio server in config.toml (${median(parts[4]!).toFixed(0)} ms), Codex ${codexVersion()} on the profile buildProfile writes, CODEX_HOME/HOME in a temp dir, stdin /dev/null.`,
        `Manual total: ${spread(total)} ms over ${runs} runs after one warm-up; Codex sent ${codexRequests} /v1/responses requests in all. The time a person spends typing the commands and reading the answers is not counted, so the real gap is larger. The measured value is verifyRoute's median from the row above.`,
      ],
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function codexVersion(): string {
  return firstLine(CODEX, ['--version'])?.replace(/^codex-cli\s*/, '') ?? 'unknown';
}
