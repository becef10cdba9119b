// The cheap check before a route becomes active: does this model answer one token on /responses
// (Codex), or else on /v1/messages (Claude Code), or else on /chat/completions (both agents then go
// through the route bridge, core/bridge)?
// Failures are diagnosed by the verifier's own rules (verify/diagnose.ts), so the picker and Verify
// never disagree on what a status or an error text means.
import { createAgent } from '../net/http';
import { Cancelled, postJson } from '../verify/request';
import type { Diagnosis } from '../verify/types';
import type { ServerKind } from '../serverKind';
import { serverRoot } from '../endpoints';

/**
 * `api`: which wire API answered (a server without /responses can still carry Claude Code; one with
 * chat completions only carries both through the route bridge).
 */
export type ModelProbe =
  | { ok: true; ms: number; api: 'responses' | 'messages' | 'chat' }
  | { ok: false; cancelled: true }
  | { ok: false; cancelled?: false; diagnosis: Diagnosis };

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
    const limits = { connectMs: 2_000, headersMs: timeoutMs, idleMs: timeoutMs, totalMs: timeoutMs, maxBytes: 1024 * 1024 };
    const r = await postJson(
      { baseUrl, model, headers, dispatcher: agent, signal: o.signal, serverKind: o.serverKind, limits },
      '/responses',
      { model, input: 'Reply with exactly: OK', max_output_tokens: 1, stream: false, store: false },
    );
    if (r.ok) return { ok: true, ms: Math.round(r.ms), api: 'responses' };
    if (r.diagnosis.code !== 'responses-api-missing') return { ok: false, diagnosis: r.diagnosis };
    // No Responses API: a server with Anthropic's Messages API still carries Claude Code.
    const m = await postJson(
      {
        baseUrl: `${serverRoot(baseUrl)}/v1`,
        model,
        headers: { ...headers, 'anthropic-version': '2023-06-01', ...(o.apiKey ? { 'x-api-key': o.apiKey } : {}) },
        dispatcher: agent,
        signal: o.signal,
        serverKind: o.serverKind,
        limits,
      },
      '/messages',
      { model, max_tokens: 1, messages: [{ role: 'user', content: 'Reply with exactly: OK' }] },
    );
    if (m.ok) return { ok: true, ms: Math.round(r.ms + m.ms), api: 'messages' };
    // Neither agent's API: chat completions still carry both through the route bridge.
    const c = await postJson(
      { baseUrl, model, headers, dispatcher: agent, signal: o.signal, serverKind: o.serverKind, limits },
      '/chat/completions',
      { model, messages: [{ role: 'user', content: 'Reply with exactly: OK' }], max_tokens: 1, stream: false },
    );
    return c.ok ? { ok: true, ms: Math.round(r.ms + m.ms + c.ms), api: 'chat' } : { ok: false, diagnosis: r.diagnosis };
  } catch (e) {
    if (e instanceof Cancelled) return { ok: false, cancelled: true };
    throw e;
  } finally {
    void agent.close();
  }
}
