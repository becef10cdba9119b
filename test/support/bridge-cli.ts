// `local-model-router bridge` as a user runs it: its own process (the CLI from source through tsx),
// its URL read from stdout, its request log from stderr, stopped with SIGINT (Ctrl+C) and killed if
// it does not exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const MAIN = resolve(__dirname, '../../src/cli/main.ts');

export interface BridgeProcess {
  /** The base URL it printed, e.g. http://127.0.0.1:41234/v1. */
  readonly url: string;
  readonly child: ChildProcess;
  /** Its stderr so far (one line per request). */
  log(): string;
  stop(): Promise<number | null>;
}

export async function startBridgeCli(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<BridgeProcess> {
  // Tests run side by side: any free port unless a test names one (the command's default is one fixed port).
  const port = args.includes('--port') ? [] : ['--port', '0'];
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'bridge', ...port, ...args], {
    env,
    cwd: resolve(__dirname, '../..'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d.length + err.length > 1_000_000 ? '' : d));
  const exited = new Promise<number | null>(r => child.once('exit', code => r(code)));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`the bridge printed no URL in 20 s; stderr: ${err}`)), 20_000);
    const check = () => {
      const m = /^(http:\/\/127\.0\.0\.1:\d+\/v1)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    };
    child.stdout.on('data', check);
    void exited.then(code => {
      clearTimeout(timer);
      fail(new Error(`the bridge exited ${code} before listening; stderr: ${err}`));
    });
  });
  return {
    url,
    child,
    log: () => err,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
