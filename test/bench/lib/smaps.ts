// Where a process's memory lies, from /proc/self/smaps: the proportional set size (PSS) of every
// mapping, summed by what the mapping is. Used inside the extension host (host/payload.ts) and in
// the plain Node process of the memory diagnostic (memory-diag.ts), so a growth can be put down to
// the allocator, V8's heap, V8's generated code or files mapped in.
//
// The classes follow how each allocator maps memory on Linux x64 (glibc, V8):
//  - glibc's main malloc heap is the [heap] mapping (brk);
//  - every other thread's malloc arena is an anonymous mapping at a 64 MiB boundary (HEAP_MAX_SIZE),
//    read-write up to what the arena has used;
//  - V8's generated code is anonymous executable memory (its code range);
//  - V8's heap pages are anonymous read-write mappings at 256 KiB boundaries (its page size);
//  - files: the node binary, shared libraries, anything mmapped from disk.
import { readFileSync } from 'node:fs';
import { median } from './stats';

export const REGIONS = [
  'malloc: thread arenas',
  'malloc: main heap',
  'V8 heap pages',
  'V8 generated code',
  'files',
  'other anonymous',
] as const;
export type Region = (typeof REGIONS)[number];
export type RegionMB = Record<Region, number>;

const MiB = 1024 * 1024;
const ARENA = 64 * MiB;
const V8_PAGE = 256 * 1024;

function classify(start: number, end: number, perms: string, path: string): Region {
  if (path === '[heap]') return 'malloc: main heap';
  if (path && !path.startsWith('[')) return 'files';
  if (path) return 'other anonymous'; // [stack], [vdso], [vvar] …
  if (perms.includes('x')) return 'V8 generated code';
  if (perms.startsWith('rw') && start % ARENA === 0 && end - start <= ARENA) return 'malloc: thread arenas';
  if (perms.startsWith('rw') && start % V8_PAGE === 0 && (end - start) % V8_PAGE === 0) return 'V8 heap pages';
  return 'other anonymous';
}

/** PSS of this process (or of `pid`) by region, in MB; undefined where /proc is not there. */
export function pssByRegion(pid: number | 'self' = 'self'): RegionMB | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return undefined;
  }
  const out = Object.fromEntries(REGIONS.map(r => [r, 0])) as RegionMB;
  let region: Region | undefined;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      region = classify(parseInt(head[1]!, 16), parseInt(head[2]!, 16), head[3]!, head[4]!.trim());
      continue;
    }
    const pss = /^Pss:\s+(\d+) kB/.exec(line);
    if (pss && region) out[region] += Number(pss[1]) / 1024;
  }
  return out;
}

/** b − a per region, largest growth first, e.g. "malloc: thread arenas 12.3, V8 heap pages 1.0". */
export function regionGrowth(a: RegionMB | undefined, b: RegionMB | undefined): Array<{ region: Region; mb: number }> {
  if (!a || !b) return [];
  return REGIONS.map(region => ({ region, mb: b[region] - a[region] })).sort((x, y) => y.mb - x.mb);
}

/** Median growth per region over several runs, largest first, as text: "malloc: thread arenas 4.1, V8 generated code 0.4". */
export function regionGrowthText(runs: ReadonlyArray<readonly [RegionMB | undefined, RegionMB | undefined]>): string {
  const per = runs.map(([a, b]) => regionGrowth(a, b)).filter(p => p.length);
  if (!per.length) return 'not available (no /proc/self/smaps)';
  return (
    REGIONS.map(region => ({ region, mb: median(per.map(p => p.find(x => x.region === region)!.mb)) }))
      .sort((x, y) => y.mb - x.mb)
      .filter(g => Math.abs(g.mb) >= 0.1)
      .map(g => `${g.region} ${g.mb.toFixed(1)}`)
      .join(', ') || 'under 0.1 MB in every region'
  );
}
