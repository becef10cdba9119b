// Makes sure Ollama has a model: POST /api/show says whether it is there, POST /api/pull streams
// NDJSON progress ({"status":"pulling <digest>","digest":…,"total":N,"completed":M}) until
// {"status":"success"}; failures arrive as {"error":"…"}, before or during the stream.
import { httpRequest, httpStream, HttpFailure, parseJson } from '../net/http';
import { errorMessageFromBody } from '../net/errors';

export interface PullProgress {
  status: string;
  digest?: string;
  total?: number;
  completed?: number;
}

export type PullResult = { kind: 'done' } | { kind: 'error'; message: string } | { kind: 'cancelled' };

export type HasModel = { kind: 'present' } | { kind: 'missing' } | { kind: 'error'; message: string };

/** `root` is the server root without /v1 (http://127.0.0.1:11434). */
export async function ollamaHasModel(root: string, model: string, signal?: AbortSignal): Promise<HasModel> {
  try {
    const r = await httpRequest({ url: `${root}/api/show`, body: { model }, signal, limits: { totalMs: 10_000 } });
    if (r.status === 200) return { kind: 'present' };
    if (r.status === 404) return { kind: 'missing' };
    return { kind: 'error', message: `POST /api/show answered ${r.status}: ${errorMessageFromBody(r.text, 300)}` };
  } catch (e) {
    return { kind: 'error', message: e instanceof HttpFailure ? e.message : String(e) };
  }
}

export interface PullOptions {
  signal?: AbortSignal;
  onProgress?: (p: PullProgress) => void;
  /** Longest silence between two progress lines (a stalled registry). */
  idleMs?: number;
}

export async function pullOllamaModel(root: string, model: string, o: PullOptions = {}): Promise<PullResult> {
  let stream;
  try {
    stream = await httpStream({
      url: `${root}/api/pull`,
      body: { model, stream: true },
      signal: o.signal,
      // A pull of tens of gigabytes takes as long as it takes; only silence is an error.
      limits: { connectMs: 2_000, headersMs: 60_000, idleMs: o.idleMs ?? 300_000, totalMs: 7 * 24 * 3600_000, maxBytes: 512 * 1024 * 1024 },
    });
  } catch (e) {
    return failure(e, o.signal);
  }
  try {
    if (stream.status !== 200) {
      let text = '';
      for await (const c of stream.chunks) text += c;
      return { kind: 'error', message: `POST /api/pull answered ${stream.status}: ${errorMessageFromBody(text, 500)}` };
    }
    let buf = '';
    for await (const chunk of stream.chunks) {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        const r = handleLine(line, o);
        if (r) return r;
      }
    }
    const r = handleLine(buf.trim(), o);
    if (r) return r;
    return { kind: 'error', message: 'the pull stopped before Ollama reported success' };
  } catch (e) {
    return failure(e, o.signal);
  } finally {
    stream.close();
  }
}

function handleLine(line: string, o: PullOptions): PullResult | undefined {
  if (!line) return undefined;
  const j = parseJson(line);
  if (!j.ok || typeof j.value !== 'object' || j.value === null) return undefined;
  const v = j.value as { status?: unknown; error?: unknown; digest?: unknown; total?: unknown; completed?: unknown };
  if (typeof v.error === 'string') return { kind: 'error', message: v.error };
  if (typeof v.status !== 'string') return undefined;
  if (v.status === 'success') return { kind: 'done' };
  const p: PullProgress = { status: v.status };
  if (typeof v.digest === 'string') p.digest = v.digest;
  if (typeof v.total === 'number') p.total = v.total;
  if (typeof v.completed === 'number') p.completed = v.completed;
  o.onProgress?.(p);
  return undefined;
}

function failure(e: unknown, signal?: AbortSignal): PullResult {
  if (signal?.aborted) return { kind: 'cancelled' };
  return { kind: 'error', message: e instanceof HttpFailure ? e.message : String(e) };
}

/** "pulling 3f4e2a1b… 42% (1.2 GB of 2.9 GB)" */
export function describePull(p: PullProgress): string {
  if (p.total && p.total > 0 && p.completed !== undefined) {
    const pct = Math.floor((p.completed / p.total) * 100);
    return `${p.status.replace(/(pulling [0-9a-f]{12})[0-9a-f]*/, '$1')} ${pct}% (${gb(p.completed)} of ${gb(p.total)})`;
  }
  return p.status;
}

function gb(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${(n / 1e6).toFixed(0)} MB`;
}
