// Generates package.json `contributes` and `restrictedConfigurations` from src/commands.ts and
// src/core/settings/{catalog,docs}.ts — the single sources of truth.
// usage: node --import tsx test/tools/gen-manifest.ts [--write]   (without --write: exit 1 when stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS, CATEGORY, PREVIEW_SCHEME, WALKTHROUGH_ID } from '../../src/core/commands';
import { SETTINGS, SETTING_KEYS, RESTRICTED_KEYS, SECTION, type SettingDef } from '../../src/core/settings/catalog';
import { DOCS } from '../../src/core/settings/docs';
import { CHAT_VENDOR, CHAT_VENDOR_DISPLAY_NAME } from '../../src/core/chat/vendor';
import { applyReadmeBlocks } from './readme-blocks';

const ROOT = join(__dirname, '..', '..');

// One group per key prefix, with the prefix as its id: the Settings editor then shows each setting
// under its group title ("llama.cpp") and drops the prefix from the setting's own label, instead of
// "Llamacpp: Port" or "Openai Compatible: Endpoints".
const GROUPS: [prefix: string, title: string][] = [
  ['discovery', 'Discovery'],
  ['terminal', 'Terminals'],
  ['launch', 'Starting servers'],
  ['verify', 'Verification'],
  ['codex', 'Codex'],
  ['claude', 'Claude Code'],
  ['bridge', 'Route bridge'],
  ['llamacpp', 'llama.cpp'],
  ['ollama', 'Ollama'],
  ['lmstudio', 'LM Studio'],
  ['vllm', 'vLLM'],
  ['openaiCompatible', 'OpenAI-compatible endpoints'],
];

function settingSchema(key: (typeof SETTING_KEYS)[number], order: number): Record<string, unknown> {
  const def = SETTINGS[key] as SettingDef;
  const doc = DOCS[key];
  const s: Record<string, unknown> = { type: def.type, default: def.default, scope: def.scope, markdownDescription: doc.md, order };
  if ('enum' in def && def.enum) s.enum = [...def.enum];
  if (doc.enumDescriptions) s.enumDescriptions = doc.enumDescriptions;
  if ('minimum' in def && def.minimum !== undefined) s.minimum = def.minimum;
  if ('maximum' in def && def.maximum !== undefined) s.maximum = def.maximum;
  if (def.type === 'array')
    s.items =
      def.items.type === 'object'
        ? { type: 'object', required: ['baseUrl'], properties: { label: { type: 'string' }, baseUrl: { type: 'string' } } }
        : { ...def.items, ...('enum' in def.items && def.items.enum ? { enum: [...def.items.enum] } : {}) };
  if (def.type === 'object') s.additionalProperties = { type: 'string' };
  return s;
}

export function generateContributes(): { contributes: Record<string, unknown>; restricted: string[] } {
  const configuration = GROUPS.map(([prefix, title], order) => ({
    id: `${SECTION}.${prefix}`,
    title,
    order,
    properties: Object.fromEntries(
      SETTING_KEYS.filter(k => k.startsWith(`${prefix}.`)).map((k, i) => [`${SECTION}.${k}`, settingSchema(k, i)]),
    ),
  }));
  const grouped = configuration.flatMap(c => Object.keys(c.properties));
  if (grouped.length !== SETTING_KEYS.length)
    throw new Error(`settings without a group: ${SETTING_KEYS.filter(k => !grouped.includes(`${SECTION}.${k}`)).join(', ')}`);
  const commands = Object.values(COMMANDS).map(c => ({ command: c.id, title: c.title, category: CATEGORY, icon: c.icon }));
  const onPreview = `resourceScheme == ${PREVIEW_SCHEME}`;
  const commandPalette = Object.values(COMMANDS).flatMap((c): { command: string; when: string }[] =>
    'hidden' in c && c.hidden
      ? [{ command: c.id, when: 'false' }]
      : 'trusted' in c && c.trusted
        ? [{ command: c.id, when: 'isWorkspaceTrusted' }]
        : 'previewTitle' in c && c.previewTitle
          ? [{ command: c.id, when: onPreview }]
          : [],
  );
  const editorTitle = Object.values(COMMANDS)
    .filter(c => 'previewTitle' in c && c.previewTitle)
    .map((c, i) => ({ command: c.id, when: onPreview, group: `navigation@${i}` }));
  const step = (id: string, title: string, description: string, completion: string[]) => ({
    id,
    title,
    description,
    media: { markdown: `media/walkthrough/${id}.md` },
    completionEvents: completion,
  });
  const walkthroughs = [
    {
      id: WALKTHROUGH_ID,
      title: 'Point Codex or Claude Code at a local model',
      description:
        'Find or start a server, pick a model, verify it can call tools, write the Codex profile or the Claude Code settings, open the agent.',
      steps: [
        step(
          'findServer',
          'Find or start a server',
          'Local Model Router probes Ollama, LM Studio, vLLM and llama.cpp on their usual ports.\n[Refresh servers](command:localModelRouter.refresh)\n[Start a server](command:localModelRouter.startServer)',
          ['onContext:localModelRouter.serverFound'],
        ),
        step(
          'pickModel',
          'Pick a model',
          'Choose the server and model Codex will use.\n[Pick a model](command:localModelRouter.pickRoute)',
          ['onContext:localModelRouter.hasRoute'],
        ),
        step(
          'verify',
          'Verify tool calling',
          'Checks what each agent needs — Codex: /v1/responses; Claude Code: /v1/messages — streaming, a real tool call and an agent-sized prompt, and says how to fix what fails.\n[Verify route](command:localModelRouter.verifyRoute)',
          ['onContext:localModelRouter.verified'],
        ),
        step(
          'writeProfile',
          'Write the Codex profile',
          'Writes `<name>.config.toml` into your Codex home, with a diff first.\n[Write Codex profile](command:localModelRouter.writeCodexProfile)',
          ['onContext:localModelRouter.profileWritten'],
        ),
        step('openCodex', 'Open Codex', 'Opens a terminal running Codex on the route.\n[Open Codex](command:localModelRouter.openCodex)', [
          'onCommand:localModelRouter.openCodex',
        ]),
        step(
          'writeClaudeSettings',
          'Or: write the Claude Code settings',
          'Routes Claude Code to the model in .claude/settings.local.json (this project) or ~/.claude/settings.json, with a diff first; no key is written.\n[Write Claude Code settings](command:localModelRouter.writeClaudeSettings)',
          ['onCommand:localModelRouter.writeClaudeSettings'],
        ),
        step(
          'openClaude',
          'Open Claude Code',
          'Opens a terminal running Claude Code on the route.\n[Open Claude Code](command:localModelRouter.openClaudeCode)',
          ['onCommand:localModelRouter.openClaudeCode'],
        ),
      ],
    },
  ];
  return {
    contributes: {
      commands,
      menus: { commandPalette, 'editor/title': editorTitle },
      configuration,
      walkthroughs,
      // VS Code offers the models of this vendor in its chat model picker and to `vscode.lm`.
      languageModelChatProviders: [{ vendor: CHAT_VENDOR, displayName: CHAT_VENDOR_DISPLAY_NAME }],
    },
    restricted: RESTRICTED_KEYS.map(k => `${SECTION}.${k}`),
  };
}

type Manifest = { contributes?: unknown; capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } } };

export function applyToManifest<T extends Manifest>(pkg: T): T {
  const { contributes, restricted } = generateContributes();
  const next = structuredClone(pkg);
  next.contributes = contributes;
  next.capabilities.untrustedWorkspaces.restrictedConfigurations = restricted;
  return next;
}

if (require.main === module) {
  const file = join(ROOT, 'package.json');
  const current = readFileSync(file, 'utf8');
  const next = JSON.stringify(applyToManifest(JSON.parse(current)), null, 2) + '\n';
  const readmeFile = join(ROOT, 'README.md');
  const readme = readFileSync(readmeFile, 'utf8');
  const nextReadme = applyReadmeBlocks(readme);
  if (process.argv.includes('--write')) {
    writeFileSync(file, next);
    writeFileSync(readmeFile, nextReadme);
    console.log("package.json contributes and the README's generated blocks updated");
  } else if (next !== current || nextReadme !== readme) {
    console.error("package.json contributes or the README's generated blocks are stale: run `npm run gen:manifest`");
    process.exit(1);
  }
}
