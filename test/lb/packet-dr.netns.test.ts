// The packet engine in DR and TUN modes on the DR test's bridge (IPVS selftest's
// DR case): real servers hold the VIP on lo and answer the client directly. The
// client's TSO/GSO are off and its checksum offload on. TUN is checked by capturing
// at the real server (this kernel has no ipip device to decapsulate with).
import t from 'tap';
import type { ChildProcess } from 'node:child_process';
import { allUp, missingTools, Topo } from './topology.js';
import { assertDrainKeepsEstablished, assertPersistence, assertUdpRr, assertWrrShares } from './shared-cases.js';

const VIP = '10.0.0.100';
const rs = (i: number, w: number, port: number) => `  real_server 10.0.0.${i + 3} ${port} {\n    weight ${w}\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }\n`;
const CONF = `virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo wrr
  lb_kind DR
  protocol TCP
  lb_datapath packet
${rs(0, 3, 80)}${rs(1, 1, 80)}${rs(2, 1, 80)}}
virtual_server ${VIP} 80 {
  lb_algo rr
  lb_kind DR
  protocol UDP
  lb_datapath packet
  real_server 10.0.0.3 80 {
  }
  real_server 10.0.0.4 80 {
  }
}
virtual_server ${VIP} 81 {
  delay_loop 1
  lb_algo mh
  mh-port
  lb_kind DR
  persistence_timeout 60
  lb_datapath packet
${rs(0, 1, 81)}${rs(1, 1, 81)}${rs(2, 1, 81)}}
virtual_server ${VIP} 90 {
  lb_algo rr
  lb_kind TUN
  protocol UDP
  lb_datapath packet
  real_server 10.0.0.3 90 {
  }
  real_server 10.0.0.4 90 {
  }
}
`;

const topo = new Topo();
const rsProcs: ChildProcess[] = [];
t.teardown(() => topo.cleanup());

t.before(async () => {
  const missing = missingTools(['ip', 'socat', 'curl', 'arping', 'ethtool', 'tcpdump']);
  if (missing.length) throw new Error(`missing tools: ${missing.join(', ')}`);
  topo.bridge('b');
  topo.addNs('c');
  topo.attach('c', 'eth0', 'b', '10.0.0.2/24');
  topo.sh('c', 'ethtool', '-K', 'eth0', 'tso', 'off', 'gso', 'off');
  topo.addNs('l');
  topo.attach('l', 'eth0', 'b', '10.0.0.1/24');
  for (let i = 0; i < 3; i++) {
    const r = `r${i + 1}`;
    topo.addNs(r);
    topo.attach(r, 'eth0', 'b', `10.0.0.${i + 3}/24`);
    topo.drRealServer(r, VIP);
    rsProcs.push(await topo.startRs(r, `rs${i + 1}`, 80));
    await topo.startRs(r, `rs${i + 1}`, 81);
  }
  // Receive through memory-mapped rings (the default; the recvmmsg fallback is run by packet-failover.netns).
  topo.startTriad('l', topo.writeConf(CONF));
  await topo.waitFor(allUp);
});

function lbRxPackets(): number {
  return Number(/RX:.*\n\s*\d+\s+(\d+)/.exec(topo.sh('l', 'ip', '-s', 'link', 'show', 'eth0'))?.[1] ?? NaN);
}

t.test('wrr 3:1:1 over 3000 TCP connections; client address seen; replies bypass the LB', async (t) => {
  t.ok(topo.triadLog.some((l) => /receives through memory-mapped rings/.test(l)), 'frames received through the memory-mapped ring (asked for; TUN uses its headroom)');
  const rx0 = lbRxPackets();
  const r = topo.client('c', 'tcp', VIP, 80, 3000, 30);
  const rx = lbRxPackets() - rx0;
  assertWrrShares(t, r, 3000);
  const st = await topo.waitFor(() => true);
  const inPkts = st[0].servers.reduce((a, s) => a + (s.counters?.inPkts ?? 0), 0);
  t.ok(inPkts >= 3000 * 4, `client packets forwarded (${inPkts})`);
  t.ok(rx < inPkts * 1.1 + 200, `the LB received about only the client's packets (${rx} frames for ${inPkts} forwarded): replies went direct`);
  for (const role of ['r1', 'r2', 'r3']) t.equal(/TcpInCsumErrors\s+(\d+)/.exec(topo.sh(role, 'nstat', '-az', 'TcpInCsumErrors'))?.[1], '0', `${role}: no checksum errors`);
  t.match(topo.sh('c', 'curl', '-s', '--max-time', '3', `http://${VIP}/`), /^rs[123] 10\.0\.0\.2$/m, 'curl through the VIP');
});

t.test('UDP rr over DR with the client address', async (t) => {
  assertUdpRr(t, topo, VIP, 80);
});

t.test('persistence (mh with port hashing) keeps the client on one server', async (t) => {
  assertPersistence(t, topo, VIP, 81);
});

t.test('drain keeps the established flow, new ones go elsewhere', async (t) => {
  // DR real servers rs1…rs3 are 10.0.0.3…5.
  await assertDrainKeepsEstablished(t, topo, VIP, 80, (name) => `10.0.0.${Number(name.slice(2)) + 2}`);
});

t.test('TUN: IPIP to each real server, outer destination the real server, inner untouched', async (t) => {
  const caps = ['r1', 'r2'].map((r) => {
    const p = topo.spawnIn(r, ['tcpdump', '-i', 'eth0', '-n', '-l', '-c', '3', 'ip proto 4']);
    let out = '';
    p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    return { p, out: () => out };
  });
  await new Promise((r) => setTimeout(r, 1000));
  const r = topo.client('c', 'udp', VIP, 90, 6, 1);
  t.equal(r.failures, 6, 'no ipip device on the real servers here, so no answer');
  await Promise.all(caps.map((c) => new Promise((res) => { const tm = setTimeout(res, 3000); c.p.once('exit', () => { clearTimeout(tm); res(undefined); }); })));
  for (const [i, c] of caps.entries()) {
    const rip = `10.0.0.${i + 3}`;
    t.match(c.out(), new RegExp(`IP 10\\.0\\.0\\.1 > ${rip.replace(/\./g, '\\.')}: IP 10\\.0\\.0\\.2\\.\\d+ > 10\\.0\\.0\\.100\\.90: UDP, length 2`), `rs${i + 1} got the client datagram in IPIP: ${c.out().trim().split('\n')[0]}`);
    c.p.kill();
  }
});

t.test('a stopped server leaves the rotation and returns', async (t) => {
  await topo.stopProc(rsProcs[2]);
  await topo.waitFor((d) => !d[0].servers[2].alive);
  const r = topo.client('c', 'tcp', VIP, 80, 300, 20);
  t.equal(r.failures, 0, `no failures after the check (${r.errors.join(';')})`);
  t.equal(r.byName.rs3 ?? 0, 0);
  rsProcs[2] = await topo.startRs('r3', 'rs3', 80);
  await topo.waitFor(allUp);
  t.ok((topo.client('c', 'tcp', VIP, 80, 100, 10).byName.rs3 ?? 0) > 0, 'rs3 back');
});
