// The extension-host test entry (extensionTestsPath = out/integration/index.js): VS Code loads this
// inside its extension host and calls run(). It runs every compiled suite next to it with mocha (TDD
// UI). Suites named `*.untrusted.test.js` need a workspace in Restricted Mode, so they run in their
// own host launch with workspace trust on (LMR_TEST_TRUST=untrusted); the others run with trust off.
//
// env (set by test/host/run-integration.mjs through runTests' extensionTestsEnv):
//   LMR_TEST_TRUST    'untrusted' selects the *.untrusted suites; anything else the normal ones
//   LMR_TEST_FILES    comma-separated names (e.g. `smoke,verify`) to run only those suites
//   LMR_TEST_GREP     only tests whose full title matches this regular expression
//   LMR_TEST_RESULTS  file to write the results to (JSON), read back by the runner for its summary
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export interface TestResult {
  title: string;
  file: string | undefined;
  state: 'passed' | 'failed' | 'pending';
  durationMs: number | undefined;
  error?: string;
}

export interface SuiteResults {
  trust: 'trusted' | 'untrusted';
  files: string[];
  tests: TestResult[];
  startedAt: number;
  finishedAt?: number;
  /** Set when mocha itself could not run (a suite failed to load). */
  fatal?: string;
}

export function selectSuiteFiles(all: readonly string[], trust: 'trusted' | 'untrusted', only: readonly string[]): string[] {
  return all
    .filter(f => f.endsWith('.test.js'))
    .filter(f => f.endsWith('.untrusted.test.js') === (trust === 'untrusted'))
    .filter(f => only.length === 0 || only.includes(f.replace(/(\.untrusted)?\.test\.js$/, '')))
    .sort();
}

export function run(): Promise<void> {
  const trust = process.env.LMR_TEST_TRUST === 'untrusted' ? 'untrusted' : 'trusted';
  const only = (process.env.LMR_TEST_FILES ?? '')
    .split(',')
    .map(s => s.trim())
    .filter(Boolean);
  const files = selectSuiteFiles(fs.readdirSync(__dirname), trust, only);
  const results: SuiteResults = { trust, files, tests: [], startedAt: Date.now() };
  const save = (): void => {
    const out = process.env.LMR_TEST_RESULTS;
    if (out) fs.writeFileSync(out, JSON.stringify(results, null, 2));
  };

  // 'base' reporter: no output of its own; the lines below go to the workbench log, which the
  // runner relays, and the runner prints the summary from the results file.
  const mocha = new Mocha({ ui: 'tdd', reporter: 'base', color: false, timeout: 30_000, slow: 5_000 });
  if (process.env.LMR_TEST_GREP) mocha.grep(new RegExp(process.env.LMR_TEST_GREP));
  for (const f of files) mocha.addFile(path.join(__dirname, f));

  return new Promise<void>((resolve, reject) => {
    const record = (t: Mocha.Test, state: TestResult['state'], err?: unknown): void => {
      const error = err === undefined ? undefined : err instanceof Error ? (err.stack ?? err.message) : String(err);
      results.tests.push({
        title: t.fullTitle(),
        file: t.file && path.basename(t.file),
        state,
        durationMs: t.duration,
        ...(error ? { error } : {}),
      });
      save();
    };
    let runner: Mocha.Runner;
    try {
      runner = mocha.run(failures => {
        results.finishedAt = Date.now();
        save();
        if (failures > 0) reject(new Error(`${failures} test(s) failed`));
        else if (files.length > 0 && results.tests.length === 0 && !process.env.LMR_TEST_GREP) reject(new Error('no tests ran'));
        else resolve();
      });
    } catch (e) {
      results.fatal = e instanceof Error ? (e.stack ?? e.message) : String(e);
      results.finishedAt = Date.now();
      save();
      reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    runner.on('pass', t => {
      console.log(`  ✓ ${t.fullTitle()} (${t.duration ?? 0} ms)`);
      record(t, 'passed');
    });
    runner.on('fail', (t, err) => {
      console.log(`  ✗ ${t.fullTitle()}: ${err instanceof Error ? err.message : String(err)}`);
      record(t as Mocha.Test, 'failed', err);
    });
    runner.on('pending', t => {
      console.log(`  - ${t.fullTitle()} (skipped)`);
      record(t, 'pending');
    });
  });
}
