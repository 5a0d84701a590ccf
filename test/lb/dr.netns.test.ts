// DR mode end to end: client, load balancer and real servers on one bridge
// (IPVS selftest's DR case). Real servers hold the VIP on lo with arp_ignore=1 /
// arp_announce=2 and answer the client directly; the LB only rewrites MACs.
import t from 'tap';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { allUp, HeldConnection, missingTools, Topo } from './topology.js';
import { assertDrainKeepsEstablished, assertPersistence, assertUdpRr, assertWrrShares, share } from './shared-cases.js';

const VIP = '10.0.0.100';

function conf(weights: [number, number, number]): string {
  const rs = (i: number, w: number, port: number) => `  real_server 10.0.0.${i + 3} ${port} {\n    weight ${w}\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }\n`;
  return `virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo wrr
  lb_kind DR
  protocol TCP
${weights.map((w, i) => rs(i, w, 80)).join('')}}
virtual_server ${VIP} 80 {
  lb_algo rr
  lb_kind DR
  protocol UDP
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
${[1, 1, 1].map((w, i) => rs(i, w, 81)).join('')}}
`;
}

const topo = new Topo();
const rsProcs: ChildProcess[] = [];
let confFile = '';
t.teardown(() => topo.cleanup());

t.before(async () => {
  const missing = missingTools(['ip', 'nft', 'socat', 'curl', 'arping']);
  if (missing.length) throw new Error(`missing tools: ${missing.join(', ')}`);
  topo.bridge('b');
  topo.addNs('c');
  topo.attach('c', 'eth0', 'b', '10.0.0.2/24');
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
  // A counting-only table of the test's own, ahead of Triad's chain: replies
  // (source VIP) must never arrive at the load balancer.
  topo.sh('l', 'nft', 'add table netdev lbtest; add chain netdev lbtest c { type filter hook ingress device "eth0" priority -500; policy accept; }; add rule netdev lbtest c ip saddr 10.0.0.100 counter; add rule netdev lbtest c ip daddr 10.0.0.100 counter');
  confFile = topo.writeConf(conf([3, 1, 1]));
  topo.startTriad('l', confFile);
  await topo.waitFor(allUp);
});

function lbtestCounters(): { replies: number; requests: number } {
  const txt = topo.sh('l', 'nft', 'list', 'chain', 'netdev', 'lbtest', 'c');
  const m = [...txt.matchAll(/counter packets (\d+)/g)].map((x) => Number(x[1]));
  return { replies: m[0], requests: m[1] };
}

t.test('wrr 3:1:1 over 3000 TCP connections; client address seen; replies bypass the LB', async (t) => {
  const before = lbtestCounters();
  const r = topo.client('c', 'tcp', VIP, 80, 3000, 30);
  assertWrrShares(t, r, 3000);
  const after = lbtestCounters();
  t.ok(after.requests - before.requests >= 3000 * 4, `client packets passed the LB (${after.requests - before.requests})`);
  t.equal(after.replies - before.replies, 0, 'no reply packet reached the LB');
  t.match(topo.sh('c', 'curl', '-s', '--max-time', '3', `http://${VIP}/`), /^rs[123] 10\.0\.0\.2$/m, 'curl through the VIP');
});

t.test('UDP rr over DR with the client address', async (t) => {
  assertUdpRr(t, topo, VIP, 80);
});

t.test('persistence (mh with port hashing) keeps the client on one server', async (t) => {
  assertPersistence(t, topo, VIP, 81);
});

t.test('ctl lb shows DR counters and flows', async (t) => {
  const r = await topo.ctl();
  const text = r.body.text ?? '';
  t.match(text, /TCP  10\.0\.0\.100:80 +wrr  Route eth0/);
  const conns = Number(/-> 10\.0\.0\.3:80 +3 +\d+ +(\d+)/.exec(text)?.[1]);
  t.ok(conns >= 1700, `conns for rs1 (${conns})`);
});

t.test('drain keeps the established flow (flow map), new ones go elsewhere', async (t) => {
  // DR real servers rs1…rs3 are 10.0.0.3…5.
  await assertDrainKeepsEstablished(t, topo, VIP, 80, (name) => `10.0.0.${Number(name.slice(2)) + 2}`);
});

t.test('reload with new weights keeps established flows', async (t) => {
  const held = new HeldConnection(topo, 'c', VIP, 80);
  t.teardown(() => held.close());
  const name = (await held.say('before')).split(' ')[0];
  writeFileSync(confFile, conf([1, 1, 4]));
  topo.triad!.kill('SIGHUP');
  await topo.waitFor((d) => d[0].servers[2].effectiveWeight === 4);
  t.equal((await held.say('after')).split(' ')[0], name);
  const r = topo.client('c', 'tcp', VIP, 80, 600, 20);
  t.equal(r.failures, 0);
  t.ok(Math.abs(share(r.byName, 'rs3', 600) - 4 / 6) < 0.07, `new weights: ${JSON.stringify(r.byName)}`);
});

t.test('a stopped server leaves the rotation and returns', async (t) => {
  const t0 = Date.now();
  await topo.stopProc(rsProcs[2]);
  await topo.waitFor((d) => !d[0].servers[2].alive);
  t.comment(`rs3 out of rotation ${Date.now() - t0} ms after its service stopped (delay_loop + connect_timeout = 2000 ms)`);
  const r = topo.client('c', 'tcp', VIP, 80, 300, 20);
  t.comment(`client done at ${Date.now() - t0} ms`);
  t.equal(r.failures, 0, `no failures after the check (${r.errors.join(';')})`);
  t.equal(r.byName.rs3 ?? 0, 0);
  rsProcs[2] = await topo.startRs('r3', 'rs3', 80);
  await topo.waitFor(allUp);
  t.comment(`back up at ${Date.now() - t0} ms`);
  t.ok((topo.client('c', 'tcp', VIP, 80, 100, 10).byName.rs3 ?? 0) > 0, 'rs3 back');
});

t.test('SIGTERM removes the netdev table and the VIP', async (t) => {
  t.match(topo.tables('l'), /table netdev triad/);
  await topo.stopProc(topo.triad!);
  t.equal(topo.tables('l'), 'table netdev lbtest', 'only the test table is left');
  t.notMatch(topo.sh('l', 'ip', 'addr', 'show', 'dev', 'eth0'), /10\.0\.0\.100/);
});
