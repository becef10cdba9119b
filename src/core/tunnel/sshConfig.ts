// The Host entries of ~/.ssh/config, to offer as tunnel destinations. Lines are split the way
// OpenSSH's readconf.c does (keyword, then `=` or whitespace, then argv_split with quotes, backslash
// escapes and `#` comments), so a name offered here is the name ssh itself will look up.
// Wildcard and negated patterns (`Host *.lan`, `Host !bastion`) are not destinations; `Match` blocks
// name no host; `Include` is followed (globs, `~`, relative to ~/.ssh) up to ssh's own depth limit.
import { readdirSync } from 'node:fs';
import { readTextFile } from '../files/read';
import { posix } from 'node:path';
import { checkHost } from './spec';

export interface SshHostEntry {
  alias: string;
  /** First value found in a block that names this alias (ssh's first-wins rule); for display only. */
  hostName?: string;
  user?: string;
  port?: string;
  file: string;
  line: number;
}

export interface SshConfigProblem {
  file: string;
  line: number;
  message: string;
}

export interface SshConfigHosts {
  hosts: SshHostEntry[];
  problems: SshConfigProblem[];
}

/** Reads files and lists folders; undefined when missing or unreadable. Tests pass their own. */
export interface SshConfigFs {
  readFile(path: string): string | undefined;
  readDir(path: string): string[] | undefined;
}

export const nodeSshConfigFs: SshConfigFs = {
  // Through the file-safety layer: an Include may name a FIFO or a device.
  readFile: p => {
    try {
      return readTextFile(p);
    } catch {
      return undefined;
    }
  },
  readDir: p => {
    try {
      return readdirSync(p);
    } catch {
      return undefined;
    }
  },
};

// READCONF_MAX_DEPTH in readconf.c.
const MAX_INCLUDE_DEPTH = 16;

export type SplitLine = { kind: 'empty' } | { kind: 'line'; keyword: string; args: string[] } | { kind: 'error'; message: string };

/** One config line as ssh reads it; the keyword is lower-cased (keywords are case-insensitive). */
export function splitSshConfigLine(line: string): SplitLine {
  const text = line.replace(/[ \t\r\n\f]+$/, '');
  const m = /^[ \t]*([^ \t=]*)[ \t]*=?[ \t]*(.*)$/.exec(text);
  const keyword = m?.[1] ?? '';
  if (!keyword || keyword.startsWith('#')) return { kind: 'empty' };
  const args = argvSplit(m?.[2] ?? '');
  if (!args) return { kind: 'error', message: `invalid quotes after "${keyword}"` };
  return { kind: 'line', keyword: keyword.toLowerCase(), args };
}

/** OpenSSH misc.c argv_split(…, terminate_on_comment=1). Undefined on an unterminated quote. */
function argvSplit(s: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] === ' ' || s[i] === '\t') {
      i++;
      continue;
    }
    if (s[i] === '#') break;
    let arg = '';
    let quote = '';
    for (; i < s.length; i++) {
      const c = s[i] as string;
      const next = s[i + 1];
      if (c === '\\' && (next === "'" || next === '"' || next === '\\' || (!quote && next === ' '))) {
        arg += next;
        i++;
      } else if (!quote && (c === ' ' || c === '\t')) {
        break;
      } else if (!quote && (c === '"' || c === "'")) {
        quote = c;
      } else if (quote && c === quote) {
        quote = '';
      } else {
        arg += c;
      }
    }
    if (quote) return undefined;
    out.push(arg);
  }
  return out;
}

/** `Host` patterns that name one host: no `*`/`?` wildcard, no `!` negation. */
export function isConcreteHostPattern(p: string): boolean {
  return p.length > 0 && !/[*?]/.test(p) && !p.startsWith('!');
}

export interface ReadSshConfigOptions {
  /** The user's home; `~` and relative Include paths resolve against it (relative: `~/.ssh/`). */
  home: string;
  fs?: SshConfigFs;
}

/** Host entries of a user ssh config file (normally `~/.ssh/config`), in file order, first wins. */
export function readSshConfigHosts(file: string, o: ReadSshConfigOptions): SshConfigHosts {
  const fs = o.fs ?? nodeSshConfigFs;
  const byAlias = new Map<string, SshHostEntry>();
  const problems: SshConfigProblem[] = [];

  // The aliases the current block applies to; none inside Match or before the first Host.
  const readFile = (path: string, depth: number, inherited: SshHostEntry[]): void => {
    const text = fs.readFile(path);
    if (text === undefined) return;
    let block = inherited;
    text.split('\n').forEach((raw, index) => {
      const line = index + 1;
      const split = splitSshConfigLine(raw);
      if (split.kind === 'empty') return;
      if (split.kind === 'error') {
        problems.push({ file: path, line, message: split.message });
        return;
      }
      const { keyword, args } = split;
      switch (keyword) {
        case 'host': {
          block = [];
          for (const p of args.filter(isConcreteHostPattern)) {
            let e = byAlias.get(p);
            if (!e) byAlias.set(p, (e = { alias: p, file: path, line }));
            block.push(e);
          }
          return;
        }
        case 'match':
          block = [];
          return;
        case 'include':
          if (depth >= MAX_INCLUDE_DEPTH) {
            problems.push({ file: path, line, message: `Include nested deeper than ${MAX_INCLUDE_DEPTH} levels` });
            return;
          }
          // ssh restores the including block after an Include (readconf.c: "don't let Match in
          // includes clobber the containing file's Match state").
          for (const pattern of args) for (const f of expandInclude(pattern, o.home, fs)) readFile(f, depth + 1, block);
          return;
        case 'hostname':
        case 'user':
        case 'port': {
          const value = args[0];
          if (value === undefined) return;
          const field = keyword === 'hostname' ? 'hostName' : keyword;
          for (const e of block) e[field] ??= value;
          return;
        }
        default:
          return;
      }
    });
  };
  readFile(file, 0, []);
  return { hosts: [...byAlias.values()], problems };
}

/** An Include argument as glob(3) would expand it after ssh's tilde and ~/.ssh/ rules; sorted. */
export function expandInclude(pattern: string, home: string, fs: SshConfigFs): string[] {
  let p = pattern;
  if (p === '~' || p.startsWith('~/')) p = posix.join(home, p.slice(1));
  else if (!p.startsWith('/')) p = posix.join(home, '.ssh', p);
  const parts = p.split('/').filter(Boolean);
  let paths = ['/'];
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    if (!/[*?[]/.test(part)) {
      paths = paths.map(d => posix.join(d, part));
      continue;
    }
    const re = globPartToRegExp(part);
    const next: string[] = [];
    for (const d of paths) {
      for (const name of (fs.readDir(d) ?? []).sort()) {
        // glob(3): a wildcard never matches a leading dot.
        if (name.startsWith('.') && !part.startsWith('.')) continue;
        if (re.test(name)) next.push(posix.join(d, name));
      }
    }
    paths = next;
    if (!last && !paths.length) break;
  }
  return paths.filter(f => f !== '/');
}

function globPartToRegExp(part: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = part.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = part
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The entries worth offering as tunnel destinations: the aliases checkHost accepts (a `Host "my box"`
 * alias is valid to ssh, but cannot be passed safely, so it is left out rather than refused later).
 */
export function tunnelHostChoices(hosts: readonly SshHostEntry[]): SshHostEntry[] {
  return hosts.filter(h => checkHost(h.alias).ok);
}
