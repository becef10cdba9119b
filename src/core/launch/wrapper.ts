// "Export server wrapper scripts": POSIX sh scripts that use the same PRODEX_LOCAL_* variables as
// the settings mirror, with the current settings as defaults. A set, non-empty variable wins over
// the saved value (the script has no settings to compare with); an empty one keeps it.
//
// Every saved value is single-quoted (`'` becomes `'\''`), which sh never expands, so a value such as
// `$(touch /tmp/x)` stays text. Variables are only ever used inside double quotes.
import { SETTINGS, type SettingDef, type Settings } from '../settings/catalog';
import { PROVIDERS } from '../providers';
import { llamaArgItems, type LlamaArgItem } from './argv';

/** Quotes one word for POSIX sh. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A command line as a person would type it: words quoted only where the shell needs it. */
export function commandLine(command: string, args: readonly string[]): string {
  return [command, ...args].map(w => (/^[\w@%+=:,./-]+$/.test(w) ? w : shQuote(w))).join(' ');
}

const envOf = (i: LlamaArgItem) => (SETTINGS[i.key] as SettingDef).env;

/** Script header: saved defaults, then `NAME=${NAME:-$saved}` for each variable. */
function defaults(vars: [string, string][]): string[] {
  const lines: string[] = [];
  for (const [name, value] of vars) lines.push(`saved=${shQuote(value)}`, `${name}=\${${name}:-$saved}`);
  lines.push('unset saved');
  return lines;
}

export interface WrapperScript {
  fileName: string;
  text: string;
}

/**
 * The llama-server wrapper. Arguments given to the script are passed on after the saved ones.
 * The flags and their order come from llamaArgItems, the same list the extension launches from.
 */
export function serverWrapperScript(s: Settings, generatedAt = new Date(), inputs: { chatTemplateFile?: string } = {}): WrapperScript {
  const items = llamaArgItems(s, inputs);
  const vars: [string, string][] = [];
  for (const i of items) if (!('literal' in i) && envOf(i)) vars.push([envOf(i) as string, i.value]);
  const build: string[] = [];
  for (const i of items) {
    if ('literal' in i) {
      if (i.literal.length) build.push(`set -- "$@" ${i.literal.map(shQuote).join(' ')}`);
      continue;
    }
    const name = envOf(i);
    const word = name ? `"$${name}"` : shQuote(i.value);
    const add = `set -- "$@" ${shQuote(i.flag)} ${word}`;
    const otherwise = i.otherwise?.length ? `set -- "$@" ${i.otherwise.map(shQuote).join(' ')}` : undefined;
    if (i.omitWhen === undefined) build.push(add);
    else if (name) {
      const test = i.omitWhen === '' ? `[ -n "$${name}" ]` : `[ "$${name}" != ${shQuote(i.omitWhen)} ]`;
      build.push(`if ${test}; then ${add};${otherwise ? ` else ${otherwise};` : ''} fi`);
    } else if (i.value !== i.omitWhen) build.push(add);
    else if (otherwise) build.push(otherwise);
  }
  const lines = [
    '#!/bin/sh',
    `# llama-server wrapper written by Local Model Router on ${generatedAt.toISOString()}.`,
    '# Each PRODEX_LOCAL_* variable, when set and not empty, replaces the value saved here;',
    '# arguments given to this script go after the saved ones.',
    'set -eu',
    '',
    ...defaults(vars),
    '',
    '# The caller\'s arguments stay in "$@"; the saved flags are appended, then rotated to the front.',
    'n=$#',
    ...build,
    'while [ "$n" -gt 0 ]; do set -- "$@" "$1"; shift; n=$((n - 1)); done',
    `exec ${shQuote(s['llamacpp.executable'])} "$@"`,
    '',
  ];
  return { fileName: 'llama-server-wrapper.sh', text: lines.join('\n') };
}

/**
 * The Codex launcher: runs Codex against the llama-server the wrapper starts, with `-c` overrides
 * (no config file is written). Arguments given to the script are passed on to Codex.
 */
export function codexLauncherScript(s: Settings, generatedAt = new Date()): WrapperScript {
  const providerId = PROVIDERS.llamacpp.codexProviderId;
  const vars: [string, string][] = [
    ['PRODEX_LOCAL_HOST', s['llamacpp.host']],
    ['PRODEX_LOCAL_PORT', String(s['llamacpp.port'])],
    ['PRODEX_LOCAL_MODEL_ALIAS', s['llamacpp.modelAlias']],
    ['PRODEX_LOCAL_CONTEXT', String(s['llamacpp.contextSize'])],
    ['PRODEX_LOCAL_AUTO_COMPACT_LIMIT', String(s['llamacpp.autoCompactTokenLimit'])],
  ];
  for (const [name] of vars) {
    const key = Object.entries(SETTINGS).find(([, d]) => (d as SettingDef).env === name)?.[0];
    if (!key) throw new Error(`${name} is not mirrored by any setting`);
  }
  const lines = [
    '#!/bin/sh',
    `# Codex launcher written by Local Model Router on ${generatedAt.toISOString()}.`,
    '# Runs Codex on the local llama-server (the same PRODEX_LOCAL_* variables as the server wrapper).',
    '# Each variable, when set and not empty, replaces the value saved here; arguments go to Codex.',
    'set -eu',
    '',
    ...defaults(vars),
    '',
    'fail() { printf \'codex launcher: %s\\n\' "$1" >&2; exit 2; }',
    "nl='",
    "'",
    '# A TOML basic string, for -c key="value" (line breaks are refused before, outside $(…)).',
    'toml_string() {',
    '  printf \'"%s"\' "$(printf \'%s\' "$1" | sed -e \'s/\\\\/\\\\\\\\/g\' -e \'s/"/\\\\"/g\')"',
    '}',
    'one_line() {',
    '  case $1 in *"$nl"*) fail "$2 contains a line break" ;; esac',
    '}',
    'whole_number() {',
    "  case $1 in '' | *[!0-9]*) fail \"$2 must be a whole number, got '$1'\" ;; esac",
    '}',
    'whole_number "$PRODEX_LOCAL_PORT" PRODEX_LOCAL_PORT',
    'whole_number "$PRODEX_LOCAL_CONTEXT" PRODEX_LOCAL_CONTEXT',
    'whole_number "$PRODEX_LOCAL_AUTO_COMPACT_LIMIT" PRODEX_LOCAL_AUTO_COMPACT_LIMIT',
    'one_line "$PRODEX_LOCAL_HOST" PRODEX_LOCAL_HOST',
    'one_line "$PRODEX_LOCAL_MODEL_ALIAS" PRODEX_LOCAL_MODEL_ALIAS',
    '',
    '# A wildcard bind is reached on loopback; an IPv6 literal needs brackets in a URL.',
    'case $PRODEX_LOCAL_HOST in',
    "  '' | 0.0.0.0) host=127.0.0.1 ;;",
    "  :: | '[::]') host='[::1]' ;;",
    '  \\[*) host=$PRODEX_LOCAL_HOST ;;',
    '  *:*) host="[$PRODEX_LOCAL_HOST]" ;;',
    '  *) host=$PRODEX_LOCAL_HOST ;;',
    'esac',
    'base_url="http://$host:$PRODEX_LOCAL_PORT/v1"',
    '',
    'n=$#',
    `set -- "$@" -c ${shQuote(`model_provider="${providerId}"`)}`,
    `set -- "$@" -c "model_providers.${providerId}.name=$(toml_string "llama.cpp ($host:$PRODEX_LOCAL_PORT)" PRODEX_LOCAL_HOST)"`,
    `set -- "$@" -c "model_providers.${providerId}.base_url=$(toml_string "$base_url" PRODEX_LOCAL_HOST)"`,
    `set -- "$@" -c ${shQuote(`model_providers.${providerId}.wire_api="responses"`)}`,
    'set -- "$@" -c "model=$(toml_string "$PRODEX_LOCAL_MODEL_ALIAS" PRODEX_LOCAL_MODEL_ALIAS)"',
    'if [ "$PRODEX_LOCAL_CONTEXT" -gt 0 ]; then set -- "$@" -c "model_context_window=$PRODEX_LOCAL_CONTEXT"; fi',
    'if [ "$PRODEX_LOCAL_AUTO_COMPACT_LIMIT" -gt 0 ]; then set -- "$@" -c "model_auto_compact_token_limit=$PRODEX_LOCAL_AUTO_COMPACT_LIMIT"; fi',
    'while [ "$n" -gt 0 ]; do set -- "$@" "$1"; shift; n=$((n - 1)); done',
    `exec ${shQuote(s['codex.executable'])} "$@"`,
    '',
  ];
  return { fileName: 'codex-local.sh', text: lines.join('\n') };
}
