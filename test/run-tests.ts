// Runs the whole suite with tap and ends with the line CI reads: `N passed, N failed`.
// Unit tests run in parallel; peer and namespace tests (`*.peer.test.js`,
// `*.netns.test.js`) run one file at a time because they start servers and
// build network namespaces. A skipped test is never counted as passed.

import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/test
const root = path.resolve(here, '..', '..');

function findTests(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (e.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

function runTap(files: string[], jobs: number, timeoutSec: number, tally: Tally): Promise<void> {
  if (files.length === 0) return Promise.resolve();
  return new Promise((resolve) => {
    const tap = path.join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs');
    const child = spawn(process.execPath, [tap, '--disable-coverage', '--reporter=tap', `--jobs=${jobs}`, `--timeout=${timeoutSec}`, ...files.map((f) => path.relative(root, f))], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buf = '';
    let childFailures = 0;
    const onLine = (line: string): void => {
      process.stdout.write(line + '\n');
      // Each test of a file is a line indented once; the file itself is at column 0.
      const sub = /^ {4}(not )?ok \d+/.exec(line);
      if (sub) {
        if (/# (SKIP|TODO)/i.test(line)) tally.skipped++;
        else if (sub[1]) {
          tally.failed++;
          childFailures++;
        } else tally.passed++;
        return;
      }
      const top = /^(not )?ok \d+ - (.*)$/.exec(line);
      if (top) {
        // A file that failed without a failing test inside (crash, timeout) counts once.
        if (top[1] && childFailures === 0) tally.failed++;
        childFailures = 0;
      }
    };
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
      }
    });
    child.on('close', () => {
      if (buf) onLine(buf);
      resolve();
    });
  });
}

async function main(): Promise<void> {
  const unitOnly = process.argv.includes('--unit');
  const filter = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  let files = findTests(here);
  if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
  const isSystem = (f: string): boolean => /\.(peer|netns)\.test\.js$/.test(f);
  const unit = files.filter((f) => !isSystem(f));
  const system = unitOnly ? [] : files.filter(isSystem);
  const tally: Tally = { passed: 0, failed: 0, skipped: 0 };
  await runTap(unit, 2, 300, tally);
  await runTap(system, 1, 1200, tally);
  const skipped = tally.skipped ? `, ${tally.skipped} skipped` : '';
  process.stdout.write(`\n${tally.passed} passed, ${tally.failed + tally.skipped} failed${skipped}\n`);
  process.exitCode = tally.failed + tally.skipped > 0 || tally.passed === 0 ? 1 : 0;
}

void main();
