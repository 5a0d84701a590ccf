// `npm run bench:dns`: authoritative and cached queries per second, Triad against BIND 9
// (`named -n N`, N = Triad's DNS workers: 1 pinned, or every core), same machine, same named.conf and 10,000-name zone, one run; beside
// the plain Triad, one with its statistics channel scraped every second and one writing
// its query log to a file. Twice: every server pinned to one core (dnsperf on another),
// then on all cores. dnsperf (Debian's) drives all with the same query file (≈5% NXDOMAIN).
// Not a pass/fail test: prints markdown tables (see test/bench/common.ts).
// Options: --seconds N --rounds N --clients N --outstanding N --cores one,all
// (or BENCH_SECONDS, BENCH_ROUNDS, …); BENCH_CACHE=0 leaves the cached-answer table out.
//
// dnsperf 2.10 prints average latency but no percentiles, so p99 comes from a
// second, shorter run of each server with `dnsperf -v` (one line per query).

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN_TRIAD } from '../helpers/paths.js';
import { dig, sleep, waitFor } from '../helpers/triad-run.js';
import { cacheQueryFile, NAMES, queryFile, warmFile, ZONE, zoneText } from './dns-data.js';
import { alternate, coreModes, option, type CoreMode, cpuWindow, modeTitle, percentile, pin, processTree, report, rssMiB, type Sample, table, stopChild } from './common.js';

const SECONDS = option('seconds', 'BENCH_SECONDS', 10);
const CLIENTS = option('clients', 'BENCH_CLIENTS', 8);
const OUTSTANDING = option('outstanding', 'BENCH_OUTSTANDING', 200);
const ROUNDS = option('rounds', 'BENCH_ROUNDS', 3);

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

function namedConf(dir: string, addr: string, port: number, extra = '', extraOptions = ''): string {
  return `options {
    directory "${dir}";
    listen-on port ${port} { ${addr}; };
    listen-on-v6 { none; };
    recursion no;
    pid-file none;
    session-keyfile none;
    ${extraOptions}
};
${extra}zone "${ZONE}" { type primary; file "${ZONE}.zone"; };
`;
}

/** dnsperf, asynchronously (the metrics scraper runs beside it), output to a file (with -v a pipe would slow it). */
async function dnsperf(mode: CoreMode, addr: string, port: number, file: string, seconds: number, verbose: boolean): Promise<string> {
  const args = ['-s', addr, '-p', String(port), '-d', file, '-l', String(seconds), '-c', String(CLIENTS), '-q', String(OUTSTANDING)];
  if (verbose) args.push('-v');
  const outFile = `${file}.out`;
  const fd = openSync(outFile, 'w');
  const cmd = [...pin(mode, 'load'), 'dnsperf', ...args];
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', fd, fd] });
  const err = await new Promise<Error | undefined>((resolve) => {
    child.once('error', resolve);
    child.once('exit', () => resolve(undefined));
  });
  closeSync(fd);
  if (err) throw new Error(`dnsperf could not run: ${err.message} (apt-get install dnsperf)`);
  return readFileSync(outFile, 'utf8');
}

function parseSummary(out: string): { qps: number; avgMs: number; lostPct: number } {
  const qps = Number(/Queries per second:\s+([0-9.]+)/.exec(out)?.[1] ?? NaN);
  const avgMs = Number(/Average Latency \(s\):\s+([0-9.]+)/.exec(out)?.[1] ?? NaN) * 1000;
  const lostPct = Number(/Queries lost:\s+\d+ \(([0-9.]+)%\)/.exec(out)?.[1] ?? NaN);
  return { qps, avgMs, lostPct };
}

/** p50 and p99 from `dnsperf -v` lines: `> NOERROR name A 0.000123`. */
function latencies(out: string): { p50Ms: number; p99Ms: number } {
  const lat: number[] = [];
  for (const m of out.matchAll(/^> \S+ \S+ \S+ ([0-9.]+)$/gm)) lat.push(Number(m[1]));
  lat.sort((a, b) => a - b);
  return { p50Ms: percentile(lat, 0.5) * 1000, p99Ms: percentile(lat, 0.99) * 1000 };
}

async function waitUp(name: string, addr: string, port: number, log: () => string): Promise<void> {
  const up = await waitFor(() => dig(addr, port, ['+short', `h1.${ZONE}`]).trim() === '10.0.0.1', 30000, 300);
  if (!up) throw new Error(`${name} did not come up:\n${log()}`);
}

interface Server {
  name: string;
  child: ChildProcess;
  log: () => string;
  port: number;
}

/** One measured round: a dnsperf run for qps and CPU, then a shorter verbose run for p50/p99. */
async function measure(mode: CoreMode, s: Server, addr: string, qfile: string): Promise<Sample> {
  const pid = s.child.pid!;
  const w = cpuWindow(() => [pid]);
  const out = await dnsperf(mode, addr, s.port, qfile, SECONDS, false);
  const { cpu, wall } = w.stop();
  const rss = rssMiB([pid]);
  const r = parseSummary(out);
  if (!Number.isFinite(r.qps)) throw new Error(`cannot read dnsperf output:\n${out}`);
  if (r.qps === 0 || process.env.BENCH_DEBUG) process.stdout.write(`${s.name} dnsperf:\n${out}\n${s.name} log:\n${s.log()}\n`);
  const v = await dnsperf(mode, addr, s.port, qfile, Math.min(5, SECONDS), true);
  return { rate: r.qps, cpu, seconds: Math.min(wall, SECONDS), ...latencies(v), rssMiB: rss, note: r.lostPct > 1 ? `lost ${r.lostPct.toFixed(1)}%` : undefined };
}

function start(mode: CoreMode, name: string, cmd: string, args: string[], port: number, env: NodeJS.ProcessEnv = {}): Server {
  const full = [...pin(mode, 'server'), cmd, ...args];
  // taskset execs the server, so the child's pid is the server's own.
  const child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  child.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20000)));
  return { name, child, log: () => out, port };
}


/** Fetches /metrics every second while `running()`, as a Prometheus server would. */
function scrape(port: number, running: () => boolean): { done: Promise<number> } {
  let n = 0;
  const done = (async () => {
    while (running()) {
      const t = Date.now();
      try {
        const r = await fetch(`http://127.0.0.1:${port}/metrics`);
        await r.text();
        if (r.ok) n++;
      } catch {
        // counted as a failed scrape
      }
      await sleep(Math.max(0, 1000 - (Date.now() - t)));
    }
    return n;
  })();
  return { done };
}

/** Resident memory of each DNS worker (the Triad process's descendants), in MiB. */
function workerRss(pid: number): number[] {
  return processTree(pid).filter((p) => p !== pid).map((p) => rssMiB([p]));
}

/** One line for README: every worker's RSS idle (zone loaded, no query yet) and after the rounds. */
function rssLine(what: string, idle: number[], after: number[]): string {
  const f = (xs: number[]): string => xs.map((x) => x.toFixed(1)).join(', ');
  const ratios = after.map((a, i) => (idle[i] ? a / idle[i] : NaN));
  const worst = Math.max(...ratios.filter(Number.isFinite));
  return `${what}: DNS worker RSS idle ${f(idle)} MiB, after the rounds ${f(after)} MiB; worst ratio ${Number.isFinite(worst) ? worst.toFixed(2) : '?'}× (target ≤ 1.5×)`;
}

const TRIAD_NAME = 'Triad';

/** Every server of one core mode, started together, measured in alternating rounds, stopped. */
async function runMode(mode: CoreMode, dir: string, basePort: number): Promise<string[]> {
  const addr = '127.0.0.1';
  const d = path.join(dir, mode);
  mkdirSync(d, { recursive: true });
  const workers = mode === 'one-core' ? 1 : os.availableParallelism();
  // Core for core: BIND gets as many threads as Triad has DNS workers (one pinned core, or all).
  const BIND_NAME = `BIND 9 named -n ${workers}`;
  const qfile = path.join(dir, 'queries.txt');
  const servers: Server[] = [];
  const triad = (name: string, port: number, conf: string): Server => {
    const data = path.join(d, `data-${port}`);
    mkdirSync(data, { recursive: true });
    writeFileSync(path.join(d, `triad-${port}.conf`), conf);
    return start(mode, name, process.execPath, [BIN_TRIAD, 'run', '--conf-dir', d, '--data-dir', data, '--named-conf', path.join(d, `triad-${port}.conf`)], port, { TRIAD_LOG_LEVEL: 'warn' });
  };
  const tables: string[] = [];
  try {
    // The same named.conf for BIND and Triad; only the port differs. Two more Triads: one
    // with the statistics channel scraped every second, one writing its query log to a file.
    const [bindPort, triadPort, statsPort, qlogPort, metricsPort] = [0, 1, 2, 3, 4].map((i) => basePort + i);
    writeFileSync(path.join(d, 'bind.conf'), namedConf(dir, addr, bindPort));
    servers.push(start(mode, BIND_NAME, 'named', ['-g', '-n', String(workers), '-c', path.join(d, 'bind.conf')], bindPort));
    servers.push(triad(TRIAD_NAME, triadPort, namedConf(dir, addr, triadPort)));
    const withStats = `Triad + /metrics scraped every 1 s`;
    servers.push(triad(withStats, statsPort, namedConf(dir, addr, statsPort, `statistics-channels { inet 127.0.0.1 port ${metricsPort}; };\n`)));
    const withLog = 'Triad + querylog to a file';
    const qlog = path.join(d, 'query.log');
    servers.push(triad(withLog, qlogPort, namedConf(dir, addr, qlogPort, `logging { channel q { file "${qlog}" versions 2 size 100m; print-time yes; }; category queries { q; }; };\n`, 'querylog yes;')));
    for (const s of servers) await waitUp(s.name, addr, s.port, s.log);
    const plain = servers[1];
    const idleRss = workerRss(plain.child.pid!);
    process.stdout.write(`\n${modeTitle(mode)}: authoritative; warming up…\n`);
    for (const s of servers) await dnsperf(mode, addr, s.port, qfile, 2, false);
    const samples = await alternate(
      ROUNDS,
      servers.map((s) => ({
        name: s.name,
        run: async () => {
          if (s.name !== withStats) return measure(mode, s, addr, qfile);
          let on = true;
          const sc = scrape(metricsPort, () => on);
          try {
            const r = await measure(mode, s, addr, qfile);
            on = false;
            const n = await sc.done;
            return { ...r, note: [r.note, n === 0 ? 'no scrape answered' : undefined].filter(Boolean).join('; ') || undefined };
          } finally {
            on = false;
          }
        },
      })),
    );
    const t = `Triad (${workers} DNS worker${workers > 1 ? 's' : ''})`;
    tables.push(
      table(`DNS authoritative, ${modeTitle(mode)}`, 'q', [
        { name: BIND_NAME, samples: samples.get(BIND_NAME)! },
        { name: t, samples: samples.get(TRIAD_NAME)!, vs: BIND_NAME },
        { name: withStats, samples: samples.get(withStats)!, vs: t },
        { name: withLog, samples: samples.get(withLog)!, vs: t },
      ]),
      rssLine(`Authoritative, ${modeTitle(mode)}`, idleRss, workerRss(plain.child.pid!)),
    );

    // Cached answers: BIND and Triad as forward-only caches in front of the authoritative
    // BIND above, both warmed with every name, then measured on existing names only.
    if (process.env.BENCH_CACHE !== '0') {
      const cq = path.join(dir, 'cache-queries.txt');
      const wq = path.join(dir, 'warm.txt');
      const bindCachePort = basePort + 5;
      const triadCachePort = basePort + 6;
      writeFileSync(path.join(d, 'bind-cache.conf'), cacheConf(dir, addr, bindCachePort, bindPort));
      const bc = start(mode, `BIND 9 cache -n ${workers}`, 'named', ['-g', '-n', String(workers), '-c', path.join(d, 'bind-cache.conf')], bindCachePort);
      servers.push(bc);
      const tc = triad('Triad cache', triadCachePort, cacheConf(dir, addr, triadCachePort, bindPort));
      servers.push(tc);
      await waitUp(bc.name, addr, bindCachePort, bc.log);
      await waitUp(tc.name, addr, triadCachePort, tc.log);
      const idleCache = workerRss(tc.child.pid!);
      process.stdout.write(`${modeTitle(mode)}: cached answers; warming both caches with every name (each Triad worker has its own cache: three passes)…\n`);
      for (let i = 0; i < 3; i++) for (const s of [bc, tc]) await dnsperf(mode, addr, s.port, wq, 2, false);
      for (const s of [bc, tc]) await dnsperf(mode, addr, s.port, cq, 2, false);
      const cs = await alternate(ROUNDS, [bc, tc].map((s) => ({ name: s.name, run: () => measure(mode, s, addr, cq) })));
      tables.push(
        table(`DNS cached answers, ${modeTitle(mode)}`, 'q', [
          { name: bc.name, samples: cs.get(bc.name)! },
          { name: `Triad cache (${workers} DNS worker${workers > 1 ? 's' : ''})`, samples: cs.get(tc.name)!, vs: bc.name },
        ]),
        rssLine(`Cache (10,000 names cached by design), ${modeTitle(mode)}`, idleCache, workerRss(tc.child.pid!)),
      );
    }
  } finally {
    for (const s of servers) await stopChild(s.child);
  }
  return tables;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-bench-'));
  const modes = coreModes();
  process.on('SIGINT', () => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
  try {
    writeFileSync(path.join(dir, `${ZONE}.zone`), zoneText());
    writeFileSync(path.join(dir, 'queries.txt'), queryFile());
    writeFileSync(path.join(dir, 'cache-queries.txt'), cacheQueryFile());
    writeFileSync(path.join(dir, 'warm.txt'), warmFile());
    const tables: string[] = [];
    for (const [i, mode] of modes.entries()) {
      const base = 10000 + Math.floor(Math.random() * 22000); // below the ephemeral range
      tables.push(...(await runMode(mode, dir, base + i * 10)));
    }
    report(
      'bench:dns',
      `zone ${ZONE}: ${NAMES} names (5% of queries NXDOMAIN); dnsperf -l ${SECONDS} -c ${CLIENTS} -q ${OUTSTANDING}; ${ROUNDS} alternating rounds; p50/p99 from a further dnsperf -v run of ${Math.min(5, SECONDS)} s per round; CPU-s = utime+stime of the server and its workers during the run; RSS after the run`,
      tables,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await sleep(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:dns failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
