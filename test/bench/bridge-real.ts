// Time to the first token through the route bridge against the same request sent directly, on the real
// llama-server (`npm run setup:real-server`, tiny-chat): what the bridge adds where a model computes
// the answer, a small request and a Codex-sized one. The bridge is the built CLI in its own process
// (`bridge --port 0`); the direct request is the chat-completions body the bridge itself sends for the
// Responses request (the same work on the server). Every request starts with a nonce of the same
// length, so llama.cpp's prompt cache never serves one request from another; direct and bridged
// alternate, one at a time (llama.cpp is sent one request at a time).
import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DEFAULT_REPAIRS } from '../../src/core/bridge/adapter';
import { responsesAdapter } from '../../src/core/bridge/responses';
import { findRealLlama } from '../support/real-llama';
import { ALIAS, launch } from '../support/real-route';
import { spawnListening, stop } from './bridge-kit';
import { ROOT } from './lib/machine';
import { median, spread } from './lib/stats';
import type { Row } from './lib/report';

const SECTION = 'Route bridge';
const TARGET = 1.05;

/** A first token: a chat content delta with text, a Responses output_text.delta. */
const FIRST: Record<string, RegExp> = {
  '/v1/chat/completions': /"content":"[^"]/,
  '/v1/responses': /response\.output_text\.delta/,
};

function firstTokenMs(agent: http.Agent, port: number, path: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = 0;
    let seen = '';
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      res => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (first) return;
          seen = (seen + c).slice(-4096);
          if (FIRST[path]!.test(seen)) first = performance.now();
        });
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode} from ${path}`));
          if (!first) return reject(new Error(`no first token from ${path}`));
          resolve(first - t0);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function request(instructions: string): Record<string, unknown> {
  return {
    model: ALIAS,
    instructions: `${randomBytes(8).toString('hex')} ${instructions}`,
    input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Reply with exactly: OK' }] }],
    max_output_tokens: 8,
    stream: true,
  };
}

function chatBody(req: Record<string, unknown>): string {
  const p = responsesAdapter().plan(req, DEFAULT_REPAIRS);
  if (!p.ok) throw new Error(p.message);
  return JSON.stringify(p.plan.body);
}

export async function benchBridgeReal(quick: boolean, log: (s: string) => void): Promise<Row[]> {
  const sizes = [
    { label: 'small request', instructions: 'You are a coding agent.', n: quick ? 8 : 30 },
    // About Codex's first prompt on a model catalog's short system prompt (≈6,000 tokens).
    { label: 'Codex-sized request (≈6,000 prompt tokens)', instructions: 'Follow the repository rules. '.repeat(1_000), n: quick ? 4 : 12 },
  ];
  const what = (label: string) => `time to first token through the bridge vs direct, real llama-server (tiny-chat): ${label}`;
  const real = findRealLlama();
  if (!real.ok) return sizes.map(s => notMeasured(what(s.label), real.reason));
  const server = await launch({ model: 'tiny-chat', settings: { 'llamacpp.contextSize': 16384 } });
  const bridge = await spawnListening(
    [process.execPath, join(ROOT, 'dist/cli.js'), 'bridge', '--port', '0', '--upstream', server.baseUrl],
    /127\.0\.0\.1:(\d+)\/v1/,
  );
  const serverPort = Number(new URL(server.baseUrl).port);
  const direct = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const bridged = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const rows: Row[] = [];
  // A kept-alive connection that its server closes just as the next request goes out ends in "socket
  // hang up" (a client race, not the server's answer): that request is sent again once, and said. A
  // process that died fails the second try too.
  const once = async (measure: () => Promise<number>, side: string): Promise<number> => {
    try {
      return await measure();
    } catch (e) {
      if (!/socket hang up|ECONNRESET/.test((e as Error).message)) throw e;
      log(`  bridge (real llama-server): ${side} request: ${(e as Error).message}; sent again`);
      return measure();
    }
  };
  try {
    for (const s of sizes) {
      const d: number[] = [];
      const b: number[] = [];
      // One uncounted pair first (connections, the first graph build).
      for (let i = 0; i <= s.n; i++) {
        const dm = await once(() => firstTokenMs(direct, serverPort, '/v1/chat/completions', chatBody(request(s.instructions))), 'direct');
        const bm = await once(
          () => firstTokenMs(bridged, bridge.port, '/v1/responses', JSON.stringify(request(s.instructions))),
          'bridged',
        );
        if (i === 0) continue;
        d.push(dm);
        b.push(bm);
      }
      const ratio = median(b) / median(d);
      log(
        `  bridge (real llama-server), ${s.label}: direct ${median(d).toFixed(1)} ms, bridged ${median(b).toFixed(1)} ms (${ratio.toFixed(3)}×)`,
      );
      rows.push({
        section: SECTION,
        what: what(s.label),
        runs: s.n,
        value: median(b),
        unit: 'ms',
        baseline: { what: 'the same request sent directly', value: median(d) },
        target: { kind: 'ratio-max', value: TARGET },
        notes: [
          `direct ${spread(d, 1)} ms; through the bridge ${spread(b, 1)} ms`,
          'the built CLI bridge in its own process; the direct body is the chat-completions body the bridge sends; a fresh nonce per request (no prompt-cache hits); alternating, one at a time',
        ],
        ...(ratio > TARGET
          ? {
              why: `the tiny model's first token comes ${median(d).toFixed(0)} ms after the request directly; through the bridge the same work runs while a second process (the bridge) shares this machine's 2 cores with llama-server's threads, and the bridge's own steps (about 1 ms on the synthetic upstream) are a large fraction of so short a wait. On a Codex-sized prompt the same cost is a few per cent`,
            }
          : {}),
      });
    }
  } finally {
    direct.destroy();
    bridged.destroy();
    await stop(bridge.child);
    await server.stop();
  }
  return rows;
}

function notMeasured(what: string, reason: string): Row {
  return { section: SECTION, what, runs: 0, unit: 'ms', target: { kind: 'ratio-max', value: TARGET }, notes: [], notMeasured: reason };
}
