// A stand-in for `llama-server`: parses its flags the way llama-server does (unknown flag → error
// and exit 1), listens on --host/--port at once, answers 503 "Loading model" on every path for a
// while, then serves the scripted llama.cpp API under the --alias name. Extra flags script it:
//   --stand-in-loading-ms N     how long it "loads" (default 0)
//   --stand-in-exit CODE        exit at once with CODE, after printing --stand-in-error (or a default line)
//   --stand-in-error TEXT       the error line printed before exiting
//   --stand-in-argv-file PATH   write the argv (without node and script) as JSON to PATH
//   --stand-in-print-argv       print the argv as JSON on stdout
// Like llama-server it logs each request (but /health) and `--chat-template chatml` turns tools off.
// Run it through test/support/bin/stand-in-llama-server (works from any working directory).
import { writeFileSync } from 'node:fs';
import { startScriptedServer } from './scripted-server';

const VALUE_FLAGS = new Set([
  '-m',
  '--model',
  '--host',
  '--port',
  '-a',
  '--alias',
  '-ngl',
  '--gpu-layers',
  '--n-gpu-layers',
  '-t',
  '--threads',
  '-c',
  '--ctx-size',
  '-b',
  '--batch-size',
  '-ub',
  '--ubatch-size',
  '--chat-template',
  '--chat-template-file',
  '-np',
  '--parallel',
  '-fa',
  '--flash-attn',
  '--keep',
  '-ctk',
  '--cache-type-k',
  '-ctv',
  '--cache-type-v',
  '-rea',
  '--reasoning',
  '--api-key',
  '--stand-in-loading-ms',
  '--stand-in-exit',
  '--stand-in-error',
  '--stand-in-argv-file',
]);
const SWITCHES = new Set(['--jinja', '--no-jinja', '--stand-in-print-argv']);

const argv = process.argv.slice(2);
const opts = new Map<string, string>();
for (let i = 0; i < argv.length; i++) {
  // Like llama-server: `--flag_name` is `--flag-name`, the whole word must be a known flag, and
  // the next element is the value whatever it looks like.
  const a = argv[i].startsWith('--') ? argv[i].replace(/_/g, '-') : argv[i];
  if (SWITCHES.has(a)) {
    opts.set(a, '1');
    continue;
  }
  if (!VALUE_FLAGS.has(a)) {
    process.stderr.write(`error: invalid argument: ${a}\n`);
    process.exit(1);
  }
  if (i + 1 >= argv.length) {
    process.stderr.write(`error while handling argument "${a}": expected value for argument\n`);
    process.exit(1);
  }
  opts.set(a, argv[++i]);
}
const get = (...names: string[]) => names.map(n => opts.get(n)).find(v => v !== undefined);

if (opts.has('--stand-in-argv-file')) writeFileSync(opts.get('--stand-in-argv-file') as string, JSON.stringify(argv));
if (opts.has('--stand-in-print-argv')) process.stdout.write(`${JSON.stringify(argv)}\n`);

const exitCode = get('--stand-in-exit');
if (exitCode !== undefined) {
  process.stderr.write(`${get('--stand-in-error') ?? `gguf_init_from_file: failed to open GGUF file '${get('-m', '--model') ?? ''}'`}\n`);
  process.exit(Number(exitCode));
}

const host = get('--host') ?? '127.0.0.1';
const port = Number(get('--port') ?? 8080);
const alias = get('-a', '--alias') ?? get('-m', '--model') ?? 'stand-in';
const loadingMs = Number(get('--stand-in-loading-ms') ?? 0);
const log = (line: string) => process.stderr.write(`${line}\n`);

void (async () => {
  log('main: binding port with default address family');
  const server = await startScriptedServer({
    kind: 'llamacpp',
    host,
    port,
    loadingMs,
    apiKey: process.env.LLAMA_API_KEY || undefined,
    models: [{ id: alias, contextWindow: Number(get('-c', '--ctx-size') ?? 16384) || 16384 }],
    // As llama-server: `--chat-template chatml` has no tool support.
    ...(get('--chat-template') === 'chatml' ? { template: 'chatml' as const } : {}),
    // llama-server logs every request it answers (log_server_r); health checks are left out here.
    onRequest: r => {
      if (r.path !== '/health') log(`srv  log_server_r: request: ${r.method} ${r.path} 127.0.0.1`);
    },
  });
  log(`main: HTTP server is listening, hostname: ${host}, port: ${server.port}, http threads: 1`);
  log('main: loading model');
  setTimeout(() => {
    log('main: model loaded');
    log(`main: server is listening on http://${host}:${server.port} - starting the main loop`);
    log('srv  update_slots: all slots are idle');
  }, loadingMs);
  const stop = (sig: string) => {
    log(`srv    operator(): received ${sig}, cleaning up before exit...`);
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
})().catch(e => {
  log(`main: exiting due to HTTP server error: ${(e as Error).message}`);
  process.exit(1);
});
