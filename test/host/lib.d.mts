// Types of lib.mjs for the TypeScript UI harness (test/ui/harness.ts).
import type { BrowserContext, Page } from 'playwright-core';

export const ROOT: string;
export const CACHE: string;
export const NODE24_DIR: string;
export const CODE_SERVER_BIN: string;
export const CHROMIUM: string;
export const TAG_VAR: 'LMR_HOST_RUN';
export const CHROMIUM_ARGS: string[];
export const QUIET_WORKBENCH_LINES: RegExp;

export type TrustMode = 'disabled' | 'untrusted';

export function assertHostInstalled(): void;
export function newTag(prefix: string): string;
export function makeRunDir(prefix: string): string;
export function isolatedEnv(runDir: string, tag: string, extra?: Record<string, string>): Record<string, string | undefined>;
export function writeUserSettings(userDataDir: string, opts?: { trust?: TrustMode; settings?: Record<string, unknown> }): string;
export function scopeOf(key: string): string;
export function freePort(): Promise<number>;

export interface CodeServer {
  port: number;
  url: string;
  authority: string;
  pid: number;
  startedMs: number;
  log(): string;
  stop(): Promise<void>;
}
export function startCodeServer(opts: {
  runDir: string;
  tag: string;
  folder: string;
  userDataDir: string;
  extensionsDir: string;
  smokeTestDriver?: boolean;
  trust?: TrustMode;
  env?: Record<string, string>;
  logFile?: string;
}): Promise<CodeServer>;
export function killGroup(pgid: number, signal: NodeJS.Signals): void;
export function launchChromium(opts: {
  profileDir: string;
  env: Record<string, string | undefined>;
  viewport?: { width: number; height: number };
}): Promise<{ context: BrowserContext; page: Page }>;
export function installVsix(vsix: string, opts: { runDir: string; tag: string; userDataDir: string; extensionsDir: string }): string;
export function installVsixArgs(vsix: string, opts: { configDir: string; userDataDir: string; extensionsDir: string }): string[];

export interface TaggedProcess {
  pid: number;
  cmd: string;
}
export function findTagged(tag: string): TaggedProcess[];
export function sweep(
  tag: string,
  opts?: { graceMs?: number },
): { stopped: TaggedProcess[]; killed: TaggedProcess[]; alive: TaggedProcess[] };
export function leftovers(tag: string): TaggedProcess[];
export function removeDir(dir: string): void;
