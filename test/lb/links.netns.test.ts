// The load balancer started before its link has carrier, with both engines (nftables
// and the packet engine), in namespaces: it starts, says what it waits for, announces
// the VIP by gratuitous ARP once the link comes up, serves; after the link goes down and
// up, or is deleted and created again, it announces and serves again without a restart.
//
//   client c: eth0 10.0.0.2 ── eth0 [LB l] 10.0.0.1, VIP 10.0.0.100 ── eth1 10.1.0.1 ── bridge ── r1 10.1.0.2:8080

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { allUp, missingTools, Topo } from './topology.js';

const VIP = '10.0.0.100';
const CONF = `virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 10.1.0.2 8080 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, topo: Topo, cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; log tail:\n${topo.triadLog.slice(-30).join('\n')}`);
    await sleep(100);
  }
}

const count = (topo: Topo, re: RegExp): number => topo.triadLog.filter((l) => re.test(l)).length;

for (const engine of ['nft', 'packet'] as const) {
  t.test(`${engine} engine: a link without carrier at start, down and up, created again`, { timeout: 180_000 }, async (t) => {
    const missing = missingTools(['ip', 'curl', 'nft', 'arping', 'ethtool']);
    if (missing.length) {
      t.fail(`missing tools: ${missing.join(', ')} (test/install-deps.sh installs them)`);
      return;
    }
    const topo = new Topo();
    t.teardown(() => topo.cleanup());
    topo.natEdge();
    topo.sh('c', 'ethtool', '-K', 'eth0', 'tso', 'off', 'gso', 'off');
    // The client accepts gratuitous ARP into its neighbour table: proof the announcement reached the wire.
    topo.sysctl('c', 'net.ipv4.conf.eth0.arp_accept=1');
    topo.ip('-n', topo.ns('c'), 'link', 'set', 'eth0', 'down'); // the LB's eth0: up, no carrier
    topo.addNs('r1');
    topo.attach('r1', 'eth0', 'b', '10.1.0.2/24');
    topo.sh('r1', 'ethtool', '-K', 'eth0', 'tso', 'off', 'gso', 'off');
    topo.ip('-n', topo.ns('r1'), 'route', 'add', 'default', 'via', '10.1.0.1');
    await topo.startRs('r1', 'rs1', 8080);
    const garp = engine === 'nft' ? /"msg":"gratuitous ARP sent"/ : /gratuitous ARP sent \(VIP answered/;
    const lbMac = (): string => topo.sh('l', 'cat', '/sys/class/net/eth0/address').trim();
    const clientSees = (): boolean => new RegExp(`lladdr ${lbMac()}`).test(topo.sh('c', 'ip', 'neigh', 'show', VIP));

    const triad = topo.startTriad('l', topo.writeConf(CONF), ['--lb-datapath', engine]);
    await topo.waitFor(allUp);
    t.equal(triad.exitCode, null, 'the load balancer started although eth0 has no carrier');
    await until('the reason', topo, () => count(topo, /waiting for interface eth0: no carrier/) > 0);
    t.pass('it says eth0 has no carrier');
    t.equal(count(topo, garp), 0, 'no gratuitous ARP into a link without carrier');

    await t.test('the carrier comes: announced and served', async (t) => {
      topo.ip('-n', topo.ns('c'), 'link', 'set', 'eth0', 'up');
      await until('gratuitous ARP', topo, () => count(topo, garp) >= 1);
      await until('the client to learn the VIP', topo, clientSees, 5000);
      t.ok(clientSees(), 'the client learned the VIP from the gratuitous ARP, before sending anything');
      const r = topo.client('c', 'tcp', VIP, 80, 20, 5);
      t.equal(r.failures, 0, `20 connections through the VIP (${r.errors.slice(0, 2).join('; ')})`);
      t.equal(r.byName.rs1, 20, 'all reached the real server');
    });

    await t.test('down and up again while running: announced and served again', async (t) => {
      topo.ip('-n', topo.ns('l'), 'link', 'set', 'eth0', 'down');
      await until('the link down', topo, () => count(topo, /waiting for interface eth0: administratively down/) > 0);
      topo.ip('-n', topo.ns('c'), 'neigh', 'flush', 'dev', 'eth0');
      topo.ip('-n', topo.ns('l'), 'link', 'set', 'eth0', 'up');
      await until('a second gratuitous ARP', topo, () => count(topo, garp) >= 2);
      await until('the client to learn the VIP again', topo, clientSees, 5000);
      t.ok(clientSees(), 'announced again after the link came back');
      const r = topo.client('c', 'tcp', VIP, 80, 20, 5);
      t.equal(r.failures, 0, `served again (${r.errors.slice(0, 2).join('; ')})`);
    });

    await t.test('deleted and created again (a new ifindex): served on the new link', async (t) => {
      topo.ip('-n', topo.ns('l'), 'link', 'del', 'eth0');
      await until('the link gone', topo, () => count(topo, /waiting for interface eth0: no such interface/) > 0);
      topo.ip('-n', topo.ns('c'), 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', topo.ns('l'));
      topo.sh('c', 'ethtool', '-K', 'eth0', 'tso', 'off', 'gso', 'off');
      topo.sysctl('c', 'net.ipv4.conf.eth0.arp_accept=1');
      topo.ip('-n', topo.ns('c'), 'addr', 'add', '10.0.0.2/24', 'dev', 'eth0');
      topo.ip('-n', topo.ns('l'), 'addr', 'add', '10.0.0.1/24', 'dev', 'eth0');
      topo.ip('-n', topo.ns('l'), 'link', 'set', 'eth0', 'up');
      topo.ip('-n', topo.ns('c'), 'link', 'set', 'eth0', 'up');
      await until('a third gratuitous ARP', topo, () => count(topo, garp) >= 3);
      await until('the client to learn the VIP on the new link', topo, clientSees, 5000);
      t.ok(clientSees(), 'announced on the new link');
      if (engine === 'nft') t.match(topo.sh('l', 'ip', 'addr', 'show', 'dev', 'eth0'), /10\.0\.0\.100\/32/, 'the VIP is on the new link');
      else t.notMatch(topo.sh('l', 'ip', 'addr', 'show', 'dev', 'eth0'), /10\.0\.0\.100/, 'the packet engine still keeps the VIP off the interface');
      const r = topo.client('c', 'tcp', VIP, 80, 20, 5);
      t.equal(r.failures, 0, `served on the new link (${r.errors.slice(0, 2).join('; ')})`);
    });
    t.equal(triad.exitCode, null, 'never restarted');
    await topo.stopProc(triad);
  });
}

t.test('DR on nftables: the interface named by triad_interface does not exist at start, then is deleted and created again', { timeout: 180_000 }, async (t) => {
  const missing = missingTools(['ip', 'curl', 'nft', 'arping']);
  if (missing.length) {
    t.fail(`missing tools: ${missing.join(', ')} (test/install-deps.sh installs them)`);
    return;
  }
  const topo = new Topo();
  t.teardown(() => topo.cleanup());
  topo.bridge('b');
  topo.addNs('c');
  topo.attach('c', 'eth0', 'b', '10.0.0.2/24');
  topo.sysctl('c', 'net.ipv4.conf.eth0.arp_accept=1');
  topo.addNs('r1');
  topo.attach('r1', 'eth0', 'b', '10.0.0.3/24');
  topo.drRealServer('r1', VIP);
  await topo.startRs('r1', 'rs1', 80);
  topo.addNs('l'); // no eth0 yet
  const conf = `virtual_server ${VIP} 80 {
  delay_loop 1
  lb_algo rr
  lb_kind DR
  protocol TCP
  triad_interface eth0
  real_server 10.0.0.3 80 {
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
`;
  const triad = topo.startTriad('l', topo.writeConf(conf));
  await until('the reason', topo, () => count(topo, /waiting for interface eth0: no such interface/) > 0);
  t.equal(triad.exitCode, null, 'the load balancer runs while eth0 does not exist');

  topo.attach('l', 'eth0', 'b', '10.0.0.1/24');
  await topo.waitFor(allUp, 20_000);
  let r = topo.client('c', 'tcp', VIP, 80, 20, 5);
  t.equal(r.failures, 0, `served once eth0 exists (${r.errors.slice(0, 2).join('; ')})`);
  t.equal(r.byName.rs1, 20, 'all reached the real server');

  topo.ip('-n', topo.ns('l'), 'link', 'del', 'eth0');
  await until('the link gone', topo, () => count(topo, /waiting for interface eth0: no such interface/) > 1);
  topo.attach('l', 'eth0', 'b', '10.0.0.1/24');
  await until('the link back', topo, () => count(topo, /interface eth0 is ready now/) > 1);
  await topo.waitFor(allUp, 20_000);
  t.match(topo.sh('l', 'ip', 'addr', 'show', 'dev', 'eth0'), /10\.0\.0\.100\/32/, 'the VIP is on the new link');
  t.match(topo.sh('l', 'nft', 'list', 'table', 'netdev', 'triad'), /hook ingress device "eth0"/, 'the ingress chain is on eth0 again');
  await until('the client to learn the new MAC', topo, () => new RegExp(`lladdr ${topo.sh('l', 'cat', '/sys/class/net/eth0/address').trim()}`).test(topo.sh('c', 'ip', 'neigh', 'show', VIP)), 5000);
  r = topo.client('c', 'tcp', VIP, 80, 20, 5);
  t.equal(r.failures, 0, `served on the re-created link (${r.errors.slice(0, 2).join('; ')})`);
  t.equal(r.byName.rs1, 20);

  // Deleted and created again at once (both notices may arrive together): still served.
  const ready = count(topo, /interface eth0 is ready now|gratuitous ARP sent/);
  const ns = topo.ns('l');
  execFileSync('bash', ['-c', `ip -n ${ns} link del eth0 && ip -n ${ns} link add eth0 type veth peer name pleth0 netns ${topo.ns('b')} && ` +
    `ip -n ${topo.ns('b')} link set pleth0 master br0 up && ip -n ${ns} addr add 10.0.0.1/24 dev eth0 && ip -n ${ns} link set eth0 up`]);
  await until('the link back at once', topo, () => count(topo, /interface eth0 is ready now|gratuitous ARP sent/) > ready);
  await topo.waitFor(allUp, 20_000);
  await until('the client to learn the newest MAC', topo, () => new RegExp(`lladdr ${topo.sh('l', 'cat', '/sys/class/net/eth0/address').trim()}`).test(topo.sh('c', 'ip', 'neigh', 'show', VIP)), 5000);
  await until('the ingress chain', topo, () => /hook ingress device "eth0"/.test(topo.sh('l', 'nft', 'list', 'table', 'netdev', 'triad')), 5000);
  r = topo.client('c', 'tcp', VIP, 80, 20, 5);
  t.equal(r.failures, 0, `served after a quick delete and re-create (${r.errors.slice(0, 2).join('; ')})`);
  t.comment(count(topo, /reinstalling the nftables rules/) ? 'both notices came together: the tables were reinstalled' : 'the notices came apart: the virtual server was removed, then installed again');
  t.equal(triad.exitCode, null, 'never restarted');
  await topo.stopProc(triad);
});
