// `npm run bench:dns`: authoritative queries per second, Triad against BIND 9
// (`named -n 1`), same machine, same named.conf and 10,000-name zone, one run.
// dnsperf (Debian's) drives both with the same query file (≈5% NXDOMAIN).
// Not a pass/fail test: prints both figures and the ratio.
//
// dnsperf 2.10 prints average latency but no percentiles, so p99 comes from a
// second, shorter run of each server with `dnsperf -v` (one line per query).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN_TRIAD } from '../helpers/paths.js';
import { dig, sleep, waitFor } from '../helpers/triad-run.js';

const NAMES = 10_000;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);
const OUTSTANDING = Number(process.env.BENCH_OUTSTANDING ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ZONE = 'bench.test';

interface Result {
  qps: number;
  avgMs: number;
  p99Ms: number;
  lostPct: number;
  cpuSeconds?: number;
}

function zoneText(): string {
  const lines = [
    '$TTL 3600',
    `@ IN SOA ns.${ZONE}. hostmaster.${ZONE}. ( 1 3600 900 604800 300 )`,
    '  IN NS ns',
    'ns IN A 10.0.0.1',
    'alias IN CNAME h1',
  ];
  for (let i = 0; i < NAMES; i++) lines.push(`h${i} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return lines.join('\n') + '\n';
}

function queryFile(): string {
  const out: string[] = [];
  let x = 12345;
  const rnd = (n: number): number => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % n;
  };
  for (let i = 0; i < 100_000; i++) {
    out.push(rnd(100) < 5 ? `nx${rnd(1_000_000)}.${ZONE} A` : `h${rnd(NAMES)}.${ZONE} A`);
  }
  return out.join('\n') + '\n';
}

/** Existing names only (random order): with a warmed cache every query is a hit. */
function cacheQueryFile(): string {
  const out: string[] = [];
  let x = 777;
  for (let i = 0; i < 100_000; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out.push(`h${x % NAMES}.${ZONE} A`);
  }
  return out.join('\n') + '\n';
}

/** Every name once, to warm a cache. */
function warmFile(): string {
  return Array.from({ length: NAMES }, (_, i) => `h${i}.${ZONE} A`).join('\n') + '\n';
}

/** A forward-only cache in front of the authoritative BIND (the same file for Triad and BIND). */
function cacheConf(dir: string, addr: string, port: number, upstreamPort: number): string {
  return `options {
    directory "${dir}";
    listen-on port ${port} { ${addr}; };
    listen-on-v6 { none; };
    recursion yes;
    allow-recursion { 127.0.0.0/8; };
    forwarders { ${addr} port ${upstreamPort}; };
    forward only;
    dnssec-validation no;
    pid-file none;
    session-keyfile none;
};
`;
}

function namedConf(dir: string, addr: string, port: number): string {
  return `options {
    directory "${dir}";
    listen-on port ${port} { ${addr}; };
    listen-on-v6 { none; };
    recursion no;
    pid-file none;
    session-keyfile none;
};
zone "${ZONE}" { type primary; file "${ZONE}.zone"; };
`;
}

function dnsperf(addr: string, port: number, file: string, seconds: number, verbose: boolean): string {
  const args = ['-s', addr, '-p', String(port), '-d', file, '-l', String(seconds), '-c', String(CLIENTS), '-q', String(OUTSTANDING)];
  if (verbose) args.push('-v');
  // Output goes to a file: with -v (a line per query) a pipe would slow dnsperf down.
  const outFile = `${file}.out`;
  const fd = openSync(outFile, 'w');
  const r = spawnSync('dnsperf', args, { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (r.error) throw new Error(`dnsperf could not run: ${r.error.message} (apt-get install dnsperf)`);
  return readFileSync(outFile, 'utf8');
}

function parseSummary(out: string): { qps: number; avgMs: number; lostPct: number } {
  const qps = Number(/Queries per second:\s+([0-9.]+)/.exec(out)?.[1] ?? NaN);
  const avgMs = Number(/Average Latency \(s\):\s+([0-9.]+)/.exec(out)?.[1] ?? NaN) * 1000;
  const lostPct = Number(/Queries lost:\s+\d+ \(([0-9.]+)%\)/.exec(out)?.[1] ?? NaN);
  return { qps, avgMs, lostPct };
}

/** p99 from `dnsperf -v` lines: `> NOERROR name A 0.000123`. */
function p99(out: string): number {
  const lat: number[] = [];
  for (const m of out.matchAll(/^> \S+ \S+ \S+ ([0-9.]+)$/gm)) lat.push(Number(m[1]));
  if (lat.length === 0) return NaN;
  lat.sort((a, b) => a - b);
  return lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))] * 1000;
}

/** User+system CPU seconds of a process tree (the process and its children), from /proc. */
function cpuSeconds(pid: number): number {
  const r = spawnSync('sh', ['-c', `for p in ${pid} $(pgrep -P ${pid}); do cat /proc/$p/stat 2>/dev/null; done`], { encoding: 'utf8' });
  const tick = 100;
  let total = 0;
  for (const line of r.stdout.split('\n')) {
    const f = line.slice(line.lastIndexOf(')') + 2).split(' ');
    if (f.length > 13) total += (Number(f[11]) + Number(f[12])) / tick;
  }
  return total;
}

async function waitUp(name: string, addr: string, port: number, log: () => string): Promise<void> {
  const up = await waitFor(() => dig(addr, port, ['+short', `h1.${ZONE}`]).trim() === '10.0.0.1', 30000, 300);
  if (!up) throw new Error(`${name} did not come up:\n${log()}`);
}

/** One measured round: a dnsperf run for qps/avg, then a shorter verbose run for p99. */
function measure(name: string, child: ChildProcess, addr: string, port: number, qfile: string, log: () => string): Result {
  const cpu0 = child.pid ? cpuSeconds(child.pid) : 0;
  process.stdout.write(`${name}: measuring ${SECONDS}s…\n`);
  const out = dnsperf(addr, port, qfile, SECONDS, false);
  const cpu1 = child.pid ? cpuSeconds(child.pid) : 0;
  const s = parseSummary(out);
  if (!Number.isFinite(s.qps)) throw new Error(`cannot read dnsperf output:\n${out}`);
  if (s.qps === 0 || process.env.BENCH_DEBUG) process.stdout.write(`${name} dnsperf:\n${out}\n${name} log:\n${log()}\n`);
  const v = dnsperf(addr, port, qfile, Math.min(5, SECONDS), true);
  return { ...s, p99Ms: p99(v), cpuSeconds: cpu1 - cpu0 };
}

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; log: () => string } {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  return { child, log: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10000);
  await done;
  clearTimeout(t);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-bench-'));
  const children: ChildProcess[] = [];
  const cleanup = async (): Promise<void> => {
    for (const c of children) await stop(c);
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    writeFileSync(path.join(dir, `${ZONE}.zone`), zoneText());
    const qfile = path.join(dir, 'queries.txt');
    writeFileSync(qfile, queryFile());
    const addr = '127.0.0.1';
    const bindPort = 10000 + Math.floor(Math.random() * 22000); // below the ephemeral range
    const triadPort = bindPort + 1;
    // The same named.conf for both; only the port differs.
    writeFileSync(path.join(dir, 'bind.conf'), namedConf(dir, addr, bindPort));
    writeFileSync(path.join(dir, 'triad.conf'), namedConf(dir, addr, triadPort));
    const cores = os.availableParallelism();
    process.stdout.write(`zone ${ZONE}: ${NAMES} names; dnsperf -l ${SECONDS} -c ${CLIENTS} -q ${OUTSTANDING}; ${cores} cores\n`);

    // Both run for the whole benchmark; rounds alternate so that load from
    // elsewhere on the machine hits both alike. The best round of each is shown.
    const bind = start('named', ['-g', '-n', '1', '-c', path.join(dir, 'bind.conf')]);
    children.push(bind.child);
    const triad = start(process.execPath, [BIN_TRIAD, 'run', '--conf-dir', dir, '--named-conf', path.join(dir, 'triad.conf')], { TRIAD_LOG_LEVEL: 'warn' });
    children.push(triad.child);
    await waitUp('BIND', addr, bindPort, bind.log);
    await waitUp('Triad', addr, triadPort, triad.log);
    process.stdout.write('warming up both…\n');
    dnsperf(addr, bindPort, qfile, 3, false);
    dnsperf(addr, triadPort, qfile, 3, false);
    const bindRounds: Result[] = [];
    const triadRounds: Result[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      bindRounds.push(measure('BIND (named -n 1)', bind.child, addr, bindPort, qfile, bind.log));
      triadRounds.push(measure(`Triad (${cores} DNS workers)`, triad.child, addr, triadPort, qfile, triad.log));
    }
    const best = (rs: Result[]): Result => rs.reduce((a, b) => (b.qps > a.qps ? b : a));
    const b = best(bindRounds);
    const tr = best(triadRounds);
    const each = (rs: Result[]): string => rs.map((r) => r.qps.toFixed(0)).join(', ');
    process.stdout.write(`rounds (qps): BIND ${each(bindRounds)}; Triad ${each(triadRounds)}\n`);

    const row = (n: string, r: Result): string =>
      `${n.padEnd(22)} ${r.qps.toFixed(0).padStart(9)} qps   avg ${r.avgMs.toFixed(3)} ms   p99 ${r.p99Ms.toFixed(3)} ms   lost ${r.lostPct.toFixed(2)}%   cpu ${r.cpuSeconds?.toFixed(1) ?? '?'} s (${perCpu(r)} q per cpu-s)`;
    // Under load from other processes the machine's share decides qps; answers per CPU-second show the cost per query.
    const perCpu = (r: Result): string => (r.cpuSeconds ? ((r.qps * SECONDS) / r.cpuSeconds / 1000).toFixed(0) + 'k' : '?');
    process.stdout.write('\n' + row('BIND 9 named -n 1', b) + '\n' + row('Triad', tr) + '\n');
    process.stdout.write(`ratio Triad/BIND: qps ${(tr.qps / b.qps).toFixed(2)}x   p99 ${(tr.p99Ms / b.p99Ms).toFixed(2)}x   avg ${(tr.avgMs / b.avgMs).toFixed(2)}x\n`);

    // Cached answers: BIND and Triad as forward-only caches in front of the
    // authoritative BIND above, both warmed with every name, then measured on
    // existing names only (every answer a cache hit).
    if (process.env.BENCH_CACHE !== '0') {
      const cq = path.join(dir, 'cache-queries.txt');
      const wq = path.join(dir, 'warm.txt');
      writeFileSync(cq, cacheQueryFile());
      writeFileSync(wq, warmFile());
      const bindCachePort = triadPort + 1;
      const triadCachePort = triadPort + 2;
      writeFileSync(path.join(dir, 'bind-cache.conf'), cacheConf(dir, addr, bindCachePort, bindPort));
      writeFileSync(path.join(dir, 'triad-cache.conf'), cacheConf(dir, addr, triadCachePort, bindPort));
      const bindCache = start('named', ['-g', '-n', '1', '-c', path.join(dir, 'bind-cache.conf')]);
      children.push(bindCache.child);
      const triadCache = start(process.execPath, [BIN_TRIAD, 'run', '--conf-dir', dir, '--data-dir', path.join(dir, 'cache-data'), '--named-conf', path.join(dir, 'triad-cache.conf')], { TRIAD_LOG_LEVEL: 'warn' });
      children.push(triadCache.child);
      await waitUp('BIND cache', addr, bindCachePort, bindCache.log);
      await waitUp('Triad cache', addr, triadCachePort, triadCache.log);
      process.stdout.write('\nwarming both caches with every name (each Triad worker has its own cache: three passes)…\n');
      for (let i = 0; i < 3; i++) {
        dnsperf(addr, bindCachePort, wq, 2, false);
        dnsperf(addr, triadCachePort, wq, 2, false);
      }
      dnsperf(addr, bindCachePort, cq, 3, false);
      dnsperf(addr, triadCachePort, cq, 3, false);
      const bc: Result[] = [];
      const tc: Result[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        bc.push(measure('BIND cache (named -n 1)', bindCache.child, addr, bindCachePort, cq, bindCache.log));
        tc.push(measure(`Triad cache (${cores} DNS workers)`, triadCache.child, addr, triadCachePort, cq, triadCache.log));
      }
      const cb = best(bc);
      const ct = best(tc);
      process.stdout.write(`cache rounds (qps): BIND ${each(bc)}; Triad ${each(tc)}\n`);
      process.stdout.write('\n' + row('BIND 9 cache -n 1', cb) + '\n' + row('Triad cache', ct) + '\n');
      process.stdout.write(`ratio Triad/BIND (cached answers): qps ${(ct.qps / cb.qps).toFixed(2)}x   p99 ${(ct.p99Ms / cb.p99Ms).toFixed(2)}x   avg ${(ct.avgMs / cb.avgMs).toFixed(2)}x\n`);
    }
  } finally {
    await cleanup();
  }
  await sleep(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:dns failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
