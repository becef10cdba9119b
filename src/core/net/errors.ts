// Pulls the human message out of the error bodies local servers send:
// llama.cpp / Ollama /v1 / vLLM: {"error":{"message":…}}; Ollama native: {"error":"…"};
// old vLLM: flat {"object":"error","message":…}; FastAPI: {"detail":…}; LM Studio: a string that
// itself holds a JSON body from llama.cpp. Plain text bodies are returned trimmed.
/**
 * Whether a server's answer says it is still loading the model: llama.cpp answers every path with
 * 503 "Loading model" until the weights are in memory. `status` undefined: an error inside a stream.
 */
export function saysModelLoading(status: number | undefined, message: string): boolean {
  return (status === 503 || status === undefined) && /\bLoading model\b/i.test(message);
}

export function errorMessageFromBody(text: string, maxLength = 2_000): string {
  const msg = extract(text, 0) ?? text.trim();
  return msg.length > maxLength ? `${msg.slice(0, maxLength)}…` : msg;
}

function extract(text: string, depth: number): string | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return typeof v === 'string' ? v : undefined;
  const o = v as Record<string, unknown>;
  const e = o.error;
  if (typeof e === 'string') return (depth < 3 && unwrapEmbedded(e, depth)) || e;
  if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  if (typeof o.message === 'string') return o.message;
  if (typeof o.detail === 'string') return o.detail;
  if (Array.isArray(o.detail)) return JSON.stringify(o.detail);
  return undefined;
}

/** "Engine protocol predict request returned 500: {\"error\":{…}}" → the inner message, with the prefix kept. */
function unwrapEmbedded(s: string, depth: number): string | undefined {
  const i = s.indexOf('{');
  if (i < 0) return undefined;
  const inner = extract(s.slice(i), depth + 1);
  if (inner === undefined) return undefined;
  const prefix = s.slice(0, i).trim();
  return prefix ? `${prefix} ${inner}` : inner;
}
