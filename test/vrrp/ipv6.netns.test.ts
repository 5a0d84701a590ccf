// VRRP for IPv6 (RFC 5798): Triad + Triad and Triad + Debian's keepalived on a bridge with
// an IPv6 instance. The higher priority becomes master and holds the address; kill -9
// moves it; a client's neighbour cache (`ip -6 neigh`) follows the address to the new
// master's MAC through the unsolicited Neighbor Advertisement, without asking again.
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import t from 'tap';
import { REPO_ROOT } from '../helpers/paths.js';
import { VIP6, VrrpLab } from './lab.js';

const FORGE6 = path.join(REPO_ROOT, 'dist', 'test', 'vrrp', 'forge6.js');
const keepalivedMissing = spawnSync('sh', ['-c', 'command -v keepalived']).status !== 0;

function conf6(prio: number): string {
  return `vrrp_instance VI_6 {
  state BACKUP
  interface eth0
  virtual_router_id 61
  priority ${prio}
  advert_int 1
  virtual_ipaddress {
    ${VIP6}/64
  }
}
`;
}

/** The client learns the VIP's MAC (one ping: neighbour solicitation and its answer). */
function ping(lab: VrrpLab): boolean {
  return lab.run('c', 'ping', '-6', '-c', '1', '-W', '2', VIP6) !== undefined;
}

t.test('Triad (150) + Triad (100), IPv6: the higher priority masters; kill -9 moves the address and the client sees the new MAC', async (t) => {
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a', 'b', 'c']);
  lab.addIPv6(['a', 'b', 'c']);
  const a = lab.startTriad('a', conf6(150));
  lab.startTriad('b', conf6(100));
  await lab.waitFor('a MASTER with the IPv6 address, b BACKUP without it', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip6('a') && (await lab.state('b')) === 'BACKUP' && !lab.hasVip6('b'));
  const sa = (await lab.show('a'))?.[0];
  const sb = (await lab.show('b'))?.[0];
  t.match(sb?.master, /^fe80::/, 'b sees a link-local master address');
  t.equal(sb?.master, sa?.master, "b's master is a's link-local address");
  await lab.waitFor('b hears a', async () => ((await lab.show('b'))?.[0]?.advertisementsReceived ?? 0) >= 2);
  t.same((await lab.show('b'))?.[0]?.dropped, {}, "none of a's advertisements was dropped");
  t.ok(ping(lab), 'the client reaches the address');
  t.equal(lab.neighMac('c', VIP6), lab.mac('a'), "the client's neighbour entry is a's MAC");

  // Forged advertisements from the client with priority 254: each is dropped and counted, none changes state.
  const kinds: Record<string, string> = { 'hop-limit': 'bad-ttl', 'global-source': 'bad-source', 'bad-checksum': 'bad-checksum', 'wrong-vrid': 'unknown-vrid', truncated: 'truncated' };
  for (const kind of Object.keys(kinds)) execFileSync('ip', ['netns', 'exec', lab.ns('c'), process.execPath, FORGE6, kind], { stdio: ['ignore', 'pipe', 'pipe'] });
  await lab.waitFor('a counts every forged advertisement by its reason', async () => {
    const d = (await lab.show('a'))?.[0]?.dropped ?? {};
    return Object.values(kinds).every((r) => (d[r] ?? 0) >= 1);
  });
  t.equal(await lab.state('a'), 'MASTER', 'a is still master');
  t.ok(lab.hasVip6('a') && !lab.hasVip6('b'), 'the address did not move');

  await lab.kill9(a);
  await lab.waitFor('b MASTER with the address after kill -9 of a', async () => (await lab.state('b')) === 'MASTER' && lab.hasVip6('b'));
  await lab.waitFor("the client's neighbour entry moves to b's MAC (unsolicited NA)", () => lab.neighMac('c', VIP6) === lab.mac('b'));
  t.pass('the neighbour entry follows the address');
  t.ok(ping(lab), 'the client reaches the address on b');
});

t.test('Triad (150) + keepalived (100), IPv6: each accepts the other; kill -9 hands over both ways, the client follows', async (t) => {
  if (keepalivedMissing) return t.fail('keepalived is not installed (apt-get install keepalived; test/install-deps.sh)');
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a', 'k', 'c']);
  lab.addIPv6(['a', 'k', 'c']);
  let a = lab.startTriad('a', conf6(150));
  const k = lab.startKeepalived('k', conf6(100));
  await lab.waitFor('Triad MASTER with the address', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip6('a'));
  // keepalived would take the address after 3 × advert_int + skew if it refused Triad's advertisements.
  await lab.waitFor('Triad has advertised for longer than the master-down interval', async () => ((await lab.show('a'))?.[0]?.advertisementsSent ?? 0) >= 6);
  t.notOk(lab.hasVip6('k'), "keepalived accepts Triad's advertisements and stays backup");
  t.ok(ping(lab), 'the client reaches the address');
  t.equal(lab.neighMac('c', VIP6), lab.mac('a'));

  await lab.kill9(a);
  await lab.waitFor('keepalived holds the address after kill -9 of Triad', () => lab.hasVip6('k'));
  await lab.waitFor("the client's neighbour entry moves to keepalived's MAC", () => lab.neighMac('c', VIP6) === lab.mac('k'));
  t.pass("keepalived took over and the client followed");

  a = lab.startTriad('a', conf6(150));
  await lab.waitFor("Triad sees keepalived's advertisements", async () => ((await lab.show('a'))?.[0]?.advertisementsReceived ?? 0) >= 1 || (await lab.state('a')) === 'MASTER');
  await lab.waitFor('Triad preempts back; keepalived gives the address up', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip6('a') && !lab.hasVip6('k'));
  const s = (await lab.show('a'))?.[0];
  t.ok((s?.advertisementsReceived ?? 0) > 0, "Triad received keepalived's advertisements");
  t.same(s?.dropped, {}, "none of keepalived's packets was dropped (checksum, hop limit, source)");
  await lab.waitFor("the client's neighbour entry is back on Triad's MAC", () => lab.neighMac('c', VIP6) === lab.mac('a'));
  await lab.stop(a);
  await lab.killKeepalived('k', k, 'SIGTERM');
});

t.test('Triad + Triad, IPv6 unicast (unicast_src_ip, unicast_peer with global addresses): elect and fail over', async (t) => {
  const lab = new VrrpLab();
  t.teardown(() => lab.cleanup());
  lab.build(['a', 'b']);
  lab.addIPv6(['a', 'b']);
  const uni = (me: string, peer: string): string => `  unicast_src_ip ${me}\n  unicast_peer {\n    ${peer}\n  }\n`;
  const conf = (prio: number, extra: string): string => conf6(prio).replace('  advert_int 1\n', `  advert_int 1\n${extra}`);
  const a = lab.startTriad('a', conf(150, uni('fd00:77::1', 'fd00:77::2')));
  lab.startTriad('b', conf(100, uni('fd00:77::2', 'fd00:77::1')));
  await lab.waitFor('a MASTER, b BACKUP hearing a by unicast', async () => (await lab.state('a')) === 'MASTER' && lab.hasVip6('a') && (await lab.show('b'))?.[0]?.master === 'fd00:77::1' && ((await lab.show('b'))?.[0]?.advertisementsReceived ?? 0) >= 2);
  t.notOk(lab.hasVip6('b'));
  t.same((await lab.show('b'))?.[0]?.dropped, {}, 'unicast advertisements from a global address are accepted');
  await lab.kill9(a);
  await lab.waitFor('b MASTER with the address after kill -9 of a', async () => (await lab.state('b')) === 'MASTER' && lab.hasVip6('b'));
  t.pass('b took over');
});
