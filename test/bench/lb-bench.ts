// `npm run bench:lb`: requests/s with wrk through the VIP (DR and NAT) against the
// same servers directly and against HAProxy in TCP mode on the same topology, Triad's
// nftables engine beside its userspace packet engine; packets/s the packet engine forwards
// (trafgen, small UDP); the time from a real server's death to the last failed request.
// Real servers are HAProxy instances answering `http-request return` (fast and
// keep-alive), so the servers are not the bottleneck. Everything runs in
// namespaces that are removed at the end.
// Twice: the load balancer (Triad, HAProxy) pinned to one core and wrk/trafgen to another,
// then on all cores; rounds alternate between the contenders (Triad is restarted with the
// other engine each round); markdown tables (see test/bench/common.ts).
// Options: --seconds N --rounds N --connections N --warmup N --cores one,all --modes DR,NAT
// (or LB_BENCH_SECONDS, LB_BENCH_ROUNDS, …); LB_BENCH_PACKET=0 leaves the packet engine out.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { allUp, missingTools, Topo } from '../lb/topology.js';
import { benchLayout, udpSink } from './lb-layout.js';
import { alternate, type Contender, coreModes, SERVER_CORE, type CoreMode, cpuWindow, listOption, modeTitle, option, pin, pinTree, report, type Row, rssMiB, type Sample, table } from './common.js';

const DURATION = option('seconds', 'LB_BENCH_SECONDS', 3);
const ROUNDS = option('rounds', 'LB_BENCH_ROUNDS', 3);
const CONNS = option('connections', 'LB_BENCH_CONNECTIONS', 50);
/** Seconds of unmeasured wrk before each measured one. */
const WARMUP = option('warmup', 'LB_BENCH_WARMUP', 1);
const VIP = '10.0.0.100';
const FAILOVER_CLIENT = path.join(REPO_ROOT, 'dist', 'test', 'bench', 'failover-client.js');

/**
 * A real server: one haproxy thread, on the load generator's core in the one-core table.
 * Left unpinned (and with a thread per CPU), the servers went wherever the scheduler put
 * them, run by run: onto the LB's core in some rounds (taking CPU from the packet engine,
 * which runs there, but not from the nftables engine, which forwards in the kernel on the
 * sender's core) and beside wrk in others, so ratios between contenders moved between
 * runs with the placement. Pinned, the LB's core is the LB's alone in every round.
 */
function rsHaproxy(topo: Topo, mode: CoreMode, role: string, name: string): ChildProcess {
  const f = path.join(topo.dir, `${role}.cfg`);
  writeFileSync(f, `global\n  maxconn 8000\n  nbthread 1\ndefaults\n  mode http\n  timeout client 30s\n  timeout connect 2s\n  timeout server 30s\nfrontend web\n  bind 0.0.0.0:80\n  http-request return status 200 content-type text/plain string "${name}\\n"\n`);
  // `ip netns exec` execs haproxy (taskset too), so this child's pid is haproxy's own.
  return topo.spawnIn(role, [...pin(mode, 'load'), 'haproxy', '-db', '-f', f]);
}

function lbHaproxy(topo: Topo, bind: string, servers: string[]): ChildProcess {
  const f = path.join(topo.dir, 'lb-haproxy.cfg');
  writeFileSync(
    f,
    `global\n  maxconn 8000\ndefaults\n  mode tcp\n  timeout client 30s\n  timeout connect 2s\n  timeout server 30s\nfrontend f\n  bind ${bind}:8000\n  default_backend b\nbackend b\n  balance roundrobin\n${servers.map((s, i) => `  server s${i} ${s}:80\n`).join('')}`,
  );
  return topo.spawnIn('l', ['haproxy', '-db', '-f', f]);
}

/** wrk's latency figure (`1.23ms`, `456.00us`, `1.20s`) in ms. */
function wrkMs(v: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v ?? '');
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
}

/** wrk against each URL at once (connections and threads split between them); total requests/s, worst p50/p99. */
async function wrk(topo: Topo, mode: CoreMode, urls: string[], seconds = DURATION): Promise<{ rps: number; p50Ms: number; p99Ms: number }> {
  const per = Math.max(1, Math.floor(CONNS / urls.length));
  const threads = String(Math.max(1, Math.floor(2 / urls.length)));
  const runs = urls.map(
    (url) =>
      new Promise<{ rps: number; p50Ms: number; p99Ms: number }>((resolve, reject) => {
        const p = topo.spawnIn('c', [...pin(mode, 'load'), 'wrk', '--latency', '-t', threads, '-c', String(per), '-d', `${seconds}s`, url]);
        let out = '';
        p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr?.on('data', (d: Buffer) => (out += d.toString()));
        // wrk waits for ever on connections that never open: a deadline of its own.
        const deadline = setTimeout(() => p.kill('SIGKILL'), (seconds + 20) * 1000);
        p.on('exit', (code) => {
          clearTimeout(deadline);
          const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
          const errs = /Non-2xx.*|Socket errors: .*/.exec(out);
          if (errs) process.stderr.write(`  wrk ${url}: ${errs[0]}\n`);
          if (code !== 0 || !rps) reject(new Error(`wrk ${url} failed: ${out.trim()}\n${topo.triadLog.slice(-10).join('\n')}`));
          else resolve({ rps: Number(rps[1]), p50Ms: wrkMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1]), p99Ms: wrkMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1]) });
        });
      }),
  );
  const all = await Promise.all(runs);
  return { rps: all.reduce((a, b) => a + b.rps, 0), p50Ms: Math.max(...all.map((x) => x.p50Ms)), p99Ms: Math.max(...all.map((x) => x.p99Ms)) };
}

function conf(kind: 'DR' | 'NAT', rs: string[]): string {
  return `virtual_server ${VIP} 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind ${kind}\n${rs
    .map((ip) => `  real_server ${ip} 80 {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }\n`)
    .join('')}}\n`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const PPS_SECONDS = option('pps-seconds', 'LB_BENCH_PPS_SECONDS', 4);

/** A UDP virtual server on port 9 for the packets-per-second run. */
function udpConf(kind: 'DR' | 'NAT', rs: string[]): string {
  return `virtual_server ${VIP} 9 {\n  lb_algo rr\n  lb_kind ${kind}\n  protocol UDP\n${rs.map((ip) => `  real_server ${ip} 9 {\n  }\n`).join('')}}\n`;
}

async function udpForwarded(topo: Topo): Promise<number> {
  const st = await topo.waitFor(() => true);
  const v = st.find((x) => x.key === `${VIP}:9/UDP`);
  return (v?.servers ?? []).reduce((a, s) => a + (s.counters?.inPkts ?? 0), 0);
}

/**
 * Packets/s the packet engine forwards: small UDP packets from trafgen (netsniff-ng; 256
 * flows, 18-byte payload), read from the engine's own counters while trafgen runs. The real
 * servers drop them on arrival (lb-layout.ts udpSink), as a wire would take them away.
 */
async function packetsPerSecond(topo: Topo, mode: CoreMode, pid: number): Promise<Sample> {
  const lbMac = topo.sh('l', 'cat', '/sys/class/net/eth0/address').trim();
  const cMac = topo.sh('c', 'cat', '/sys/class/net/eth0/address').trim();
  const f = path.join(topo.dir, 'udp.trafgen');
  writeFileSync(f, `{ eth(da=${lbMac}, sa=${cMac}, type=0x0800), ipv4(saddr=10.0.0.2, daddr=${VIP}, ttl=64), udp(sport=dinc(2000, 2255), dport=9), "triad-bench-pkt!!!" }\n`);
  // setsid: trafgen signals its whole process group when it stops, which must not include us.
  // A packet budget so it ends by itself; its worker is killed with its process group after.
  const gen = topo.spawnIn('c', ['setsid', ...pin(mode, 'load'), 'trafgen', '--dev', 'eth0', '--conf', f, '--cpus', '1', '--no-sock-mem', '-n', String((PPS_SECONDS + 2) * 600_000)]);
  let genErr = '';
  gen.stderr?.on('data', (d: Buffer) => (genErr += d.toString()));
  await sleep(1000);
  const c0 = await udpForwarded(topo);
  const w = cpuWindow(() => [pid]);
  await sleep(PPS_SECONDS * 1000);
  const c1 = await udpForwarded(topo);
  const { cpu, wall } = w.stop();
  const rss = rssMiB([pid]);
  try {
    if (gen.pid) process.kill(-gen.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  const pps = (c1 - c0) / wall;
  return { rate: pps, cpu, seconds: wall, rssMiB: rss, note: pps > 0 ? undefined : `trafgen: ${genErr.trim().slice(0, 200)}` };
}

const DIRECT = 'direct to the real servers (no LB)';
const NFT = 'Triad, nftables engine (VIP)';
const PACKET = 'Triad, packet engine (VIP)';
const HAPROXY = 'HAProxy TCP mode';
const PPS = 'Triad, packet engine: UDP packets forwarded';

/** One mode (DR or NAT) on its own topology, in one core mode: the req/s and packets/s tables. */
async function bench(kind: 'DR' | 'NAT', mode: CoreMode, withFailover: boolean): Promise<{ tables: string[]; failoverMs?: number }> {
  const topo = new Topo();
  try {
    const rs = benchLayout(topo, kind, VIP);
    if (kind === 'NAT') {
      // Forwarding on, as Triad's nftables engine turns it on for NAT: the direct rounds
      // (client to real server routed through the LB's namespace) run without a Triad.
      topo.sysctl('l', 'net.ipv4.ip_forward=1');
      // The bench also measures the real servers directly from the client.
      topo.ip('-n', topo.ns('c'), 'route', 'add', '10.1.0.0/24', 'via', '10.0.0.1');
    }
    if (mode === 'one-core') {
      // The kernel's forwarding (the nftables engine) has no process to pin: it runs where a
      // frame is received, which for a veth is the sender's core. Receive Packet Steering on
      // the LB's interfaces moves that work to the LB's core, where the packet engine and
      // HAProxy run, so every contender forwards on the same one core.
      topo.sh('l', 'sh', '-c', `for f in /sys/class/net/*/queues/rx-*/rps_cpus; do echo ${(1 << SERVER_CORE).toString(16)} > $f; done`);
    }
    const rsProcs = rs.map((_, i) => rsHaproxy(topo, mode, `r${i}`, `rs${i}`));
    const lbh = lbHaproxy(topo, '10.0.0.1', rs);
    await sleep(1000); // let the veths get carrier, as a booted host would
    pinTree(mode, lbh.pid ? [lbh.pid] : []);
    const packetOn = process.env.LB_BENCH_PACKET !== '0';
    const trafgen = packetOn && missingTools(['trafgen']).length === 0;
    if (trafgen) udpSink(topo, rs.length);
    if (packetOn) {
      // Senders' TSO/GSO off (a wire carries no superpackets; the packet engine sees what a
      // wire would bring), checksum offload left on; the same for every contender.
      topo.sh('c', 'ethtool', '-K', 'eth0', 'tso', 'off', 'gso', 'off');
      rs.forEach((_, i) => topo.sh(`r${i}`, 'ethtool', '-K', 'eth0', 'tso', 'off', 'gso', 'off'));
    }
    /** Triad with one engine, pinned in one-core mode; stopped by the caller. */
    const startTriad = async (engine: 'nft' | 'packet', udp: boolean): Promise<number> => {
      const c = topo.startTriad('l', topo.writeConf(conf(kind, rs) + (udp ? udpConf(kind, rs) : '')), engine === 'packet' ? ['--lb-datapath', 'packet'] : []);
      await topo.waitFor(allUp);
      pinTree(mode, c.pid ? [c.pid] : []);
      await sleep(500);
      return c.pid!;
    };
    const viaWrk = async (urls: string[], pids: number[], note?: string): Promise<Sample> => {
      // Not measured: neighbours resolved, the servers' and the packet engine's first
      // work done, so every contender's window starts from the same steady state.
      if (WARMUP > 0) await wrk(topo, mode, urls, WARMUP);
      const w = cpuWindow(() => pids);
      const r = await wrk(topo, mode, urls);
      const { cpu, wall } = w.stop();
      return { rate: r.rps, cpu: pids.length ? cpu : undefined, seconds: wall, p50Ms: r.p50Ms, p99Ms: r.p99Ms, rssMiB: pids.length ? rssMiB(pids) : undefined, note };
    };
    const contenders: Contender[] = [
      // DR clients reach a real server on the same bridge; NAT clients are routed through
      // the LB without translation, the fairest "same path minus the LB's work".
      { name: DIRECT, run: () => viaWrk(rs.map((ip) => `http://${ip}/`), []) },
      {
        name: NFT,
        run: async () => {
          const pid = await startTriad('nft', false);
          try {
            // The kernel forwards: Triad's own CPU time is its health checks, not the packets.
            return await viaWrk([`http://${VIP}/`, `http://${VIP}/`], [], 'forwarding in the kernel: no per-process CPU');
          } finally {
            await topo.stopProc(topo.triad!);
          }
        },
      },
      { name: HAPROXY, run: () => viaWrk(['http://10.0.0.1:8000/', 'http://10.0.0.1:8000/'], lbh.pid ? [lbh.pid] : []) },
    ];
    if (packetOn) {
      contenders.push({
        name: PACKET,
        run: async () => {
          const pid = await startTriad('packet', false);
          try {
            return await viaWrk([`http://${VIP}/`, `http://${VIP}/`], [pid]);
          } finally {
            await topo.stopProc(topo.triad!);
          }
        },
      });
    }
    process.stdout.write(`${kind}, ${modeTitle(mode)}\n`);
    const s = await alternate(ROUNDS, contenders);
    const rows: Row[] = [
      { name: DIRECT, samples: s.get(DIRECT)! },
      { name: NFT, samples: s.get(NFT)!, vs: DIRECT },
      ...(packetOn ? [{ name: PACKET, samples: s.get(PACKET)!, vs: NFT }] : []),
      { name: HAPROXY, samples: s.get(HAPROXY)!, over: NFT },
    ];
    const tables = [table(`LB ${kind}, wrk HTTP through the VIP, ${modeTitle(mode)}`, 'req', rows)];
    if (trafgen) {
      const pps = await alternate(ROUNDS, [
        {
          name: PPS,
          run: async () => {
            const pid = await startTriad('packet', true);
            try {
              return await packetsPerSecond(topo, mode, pid);
            } finally {
              await topo.stopProc(topo.triad!);
            }
          },
        },
      ]);
      tables.push(table(`LB ${kind}, trafgen small UDP packets, ${modeTitle(mode)}`, 'pkt', [{ name: PPS, samples: pps.get(PPS)! }]));
    } else if (packetOn) tables.push('trafgen missing (apt install netsniff-ng): no packets/s figure\n');
    let failoverMs: number | undefined;
    if (withFailover) {
      // Kill a real server's process under load, at a random point of the check cycle;
      // find the last failed request. Three times (the server is restarted in between).
      await startTriad('nft', false);
      const samples: number[] = [];
      for (let round = 0; round < 3; round++) {
        const victim = round % 2;
        const client = topo.spawnIn('c', [process.execPath, FAILOVER_CLIENT, VIP, '80', '6', '8']);
        let out = '';
        client.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        await sleep(1500 + Math.random() * 1000);
        const logFrom = topo.triadLog.length;
        const t0 = Date.now();
        rsProcs[victim].kill('SIGKILL');
        await new Promise((r) => client.once('exit', r));
        const res = JSON.parse(out) as { ok: number; failures: number[] };
        const after = res.failures.filter((x) => x >= t0);
        const ms = after.length ? Math.max(...after) - t0 : 0;
        samples.push(ms);
        const down = topo.triadLog.slice(logFrom).find((l) => /real server DOWN/.test(l));
        const downAt = down ? Date.parse((JSON.parse(down) as { time: string }).time) - t0 : undefined;
        process.stdout.write(`  failover ${round + 1}: ${res.ok} ok, ${res.failures.length} failed; marked down ${downAt} ms and last failure ${ms} ms after the kill\n`);
        rsProcs[victim] = rsHaproxy(topo, mode, `r${victim}`, `rs${victim}`);
        await topo.waitFor(allUp);
      }
      await topo.stopProc(topo.triad!);
      failoverMs = Math.max(...samples);
    }
    return { tables, failoverMs };
  } finally {
    topo.cleanup();
  }
}

async function main(): Promise<void> {
  const missing = missingTools(['ip', 'nft', 'wrk', 'haproxy', 'arping', 'taskset']);
  if (missing.length) {
    process.stderr.write(`bench:lb needs ${missing.join(', ')}\n`);
    process.exitCode = 1;
    return;
  }
  const tables: string[] = [];
  let failover: number | undefined;
  const kinds = listOption('modes', 'LB_BENCH_MODES', 'DR,NAT') as Array<'DR' | 'NAT'>;
  const modes = coreModes();
  for (const mode of modes) {
    for (const kind of kinds) {
      const r = await bench(kind, mode, kind === 'DR' && mode === modes[modes.length - 1]);
      tables.push(...r.tables);
      if (r.failoverMs !== undefined) failover = r.failoverMs;
    }
  }
  const budget = 2 * (1 + 1) * 1000;
  report(
    'bench:lb',
    `wrk --latency, ${CONNS} keep-alive connections, ${DURATION} s per run after ${WARMUP} s unmeasured, ${ROUNDS} alternating rounds (Triad restarted with its engine each round), 2 real servers (haproxy http-request return, one thread each; in the one-core table pinned to the load generator's core, so the LB's core is its alone), rr; senders' TSO/GSO off when the packet engine is measured; every wrk figure is two wrk processes at once (direct: one per server), p50/p99 the worse of the two; trafgen ${PPS_SECONDS} s per round; CPU-s = utime+stime of the load balancer's process during the run (the nftables engine forwards in the kernel: not per process); RSS at the end of the run`,
    tables,
  );
  if (failover !== undefined) process.stdout.write(`\nfailover (DR, delay_loop 1 + connect_timeout 1, all cores): worst of 3, last failed request ${failover} ms after the kill; target < ${budget} ms\n`);
}

await main();
