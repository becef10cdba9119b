// Settings files: routing Claude Code through a 228 KB minified settings.json (one line, the size of a
// long-lived permissions list), the product's whole write path — read through the file layer, plan
// the edit (duplicate-key and depth scan, the byte-preserving JSON edits), diff, compare-and-swap
// write with a backup. Baseline: what a naive tool does with the same file (JSON.parse, set the keys,
// JSON.stringify, write), which keeps nothing of the file's bytes. Target: under 1 s.
// Alone (prints the rows, writes nothing else): node --import tsx test/bench/settings-write.ts
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { claudeSettingsLocation, desiredClaudeSettings } from '../../src/core/claude/settings';
import { applyClaudeSettingsWrite, planClaudeSettingsWrite } from '../../src/core/claude/write';
import { median, spread } from './lib/stats';
import { consoleTable, type Row } from './lib/report';

const TARGET_BYTES = 228 * 1024;

/** A valid settings file of about `bytes`, minified (one line) or indented. */
export function bigSettings(bytes: number, indent: number): string {
  const allow: string[] = [];
  const value = { permissions: { allow, deny: ['Bash(rm -rf:*)'] }, env: { MY_VAR: 'keep me' }, theme: 'dark' };
  for (let i = 0; JSON.stringify(value, null, indent).length < bytes; i++) allow.push(`Bash(npm run script-number-${i}:*)`);
  return JSON.stringify(value, null, indent);
}

const DESIRED = desiredClaudeSettings({ baseUrl: 'http://127.0.0.1:8080/v1', model: 'local/model', contextWindow: 65536, needsKey: false });

/** Times `write(file)` `runs` times, each on a fresh copy of `text` in a scratch home. */
function timed(text: string, runs: number, write: (home: string, file: string) => void): number[] {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lmr-bench-settings-'));
    try {
      const file = path.join(home, '.claude', 'settings.json');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      const t0 = performance.now();
      write(home, file);
      ms.push(performance.now() - t0);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }
  return ms;
}

/** The product: what `local-model-router claude-settings --scope user` does. */
function productWrite(home: string): void {
  const loc = claudeSettingsLocation('user', { home });
  if (!loc.ok) throw new Error(loc.error);
  const plan = planClaudeSettingsWrite(loc.location, DESIRED);
  if (!plan.ok) throw new Error(plan.error);
  const w = applyClaudeSettingsWrite(plan.change);
  if (!w.ok) throw new Error(w.error);
}

/** A naive tool: parse, set, stringify; nothing of the file's bytes kept. */
function naiveWrite(_home: string, file: string): void {
  const v = JSON.parse(fs.readFileSync(file, 'utf8')) as { env?: Record<string, string> };
  v.env = { ...v.env, ...DESIRED.env };
  fs.writeFileSync(file, JSON.stringify(v));
}

export async function benchSettingsWrite(runs: number, log: (s: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [indent, what] of [
    [0, 'a 228 KB minified settings file written (one line)'],
    [2, 'a 228 KB indented settings file written'],
  ] as const) {
    const text = bigSettings(TARGET_BYTES, indent);
    const ms = timed(text, runs, productWrite);
    const naive = timed(text, runs, naiveWrite);
    log(`${what}: ${median(ms).toFixed(1)} ms (naive rewrite ${median(naive).toFixed(1)} ms)`);
    rows.push({
      section: 'Settings files',
      what: `claude-settings: ${what}`,
      runs,
      value: median(ms),
      unit: 'ms',
      baseline: { what: 'JSON.parse + JSON.stringify rewrite, no byte kept', value: median(naive) },
      target: indent === 0 ? { kind: 'max', value: 1000, unit: 'ms' } : { kind: 'info' },
      notes: [
        `${(text.length / 1024).toFixed(0)} KB (${text.length} bytes), ${indent === 0 ? 'one line' : `${text.split('\n').length} lines`}; the write path of \`local-model-router claude-settings\`: bounded read, duplicate-key and depth scan, the routing edits (12 keys), diff, locked compare-and-swap write with a backup`,
        `spread ${spread(ms)}; the baseline rewrites the file from its parsed value (loses its formatting), ${spread(naive)}`,
      ],
      why: 'jsonc-parser formatting a long line costs time quadratic in its length; the edit uses the plain edit on lines over 2,000 characters',
    });
  }
  return rows;
}

if (require.main === module) {
  void benchSettingsWrite(Number(process.argv[2] ?? 7), s => console.log(`  ${s}`)).then(rows => console.log(`\n${consoleTable(rows)}`));
}
