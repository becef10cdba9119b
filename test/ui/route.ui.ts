// The heart of the product as a person sees it: click the status bar, see both local servers and
// their models, pick one, watch the status bar change; a new terminal has the route; a reload keeps it.
import * as assert from 'node:assert/strict';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import type { UiFileSetup, UiHarness } from './harness';

interface Data {
  llama: ScriptedServer;
  ollama: ScriptedServer;
}

export async function setup(): Promise<UiFileSetup<Data>> {
  const llama = await startScriptedServer({ kind: 'llamacpp', models: [{ id: 'local/model', contextWindow: 32768 }] });
  const ollama = await startScriptedServer({
    kind: 'ollama',
    models: [
      { id: 'qwen3-coder:30b', contextWindow: 262144, capabilities: ['completion', 'tools'] },
      { id: 'gemma3:270m', contextWindow: 8192, capabilities: ['completion'] },
    ],
  });
  return {
    settings: {
      'localModelRouter.llamacpp.baseUrl': llama.baseUrl,
      'localModelRouter.ollama.baseUrl': ollama.baseUrl,
      'localModelRouter.discovery.probeLlamaServerDefaultPort': false,
      'localModelRouter.discovery.refreshIntervalSeconds': 0,
    },
    data: { llama, ollama },
    cleanup: async () => {
      await Promise.all([llama.close(), ollama.close()]);
    },
  };
}

async function rowsMatching(h: UiHarness, res: RegExp[], timeoutMs = 20_000): Promise<string[]> {
  const end = Date.now() + timeoutMs;
  let rows: string[] = [];
  while (Date.now() < end) {
    rows = await h.quickPickRows();
    if (res.every(re => rows.some(r => re.test(r)))) return rows;
    await h.page.waitForTimeout(200);
  }
  throw new Error(`picker rows never matched ${res.join(', ')}: ${JSON.stringify(rows)}`);
}

export async function thePickerShowsBothProvidersAndTheirModels(h: UiHarness<Data>): Promise<void> {
  const item = h.statusBarItem('Local Model Router');
  await item.waitFor({ state: 'visible', timeout: 60_000 });
  // Discovery found both servers and nothing is chosen yet: the item asks for a pick.
  await h
    .statusBarItem(/^Local Model Router: 2 servers with 3 models found, no model chosen/)
    .waitFor({ state: 'visible', timeout: 30_000 });
  assert.match(await item.innerText(), /Pick a local model/);
  await item.click();
  const rows = await rowsMatching(h, [
    /llama\.cpp — up · 1 model/,
    /Ollama — up · 2 models/,
    /local\/model/,
    /qwen3-coder:30b/,
    /gemma3:270m/,
  ]);
  assert.ok(
    rows.some(r => /qwen3-coder:30b.*context 262,144 · tools: yes/.test(r)),
    JSON.stringify(rows),
  );
  assert.ok(
    rows.some(r => /gemma3:270m.*too small for Codex/.test(r)),
    JSON.stringify(rows),
  );
  assert.ok(
    rows.some(r => /Add an OpenAI-compatible endpoint/.test(r)),
    JSON.stringify(rows),
  );
  await h.screenshot('picker', { readme: true });
}

export async function pickingAModelChangesTheStatusBar(h: UiHarness<Data>): Promise<void> {
  await h.statusBarItem('Local Model Router').click();
  await rowsMatching(h, [/qwen3-coder:30b/]);
  await h.pickRow(/qwen3-coder:30b/);
  const item = h.statusBarItem(/^Local Model Router: Ollama qwen3-coder:30b/);
  await item.waitFor({ state: 'visible', timeout: 20_000 });
  assert.match(await item.innerText(), /Ollama · qwen3-coder:30b/);
  // The switch was guarded by a one-token request to the chosen server only.
  assert.equal(h.data.ollama.requests.filter(r => r.path === '/v1/responses').length, 1);
  assert.equal(h.data.llama.requests.filter(r => r.path === '/v1/responses').length, 0);
  await h.screenshot('status-bar-route', { readme: true });
}

export async function aNewTerminalHasTheRoutesVariables(h: UiHarness<Data>): Promise<void> {
  await h.runCommand('Terminal: Create New Terminal');
  await h.page.waitForTimeout(1500);
  await h.page.keyboard.type('echo "ROUTE=$LOCAL_LLM_BASE_URL OSS=$CODEX_OSS_BASE_URL MODEL=$LOCAL_LLM_MODEL"');
  await h.page.keyboard.press('Enter');
  const text = await h.waitForTerminalText(/ROUTE=http:\/\/127\.0\.0\.1:\d+\/v1 OSS=\S+ MODEL=\S+/);
  const line = text.split('\n').find(l => l.startsWith('ROUTE=http'));
  assert.equal(line?.trim(), `ROUTE=${h.data.ollama.baseUrl} OSS=${h.data.ollama.baseUrl} MODEL=qwen3-coder:30b`);
  await h.screenshot('terminal-route');
}

export async function theRouteSurvivesAReload(h: UiHarness<Data>): Promise<void> {
  await h.runCommand('Developer: Reload Window');
  await h.page.waitForTimeout(2000);
  const item = h.statusBarItem(/^Local Model Router: Ollama qwen3-coder:30b/);
  await item.waitFor({ state: 'visible', timeout: 60_000 });
  assert.match(await item.innerText(), /Ollama · qwen3-coder:30b/);
}
