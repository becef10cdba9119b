// A stand-in for `vllm serve`: parses its arguments the way the extension passes them
// (`serve <model> --host=H --port=P [--served-model-name=N] [--max-model-len=N] …`), serves the
// scripted vLLM API there, and stops on SIGTERM. Run it through test/support/bin/stand-in-vllm.
import { startScriptedServer } from './scripted-server';

const argv = process.argv.slice(2);
if (argv[0] !== 'serve') {
  process.stderr.write(`usage: vllm serve <model> [options]\n`);
  process.exit(2);
}
const opt = (name: string): string | undefined => argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const model = argv[1]?.startsWith('--model=') ? argv[1].slice(8) : argv[1];
const host = opt('host') ?? '0.0.0.0';
const port = Number(opt('port') ?? 8000);
const name = opt('served-model-name') ?? model ?? 'stand-in';
const log = (line: string) => process.stderr.write(`INFO ${line}\n`);

void (async () => {
  const server = await startScriptedServer({
    kind: 'vllm',
    host,
    port,
    apiKey: process.env.VLLM_API_KEY || undefined,
    models: [{ id: name, contextWindow: Number(opt('max-model-len') ?? 32768) }],
  });
  log(`Started server process; Uvicorn running on http://${host}:${server.port} (Press CTRL+C to quit)`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
})().catch(e => {
  log(`ERROR ${(e as Error).message}`);
  process.exit(1);
});
