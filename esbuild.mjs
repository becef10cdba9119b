// Bundles the extension and the CLI. Type checking is separate: `npm run typecheck` (tsc --noEmit).
// usage: node esbuild.mjs [--production] [--watch] [--tests]
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';

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
  logLevel: 'info',
  legalComments: 'none',
};

const builds = [
  // Heavy features (verifier, TOML editing, launcher) are split out as their own files and loaded
  // on first use, so activation loads only the small shell (see BENCHMARKS.md: bytes at activation).
  { ...common, entryPoints: { extension: 'src/extension.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { 'lazy/verify': 'src/features/lazy/verify.ts', 'lazy/codex': 'src/features/lazy/codex.ts', 'lazy/launch': 'src/features/lazy/launch.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { cli: 'src/cli/main.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
];

// Extension-host test suites are bundled too (the host loads plain JS); `vscode` stays external.
if (!production) {
  const files = readdirSync('test/integration').filter(f => f.endsWith('.ts'));
  builds.push({ ...common, minify: false, sourcemap: 'inline', entryPoints: files.map(f => `test/integration/${f}`), outdir: 'out/integration', external: ['vscode', 'mocha'] });
}

const existing = builds.filter(b => Object.values(b.entryPoints).every(e => { try { readdirSync(e.replace(/\/[^/]+$/, '')); return true; } catch { return false; } }));
if (watch) {
  for (const b of existing) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(existing.map(b => esbuild.build(b)));
}
