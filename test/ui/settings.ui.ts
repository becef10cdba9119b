// The extension's settings where a person looks for them, in a remote window (code-server is one, as
// Remote-SSH, WSL, Dev Containers and Codespaces windows are). The launch settings are machine-scoped:
// VS Code applies them only from the remote machine's settings (the Settings editor's Remote tab).
// A llama-server path typed by hand into the local User settings.json — which VS Code marks "cannot be
// applied in this window" — is not used; the error's Open Settings opens the tab where the setting is
// applied, the setting on screen; what is typed there is what the next Start Server runs. The
// extension's own Open Settings command shows every section.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { freePort } from '../support/ports';
import type { UiFileSetup, UiHarness } from './harness';
import { STAND_IN, standInSettings } from './standIn';

const KEY = 'localModelRouter.llamacpp.executable';

interface Data {
  port: number;
}

export async function setup(): Promise<UiFileSetup<Data>> {
  const port = await freePort();
  return {
    settings: standInSettings(port),
    // Where a person who has not met remote windows puts it: VS Code says it does not apply here.
    userFileSettings: { [KEY]: STAND_IN },
    data: { port },
  };
}

const settingsEditor = (h: UiHarness) => h.page.locator('.settings-editor');
/** The Settings editor's target tabs (User, Remote […], Workspace) and which one is selected. */
async function selectedTab(h: UiHarness): Promise<string> {
  const tab = settingsEditor(h).locator('.settings-tabs-widget .action-label.checked');
  await tab.first().waitFor({ state: 'visible' });
  return (await tab.first().innerText()).trim();
}
/** The row of one setting, found by its id as the Settings editor keeps it. */
function settingRow(h: UiHarness, key: string): Locator {
  return settingsEditor(h).locator(`.setting-item-contents[data-key="${key}"]`);
}
function machineSettings(h: UiHarness): Record<string, unknown> {
  return JSON.parse(readFileSync(join(h.userDataDir, 'Machine/settings.json'), 'utf8')) as Record<string, unknown>;
}

async function startLlamaServer(h: UiHarness): Promise<void> {
  await h.runCommand('Local Model Router: Start Server…');
  await h.pickRow(/^llama\.cpp/);
}

export async function openSettingsOnTheErrorShowsTheSettingOnTheRemoteTab(h: UiHarness<Data>): Promise<void> {
  await h.statusBarItem('Local Model Router').waitFor({ state: 'visible', timeout: 60_000 });
  await startLlamaServer(h);
  const text = await h.waitForNotification(/Cannot start llama\.cpp: "llama-server" is not installed/);
  assert.match(text, /localModelRouter\.llamacpp\.executable/);
  const toast = h.page.locator('.notification-toast', { hasText: 'is not installed' }).first();
  if (!(await toast.isVisible())) await h.runCommand('Notifications: Show Notifications');
  const container = (await toast.isVisible())
    ? toast
    : h.page.locator('.notifications-center .notification-list-item', { hasText: 'is not installed' }).first();
  await container.getByRole('button', { name: 'Open Settings' }).click();
  await settingsEditor(h).waitFor({ state: 'visible' });
  assert.match(await selectedTab(h), /^Remote/);
  const row = settingRow(h, KEY);
  await row.waitFor({ state: 'visible' });
  assert.equal(await settingsEditor(h).locator('.no-results-message:visible').count(), 0, 'the Settings editor says "No Settings Found"');
  await h.screenshot('settings-remote-tab', { readme: true });
}

export async function theValueTypedThereIsWhatStartServerRuns(h: UiHarness<Data>): Promise<void> {
  const input = settingRow(h, KEY).locator('input').first();
  await input.fill(STAND_IN);
  await input.press('Enter');
  const end = Date.now() + 10_000;
  while (machineSettings(h)[KEY] !== STAND_IN) {
    if (Date.now() > end) throw new Error(`Machine/settings.json never got ${KEY}: ${JSON.stringify(machineSettings(h))}`);
    await h.page.waitForTimeout(100);
  }
  await startLlamaServer(h);
  // The terminal shows the command it runs: the program typed in the Remote tab.
  await h.waitForTerminalText(/> \S*\/test\/support\/bin\/stand-in-llama-server -m /);
  const end2 = Date.now() + 30_000;
  while (
    !(await fetch(`http://127.0.0.1:${h.data.port}/health`).then(
      r => r.ok,
      () => false,
    ))
  ) {
    if (Date.now() > end2) throw new Error('the started server never answered');
    await h.page.waitForTimeout(200);
  }
  await h.runCommand('Local Model Router: Stop Server');
  const end3 = Date.now() + 20_000;
  while (
    await fetch(`http://127.0.0.1:${h.data.port}/health`).then(
      () => true,
      () => false,
    )
  ) {
    if (Date.now() > end3) throw new Error('Stop Server did not stop it');
    await h.page.waitForTimeout(200);
  }
}

export async function theOpenSettingsCommandShowsEverySection(h: UiHarness<Data>): Promise<void> {
  await h.runCommand('Local Model Router: Open Settings');
  await settingsEditor(h).waitFor({ state: 'visible' });
  assert.match(await selectedTab(h), /^Remote/);
  const toc = settingsEditor(h).locator('.settings-toc-container .monaco-list-row');
  await toc.first().waitFor({ state: 'visible' });
  const wanted = [
    'llama.cpp',
    'Ollama',
    'LM Studio',
    'vLLM',
    'Codex',
    'Claude Code',
    'Discovery',
    'Verification',
    'Terminals',
    'Starting servers',
  ];
  // The table of contents fills in row by row while the editor lays out: read it until it settles.
  let sections: string[] = [];
  for (const end = Date.now() + 10_000; Date.now() < end; await h.page.waitForTimeout(200)) {
    sections = (await toc.allInnerTexts()).map(t => t.replace(/\s+/g, ' ').trim());
    if (wanted.every(s => sections.some(t => t.startsWith(s)))) break;
  }
  for (const s of wanted)
    assert.ok(
      sections.some(t => t.startsWith(s)),
      `no ${s} section: ${JSON.stringify(sections)}`,
    );
  await h.screenshot('settings', { readme: true });
}
