// Cache memory soak (not a pass/fail test): a resperf-style run fills Triad's
// cache with SOAK_NAMES (default 1,000,000) distinct names from a loopback
// wildcard upstream, while the worker's RSS and the cache's accounted size are
// sampled. Prints whether the cache stayed within `max-cache-size`.
//   node dist/test/bench/cache-soak.js   (SOAK_NAMES, SOAK_MAX_CACHE=32m,
//   SOAK_NODE_OPTIONS e.g. --max-old-space-size=128 to show how much of the RSS is uncollected garbage)
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync, createWriteStream, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDnsConfig } from '../../src/dns/dns-config.js';
import { Responder } from '../../src/dns/responder.js';
import { startDnsServer } from '../../src/dns/server.js';
import { BIN_TRIAD } from '../helpers/paths.js';
import { dig, randomPort, sleep, waitFor } from '../helpers/triad-run.js';

const NAMES = Number(process.env.SOAK_NAMES ?? 1_000_000);
const MAX_CACHE = process.env.SOAK_MAX_CACHE ?? '32m';

function octets(s: string): number {
  const m = /^([0-9]+)([kmg]?)$/i.exec(s);
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g']);
}

function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'triad-soak-'));
  const children: ChildProcess[] = [];
  try {
    const addr = '127.0.0.1';
    const upPort = randomPort();
    const port = upPort + 1;
    writeFileSync(path.join(dir, 'soak.zone'), '$TTL 3600\n@ SOA ns root 1 1h 10m 1w 5m\n@ NS ns\nns A 127.0.0.1\n* A 10.0.0.1\n');
    writeFileSync(path.join(dir, 'up.conf'), `options { directory "${dir}"; recursion no; listen-on port ${upPort} { ${addr}; }; };\nzone "soak.test" { type primary; file "soak.zone"; };\n`);
    const upstream = await startDnsServer({ listen: [{ address: addr, port: upPort }], responder: new Responder(loadDnsConfig(path.join(dir, 'up.conf')).view), exclusive: true });
    writeFileSync(path.join(dir, 'named.conf'), `options {
    directory "${dir}";
    listen-on port ${port} { ${addr}; };
    listen-on-v6 { none; };
    recursion yes;
    allow-recursion { 127.0.0.0/8; };
    forwarders { ${addr} port ${upPort}; };
    forward only;
    max-cache-size ${MAX_CACHE};
};
`);
    const qfile = path.join(dir, 'names.txt');
    await new Promise<void>((resolve) => {
      const w = createWriteStream(qfile);
      for (let i = 0; i < NAMES; i++) w.write(`n${i}.soak.test A\n`);
      w.end(resolve);
    });
    const triad = spawn(process.execPath, [BIN_TRIAD, 'run', '--conf-dir', dir, '--data-dir', path.join(dir, 'data'), '--named-conf', path.join(dir, 'named.conf'), '--dns-workers', '1'], { stdio: 'ignore', env: { ...process.env, TRIAD_LOG_LEVEL: 'warn', ...(process.env.SOAK_NODE_OPTIONS ? { NODE_OPTIONS: process.env.SOAK_NODE_OPTIONS } : {}) } });
    children.push(triad);
    if (!(await waitFor(() => /10\.0\.0\.1/.test(dig(addr, port, ['+short', 'up.soak.test'])), 20000, 200))) throw new Error('triad did not come up');
    const workerPid = Number(spawnSync('pgrep', ['-P', String(triad.pid)], { encoding: 'utf8' }).stdout.trim().split('\n')[0] ?? 0);
    const worker = (): number => workerPid;
    // Asynchronous: the upstream lives in this process and must keep answering meanwhile.
    const ctlStats = async (): Promise<{ entries: number; bytes: number; maxBytes: number }> => {
      const r = await promisify(execFile)(process.execPath, [BIN_TRIAD, 'ctl', 'stats', '--json', '--data-dir', path.join(dir, 'data')], { encoding: 'utf8' });
      const d = JSON.parse(r.stdout || 'null') as { resolver?: { cache: { entries: number; bytes: number; maxBytes: number } } } | null;
      return d?.resolver?.cache ?? { entries: 0, bytes: 0, maxBytes: 0 };
    };
    const max = octets(MAX_CACHE);
    const rss0 = rssKb(worker());
    process.stdout.write(`cache soak: ${NAMES} distinct names, max-cache-size ${MAX_CACHE} (${max} octets); worker RSS at start ${(rss0 / 1024).toFixed(0)} MiB\n`);
    const perf = spawn('dnsperf', ['-s', addr, '-p', String(port), '-d', qfile, '-n', '1', '-c', '8', '-q', '300', '-t', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let perfOut = '';
    perf.stdout.on('data', (d: Buffer) => (perfOut += d.toString()));
    const done = new Promise<void>((r) => perf.on('close', () => r()));
    let peakRss = rss0;
    let peakBytes = 0;
    let over = 0;
    const t0 = Date.now();
    for (let finished = false; !finished; ) {
      finished = await Promise.race([done.then(() => true), sleep(3000).then(() => false)]);
      const s = await ctlStats();
      const rss = rssKb(worker());
      peakRss = Math.max(peakRss, rss);
      peakBytes = Math.max(peakBytes, s.bytes);
      if (s.bytes > max) over++;
      process.stdout.write(`  t=${((Date.now() - t0) / 1000).toFixed(0)}s entries ${s.entries} cache ${(s.bytes / 1048576).toFixed(1)} MiB rss ${(rss / 1024).toFixed(0)} MiB\n`);
    }
    const qps = /Queries per second:\s+([0-9.]+)/.exec(perfOut)?.[1] ?? '?';
    const completed = /Queries completed:\s+(\d+)/.exec(perfOut)?.[1] ?? '?';
    process.stdout.write(`dnsperf: ${completed} queries completed at ${qps} qps (every one a cache miss forwarded upstream)\n`);
    process.stdout.write(`peak accounted cache ${(peakBytes / 1048576).toFixed(1)} MiB of ${(max / 1048576).toFixed(1)} MiB allowed: ${over === 0 && peakBytes <= max ? 'WITHIN max-cache-size' : 'EXCEEDED'}\n`);
    process.stdout.write(`worker RSS: start ${(rss0 / 1024).toFixed(0)} MiB, peak ${(peakRss / 1024).toFixed(0)} MiB (heap overhead beyond the accounted size included)\n`);
    await upstream.close();
  } finally {
    for (const c of children) {
      c.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 500));
      if (c.exitCode === null) c.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`cache soak failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
