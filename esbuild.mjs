// Bundles the extension and the CLI. Type checking is separate: `npm run typecheck` (tsc --noEmit).
// usage: node esbuild.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, rmSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: production,
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  external: ['vscode'],
  // jsonc-parser's UMD build (its "main") requires its own files at run time, which a bundle cannot
  // follow; its ES module build bundles like any other code.
  alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
  logLevel: 'warning',
  legalComments: 'none',
};

// undici is big (~400 KB minified). The extension and its lazy bundles share one copy,
// dist/lazy/undici.js, required on the first HTTP request rather than at activation.
const sharedUndici = relPath => ({
  name: 'shared-undici',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, args => (args.kind === 'require-call' ? { path: relPath, external: true } : undefined));
  },
});

// `import * as vscode from 'vscode'` in each of some thirty modules would otherwise copy the whole
// API object once per module when the bundle loads (esbuild's CommonJS interop, __toESM): routed
// through one ES module that re-exports it, the copy is made once per bundle (activation time, see
// BENCHMARKS.md).
const vscodeOnce = {
  name: 'vscode-once',
  setup(build) {
    build.onResolve({ filter: /^vscode$/ }, args =>
      args.namespace === 'vscode-once' ? { path: 'vscode', external: true } : { path: 'vscode', namespace: 'vscode-once' },
    );
    build.onLoad({ filter: /.*/, namespace: 'vscode-once' }, () => ({ contents: "export * from 'vscode';", loader: 'js' }));
  },
};

// Features whose commands load on first use: src/features/<name>/commands.ts → dist/lazy/<name>.js
// (src/core/commands.ts LAZY_COMMANDS says which command lives where).
const lazy = ['route', 'endpoints', 'verify', 'codex', 'claude', 'launch', 'tunnel', 'bridge'];
const builds = [
  { ...common, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist', plugins: [sharedUndici('./lazy/undici.js'), vscodeOnce] },
  {
    ...common,
    entryPoints: {
      ...Object.fromEntries(lazy.map(n => [`lazy/${n}`, `src/features/${n}/commands.ts`])),
      // The chat model provider: loaded when VS Code first asks for this extension's chat models.
      'lazy/chat': 'src/features/chat/provider.ts',
    },
    outdir: 'dist',
    plugins: [sharedUndici('./undici.js'), vscodeOnce],
  },
  { ...common, entryPoints: { 'lazy/undici': 'node_modules/undici/index.js' }, outdir: 'dist' },
  // The CLI is one self-contained file with a shebang (package.json "bin").
  { ...common, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
];

// Extension-host test suites are bundled too (the host loads plain JS); `vscode` and mocha stay external.
if (!production && existsSync('test/integration')) {
  const files = readdirSync('test/integration').filter(f => f.endsWith('.ts'));
  if (files.length)
    builds.push({
      ...common,
      minify: false,
      sourcemap: 'inline',
      entryPoints: files.map(f => `test/integration/${f}`),
      outdir: 'out/integration',
      external: ['vscode', 'mocha'],
    });
}

if (!watch) rmSync('dist', { recursive: true, force: true });

if (watch) {
  for (const b of builds) await (await esbuild.context({ ...b, logLevel: 'info' })).watch();
} else {
  const t0 = Date.now();
  await Promise.all(builds.map(b => esbuild.build(b)));
  console.log(`esbuild: ${builds.length} bundles in ${Date.now() - t0} ms${production ? ' (production)' : ''}`);
}
