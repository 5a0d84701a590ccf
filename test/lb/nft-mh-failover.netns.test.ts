// Two Triads with the nftables engine behind one VRRP address, a DR virtual server
// with Maglev (mh) scheduling over the same three real servers (listed in another
// order on each box), no connection sync: long-lived TCP connections (socat) opened
// through the master keep talking to the same real server after the master is killed
// with kill -9, because the backup's table and hash pick the same server for each flow.
import t from 'tap';
import { FailoverLab, Held, VIP } from './failover-lab.js';

const rs = (i: number) => `  real_server 10.77.0.2${i} 80 {\n    TCP_CHECK {\n      connect_timeout 1\n      retry 0\n    }\n  }\n`;
const conf = (prio: number, order: number[]) => `vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 62
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/24
  }
}
virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo mh
  mh-port
  lb_kind DR
  protocol TCP
${order.map(rs).join('')}}
`;

interface VsView {
  servers: Array<{ alive: boolean }>;
}

t.test('nft engine pair, DR with mh: connections survive kill -9 of the master without sync', async (t) => {
  const lab = new FailoverLab();
  t.teardown(() => lab.cleanup());
  lab.build();
  lab.attach('c', 'eth0', 'br0', '10.77.0.10/24');
  lab.attach('a', 'eth0', 'br0', '10.77.0.1/24');
  lab.attach('b', 'eth0', 'br0', '10.77.0.2/24');
  for (const i of [1, 2, 3]) {
    lab.attach(`d${i}`, 'eth0', 'br0', `10.77.0.2${i}/24`);
    lab.drServer(`d${i}`);
    lab.startRs(`d${i}`, `dr${i}`, 80);
  }
  const a = lab.startTriad('a', conf(150, [1, 2, 3]));
  lab.startTriad('b', conf(100, [3, 1, 2]));
  const allUp = async (role: string): Promise<boolean> => {
    const v = (await lab.ctl(role, 'lb', ['show'])) as VsView[] | undefined;
    return !!v && v.length === 1 && v[0].servers.length === 3 && v[0].servers.every((s) => s.alive);
  };
  await lab.waitFor('a MASTER with the VIP, b BACKUP, every real server up on both', async () =>
    (await lab.vrrpState('a')) === 'MASTER' && lab.hasAddress('a', 'eth0', VIP) && (await lab.vrrpState('b')) === 'BACKUP' && (await allUp('a')) && (await allUp('b')), 40000);

  const held: Array<{ h: Held; who: string }> = [];
  t.teardown(() => held.forEach((x) => x.h.proc.kill('SIGKILL')));
  for (let i = 0; i < 8; i++) {
    const h = new Held(lab, 'c', VIP, 80);
    const reply = await h.say(`hello ${i}`, 5000);
    t.match(reply, new RegExp(`^dr[123] 10\\.77\\.0\\.10 hello ${i}$`), 'served through a, client address preserved');
    held.push({ h, who: reply.split(' ')[0] });
  }
  const used = new Set(held.map((x) => x.who));
  t.ok(used.size >= 2, `mh-port spread the 8 connections over ${[...used].join(', ')}`);
  const flows = (role: string) => lab.run(role, 'nft', 'list', 'map', 'netdev', 'triad', 'f_v10_77_0_100_80t');
  t.match(flows('a') ?? '', /10\.77\.0\.10/, "a's flow map holds the client's flows");
  t.ok(flows('b') !== undefined && !/10\.77\.0\.10/.test(flows('b')!), "b's flow map exists and has never seen the client");

  await lab.kill9(a);
  await lab.waitFor('b MASTER with the VIP', async () => (await lab.vrrpState('b')) === 'MASTER' && lab.hasAddress('b', 'eth0', VIP), 20000);
  for (const x of held) {
    let reply = '';
    for (let i = 0; i < 5 && !reply; i++) reply = await x.h.say(`after ${i}`, 3000).catch(() => '');
    t.match(reply, new RegExp(`^${x.who} 10\\.77\\.0\\.10 after`), `the connection on ${x.who} still works through b, same real server`);
  }
  t.match(lab.run('c', 'nstat', '-az', 'TcpEstabResets') ?? '', /TcpEstabResets\s+0\b/, 'the client saw no connection reset');
});
