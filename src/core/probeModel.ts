// The cheap check before a route becomes active: does this model answer one token on /responses?
// Failures are diagnosed by the verifier's own rules (verify/diagnose.ts), so the picker and Verify
// never disagree on what a status or an error text means.
import { createAgent } from './net/http';
import { Cancelled, postJson } from './verify/request';
import type { Diagnosis } from './verify/types';
import type { ServerKind } from './serverKind';

export type ModelProbe = { ok: true; ms: number } | { ok: false; cancelled: true } | { ok: false; cancelled?: false; diagnosis: Diagnosis };

export interface ProbeOptions {
  apiKey?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
  serverKind?: ServerKind;
}

export async function probeModelAnswers(baseUrl: string, model: string, o: ProbeOptions = {}): Promise<ModelProbe> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const agent = createAgent(2_000);
  const headers: Record<string, string> = {};
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
  try {
    const r = await postJson(
      { baseUrl, model, headers, dispatcher: agent, signal: o.signal, serverKind: o.serverKind, limits: { connectMs: 2_000, headersMs: timeoutMs, idleMs: timeoutMs, totalMs: timeoutMs, maxBytes: 1024 * 1024 } },
      '/responses',
      { model, input: 'Reply with exactly: OK', max_output_tokens: 1, stream: false, store: false },
    );
    return r.ok ? { ok: true, ms: Math.round(r.ms) } : { ok: false, diagnosis: r.diagnosis };
  } catch (e) {
    if (e instanceof Cancelled) return { ok: false, cancelled: true };
    throw e;
  } finally {
    void agent.close();
  }
}
