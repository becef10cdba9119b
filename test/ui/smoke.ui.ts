// The first thing a person sees: the status-bar item, and the picker it opens.
import * as assert from 'node:assert/strict';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import type { UiFileSetup, UiHarness } from './harness';

interface Data {
  ollama: ScriptedServer;
}
const MODEL = 'qwen3-coder:30b';

export async function setup(): Promise<UiFileSetup<Data>> {
  const ollama = await startScriptedServer({
    kind: 'ollama',
    models: [{ id: MODEL, contextWindow: 65536, capabilities: ['completion', 'tools'] }],
  });
  return {
    settings: { 'localModelRouter.ollama.baseUrl': ollama.baseUrl },
    data: { ollama },
    cleanup: () => ollama.close(),
  };
}

export async function statusBarItemIsVisibleWithItsName(h: UiHarness<Data>): Promise<void> {
  const item = h.statusBarItem('Local Model Router');
  await item.waitFor({ state: 'visible', timeout: 60_000 });
  assert.match((await item.getAttribute('aria-label')) ?? '', /^Local Model Router: /);
  assert.ok((await item.innerText()).trim().length > 0, 'the item shows no text');
  await h.screenshot('status-bar', { readme: true });
}

export async function clickingTheItemOpensThePicker(h: UiHarness<Data>): Promise<void> {
  await h.statusBarItem('Local Model Router').click();
  await h.quickInput().waitFor({ state: 'visible' });
  assert.match(await h.quickInput().locator('.quick-input-title').innerText(), /Local Model Router/);
  // Discovery finds the scripted Ollama server from the setting; its model becomes a row.
  const rows = await waitForRow(h, new RegExp(escapeRe(MODEL)));
  assert.ok(
    rows.some(r => r.includes(h.data.ollama.baseUrl)),
    `no row names ${h.data.ollama.baseUrl}: ${JSON.stringify(rows)}`,
  );
  await h.screenshot('picker', { readme: true });
  // The actions come last, below the fold of a long list: a person types to find one.
  await h.quickInput().locator('input').fill('Refresh');
  const filtered = await waitForRow(h, /^Refresh/);
  assert.ok(
    filtered.some(r => /^Refresh/.test(r)),
    `no Refresh action: ${JSON.stringify(filtered)}`,
  );
}

export async function openCodexWithoutAModelSaysToPickOne(h: UiHarness<Data>): Promise<void> {
  await h.runCommand('Local Model Router: Open Codex on This Route');
  const text = await h.waitForNotification(/No local model is chosen yet/);
  assert.match(text, /Pick a Model/);
}

export async function aModelPickedFromThePaletteReachesNewTerminals(h: UiHarness<Data>): Promise<void> {
  await h.runCommand('Local Model Router: Pick Local Model…');
  await waitForRow(h, new RegExp(escapeRe(MODEL)));
  // The model's own row, not the recommendation row above it, whose detail can name the same model
  // (the heaviest installed one, when free memory allows: it depends on the machine's load).
  await h.pickRow(new RegExp(`^\\s*${escapeRe(MODEL)}`));
  // The item's accessible name now names the model.
  await h.statusBarItem(new RegExp(`^Local Model Router: .*${escapeRe(MODEL)}`)).waitFor({ state: 'visible', timeout: 20_000 });

  await h.runCommand('Terminal: Create New Terminal');
  await h.waitForTerminalText(/\S/);
  await h.page.keyboard.type('echo "route=$LOCAL_LLM_MODEL@$LOCAL_LLM_BASE_URL"');
  await h.page.keyboard.press('Enter');
  await h.waitForTerminalText(new RegExp(`^route=${escapeRe(MODEL)}@${escapeRe(h.data.ollama.baseUrl)}`, 'm'));
  await h.screenshot('terminal-routed', { readme: true });
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

async function waitForRow(h: UiHarness, re: RegExp, timeoutMs = 20_000): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  let rows: string[] = [];
  while (Date.now() < end) {
    rows = await h.quickPickRows();
    if (rows.some(r => re.test(r))) return rows;
    await h.page.waitForTimeout(200);
  }
  throw new Error(`no picker row matches ${re}; rows: ${JSON.stringify(rows)}`);
}
