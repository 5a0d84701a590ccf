// A caching DNS worker's resident memory and CPU per query under a fixed, moderate
// load: cheap to run on a shared machine, unlike `npm run bench:dns`. Not a test and not
// part of `npm run bench:*`; run by hand when changing the cached-answer path:
//
//   node dist/test/bench/dns-cache-rss.js [RATE] [SECONDS]
//
// The "Triad cache" row of dns-bench.ts: BIND (`named -n 1`) serves the 10,000-name zone,
// Triad is a forward-only cache in front of it, pinned to one core (so one DNS worker),
// dnsperf -c 8 on the other. Prints the worker's RSS idle (before any query), after the
// warm-up (every name cached), right after RATE q/s (dnsperf -Q, default 20,000) for
// SECONDS (default 20) on cached names only, and 30 s later; the ratios to idle; and the
// CPU time (utime+stime of the Triad process tree) per query answered in the run.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN_TRIAD } from '../helpers/paths.js';
import { dig, sleep, waitFor } from '../helpers/triad-run.js';
import { cpuSeconds, pin, processTree, rssMiB, stopChild } from './common.js';
import { cacheQueryFile, NAMES, warmFile, ZONE, zoneText } from './dns-data.js';

const RATE = Number(process.argv[2] ?? 20_000);
const SECONDS = Number(process.argv[3] ?? 20);
const ADDR = '127.0.0.1';

function start(cmd: string, args: string[]): { child: ChildProcess; log: () => string } {
  const full = [...pin('one-core', 'server'), cmd, ...args];
  const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRIAD_LOG_LEVEL: 'warn' } });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-20000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { child, log: () => out };
}


async function dnsperf(port: number, file: string, seconds: number, rate?: number): Promise<string> {
  const args = ['-s', ADDR, '-p', String(port), '-d', file, '-l', String(seconds), '-c', '8', '-q', '200'];
  if (rate) args.push('-Q', String(rate));
  const outFile = `${file}.out`;
  const fd = openSync(outFile, 'w');
  const cmd = [...pin('one-core', 'load'), 'dnsperf', ...args];
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', fd, fd] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
  closeSync(fd);
  return readFileSync(outFile, 'utf8');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-cache-rss-'));
  const base = 10000 + Math.floor(Math.random() * 22000);
  const [bindPort, triadPort] = [base, base + 1];
  const procs: ChildProcess[] = [];
  try {
    writeFileSync(path.join(dir, `${ZONE}.zone`), zoneText());
    const cq = path.join(dir, 'cache-queries.txt');
    const wq = path.join(dir, 'warm.txt');
    writeFileSync(cq, cacheQueryFile());
    writeFileSync(wq, warmFile());
    writeFileSync(path.join(dir, 'bind.conf'), `options { directory "${dir}"; listen-on port ${bindPort} { ${ADDR}; }; listen-on-v6 { none; };
  recursion no; pid-file none; session-keyfile none; };
zone "${ZONE}" { type primary; file "${ZONE}.zone"; };
`);
    writeFileSync(path.join(dir, 'triad.conf'), `options { directory "${dir}"; listen-on port ${triadPort} { ${ADDR}; }; listen-on-v6 { none; };
  recursion yes; allow-recursion { 127.0.0.0/8; }; forwarders { ${ADDR} port ${bindPort}; }; forward only; dnssec-validation no;
  pid-file none; session-keyfile none; };
`);
    const bind = start('named', ['-g', '-n', '1', '-c', path.join(dir, 'bind.conf')]);
    procs.push(bind.child);
    const triad = start(process.execPath, [BIN_TRIAD, 'run', '--conf-dir', dir, '--data-dir', dir, '--named-conf', path.join(dir, 'triad.conf')]);
    procs.push(triad.child);
    for (const [name, port, s] of [['BIND', bindPort, bind], ['Triad', triadPort, triad]] as const) {
      // The probe name is not in the query files, so nothing they ask is cached by it.
      const up = await waitFor(() => dig(ADDR, port, ['+short', `ns.${ZONE}`]).trim() === '10.0.0.1', 30000, 300);
      if (!up) throw new Error(`${name} did not come up:\n${s.log()}`);
    }
    const pid = triad.child.pid!;
    const workers = (): number[] => processTree(pid).filter((p) => p !== pid);
    const rss = (): string => workers().map((p) => rssMiB([p]).toFixed(1)).join(', ');
    const ratio = (now: number[], idle: number[]): string => now.map((x, i) => (x / idle[i]).toFixed(2)).join(', ');
    const rssN = (): number[] => workers().map((p) => rssMiB([p]));
    await sleep(2000);
    const idle = rssN();
    process.stdout.write(`DNS worker RSS idle: ${rss()} MiB\n`);
    for (let i = 0; i < 3; i++) await dnsperf(triadPort, wq, 2);
    const warmed = rssN();
    process.stdout.write(`after warm-up (${NAMES} names cached): ${rss()} MiB (${ratio(warmed, idle)}× idle)\n`);
    const c0 = cpuSeconds([pid]);
    const out = await dnsperf(triadPort, cq, SECONDS, RATE);
    const cpu = cpuSeconds([pid]) - c0;
    const after = rssN();
    const done = Number(/Queries completed:\s+(\d+)/.exec(out)?.[1] ?? NaN);
    const lost = /Queries lost:\s+(\d+ \([0-9.]+%\))/.exec(out)?.[1] ?? '?';
    process.stdout.write(`after ${SECONDS} s at ${RATE} q/s: ${rss()} MiB (${ratio(after, idle)}× idle); ${done} answered, lost ${lost}; ` +
      `CPU ${cpu.toFixed(2)} s = ${((cpu / done) * 1e6).toFixed(1)} µs per query\n`);
    await sleep(30_000);
    process.stdout.write(`30 s later: ${rss()} MiB (${ratio(rssN(), idle)}× idle)\n`);
  } finally {
    for (const c of procs) await stopChild(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
