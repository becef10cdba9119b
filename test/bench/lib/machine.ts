// The machine a bench run measured: printed at the top of BENCHMARKS.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../..');

export function which(name: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(d, name);
    if (d && existsSync(p)) return p;
  }
  return undefined;
}

/** First line a tool prints, run with HOME (and CODEX_HOME, XDG_*) in a temp dir so it writes nothing to the real one. */
export function firstLine(cmd: string, args: string[]): string | undefined {
  const home = mkdtempSync(join(tmpdir(), 'lmr-bench-version-'));
  try {
    const env = { ...process.env, HOME: home, CODEX_HOME: home, XDG_CONFIG_HOME: home, XDG_CACHE_HOME: home, XDG_DATA_HOME: home };
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: 15_000, env, stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .find(l => l.trim())
      ?.trim();
  } catch {
    return undefined;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  os: string;
  loadAvg: string;
  node: string;
  hostNode?: string;
  codeServer?: string;
  vscode?: string;
  chromium?: string;
  codex?: string;
  curl?: string;
  commit?: string;
}

export function describeMachine(paths: { node24?: string; codeServerBin?: string; chromium?: string; codex?: string }): Machine {
  const osRelease = existsSync('/etc/os-release')
    ? /^PRETTY_NAME="?([^"\n]*)/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1]
    : undefined;
  const m: Machine = {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osRelease ?? process.platform}, Linux ${release()}`,
    loadAvg: loadavg()
      .map(l => l.toFixed(2))
      .join(' '),
    node: process.version,
  };
  if (paths.node24 && existsSync(paths.node24)) m.hostNode = firstLine(paths.node24, ['--version']);
  if (paths.codeServerBin) {
    // Read from the packages: running `code-server --version` writes a config file into $HOME.
    const pkg = join(dirname(paths.codeServerBin), '../code-server');
    const version = (f: string) => {
      try {
        return (JSON.parse(readFileSync(join(pkg, f), 'utf8')) as { version?: string }).version;
      } catch {
        return undefined;
      }
    };
    m.codeServer = version('package.json');
    m.vscode = version('lib/vscode/package.json');
  }
  if (paths.chromium && existsSync(paths.chromium)) m.chromium = firstLine(paths.chromium, ['--version']);
  if (paths.codex && existsSync(paths.codex)) m.codex = firstLine(paths.codex, ['--version']);
  const curl = which('curl');
  if (curl) m.curl = firstLine(curl, ['--version'])?.split(' ').slice(0, 2).join(' ');
  m.commit = firstLine('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  if (m.commit && firstLine('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no']))
    m.commit += ' + uncommitted changes in the working tree';
  return m;
}
