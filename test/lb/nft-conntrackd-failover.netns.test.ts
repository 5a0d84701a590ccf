// Two Triads with the nftables engine behind one VRRP address (and the NAT servers'
// gateway address), a NAT virtual server over two real servers, and conntrack
// replication by Debian's conntrackd that Triad configures from lvs_sync_daemon:
// long-lived TCP connections (socat) opened through the master keep talking to the
// same real server after the master is killed with kill -9.
import t from 'tap';
import { FailoverLab, GW, Held, VIP } from './failover-lab.js';

const rs = (i: number) => `  real_server 10.88.0.2${i} 8080 {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }\n`;
const conf = (prio: number) => `global_defs {
  lvs_sync_daemon eth0 VI_1
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 63
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/24
    ${GW}/24 dev eth1
  }
}
virtual_server ${VIP} 81 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
${rs(1)}${rs(2)}}
`;

interface VsView {
  servers: Array<{ alive: boolean }>;
}

t.test('nft engine pair, NAT with conntrackd: connections survive kill -9 of the master', async (t) => {
  const lab = new FailoverLab();
  t.teardown(() => lab.cleanup());
  lab.build();
  lab.attach('c', 'eth0', 'br0', '10.77.0.10/24');
  for (const [role, i] of [['a', 1], ['b', 2]] as const) {
    lab.attach(role, 'eth0', 'br0', `10.77.0.${i}/24`);
    lab.attach(role, 'eth1', 'br1', `10.88.0.${i}/24`);
  }
  for (const i of [1, 2]) {
    lab.attach(`n${i}`, 'eth0', 'br1', `10.88.0.2${i}/24`);
    lab.ip('-n', lab.ns(`n${i}`), 'route', 'add', 'default', 'via', GW);
    lab.startRs(`n${i}`, `nat${i}`, 8080);
  }
  const a = lab.startTriad('a', conf(150));
  lab.startTriad('b', conf(100));
  const allUp = async (role: string): Promise<boolean> => {
    const v = (await lab.ctl(role, 'lb', ['show'])) as VsView[] | undefined;
    return !!v && v.length === 1 && v[0].servers.every((s) => s.alive);
  };
  await lab.waitFor('a MASTER with both addresses, b BACKUP, real servers up on both', async () =>
    (await lab.vrrpState('a')) === 'MASTER' && lab.hasAddress('a', 'eth1', GW) && (await lab.vrrpState('b')) === 'BACKUP' && (await allUp('a')) && (await allUp('b')), 40000);
  t.ok(lab.logs.get('b')?.some((l) => /conntrackd started/.test(l)), 'b runs conntrackd');

  const held: Array<{ h: Held; who: string }> = [];
  t.teardown(() => held.forEach((x) => x.h.proc.kill('SIGKILL')));
  for (let i = 0; i < 8; i++) {
    const h = new Held(lab, 'c', VIP, 81);
    const reply = await h.say(`hello ${i}`, 5000);
    t.match(reply, new RegExp(`^nat[12] 10\\.77\\.0\\.10 hello ${i}$`), 'served through a, client address preserved');
    held.push({ h, who: reply.split(' ')[0] });
  }
  t.same(new Set(held.map((x) => x.who)), new Set(['nat1', 'nat2']), 'flows on both real servers');
  const ctlFile = `${lab.dir}/b/conntrackd/conntrackd.conf`;
  await lab.waitFor("the 8 flows in b's conntrackd external cache", () => {
    const ext = lab.run('b', 'conntrackd', '-C', ctlFile, '-e') ?? '';
    return (ext.match(/dport=81 /g) ?? []).length >= 8;
  });
  t.pass("b's conntrackd holds the 8 flows");

  await lab.kill9(a);
  await lab.waitFor('b MASTER with both addresses, replicated flows committed', async () =>
    (await lab.vrrpState('b')) === 'MASTER' && lab.hasAddress('b', 'eth1', GW) && (lab.logs.get('b')?.some((l) => /replicated connections committed/.test(l)) ?? false), 20000);
  const ct = lab.run('b', 'conntrack', '-L', '-p', 'tcp', '--orig-port-dst', '81') ?? '';
  t.ok((ct.match(/dport=81 /g) ?? []).length >= 8, `b's kernel conntrack table holds the flows (${(ct.match(/dport=81 /g) ?? []).length})`);
  // In reverse order: b's rr would pick afresh in another order, so only the replicated
  // NAT mappings keep each connection on its server.
  for (const x of [...held].reverse()) {
    let reply = '';
    for (let i = 0; i < 5 && !reply; i++) reply = await x.h.say(`after ${i}`, 3000).catch(() => '');
    t.match(reply, new RegExp(`^${x.who} 10\\.77\\.0\\.10 after`), `the connection on ${x.who} still works through b, same real server`);
  }
  t.match(lab.run('c', 'nstat', '-az', 'TcpEstabResets') ?? '', /TcpEstabResets\s+0\b/, 'the client saw no connection reset');
});
