// A stand-in for `ollama serve`: reads OLLAMA_HOST like Ollama, serves the scripted Ollama API, and
// implements POST /api/pull with NDJSON progress (the model is listed after {"status":"success"}).
//   STAND_IN_OLLAMA_MODELS   comma-separated models present at start
//   STAND_IN_OLLAMA_PULL_MS  how long a pull takes (default 1000); a model named missing/… fails
// Run it through test/support/bin/stand-in-ollama (works from any working directory).
import { startScriptedServer, sendJson, type ScriptedModel } from './scripted-server';

const log = (msg: string) => process.stderr.write(`time=${new Date().toISOString()} level=INFO source=stand-in msg="${msg}"\n`);

if (process.argv[2] !== 'serve') {
  process.stderr.write(`Error: unknown command "${process.argv[2] ?? ''}" for "ollama"\n`);
  process.exit(1);
}
const raw = (process.env.OLLAMA_HOST || '127.0.0.1:11434').replace(/^[a-z]+:\/\//i, '');
const m = /^(\[[^\]]+\]|[^:]*)(?::(\d+))?$/.exec(raw);
const host = (m?.[1] || '127.0.0.1').replace(/^\[|\]$/g, '');
const port = Number(m?.[2] || 11434);
const models: ScriptedModel[] = (process.env.STAND_IN_OLLAMA_MODELS ?? '')
  .split(',')
  .filter(Boolean)
  .map(id => ({ id, capabilities: ['completion', 'tools'] }));
const pullMs = Number(process.env.STAND_IN_OLLAMA_PULL_MS ?? 1000);

log(
  `server config env="map[OLLAMA_CONTEXT_LENGTH:${process.env.OLLAMA_CONTEXT_LENGTH ?? ''} OLLAMA_HOST:${process.env.OLLAMA_HOST ?? ''} OLLAMA_MODELS:${process.env.OLLAMA_MODELS ?? ''}]"`,
);

void (async () => {
  const server = await startScriptedServer({
    kind: 'ollama',
    host,
    port,
    models,
    overrides: [
      (req, res, body) => {
        if (req.method !== 'POST' || req.url !== '/api/pull') return false;
        let name = '';
        try {
          name = String(JSON.parse(body).model ?? '');
        } catch {
          /* handled below */
        }
        if (!name) {
          sendJson(res, 400, { error: 'model is required' });
          return true;
        }
        if (name.startsWith('missing/')) {
          sendJson(res, 500, { error: 'pull model manifest: file does not exist' });
          return true;
        }
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        const total = 2_000_000_000;
        const steps = [
          { status: 'pulling manifest' },
          ...[1, 2, 3, 4].map(i => ({ status: 'pulling 3f4e2a1b9c8d', digest: 'sha256:3f4e2a1b9c8d', total, completed: (total * i) / 4 })),
          { status: 'verifying sha256 digest' },
          { status: 'writing manifest' },
          { status: 'success' },
        ];
        let i = 0;
        const t = setInterval(() => {
          if (i < steps.length) {
            if (steps[i].status === 'success') models.push({ id: name, capabilities: ['completion', 'tools'] });
            res.write(`${JSON.stringify(steps[i++])}\n`);
          } else {
            clearInterval(t);
            res.end();
          }
        }, pullMs / steps.length);
        res.on('close', () => clearInterval(t));
        log(`pulling ${name}`);
        return true;
      },
    ],
  });
  log(`Listening on ${host}:${server.port} (version 0.33.0)`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
})().catch(e => {
  process.stderr.write(`Error: listen tcp ${host}:${port}: ${(e as Error).message}\n`);
  process.exit(1);
});
