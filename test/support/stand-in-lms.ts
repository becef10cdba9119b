// A stand-in for LM Studio's `lms` CLI. Like the real one, `lms server start` asks a background
// server to start and returns; `lms load` loads a model into it; `lms server stop` stops it.
//   lms server start [--port=N | --port N]   starts the scripted LM Studio server (detached), exits 0
//   lms load <model> [--context-length=N] [--identifier=ID] [-y]   lists the model (under ID if given)
//   lms server stop
// State (pid, port) lives in $STAND_IN_LMS_STATE (default: <tmp>/stand-in-lms). Models named
// missing/… fail to load, like a key `lms ls` does not know.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScriptedServer, sendJson, type ScriptedModel } from './scripted-server';

const stateDir = process.env.STAND_IN_LMS_STATE || join(tmpdir(), 'stand-in-lms');
const stateFile = join(stateDir, 'server.json');
const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === name) return argv[i + 1];
    if (argv[i].startsWith(`${name}=`)) return argv[i].slice(name.length + 1);
  }
  return undefined;
};
const readState = (): { pid: number; port: number } | undefined => {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    return undefined;
  }
};
const fail = (msg: string): never => {
  process.stderr.write(`${msg}\n`);
  process.exit(1);
};

async function main(): Promise<void> {
  const [a, b] = argv;
  if (a === '__serve') {
    const models: ScriptedModel[] = [];
    const server = await startScriptedServer({
      kind: 'lmstudio',
      port: Number(b),
      models,
      overrides: [
        (req, res, body) => {
          if (req.url !== '/__load') return false;
          models.push({ id: JSON.parse(body).id });
          sendJson(res, 200, { ok: true });
          return true;
        },
      ],
    });
    process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
    return;
  }
  if (a === 'server' && b === 'start') {
    const port = Number(opt('--port') ?? 1234);
    mkdirSync(stateDir, { recursive: true });
    const child = spawn(process.execPath, [...process.execArgv, __filename, '__serve', String(port)], { detached: true, stdio: 'ignore' });
    child.unref();
    writeFileSync(stateFile, JSON.stringify({ pid: child.pid, port }));
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`http://127.0.0.1:${port}/v1/models`);
        process.stdout.write(`Success! Server is now running on port ${port}\n`);
        return;
      } catch {
        await new Promise(r => setTimeout(r, 100));
      }
    }
    fail(`Failed to start the server on port ${port}`);
  }
  if (a === 'server' && b === 'stop') {
    const s = readState();
    if (!s) fail('The server is not running.');
    try {
      process.kill((s as { pid: number }).pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    rmSync(stateFile, { force: true });
    process.stdout.write(`Stopped the server on port ${(s as { port: number }).port}.\n`);
    return;
  }
  if (a === 'load') {
    const model = b;
    if (!model || model.startsWith('-')) fail('Error: a model key is required');
    if (model.startsWith('missing/')) fail(`Error: Cannot find a model matching "${model}"`);
    const s = readState();
    if (!s) fail('Error: LM Studio server is not running');
    const id = opt('--identifier') ?? model;
    await fetch(`http://127.0.0.1:${(s as { port: number }).port}/__load`, { method: 'POST', body: JSON.stringify({ id }) });
    process.stdout.write(`Model loaded successfully: ${id} (context length ${opt('--context-length') ?? 'default'})\n`);
    return;
  }
  fail(`Unknown command: ${argv.join(' ')}`);
}

void main();
