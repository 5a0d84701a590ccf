// Two Triads with the packet engine behind one VRRP address, with connection sync
// (lvs_sync_daemon): long-lived TCP connections (socat) through a DR and a NAT virtual
// server, opened through the master, keep talking to the same real server after the
// master is killed with kill -9 and the VIP (and the NAT servers' gateway address)
// moves to the backup. Forged and garbage sync datagrams are dropped and counted.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';
import { FailoverLab, GW, Held, VIP } from './failover-lab.js';

const KEY = 'pair-secret-1';
const check = (port: number) => `    TCP_CHECK {\n      connect_port ${port}\n      connect_timeout 1\n      retry 0\n    }\n`;
const conf = (prio: number) => `global_defs {
  lb_datapath packet
  lvs_sync_daemon eth0 VI_1 id 3
  triad_sync_key ${KEY}
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 61
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    ${VIP}/24
    ${GW}/24 dev eth1
  }
}
virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 10.77.0.21 80 {
${check(80)}  }
  real_server 10.77.0.22 80 {
${check(80)}  }
}
virtual_server ${VIP} 81 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.88.0.21 8080 {
${check(8080)}  }
  real_server 10.88.0.22 8080 {
${check(8080)}  }
}
`;

interface SyncStats {
  role: string;
  sent: number;
  sentEntries: number;
  received: number;
  installed: number;
  drops: Record<string, number>;
}
interface VsView {
  key: string;
  servers: Array<{ alive: boolean }>;
}

t.test('packet engine pair: DR and NAT connections survive kill -9 of the master', async (t) => {
  const lab = new FailoverLab();
  t.teardown(() => lab.cleanup());
  lab.build();
  lab.attach('c', 'eth0', 'br0', '10.77.0.10/24');
  for (const [role, i] of [['a', 1], ['b', 2]] as const) {
    lab.attach(role, 'eth0', 'br0', `10.77.0.${i}/24`);
    lab.attach(role, 'eth1', 'br1', `10.88.0.${i}/24`);
  }
  for (const i of [1, 2]) {
    lab.attach(`d${i}`, 'eth0', 'br0', `10.77.0.2${i}/24`);
    lab.drServer(`d${i}`);
    lab.startRs(`d${i}`, `dr${i}`, 80);
    lab.attach(`n${i}`, 'eth0', 'br1', `10.88.0.2${i}/24`);
    lab.ip('-n', lab.ns(`n${i}`), 'route', 'add', 'default', 'via', GW);
    lab.startRs(`n${i}`, `nat${i}`, 8080);
  }
  // The pair receives with recvmmsg batches (asked for; the fallback where the kernel refuses
  // rings); packet-dr and packet-nat run the rings, the default.
  process.env.TRIAD_PACKET_RING = '0';
  const a = lab.startTriad('a', conf(150));
  lab.startTriad('b', conf(100));
  let aLog = '';
  a.stdout?.on('data', (d: Buffer) => (aLog = (aLog + d.toString()).slice(-200_000)));
  const allUp = async (role: string): Promise<boolean> => {
    const v = (await lab.ctl(role, 'lb', ['show'])) as VsView[] | undefined;
    return !!v && v.length === 2 && v.every((x) => x.servers.every((s) => s.alive));
  };
  await lab.waitFor('a MASTER holding both addresses, b BACKUP, every real server up on both', async () =>
    (await lab.vrrpState('a')) === 'MASTER' && lab.hasAddress('a', 'eth0', VIP) && lab.hasAddress('a', 'eth1', GW) && (await lab.vrrpState('b')) === 'BACKUP' && (await allUp('a')) && (await allUp('b')), 40000);
  t.match(aLog, /packet engine receives with recvmmsg batches"/, 'frames received with recvmmsg batches (TRIAD_PACKET_RING=0)');

  // A listener on the client's side of the bridge captures a genuine sync datagram and
  // sends it again to b (from another source address): a replay, dropped and counted.
  const forge = path.join(REPO_ROOT, 'dist', 'test', 'lb', 'sync-forge.js');
  lab.spawnIn('c', ['env', 'SYNC_LOCAL=10.77.0.10', process.execPath, forge, '10.77.0.2', '8848', 'replay']);
  await lab.waitFor('the replayer listening', () => lab.logs.get('c')?.includes('listening') ?? false);

  // Four long connections per virtual server through a: rr spreads them over both servers.
  const held: Array<{ h: Held; port: number; who: string }> = [];
  t.teardown(() => held.forEach((x) => x.h.proc.kill('SIGKILL')));
  for (const port of [80, 81]) {
    for (let i = 0; i < 4; i++) {
      const h = new Held(lab, 'c', VIP, port);
      const reply = await h.say(`hello ${i}`, 5000);
      t.match(reply, new RegExp(`^(dr|nat)[12] 10\\.77\\.0\\.10 hello ${i}$`), `port ${port}: served, client address preserved`);
      held.push({ h, port, who: reply.split(' ')[0] });
    }
  }
  t.same(new Set(held.filter((x) => x.port === 80).map((x) => x.who)), new Set(['dr1', 'dr2']), 'DR flows on both real servers');
  t.same(new Set(held.filter((x) => x.port === 81).map((x) => x.who)), new Set(['nat1', 'nat2']), 'NAT flows on both real servers');
  t.notOk(lab.run('a', 'nft', 'list', 'tables')?.includes('ip ') ?? false, 'no nftables NAT on the packet engine (only its netdev guard)');

  await lab.waitFor('b installed the 8 flows from the sync', async () => ((await lab.ctl('b', 'lb', ['sync'])) as SyncStats | undefined)?.installed !== undefined && ((await lab.ctl('b', 'lb', ['sync'])) as SyncStats).installed >= 8);
  const sa = (await lab.ctl('a', 'lb', ['sync'])) as SyncStats;
  t.equal(sa.role, 'master');
  t.ok(sa.sent > 0, `a sent ${sa.sent} sync datagrams`);

  await lab.waitFor('a genuine datagram captured and sent again', () => lab.logs.get('c')?.includes('replayed') ?? false);
  await lab.waitFor('b counted the replay', async () => (((await lab.ctl('b', 'lb', ['sync'])) as SyncStats).drops['replay'] ?? 0) >= 1);
  t.pass('the replayed datagram was dropped as a replay');
  // Forged and garbage datagrams to b's sync port: dropped and counted, nothing installed.
  // The master refreshes its flows now and then, so b installs its genuine entries meanwhile:
  // what b installs from here on must be exactly what a sent, and nothing more.
  const sync = async (role: string): Promise<SyncStats> => (await lab.ctl(role, 'lb', ['sync'])) as SyncStats;
  const [aBefore, before] = [await sync('a'), await sync('b')];
  execFileSync('ip', ['netns', 'exec', lab.ns('c'), process.execPath, forge, '10.77.0.2', '8848', 'wrong-key', 'garbage'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await lab.waitFor('b counted the forged and the garbage datagram', async () => {
    const s = (await lab.ctl('b', 'lb', ['sync'])) as SyncStats;
    return (s.drops['bad-mac'] ?? 0) >= 1 && (s.drops['short'] ?? 0) >= 1;
  });
  let extra = NaN;
  const settled = async (): Promise<boolean> => {
    const b = await sync('b');
    const a = await sync('a');
    extra = b.installed - before.installed - (a.sentEntries - aBefore.sentEntries);
    return extra === 0;
  };
  await lab.waitFor('b installed only what a sent', settled, 5000).catch(() => undefined);
  t.equal(extra, 0, 'the forged entry was not installed (b installed only the entries a sent)');

  await lab.kill9(a);
  await lab.waitFor('b MASTER with both addresses', async () => (await lab.vrrpState('b')) === 'MASTER' && lab.hasAddress('b', 'eth0', VIP) && lab.hasAddress('b', 'eth1', GW), 20000);
  for (const x of held) {
    // Neighbour caches move by gratuitous ARP; allow a few tries while they do.
    let reply = '';
    for (let i = 0; i < 5 && !reply; i++) reply = await x.h.say(`after ${i}`, 3000).catch(() => '');
    t.match(reply, new RegExp(`^${x.who} 10\\.77\\.0\\.10 after`), `port ${x.port}: the connection on ${x.who} still works through b, same real server`);
  }
  const nstat = lab.run('c', 'nstat', '-az', 'TcpExtTCPAbortOnData', 'TcpEstabResets');
  t.match(nstat ?? '', /TcpEstabResets\s+0\b/, 'the client saw no connection reset');
});
