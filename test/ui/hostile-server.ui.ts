// A hostile server, as the workbench really renders it: its model id and its error bodies carry a
// window-title escape (ESC ] 0 ; … BEL), a clear-screen (ESC [ 2 J), colour codes, a carriage return
// followed by a fake "all checks passed", a right-to-left override, a C1 control and HTML
// (<img onerror>). Shown in the picker, a notification, the status bar and its tooltip, and the
// verification report (a webview), none of it may reach the page raw: every control and bidi
// character is shown as a \uXXXX escape, and the HTML is text, never an element.
import * as assert from 'node:assert/strict';
import type { Frame, Locator } from 'playwright-core';
import { sendJson, startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import type { UiFileSetup, UiHarness } from './harness';

const HOSTILE =
  'evil\u001b]0;pwned\u0007\u001b[2J\u001b[31mred\u001b[0m\r✔ all checks passed \u202egnp.exe\u009b31m<img src=x onerror=alert(1)>';
/** What the page shows for the start of the id. */
const SHOWN = 'evil\\u001b]0;pwned\\u0007\\u001b[2J';
// eslint-disable-next-line no-control-regex -- what must never be on the page
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]|\r(?!\n)/;

interface Data {
  good: ScriptedServer;
  broken: ScriptedServer;
}

export async function setup(): Promise<UiFileSetup<Data>> {
  const failing = (onlyAfterProbe: boolean) => [
    (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, body: string) => {
      if (req.method !== 'POST') return false;
      // The switch's one-token probe passes on the good server; everything after it fails.
      if (onlyAfterProbe && (JSON.parse(body || '{}') as { max_output_tokens?: number }).max_output_tokens === 1) return false;
      sendJson(res, 500, { error: { message: `bad things happened: ${HOSTILE}`, type: 'server_error' } });
      return true;
    },
  ];
  const good = await startScriptedServer({ kind: 'generic', models: [{ id: HOSTILE, contextWindow: 65536 }], overrides: failing(true) });
  const broken = await startScriptedServer({ kind: 'generic', models: [{ id: HOSTILE }], overrides: failing(false) });
  const closed = 'http://127.0.0.1:9';
  return {
    settings: {
      'localModelRouter.discovery.refreshIntervalSeconds': 0,
      'localModelRouter.discovery.probeLlamaServerDefaultPort': false,
      'localModelRouter.ollama.baseUrl': closed,
      'localModelRouter.lmstudio.baseUrl': closed,
      'localModelRouter.vllm.baseUrl': closed,
      'localModelRouter.llamacpp.baseUrl': closed,
      'localModelRouter.openaiCompatible.endpoints': [
        { label: 'Hostile box', baseUrl: good.baseUrl },
        { label: 'Broken box', baseUrl: broken.baseUrl },
      ],
      'localModelRouter.verify.skipStages': ['chat-completions', 'codex-shape', 'multi-turn', 'tool-types'],
    },
    data: { good, broken },
    cleanup: async () => {
      await Promise.all([good.close(), broken.close()]);
    },
  };
}

/** Text and markup of an element as rendered: no raw control or bidi character, no element made from the server's HTML. */
async function assertClean(where: string, root: Locator): Promise<string> {
  const text = await root.innerText();
  const html = await root.innerHTML();
  assert.doesNotMatch(text, RAW, `${where}: a raw control or bidi character is on the page`);
  assert.doesNotMatch(html, RAW, `${where}: a raw control or bidi character is in the markup`);
  assert.equal(await root.locator('img').count(), 0, `${where}: the server's <img> became an element`);
  assert.doesNotMatch(html, /<img/i, `${where}: the server's HTML is in the markup unescaped`);
  return text;
}

async function openPicker(h: UiHarness<Data>): Promise<string[]> {
  // Discovery has run (the item says what it found) before the picker is asked for.
  await h
    .statusBarItem(/^Local Model Router: /)
    .first()
    .waitFor({ state: 'visible', timeout: 60_000 });
  await h.runCommand('Local Model Router: Pick Local Model…');
  return h.quickPickRows({ atLeast: 4 });
}

export async function thePickerShowsTheModelIdEscaped(h: UiHarness<Data>): Promise<void> {
  const rows = await openPicker(h);
  const text = await assertClean('picker', h.quickInput());
  assert.ok(text.includes(SHOWN), `the picker shows the id escaped:\n${text}`);
  assert.ok(
    rows.every(r => !RAW.test(r)),
    'nor in what a screen reader is given',
  );
  await h.screenshot('hostile-picker');
  await h.dismiss();
}

export async function aFailedSwitchSaysWhyWithTheErrorBodyEscaped(h: UiHarness<Data>): Promise<void> {
  await openPicker(h);
  await h.pickRow(h.data.broken.baseUrl);
  const toast = await h.waitForNotification(/Kept the current route/);
  assert.doesNotMatch(toast, RAW);
  const shown = h.page.locator('.notifications-toasts .notification-toast', { hasText: 'Kept the current route' }).first();
  const text = await assertClean('notification', shown);
  assert.ok(text.includes('\\u001b[2J') || text.includes('\\u001b]0;pwned'), `the notification shows the server's words escaped:\n${text}`);
  await h.screenshot('hostile-notification');
  await h.clearNotifications();
}

export async function theStatusBarAndItsTooltipShowTheRouteEscaped(h: UiHarness<Data>): Promise<void> {
  await openPicker(h);
  await h.pickRow(h.data.good.baseUrl);
  const item = h.statusBarItem(/^Local Model Router: Hostile box/);
  await item.waitFor({ state: 'visible', timeout: 20_000 });
  const label = (await item.getAttribute('aria-label')) ?? '';
  assert.doesNotMatch(label, RAW);
  assert.ok(label.includes('\\u001b'), label);
  await assertClean('status bar item', item);
  await item.hover();
  const hover = h.page.locator('.monaco-hover:visible, .workbench-hover:visible').first();
  await hover.waitFor({ state: 'visible', timeout: 10_000 });
  const tip = await assertClean('tooltip', hover);
  assert.ok(tip.includes(SHOWN), `the tooltip shows the id escaped:\n${tip}`);
  assert.equal(
    await hover
      .locator('a[href*="command:"]')
      .filter({ hasText: /all checks passed|pwned/ })
      .count(),
    0,
    'no link made from the id',
  );
  await h.screenshot('hostile-tooltip');
  await h.page.mouse.move(700, 300);
  await h.page.keyboard.press('Escape');
}

export async function theVerificationReportShowsItAsText(h: UiHarness<Data>): Promise<void> {
  await h.runCommand('Local Model Router: Verify Route');
  const end = Date.now() + 60_000;
  let report: Frame | undefined;
  while (!report && Date.now() < end) {
    for (const f of h.page.frames().filter(x => x !== h.page.mainFrame()))
      if (
        (await f
          .locator('button[data-action="rerun"]')
          .count()
          .catch(() => 0)) > 0
      )
        report = f;
    if (!report) await new Promise(r => setTimeout(r, 250));
  }
  assert.ok(report, 'the report webview opened');
  const text = await assertClean('report', report.locator('body'));
  assert.ok(text.includes(SHOWN), `the report shows the id escaped:\n${text.slice(0, 2000)}`);
  assert.ok(text.includes('<img src=x onerror=alert(1)>'), 'the HTML is shown as text');
  assert.match(text, /bad things happened/, "the server's error body is in the report");
  await h.screenshot('hostile-report');
}
