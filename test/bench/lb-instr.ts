// Cost per forwarded packet of the packet engine, repeatable on a shared machine
// where packets/s figures are not. Not a test and not part of `npm run bench:*`;
// run by hand when changing the packet path:
//
//   node dist/test/bench/lb-instr.js [cpu|perf|callgrind] [DR,NAT] [PACKETS] [RATE] [RUNS]
//
// Builds the bench's namespaces (lb-bench.ts: a client, the load balancer and two real
// servers; DR on one bridge, NAT with the servers behind the LB), starts one Triad with
// only a UDP virtual server (rr, no health checks) on the packet engine, and sends small
// UDP packets (trafgen, 256 flows, 18-byte payload, as lb-bench.ts) at a fixed RATE.
// The real servers drop them in prerouting with a counter, which is the count of packets
// that made it through.
//  - cpu: utime+stime of the Triad process while PACKETS packets are sent, divided by
//    the packets forwarded: CPU-µs per packet, kernel time of recvmmsg/sendmmsg included.
//    At a rate well below saturation the figure does not depend on how busy the machine
//    is (batches are then small: it is the cost at that rate, not at saturation).
//  - perf: as cpu, with `perf record -g` on the Triad process through the send, and the
//    share of its samples by where they were: recvmmsg, sendmmsg itself, the softirq the
//    veth transmit runs inside sendmmsg (the bridge and the real server receiving: the
//    topology's cost, not the engine's), waiting (poll/futex/epoll), user space.
//    Default 400,000 packets at 40,000/s.
//  - callgrind: the Triad process under valgrind with collection off until warmed up,
//    then instructions (user space only: not the kernel's side of the system calls) per
//    forwarded packet, on the main thread (V8's compiler threads shown apart). Valgrind
//    slows Triad some 50×, so the engine is saturated and its batches full: this is the
//    per-packet cost of the JavaScript at full batches.
// Each run starts a fresh Triad and warms it with WARM packets first (its JIT).
// KEEP=DIR keeps the callgrind files; PERF_MAP=1 has V8 write /tmp/perf-PID.map to name
// the JIT code in them. LOG=1 prints Triad's closing counters (forwarded, drops, txDropped) after each run.
// Defaults: cpu 200,000 packets at 40,000/s after 50,000; callgrind 100,000 at 20,000/s
// after 600,000 (30 s: under valgrind the JIT needs that long to settle; saturated
// under valgrind: the excess is dropped by the kernel and not counted); 3 runs.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BIN_TRIAD } from '../helpers/paths.js';
import { allUp, missingTools, Topo } from '../lb/topology.js';
import { benchLayout, sunk, udpSink } from './lb-layout.js';
import { stopChild } from './common.js';

/** utime and stime of a process (all its threads), in seconds. */
function cpuSplit(pid: number): { user: number; sys: number } {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 };
}

const MODE = process.argv[2] === 'callgrind' ? 'callgrind' : process.argv[2] === 'perf' ? 'perf' : 'cpu';
const KINDS = (process.argv[3] ?? 'DR,NAT').split(',').filter((k): k is 'DR' | 'NAT' => k === 'DR' || k === 'NAT');
const PACKETS = Number(process.argv[4] ?? (MODE === 'callgrind' ? 100_000 : MODE === 'perf' ? 400_000 : 200_000));
const RATE = Number(process.argv[5] ?? (MODE === 'callgrind' ? 20_000 : 40_000));
const RUNS = Number(process.argv[6] ?? 3);
const WARM = Number(process.env.WARM ?? (MODE === 'callgrind' ? 600_000 : 50_000));
const VIP = '10.0.0.100';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function conf(kind: 'DR' | 'NAT', rs: string[]): string {
  return `virtual_server ${VIP} 9 {\n  lb_algo rr\n  lb_kind ${kind}\n  protocol UDP\n${rs.map((ip) => `  real_server ${ip} 9 {\n  }\n`).join('')}}\n`;
}

/** The bench's topology (lb-bench.ts), plus a counting drop of the test packets on each real server. */
function build(topo: Topo, kind: 'DR' | 'NAT'): string[] {
  const rs = benchLayout(topo, kind, VIP);
  udpSink(topo, rs.length);
  return rs;
}


/** Sends `n` packets at `rate` from the client; resolves when trafgen ends. */
async function send(topo: Topo, n: number, rate: number): Promise<void> {
  const f = path.join(topo.dir, 'udp.trafgen');
  const gen = topo.spawnIn('c', ['setsid', 'trafgen', '--dev', 'eth0', '--conf', f, '--cpus', '1', '--no-sock-mem', '-b', `${rate}pps`, '-n', String(n), '-q']);
  let err = '';
  gen.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => gen.once('exit', (c) => r(c)));
  if (code !== 0) throw new Error(`trafgen failed (${code}): ${err.trim().slice(0, 300)}`);
}

/** Waits until the real servers' counters stop moving (the engine has drained its socket). */
async function settle(topo: Topo, n: number): Promise<number> {
  let last = -1;
  for (;;) {
    await sleep(MODE === 'callgrind' ? 1500 : 300);
    const now = sunk(topo, n);
    if (now === last) return now;
    last = now;
  }
}


/** The topology in use, removed also when the driver is interrupted. */
let current: Topo | undefined;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    current?.cleanup();
    process.exit(130);
  });
}

async function once(kind: 'DR' | 'NAT', run: number): Promise<string> {
  const topo = new Topo();
  current = topo;
  try {
    const rs = build(topo, kind);
    await sleep(1000); // carrier on the veths
    const lbMac = topo.sh('l', 'cat', '/sys/class/net/eth0/address').trim();
    const cMac = topo.sh('c', 'cat', '/sys/class/net/eth0/address').trim();
    writeFileSync(path.join(topo.dir, 'udp.trafgen'), `{ eth(da=${lbMac}, sa=${cMac}, type=0x0800), ipv4(saddr=10.0.0.2, daddr=${VIP}, ttl=64), udp(sport=dinc(2000, 2255), dport=9), "triad-bench-pkt!!!" }\n`);
    const confFile = topo.writeConf(conf(kind, rs));
    const out = path.join(topo.dir, 'callgrind.out');
    // PERF_MAP=1: V8 writes /tmp/perf-PID.map (JIT code addresses → function names) to read a callgrind profile with.
    const node = [process.execPath, ...(process.env.PERF_MAP ? ['--perf-basic-prof'] : []), BIN_TRIAD, 'run', '--conf-dir', topo.dir, '--data-dir', topo.dir, '--lb-conf', confFile, '--lb-datapath', 'packet', '--log-level', process.env.LOG ? 'info' : 'warn'];
    const argv = MODE === 'callgrind' ? ['valgrind', '--tool=callgrind', '--instr-atstart=no', '--smc-check=all-non-file', '--separate-threads=yes', `--callgrind-out-file=${out}`, ...node] : node;
    // `ip netns exec` execs its command: the child's pid is Triad's (or valgrind's, which runs Triad in place).
    const triad = topo.spawnIn('l', argv);
    let log = '';
    triad.stdout?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    triad.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    topo.triad = triad;
    try {
      await topo.waitFor(allUp, MODE === 'callgrind' ? 300_000 : 30_000);
      await send(topo, WARM, RATE);
      const s0 = await settle(topo, rs.length);
      const pid = triad.pid!;
      const c0 = cpuSplit(pid);
      if (MODE === 'callgrind') spawnSync('callgrind_control', ['-i', 'on', String(pid)]);
      // perf: kernel and user stacks of Triad sampled through most of the send (perf's own
      // cost is in the CPU figure of this mode, so compare its shares, not its µs, with cpu's).
      const perfFile = path.join(topo.dir, 'perf.data');
      const rec = MODE === 'perf' ? spawn('perf', ['record', '-q', '-g', '-o', perfFile, '-p', String(pid), '--', 'sleep', String(Math.max(1, Math.floor(PACKETS / RATE) - 1))], { stdio: 'ignore' }) : undefined;
      const t0 = performance.now();
      await send(topo, PACKETS, RATE);
      if (rec && rec.exitCode === null) await new Promise((r) => rec.once('exit', r));
      const wall = (performance.now() - t0) / 1000;
      const s1 = await settle(topo, rs.length);
      const c1 = cpuSplit(pid);
      const user = c1.user - c0.user;
      const sys = c1.sys - c0.sys;
      const cpu = user + sys;
      const fwd = s1 - s0;
      if (fwd <= 0) throw new Error(`nothing forwarded; Triad's log:\n${log}`);
      const line = `${kind} run ${run}: ${PACKETS} sent at ${RATE}/s (${Math.round(PACKETS / wall)}/s achieved), ${fwd} forwarded; ${cpu.toFixed(2)} CPU-s; ${((cpu * 1e6) / fwd).toFixed(2)} CPU-µs per packet (user ${((user * 1e6) / fwd).toFixed(2)}, system ${((sys * 1e6) / fwd).toFixed(2)})`;
      if (MODE === 'cpu') return line;
      if (MODE === 'perf') return `${line}\n${perfShares(perfFile)}`;
      spawnSync('callgrind_control', ['-d', String(pid)]);
      spawnSync('callgrind_control', ['-i', 'off', String(pid)]);
      // Per thread: the main thread (the engine's loop, and the GC's share on it) is the
      // per-packet cost; V8's compiler threads finish optimising whenever they do, which
      // varies from run to run, so they are shown beside it, not in it.
      const byThread = new Map<number, number>();
      for (const f of readdirSync(topo.dir).filter((x) => x.startsWith('callgrind.out'))) {
        const text = readFileSync(path.join(topo.dir, f), 'utf8');
        const m = /^summary:\s+(\d+)/m.exec(text) ?? /^totals:\s+(\d+)/m.exec(text);
        const th = Number(/^thread:\s+(\d+)/m.exec(text)?.[1] ?? 1);
        if (m) byThread.set(th, Math.max(byThread.get(th) ?? 0, Number(m[1])));
      }
      const total = byThread.get(1) ?? 0;
      const others = [...byThread].filter(([th]) => th !== 1).reduce((a, [, n]) => a + n, 0);
      if (process.env.KEEP) {
        for (const f of readdirSync(topo.dir).filter((x) => x.startsWith('callgrind.out'))) spawnSync('cp', [path.join(topo.dir, f), path.join(process.env.KEEP, `${kind}-${run}-${f}`)]);
      }
      // A Triad that stalled through the window (valgrind's scheduling on a loaded machine) says little.
      const few = fwd < PACKETS / 20 ? ' [few packets forwarded in the window: discard this run]' : '';
      return `${kind} run ${run}${few}: ${PACKETS} sent at ${RATE}/s, ${fwd} forwarded; main thread ${total} instructions, ${Math.round(total / fwd)} per forwarded packet (other threads: ${Math.round(others / fwd)} per packet)`;
    } finally {
      await stopChild(triad, 60_000);
      if (process.env.LOG) process.stderr.write(log.split('\n').filter((l) => /stopped|error|fail/i.test(l)).join('\n') + '\n');
    }
  } finally {
    topo.cleanup();
    current = undefined;
  }
}

/** Where a sampled stack (innermost frame first, kernel and user) spent its time. */
function stackPlace(syms: readonly string[]): string {
  const has = (f: string) => syms.some((x) => x.startsWith(f));
  const send = has('__x64_sys_sendmmsg') || has('__x64_sys_sendto');
  if (has('net_rx_action') && send) return 'softirq run inside the send: the veth peer, bridge and real server receiving (a NIC would do none of this on the CPU)';
  if (has('net_rx_action')) return 'other softirq';
  if (send) return 'sendmmsg itself (packet_sendmsg, skb, qdisc, veth_xmit)';
  if (has('__x64_sys_recvmmsg')) return 'recvmmsg';
  if (['__x64_sys_poll', '__x64_sys_futex', '__x64_sys_epoll_pwait', '__x64_sys_read', '__x64_sys_write'].some(has)) return 'waiting: poll on a worker, futex, epoll, eventfd';
  if (has('entry_SYSCALL') || has('asm_') || has('finish_task_switch')) return 'other kernel';
  return 'user space: JavaScript, Node, koffi';
}

/** Shares of `perf script` samples by stackPlace. */
function perfShares(file: string): string {
  const r = spawnSync('perf', ['script', '-i', file, '-F', 'ip,sym'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) return `  perf script failed: ${(r.stderr ?? '').trim().slice(0, 300)}`;
  const counts = new Map<string, number>();
  let total = 0;
  for (const block of r.stdout.split('\n\n')) {
    const syms = block.split('\n').map((l) => l.trim().split(/\s+/)[1] ?? '').filter(Boolean);
    if (!syms.length) continue;
    total++;
    const p = stackPlace(syms);
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([p, n]) => `  ${((100 * n) / total).toFixed(1).padStart(5)}%  ${p}`).join('\n') + `\n  (${total} samples)`;
}

async function main(): Promise<void> {
  const missing = missingTools(['ip', 'nft', 'trafgen', ...(MODE === 'callgrind' ? ['valgrind', 'callgrind_control'] : MODE === 'perf' ? ['perf'] : [])]);
  if (missing.length) throw new Error(`lb-instr needs ${missing.join(', ')}`);
  for (const kind of KINDS) {
    for (let i = 1; i <= RUNS; i++) process.stdout.write(`${await once(kind, i)}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
