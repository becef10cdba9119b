// Notifications and dialogs, with every text through the one sanitizer (core/text/sanitize.ts): a
// message often carries a server's words (an error body, a model id) or a file's (a path, a TOML
// line). The only place the extension calls window.show*Message (lint rule in eslint.config.mjs).
import * as vscode from 'vscode';
import { displayText, DISPLAY_LIMITS } from '../core/text/sanitize';

type Item = string | vscode.MessageItem;
type Show = typeof vscode.window.showInformationMessage;

const text = (s: string) => displayText(s, { max: DISPLAY_LIMITS.block });

function clean<T extends Item>(item: T): T {
  if (typeof item === 'string') return displayText(item, { singleLine: true }) as T;
  const m = item as vscode.MessageItem;
  return { ...m, title: displayText(m.title, { singleLine: true }) } as T;
}

function wrap(show: Show) {
  function shown<T extends Item>(message: string, ...items: T[]): Thenable<T | undefined>;
  function shown<T extends Item>(message: string, options: vscode.MessageOptions, ...items: T[]): Thenable<T | undefined>;
  function shown<T extends Item>(message: string, ...rest: (T | vscode.MessageOptions)[]): Thenable<T | undefined> {
    const [first, ...others] = rest;
    const isOptions = first !== undefined && typeof first === 'object' && !('title' in first);
    const items = (isOptions ? others : rest) as T[];
    const map = new Map(items.map(i => [clean(i), i] as const));
    const args: unknown[] = [text(message)];
    if (isOptions) {
      const o = first as vscode.MessageOptions;
      args.push({ ...o, ...(o.detail !== undefined ? { detail: text(o.detail) } : {}) });
    }
    args.push(...map.keys());
    // The caller compares the answer with the items it passed: map the cleaned one back.
    return (show as (...a: unknown[]) => Thenable<T | undefined>)(...args).then(picked =>
      picked === undefined ? undefined : map.get(picked),
    );
  }
  return shown;
}

export const showInfo = wrap((...a: Parameters<Show>) => vscode.window.showInformationMessage(...a));
export const showWarning = wrap((...a: Parameters<Show>) => vscode.window.showWarningMessage(...a));
export const showError = wrap((...a: Parameters<Show>) => vscode.window.showErrorMessage(...a));
