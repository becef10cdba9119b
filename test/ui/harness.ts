// The UI harness: a plain code-server (the real VS Code workbench, no smoke-test flag, so toasts and
// dialogs behave as for a person) with the packaged .vsix installed in a fresh extensions dir,
// driven through headless chromium with playwright-core. Test files (test/ui/*.ui.ts) get a
// UiHarness; test/ui/run.ts starts one host per file.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import * as lib from '../host/lib.mjs';

export const RESULTS_DIR = join(lib.ROOT, 'test-results/ui');
export const README_SHOTS_DIR = join(lib.ROOT, 'media/screenshots');

/** What a test file may export as `setup()`: runs before its host starts (e.g. start scripted servers). */
export interface UiFileSetup<T = unknown> {
  /** Settings, e.g. `{ 'localModelRouter.ollama.baseUrl': server.baseUrl }`: each in the file a person's Settings editor puts it in (machine-scoped ones in the remote machine's settings, the rest in the user's). */
  settings?: Record<string, unknown>;
  /**
   * Written into the local User settings.json whatever their scope: a value a person put there by
   * hand (VS Code marks machine-scoped ones "cannot be applied in this window" in code-server).
   */
  userFileSettings?: Record<string, unknown>;
  /** Environment of code-server, hence of the extension host and of terminals. */
  env?: Record<string, string>;
  /** Files written into the workspace folder before it opens (relative path → content). */
  workspaceFiles?: Record<string, string>;
  /** 'untrusted' turns workspace trust on and opens the folder in Restricted Mode. */
  trust?: lib.TrustMode;
  /** Handed to every test of the file as `h.data` (e.g. the scripted servers). */
  data?: T;
  /** Runs after the host is stopped, pass or fail (e.g. close the scripted servers). */
  cleanup?: () => void | Promise<void>;
  /**
   * Serves the workbench itself instead of the harness's code-server (e.g. the README's install
   * command): installs the extension, starts code-server with every process carrying `tag`, and
   * returns the URL to open. `settings`, `env`, `workspaceFiles` and `trust` are then not used.
   */
  serve?: (run: { runDir: string; home: string; tag: string }) => Promise<ServedWorkbench>;
  /** Limit for starting the host, chromium and the workbench (default 120 s). */
  startTimeoutMs?: number;
}

/** A workbench served by a test file's own `serve()`. */
export interface ServedWorkbench {
  /** The URL a person opens, as printed. */
  url: string;
  /** The folder the workbench opens. */
  workspace: string;
  /** code-server's --user-data-dir. */
  userDataDir: string;
  log(): string;
  /** Stops everything it started, pass or fail. */
  stop(): Promise<void>;
}

export interface UiHarness<T = unknown> {
  readonly page: Page;
  readonly data: T;
  /** The workspace folder the workbench opened. */
  readonly workspace: string;
  /** HOME of code-server and its children (CODEX_HOME is `<home>/.codex`). */
  readonly home: string;
  /** code-server's user data: `User/settings.json` (this machine's), `Machine/settings.json` (the Remote tab's). */
  readonly userDataDir: string;
  /** Every process of this host carries it (lib.findTagged). */
  readonly tag: string;
  /** Clicks a button of the notification whose text matches (a toast, else in the notification center). */
  clickNotificationButton(text: RegExp, button: string): Promise<void>;
  /** Runs a command from the F1 palette by its full title, e.g. 'Local Model Router: Refresh Servers'. */
  runCommand(title: string): Promise<void>;
  /** A status-bar item by its accessible name (aria-label), which starts with the item's name. */
  statusBarItem(name: string | RegExp): Locator;
  /** The QuickPick / input box widget. */
  quickInput(): Locator;
  /** Texts of the QuickPick rows on screen (label, description and detail on one line each). */
  quickPickRows(opts?: { atLeast?: number; timeoutMs?: number }): Promise<string[]>;
  /** Accepts the first row whose text matches. */
  pickRow(text: string | RegExp): Promise<void>;
  /** Texts of all notifications (toasts on screen and those in the notification center). */
  notifications(): Promise<string[]>;
  /** Waits until a notification matches and returns its text. */
  waitForNotification(text: RegExp, timeoutMs?: number): Promise<string>;
  /** Text of the active integrated terminal, as xterm renders it to the DOM. */
  terminalText(): Promise<string>;
  /** Waits until the active terminal shows text matching `re` and returns all of it. */
  waitForTerminalText(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Saves test-results/ui/<file>/<name>.png; with `readme: true` and UPDATE_SCREENSHOTS=1 also media/screenshots/<name>.png. */
  screenshot(name: string, opts?: { readme?: boolean }): Promise<string>;
  /** Closes any open QuickPick and the notification center. */
  dismiss(): Promise<void>;
  /** Clears all notifications (the runner does it between tests when toasts are on screen). */
  clearNotifications(): Promise<void>;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Run folders of hosts not yet stopped: removed by the runner when it is interrupted. */
export const activeRunDirs = new Set<string>();

export interface UiHost<T> {
  harness: UiHarness<T>;
  consoleLines: string[];
  codeServerLog(): string;
  stop(): Promise<void>;
}

export async function startUiHost<T>(opts: { vsix: string; file: string; tag: string; setup: UiFileSetup<T> }): Promise<UiHost<T>> {
  const { vsix, file, tag, setup } = opts;
  const runDir = lib.makeRunDir(`ui-${file}`);
  activeRunDirs.add(runDir);
  const userDataDir = join(runDir, 'user-data');
  const extensionsDir = join(runDir, 'extensions');
  const workspace = join(runDir, 'workspace');
  const home = join(runDir, 'home');
  const shotsDir = join(RESULTS_DIR, file);
  rmSync(shotsDir, { recursive: true, force: true }); // no stale FAILED-*.png from an earlier run
  mkdirSync(shotsDir, { recursive: true });
  let context: BrowserContext | undefined;
  let served: ServedWorkbench | undefined;
  const stop = async () => {
    if (context) await Promise.race([context.close().catch(() => undefined), sleep(5000)]);
    if (served) await served.stop();
    lib.sweep(tag, { graceMs: 2000 });
    lib.removeDir(runDir);
    activeRunDirs.delete(runDir);
  };
  try {
    served = setup.serve ? await setup.serve({ runDir, home, tag }) : await serveWithHarness();
    const launched = await lib.launchChromium({ profileDir: join(runDir, 'chromium'), env: lib.isolatedEnv(runDir, tag) });
    context = launched.context;
    const page = launched.page;
    page.setDefaultTimeout(15_000);
    const consoleLines: string[] = [];
    page.on('console', m => consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', e => consoleLines.push(`[pageerror] ${e.message}`));
    await page.goto(served.url, { waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    const harness = createHarness<T>(page, {
      data: setup.data as T,
      workspace: served.workspace,
      home,
      userDataDir: served.userDataDir,
      tag,
      shotsDir,
      file,
    });
    const server = served;
    return { harness, consoleLines, codeServerLog: () => server.log(), stop };
  } catch (e) {
    await stop();
    throw e;
  }

  async function serveWithHarness(): Promise<ServedWorkbench> {
    lib.installVsix(vsix, { runDir, tag, userDataDir, extensionsDir });
    const userFile = lib.writeUserSettings(userDataDir, { trust: setup.trust ?? 'disabled', settings: setup.settings ?? {} });
    if (setup.userFileSettings)
      writeFileSync(userFile, JSON.stringify({ ...JSON.parse(readFileSync(userFile, 'utf8')), ...setup.userFileSettings }, null, 2));
    for (const [rel, content] of Object.entries(setup.workspaceFiles ?? {})) {
      mkdirSync(dirname(join(workspace, rel)), { recursive: true });
      writeFileSync(join(workspace, rel), content);
    }
    const cs = await lib.startCodeServer({
      runDir,
      tag,
      folder: workspace,
      userDataDir,
      extensionsDir,
      trust: setup.trust ?? 'disabled',
      env: setup.env ?? {},
    });
    return {
      url: `${cs.url}/?folder=${encodeURIComponent(workspace)}`,
      workspace,
      userDataDir,
      log: () => cs.log(),
      stop: () => cs.stop(),
    };
  }
}

function createHarness<T>(
  page: Page,
  o: { data: T; workspace: string; home: string; userDataDir: string; tag: string; shotsDir: string; file: string },
): UiHarness<T> {
  // Only the widget on screen: a closed QuickPick keeps its (hidden) rows in the DOM.
  const quickInput = () => page.locator('.quick-input-widget:visible');
  const rows = () => page.locator('.quick-input-widget:visible .monaco-list-row');

  const h: UiHarness<T> = {
    page,
    data: o.data,
    workspace: o.workspace,
    home: o.home,
    userDataDir: o.userDataDir,
    tag: o.tag,

    async runCommand(title) {
      await page.keyboard.press('F1');
      await h.dismiss();
      const input = page.locator('.quick-input-widget:visible .quick-input-box input');
      // A hover left by an earlier click (e.g. the status-bar tooltip) takes the keyboard, and a palette
      // still closing is inert: move the mouse off, close what is open, then F1; retry in case the
      // workbench had no focus yet.
      for (let attempt = 1; ; attempt++) {
        await page.mouse.move(700, 300);
        await page.keyboard.press('Escape');
        await page.keyboard.press('F1');
        try {
          await input.waitFor({ state: 'visible', timeout: 3000 });
          await input.fill('>' + title, { timeout: 3000 });
          break;
        } catch (e) {
          if (attempt === 3) throw e;
          await page
            .locator('.monaco-workbench .part.editor')
            .click({ position: { x: 5, y: 5 } })
            .catch(() => undefined);
        }
      }
      // Click the row whose label is the title: Enter would run whatever fuzzy match ranks first.
      const row = rows()
        .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(title)}$`) }) })
        .first();
      await row.waitFor({ state: 'visible' });
      await row.click();
    },

    statusBarItem(name) {
      const re = typeof name === 'string' ? new RegExp(`^${escapeRe(name)}\\b`) : name;
      return page.locator('.part.statusbar').getByRole('button', { name: re });
    },

    quickInput,

    async quickPickRows({ atLeast = 1, timeoutMs = 15_000 } = {}) {
      await quickInput().waitFor({ state: 'visible', timeout: timeoutMs });
      const end = Date.now() + timeoutMs;
      let texts: string[] = [];
      while (Date.now() < end) {
        // aria-label is "label, description, detail" as a screen reader says it.
        texts = (
          await rows().evaluateAll(els => els.map(e => e.getAttribute('aria-label') || (e as unknown as { innerText: string }).innerText))
        )
          .map(t => t.replace(/\s+/g, ' ').trim())
          .filter(Boolean);
        if (texts.length >= atLeast) break;
        await sleep(100);
      }
      return texts;
    },

    async pickRow(text) {
      // The list is re-rendered when a probe result arrives: a click that lands on a row being
      // replaced is lost. A pick closes the list (or replaces it with the next question), so the same
      // row still on screen two seconds later means the click was lost: click it again.
      const row = () => rows().filter({ hasText: text }).first();
      await row().waitFor({ state: 'visible' });
      // Rows added above it while the click is under way (a recommendation arriving after the models)
      // move it, and the click lands on another row (a CI run pulled a recommended model): the list
      // must have held still for a moment first.
      let before = await rows().allInnerTexts();
      for (const end = Date.now() + 5_000; Date.now() < end;) {
        await page.waitForTimeout(400);
        const now = await rows().allInnerTexts();
        if (JSON.stringify(now) === JSON.stringify(before)) break;
        before = now;
      }
      for (let attempt = 1; ; attempt++) {
        await row().click();
        const gone = await row()
          .waitFor({ state: 'hidden', timeout: 2_000 })
          .then(() => true)
          .catch(() => false);
        if (gone || attempt === 3) return;
      }
    },

    async notifications() {
      const toasts = await page.locator('.notifications-toasts .notification-toast').allInnerTexts();
      await h.runCommand('Notifications: Show Notifications');
      const center = page.locator('.notifications-center .notification-list-item');
      await page
        .locator('.notifications-center')
        .waitFor({ state: 'visible' })
        .catch(() => undefined);
      const listed = await center.allInnerTexts();
      await page.keyboard.press('Escape');
      return [...new Set([...toasts, ...listed].map(t => t.replace(/\s+/g, ' ').trim()).filter(Boolean))];
    },

    async waitForNotification(text, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const toast = (await page.locator('.notifications-toasts .notification-toast').allInnerTexts())
          .map(t => t.replace(/\s+/g, ' ').trim())
          .find(t => text.test(t));
        if (toast) return toast;
        if (Date.now() > end) break;
        await sleep(200);
      }
      const all = await h.notifications();
      const found = all.find(t => text.test(t));
      if (!found) throw new Error(`no notification matches ${text}; notifications: ${JSON.stringify(all)}`);
      return found;
    },

    async clickNotificationButton(text, button) {
      await h.waitForNotification(text);
      const toast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: text }).first();
      if (await toast.isVisible()) return toast.getByRole('button', { name: button }).click();
      await h.runCommand('Notifications: Show Notifications');
      await page
        .locator('.notifications-center .notification-list-item')
        .filter({ hasText: text })
        .first()
        .getByRole('button', { name: button })
        .click();
    },

    async terminalText() {
      const rowsLoc = page.locator('.terminal-wrapper.active .xterm-rows').first();
      if (!(await rowsLoc.count()))
        return (
          (await page
            .locator('.xterm-rows')
            .first()
            .innerText()
            .catch(() => '')) ?? ''
        );
      return rowsLoc.innerText();
    },

    async waitForTerminalText(re, timeoutMs = 30_000) {
      const end = Date.now() + timeoutMs;
      let text = '';
      while (Date.now() < end) {
        text = await h.terminalText().catch(() => '');
        if (re.test(text)) return text;
        await sleep(200);
      }
      throw new Error(`terminal never showed ${re}; it shows:\n${text}`);
    },

    async screenshot(name, { readme = false } = {}) {
      const file = join(o.shotsDir, `${name}.png`);
      await page.screenshot({ path: file });
      if (readme && process.env.UPDATE_SCREENSHOTS === '1') {
        mkdirSync(README_SHOTS_DIR, { recursive: true });
        copyFileSync(file, join(README_SHOTS_DIR, `${name}.png`));
      }
      return file;
    },

    async clearNotifications() {
      await h.runCommand('Notifications: Clear All Notifications');
      await page
        .locator('.notifications-toasts .notification-toast')
        .first()
        .waitFor({ state: 'hidden', timeout: 5000 })
        .catch(() => undefined);
    },

    async dismiss() {
      for (let i = 0; i < 5; i++) {
        const open = (await quickInput().count()) > 0;
        const center = (await page.locator('.notifications-center.visible').count()) > 0;
        if (!open && !center) return;
        // Escape only reaches the widget when it has focus: put it there first.
        if (open)
          await page
            .locator('.quick-input-widget:visible .quick-input-box input')
            .focus()
            .catch(() => undefined);
        await page.keyboard.press('Escape');
        await sleep(150);
      }
      throw new Error('could not close the QuickPick / notification center');
    },
  };
  return h;
}
