// What every subcommand gets: output streams and the environment, so tests can run them in-process.
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readTextFile } from '../core/files/read';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export interface Subcommand {
  /** One line for `local-model-router --help`. */
  summary: string;
  /** Full `--help` text. */
  help: string;
  /** Exit 0 ok, 1 a check failed, 2 usage error (throw UsageError). */
  run(args: string[], io: CliIo): Promise<number>;
}

export class UsageError extends Error {}

/** node:util parseArgs with strict options, turning its errors into UsageError. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function intFlag(name: string, v: string | undefined, min = 0): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${v}"`);
  return Number(v);
}

/** A --settings file: a JSON object shaped like VS Code's settings.json ("localModelRouter.llamacpp.port": 8131, …). */
export function readSettingsFile(path: string, cwd: string): Record<string, unknown> {
  const file = resolve(cwd, path);
  let text: string | undefined;
  try {
    text = readTextFile(file);
  } catch (e) {
    throw new UsageError(`cannot read --settings: ${(e as Error).message}`);
  }
  if (text === undefined) throw new UsageError(`cannot read --settings ${file}: it does not exist`);
  if (text.startsWith('\uFEFF')) text = text.slice(1);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`--settings ${file} is not JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new UsageError(`--settings ${file} must hold a JSON object like {"localModelRouter.llamacpp.port": 8131}`);
  return json as Record<string, unknown>;
}
