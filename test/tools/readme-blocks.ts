// README sections generated from the code (npm run gen:manifest writes them; test/unit/settings.test.ts
// fails when the README disagrees): the table of settings that mirror the server wrapper.
import { SETTINGS, SETTING_KEYS, SECTION, type SettingDef } from '../../src/core/settings/catalog';

/** One short line per llama.cpp setting, beside what the catalog says (default, variable, flag). */
const NOTES: Partial<Record<string, string>> = {
  'llamacpp.executable': 'the program started',
  'llamacpp.modelPath': 'left out when empty',
  'llamacpp.modelAlias': 'left out when empty',
  'llamacpp.gpuLayers': '`-1`: left out (llama-server picks; with no GPU it ignores the flag anyway)',
  'llamacpp.threads': '`-1`: left out (llama-server uses the cores it finds)',
  'llamacpp.contextSize': 'Codex needs 16384 at least, Claude Code 32768',
  'llamacpp.chatTemplate':
    'empty: the model\'s own template, with its "system message first" check relaxed (written for `--chat-template-file`), so Codex\'s later developer messages pass and tools keep working; `chatml` turns tool calling off',
  'llamacpp.autoCompactTokenLimit': 'Codex `model_auto_compact_token_limit` (profiles for llama.cpp routes)',
  'llamacpp.flashAttention': "left out when `auto` (llama-server's default)",
  'llamacpp.jinja': '`--jinja` when on, `--no-jinja` when off (tool calls need it)',
  'llamacpp.reasoning': "left out when `auto` (llama-server's default)",
  'llamacpp.extraArgs': 'appended verbatim, one element each',
  'llamacpp.wrapperScript': 'runs this script instead, with the PRODEX_LOCAL_* variables set',
};

function showDefault(def: SettingDef): string {
  const v = def.default as unknown;
  if (Array.isArray(v)) return `\`${JSON.stringify(v)}\``;
  if (v === '') return '(empty)';
  return `\`${String(v)}\``;
}

export function wrapperTable(): string {
  const keys = SETTING_KEYS.filter(k => k.startsWith('llamacpp.') && k !== 'llamacpp.baseUrl');
  const rows = keys.map(k => {
    const def = SETTINGS[k] as SettingDef & { env?: string; flag?: string };
    const flag = k === 'llamacpp.jinja' ? '`--jinja` / `--no-jinja`' : def.flag ? `\`${def.flag}\`` : '—';
    return `| \`${SECTION}.${k}\` | ${def.env ? `\`${def.env}\`` : '—'} | ${flag} | ${showDefault(def)} | ${NOTES[k] ?? ''} |`;
  });
  return ['| Setting | Variable | llama-server flag | Default | Notes |', '|---|---|---|---|---|', ...rows].join('\n');
}

const BLOCKS: Record<string, () => string> = { settings: wrapperTable };

/** The README with every generated block replaced by what the code says now. */
export function applyReadmeBlocks(readme: string): string {
  let out = readme;
  for (const [name, make] of Object.entries(BLOCKS)) {
    const re = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
    if (!re.test(out)) throw new Error(`README.md has no <!-- ${name}:start --> … <!-- ${name}:end --> block`);
    out = out.replace(re, (_m, a: string, b: string) => `${a}${make()}\n${b}`);
  }
  return out;
}
