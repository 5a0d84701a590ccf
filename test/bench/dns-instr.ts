// Instructions per DNS query, counted by valgrind's callgrind: repeatable on a
// shared machine where wall-clock figures are not. Not a test and not part of
// `npm run bench:*`; run by hand when changing the query path:
//
//   node dist/test/bench/dns-instr.js [auth|cache] [QUERIES]
//
// Starts one Triad process (`--dns-workers 0`) under callgrind with collection off,
// waits until it answers, sends WARM (20,000) queries so the JIT settles, turns
// collection on, sends the next QUERIES queries of the mix over UDP (the
// same 10,000-name zone and query mix as dns-bench.ts; at most WINDOW in flight),
// dumps the counts and prints instructions per query. `cache` puts Triad as a
// forward-only cache in front of BIND (named, the authoritative side, not
// measured) and warms it with every name first, so every measured query is a hit.
// Answers from the resolver's cache are reused from the response cache until their
// first record expires, checked against the resolver's cache once a second per name;
// under callgrind a second is only a few hundred queries, so the `cache` figure
// includes that check on most queries (more often than at full speed).
// Figures vary by some percent between runs (when the JIT and the GC happen to run);
// compare several runs, not one. STATS=1 adds a statistics channel (per-query counting
// on, as when /metrics or BIND's channel is scraped).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN_TRIAD } from '../helpers/paths.js';
import { dig, waitFor } from '../helpers/triad-run.js';
import { stopChild } from './common.js';

const MODE = process.argv[2] === 'cache' ? 'cache' : 'auth';
const QUERIES = Number(process.argv[3] ?? 20_000);
const WINDOW = 20;
/** Queries before counting: enough for the JIT to settle (its compiler thread is counted too). */
const WARM = Number(process.env.WARM ?? 20_000);
const NAMES = 10_000;
const ZONE = 'bench.test';

/** The bench's zone (dns-bench.ts zoneText). */
function zoneText(): string {
  const lines = ['$TTL 3600', `@ IN SOA ns.${ZONE}. hostmaster.${ZONE}. ( 1 3600 900 604800 300 )`, '  IN NS ns', 'ns IN A 10.0.0.1', 'alias IN CNAME h1'];
  for (let i = 0; i < NAMES; i++) lines.push(`h${i} IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return lines.join('\n') + '\n';
}

/** The bench's query mix: ≈5 % NXDOMAIN for auth (dns-bench.ts queryFile), existing names only for cache. */
function names(n: number): string[] {
  const out: string[] = [];
  let x = 12345;
  const rnd = (m: number): number => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % m;
  };
  for (let i = 0; i < n; i++) out.push(MODE === 'auth' && rnd(100) < 5 ? `nx${rnd(1_000_000)}.${ZONE}` : `h${rnd(NAMES)}.${ZONE}`);
  return out;
}

/** A query for `name` A IN, RD set, with an EDNS OPT (4096) as dnsperf -e / dig send. */
function query(id: number, name: string): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  const head = Buffer.from([id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
  const opt = Buffer.from([0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0]);
  return Buffer.concat([head, ...labels, Buffer.from([0, 0, 1, 0, 1]), opt]);
}

/** Sends every query with at most WINDOW unanswered (a lost one is given up after 5 s). */
async function drive(port: number, qs: string[]): Promise<{ answered: number; lost: number }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  let next = 0;
  let answered = 0;
  let lost = 0;
  const inflight = new Map<number, NodeJS.Timeout>();
  await new Promise<void>((done) => {
    const pump = (): void => {
      while (inflight.size < WINDOW && next < qs.length) {
        const id = next & 0xffff;
        const i = next++;
        inflight.set(id, setTimeout(() => {
          inflight.delete(id);
          lost++;
          pump();
        }, 5000));
        sock.send(query(id, qs[i]), port, '127.0.0.1');
      }
      if (inflight.size === 0 && next >= qs.length) done();
    };
    sock.on('message', (m) => {
      const id = (m[0] << 8) | m[1];
      const t = inflight.get(id);
      if (!t) return;
      clearTimeout(t);
      inflight.delete(id);
      answered++;
      pump();
    });
    pump();
  });
  sock.close();
  return { answered, lost };
}

function conf(dir: string, port: number, upstream?: number): string {
  const opts = upstream === undefined
    ? 'recursion no;'
    : `recursion yes; allow-recursion { 127.0.0.0/8; }; forwarders { 127.0.0.1 port ${upstream}; }; forward only; dnssec-validation no;`;
  return `options { directory "${dir}"; listen-on port ${port} { 127.0.0.1; }; listen-on-v6 { none; }; ${opts} pid-file none; session-keyfile none; };\n` +
    (process.env.STATS ? `statistics-channels { inet 127.0.0.1 port ${port + 1} allow { 127.0.0.1; }; };\n` : '') +
    (upstream === undefined ? `zone "${ZONE}" { type primary; file "${ZONE}.zone"; };\n` : '');
}


async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-instr-'));
  const children: ChildProcess[] = [];
  try {
    writeFileSync(path.join(dir, `${ZONE}.zone`), zoneText());
    const base = 10000 + Math.floor(Math.random() * 22000);
    const port = base + 1;
    let upstream: number | undefined;
    if (MODE === 'cache') {
      upstream = base;
      writeFileSync(path.join(dir, 'bind.conf'), conf(dir, base));
      const named = spawn('named', ['-g', '-n', '1', '-c', path.join(dir, 'bind.conf')], { stdio: 'ignore' });
      children.push(named);
      if (!(await waitFor(() => dig('127.0.0.1', base, ['+short', `h1.${ZONE}`]).trim() === '10.0.0.1', 30000, 300))) throw new Error('named did not come up');
    }
    writeFileSync(path.join(dir, 'triad.conf'), conf(dir, port, upstream));
    const out = path.join(dir, 'callgrind.out');
    const triad = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', `--callgrind-out-file=${out}`,
      process.execPath, BIN_TRIAD, 'run', '--dns-workers', '0', '--conf-dir', dir, '--data-dir', path.join(dir, 'data'), '--named-conf', path.join(dir, 'triad.conf')],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TRIAD_LOG_LEVEL: 'warn' } });
    children.push(triad);
    let log = '';
    triad.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-5000)));
    if (!(await waitFor(() => dig('127.0.0.1', port, ['+short', `h1.${ZONE}`]).trim() === '10.0.0.1', 300000, 1000))) throw new Error(`Triad did not come up:\n${log}`);
    // Warm up: the JIT and, for the cache, every name once (then every measured query is a cache hit).
    if (MODE === 'cache') await drive(port, Array.from({ length: NAMES }, (_, i) => `h${i}.${ZONE}`));
    await drive(port, names(WARM));
    spawnSync('callgrind_control', ['-i', 'on', String(triad.pid)]);
    const r = await drive(port, names(WARM + QUERIES).slice(WARM));
    spawnSync('callgrind_control', ['-d', String(triad.pid)]);
    spawnSync('callgrind_control', ['-i', 'off', String(triad.pid)]);
    const dumps = readdirSync(dir).filter((f) => f.startsWith('callgrind.out'));
    let total = 0;
    for (const f of dumps) {
      const m = /^summary:\s+(\d+)/m.exec(readFileSync(path.join(dir, f), 'utf8')) ?? /^totals:\s+(\d+)/m.exec(readFileSync(path.join(dir, f), 'utf8'));
      if (m) total = Math.max(total, Number(m[1]));
    }
    process.stdout.write(`${MODE}${process.env.STATS ? ' (statistics channel)' : ''}: ${QUERIES} queries, ${r.answered} answered, ${r.lost} lost; ${total} instructions; ${Math.round(total / QUERIES)} per query\n`);
  } finally {
    for (const c of children.reverse()) await stopChild(c, 60_000);
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
    else process.stdout.write(`kept ${dir}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
