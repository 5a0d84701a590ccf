// The packet engine in NAT mode, on the NAT test's topology (client ↔ LB ↔ real
// servers behind it): the same traffic assertions as the kernel engine, with the
// client's TSO/GSO off (as a wire delivers frames) but its checksum offload on, so
// the engine completes partial checksums itself. Plus lc/wlc by live connections.
import t from 'tap';
import type { ChildProcess } from 'node:child_process';
import { allUp, HeldConnection, missingTools, Topo } from './topology.js';
import { assertPersistence, assertUdpRr, assertWrrShares } from './shared-cases.js';

const VIP = '10.0.0.100';
const check = '    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n';
const rs = (i: number, w = 1) => `  real_server 10.1.0.${i + 2} 8080 {\n    weight ${w}\n${check}  }\n`;
const vs = (port: number, algo: string, proto: string, body: string) =>
  `virtual_server ${VIP} ${port} {\n  delay_loop 1\n  lb_algo ${algo}\n  lb_kind NAT\n  protocol ${proto}\n${body}}\n`;
const CONF = [
  vs(80, 'wrr', 'TCP', rs(0, 3) + rs(1) + rs(2)),
  vs(53, 'rr', 'UDP', '  real_server 10.1.0.2 8080 {\n  }\n  real_server 10.1.0.3 8080 {\n  }\n'),
  vs(81, 'rr', 'TCP', '  persistence_timeout 60\n' + rs(0) + rs(1)),
  vs(82, 'lc', 'TCP', rs(0) + rs(1) + rs(2)),
  vs(83, 'wlc', 'TCP', rs(0, 1) + rs(1, 2) + rs(2, 1)),
].join('');

const topo = new Topo();
const rsProcs: ChildProcess[] = [];
t.teardown(() => topo.cleanup());

t.before(async () => {
  const missing = missingTools(['ip', 'socat', 'curl', 'ethtool', 'nstat']);
  if (missing.length) throw new Error(`missing tools: ${missing.join(', ')}`);
  topo.natEdge();
  // A wire never carries superpackets; checksum offload stays on (partial checksums).
  topo.sh('c', 'ethtool', '-K', 'eth0', 'tso', 'off', 'gso', 'off');
  for (let i = 0; i < 3; i++) {
    const r = `r${i + 1}`;
    topo.addNs(r);
    topo.attach(r, 'eth0', 'b', `10.1.0.${i + 2}/24`);
    topo.sh(r, 'ethtool', '-K', 'eth0', 'tso', 'off', 'gso', 'off');
    topo.ip('-n', topo.ns(r), 'route', 'add', 'default', 'via', '10.1.0.1');
    rsProcs.push(await topo.startRs(r, `rs${i + 1}`, 8080));
  }
  // A box that routed before Triad came: the packet engine turns forwarding off on the
  // interfaces it serves, and must turn it back on when it stops.
  topo.sysctl('l', 'net.ipv4.ip_forward=1');
  // …and that merged received frames (GRO on, as on many hosts): turned off while the
  // engine serves, back on after it stops.
  for (const i of ['eth0', 'eth1']) topo.sh('l', 'ethtool', '-K', i, 'gro', 'on');
  // Receive through memory-mapped rings (the default; the recvmmsg fallback is run by packet-failover.netns).
  topo.startTriad('l', topo.writeConf(CONF), ['--lb-datapath', 'packet']);
  await topo.waitFor(allUp);
});

t.test('VIP answered in ARP, not on the interface; kernel forwarding off on served interfaces', async (t) => {
  t.notMatch(topo.sh('l', 'ip', 'addr', 'show', 'dev', 'eth0'), /10\.0\.0\.100/, 'VIP not added to an interface');
  for (const i of ['eth0', 'eth1']) t.equal(topo.sh('l', 'sysctl', '-n', `net.ipv4.conf.${i}.forwarding`).trim(), '0', `${i} forwarding off`);
  for (const i of ['eth0', 'eth1']) t.match(topo.sh('l', 'ethtool', '-k', i), /^generic-receive-offload: off/m, `${i} GRO off while served`);
  t.match(topo.sh('c', 'curl', '-s', '--max-time', '3', `http://${VIP}/`), /^rs[123] 10\.0\.0\.2$/m, 'curl through the VIP');
  const lbMac = topo.sh('l', 'cat', '/sys/class/net/eth0/address').trim();
  t.match(topo.sh('c', 'ip', 'neigh', 'show', VIP), new RegExp(`lladdr ${lbMac}`), 'the client resolved the VIP to the LB');
  t.ok(topo.triadLog.some((l) => /gratuitous ARP sent/.test(l)), 'gratuitous ARP at start');
  t.ok(topo.triadLog.some((l) => /"engine":"packet"/.test(l)), 'packet engine in use');
  t.ok(topo.triadLog.some((l) => /receives through memory-mapped rings/.test(l)), 'frames received through the memory-mapped ring (asked for)');
});

t.test('wrr 3:1:1 over 3000 TCP connections, client address preserved, no checksum errors', async (t) => {
  const r = topo.client('c', 'tcp', VIP, 80, 3000, 30);
  assertWrrShares(t, r, 3000);
  for (const role of ['r1', 'r2', 'r3', 'c']) {
    const n = /TcpInCsumErrors\s+(\d+)/.exec(topo.sh(role, 'nstat', '-az', 'TcpInCsumErrors'))?.[1];
    t.equal(n, '0', `${role}: TcpInCsumErrors 0`);
  }
});

t.test('UDP rr reaches both servers with the client address', async (t) => {
  assertUdpRr(t, topo, VIP, 53);
});

t.test('persistence keeps the client on one real server', async (t) => {
  assertPersistence(t, topo, VIP, 81);
});

t.test('the kernel does not answer for the VIP: no RST for a port without a service', async (t) => {
  const r = topo.client('c', 'tcp', VIP, 9999, 1, 1);
  t.equal(r.failures, 1);
  t.match(r.errors[0], /timeout/, `no RST (connection not refused): ${r.errors[0]}`);
});

async function holdOn(port: number, want: string): Promise<HeldConnection[]> {
  // Drain the others so 20 long connections all land on `want`.
  const others = ['10.1.0.2', '10.1.0.3', '10.1.0.4'].filter((_, i) => `rs${i + 1}` !== want);
  for (const o of others) await topo.ctl('drain', `${VIP}:${port}`, `${o}:8080`);
  const held: HeldConnection[] = [];
  for (let i = 0; i < 20; i++) {
    const h = new HeldConnection(topo, 'c', VIP, port);
    held.push(h);
    const who = (await h.say('hold')).split(' ')[0];
    if (who !== want) throw new Error(`held connection went to ${who}`);
  }
  for (const o of others) await topo.ctl('undrain', `${VIP}:${port}`, `${o}:8080`);
  return held;
}

for (const [port, algo] of [[82, 'lc'], [83, 'wlc']] as const) {
  t.test(`${algo}: 20 long connections on rs1, new ones go elsewhere`, async (t) => {
    const held = await holdOn(port, 'rs1');
    t.teardown(() => held.forEach((h) => h.close()));
    const st = await topo.waitFor(() => true);
    const v = st.find((x) => x.key === `${VIP}:${port}/TCP`)!;
    t.equal(v.servers[0].counters?.active, 20, `ctl lb shows 20 active connections on rs1 (weights ${v.servers.map((s) => s.effectiveWeight).join(",")})`);
    if (algo === 'wlc') {
      // 30 more long connections: wlc weighs active connections by weight (rs2 has 2).
      const more: HeldConnection[] = [];
      t.teardown(() => more.forEach((h) => h.close()));
      const byName: Record<string, number> = {};
      for (let i = 0; i < 30; i++) {
        const h = new HeldConnection(topo, 'c', VIP, port);
        more.push(h);
        const who = (await h.say('x')).split(' ')[0];
        byName[who] = (byName[who] ?? 0) + 1;
      }
      t.equal(byName.rs1 ?? 0, 0, `nothing new to the loaded server: ${JSON.stringify(byName)}`);
      t.ok((byName.rs2 ?? 0) >= 1.5 * (byName.rs3 ?? 0) && (byName.rs3 ?? 0) > 0, `weight 2 takes about twice as many: ${JSON.stringify(byName)}`);
    } else {
      const r = topo.client('c', 'tcp', VIP, port, 200, 10);
      t.equal(r.failures, 0);
      t.equal(r.byName.rs1 ?? 0, 0, `nothing new to the loaded server: ${JSON.stringify(r.byName)}`);
      t.ok((r.byName.rs2 ?? 0) > 50 && (r.byName.rs3 ?? 0) > 50, `spread over the idle ones: ${JSON.stringify(r.byName)}`);
    }
    t.equal((await held[0].say('still')).split(' ')[0], 'rs1', 'held connections still served');
  });
}

t.test('a stopped server is taken out and comes back', async (t) => {
  await topo.stopProc(rsProcs[0]);
  await topo.waitFor((d) => !d[0].servers[0].alive);
  const r = topo.client('c', 'tcp', VIP, 80, 300, 20);
  t.equal(r.failures, 0, r.errors.join(';'));
  t.equal(r.byName.rs1 ?? 0, 0, 'nothing goes to the dead server');
  rsProcs[0] = await topo.startRs('r1', 'rs1', 8080);
  await topo.waitFor(allUp);
  t.ok((topo.client('c', 'tcp', VIP, 80, 100, 10).byName.rs1 ?? 0) > 0, 'rs1 serves again');
});

t.test('SIGTERM leaves nothing behind', async (t) => {
  await topo.stopProc(topo.triad!);
  t.ok(topo.triadLog.some((l) => /packet engine stopped/.test(l)), 'engine stopped with its counters');
  const r = topo.client('c', 'tcp', VIP, 80, 1, 1);
  t.equal(r.failures, 1, 'the VIP is gone with the process');
  for (const i of ['eth0', 'eth1']) t.equal(topo.sh('l', 'sysctl', '-n', `net.ipv4.conf.${i}.forwarding`).trim(), '1', `${i} forwarding back on as before the start`);
  t.ok(topo.triadLog.some((l) => /sysctl restored/.test(l)), 'the restore is logged');
  for (const i of ['eth0', 'eth1']) t.match(topo.sh('l', 'ethtool', '-k', i), /^generic-receive-offload: on/m, `${i} GRO back on as before the start`);
  t.ok(topo.triadLog.some((l) => /receive offloads restored on eth0/.test(l)), 'the offload restore is logged');
});
