// README material generated from the catalog: which setting is which wrapper variable and which
// llama-server flag, so the documentation cannot drift from the code.
import { SETTINGS, SECTION, type SettingDef, type SettingKey } from '../settings/catalog';

const NOTES: Partial<Record<SettingKey, string>> = {
  'llamacpp.executable': 'the program started',
  'llamacpp.modelPath': 'left out when empty',
  'llamacpp.modelAlias': 'left out when empty',
  'llamacpp.chatTemplate': 'left out when empty',
  'llamacpp.autoCompactTokenLimit': 'Codex `model_auto_compact_token_limit` (launcher only)',
  'llamacpp.flashAttention': "left out when `auto` (llama-server's default)",
  'llamacpp.reasoning': "left out when `auto` (llama-server's default)",
  'llamacpp.jinja': '`--jinja` when on, `--no-jinja` when off',
  'llamacpp.extraArgs': 'appended verbatim, one element each',
  'llamacpp.wrapperScript': 'runs this script instead, with the PRODEX_LOCAL_* variables set',
};

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function showDefault(def: SettingDef): string {
  if (Array.isArray(def.default)) return def.default.length ? `\`${JSON.stringify(def.default)}\`` : '`[]`';
  if (def.default === '') return '(empty)';
  return `\`${String(def.default)}\``;
}

/** Markdown table: setting ↔ PRODEX_LOCAL_* variable ↔ llama-server flag ↔ default. */
export function mirrorTable(): string {
  const rows = ['| Setting | Variable | llama-server flag | Default | Notes |', '|---|---|---|---|---|'];
  for (const [key, def] of Object.entries(SETTINGS) as [SettingKey, SettingDef][]) {
    if (!key.startsWith('llamacpp.') || key === 'llamacpp.baseUrl') continue;
    const flag = key === 'llamacpp.jinja' ? '`--jinja` / `--no-jinja`' : def.flag ? `\`${def.flag}\`` : '—';
    rows.push(
      `| \`${SECTION}.${key}\` | ${def.env ? `\`${def.env}\`` : '—'} | ${flag} | ${cell(showDefault(def))} | ${cell(NOTES[key] ?? '')} |`,
    );
  }
  return rows.join('\n');
}

/** The precedence rule, as documented in the README. */
export const PRECEDENCE_MARKDOWN = [
  'Where a launch value comes from, first match wins:',
  '',
  '1. the workspace-folder value, then the workspace value (both ignored in Restricted Mode for settings that decide what runs),',
  '2. your user value,',
  "3. the `PRODEX_LOCAL_*` variable in VS Code's environment, only when you left the setting at its default,",
  '4. the default.',
  '',
  'The exported wrapper scripts work the other way round: a set, non-empty `PRODEX_LOCAL_*` variable replaces the value saved in the script.',
].join('\n');
