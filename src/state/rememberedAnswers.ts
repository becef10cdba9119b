// The one owner of answers a person gave once and is not asked again: "no" to trusting a folder in
// Codex (per workspace), "no" to oss_provider in a Codex home (per user), and whether the
// walkthrough has been opened for them (per user). Features ask and tell; they never touch
// ExtensionContext storage themselves.
import type * as vscode from 'vscode';
import type { RememberedAnswers } from '../ctx';

const TRUST_DECLINED_KEY = 'localModelRouter.codexTrustDeclined';
const OSS_DECLINED_KEY = 'localModelRouter.codexOssDeclined';
const WALKTHROUGH_OPENED_KEY = 'localModelRouter.walkthroughOpened';

function list(state: vscode.Memento, key: string): string[] {
  const v = state.get<unknown>(key);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

const add = (state: vscode.Memento, key: string, item: string) => state.update(key, [...new Set([...list(state, key), item])]);

export function createRememberedAnswers(o: { workspace: vscode.Memento; global: vscode.Memento }): RememberedAnswers {
  return {
    codexTrustDeclined: folder => list(o.workspace, TRUST_DECLINED_KEY).includes(folder),
    declineCodexTrust: folder => add(o.workspace, TRUST_DECLINED_KEY, folder),
    codexOssDeclined: codexHome => list(o.global, OSS_DECLINED_KEY).includes(codexHome),
    declineCodexOss: codexHome => add(o.global, OSS_DECLINED_KEY, codexHome),
    walkthroughOpened: () => o.global.get<unknown>(WALKTHROUGH_OPENED_KEY) === true,
    markWalkthroughOpened: () => o.global.update(WALKTHROUGH_OPENED_KEY, true),
  };
}
