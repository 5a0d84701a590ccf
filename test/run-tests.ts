// Runs the test files and ends with the line CI reads: `N passed, N failed`.
//
//   node dist/test/run-tests.js [FILTER…]             every test (unit, then peer and namespace)
//   node dist/test/run-tests.js --unit [FILTER…]      unit tests only
//   node dist/test/run-tests.js --conformance --corpus DIR
//                                                     the BIND and ISC DHCP conformance corpora
//   --verbose                                         full TAP output of every file, not only failures
//
// Each file runs as its own node process (a tap test prints TAP when run directly).
// Unit files run two at a time; peer and namespace files (`*.peer.test.js`,
// `*.netns.test.js`) one at a time because they start servers and build network
// namespaces. One line per file is printed; the full TAP detail only for a file that
// failed. A skipped or TODO test is never counted as passed.

import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { filesUnder } from './helpers/files.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/test
const root = path.resolve(here, '..', '..');

export interface FileResult {
  passed: number;
  failed: number;
  skipped: number;
  /** Why the file failed as a whole (crash, timeout, no test ran), if it did. */
  fault?: string;
}

/**
 * Counts one file's TAP output: each test at the top level of the file (a line at
 * column 0) is one. A file that exits non-zero, or runs no test, without a failing
 * test inside counts as one failure.
 */
export function countTap(output: string, exitCode: number | null, signal: string | null): FileResult {
  const r: FileResult = { passed: 0, failed: 0, skipped: 0 };
  for (const line of output.split('\n')) {
    const m = /^(not )?ok \d+/.exec(line);
    if (!m) continue;
    if (/# (SKIP|TODO)\b/i.test(line)) r.skipped++;
    else if (m[1]) r.failed++;
    else r.passed++;
  }
  if (r.failed === 0) {
    if (signal) r.fault = `ended by ${signal}`;
    else if (exitCode !== 0) r.fault = `exited with code ${exitCode}`;
    else if (r.passed + r.skipped === 0) r.fault = 'ran no test';
    if (r.fault) r.failed = 1;
  }
  return r;
}

interface Options {
  timeoutSec: number;
  verbose: boolean;
  env: NodeJS.ProcessEnv;
}

function runFile(file: string, opts: Options): Promise<{ result: FileResult; output: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    // Own process group, so a timeout stops the file and every process it started.
    const child = spawn(process.execPath, ['--enable-source-maps', file], {
      cwd: root,
      // tap's own timeout fails the file's open tests with a report; ours is the backstop.
      env: { ...opts.env, TAP_TIMEOUT: String(opts.timeoutSec) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const kill = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill('SIGTERM'); // the test's own teardown removes namespaces on SIGTERM
      setTimeout(() => kill('SIGKILL'), 15_000).unref();
    }, (opts.timeoutSec + 30) * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = countTap(output, code, signal);
      if (timedOut) {
        result.fault = `timed out after ${opts.timeoutSec} s`;
        if (result.failed === 0) result.failed = 1;
      }
      const all = stderr ? `${output}\n# stderr:\n${stderr}` : output;
      resolve({ result, output: all, ms: Date.now() - started });
    });
  });
}

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

async function runAll(files: string[], jobs: number, opts: Options, tally: Tally): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++];
      const { result, output, ms } = await runFile(file, opts);
      tally.passed += result.passed;
      tally.failed += result.failed;
      tally.skipped += result.skipped;
      const name = path.relative(here, file).replace(/\.js$/, '');
      const bad = result.failed + result.skipped > 0;
      const counts = `${result.passed} passed, ${result.failed} failed${result.skipped ? `, ${result.skipped} skipped` : ''}`;
      const why = result.fault ? ` — ${result.fault}` : '';
      let text = `${bad ? 'FAIL' : 'ok  '} ${name}  (${counts}, ${(ms / 1000).toFixed(1)} s)${why}\n`;
      if (bad || opts.verbose) text += `${indent(output)}\n`;
      process.stdout.write(text);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, worker));
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  return process.argv[i + 1];
}

/** The corpus folder must hold both corpora; a missing or empty one fails, never skips. */
function corpusProblem(dir: string | undefined): string | undefined {
  if (!dir) return 'no corpus given: use --corpus DIR (a folder holding zones/ and dhcpd-conf/)';
  for (const sub of ['zones', 'dhcpd-conf']) {
    const index = path.join(dir, sub, 'index.tsv');
    if (!existsSync(index)) return `conformance corpus not found: ${index} is missing`;
    if (statSync(index).size < 20) return `conformance corpus is empty: ${index}`;
  }
  return undefined;
}

async function main(): Promise<void> {
  const unitOnly = process.argv.includes('--unit');
  const conformance = process.argv.includes('--conformance');
  const verbose = process.argv.includes('--verbose');
  const corpus = argValue('--corpus');
  const valueArgs = new Set(corpus ? [corpus] : []);
  const filter = process.argv.slice(2).filter((a) => !a.startsWith('--') && !valueArgs.has(a));
  const tally: Tally = { passed: 0, failed: 0, skipped: 0 };
  const env: NodeJS.ProcessEnv = { ...process.env };

  if (conformance) {
    const problem = corpusProblem(corpus);
    if (problem) {
      process.stdout.write(`FAIL conformance — ${problem}\n`);
      tally.failed++;
    } else {
      env.TRIAD_CORPUS = path.resolve(corpus!);
      let files = filesUnder(here, '.conformance.js');
      if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
      await runAll(files, 2, { timeoutSec: 600, verbose, env }, tally);
    }
  } else {
    let files = filesUnder(here, '.test.js');
    if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
    const isSystem = (f: string): boolean => /\.(peer|netns)\.test\.js$/.test(f);
    await runAll(files.filter((f) => !isSystem(f)), 2, { timeoutSec: 300, verbose, env }, tally);
    if (!unitOnly) await runAll(files.filter(isSystem), 1, { timeoutSec: 1200, verbose, env }, tally);
  }
  const skipped = tally.skipped ? `, ${tally.skipped} skipped` : '';
  process.stdout.write(`\n${tally.passed} passed, ${tally.failed + tally.skipped} failed${skipped}\n`);
  process.exitCode = tally.failed + tally.skipped > 0 || tally.passed === 0 ? 1 : 0;
}

// Imported by its own unit test for countTap; runs only as the entry point.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void main();
