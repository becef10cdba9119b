// The one sanitizer for text that came from a server or a file (model ids, error bodies, server
// names and versions, template names, log lines, a config file's lines) before it reaches a person:
// a terminal, a notification, the picker, the status bar and its tooltip, the report. Control
// characters (C0 except newline and tab, DEL, C1 — ESC starts every terminal escape sequence, and
// C1 has single-byte forms of them), a carriage return not followed by a newline (it moves the
// cursor back over what was printed), and invisible or direction-changing formatting characters
// (bidi overrides and isolates, zero-width marks) are shown as \uXXXX escapes, so what a person
// reads is what the text holds. \uXXXX is also a JSON escape, so JSON output stays valid JSON with
// the same values. Long values are cut, with a count of what was left out.

const UNSAFE =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what it matches
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|\r(?!\n)/g;
// eslint-disable-next-line no-control-regex -- the same, plus newline, tab and every carriage return
const UNSAFE_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/** How much of an untrusted value is shown: a name (model id, server, version), a message, a block of lines. */
export const DISPLAY_LIMITS = { name: 200, message: 2_000, block: 20_000 } as const;

const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export interface DisplayOptions {
  /** Cut after this many characters (UTF-16 units), saying how many more there were. */
  max?: number;
  /** For labels and titles: newline and tab are escaped too. */
  singleLine?: boolean;
}

/** `text` made safe to show: see the header. */
export function displayText(text: string, o: DisplayOptions = {}): string {
  const cutText = o.max !== undefined ? cut(text, o.max) : text;
  return cutText.replace(o.singleLine ? UNSAFE_IN_LINE : UNSAFE, escape);
}

/** Whether showing `text` as is would be unsafe (it holds something displayText escapes). */
export function needsEscaping(text: string): boolean {
  UNSAFE.lastIndex = 0;
  return UNSAFE.test(text);
}

/** The first `max` characters, never splitting a surrogate pair, and how many more there were. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max);
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  const rest = text.length - end;
  return `${text.slice(0, end)}… (${rest} more character${rest === 1 ? '' : 's'})`;
}

/** A name (model id, server name, version) for one line of a label. */
export const displayName = (text: string) => displayText(text, { max: DISPLAY_LIMITS.name, singleLine: true });

/** A message from a server or a tool (an error body, Codex's words): bounded, line breaks kept. */
export const displayMessage = (text: string) => displayText(text, { max: DISPLAY_LIMITS.message });

/**
 * For a VS Code label that renders `$(name)` as an icon (picker rows, the status bar item): a name
 * made safe as above, with icon syntax escaped so a server cannot put icons or spinners into it.
 */
export function displayLabel(text: string, max: number = DISPLAY_LIMITS.name): string {
  return displayText(text, { max, singleLine: true }).replace(/(\\)?\$\(([A-Za-z0-9~-]*)\)/g, (m, escaped: string | undefined) =>
    escaped ? m : `\\${m}`,
  );
}
