// Runs the coverage-guided fuzzer (jsfuzz) over each configuration parser for a bounded
// time and ends with the line CI reads: `N passed, N failed` (one per target).
//
//   npm run fuzz [-- TARGET…] [-- --corpus DIR]
//   FUZZ_SECONDS=60   seconds per target (default 60)
//
// Each target starts from its fixtures (test/fuzz/parsers.ts) and, with --corpus, the
// conformance corpora. A target fails when the fuzzer finds an input that makes the
// parser throw something other than its ConfigError, that takes longer than
// FUZZ_TIMEOUT seconds (default 10: a hang), or that takes more than FUZZ_RSS_MB of
// memory (default 1024). The input is copied to test/fixtures/fuzz-crashes/TARGET/, where
// the unit tests (test/config/garbage.test.ts) replay it until the parser is fixed.

import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ROOT, TARGETS, seedFiles } from './parsers.js';

const args = process.argv.slice(2);
let corpusDir: string | undefined;
const names: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--corpus') corpusDir = path.resolve(args[++i] ?? '');
  else names.push(args[i]);
}
const seconds = Number(process.env.FUZZ_SECONDS ?? 60);
const hangSeconds = Number(process.env.FUZZ_TIMEOUT ?? 10);
const rssMb = Number(process.env.FUZZ_RSS_MB ?? 1024);
if (!(seconds > 0) || !(hangSeconds > 0) || !(rssMb > 0)) {
  console.error('FUZZ_SECONDS, FUZZ_TIMEOUT and FUZZ_RSS_MB must be positive numbers');
  process.exit(2);
}
const unknown = names.filter((n) => !TARGETS.some((t) => t.name === n));
if (unknown.length > 0) {
  console.error(`no fuzz target named ${unknown.join(', ')}; targets: ${TARGETS.map((t) => t.name).join(', ')}`);
  process.exit(2);
}
if (corpusDir && !existsSync(corpusDir)) console.log(`# corpus ${corpusDir} not found: seeding from the fixtures only`);

const jsfuzz = path.join(path.dirname(createRequire(import.meta.url).resolve('jsfuzz/package.json')), 'build', 'src', 'index.js');
const here = path.join(ROOT, 'dist', 'test', 'fuzz');

interface Outcome {
  ok: boolean;
  why: string;
}

async function fuzzOne(name: string): Promise<Outcome> {
  const target = TARGETS.find((t) => t.name === name)!;
  const work = mkdtempSync(path.join(os.tmpdir(), `triad-fuzz-${name}-`));
  try {
    const corpus = path.join(work, 'corpus');
    mkdirSync(corpus);
    seedFiles(target, corpusDir && existsSync(corpusDir) ? corpusDir : undefined).forEach((f, i) => copyFileSync(f, path.join(corpus, `seed-${i}`)));
    // jsfuzz's worker loads the target relative to its working directory.
    const targetFile = path.relative(work, path.join(here, 'targets', `${name}.cjs`));
    // jsfuzz's versifier (a grammar guessed from the inputs) takes gigabytes on files of a few kB: off.
    // The fuzzer's own heap is bounded too, so it cannot take the machine's memory.
    const child = spawn(process.execPath, [`--max-old-space-size=${rssMb}`, jsfuzz, targetFile, corpus, '--timeout', String(hangSeconds), '--rss-limit-mb', String(rssMb), '--versifier', 'false'], {
      cwd: work,
      // Its own process group: the fuzzer and its worker are stopped together, by this group only.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${path.join(here, 'instrument.js')}`.trim() },
    });
    let log = '';
    const keep = (b: Buffer): void => {
      log = (log + b.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, seconds * 1000);
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    clearTimeout(timer);
    try {
      process.kill(-child.pid!, 'SIGKILL'); // the worker, if the fuzzer ended first
    } catch {
      // already gone
    }
    const crashes = readdirSync(work).filter((f) => f.startsWith('crash-'));
    const stats = [...log.matchAll(/^#(\d+) \w+\s+cov: (\d+) corp: (\d+)/gm)].pop();
    const summary = stats ? `${stats[1]} runs, coverage ${stats[2]}, corpus ${stats[3]}` : 'no statistics';
    if (crashes.length > 0) {
      const dest = path.join(ROOT, 'test', 'fixtures', 'fuzz-crashes', name);
      mkdirSync(dest, { recursive: true });
      for (const c of crashes) copyFileSync(path.join(work, c), path.join(dest, c));
      const reason = /timeout reached|MEMORY OOM|Worker killed/.exec(log)?.[0] ?? 'exception';
      console.log(log.split('\n').slice(-40).join('\n'));
      return { ok: false, why: `${reason}; input saved as ${path.relative(ROOT, path.join(dest, crashes[0]))} (${summary})` };
    }
    if (!timedOut) {
      console.log(log.split('\n').slice(-40).join('\n'));
      return { ok: false, why: `the fuzzer stopped by itself (exit ${code}) before ${seconds} s (${summary})` };
    }
    if (!stats) return { ok: false, why: 'the fuzzer ran no input' };
    return { ok: true, why: summary };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

let passed = 0;
let failed = 0;
for (const t of TARGETS) {
  if (names.length > 0 && !names.includes(t.name)) continue;
  const r = await fuzzOne(t.name);
  if (r.ok) passed++;
  else failed++;
  console.log(`${r.ok ? 'ok  ' : 'FAIL'} fuzz ${t.name}  (${seconds} s: ${r.why})`);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
