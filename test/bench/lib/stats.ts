// Small statistics for benchmark samples: these machines are noisy, so every row reports a median
// over several runs and keeps the spread for the notes.
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function spread(xs: readonly number[], digits = 0): string {
  if (xs.length === 0) return 'no samples';
  const f = (n: number) => n.toFixed(digits);
  return `min ${f(Math.min(...xs))}, max ${f(Math.max(...xs))}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms));
}

/** Wall time of `f` in milliseconds (monotonic clock). */
export async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await f();
  return { ms: performance.now() - t0, value };
}

/** Rejects when `p` has not settled within `ms`, so no benchmark step can hang the run. */
export function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`${what}: no result within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
