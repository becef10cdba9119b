// The bridge as the extension runs it: inside an existing Node process (the extension host), where
// what it costs is the V8 heap it adds. Run with --expose-gc; argv[2] is the upstream's port. Prints
// one JSON line when listening ({port, heapBefore, heapLoaded}: MB used after a full GC before the
// bridge was loaded and once it listens), and one on SIGUSR2 ({heapNow}).
import type { RunningBridge } from '../../src/core/bridge/server';

const gc = (globalThis as { gc?: () => void }).gc;
const heapMB = () => {
  gc?.();
  return process.memoryUsage().heapUsed / (1024 * 1024);
};

async function main(): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc');
  const heapBefore = heapMB();
  const [{ startBridge }, { responsesAdapter }, { messagesAdapter }] = await Promise.all([
    import('../../src/core/bridge/server'),
    import('../../src/core/bridge/responses'),
    import('../../src/core/bridge/messages'),
  ]);
  const bridge: RunningBridge = await startBridge({
    upstream: `http://127.0.0.1:${process.argv[2]}/v1`,
    adapters: [responsesAdapter(), messagesAdapter()],
  });
  process.stdout.write(`${JSON.stringify({ port: bridge.port, heapBefore, heapLoaded: heapMB() })}\n`);
  process.on('SIGUSR2', () => process.stdout.write(`${JSON.stringify({ heapNow: heapMB() })}\n`));
  process.on('SIGINT', () => void bridge.close().then(() => process.exit(0)));
}

void main();
