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
// memory (default 1024), and does so again when replayed in a fresh process (replay.ts).
// The input is copied to test/fixtures/fuzz-crashes/TARGET/, where the unit tests
// (test/config/garbage.test.ts) replay it until the parser is fixed.

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

interface Session {
  /** The inputs the fuzzer saved (crash-*), in the work folder. */
  found: string[];
  /** The fuzzer ran until it was stopped (not ended by itself). */
  stopped: boolean;
  code: number | null;
  log: string;
  runs: number;
  summary: string;
  /** Milliseconds spent fuzzing (from the first input run to the stop). */
  fuzzed: number;
}

/** The longest the fuzzer and its worker may take to start (instrumenting the parsers) before the first input runs. */
const STARTUP_MS = 60_000;

/**
 * One jsfuzz run fuzzing for at most `ms` once its first input has run (start-up is not
 * counted: on a loaded machine it can take many seconds), in `work`; stopped with its
 * worker (its own process group) at the end.
 */
async function session(name: string, work: string, corpus: string, ms: number): Promise<Session> {
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
  let started: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  const keep = (b: Buffer): void => {
    log = (log + b.toString()).slice(-20_000);
    if (started === undefined && /^#[1-9]\d* \w+\s+cov:/m.test(log)) {
      started = Date.now();
      clearTimeout(timer);
      timer = setTimeout(stop, ms);
    }
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const stopGroup = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  let stopped = false;
  const stop = (): void => {
    stopped = true;
    stopGroup();
  };
  timer = setTimeout(stop, STARTUP_MS);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);
  stopGroup(); // the worker, if the fuzzer ended first
  const stats = [...log.matchAll(/^#(\d+) \w+\s+cov: (\d+) corp: (\d+)/gm)].pop();
  return {
    found: readdirSync(work).filter((f) => f.startsWith('crash-')),
    stopped,
    code,
    log,
    runs: stats ? Number(stats[1]) : 0,
    summary: stats ? `coverage ${stats[2]}, corpus ${stats[3]}` : 'no statistics',
    fuzzed: started === undefined ? 0 : Date.now() - started,
  };
}

/**
 * Replays a found input in a fresh process: the failure counts only when it happens
 * again there (an exception, a parse longer than the hang limit, or running out of memory).
 */
async function confirm(name: string, file: string): Promise<string | undefined> {
  const child = spawn(process.execPath, [`--max-old-space-size=${rssMb}`, path.join(here, 'replay.js'), name, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-5000)));
  // Start-up is not timed by replay.js; this bound only ends a parse that never returns.
  const timer = setTimeout(() => child.kill('SIGKILL'), (hangSeconds + 30) * 1000);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  const line = out.split('\n').find((l) => l.startsWith('{"ms"'));
  if (!line) return signal === 'SIGKILL' ? `hang: no result after ${hangSeconds + 30} s` : `the replay died (exit ${code}, ${signal ?? 'no signal'}): ${out.slice(-1000)}`;
  const r = JSON.parse(line) as { ms: number; error?: string };
  if (r.error) return `exception: ${r.error}`;
  if (r.ms > hangSeconds * 1000) return `hang: the parse took ${Math.round(r.ms)} ms`;
  return undefined;
}

async function fuzzOne(name: string): Promise<Outcome> {
  const target = TARGETS.find((t) => t.name === name)!;
  const work = mkdtempSync(path.join(os.tmpdir(), `triad-fuzz-${name}-`));
  try {
    const corpus = path.join(work, 'corpus');
    mkdirSync(corpus);
    seedFiles(target, corpusDir && existsSync(corpusDir) ? corpusDir : undefined).forEach((f, i) => copyFileSync(f, path.join(corpus, `seed-${i}`)));
    let left = seconds * 1000;
    let runs = 0;
    let summary = 'no statistics';
    // The fuzzer stops at the first input it reports; when that input does not fail again
    // on its own, it is dropped and fuzzing goes on for the rest of the time.
    // At most 5 sessions: a worker that keeps starting slower than the hang limit ends here.
    for (let n = 0; left > 1000 && n < 5; n++) {
      const s = await session(name, work, corpus, left);
      left -= s.fuzzed;
      runs += s.runs;
      if (s.runs > 0) summary = s.summary;
      const stats = `${runs} runs, ${summary}`;
      for (const c of s.found) {
        const found = path.join(work, c);
        const why = await confirm(name, found);
        if (why === undefined) {
          console.log(`# ${name}: the input the fuzzer reported (${/timeout reached|MEMORY OOM|Worker killed/.exec(s.log)?.[0] ?? 'exception'}) does not fail when replayed; fuzzing goes on`);
          rmSync(found);
          continue;
        }
        const dest = path.join(ROOT, 'test', 'fixtures', 'fuzz-crashes', name);
        mkdirSync(dest, { recursive: true });
        copyFileSync(found, path.join(dest, c));
        console.log(s.log.split('\n').slice(-40).join('\n'));
        return { ok: false, why: `${why.split('\n')[0]}; input saved as ${path.relative(ROOT, path.join(dest, c))} (${stats})` };
      }
      if (!s.stopped && s.found.length === 0) {
        console.log(s.log.split('\n').slice(-40).join('\n'));
        return { ok: false, why: `the fuzzer stopped by itself (exit ${s.code}) before ${seconds} s (${stats})` };
      }
      if (s.fuzzed === 0 && s.found.length === 0) {
        console.log(s.log.split('\n').slice(-40).join('\n'));
        return { ok: false, why: `the fuzzer ran no input within ${STARTUP_MS / 1000} s of starting` };
      }
    }
    if (runs === 0) return { ok: false, why: 'the fuzzer ran no input' };
    return { ok: true, why: `${runs} runs, ${summary}` };
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
