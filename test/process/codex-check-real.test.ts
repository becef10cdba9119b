// Check Codex Config against the real Codex CLI (the pinned @openai/codex devDependency), each test in
// its own HOME and CODEX_HOME. For every guide-style broken configuration in
// test/fixtures/codex-guides/: Codex refuses it (--strict-config), the planned repair is one diff,
// after --apply Codex accepts it, every line outside the repaired ones is byte-identical, and a text
// turn runs through a profile written by `codex-profile` on a scripted server. Also: each real message
// fixture is observed again; the check sends no request (a proxy that sees every connection of a
// normal run sees none); bad input is refused with nothing written; codex-profile never reports
// success over a config.toml Codex rejects. Every Codex run is bounded by a timeout.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { startScriptedServer, type ScriptedKind, type ScriptedServer } from '../support/scripted-server';
import { noResponsesApi } from '../support/behaviours';
import { main } from '../../src/cli/main';
import { runBounded } from '../../src/core/codex/run';
import { checkCodexConfig } from '../../src/core/codex/check';
import { planCodexRepair } from '../../src/core/codex/repairs';
import { applyCodexRepair } from '../../src/core/codex/applyRepair';
import { parseCodexLoadOutput } from '../../src/core/codex/rejections';
import { localDate } from '../../src/core/codex/repairs';
import { RESPONSES_MIN_VERSIONS } from '../../src/core/verify/diagnose';

const ROOT = path.resolve(__dirname, '../..');
const CODEX = path.join(ROOT, 'node_modules/.bin/codex');
const HAVE_CODEX = fs.existsSync(CODEX);
const SKIP = !HAVE_CODEX && 'node_modules/.bin/codex is not installed';
const RUN_TIMEOUT_MS = 60_000;
const GUIDES = path.join(ROOT, 'test/fixtures/codex-guides');
const MESSAGES = path.join(ROOT, 'test/fixtures/codex-messages');

const temps: string[] = [];
const servers: ScriptedServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
  for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
});

interface Sandbox {
  root: string;
  home: string;
  codexHome: string;
  work: string;
  env: NodeJS.ProcessEnv;
}
function sandbox(): Sandbox {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-codex-check-real-'));
  temps.push(root);
  const home = path.join(root, 'home');
  const codexHome = path.join(root, 'codex-home');
  const work = path.join(root, 'work');
  for (const d of [home, codexHome, work]) fs.mkdirSync(d);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, CODEX_HOME: codexHome, XDG_CONFIG_HOME: path.join(home, '.config') };
  delete env.OPENAI_API_KEY;
  return { root, home, codexHome, work, env };
}

async function cli(args: string[], sb: Sandbox): Promise<{ code: number; out: string; err: string }> {
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

async function serve(kind: ScriptedKind, opts: Partial<Parameters<typeof startScriptedServer>[0]> = {}): Promise<ScriptedServer> {
  const s = await startScriptedServer({ kind, models: [{ id: 'm', contextWindow: 32768 }], ...opts });
  servers.push(s);
  return s;
}

const cfgPath = (sb: Sandbox) => path.join(sb.codexHome, 'config.toml');
const backupsExist = (sb: Sandbox) => fs.existsSync(path.join(sb.codexHome, '.local-model-router-backups'));

// ── every message fixture, observed again ──

const FIXTURE_PROFILE: Record<string, string> = { 'legacy-profile-conflict': 'gpt-oss', 'wire-api-chat-in-profile': 'local' };

test(
  'real Codex: every message fixture is what Codex 0.169 still prints, word for word',
  { skip: SKIP, timeout: 4 * RUN_TIMEOUT_MS },
  async () => {
    const names = fs
      .readdirSync(MESSAGES)
      .filter(f => f.endsWith('.txt'))
      .map(f => f.slice(0, -4));
    assert.ok(names.length >= 15);
    for (const name of names) {
      const sb = sandbox();
      const home = path.join(sb.root, name, '.codex');
      fs.mkdirSync(home, { recursive: true });
      const input = path.join(MESSAGES, `${name}.config.toml`);
      if (name === 'not-a-file') fs.mkdirSync(path.join(home, 'config.toml'));
      else fs.copyFileSync(input, path.join(home, 'config.toml'));
      if (name === 'wire-api-chat-in-profile')
        fs.copyFileSync(path.join(MESSAGES, `${name}.local.config.toml`), path.join(home, 'local.config.toml'));
      const live = await checkCodexConfig({
        executable: CODEX,
        env: sb.env,
        cwd: sb.work,
        codexHome: home,
        profile: FIXTURE_PROFILE[name],
      });
      const fixture = parseCodexLoadOutput(fs.readFileSync(path.join(MESSAGES, `${name}.txt`), 'utf8'));
      if (fixture.kind === 'accepted') {
        assert.equal(live.kind, 'accepted', `${name}: ${JSON.stringify(live)}`);
        continue;
      }
      assert.equal(live.kind, 'rejected', `${name}: ${JSON.stringify(live)}`);
      assert.ok(fixture.kind === 'rejected' && live.kind === 'rejected');
      const fixtureHome = `/tmp/lmr-fx/${name}/.codex`;
      assert.equal(live.rejection.text, fixture.rejection.text.split(fixtureHome).join(home), `${name}: Codex's words changed`);
      assert.equal(live.rejection.kind, fixture.rejection.kind, name);
    }
  },
);

// ── no request is sent ──

function countingProxy(): Promise<{ server: Server; port: number; connections: () => number; first: Promise<void> }> {
  let n = 0;
  let resolveFirst!: () => void;
  const first = new Promise<void>(r => {
    resolveFirst = r;
  });
  const server = createServer(c => {
    n++;
    resolveFirst();
    c.destroy();
  });
  return new Promise(resolve =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as { port: number }).port, connections: () => n, first }),
    ),
  );
}

test(
  "real Codex: the check sends no request, even with the default OpenAI provider (a proxy that sees a normal run's connections sees none)",
  { skip: SKIP, timeout: 2 * RUN_TIMEOUT_MS },
  async () => {
    const sb = sandbox();
    fs.writeFileSync(cfgPath(sb), '# no model_provider: Codex\'s default OpenAI provider\nmodel = "gpt-5"\n');
    const proxy = await countingProxy();
    try {
      const url = `http://127.0.0.1:${proxy.port}`;
      const env = {
        ...sb.env,
        HTTPS_PROXY: url,
        HTTP_PROXY: url,
        ALL_PROXY: url,
        https_proxy: url,
        http_proxy: url,
        all_proxy: url,
        NO_PROXY: '',
        no_proxy: '',
      };
      const t0 = Date.now();
      const r = await checkCodexConfig({ executable: CODEX, env, cwd: sb.work, codexHome: sb.codexHome });
      assert.equal(r.kind, 'accepted', JSON.stringify(r));
      assert.ok(Date.now() - t0 < 15_000, 'no retries to wait for');
      assert.equal(proxy.connections(), 0, 'the check made no connection');
      // Control: the same Codex with a prompt does connect, through the same proxy.
      const stop = new AbortController();
      void proxy.first.then(() => stop.abort());
      await runBounded(CODEX, ['exec', '--skip-git-repo-check', '--ephemeral', 'hi'], {
        env: { ...env, CODEX_HOME: sb.codexHome },
        cwd: sb.work,
        timeoutMs: 30_000,
        signal: stop.signal,
      });
      assert.ok(proxy.connections() > 0, 'a run with a prompt goes through the proxy, so zero above is meaningful');
    } finally {
      proxy.server.close();
    }
  },
);

// ── the guides ──

interface Guide {
  file: string;
  /** Port in the fixture → the scripted server that stands in for it. */
  servers: Record<string, { kind: ScriptedKind; chatOnly?: boolean; apiKey?: string }>;
  env?: Record<string, string>;
  /** Rejection kinds Codex reports, in order, each with the repair planned for it. */
  steps: [string, string][];
  /** Lines a repair rewrites in place (rather than commenting out). */
  replaced?: [string, string][];
  /** Lines moved to profile files (legacy profiles). */
  moved?: (line: string, header: string) => boolean;
  /** Profiles the repair creates, each checked with `-p` after it. */
  profiles?: string[];
  /** [features] keys `codex features list` calls deprecated or removed: mentioned, left alone. */
  advisories?: string[];
}

const NOTE_LINE = new RegExp(
  `^[ \\t]*# Commented out by Local Model Router on ${localDate()}: Codex 0\\.169\\.0 rejects it \\(.+\\)\\r?\\n?$`,
);

const GUIDE_SPECS: Guide[] = [
  {
    file: 'vllm-guide.toml',
    servers: { 8000: { kind: 'vllm' } },
    steps: [
      ['wire-api-chat', 'switch-wire-api'],
      ['unknown-field', 'comment-out'],
      ['unknown-field', 'comment-out'],
      ['unknown-field', 'comment-out'],
      ['unknown-field', 'comment-out'],
    ],
    replaced: [['wire_api = "chat"', 'wire_api = "responses"']],
    advisories: ['features.web_search_request'],
  },
  {
    file: 'vllm-guide.toml',
    servers: { 8000: { kind: 'vllm', chatOnly: true } },
    steps: [
      ['wire-api-chat', 'disable-provider'],
      ['unknown-field', 'comment-out'],
      ['unknown-field', 'comment-out'],
      ['unknown-field', 'comment-out'],
    ],
    advisories: ['features.web_search_request'],
  },
  {
    file: 'oss-profiles-guide.toml',
    servers: {},
    steps: [['legacy-profile-selector', 'move-legacy-profiles']],
    moved: (line, header) => /^profile\s*=/.test(line) || /^\[profiles\./.test(line) || header.startsWith('[profiles.'),
    profiles: ['gpt-oss', 'qwen-coder'],
  },
  {
    file: 'ollama-redefined.toml',
    servers: { 11434: { kind: 'ollama' } },
    steps: [
      ['reserved-provider-id', 'rename-provider'],
      ['unknown-field', 'comment-out'],
    ],
    replaced: [
      ['[model_providers.ollama]', '[model_providers.local-ollama]'],
      ['model_provider = "ollama"', 'model_provider = "local-ollama"'],
    ],
  },
  {
    file: 'lmstudio-chat-guide.toml',
    servers: { 1234: { kind: 'lmstudio' } },
    steps: [
      ['wire-api-chat', 'switch-wire-api'],
      ['reserved-provider-id', 'rename-provider'],
      ['unknown-field', 'comment-out'],
      ['unknown-field', 'comment-out'],
      ['unknown-field', 'comment-out'],
      ['unknown-field', 'comment-out'],
    ],
    replaced: [
      ['wire_api = "chat"', 'wire_api = "responses"'],
      ['[model_providers.lmstudio]', '[model_providers.local-lmstudio]'],
      ['model_provider = "lmstudio"', 'model_provider = "local-lmstudio"'],
    ],
  },
  {
    file: 'litellm-guide.toml',
    servers: { 4000: { kind: 'generic', apiKey: 'sk-litellm-test' } },
    env: { LITELLM_API_KEY: 'sk-litellm-test' },
    steps: [
      ['invalid-type', 'fix-type'],
      ['wire-api-chat', 'switch-wire-api'],
    ],
    replaced: [
      ['model_context_window = "32768"', 'model_context_window = 32768'],
      ['wire_api = "chat"', 'wire_api = "responses"'],
    ],
  },
];

/** Line diff (LCS). Lines keep their line endings, so a changed EOL is a changed line. */
function lineOps(a: string[], b: string[]): { op: ' ' | '-' | '+'; line: string }[] {
  const n = a.length;
  const m = b.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops: { op: ' ' | '-' | '+'; line: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      ops.push({ op: ' ', line: a[i] });
      i++;
      j++;
    } else if (i < n && (j >= m || lcs[i + 1][j] >= lcs[i][j + 1])) ops.push({ op: '-', line: a[i++] });
    else ops.push({ op: '+', line: b[j++] });
  }
  return ops;
}
const lines = (t: string) => t.match(/[^\n]*\n|[^\n]+$/g) ?? [];

/** Every line of `before` is in `after` unchanged, unless it was commented out (under a note), rewritten by a listed replacement, or moved. */
function assertOnlyRepairedLinesChanged(before: string, after: string, g: Guide): void {
  const headerOf = new Map<string, string>();
  let header = '';
  for (const l of lines(before)) {
    if (/^\s*\[/.test(l)) header = l.trim();
    headerOf.set(l, header);
  }
  const ops = lineOps(lines(before), lines(after));
  for (let k = 0; k < ops.length;) {
    if (ops[k].op === ' ') {
      k++;
      continue;
    }
    const removed: string[] = [];
    const added: string[] = [];
    for (; k < ops.length && ops[k].op !== ' '; k++) (ops[k].op === '-' ? removed : added).push(ops[k].line);
    const pool = added.filter(l => !NOTE_LINE.test(l));
    const take = (l: string) => {
      const i = pool.indexOf(l);
      if (i < 0) return false;
      pool.splice(i, 1);
      return true;
    };
    for (const r of removed) {
      const explained =
        take(r.replace(/^([ \t]*)(?=\S)/, '$1# ')) ||
        (g.replaced ?? []).some(([from, to]) => r.includes(from) && take(r.replace(from, to))) ||
        (g.moved?.(r.trim(), headerOf.get(r) ?? '') ?? false);
      assert.ok(explained, `${g.file}: the line ${JSON.stringify(r)} changed without a repair that explains it\n${after}`);
    }
    assert.deepEqual(pool, [], `${g.file}: lines added that no repair explains`);
  }
}

for (const g of GUIDE_SPECS) {
  const label = `${g.file}${Object.values(g.servers).some(s => s.chatOnly) ? ' (chat-only server)' : ''}`;
  test(
    `real Codex: ${label} is refused, repaired with one diff, accepted, unchanged outside the repaired lines, and a profile on it answers`,
    { skip: SKIP, timeout: 6 * RUN_TIMEOUT_MS },
    async () => {
      const sb = sandbox();
      Object.assign(sb.env, g.env ?? {});
      let text = fs.readFileSync(path.join(GUIDES, g.file), 'utf8');
      for (const [port, s] of Object.entries(g.servers)) {
        const server = await serve(s.kind, {
          ...(s.chatOnly ? { overrides: [noResponsesApi(s.kind)] } : {}),
          ...(s.apiKey ? { apiKey: s.apiKey } : {}),
        });
        text = text.split(`127.0.0.1:${port}`).join(`127.0.0.1:${server.port}`);
      }
      fs.writeFileSync(cfgPath(sb), text);

      // Before: Codex refuses; the check plans the whole repair and writes nothing.
      const preview = await cli(['check-codex-config', '--codex', CODEX, '--json'], sb);
      assert.equal(preview.code, 1, preview.out + preview.err);
      const plan = JSON.parse(preview.out);
      assert.equal(plan.check.kind, 'rejected');
      assert.deepEqual(
        plan.findings.map((f: { rejection: { kind: string }; repair: { kind: string } | null }) => [
          f.rejection.kind,
          f.repair?.kind ?? null,
        ]),
        g.steps,
      );
      assert.deepEqual(plan.outcome, { kind: 'accepted' }, 'the repaired copy passes Codex');
      assert.deepEqual(
        plan.advisories.map((a: { key: string }) => a.key),
        g.advisories ?? [],
      );
      assert.equal(fs.readFileSync(cfgPath(sb), 'utf8'), text, 'a preview writes nothing');
      assert.equal(backupsExist(sb), false);
      for (const v of Object.values(g.env ?? {})) assert.ok(!preview.out.includes(v), 'a key never appears in the output');

      // Apply: written with a backup, and Codex accepts what was written.
      const applied = await cli(['check-codex-config', '--codex', CODEX, '--json', '--apply', '--yes'], sb);
      assert.equal(applied.code, 0, applied.out + applied.err);
      const report = JSON.parse(applied.out);
      assert.equal(report.applied.accepted, true);
      assert.ok(report.applied.backupDir);
      const afterText = fs.readFileSync(cfgPath(sb), 'utf8');
      assertOnlyRepairedLinesChanged(text, afterText, g);
      assert.equal((await checkCodexConfig({ executable: CODEX, env: sb.env, cwd: sb.work, codexHome: sb.codexHome })).kind, 'accepted');
      for (const p of g.profiles ?? []) {
        assert.ok(fs.existsSync(path.join(sb.codexHome, `${p}.config.toml`)), `${p}.config.toml created`);
        assert.equal(
          (await checkCodexConfig({ executable: CODEX, env: sb.env, cwd: sb.work, codexHome: sb.codexHome, profile: p })).kind,
          'accepted',
          `codex -p ${p} loads`,
        );
      }
      const again = await cli(['check-codex-config', '--codex', CODEX, '--json'], sb);
      assert.equal(again.code, 0, 'a second check finds nothing');

      // A profile written by codex-profile on top of the repaired config.toml carries a text turn.
      const server = await serve('llamacpp', { models: [{ id: 'local/model', contextWindow: 32768 }] });
      const w = await cli(
        [
          'codex-profile',
          '--name',
          'lmr-guide',
          '--provider-id',
          'local-llamacpp',
          '--base-url',
          server.baseUrl,
          '--model',
          'local/model',
          '--context-window',
          '32768',
          '--codex',
          CODEX,
          '--json',
        ],
        sb,
      );
      assert.equal(w.code, 0, w.out + w.err);
      const written = JSON.parse(w.out);
      assert.equal(written.configCheck.kind, 'accepted');
      assert.deepEqual(written.validation, { kind: 'accepted' });
      const reply = `GUIDE-${g.file.replace(/\W/g, '').toUpperCase().slice(0, 12)}`;
      const turn = await runBounded(
        CODEX,
        [
          '-a',
          'never',
          '-s',
          'read-only',
          'exec',
          '-p',
          'lmr-guide',
          '--skip-git-repo-check',
          '--strict-config',
          '--ephemeral',
          '--disable',
          'unbounded_connection_retries',
          `Reply with exactly: ${reply}`,
        ],
        { env: sb.env, cwd: sb.work, timeoutMs: RUN_TIMEOUT_MS },
      );
      assert.equal(turn.timedOut, false);
      assert.equal(turn.code, 0, turn.stderr);
      assert.equal(turn.stdout.trim(), reply);
    },
  );
}

test(
  'real Codex: a chat-only server behind wire_api = "chat" gets the explanation (and the version that adds /responses), not a broken switch',
  { skip: SKIP, timeout: 2 * RUN_TIMEOUT_MS },
  async () => {
    const sb = sandbox();
    const chatOnly = await serve('vllm', { overrides: [noResponsesApi('vllm')] });
    const capable = await serve('vllm');
    fs.writeFileSync(
      cfgPath(sb),
      `model_provider = "old"\nmodel = "m"\n\n[model_providers.old]\nname = "old vLLM"\nbase_url = "${chatOnly.baseUrl}"\nwire_api = "chat"\n\n[model_providers.new]\nname = "new vLLM"\nbase_url = "${capable.baseUrl}"\nwire_api = "chat"\n`,
    );
    const plan = await planCodexRepair({ executable: CODEX, env: sb.env, cwd: sb.work, codexHome: sb.codexHome, codexVersion: '0.169.0' });
    assert.ok(plan.ok, !plan.ok ? plan.error : '');
    assert.deepEqual(
      plan.findings.map(f => f.repair?.kind),
      ['disable-provider', 'switch-wire-api'],
    );
    const [old, fresh] = plan.findings;
    assert.equal(old.repair?.kind === 'disable-provider' && old.repair.probe.kind, 'no-responses');
    assert.match(old.explanation, /chat-only/);
    assert.ok(old.explanation.includes(RESPONSES_MIN_VERSIONS.vllm.minVersion), old.explanation);
    assert.match(fresh.explanation, /switches to wire_api = "responses"/);
    assert.deepEqual(plan.outcome, { kind: 'accepted' });
    const after = plan.changes[0].after;
    assert.match(
      after,
      /^# \[model_providers\.old\]\n# name = "old vLLM"\n# base_url = ".*"\n# wire_api = "chat"\n/m,
      'the chat-only provider is kept, commented out',
    );
    assert.match(after, /^# model_provider = "old"$/m, 'and no longer selected');
    assert.match(after, /\[model_providers\.new\]\nname = "new vLLM"\nbase_url = ".*"\nwire_api = "responses"\n/);
    const r = await applyCodexRepair(plan, { executable: CODEX, env: sb.env, cwd: sb.work, codexHome: sb.codexHome });
    assert.ok(r.ok && r.accepted);
    assert.ok(
      chatOnly.requests.some(q => q.method === 'POST' && q.path === '/v1/responses'),
      'the server itself was asked',
    );
  },
);

// ── bad input ──

test(
  'real Codex: a config.toml that is a folder, or not valid TOML, is refused with a clear message and nothing written',
  { skip: SKIP, timeout: 2 * RUN_TIMEOUT_MS },
  async () => {
    const dir = sandbox();
    fs.mkdirSync(cfgPath(dir));
    const d = await cli(['check-codex-config', '--codex', CODEX, '--json', '--apply', '--yes'], dir);
    assert.equal(d.code, 1);
    const dj = JSON.parse(d.out);
    assert.equal(dj.check.rejection.kind, 'not-a-file', 'Codex itself refuses it');
    assert.match(dj.error, /is a folder, not a file.*nothing was changed/i);
    assert.ok(fs.statSync(cfgPath(dir)).isDirectory() && fs.readdirSync(cfgPath(dir)).length === 0);
    assert.equal(backupsExist(dir), false);

    const bad = sandbox();
    const text = 'model = "unterminated\n[model_providers.x]\nwire_api = "chat"\n';
    fs.writeFileSync(cfgPath(bad), text);
    const b = await cli(['check-codex-config', '--codex', CODEX, '--apply', '--yes'], bad);
    assert.equal(b.code, 1);
    assert.match(b.err, /config\.toml is not valid TOML \(line 1, column \d+: .*\).*Nothing was changed/);
    assert.match(b.out, /Codex 0\.169\.0, CODEX_HOME/);
    assert.equal(fs.readFileSync(cfgPath(bad), 'utf8'), text);
    assert.equal(backupsExist(bad), false);
  },
);

test(
  'real Codex: an unreadable config.toml is refused with nothing written (as an unprivileged user: root reads anything)',
  { skip: SKIP, timeout: 2 * RUN_TIMEOUT_MS },
  async () => {
    const sb = sandbox();
    const text = '[model_providers.x]\nname = "x"\nbase_url = "http://127.0.0.1:9/v1"\nwire_api = "chat"\n';
    fs.writeFileSync(cfgPath(sb), text);
    fs.chmodSync(cfgPath(sb), 0o000);
    let code: number | null;
    let out: string;
    if (process.getuid?.() === 0) {
      // Root ignores permission bits, so the CLI runs as "nobody", for whom chmod 000 means what it says.
      for (const d of [sb.root, sb.home, sb.work]) fs.chmodSync(d, 0o777);
      fs.chmodSync(sb.codexHome, 0o777);
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(ROOT, 'src/cli/main.ts'),
          'check-codex-config',
          '--codex-home',
          sb.codexHome,
          '--codex',
          CODEX,
          '--json',
          '--apply',
          '--yes',
        ],
        { cwd: ROOT, env: { ...sb.env, TMPDIR: sb.root }, uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let o = '';
      let e = '';
      child.stdout.on('data', c => {
        o += c;
      });
      child.stderr.on('data', c => {
        e += c;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
      code = await new Promise<number | null>(r => child.on('close', r));
      clearTimeout(timer);
      out = o;
      assert.ok(o.trim().startsWith('{'), `the CLI ran as nobody: ${o}${e}`);
    } else {
      const r = await cli(['check-codex-config', '--codex', CODEX, '--json', '--apply', '--yes'], sb);
      code = r.code;
      out = r.out;
    }
    const report = JSON.parse(out);
    assert.equal(code, 1, out);
    assert.match(report.error, /cannot be read \(EACCES\)/);
    fs.chmodSync(cfgPath(sb), 0o600);
    assert.equal(fs.readFileSync(cfgPath(sb), 'utf8'), text);
    assert.equal(backupsExist(sb), false);
  },
);

test(
  "real Codex: a config.toml changed between preview and apply is refused, the other program's edit kept, nothing written",
  { skip: SKIP, timeout: 2 * RUN_TIMEOUT_MS },
  async () => {
    const sb = sandbox();
    fs.writeFileSync(cfgPath(sb), 'model = "m"\ncustom_model = "m"\n');
    const plan = await planCodexRepair({ executable: CODEX, env: sb.env, cwd: sb.work, codexHome: sb.codexHome, codexVersion: '0.169.0' });
    assert.ok(plan.ok && plan.changes.length === 1 && plan.outcome.kind === 'accepted');
    fs.appendFileSync(cfgPath(sb), '# saved by an editor meanwhile\n');
    const r = await applyCodexRepair(plan, { executable: CODEX, env: sb.env, cwd: sb.work, codexHome: sb.codexHome });
    assert.ok(!r.ok);
    assert.match(r.error, /changed on disk since it was read.*Nothing was written/);
    assert.equal(fs.readFileSync(cfgPath(sb), 'utf8'), 'model = "m"\ncustom_model = "m"\n# saved by an editor meanwhile\n');
    assert.equal(backupsExist(sb), false);
  },
);

// ── profiles ──

test(
  'real Codex: codex-profile never reports success over a config.toml Codex rejects; it offers the repair and writes nothing',
  { skip: SKIP, timeout: 3 * RUN_TIMEOUT_MS },
  async () => {
    const sb = sandbox();
    const server = await serve('vllm', { overrides: [noResponsesApi('vllm')] });
    const text = fs.readFileSync(path.join(GUIDES, 'vllm-guide.toml'), 'utf8').split('127.0.0.1:8000').join(`127.0.0.1:${server.port}`);
    fs.writeFileSync(cfgPath(sb), text);
    const args = [
      'codex-profile',
      '--name',
      'lmr-vllm',
      '--provider-id',
      'local-vllm',
      '--base-url',
      'http://127.0.0.1:8000/v1',
      '--model',
      'm',
      '--codex',
      CODEX,
    ];
    const w = await cli([...args, '--json'], sb);
    assert.equal(w.code, 1, w.out);
    const report = JSON.parse(w.out);
    assert.equal(report.ok, false);
    assert.equal(report.configCheck.kind, 'rejected');
    assert.equal(report.configCheck.rejection.kind, 'wire-api-chat');
    assert.deepEqual(report.configCheck.repair.outcome, { kind: 'accepted' });
    assert.equal(report.configCheck.repair.files.length, 1);
    assert.match(report.configCheck.command, /check-codex-config --codex-home .* --apply/);
    assert.equal(report.validation, null);
    assert.ok(!fs.existsSync(path.join(sb.codexHome, 'lmr-vllm.config.toml')), 'no profile written');
    assert.equal(fs.readFileSync(cfgPath(sb), 'utf8'), text);
    const human = await cli(args, sb);
    assert.equal(human.code, 1);
    assert.match(
      human.err,
      /rejects .*config\.toml, which every profile is loaded over, so lmr-vllm could never load\. Nothing was written\./,
    );
    assert.doesNotMatch(human.out, /^Written\./m);
  },
);

test(
  'real Codex: a legacy profile = "x" that the profile write itself removes does not block writing profile x',
  { skip: SKIP, timeout: 3 * RUN_TIMEOUT_MS },
  async () => {
    const sb = sandbox();
    const server = await serve('llamacpp', { models: [{ id: 'local/model', contextWindow: 32768 }] });
    fs.writeFileSync(cfgPath(sb), '# mine\nprofile = "lmr-x"\n\n[profiles.lmr-x]\nmodel = "old"\n');
    assert.equal((await checkCodexConfig({ executable: CODEX, env: sb.env, cwd: sb.work, codexHome: sb.codexHome })).kind, 'rejected');
    const w = await cli(
      [
        'codex-profile',
        '--name',
        'lmr-x',
        '--provider-id',
        'local-llamacpp',
        '--base-url',
        server.baseUrl,
        '--model',
        'local/model',
        '--codex',
        CODEX,
        '--json',
      ],
      sb,
    );
    assert.equal(w.code, 0, w.out + w.err);
    const report = JSON.parse(w.out);
    assert.equal(report.configCheck.kind, 'accepted', 'config.toml as the write leaves it passes');
    assert.deepEqual(report.validation, { kind: 'accepted' });
    assert.equal(fs.readFileSync(cfgPath(sb), 'utf8'), '# mine\n\n');
  },
);

test(
  'real Codex: --profile: a missing profile file is reported (Codex would silently fall back to OpenAI); a legacy [profiles.x] is moved so -p x loads',
  { skip: SKIP, timeout: 3 * RUN_TIMEOUT_MS },
  async () => {
    const sb = sandbox();
    fs.writeFileSync(cfgPath(sb), 'model = "m"\n');
    const missing = await cli(['check-codex-config', '--codex', CODEX, '--profile', 'nope', '--json'], sb);
    assert.equal(missing.code, 1);
    assert.equal(JSON.parse(missing.out).check.kind, 'profile-missing');
    assert.match(JSON.parse(missing.out).error, /nope\.config\.toml does not exist/);

    fs.writeFileSync(cfgPath(sb), 'model = "m"\n\n[profiles.fast]\nmodel = "small"\nmodel_reasoning_effort = "low"\n');
    const legacy = await cli(['check-codex-config', '--codex', CODEX, '--profile', 'fast', '--json', '--apply', '--yes'], sb);
    assert.equal(legacy.code, 0, legacy.out);
    const report = JSON.parse(legacy.out);
    assert.equal(report.check.rejection.kind, 'legacy-profile-conflict');
    assert.equal(report.findings[0].repair.kind, 'move-legacy-profiles');
    assert.deepEqual(
      report.applied.checks.map((c: { profile: string | null; kind: string }) => [c.profile, c.kind]),
      [['fast', 'accepted']],
    );
    assert.match(fs.readFileSync(path.join(sb.codexHome, 'fast.config.toml'), 'utf8'), /model = "small"\nmodel_reasoning_effort = "low"/);
  },
);

test(
  'real Codex: a rejection without a mechanical repair is shown verbatim, nothing is guessed, and the plan stops there',
  { skip: SKIP, timeout: 2 * RUN_TIMEOUT_MS },
  async () => {
    const sb = sandbox();
    fs.writeFileSync(cfgPath(sb), 'model_context_window = "32768"\napproval_policy = "auto"\n');
    const plan = await planCodexRepair({ executable: CODEX, env: sb.env, cwd: sb.work, codexHome: sb.codexHome, codexVersion: '0.169.0' });
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.findings.map(f => [f.rejection.kind, f.repair?.kind ?? null, f.onCopy]),
      [
        ['invalid-type', 'fix-type', false],
        ['invalid-value', null, true],
      ],
    );
    assert.match(
      plan.findings[1].rejection.text,
      /unknown variant `auto`, expected one of `untrusted`, `on-failure`, `on-request`, `granular`, `never`/,
    );
    assert.match(plan.findings[1].explanation, /"untrusted", "on-failure", "on-request", "granular", "never".*nothing is changed/);
    assert.equal(plan.outcome.kind, 'stuck');
    assert.match(plan.notes.join(' '), /one error at a time/);
    assert.equal(plan.changes.length, 1, 'the repairable part is still offered');
    assert.doesNotMatch(
      plan.changes[0].after,
      /approval_policy = "(untrusted|on-failure|on-request|never)"/,
      'no value was picked for the user',
    );

    const other = sandbox();
    const text = 'model_instructions_file = "missing.md"\n';
    fs.writeFileSync(cfgPath(other), text);
    const r = await cli(['check-codex-config', '--codex', CODEX, '--json', '--apply', '--yes'], other);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.out);
    assert.equal(report.findings[0].rejection.kind, 'unknown');
    assert.match(
      report.findings[0].rejection.text,
      /^Error: failed to read model instructions file .*missing\.md: No such file or directory/,
    );
    assert.equal(report.findings[0].repair, null);
    assert.match(report.error, /nothing mechanical to write/);
    assert.equal(fs.readFileSync(cfgPath(other), 'utf8'), text);
    assert.equal(backupsExist(other), false);
  },
);

test(
  'real Codex: a repair that cannot be finished leaves none of its edits in the plan',
  { skip: SKIP, timeout: 2 * RUN_TIMEOUT_MS },
  async () => {
    const sb = sandbox();
    const down = await serve('vllm');
    await down.close();
    // The provider can be commented out, but the legacy profile selecting it sits in an inline table (one line cannot be half a comment).
    const text = `model = "m"\nprofiles = { fast = { model_provider = "old", model = "m" } }\n\n[model_providers.old]\nname = "old"\nbase_url = "${down.baseUrl}"\nwire_api = "chat"\n`;
    fs.writeFileSync(cfgPath(sb), text);
    const plan = await planCodexRepair({ executable: CODEX, env: sb.env, cwd: sb.work, codexHome: sb.codexHome, codexVersion: '0.169.0' });
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.findings.map(f => [f.rejection.kind, f.repair]),
      [['wire-api-chat', null]],
    );
    assert.match(plan.findings[0].explanation, /could not be shown to speak the Responses API.*inline table/s);
    assert.deepEqual(plan.changes, [], 'the provider table is not left commented out with its selector still in place');
    assert.equal(plan.outcome.kind, 'stuck');
  },
);

test(
  'real Codex: the repaired copy is checked with CODEX_HOME-relative paths still resolving (an instructions file beside config.toml)',
  { skip: SKIP, timeout: 2 * RUN_TIMEOUT_MS },
  async () => {
    const sb = sandbox();
    fs.writeFileSync(path.join(sb.codexHome, 'instructions.md'), 'Be brief.\n');
    fs.writeFileSync(cfgPath(sb), 'model_instructions_file = "instructions.md"\ncustom_model = "m"\n');
    const scratches = () =>
      fs
        .readdirSync(os.tmpdir())
        .filter(n => n.startsWith('lmr-codex-check-'))
        .sort();
    const before = scratches();
    const plan = await planCodexRepair({ executable: CODEX, env: sb.env, cwd: sb.work, codexHome: sb.codexHome, codexVersion: '0.169.0' });
    assert.ok(plan.ok);
    assert.deepEqual(
      plan.findings.map(f => f.repair?.kind),
      ['comment-out'],
    );
    assert.deepEqual(plan.outcome, { kind: 'accepted' }, 'instructions.md was found from the scratch copy');
    assert.deepEqual(scratches(), before, 'no scratch CODEX_HOME left behind');
  },
);
