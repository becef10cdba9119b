// What Codex said when it loaded a configuration, as typed values. This is the one place that reads
// Codex's error text; everything after it decides on `kind`. Texts observed with Codex 0.169.0 and kept
// verbatim in test/fixtures/codex-messages/. Codex stops at the first error it finds, so one run
// yields at most one rejection.

/** Where Codex points: the file it read (absolute) and its 1-based line and column. */
export interface CodexLocation {
  file: string;
  line: number;
  col: number;
}

export type CodexRejection =
  /** `wire_api = "chat"` is no longer supported (Codex only speaks the Responses API). */
  | { kind: 'wire-api-chat'; at?: CodexLocation; text: string }
  /** Top-level `profile = "<name>"`: every run without `-p` fails while it is there. */
  | { kind: 'legacy-profile-selector'; profile: string; text: string }
  /** `-p <name>` while config.toml still has `[profiles.<name>]` or `profile = "<name>"`. */
  | { kind: 'legacy-profile-conflict'; profile: string; text: string }
  /** A key this Codex does not know (only an error with --strict-config). `key` is Codex's dotted path. */
  | { kind: 'unknown-field'; key: string; at?: CodexLocation; text: string }
  /** `[model_providers.<id>]` for an id Codex reserves for its built-ins. */
  | { kind: 'reserved-provider-id'; ids: string[]; at?: CodexLocation; text: string }
  /** A value of the wrong type, e.g. `found: 'string "32768"'`, `expected: 'i64'`. */
  | { kind: 'invalid-type'; found: string; expected: string; at?: CodexLocation; text: string }
  /** A string outside the allowed set (approval_policy, trust_level…). */
  | { kind: 'invalid-value'; value: string; expected: string[]; at?: CodexLocation; text: string }
  /** `model_provider` names no built-in and no `[model_providers.<id>]` table. */
  | { kind: 'provider-not-found'; providerId: string; text: string }
  /** `model_provider = "ollama-chat"` without a table of that name: the built-in was removed. */
  | { kind: 'ollama-chat-removed'; text: string }
  /** config.toml (or the profile) is not a regular file. */
  | { kind: 'not-a-file'; path: string; text: string }
  /** Anything else, with Codex's words as they were. */
  | { kind: 'unknown'; at?: CodexLocation; text: string };

export type CodexRejectionKind = CodexRejection['kind'];

/** The outcome of one validation run, read from its output. */
export type CodexLoadOutcome =
  /** Codex loaded the configuration and went on to read the prompt (which the check never gives). */
  | { kind: 'accepted' }
  | { kind: 'rejected'; rejection: CodexRejection }
  /** Neither: an older Codex, a crash, or output this parser does not know. */
  | { kind: 'unrecognized'; text: string };

// Lines Codex prints around the error that say nothing about the configuration.
const NOISE = [
  /^WARNING: proceeding, even though we could not create PATH aliases/,
  /bubblewrap/i,
  /^Reading (prompt|additional input) from stdin/,
  /^Stack backtrace:/,
  /^\s+\d+: /,
];

/** Codex's message without its banner noise and Rust backtrace (the part a user should read). */
export function codexMessage(output: string): string {
  const lines = output.split(/\r?\n/);
  const stop = lines.findIndex(l => /^Stack backtrace:/.test(l));
  return (stop >= 0 ? lines.slice(0, stop) : lines)
    .filter(l => l.trim() !== '' && !NOISE.some(re => re.test(l)))
    .join('\n')
    .trim();
}

// `<file>:<line>:<col>: <message>` right after "Error loading config.toml:".
const LOCATED = /^(.+?):(\d+):(\d+): (.*)$/;
// The source excerpt Codex prints under a located error ("  |", "7 | wire_api = …", "  |   ^^^").
const EXCERPT = /^\s*\d*\s*\|/;

export function parseCodexLoadOutput(output: string): CodexLoadOutcome {
  const text = codexMessage(output);
  if (/^No prompt provided via stdin\.?$/m.test(text) && !/^Error/m.test(text)) return { kind: 'accepted' };
  const lines = text.split('\n');
  const start = lines.findIndex(l => /^Error( loading config\.toml)?:/.test(l));
  if (start < 0) return { kind: 'unrecognized', text };
  const head = lines[start].replace(/^Error( loading config\.toml)?:\s*/, '');
  let at: CodexLocation | undefined;
  let message: string;
  const rest = lines.slice(start + 1);
  const locLine = head === '' ? (rest[0] ?? '') : head;
  const loc = LOCATED.exec(locLine);
  if (loc && !/^https?$/.test(loc[1])) {
    at = { file: loc[1], line: Number(loc[2]), col: Number(loc[3]) };
    const after = head === '' ? rest.slice(1) : rest;
    const cut = after.findIndex(l => EXCERPT.test(l));
    message = [loc[4], ...(cut < 0 ? after : after.slice(0, cut))].join('\n');
  } else {
    message = [head, ...rest.filter(l => !EXCERPT.test(l))].filter(Boolean).join('\n');
  }
  const verbatim = lines.slice(start).join('\n');
  return { kind: 'rejected', rejection: classify(message, at, verbatim) };
}

function backticked(s: string): string[] {
  return [...s.matchAll(/`([^`]*)`/g)].map(m => m[1]);
}

function classify(message: string, at: CodexLocation | undefined, text: string): CodexRejection {
  const first = message.split('\n')[0];
  if (/`wire_api = "chat"` is no longer supported/.test(first)) return { kind: 'wire-api-chat', at, text };
  let m = /^unknown configuration field `([^`]+)`/.exec(first);
  if (m) return { kind: 'unknown-field', key: m[1], at, text };
  m = /model_providers contains reserved built-in provider IDs: (.*?)\. Built-in providers cannot be overridden/.exec(first);
  if (m) return { kind: 'reserved-provider-id', ids: backticked(m[1]), at, text };
  m = /^invalid type: (.+), expected (.+)$/.exec(first);
  if (m) return { kind: 'invalid-type', found: m[1], expected: m[2], at, text };
  m = /^unknown variant `([^`]*)`, expected (.+)$/.exec(first);
  if (m) return { kind: 'invalid-value', value: m[1], expected: backticked(m[2]), at, text };
  m = /^legacy `profile = "([^"]+)"` config is no longer supported/.exec(first);
  if (m) return { kind: 'legacy-profile-selector', profile: m[1], text };
  m = /^--profile `([^`]+)` cannot be used while .* contains legacy/.exec(first);
  if (m) return { kind: 'legacy-profile-conflict', profile: m[1], text };
  m = /^Model provider `([^`]+)` not found/.exec(first);
  if (m) return { kind: 'provider-not-found', providerId: m[1], text };
  if (/^`ollama-chat` is no longer supported/.test(first)) return { kind: 'ollama-chat-removed', text };
  m = /^Failed to read config file (.+?): path `[^`]*` is not a file/.exec(first);
  if (m) return { kind: 'not-a-file', path: m[1], text };
  return { kind: 'unknown', at, text };
}

/** One line per rejection for lists and logs (the verbatim text is kept in `text`). */
export function describeRejection(r: CodexRejection): string {
  const where = 'at' in r && r.at ? `${r.at.file}:${r.at.line}:${r.at.col}: ` : '';
  switch (r.kind) {
    case 'wire-api-chat':
      return `${where}wire_api = "chat" is no longer supported (Codex only speaks the Responses API)`;
    case 'legacy-profile-selector':
      return `profile = "${r.profile}" in config.toml is no longer supported (Codex 0.134 and later select profiles with -p)`;
    case 'legacy-profile-conflict':
      return `-p ${r.profile} cannot be used while config.toml still has the legacy [profiles.${r.profile}] or profile = "${r.profile}"`;
    case 'unknown-field':
      return `${where}unknown configuration field ${r.key}`;
    case 'reserved-provider-id':
      return `${where}[model_providers.${r.ids.join('], [model_providers.')}] redefine${r.ids.length === 1 ? 's' : ''} a built-in provider, which Codex refuses`;
    case 'invalid-type':
      return `${where}invalid type: ${r.found}, expected ${r.expected}`;
    case 'invalid-value':
      return `${where}"${r.value}" is not allowed here (expected ${r.expected.join(', ')})`;
    case 'provider-not-found':
      return `model_provider = "${r.providerId}" names no built-in provider and no [model_providers.${r.providerId}] table`;
    case 'ollama-chat-removed':
      return 'model_provider = "ollama-chat": that built-in provider was removed';
    case 'not-a-file':
      return `${r.path} is not a file`;
    case 'unknown':
      return r.text.split('\n')[0];
  }
}
