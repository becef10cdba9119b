// The shape of src/: no import cycle (type-only imports count too: a cycle of types is still two
// modules deciding about each other), the core imports nothing outside the core (and never vscode),
// a feature never imports another feature (they meet through src/core, src/state and the commands),
// the CLI never imports the extension's code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { SETTINGS } from '../../src/core/settings/catalog';
import { LAZY_COMMANDS } from '../../src/core/commands';

const SRC = resolve(__dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap(n => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

function resolveLocal(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec);
  for (const c of [`${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      /* next */
    }
  }
  throw new Error(`${relative(SRC, from)}: cannot resolve ${spec}`);
}

interface Graph {
  edges: Map<string, string[]>;
  external: Map<string, string[]>;
}

function graph(): Graph {
  const edges = new Map<string, string[]>();
  const external = new Map<string, string[]>();
  for (const f of files(SRC)) {
    const text = readFileSync(f, 'utf8');
    const local: string[] = [];
    const ext: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!;
      const r = resolveLocal(f, spec);
      if (r) local.push(r);
      else ext.push(spec);
    }
    edges.set(f, local);
    external.set(f, ext);
  }
  return { edges, external };
}

const rel = (f: string) => relative(SRC, f).replace(/\\/g, '/');

test('the graph is read at all (a parser that finds nothing would pass everything)', () => {
  const g = graph();
  assert.ok(g.edges.size > 100, `${g.edges.size} files`);
  const ext = g.edges.get(join(SRC, 'extension.ts'))!.map(rel);
  assert.ok(ext.includes('features/route/statusBar.ts') && ext.includes('state/routeStore.ts'), ext.join(', '));
  assert.ok(g.external.get(join(SRC, 'extension.ts'))!.includes('vscode'));
});

test('no import cycle in src/', () => {
  const g = graph();
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...path.slice(path.indexOf(f)), f].map(rel).join(' → '));
      return;
    }
    state.set(f, 'open');
    for (const t of g.edges.get(f) ?? []) visit(t, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of g.edges.keys()) visit(f, []);
  assert.deepEqual(cycles, []);
});

test('src/core imports only src/core, Node built-ins and npm packages, never vscode', () => {
  const g = graph();
  const bad: string[] = [];
  for (const [f, ts] of g.edges) {
    if (!rel(f).startsWith('core/')) continue;
    for (const t of ts) if (!rel(t).startsWith('core/')) bad.push(`${rel(f)} → ${rel(t)}`);
    for (const e of g.external.get(f)!) if (e === 'vscode') bad.push(`${rel(f)} → vscode`);
  }
  assert.deepEqual(bad, []);
});

test('a feature does not import another feature; the CLI does not import the extension', () => {
  const g = graph();
  const bad: string[] = [];
  const feature = (f: string) => /^features\/([^/]+)\//.exec(rel(f))?.[1];
  for (const [f, ts] of g.edges) {
    const a = feature(f);
    for (const t of ts) {
      const b = feature(t);
      if (a && b && a !== b) bad.push(`${rel(f)} → ${rel(t)}`);
      if (rel(f).startsWith('cli/') && !rel(t).startsWith('cli/') && !rel(t).startsWith('core/')) bad.push(`${rel(f)} → ${rel(t)}`);
    }
    if (rel(f).startsWith('cli/') && g.external.get(f)!.includes('vscode')) bad.push(`${rel(f)} → vscode`);
  }
  assert.deepEqual(bad, []);
});

test('the agents are peers: core/codex and core/claude never import each other, and the machinery both use (core/verify, files, net, text) imports neither', () => {
  const g = graph();
  const bad: string[] = [];
  const agent = (f: string) => /^core\/(codex|claude)\//.exec(rel(f))?.[1];
  const shared = (f: string) => /^core\/(verify|files|net|text)\//.test(rel(f));
  for (const [f, ts] of g.edges)
    for (const t of ts) {
      const a = agent(f);
      const b = agent(t);
      if (a && b && a !== b) bad.push(`${rel(f)} → ${rel(t)}`);
      if (shared(f) && b) bad.push(`${rel(f)} → ${rel(t)}`);
    }
  assert.deepEqual(bad, []);
});

test('extension.ts names every feature whose commands load lazily (nothing registers behind its back)', () => {
  const ext = readFileSync(join(SRC, 'extension.ts'), 'utf8');
  const named = [...ext.matchAll(/lazy\.registerFeature\(ctx, '([a-z]+)'\)/g)].map(m => m[1]).sort();
  assert.deepEqual(named, [...new Set(Object.values(LAZY_COMMANDS))].sort());
});

/** Files of src/ under these folders, with their text. */
function sources(...folders: string[]): [string, string][] {
  return files(SRC)
    .filter(f => folders.some(d => rel(f).startsWith(d)))
    .map(f => [rel(f), readFileSync(f, 'utf8')]);
}

test('features keep no state of their own in ExtensionContext storage: src/state/ owns it', () => {
  const STORAGE = /\b(workspaceState|globalState|secrets|globalStorageUri|storageUri|globalStoragePath|storagePath|logUri)\b/g;
  const checked = sources('features/', 'ui/');
  assert.ok(checked.length > 20, `${checked.length} files`);
  const bad = checked.flatMap(([f, text]) => [...text.matchAll(STORAGE)].map(m => `${f}: ${m[0]}`));
  assert.deepEqual(bad, []);
  // The rule can fail: the owners do use it.
  assert.ok(sources('state/').some(([, text]) => new RegExp(STORAGE.source).test(text)));
});

test('setting keys are spelled through the catalog (fullKey, SettingKey), never typed in full by hand', () => {
  const groups = [...new Set(Object.keys(SETTINGS).map(k => k.slice(0, k.indexOf('.'))))];
  assert.ok(groups.includes('llamacpp') && groups.length > 5, groups.join(', '));
  const typed = new RegExp(`localModelRouter\\.(${groups.join('|')})\\b|localModelRouter\\.\\$\\{`, 'g');
  const bad = sources('features/', 'state/', 'ui/', 'extension.ts')
    .filter(([f]) => f !== 'features/route/contextKeys.ts') // context keys, not settings
    .flatMap(([f, text]) => [...text.matchAll(typed)].map(m => `${f}: ${m[0]}`));
  assert.deepEqual(bad, []);
});

test('settings are read and written only by their owner, state/settings.ts', () => {
  const users = sources('')
    .filter(([, text]) => /\b(getConfiguration|ConfigurationTarget)\b/.test(text))
    .map(([f]) => f);
  assert.deepEqual(users, ['state/settings.ts']);
});
