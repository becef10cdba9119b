// Device files and FIFOs where the CLI expects a file: the bundled dist/cli.js in a child process
// answers at once with what the path is, instead of blocking on a pipe or reading /dev/zero until
// memory runs out. Each run gets a few seconds (the answer takes ~0.2 s); cost ≈ 3 s in all.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const LIMIT_MS = 8_000;
const HAVE_MKFIFO = spawnSync('mkfifo', ['--version']).status === 0;

let root: string;
before(() => {
  assert.ok(fs.existsSync(CLI), 'run `npm run build` first');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-special-'));
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

function cli(args: string[], cwd = root): Promise<{ code: number; stdout: string; stderr: string; ms: number; killed: boolean }> {
  const t0 = Date.now();
  return new Promise(resolve =>
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: root }, cwd, timeout: LIMIT_MS, killSignal: 'SIGKILL', maxBuffer: 1 << 20 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : -1) : 0,
          stdout,
          stderr,
          ms: Date.now() - t0,
          killed: !!err?.killed,
        }),
    ),
  );
}

function fifo(p: string): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  assert.equal(spawnSync('mkfifo', [p]).status, 0);
}

function link(p: string, target: string): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.symlinkSync(target, p);
}

const ROUTE = ['--base-url', 'http://127.0.0.1:8131/v1', '--model', 'm'];

function refusedFast(r: Awaited<ReturnType<typeof cli>>, code: number, what: RegExp): void {
  assert.ok(!r.killed, `still running after ${LIMIT_MS} ms (blocked or reading forever)`);
  assert.equal(r.code, code, r.stdout + r.stderr);
  assert.match(r.stderr, what);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'a message, not a stack trace');
}

test('claude-settings: settings.local.json → /dev/zero is refused as a device', async () => {
  const project = path.join(root, 'p1');
  link(path.join(project, '.claude', 'settings.local.json'), '/dev/zero');
  refusedFast(
    await cli(['claude-settings', '--scope', 'project', '--folder', project, ...ROUTE]),
    1,
    /is a character device, not a regular file/,
  );
});

test(
  'claude-settings: a FIFO as settings.json is refused as a pipe, without waiting for a writer',
  { skip: !HAVE_MKFIFO && 'no mkfifo' },
  async () => {
    const home = path.join(root, 'h1');
    fifo(path.join(home, '.claude', 'settings.json'));
    refusedFast(
      await cli(['claude-settings', '--scope', 'user', '--home', home, ...ROUTE]),
      1,
      /is a named pipe \(FIFO\), not a regular file/,
    );
    refusedFast(await cli(['claude-settings', '--scope', 'user', '--home', home, '--remove']), 1, /named pipe/);
  },
);

test('codex-profile: config.toml → /dev/zero, and --from-verify /dev/zero, are refused', async () => {
  const home = path.join(root, 'codex1');
  link(path.join(home, 'config.toml'), '/dev/zero');
  const base = ['codex-profile', '--name', 'p', '--provider-id', 'local-x', ...ROUTE, '--codex-version', '0.169.0', '--codex-home', home];
  refusedFast(await cli(base), 1, /config\.toml is a character device/);
  refusedFast(await cli([...base, '--from-verify', '/dev/zero']), 2, /--from-verify .*is a character device/);
  assert.deepEqual(fs.readdirSync(home), ['config.toml'], 'nothing written beside it');
});

test(
  'check-codex-config, discover --settings, launch-command --settings: a FIFO is refused, nothing hangs',
  { skip: !HAVE_MKFIFO && 'no mkfifo' },
  async () => {
    const home = path.join(root, 'codex2');
    fifo(path.join(home, 'config.toml'));
    const codex = path.join(__dirname, '..', '..', 'node_modules', '.bin', 'codex');
    if (fs.existsSync(codex))
      refusedFast(await cli(['check-codex-config', '--codex-home', home, '--codex', codex]), 3, /config\.toml is a named pipe/);
    const settings = path.join(root, 'settings-fifo.json');
    fifo(settings);
    refusedFast(await cli(['discover', '--settings', settings, '--timeout-ms', '200']), 2, /--settings: .*named pipe/);
    refusedFast(await cli(['launch-command', '--provider', 'llamacpp', '--settings', settings]), 2, /--settings: .*named pipe/);
    const v = await cli(['verify', '--base-url', 'http://127.0.0.1:9/v1', '--model', 'm', '--codex-home', home, '--timeout-ms', '500']);
    assert.ok(!v.killed, 'verify does not block on a FIFO config.toml');
  },
);
