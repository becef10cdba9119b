// Commands whose code is loaded on first use from dist/lazy/<feature>.js (a build concern: each
// lazy feature's commands.ts is its own esbuild entry point), keeping activation small.
import * as vscode from 'vscode';
import { join } from 'node:path';
import type { Ctx, LazyModule, RouteLazyModule } from './ctx';
import { COMMANDS, LAZY_COMMANDS, type LazyModuleName } from './core/commands';
import { showError } from './ui/notify';

type Bundles = { route: RouteLazyModule } & Record<Exclude<LazyModuleName, 'route'>, LazyModule>;

const loaded = new Map<string, unknown>();

/** dist/lazy/<name>.js, required once on first use. */
export function loadBundle<T>(name: LazyModuleName | 'chat'): T {
  let m = loaded.get(name);
  if (!m) {
    // A computed path keeps esbuild from inlining the bundle into extension.js.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    m = require(join(__dirname, 'lazy', `${name}.js`));
    loaded.set(name, m);
  }
  return m as T;
}

export function loadLazy<N extends LazyModuleName>(name: N): Bundles[N] {
  return loadBundle<Bundles[N]>(name);
}

/** Registers `feature`'s commands (LAZY_COMMANDS says which); its bundle loads when one runs. */
export function registerFeature(ctx: Ctx, feature: LazyModuleName): void {
  for (const [key, bundle] of Object.entries(LAZY_COMMANDS) as [keyof typeof LAZY_COMMANDS, LazyModuleName][]) {
    if (bundle !== feature) continue;
    const { id } = COMMANDS[key];
    ctx.extension.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        const handler = loadLazy(bundle).commands[key];
        if (!handler) {
          void showError(`${COMMANDS[key].title} is not available in this build.`);
          return undefined;
        }
        try {
          return await handler(ctx, ...args);
        } catch (e) {
          ctx.log.error(`${id} failed`, e as Error);
          void showError(`${COMMANDS[key].title} failed: ${(e as Error).message}`, 'Show Log').then(c => {
            if (c) ctx.log.show();
          });
          throw e;
        }
      }),
    );
  }
}
