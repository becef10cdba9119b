// Readiness: how long after a launched server starts serving the launcher says "ready". The server
// is the llama-server stand-in (test/support/bin/stand-in-llama-server), started as a real child
// process; the wait is the launcher's own `waitUntilReady`, called with the options the Start
// Server command passes (src/features/lazy/launch.ts), so the poll interval is the product's.
// The moment the stand-in opens its port comes from its own log line (printed right after listen());
// it serves from then + --stand-in-loading-ms at the latest (its 503 "Loading model" clock starts
// just before listen()).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollIntervalMs, waitUntilReady, type ProcessEnd } from '../../src/core/launch/readiness';
import { ROOT } from './lib/machine';
import { median, spread } from './lib/stats';
import type { Row } from './lib/report';
import { freePort } from '../support/ports';

const STAND_IN = join(ROOT, 'test/support/bin/stand-in-llama-server');
const START_COMMAND = join(ROOT, 'src/features/lazy/launch.ts');

/** The poll interval the Start Server command passes to waitUntilReady, if any (read from its source). */
function productInterval(): number | undefined {
  try {
    const m = /waitUntilReady\(\{[^}]*?intervalMs:\s*(\d[\d_]*)/s.exec(readFileSync(START_COMMAND, 'utf8'));
    return m ? Number(m[1]!.replace(/_/g, '')) : undefined;
  } catch {
    return undefined;
  }
}

async function stop(child: ChildProcess, exited: Promise<ProcessEnd>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    /* gone */
  }
  const t = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 3000);
  await exited;
  clearTimeout(t);
}

interface Sample {
  openMs: number;
  servingMs: number;
  readyMs: number;
  sawLoading: boolean;
}

async function once(loadingMs: number, intervalMs: number | undefined): Promise<Sample> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(
    STAND_IN,
    ['--host', '127.0.0.1', '--port', String(port), '-m', '/models/bench.gguf', '--stand-in-loading-ms', String(loadingMs)],
    {
      env: { ...process.env, STAND_IN_NODE: process.execPath },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    },
  );
  const exited = new Promise<ProcessEnd>(r => child.on('exit', (code, signal) => r({ code, signal })));
  let openAt: number | undefined;
  let log = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    const now = performance.now();
    log += d;
    if (openAt === undefined && /HTTP server is listening/.test(log)) openAt = now;
  });
  try {
    const r = await waitUntilReady({
      provider: 'llamacpp',
      baseUrl: `http://127.0.0.1:${port}/v1`,
      timeoutMs: 30_000,
      exited,
      ...(intervalMs ? { intervalMs } : {}),
    });
    const readyAt = performance.now();
    if (r.kind !== 'ready') throw new Error(`stand-in never became ready: ${JSON.stringify(r)}\n${log}`);
    // The log line can arrive a moment after a probe already got through.
    for (let i = 0; i < 200 && openAt === undefined; i++) await new Promise(res => setTimeout(res, 10));
    if (openAt === undefined) throw new Error(`the stand-in never said it was listening:\n${log}`);
    // The stand-in starts its loading clock just before listening, so it serves from openAt + loadingMs at the latest.
    return { openMs: openAt - t0, servingMs: openAt + loadingMs - t0, readyMs: readyAt - t0, sawLoading: r.sawLoading };
  } finally {
    await stop(child, exited);
  }
}

export async function benchReadiness(runs: number, log: (s: string) => void): Promise<Row[]> {
  const interval = productInterval();
  // Every scenario here is ready within a few seconds: the schedule's first interval applies.
  const poll = interval ?? pollIntervalMs(0);
  const pollText = interval
    ? 'the interval the Start Server command passes'
    : "waitUntilReady's own schedule for the first seconds, pollIntervalMs; the Start Server command passes no intervalMs";
  // Loading times step across one poll interval, so the end of loading falls at every phase of the
  // polling instead of the same one each run.
  const loadingFor = (i: number) => 1000 + Math.round((poll * i) / runs);
  const immediate: Sample[] = [];
  const loading: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    immediate.push(await once(0, interval));
    loading.push(await once(loadingFor(i), interval));
  }
  const delay = (s: Sample) => s.readyMs - s.servingMs;
  const d0 = immediate.map(delay);
  const d1 = loading.map(delay);
  log(
    `readiness, port opens ready: ${d0.map(m => m.toFixed(0)).join(' ')} ms; after a 503 loading phase: ${d1.map(m => m.toFixed(0)).join(' ')} ms`,
  );
  const shorter = poll > 300 ? ' A shorter interval (each probe is one loopback GET) would bound it.' : '';
  const openMs = median(immediate.map(s => s.openMs));
  const nextPoll = Math.max(1, Math.ceil(openMs / poll)) * poll;
  const why0 = `the wait polls every ${poll} ms (${pollText}): at spawn, then about every ${poll} ms. The stand-in opens its port ${openMs.toFixed(0)} ms after spawn, so the first poll that finds it comes at about ${nextPoll} ms, ${(nextPoll - openMs).toFixed(0)} ms after the port opened, plus the time the failed polls and the request take.${shorter}`;
  const why1 = `the wait polls every ${poll} ms (${pollText}), so the end of loading falls anywhere in a poll interval and the delay is spread between 0 and ${poll} ms plus one request.${shorter}`;
  const polling = ` Polling every ${poll} ms (${pollText}).`;
  return [
    {
      section: 'Readiness',
      what: 'Stand-in opens its port ready: port open → reported ready',
      runs,
      value: median(d0),
      unit: 'ms',
      target: { kind: 'max', value: 300, unit: 'ms' },
      notes: [
        `\`waitUntilReady({ provider: 'llamacpp', … })\` started together with the stand-in process (as the Start Server command does), probing while it boots (connection refused) until \`/health\` answers 200. The stand-in opened its port ${openMs.toFixed(0)} ms after spawn (median), which sets where the polls fall. Delay ${spread(d0)} ms.${polling}`,
      ],
      why: why0,
    },
    {
      section: 'Readiness',
      what: 'Stand-in answers 503 "Loading model" first: end of loading → reported ready',
      runs,
      value: median(d1),
      unit: 'ms',
      target: { kind: 'max', value: 300, unit: 'ms' },
      notes: [
        `Same, with \`--stand-in-loading-ms\` ${loadingFor(0)}…${loadingFor(runs - 1)} (stepped across one poll interval): the port opens at once and every path answers 503 {"error":{"message":"Loading model"}} until loading ends. ${loading.every(s => s.sawLoading) ? 'Every run saw the loading phase.' : 'Some runs did not see the loading phase.'} Delay ${spread(d1)} ms.${polling}`,
      ],
      why: why1,
    },
  ];
}
