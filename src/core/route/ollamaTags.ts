// Ollama's installed models with their sizes (GET /api/tags), for the default-model choice.
// {"models":[{"name":"llama3.2:latest","size":N,"capabilities":["completion","tools"],"remote_host"?:…}]};
// `capabilities` appears only in newer builds, `remote_host`/`remote_model` only for cloud models.
import { httpRequest, HttpFailure, parseJson } from '../net/http';
import { errorMessageFromBody } from '../net/errors';
import type { InstalledModel } from './defaultModel';

export type TagsResult = { kind: 'ok'; models: InstalledModel[] } | { kind: 'error'; message: string };

export function parseOllamaTags(body: unknown): InstalledModel[] {
  const list = (body as { models?: unknown })?.models;
  if (!Array.isArray(list)) return [];
  const out: InstalledModel[] = [];
  for (const m of list as Array<Record<string, unknown> | null>) {
    const name = typeof m?.name === 'string' ? m.name : typeof m?.model === 'string' ? m.model : undefined;
    if (!m || !name) continue;
    const e: InstalledModel = { name, sizeBytes: typeof m.size === 'number' && Number.isFinite(m.size) && m.size > 0 ? m.size : 0 };
    if (Array.isArray(m.capabilities)) e.capabilities = m.capabilities.filter((c): c is string => typeof c === 'string');
    if (m.remote_host || m.remote_model) e.remote = true;
    out.push(e);
  }
  return out;
}

/** `root` is the server root without /v1 (http://127.0.0.1:11434). */
export async function fetchOllamaTags(root: string, o: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<TagsResult> {
  try {
    const r = await httpRequest({
      url: `${root}/api/tags`,
      signal: o.signal,
      headers: { accept: 'application/json' },
      limits: { totalMs: o.timeoutMs ?? 5_000 },
    });
    if (r.status !== 200) return { kind: 'error', message: `GET /api/tags answered ${r.status}: ${errorMessageFromBody(r.text, 300)}` };
    const j = parseJson(r.text);
    if (!j.ok) return { kind: 'error', message: `GET /api/tags did not return JSON: ${j.error}` };
    return { kind: 'ok', models: parseOllamaTags(j.value) };
  } catch (e) {
    return { kind: 'error', message: e instanceof HttpFailure ? e.message : String(e) };
  }
}
