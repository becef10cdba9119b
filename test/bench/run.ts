// npm run bench [-- --quick] [-- --only=<part>,…]
//
// Measures Local Model Router against baselines measured the same way, in one run, and rewrites
// BENCHMARKS.md from the results (never edit it by hand). Every number is a median over several
// runs; the machine it ran on is recorded with it. Not part of `npm test`.
//   in process: discovery (discover/probeEndpoint), the verifier (verifyRoute) vs raw HTTP and vs the
//     manual procedure (curl + real `codex exec`), readiness (waitUntilReady on a launched stand-in),
//     settings files (a 228 KB minified settings.json written; alone: test/bench/settings-write.ts);
//   in the real host (code-server + chromium, `npm run setup:host` first): activation time vs an empty
//     extension, JavaScript loaded by activation, extension-host memory over 100 refreshes.
//   on the real llama-server (`npm run setup:real-server` first): Verify Route against one real
//     `codex exec` turn and one real `claude -p` turn, in the server's own /metrics counters.
// --quick: fewer runs (a smoke check of the bench itself; its BENCHMARKS.md says so).
// --only=<part>,… (parts: discovery, verifier, manual, real-verify, readiness,
//   settings, bridge, rss, memory, activation): just those
//   rows, to iterate on one area; the result goes to test-results/bench/BENCHMARKS.partial.md and
//   BENCHMARKS.md and README.md stay as they are (they always hold one whole run).
// Every process it starts is stopped at the end, on failure and on Ctrl+C (test/host/lib.mjs sweep).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import * as lib from '../host/lib.mjs';
import { benchBridge } from './bridge';
import { benchBridgeReal } from './bridge-real';
import { benchDiscovery } from './discovery';
import { benchActivation, benchLoadAndMemory, disposeHost, prepareHost, share, type HostMemoryBench, type HostSetup } from './host';
import { describeMachine, ROOT, type Machine } from './lib/machine';
import { consoleTable, fmt, markdownTable, ratioOf, verdict, type Row } from './lib/report';
import { benchManual } from './manual';
import { benchRssDiagnostic } from './memory-diag';
import { benchReadiness } from './readiness';
import { benchRealVerify } from './real-verify';
import { benchSettingsWrite } from './settings-write';
import { benchVerifier } from './verifier';

const quick = process.argv.includes('--quick');
const RUNS = quick
  ? { discovery: 5, verifier: 5, manual: 2, readiness: 3, activation: 2, memory: 1, rssDiagnostic: 1, realVerify: 1, settings: 3 }
  : { discovery: 21, verifier: 15, manual: 5, readiness: 10, activation: 7, memory: 3, rssDiagnostic: 3, realVerify: 7, settings: 7 };
const REFRESHES = 100;
const PARTS = ['discovery', 'verifier', 'manual', 'real-verify', 'readiness', 'settings', 'bridge', 'rss', 'memory', 'activation'] as const;
type Part = (typeof PARTS)[number];
const only = parseOnly(process.argv);
const wants = (p: Part) => !only || only.has(p);
const OUT = only ? join(ROOT, 'test-results/bench/BENCHMARKS.partial.md') : join(ROOT, 'BENCHMARKS.md');

function parseOnly(argv: readonly string[]): Set<Part> | undefined {
  const arg = argv.find(a => a.startsWith('--only='));
  if (!arg) return undefined;
  const parts = arg.slice('--only='.length).split(',').filter(Boolean);
  const unknown = parts.filter(p => !(PARTS as readonly string[]).includes(p));
  if (unknown.length || !parts.length) {
    console.error(`bench: --only takes a comma-separated list of ${PARTS.join(', ')}; got ${arg}`);
    process.exit(2);
  }
  return new Set(parts as Part[]);
}

const tag = lib.newTag('bench');
let host: HostSetup | undefined;
function cleanup(): void {
  lib.sweep(tag, { graceMs: 2000 });
  disposeHost(host);
  host = undefined;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping everything the bench started…`);
    cleanup();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}
process.on('exit', cleanup);

const t0 = Date.now();
const secs = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
const log = (s: string) => console.log(`  [${secs()}] ${s}`);

async function section(name: string, rows: Row[], f: () => Promise<Row[]>): Promise<void> {
  console.log(`\n── ${name}`);
  try {
    rows.push(...(await f()));
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
    console.log(`  FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    rows.push({
      section: name,
      what: '(every row of this section)',
      runs: 0,
      unit: '',
      target: { kind: 'info' },
      notes: [],
      notMeasured: why,
    });
  }
}

function machineTable(m: Machine, extHostNode: string | undefined): string {
  const rows: Array<[string, string | undefined]> = [
    ['CPU', `${m.cpu}, ${m.cores} logical cores`],
    ['RAM', `${m.ramGiB} GiB`],
    ['OS', m.os],
    [
      'Load average at start / end (1, 5, 15 min)',
      `${m.loadAvg} / ${loadavg()
        .map(l => l.toFixed(2))
        .join(' ')}`,
    ],
    ['Node (bench, in-process rows)', m.node],
    ['Node (code-server and its extension host)', extHostNode ?? m.hostNode],
    ['VS Code (code-server)', m.vscode ? `${m.vscode} (code-server ${m.codeServer})` : undefined],
    ['Chromium (workbench)', m.chromium],
    ['Codex CLI', m.codex],
    ['curl', m.curl],
    ['Commit', m.commit],
  ];
  return ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v ?? 'not found'} |`)].join('\n');
}

function missedText(rows: Row[]): string {
  const missed = rows.filter(r => verdict(r) === 'MISSED');
  const notMeasured = rows.filter(r => verdict(r) === 'not measured');
  const lines: string[] = [];
  for (const r of missed) {
    const ratio = ratioOf(r);
    lines.push(
      `- **${r.section}: ${r.what}** — measured ${fmt(r.value, r.unit)}${r.baseline ? ` against ${fmt(r.baseline.value, r.unit)} (${r.baseline.what})${ratio !== undefined ? `, ${r.target.kind === 'faster-by' ? `${ratio.toFixed(1)}× faster` : `${ratio.toFixed(2)}×`}` : ''}` : ''}; target ${r.target.kind === 'max' ? `≤ ${r.target.value} ${r.target.unit}` : r.target.kind === 'ratio-max' ? `≤ ${r.target.value}×` : r.target.kind === 'faster-by' ? `≥ ${r.target.value}× faster` : ''}. ${r.why ? `Why: ${r.why}` : "Why: not established; see the row's notes below."}`,
    );
  }
  for (const r of notMeasured) lines.push(`- **${r.section}: ${r.what}** — not measured: ${r.notMeasured}`);
  return lines.length ? lines.join('\n') : 'None: every target was met in this run.';
}

function markdown(rows: Row[], m: Machine, extHostNode: string | undefined, minutes: string): string {
  const notes = rows
    .filter(r => r.notes.length)
    .map(r => {
      const missed = verdict(r) === 'MISSED' && r.why ? `\n- **Missed:** ${r.why}` : '';
      return `### ${r.section}: ${r.what}\n${r.notes.map(n => `- ${n}`).join('\n')}${missed}`;
    })
    .join('\n\n');
  return `# Benchmarks

Generated by \`npm run bench${only ? ` -- --only=${[...only].join(',')}` : ''}\` (test/bench/run.ts) on ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} in ${minutes}; rewritten on every run — do not edit by hand.${quick ? '\n\n**Quick run (`--quick`): fewer runs per row than a normal run; use it to check the bench, not the numbers.**' : ''}${only ? '\n\n**Partial run (`--only`): only some rows; BENCHMARKS.md holds the last whole run.**' : ''}

Each value is the **median** over the number of runs in the *Runs* column, measured in the same run as its
baseline, because these machines are noisy and absolute times alone mean little. In-process rows
(discovery, verifier, readiness) run in the bench's Node process against scripted servers on 127.0.0.1;
host rows run in the real VS Code server (code-server) with the extension installed from its .vsix.

## Machine

${machineTable(m, extHostNode)}

## Results

${markdownTable(rows)}

## Targets missed

${missedText(rows)}

## How each row was measured

${notes}

## Reproduce

\`\`\`sh
npm ci && npm run setup:host   # once: Node 24, code-server, chromium (see README)
npm run bench                  # ~${quick ? 'a few' : '6–8'} minutes; rewrites BENCHMARKS.md
\`\`\`
\`LMR_BENCH_VSIX=<file>\` measures a ready .vsix (built from the current \`dist/\`) instead of running \`npm run package\`
in a copy of the working tree. \`npm run bench -- --only=<part>,…\` (${PARTS.join(', ')}) measures those rows only and writes
test-results/bench/BENCHMARKS.partial.md instead. Runs per row: ${Object.entries(RUNS)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}.
`;
}

async function main(): Promise<number> {
  console.log(
    `bench: ${quick ? 'quick run' : 'full run'}${only ? ` of ${[...only].join(', ')}` : ''}; runs per row: ${JSON.stringify(RUNS)}`,
  );
  const machine = describeMachine({
    node24: join(lib.NODE24_DIR, 'bin/node'),
    codeServerBin: lib.CODE_SERVER_BIN,
    chromium: lib.CHROMIUM,
    codex: join(ROOT, 'node_modules/.bin/codex'),
  });
  const rows: Row[] = [];
  let verifyMs: number | undefined;
  let extHostNode: string | undefined;
  let profile: HostMemoryBench['profile'];
  let profileTotalMs: number | undefined;

  if (wants('discovery')) await section('Discovery', rows, () => benchDiscovery(RUNS.discovery, log));
  if (wants('verifier') || wants('manual'))
    await section('Verifier', rows, async () => {
      const v = await benchVerifier(RUNS.verifier, log);
      verifyMs = v.verifyMs;
      return wants('verifier') ? v.rows : [];
    });
  if (wants('manual')) await section('Verifier', rows, async () => [await benchManual(RUNS.manual, verifyMs, log)]);
  if (wants('real-verify')) await section('Verifier (real llama-server)', rows, () => benchRealVerify(RUNS.realVerify, log));
  if (wants('readiness')) await section('Readiness', rows, () => benchReadiness(RUNS.readiness, log));
  if (wants('settings')) await section('Settings files', rows, () => benchSettingsWrite(RUNS.settings, log));
  if (wants('bridge')) await section('Route bridge', rows, () => benchBridge(quick, log));
  if (wants('bridge')) await section('Route bridge', rows, () => benchBridgeReal(quick, log));
  if (wants('rss')) await section('Memory (in process)', rows, () => benchRssDiagnostic(RUNS.rssDiagnostic, REFRESHES, log));
  if (wants('memory') || wants('activation'))
    await section('Real host', rows, async () => {
      host = await prepareHost(tag, log);
      const out: Row[] = [];
      // The memory hosts also measure the activation work and the JavaScript loaded.
      const mem = await benchLoadAndMemory(host, RUNS.memory, REFRESHES, log);
      extHostNode = mem.extHostNode;
      profile = mem.profile;
      profileTotalMs = mem.profileTotalMs;
      if (wants('activation')) out.push(await benchActivation(host, RUNS.activation, machine.vscode ?? '?', log));
      return [...out, ...mem.rows];
    });
  cleanup();

  // Activation rows first, in the order of the issue.
  const order = [
    'Activation (real host)',
    'Discovery',
    'Verifier',
    'Verifier (real llama-server)',
    'Readiness',
    'Settings files',
    'Route bridge',
    'Route bridge: Claude Code (Messages API)',
    'Memory (real host)',
    'Memory (in process)',
    'Real host',
  ];
  rows.sort((a, b) => order.indexOf(a.section) - order.indexOf(b.section));
  explainActivation(rows, profile, profileTotalMs);

  const minutes = `${((Date.now() - t0) / 60_000).toFixed(1)} min`;
  console.log(`\n${consoleTable(rows)}\n`);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, markdown(rows, machine, extHostNode, minutes));
  if (!only) updateReadme(rows, minutes);
  const missed = rows.filter(r => verdict(r) === 'MISSED').length;
  const unmeasured = rows.filter(r => verdict(r) === 'not measured').length;
  console.log(
    `bench: ${rows.length} rows in ${minutes}; ${missed} target(s) missed, ${unmeasured} row(s) not measured; wrote ${relative(ROOT, OUT)}`,
  );
  const left = lib.findTagged(tag);
  if (left.length) console.log(`bench: STILL RUNNING: ${left.map(p => `${p.pid} ${p.cmd}`).join('; ')}`);
  return unmeasured || left.length ? 1 : 0;
}

/** The activation row, when missed, points at the in-host timing that isolates the extension's own work. */
function explainActivation(rows: Row[], profile: HostMemoryBench['profile'], profileTotalMs: number | undefined): void {
  const act = rows.find(r => r.what.startsWith('Activation time as VS Code reports it'));
  const work = rows.find(r => r.what.startsWith('Activation work timed inside the host'));
  const bytes = rows.find(r => r.what.startsWith('JavaScript loaded by activation'));
  if (!act || verdict(act) !== 'MISSED') return;
  const top = (profile ?? [])
    .slice(0, 3)
    .map(e => `${e.fn.replace(/^called: /, '')} ${share(e.selfMs, profileTotalMs)}`)
    .join(', ');
  const own =
    work?.value !== undefined && work.baseline
      ? ` Timed inside the host with nothing else activating, loading the main module${bytes?.value !== undefined ? ` (${fmt(bytes.value, 'KB')})` : ''} and running activate() take ${fmt(work.value, 'ms')} for this extension against ${fmt(work.baseline.value, 'ms')} for the empty one${top ? `; a CPU profile of those two moments splits the time into ${top}` : ''}. The rest of the reported difference is time the host spent elsewhere while the activation was pending.`
      : '';
  act.why = `the baseline does nothing, so any real work is a large ratio.${own}`;
}

main().then(
  code => process.exit(code),
  e => {
    console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);

/** The README's performance table is this run's, between the bench markers: no hand-copied numbers. */
function updateReadme(rows: readonly Row[], minutes: string): void {
  const file = join(ROOT, 'README.md');
  const text = readFileSync(file, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) return;
  const keep = rows.filter(r => r.target.kind !== 'info');
  const block = `${start}\n_Written by \`npm run bench\` (${minutes}, ${new Date().toISOString().slice(0, 10)}); details, baselines and the reasons for any miss in [BENCHMARKS.md](BENCHMARKS.md)._\n\n${markdownTable(keep)}\n${end}`;
  writeFileSync(file, text.slice(0, i) + block + text.slice(j + end.length));
}
