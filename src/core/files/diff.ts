// A unified diff of two texts, for the CLI's "what changes" output and the log. Line based (LCS);
// config files are small. Line endings are shown as they are: a CRLF line stays a CRLF line.

export function unifiedDiff(before: string, after: string, fromLabel: string, toLabel: string, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = diffLines(a, b);
  const out = [`--- ${fromLabel}`, `+++ ${toLabel}`];
  const changed = ops.map((o, k) => (o.op === ' ' ? -1 : k)).filter(k => k >= 0);
  const groups: [number, number][] = [];
  for (const k of changed) {
    const g = groups[groups.length - 1];
    if (g && k - g[1] <= context * 2 + 1) g[1] = k;
    else groups.push([k, k]);
  }
  for (const [first, last] of groups) {
    const start = Math.max(0, first - context);
    const end = Math.min(ops.length, last + context + 1);
    const hunk = ops.slice(start, end);
    const aStart = ops.slice(0, start).filter(o => o.op !== '+').length;
    const bStart = ops.slice(0, start).filter(o => o.op !== '-').length;
    const aLen = hunk.filter(o => o.op !== '+').length;
    const bLen = hunk.filter(o => o.op !== '-').length;
    out.push(`@@ -${aLen ? aStart + 1 : aStart},${aLen} +${bLen ? bStart + 1 : bStart},${bLen} @@`);
    for (const o of hunk)
      out.push(`${o.op}${o.line.replace(/\r?\n$/, '')}${o.line.endsWith('\n') ? '' : '\n\\ No newline at end of file'}`);
  }
  return `${out.join('\n')}\n`;
}

function splitLines(t: string): string[] {
  return t === '' ? [] : (t.match(/[^\n]*\n|[^\n]+$/g) ?? []);
}

type Op = { op: ' ' | '-' | '+'; line: string };

function diffLines(a: string[], b: string[]): Op[] {
  // Trim the common head and tail first: most edits touch a few lines of a long file.
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const n = am.length;
  const m = bm.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let x = n - 1; x >= 0; x--)
    for (let y = m - 1; y >= 0; y--) lcs[x][y] = am[x] === bm[y] ? lcs[x + 1][y + 1] + 1 : Math.max(lcs[x + 1][y], lcs[x][y + 1]);
  const mid: Op[] = [];
  let x = 0;
  let y = 0;
  while (x < n || y < m) {
    if (x < n && y < m && am[x] === bm[y]) {
      mid.push({ op: ' ', line: am[x] });
      x++;
      y++;
    } else if (x < n && (y >= m || lcs[x + 1][y] >= lcs[x][y + 1])) {
      mid.push({ op: '-', line: am[x] });
      x++;
    } else {
      mid.push({ op: '+', line: bm[y] });
      y++;
    }
  }
  return [
    ...a.slice(0, head).map(line => ({ op: ' ' as const, line })),
    ...mid,
    ...a.slice(a.length - tail).map(line => ({ op: ' ' as const, line })),
  ];
}
