// Writing an agent's settings as a person does it. A route whose verification failed, or whose
// context is too small for the agent, is named in a question before anything is written. The diffs
// shown before a write keep Apply in their title bar after the notification that asked has gone into
// the notification centre, so reading them takes as long as it takes.
import * as assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startScriptedServer, type ScriptedServer } from '../support/scripted-server';
import type { UiFileSetup, UiHarness } from './harness';

interface Data {
  llama: ScriptedServer;
}

export async function setup(): Promise<UiFileSetup<Data>> {
  // chatml: no tool support (Codex's tool call fails); 16,384 tokens: enough for Codex, not for Claude Code.
  const llama = await startScriptedServer({ kind: 'llamacpp', template: 'chatml', models: [{ id: 'local/model', contextWindow: 16384 }] });
  return {
    settings: {
      'localModelRouter.llamacpp.baseUrl': llama.baseUrl,
      'localModelRouter.discovery.refreshIntervalSeconds': 0,
      'localModelRouter.discovery.probeLlamaServerDefaultPort': false,
      'localModelRouter.verify.agents': ['codex'],
      'localModelRouter.claude.settingsScope': 'project',
      'localModelRouter.codex.profileName': 'local-llamacpp',
    },
    data: { llama },
    cleanup: () => llama.close(),
  };
}

const dialog = (h: UiHarness) => h.page.locator('.monaco-dialog-box');

async function pickTheModel(h: UiHarness): Promise<void> {
  await h.statusBarItem('Local Model Router').waitFor({ state: 'visible', timeout: 60_000 });
  await h.runCommand('Local Model Router: Pick Local Model…');
  await h.pickRow(/local\/model/);
  await h.statusBarItem(/^Local Model Router: .*local\/model/).waitFor({ state: 'visible', timeout: 20_000 });
}

export async function writingACodexProfileAfterAFailedVerificationAsksFirst(h: UiHarness<Data>): Promise<void> {
  await pickTheModel(h);
  await h.runCommand('Local Model Router: Verify Route');
  await h.page.locator('.tab', { hasText: 'Verify: local/model' }).first().waitFor({ state: 'visible', timeout: 60_000 });
  await h.runCommand('Local Model Router: Write Codex Profile…');
  await dialog(h).waitFor({ state: 'visible' });
  const text = (await dialog(h).innerText()).replace(/\s+/g, ' ');
  assert.match(text, /The last verification of this route for Codex failed at tool-call \(template-no-tools\)/);
  assert.match(text, /Write Anyway/);
  await h.screenshot('write-after-failed-verification');
  await dialog(h).getByRole('button', { name: 'Cancel' }).click();
  await dialog(h).waitFor({ state: 'hidden' });
  const codexHome = join(h.home, '.codex');
  const written = existsSync(codexHome) ? readdirSync(codexHome).filter(f => f.endsWith('.config.toml') && f !== 'config.toml') : [];
  assert.deepEqual(written, [], 'no profile was written after Cancel');
}

export async function claudeSettingsForATooSmallContextAskFirstAndApplyStaysInTheDiffTitle(h: UiHarness<Data>): Promise<void> {
  await h.runCommand('Local Model Router: Write Claude Code Settings…');
  await dialog(h).waitFor({ state: 'visible' });
  assert.match((await dialog(h).innerText()).replace(/\s+/g, ' '), /16,384 tokens, too small for Claude Code, which needs 32,768/);
  await dialog(h).getByRole('button', { name: 'Write Anyway' }).click();
  // The diff and the question beside it; the question moves into the notification centre after a while.
  await h.page.locator('.tab', { hasText: 'settings.local.json' }).first().waitFor({ state: 'visible' });
  await h.waitForNotification(/Write Claude Code settings to/);
  await h.page
    .locator('.notifications-toasts .notification-toast', { hasText: 'Write Claude Code settings to' })
    .waitFor({ state: 'hidden', timeout: 40_000 });
  const apply = h.page.locator('.editor-actions [aria-label^="Apply These Changes"]').first();
  await apply.waitFor({ state: 'visible' });
  await h.screenshot('apply-in-diff-title', { readme: true });
  await apply.click();
  const file = join(h.workspace, '.claude/settings.local.json');
  const end = Date.now() + 10_000;
  while (!existsSync(file)) {
    if (Date.now() > end) throw new Error(`Apply in the title bar did not write ${file}`);
    await h.page.waitForTimeout(100);
  }
  const env = (JSON.parse(readFileSync(file, 'utf8')) as { env: Record<string, string> }).env;
  assert.equal(env.ANTHROPIC_DEFAULT_SONNET_MODEL, 'local/model');
  // A project's backup is kept with Claude Code's own files, and the message says where.
  const done = await h.waitForNotification(/Claude Code in this project now uses local\/model/);
  assert.ok(done.includes(join(h.home, '.claude/.local-model-router-backups')), done);
  // The diff closes once decided.
  await h.page.locator('.tab', { hasText: 'settings.local.json' }).first().waitFor({ state: 'hidden' });
}
