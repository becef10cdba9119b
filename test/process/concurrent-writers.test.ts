// Ten copies of the CLI (dist/cli.js, real processes) writing one file at once, of each kind that
// writes: codex-profile (one profile), codex-profile --trust-project (config.toml, each its own
// project), check-codex-config --apply (config.toml, the same repair), claude-settings (one settings
// file) and claude-settings --restore; and a round mixing trust and --apply on one config.toml.
// Repeated LMR_RACE_REPEAT times (default 20). What must hold, each time:
//  - the backup sets of the file form one chain: each write's backup holds exactly what the previous
//    write wrote (two writers that both won from the same bytes would fork it), the first starts from
//    the file as it was, the last wrote what the file holds; every backup copy is there and intact;
//  - every run that reports success has its change in a text of that chain (in the final file, for
//    changes nobody else takes out); every run that fails was told it lost (the file changed since it
//    read it, or another writer held it) and its change is in no text.
// check-codex-config runs a stand-in Codex here (a shell script answering with Codex 0.169's words
// from test/fixtures/codex-messages/unknown-field-top.txt): what races is the CLI, not Codex.
// Cost: ≈ 60 CLI processes per round, ≈ 70 s for 20 rounds on 2 cores.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const REPEAT = Number(process.env.LMR_RACE_REPEAT ?? 20);
const N = 10;
const BACKUPS = '.local-model-router-backups';

let root: string;
let fakeCodex: string;
before(() => {
  assert.ok(fs.existsSync(CLI), 'run `npm run build` first');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-race-'));
  fakeCodex = path.join(root, 'codex');
  fs.writeFileSync(
    fakeCodex,
    `#!/bin/sh
case "$1" in
  --version) echo "codex-cli 0.169.0"; exit 0 ;;
  features) exit 0 ;;
  exec)
    f="$CODEX_HOME/config.toml"
    line=$(grep -n '^custom_model_provider' "$f" 2>/dev/null | head -1 | cut -d: -f1)
    if [ -n "$line" ]; then
      printf 'Error loading config.toml:\\n%s:%s:1: unknown configuration field \`custom_model_provider\`\\n  |\\n%s | custom_model_provider = "vllm"\\n  | ^^^^^^^^^^^^^^^^^^^^^\\n' "$f" "$line" "$line" >&2
      exit 1
    fi
    echo 'No prompt provided via stdin.' >&2
    exit 1 ;;
esac
exit 1
`,
    { mode: 0o755 },
  );
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], home: string): Promise<Run> {
  return new Promise(resolve =>
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: home }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    ),
  );
}

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

interface Entry {
  realPath: string;
  existed: boolean;
  backup?: string;
  writtenHash: string;
}
interface Manifest {
  kind?: string;
  files: Entry[];
  restored?: unknown;
  dir: string;
}

function sets(home: string): Manifest[] {
  const dir = path.join(home, BACKUPS);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter(n => fs.existsSync(path.join(dir, n, 'manifest.json')))
    .map(n => ({ ...(JSON.parse(fs.readFileSync(path.join(dir, n, 'manifest.json'), 'utf8')) as Manifest), dir: path.join(dir, n) }));
}

/**
 * The texts the write sets of `file` wrote, in order, starting from `initial` (undefined: absent);
 * fails when they do not form one chain ending in the file's current bytes.
 */
function chain(home: string, file: string, initial: string | undefined, earlier: ReadonlySet<string> = new Set()): string[] {
  const real = fs.realpathSync(file);
  const entries = sets(home)
    .filter(s => (s.kind ?? 'write') === 'write' && !earlier.has(s.dir))
    .flatMap(s => s.files.filter(f => f.realPath === real));
  const before = (e: Entry) => {
    if (!e.existed) return 'absent';
    assert.ok(e.backup && fs.existsSync(e.backup), `backup copy ${e.backup} is there`);
    return sha(fs.readFileSync(e.backup));
  };
  const texts: string[] = [];
  let at = initial === undefined ? 'absent' : sha(initial);
  const left = [...entries];
  while (left.length) {
    const next = left.filter(e => before(e) === at);
    assert.equal(
      next.length,
      1,
      `exactly one write starts from each state (${next.length} did: ${next.length > 1 ? 'a lost update' : 'a broken chain'})`,
    );
    const e = next[0];
    left.splice(left.indexOf(e), 1);
    at = e.writtenHash;
    texts.push(at);
  }
  const now = fs.readFileSync(file);
  if (entries.length) assert.equal(sha(now), at, `${path.basename(file)}: the last write is what the file holds`);
  // The written texts: each write's result is the next one's backup; the last one's is the file.
  const ordered: string[] = [];
  for (const h of texts.slice(0, -1)) {
    const e = entries.find(x => x.existed && x.backup && sha(fs.readFileSync(x.backup)) === h);
    assert.ok(e, 'every written text is kept by the next write');
    ordered.push(fs.readFileSync(e.backup as string, 'utf8'));
  }
  if (entries.length) ordered.push(now.toString('utf8'));
  return ordered;
}

const LOST = /changed on disk since it was read|was created by another program since it was read|is being written by another program/;

function judge(runs: Run[], texts: string[], marker: (i: number) => string, what: string, inFinal = false): number {
  let won = 0;
  runs.forEach((r, i) => {
    const m = marker(i);
    const hits = texts.filter(t => t.includes(m)).length;
    if (r.code === 0) {
      won++;
      if (inFinal) assert.ok(texts.at(-1)?.includes(m), `${what} #${i} reported success: its change is in the final file`);
      else assert.ok(hits >= 1, `${what} #${i} reported success: its change is in a written text`);
    } else {
      assert.match(r.stderr + r.stdout, LOST, `${what} #${i} failed and was told it lost`);
      assert.equal(hits, 0, `${what} #${i} failed: its change is nowhere`);
    }
  });
  assert.ok(won >= 1, `${what}: at least one writer wins`);
  return won;
}

const ROUTE = (model: string) => ['--base-url', 'http://127.0.0.1:8131/v1', '--model', model];
const parallel = (n: number, f: (i: number) => Promise<Run>) => Promise.all(Array.from({ length: n }, (_, i) => f(i)));

test(
  `${N} concurrent writers of each kind on one file, ${REPEAT} rounds: no lost update, every backup intact`,
  { timeout: 20 * 60_000 },
  async () => {
    const wins: Record<string, number> = {};
    const count = (k: string, n: number) => (wins[k] = (wins[k] ?? 0) + n);
    for (let round = 0; round < REPEAT; round++) {
      const dir = path.join(root, `r${round}`);
      const codexHome = path.join(dir, 'codex');
      const home = path.join(dir, 'home');
      fs.mkdirSync(codexHome, { recursive: true });
      fs.mkdirSync(home, { recursive: true });
      const codexArgs = (name: string, model: string) => [
        'codex-profile',
        '--name',
        name,
        '--provider-id',
        'local-x',
        ...ROUTE(model),
        '--codex-version',
        '0.169.0',
        '--codex-home',
        codexHome,
      ];

      // codex-profile: one profile file, ten models.
      const profileRuns = await parallel(N, i => cli(codexArgs('p', `model-${round}-${i}`), home));
      count(
        'codex-profile',
        judge(
          profileRuns,
          chain(codexHome, path.join(codexHome, 'p.config.toml'), undefined),
          i => `model = "model-${round}-${i}"`,
          'codex-profile',
        ),
      );

      // Trust: ten projects added to one config.toml (each run also writes its own profile file).
      const cfg = path.join(codexHome, 'config.toml');
      const initialCfg = 'model = "gpt-5"\ncustom_model_provider = "vllm"\n';
      fs.writeFileSync(cfg, initialCfg);
      const trustRuns = await parallel(N, i => cli([...codexArgs(`t${i}`, 'm'), '--trust-project', path.join(dir, `proj${i}`)], home));
      const afterTrust = chain(codexHome, cfg, initialCfg);
      count(
        'trust',
        judge(trustRuns, afterTrust, i => `[projects."${path.join(dir, `proj${i}`)}"]`, 'trust', true),
      );

      // check-codex-config --apply: the same repair ten times; a run that finds it made has nothing to write.
      const cfgBeforeApply = fs.readFileSync(cfg, 'utf8');
      const applyRuns = await parallel(N, () =>
        cli(['check-codex-config', '--codex-home', codexHome, '--codex', fakeCodex, '--apply', '--yes'], home),
      );
      const afterApply = chain(codexHome, cfg, initialCfg).slice(afterTrust.length);
      assert.ok(afterApply.length <= 1, 'the same repair is written once');
      applyRuns.forEach((r, i) => assert.equal(r.code, 0, `apply #${i}: ${r.stderr}`));
      count('check-codex-config --apply', applyRuns.length);
      const repaired = fs.readFileSync(cfg, 'utf8');
      assert.equal(repaired.match(/^# custom_model_provider = "vllm"$/gm)?.length, 1, 'commented out once');
      assert.ok(repaired.startsWith(cfgBeforeApply.split('custom_model_provider')[0]), 'the trust entries written before stay');

      // A mixed round on config.toml: five trust writers and five repairs of a new unknown key.
      fs.appendFileSync(cfg, 'custom_model_provider = "vllm"\n');
      const mixedStart = fs.readFileSync(cfg, 'utf8');
      const earlier = new Set(sets(codexHome).map(x => x.dir));
      const mixed = await parallel(N, i =>
        i % 2
          ? cli([...codexArgs(`u${i}`, 'm'), '--trust-project', path.join(dir, `mixed${i}`)], home)
          : cli(['check-codex-config', '--codex-home', codexHome, '--codex', fakeCodex, '--apply', '--yes'], home),
      );
      const mixedTexts = chain(codexHome, cfg, mixedStart, earlier);
      const trusts = mixed.map((r, i) => ({ r, i })).filter(x => x.i % 2);
      judge(
        trusts.map(x => x.r),
        mixedTexts,
        k => `[projects."${path.join(dir, `mixed${trusts[k].i}`)}"]`,
        'mixed trust',
        true,
      );
      for (const [i, r] of mixed.entries())
        if (i % 2 === 0)
          assert.ok(r.code === 0 || LOST.test(r.stderr + r.stdout), `mixed apply #${i} succeeded or was told it lost: ${r.stderr}`);
      if (mixed.some((r, i) => i % 2 === 0 && r.code === 0))
        assert.doesNotMatch(fs.readFileSync(cfg, 'utf8'), /^custom_model_provider/m, 'a repair reported done is in the final file');

      // claude-settings: one user settings file, ten models.
      const settings = path.join(home, '.claude', 'settings.json');
      const claudeRuns = await parallel(N, i =>
        cli(['claude-settings', '--scope', 'user', '--home', home, ...ROUTE(`claude-${round}-${i}`)], home),
      );
      const written = chain(path.join(home, '.claude'), settings, undefined);
      count(
        'claude-settings',
        judge(claudeRuns, written, i => `"ANTHROPIC_MODEL": "claude-${round}-${i}"`, 'claude-settings'),
      );

      // claude-settings --restore: ten restores racing over the writes above.
      const restoreRuns = await parallel(N, () => cli(['claude-settings', '--scope', 'user', '--home', home, '--restore'], home));
      const won = restoreRuns.filter(r => r.code === 0).length;
      for (const r of restoreRuns)
        if (r.code !== 0)
          assert.match(
            r.stderr,
            /changed since Local Model Router wrote it|changed on disk since it was read|is being written by another program|No backup/,
          );
      const claudeSets = sets(path.join(home, '.claude'));
      const restoredWrites = claudeSets.filter(s => s.kind === 'write' && s.restored);
      assert.equal(restoredWrites.length, won, 'each successful restore undid one write, no write twice');
      assert.equal(claudeSets.filter(s => s.kind === 'restore').length, won, 'each successful restore kept what it replaced');
      // The file is the text before the oldest write undone (or absent when that was the creation).
      const expected = won ? written.length - won - 1 : written.length - 1;
      if (expected >= 0) assert.equal(fs.readFileSync(settings, 'utf8'), written[expected], 'restores went back one write each');
      else assert.ok(!fs.existsSync(settings) || fs.readFileSync(settings, 'utf8') === '', 'restored to before the first write');
      count('claude --restore', won);
      for (const s of claudeSets) for (const f of s.files) if (f.backup) assert.ok(fs.existsSync(f.backup), 'no backup deleted');
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // Every kind really raced: more than one writer won across the rounds, but not every one every time.
    for (const k of ['codex-profile', 'trust', 'claude-settings'])
      assert.ok(wins[k] < N * REPEAT || REPEAT < 3, `${k}: some runs lost (${wins[k]} won)`);
    console.log(`writers that reported success over ${REPEAT} rounds of ${N}: ${JSON.stringify(wins)}`);
  },
);
