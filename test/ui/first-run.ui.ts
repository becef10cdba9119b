// The README's first command, as a new user without VS Code meets it: in a fresh copy of the
// repository (its own .vscode-test/try), with no `code` on PATH and nothing in $HOME, `node
// test/host/try.mjs` (what `npm run install-extension` runs) builds the .vsix, installs it into
// code-server and prints a URL. Opened in chromium, the extension must work at once: its status-bar
// item and its walkthrough, nothing to trust or enable first. Ctrl+C stops everything it started,
// and nothing was written to $HOME.
//
// Only the test host is not installed again: LMR_NODE24_DIR and LMR_CODE_SERVER_BIN point the copy
// at this checkout's (test/host/setup.sh would install the same), and node_modules is linked (the
// README's `npm ci`).
import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import * as lib from '../host/lib.mjs';
import type { ServedWorkbench, UiFileSetup, UiHarness } from './harness';

interface Data {
  /** Filled by serve(): the running try-out. */
  run?: { clone: string; home: string; tag: string; child: ChildProcess; output: () => string; chunks: { ms: number; text: string }[] };
}

/** What a clone does not carry: installed or built things, and this checkout's own state. */
const NOT_IN_A_CLONE = new Set(['.git', 'node_modules', '.vscode-test', 'dist', 'out', 'test-results', '.cache']);
const WALKTHROUGH_TITLE = 'Point Codex or Claude Code at a local model';

export async function setup(): Promise<UiFileSetup<Data>> {
  const data: Data = {};
  // Building the .vsix is part of the command: more time than a prepared host needs.
  return { data, serve: run => serveLikeTheReadme(run, data), startTimeoutMs: 240_000 };
}

async function serveLikeTheReadme(run: { runDir: string; home: string; tag: string }, data: Data): Promise<ServedWorkbench> {
  const clone = join(run.runDir, 'clone');
  mkdirSync(clone);
  for (const entry of readdirSync(lib.ROOT)) {
    if (NOT_IN_A_CLONE.has(entry) || entry.endsWith('.vsix')) continue;
    cpSync(join(lib.ROOT, entry), join(clone, entry), { recursive: true });
  }
  symlinkSync(join(lib.ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
  const port = await lib.freePort();
  const child = spawn(process.execPath, [join(clone, 'test/host/try.mjs')], {
    cwd: clone,
    env: newUserEnv(run.home, {
      LMR_TRY_PORT: String(port),
      [lib.TAG_VAR]: run.tag,
      LMR_NODE24_DIR: lib.NODE24_DIR,
      LMR_CODE_SERVER_BIN: lib.CODE_SERVER_BIN,
    }),
    // Its own process group: the test presses "Ctrl+C" on it as a terminal would (SIGINT to the group).
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const t0 = Date.now();
  const chunks: { ms: number; text: string }[] = [];
  const take = (d: Buffer) => {
    output += d;
    chunks.push({ ms: Date.now() - t0, text: String(d) });
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  data.run = { clone, home: run.home, tag: run.tag, child, output: () => output, chunks };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      lib.killGroup(child.pid!, 'SIGINT');
      await exited(child, 15_000);
      lib.killGroup(child.pid!, 'SIGKILL');
    }
    lib.sweep(run.tag, { graceMs: 2000 });
  };
  try {
    const url = await printedUrl(child, () => output, 180_000);
    await untilHealthy(url, 30_000);
    return { url, workspace: clone, userDataDir: join(clone, '.vscode-test/try/user-data'), log: () => output, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The environment of a person who has just cloned the repository: their PATH without `code`, their HOME. */
function newUserEnv(home: string, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // npm_* come from the `npm run test:ui` around this test; XDG_* would move what is written out of HOME.
    if (v === undefined || /^(npm_|XDG_|LMR_|CODE_CLI$|CODEX_HOME$)/i.test(k)) continue;
    env[k] = v;
  }
  const path = (process.env.PATH ?? '').split(delimiter).filter(d => d && !existsSync(join(d, 'code')));
  return { ...env, PATH: path.join(delimiter), HOME: home, ...extra };
}

async function printedUrl(child: ChildProcess, output: () => string, timeoutMs: number): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = /^Open (http:\/\/127\.0\.0\.1:\d+\/\S*)/m.exec(output());
    if (m) return m[1]!;
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the install command exited (${child.exitCode ?? child.signalCode}) without a URL:\n${output()}`);
    if (Date.now() > end) throw new Error(`the install command printed no URL within ${timeoutMs} ms:\n${output()}`);
    await sleep(250);
  }
}

async function untilHealthy(url: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (
    !(await fetch(new URL('/healthz', url)).then(
      r => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > end) throw new Error(`${url} did not answer /healthz within ${timeoutMs} ms`);
    await sleep(200);
  }
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise(res => {
    const timer = setTimeout(() => res(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      res(true);
    });
  });
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function running(h: UiHarness<Data>): NonNullable<Data['run']> {
  assert.ok(h.data.run, 'the install command was not started');
  return h.data.run;
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p, { throwIfNoEntry: false })?.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

export async function theStatusBarItemShowsWithNothingToTrustOrEnable(h: UiHarness<Data>): Promise<void> {
  const item = h.statusBarItem('Local Model Router');
  try {
    await item.waitFor({ state: 'visible', timeout: 60_000 });
  } catch {
    const items = await h.page.locator('.part.statusbar [role=button]').evaluateAll(els => els.map(e => e.getAttribute('aria-label')));
    throw new Error(
      `no "Local Model Router" status-bar item; the status bar shows ${JSON.stringify(items)}, the folder opened is ${await h.page.title()}`,
    );
  }
  assert.match((await item.getAttribute('aria-label')) ?? '', /^Local Model Router: /);
  // Once discovery has run, the item says what it found: nothing here (CI), or servers to pick from.
  await h
    .statusBarItem(/^Local Model Router: (no local server found|\d+ servers? with \d+ models? found)/)
    .waitFor({ state: 'visible', timeout: 30_000 });
  assert.match(await item.innerText(), /No local server|Pick a local model/, `the item: ${await item.innerHTML()}`);
  assert.equal(
    await item.locator('.codicon-circle-slash, .codicon-server-process').count(),
    1,
    `the item shows its icon: ${await item.innerHTML()}`,
  );
  assert.equal(await h.statusBarItem(/^Restricted Mode/).count(), 0, 'the folder opened in Restricted Mode');
  await h.screenshot('first-open');
}

export async function theInstallCommandSaidWhatItDidAtLeastEvery15Seconds(h: UiHarness<Data>): Promise<void> {
  const { chunks } = running(h);
  const ready = chunks.findIndex(c => /^Open http/m.test(c.text));
  assert.ok(ready >= 0, 'the install command printed no URL');
  const gaps = chunks
    .slice(0, ready + 1)
    .map((c, i, all) => ({ after: i ? all[i - 1]!.text.trim().split('\n').pop() : '(start)', ms: c.ms - (i ? all[i - 1]!.ms : 0) }));
  const longest = gaps.reduce((a, b) => (b.ms > a.ms ? b : a));
  assert.ok(longest.ms <= 15_000, `silent for ${longest.ms} ms after "${longest.after}"`);
}

export async function theWalkthroughOpensByItself(h: UiHarness<Data>): Promise<void> {
  try {
    await h.page.getByRole('heading', { name: WALKTHROUGH_TITLE }).first().waitFor({ state: 'visible', timeout: 30_000 });
  } catch {
    const tabs = await h.page.locator('.tabs-container .tab').allInnerTexts();
    throw new Error(`the walkthrough "${WALKTHROUGH_TITLE}" did not open; the editor tabs are ${JSON.stringify(tabs)}`);
  }
  // A step of the walkthrough itself (the Welcome page's card only has the description).
  await h.page.getByText('Find or start a server', { exact: true }).first().waitFor({ state: 'visible' });
  await h.screenshot('walkthrough');
}

// The README's screenshot is not asserted: VS Code's details page loads README images only from
// https URLs (its sanitizer drops relative and data: sources), so a sideloaded .vsix never shows it.
export async function theDetailsPageShowsTheReadmeOpeningWithWhatAUserDoes(h: UiHarness<Data>): Promise<void> {
  await h.runCommand('Extensions: Show Installed Extensions');
  await h.page.locator('.extensions-viewlet .monaco-list-row', { hasText: 'Local Model Router' }).first().click();
  const end = Date.now() + 30_000;
  let readme: string | undefined;
  while (readme === undefined && Date.now() < end) {
    // The README is rendered in a webview: an iframe inside an iframe.
    for (const frame of h.page.frames().filter(f => f !== h.page.mainFrame())) {
      if (
        await frame
          .getByRole('heading', { name: 'Where servers are looked for' })
          .count()
          .catch(() => 0)
      )
        readme = await frame.locator('body').innerText();
    }
    if (readme === undefined) await sleep(250);
  }
  await h.screenshot('details-page');
  assert.ok(readme !== undefined, 'the details page does not show the README');
  // Before "A first session" only what the extension does: the repository's npm commands are not for its users.
  const opening = readme.slice(0, readme.indexOf('A first session'));
  assert.ok(opening.length > 0 && readme.includes('A first session'), readme.slice(0, 500));
  assert.doesNotMatch(opening, /npm (ci|run|test)/);
}

export async function theExtensionSeesTheUsersHome(h: UiHarness<Data>): Promise<void> {
  const { tag, home } = running(h);
  const hosts = lib.findTagged(tag).filter(p => readFileSync(`/proc/${p.pid}/cmdline`, 'latin1').includes('--type=extensionHost'));
  assert.ok(hosts.length > 0, `no extension host among the processes of the run: ${JSON.stringify(lib.findTagged(tag))}`);
  for (const p of hosts) {
    const env = readFileSync(`/proc/${p.pid}/environ`, 'latin1').split('\0');
    assert.ok(
      env.includes(`HOME=${home}`),
      `the extension host's HOME is not the user's (${home}), so it would not find ~/.codex: ${env.find(e => e.startsWith('HOME='))}`,
    );
  }
}

export async function terminalsGetTheUsersEnvironment(h: UiHarness<Data>): Promise<void> {
  const { home, tag } = running(h);
  await h.runCommand('Terminal: Create New Terminal');
  // The try-out's terminals draw on a canvas (unlike the harness's): read the shell's environment instead.
  const end = Date.now() + 20_000;
  // A terminal's shell, not any shell of the run: VS Code's shell-environment resolver and the
  // extension host's `sh -c` children run with code-server's own environment (XDG_* redirected).
  // The pty host gives the terminal's shell TERM_PROGRAM=vscode; those others do not have it.
  let shell: string[] | undefined;
  const seen = new Set<string>();
  while (!shell && Date.now() < end) {
    for (const t of lib.findTagged(tag)) {
      const env = procRead(t.pid, 'comm')
        ?.trim()
        .match(/^(bash|sh|dash|zsh|fish)$/)
        ? procRead(t.pid, 'environ')?.split('\0')
        : undefined;
      if (!env) continue;
      seen.add(t.cmd);
      if (env.includes('TERM_PROGRAM=vscode')) shell = env;
    }
    if (!shell) await sleep(250);
  }
  assert.ok(shell, `no terminal shell among the processes of the run (shells seen: ${JSON.stringify([...seen])})`);
  assert.ok(shell.includes(`HOME=${home}`), `the terminal's HOME is not the user's: ${shell.find(e => e.startsWith('HOME='))}`);
  // This user has no XDG_* set: code-server's redirection into .vscode-test/try must not reach the shell.
  assert.deepEqual(
    shell.filter(e => /^XDG_(DATA|CACHE)_HOME=/.test(e)),
    [],
  );
}

/** A /proc file of a process, or undefined once the process has gone. */
function procRead(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'latin1');
  } catch {
    return undefined;
  }
}

export async function ctrlCStopsEverythingItStarted(h: UiHarness<Data>): Promise<void> {
  const { child, tag, output } = running(h);
  const started = lib.findTagged(tag).filter(p => p.pid !== child.pid && !/chrom/.test(p.cmd));
  assert.ok(
    started.some(p => /code-server/.test(p.cmd)),
    `no code-server among ${JSON.stringify(started)}`,
  );
  lib.killGroup(child.pid!, 'SIGINT');
  assert.ok(await exited(child, 15_000), `the install command did not stop within 15 s of Ctrl+C:\n${output().slice(-2000)}`);
  const left = lib.findTagged(tag).filter(p => !/chrom/.test(p.cmd));
  assert.deepEqual(left, [], 'processes of the install command still run after Ctrl+C');
}

export async function nothingWasWrittenToHome(h: UiHarness<Data>): Promise<void> {
  const { home } = running(h);
  // npm's own logs (`npm run package` inside the script) are npm's, as for every npm command.
  const written = filesUnder(home).filter(f => !f.startsWith('.npm/'));
  assert.deepEqual(written, [], `the install command wrote into $HOME (${home})`);
}
