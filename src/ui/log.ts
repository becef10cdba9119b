// The log channel, with every line through the one sanitizer: log lines quote servers (error bodies,
// model ids), Codex and files, and a carriage return or a bidi override would make a line read as
// something it is not.
import type * as vscode from 'vscode';
import { displayText, DISPLAY_LIMITS } from '../core/text/sanitize';

const WRITES = new Set(['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine']);

export function sanitizedLog(channel: vscode.LogOutputChannel): vscode.LogOutputChannel {
  return new Proxy(channel, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || !WRITES.has(prop) || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
      return (...args: unknown[]) =>
        (v as (...a: unknown[]) => void).apply(
          target,
          args.map(a => (typeof a === 'string' ? displayText(a, { max: DISPLAY_LIMITS.block }) : a)),
        );
    },
  });
}
