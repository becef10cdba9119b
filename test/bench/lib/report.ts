// One benchmark row and how it is printed: a console table and BENCHMARKS.md, both from the same rows.
export type Target =
  /** measured ≤ value (absolute) */
  | { kind: 'max'; value: number; unit: string }
  /** measured / baseline ≤ value */
  | { kind: 'ratio-max'; value: number }
  /** baseline / measured ≥ value ("N× faster") */
  | { kind: 'faster-by'; value: number }
  /** context for another row */
  | { kind: 'info' };

export interface Row {
  section: string;
  what: string;
  /** Runs the median is taken over. */
  runs: number;
  value?: number;
  unit: string;
  baseline?: { what: string; value: number };
  target: Target;
  /** Method, spread, and (when missed) why. */
  notes: string[];
  /** Why the target is missed, in plain words (shown when it is). */
  why?: string;
  /** Set when the row could not be measured: the reason. */
  notMeasured?: string;
}

export type Verdict = 'met' | 'MISSED' | 'info' | 'not measured';

export function ratioOf(r: Row): number | undefined {
  // A ratio of growths (one of them negative) or to nothing says nothing.
  if (r.value === undefined || !r.baseline || r.value < 0 || r.baseline.value <= 0) return undefined;
  if (r.target.kind === 'faster-by') return r.value > 0 ? r.baseline.value / r.value : undefined;
  return r.baseline.value > 0 ? r.value / r.baseline.value : undefined;
}

export function verdict(r: Row): Verdict {
  if (r.notMeasured || r.value === undefined || !Number.isFinite(r.value)) return 'not measured';
  const ratio = ratioOf(r);
  switch (r.target.kind) {
    case 'info':
      return 'info';
    case 'max':
      return r.value <= r.target.value ? 'met' : 'MISSED';
    case 'ratio-max':
      return ratio !== undefined && ratio <= r.target.value ? 'met' : 'MISSED';
    case 'faster-by':
      return ratio !== undefined && ratio >= r.target.value ? 'met' : 'MISSED';
  }
}

export function fmt(n: number | undefined, unit: string): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  const abs = Math.abs(n);
  const digits = unit === 'ms' ? (abs < 10 ? 2 : abs < 100 ? 1 : 0) : abs < 10 ? 2 : abs < 1000 ? 1 : 0;
  return `${n.toFixed(digits)} ${unit}`;
}

export function fmtRatio(r: Row): string {
  const ratio = ratioOf(r);
  if (ratio === undefined) return '–';
  return r.target.kind === 'faster-by' ? `${ratio.toFixed(1)}× faster` : `${ratio.toFixed(2)}×`;
}

export function fmtTarget(t: Target): string {
  switch (t.kind) {
    case 'max':
      return `≤ ${t.value} ${t.unit}`;
    case 'ratio-max':
      return `≤ ${t.value}× baseline`;
    case 'faster-by':
      return `≥ ${t.value}× faster`;
    case 'info':
      return '(context)';
  }
}

function cells(r: Row): string[] {
  const v = verdict(r);
  return [
    r.section,
    r.what,
    r.notMeasured ? `not measured: ${r.notMeasured}` : fmt(r.value, r.unit),
    r.baseline ? `${fmt(r.baseline.value, r.unit)} (${r.baseline.what})` : '–',
    fmtRatio(r),
    fmtTarget(r.target),
    v,
    String(r.runs),
  ];
}

const HEAD = ['Area', 'Measure', 'Measured (median)', 'Baseline (median)', 'Ratio', 'Target', 'Result', 'Runs'];

export function consoleTable(rows: readonly Row[]): string {
  const data = [HEAD, ...rows.map(cells)].map(c => c.map(x => (x.length > 70 ? `${x.slice(0, 69)}…` : x)));
  const widths = HEAD.map((_, i) => Math.max(...data.map(r => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(data[0]!), widths.map(w => '-'.repeat(w)).join('  '), ...data.slice(1).map(line)].join('\n');
}

const esc = (s: string) => s.replace(/\|/g, '\\|');

export function markdownTable(rows: readonly Row[]): string {
  const out = [`| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`];
  for (const r of rows) {
    const c = cells(r);
    c[6] = c[6] === 'MISSED' ? '**MISSED**' : c[6] === 'not measured' ? '**not measured**' : c[6]!;
    out.push(`| ${c.map(esc).join(' | ')} |`);
  }
  return out.join('\n');
}
