// Finds an executable the way a shell would (PATH lookup), without running a shell.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { Env } from './endpoints';

export function findExecutable(name: string, env: Env): string | undefined {
  const ok = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (!name) return undefined;
  if (isAbsolute(name) || name.includes('/')) return ok(name) ? name : undefined;
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of exts) if (ok(join(dir, name + ext))) return join(dir, name + ext);
  }
  return undefined;
}
