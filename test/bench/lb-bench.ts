// `npm run bench:lb`: requests/s with wrk through the VIP (DR and NAT) against the
// same servers directly and against HAProxy in TCP mode on the same topology,
// plus the time from a real server's death to the last failed request.
// Real servers are HAProxy instances answering `http-request return` (fast and
// keep-alive), so the servers are not the bottleneck. Everything runs in
// namespaces that are removed at the end.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { allUp, missingTools, Topo } from '../lb/topology.js';

const DURATION = Number(process.env.LB_BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.LB_BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const CONNS = Number(process.env.LB_BENCH_CONNECTIONS ?? 50);
const VIP = '10.0.0.100';
const FAILOVER_CLIENT = path.join(REPO_ROOT, 'dist', 'test', 'bench', 'failover-client.js');

function rsHaproxy(topo: Topo, role: string, name: string): ChildProcess {
  const f = path.join(topo.dir, `${role}.cfg`);
  writeFileSync(f, `global\n  maxconn 8000\ndefaults\n  mode http\n  timeout client 30s\n  timeout connect 2s\n  timeout server 30s\nfrontend web\n  bind 0.0.0.0:80\n  http-request return status 200 content-type text/plain string "${name}\\n"\n`);
  // `ip netns exec` execs haproxy, so this child's pid is haproxy's own.
  return topo.spawnIn(role, ['haproxy', '-db', '-f', f]);
}

function lbHaproxy(topo: Topo, bind: string, servers: string[]): void {
  const f = path.join(topo.dir, 'lb-haproxy.cfg');
  writeFileSync(
    f,
    `global\n  maxconn 8000\ndefaults\n  mode tcp\n  timeout client 30s\n  timeout connect 2s\n  timeout server 30s\nfrontend f\n  bind ${bind}:8000\n  default_backend b\nbackend b\n  balance roundrobin\n${servers.map((s, i) => `  server s${i} ${s}:80\n`).join('')}`,
  );
  topo.spawnIn('l', ['haproxy', '-db', '-f', f]);
}

/** wrk against each URL at once (connections and threads split between them); total requests/s. */
async function wrk(topo: Topo, urls: string[]): Promise<number> {
  const per = Math.max(1, Math.floor(CONNS / urls.length));
  const threads = String(Math.max(1, Math.floor(2 / urls.length)));
  const runs = urls.map(
    (url) =>
      new Promise<number>((resolve, reject) => {
        const p = topo.spawnIn('c', ['wrk', '-t', threads, '-c', String(per), '-d', `${DURATION}s`, url]);
        let out = '';
        p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr?.on('data', (d: Buffer) => (out += d.toString()));
        p.on('exit', (code) => {
          const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
          const errs = /Non-2xx.*|Socket errors: .*/.exec(out);
          if (errs) process.stderr.write(`  wrk ${url}: ${errs[0]}\n`);
          if (code !== 0 || !rps) reject(new Error(`wrk ${url} failed: ${out.trim()}\n${topo.triadLog.slice(-10).join('\n')}`));
          else resolve(Number(rps[1]));
        });
      }),
  );
  return (await Promise.all(runs)).reduce((a, b) => a + b, 0);
}

function conf(kind: 'DR' | 'NAT', rs: string[]): string {
  return `virtual_server ${VIP} 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind ${kind}\n${rs
    .map((ip) => `  real_server ${ip} 80 {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }\n`)
    .join('')}}\n`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Row {
  mode: string;
  direct: number;
  vip: number;
  haproxy: number;
  /** The userspace packet engine on the same topology (wrk req/s, UDP packets/s forwarded). */
  packet?: number;
  pps?: number;
}

const PPS_SECONDS = Number(process.env.LB_BENCH_PPS_SECONDS ?? 4);

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
 * The packet engine on the topology the kernel engine just used: wrk through the VIP,
 * then small UDP packets from trafgen (netsniff-ng; 256 flows, 18-byte payload) for
 * packets/s forwarded, read from the engine's own counters while trafgen runs.
 * Senders' TSO/GSO off (a wire carries no superpackets), checksum offload left on.
 */
async function packetEngine(topo: Topo, kind: 'DR' | 'NAT', rs: string[]): Promise<{ rps: number; pps?: number }> {
  topo.sh('c', 'ethtool', '-K', 'eth0', 'tso', 'off', 'gso', 'off');
  rs.forEach((_, i) => topo.sh(`r${i}`, 'ethtool', '-K', 'eth0', 'tso', 'off', 'gso', 'off'));
  topo.startTriad('l', topo.writeConf(conf(kind, rs) + udpConf(kind, rs)), ['--lb-datapath', 'packet']);
  await topo.waitFor(allUp);
  await sleep(500);
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) rounds.push(await wrk(topo, [`http://${VIP}/`, `http://${VIP}/`]));
  process.stdout.write(`  ${kind} packet engine rounds: ${JSON.stringify(rounds)}\n`);
  let pps: number | undefined;
  if (missingTools(['trafgen']).length === 0) {
    const lbMac = topo.sh('l', 'cat', '/sys/class/net/eth0/address').trim();
    const cMac = topo.sh('c', 'cat', '/sys/class/net/eth0/address').trim();
    const f = path.join(topo.dir, 'udp.trafgen');
    writeFileSync(f, `{ eth(da=${lbMac}, sa=${cMac}, type=0x0800), ipv4(saddr=10.0.0.2, daddr=${VIP}, ttl=64), udp(sport=dinc(2000, 2255), dport=9), "triad-bench-pkt!!!" }\n`);
    // setsid: trafgen signals its whole process group when it stops, which must not include us.
    // A packet budget so it ends by itself; its worker is killed with its process group after.
    const gen = topo.spawnIn('c', ['setsid', 'trafgen', '--dev', 'eth0', '--conf', f, '--cpus', '1', '--no-sock-mem', '-n', String(PPS_SECONDS * 600_000)]);
    let genErr = '';
    gen.stderr?.on('data', (d: Buffer) => (genErr += d.toString()));
    await sleep(1000);
    const c0 = await udpForwarded(topo);
    const t0 = Date.now();
    await sleep(PPS_SECONDS * 1000);
    const c1 = await udpForwarded(topo);
    pps = ((c1 - c0) * 1000) / (Date.now() - t0);
    try {
      if (gen.pid) process.kill(-gen.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    if (!(pps > 0)) process.stderr.write(`  trafgen: ${genErr.trim().slice(0, 400)}\n`);
  } else process.stderr.write('  trafgen missing (apt install netsniff-ng): no packets/s figure\n');
  await topo.stopProc(topo.triad!);
  const stopped = topo.triadLog.filter((l) => /packet engine stopped/.test(l)).pop();
  if (stopped) process.stdout.write(`  ${kind} packet engine: ${stopped.replace(/.*"forwarded"/, '"forwarded"').slice(0, 300)}\n`);
  return { rps: median(rounds), pps };
}

async function bench(kind: 'DR' | 'NAT'): Promise<{ row: Row; failoverMs?: number }> {
  const topo = new Topo();
  try {
    const rs = ['10.0.0.3', '10.0.0.4'];
    if (kind === 'DR') {
      topo.bridge('b');
      topo.addNs('c');
      topo.attach('c', 'eth0', 'b', '10.0.0.2/24');
      topo.addNs('l');
      topo.attach('l', 'eth0', 'b', '10.0.0.1/24');
      rs.forEach((ip, i) => {
        topo.addNs(`r${i}`);
        topo.attach(`r${i}`, 'eth0', 'b', `${ip}/24`);
        topo.drRealServer(`r${i}`, VIP);
      });
    } else {
      rs.splice(0, 2, '10.1.0.3', '10.1.0.4');
      topo.natEdge();
      // The bench also measures the real servers directly from the client.
      topo.ip('-n', topo.ns('c'), 'route', 'add', '10.1.0.0/24', 'via', '10.0.0.1');
      rs.forEach((ip, i) => {
        topo.addNs(`r${i}`);
        topo.attach(`r${i}`, 'eth0', 'b', `${ip}/24`);
        topo.ip('-n', topo.ns(`r${i}`), 'route', 'add', 'default', 'via', '10.1.0.1');
      });
    }
    const rsProcs = rs.map((_, i) => rsHaproxy(topo, `r${i}`, `rs${i}`));
    lbHaproxy(topo, '10.0.0.1', rs);
    await sleep(1000); // let the veths get carrier, as a booted host would
    topo.startTriad('l', topo.writeConf(conf(kind, rs)));
    await topo.waitFor(allUp);
    await sleep(500);
    // Direct: DR clients reach a real server on the same bridge; NAT clients are routed
    // through the LB without translation, the fairest "same path minus the LB's work".
    // Interleaved rounds, median of each: the machine is shared, so load drifts.
    const runs: Record<'direct' | 'vip' | 'haproxy', number[]> = { direct: [], vip: [], haproxy: [] };
    for (let round = 0; round < ROUNDS; round++) {
      runs.direct.push(await wrk(topo, rs.map((ip) => `http://${ip}/`)));
      runs.vip.push(await wrk(topo, [`http://${VIP}/`, `http://${VIP}/`]));
      runs.haproxy.push(await wrk(topo, ['http://10.0.0.1:8000/', 'http://10.0.0.1:8000/']));
    }
    process.stdout.write(`  ${kind} rounds: ${JSON.stringify(runs)}\n`);
    const direct = median(runs.direct);
    const vip = median(runs.vip);
    const haproxy = median(runs.haproxy);
    let failoverMs: number | undefined;
    if (kind === 'DR') {
      // Kill a real server's process under load, at a random point of the check cycle;
      // find the last failed request. Three times (the server is restarted in between).
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
        rsProcs[victim] = rsHaproxy(topo, `r${victim}`, `rs${victim}`);
        await topo.waitFor(allUp);
      }
      failoverMs = Math.max(...samples);
    }
    await topo.stopProc(topo.triad!);
    let packet: { rps: number; pps?: number } | undefined;
    if (process.env.LB_BENCH_PACKET !== '0') packet = await packetEngine(topo, kind, rs);
    return { row: { mode: kind, direct, vip, haproxy, packet: packet?.rps, pps: packet?.pps }, failoverMs };
  } finally {
    topo.cleanup();
  }
}

async function main(): Promise<void> {
  const missing = missingTools(['ip', 'nft', 'wrk', 'haproxy', 'arping']);
  if (missing.length) {
    process.stderr.write(`bench:lb needs ${missing.join(', ')}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`LB bench: wrk, ${CONNS} keep-alive connections, ${DURATION}s per run, median of ${ROUNDS} interleaved rounds, 2 real servers (haproxy http-request return), rr; every figure is two wrk processes at once (direct: one per server)\n`);
  const rows: Row[] = [];
  let failover: number | undefined;
  const modes = (process.env.LB_BENCH_MODES ?? 'DR,NAT').split(',') as Array<'DR' | 'NAT'>;
  for (const kind of modes) {
    const r = await bench(kind);
    rows.push(r.row);
    if (r.failoverMs !== undefined) failover = r.failoverMs;
  }
  const f = (n: number) => n.toFixed(0).padStart(9);
  process.stdout.write(`\nmode   direct req/s  VIP req/s  HAProxy req/s  VIP/direct  VIP/HAProxy\n`);
  for (const r of rows) {
    process.stdout.write(`${r.mode.padEnd(5)} ${f(r.direct)}     ${f(r.vip)}  ${f(r.haproxy)}      ${(r.vip / r.direct).toFixed(2).padStart(6)}      ${(r.vip / r.haproxy).toFixed(2).padStart(6)}\n`);
  }
  process.stdout.write(`\nmode   kernel VIP req/s  packet engine req/s  packet/kernel  packet engine UDP pkts/s forwarded (one core)\n`);
  for (const r of rows) {
    if (r.packet === undefined) continue;
    process.stdout.write(`${r.mode.padEnd(5)} ${f(r.vip)}         ${f(r.packet)}            ${(r.packet / r.vip).toFixed(2).padStart(6)}         ${r.pps === undefined ? '-' : f(r.pps)}\n`);
  }
  const budget = 2 * (1 + 1) * 1000;
  process.stdout.write(`\nfailover (DR, delay_loop 1 + connect_timeout 1): worst of 3, last failed request ${failover} ms after the kill; target < ${budget} ms\n`);
}

await main();
