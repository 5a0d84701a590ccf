// Links that are not up yet, in network namespaces: the DHCP server and the relay agent
// start before their interfaces have carrier, an address, or exist at all; say what they
// wait for; serve once the link comes up; and serve again after the link goes down and up,
// gets a new address, or is deleted and created again — all without a restart.
//
//   server ns: lan0 (192.168.118.1/24) ── eth0 [client ns]        (peer down at start)
//              lan1 (created after start, address added later) ── eth0 [client2 ns]
//              up0 10.97.0.1 ── rup [relay ns] rdown 192.168.119.1 ── eth0 [far ns]

import t from 'tap';
import { NetnsLab, sh, sleep, labPrerequisites } from './netns-lab.js';
import { BIN_TRIAD } from '../helpers/paths.js';

const CONF = `
authoritative;
default-lease-time 600;
subnet 10.97.0.0 netmask 255.255.255.0 { }
subnet 192.168.118.0 netmask 255.255.255.0 {
  range 192.168.118.100 192.168.118.150;
  option routers 192.168.118.1;
}
subnet 192.168.119.0 netmask 255.255.255.0 {
  range 192.168.119.100 192.168.119.150;
  option routers 192.168.119.1;
}
subnet 192.168.120.0 netmask 255.255.255.0 {
  range 192.168.120.100 192.168.120.150;
  option routers 192.168.120.1;
}
`;

async function waitFor(what: string, cond: () => boolean, out: () => string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; output:\n${out()}`);
    await sleep(100);
  }
}

/** Runs udhcpc once in `ns` on eth0; returns what its script recorded. */
async function lease(lab: NetnsLab, ns: string, out: string): Promise<string> {
  await sh(`ip -n ${ns} addr flush dev eth0`);
  await sh(`UDHCPC_OUT=${lab.dir}/${out} ip netns exec ${ns} busybox udhcpc -i eth0 -f -q -n -t 8 -T 2 -s ${lab.udhcpcScript()} 2>&1`, 60_000).catch(() => undefined);
  return lab.read(out);
}

/** A veth pair server-side `ifA` (no address) ↔ client eth0, with the client end left down. */
async function wire(lab: NetnsLab, nsA: string, ifA: string, nsB: string): Promise<void> {
  await lab.link(nsA, ifA, '', nsB, 'eth0', '');
  await sh(`ip -n ${nsB} link set eth0 down`);
}

t.test('DHCP server: interfaces without carrier, missing, or without address at start', { timeout: 240_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'busybox']))) return;
  const lab = new NetnsLab('tlk');
  t.teardown(() => lab.cleanup());
  const srv = lab.serverNs;
  await lab.addNs(srv);
  const cl = lab.name('cl');
  const cl2 = lab.name('cl2');
  await lab.addNs(cl);
  await lab.addNs(cl2);
  await wire(lab, srv, 'lan0', cl);
  await sh(`ip -n ${srv} addr add 192.168.118.1/24 dev lan0`);
  const conf = lab.file('dhcpd.conf', CONF);
  // lan0: up, addressed, no carrier (its peer is down); lan1 does not exist yet.
  const triad = await lab.startTriad(conf, lab.file('triad.leases'), 'lan0,lan1');
  t.equal(triad.exitCode, null, 'triad run keeps running');
  await waitFor('the reasons', () => /waiting for interface lan0: no carrier/.test(triad.output()) && /waiting for interface lan1: no such interface/.test(triad.output()), triad.output);
  t.pass('it logs what it waits for: lan0 has no carrier, lan1 does not exist');

  await t.test('served once the carrier comes', async (t) => {
    await sh(`ip -n ${cl} link set eth0 up`);
    await waitFor('lan0 ready', () => /interface lan0 is ready now/.test(triad.output()), triad.output);
    const got = await lease(lab, cl, 'c1.out');
    t.match(got, /bound ip=192\.168\.118\.1\d\d router=192\.168\.118\.1 /, `client bound (${got.trim()})`);
  });

  await t.test('down and up again while running: served again', async (t) => {
    await sh(`ip -n ${srv} link set lan0 down`);
    await waitFor('lan0 down noticed', () => /waiting for interface lan0: administratively down/.test(triad.output()), triad.output);
    await sh(`ip -n ${srv} link set lan0 up`);
    const got = await lease(lab, cl, 'c2.out');
    t.match(got, /bound ip=192\.168\.118\.1\d\d /, `client bound after down/up (${got.trim()})`);
  });

  await t.test('a link created after start, its address added later', async (t) => {
    await lab.link(srv, 'lan1', '', cl2, 'eth0', '');
    await waitFor('lan1 without address', () => /waiting for interface lan1: no IPv4 address/.test(triad.output()), triad.output);
    await sh(`ip -n ${srv} addr add 192.168.119.1/24 dev lan1`);
    const got = await lease(lab, cl2, 'c3.out');
    t.match(got, /bound ip=192\.168\.119\.1\d\d router=192\.168\.119\.1 /, `client on the new link bound (${got.trim()})`);
  });

  await t.test('an address changed while running is picked up', async (t) => {
    await sh(`ip -n ${srv} addr del 192.168.119.1/24 dev lan1 && ip -n ${srv} addr add 192.168.120.1/24 dev lan1`);
    // The client must not ask before the server has seen the change (netlink is read every 100 ms).
    await waitFor('new address seen', () => /192\.168\.120\.1\/24/.test(triad.output()), triad.output);
    const got = await lease(lab, cl2, 'c4.out');
    t.match(got, /bound ip=192\.168\.120\.1\d\d router=192\.168\.120\.1 .*serverid=192\.168\.120\.1 /, `client got an address of the new subnet (${got.trim()})`);
  });

  await t.test('deleted and created again (a new ifindex): the socket is reopened', async (t) => {
    await sh(`ip -n ${srv} link del lan0`);
    await waitFor('lan0 gone', () => /waiting for interface lan0: no such interface/.test(triad.output()), triad.output);
    await lab.link(srv, 'lan0', '192.168.118.1/24', cl, 'eth0', '');
    const got = await lease(lab, cl, 'c5.out');
    t.match(got, /bound ip=192\.168\.118\.1\d\d /, `client bound on the re-created link (${got.trim()})`);
  });
  t.equal(triad.exitCode, null, 'never restarted');
  triad.kill('SIGTERM');
  await new Promise((r) => (triad.exitCode !== null ? r(undefined) : triad.once('exit', r)));
});

t.test('relay: started before its links have carrier or address', { timeout: 240_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'busybox']))) return;
  const lab = new NetnsLab('tlr');
  t.teardown(() => lab.cleanup());
  const srv = lab.serverNs;
  await lab.addNs(srv);
  const relayNs = lab.name('rel');
  const far = lab.name('far');
  await lab.addNs(relayNs);
  await lab.addNs(far);
  await lab.link(srv, 'up0', '10.97.0.1/24', relayNs, 'rup', '');
  await wire(lab, relayNs, 'rdown', far);
  await sh(`ip -n ${relayNs} addr add 192.168.119.1/24 dev rdown`);
  await sh(`ip -n ${srv} route add 192.168.119.0/24 via 10.97.0.2`);
  const conf = lab.file('dhcpd.conf', CONF);
  const server = await lab.startTriad(conf, lab.file('triad.leases'), 'up0');

  // rdown: addressed, no carrier; rup: carrier, no address yet (the case that used to exit).
  const relay = lab.spawnIn(relayNs, process.execPath, [BIN_TRIAD, 'relay', '--interfaces', 'rdown,rup', '--servers', '10.97.0.1']);
  await waitFor('relay start', () => /dhcp relay serving/.test(relay.output()) || relay.exitCode !== null, relay.output);
  t.equal(relay.exitCode, null, 'the relay starts and keeps running');
  t.match(relay.output(), /waiting for interface rdown: no carrier/, 'says rdown has no carrier');
  t.match(relay.output(), /waiting for interface rup: no IPv4 address/, 'says rup has no address');

  await t.test('relays once the links come up', async (t) => {
    await sh(`ip -n ${relayNs} addr add 10.97.0.2/24 dev rup`);
    await sh(`ip -n ${far} link set eth0 up`);
    await waitFor('both ready', () => /interface rdown is ready now/.test(relay.output()) && /interface rup is ready now/.test(relay.output()), relay.output);
    const got = await lease(lab, far, 'f1.out');
    t.match(got, /bound ip=192\.168\.119\.1\d\d router=192\.168\.119\.1 /, `far client bound through the relay (${got.trim()})`);
    t.match(server.output(), /DHCPACK on 192\.168\.119\.\d+ to \S+ via 192\.168\.119\.1/, 'the server saw it relayed');
  });

  await t.test('down and up again while running: relayed again', async (t) => {
    await sh(`ip -n ${relayNs} link set rdown down`);
    await waitFor('rdown down noticed', () => /waiting for interface rdown: administratively down/.test(relay.output()), relay.output);
    await sh(`ip -n ${relayNs} link set rdown up`);
    const got = await lease(lab, far, 'f2.out');
    t.match(got, /bound ip=192\.168\.119\.1\d\d /, `far client bound after down/up (${got.trim()})`);
  });

  await t.test('deleted and created again: relayed on the new link', async (t) => {
    await sh(`ip -n ${relayNs} link del rdown`);
    await waitFor('rdown gone', () => /waiting for interface rdown: no such interface/.test(relay.output()), relay.output);
    await lab.link(relayNs, 'rdown', '192.168.119.1/24', far, 'eth0', '');
    const got = await lease(lab, far, 'f3.out');
    t.match(got, /bound ip=192\.168\.119\.1\d\d /, `far client bound on the re-created link (${got.trim()})`);
  });
  t.equal(relay.exitCode, null, 'never restarted');
  relay.kill('SIGTERM');
  server.kill('SIGTERM');
  await new Promise((r) => (server.exitCode !== null ? r(undefined) : server.once('exit', r)));
});

t.test('triad run: server and relay in one process share the link watcher; the relay link appears later', { timeout: 180_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'busybox']))) return;
  const lab = new NetnsLab('tlp');
  t.teardown(() => lab.cleanup());
  const srv = lab.serverNs;
  // The server's own link: bridge br0 holding 192.168.118.1 (the relay hands requests to it
  // in process), with one port so that it has carrier.
  await lab.setupServer('192.168.118.1/24');
  await lab.addClient('cl');
  const near = lab.name('near');
  await lab.addNs(near);
  const conf = lab.file('dhcpd.conf', CONF);
  const relayConf = lab.file('isc-dhcp-relay', `SERVERS="192.168.118.1"\nINTERFACES="rl0"\n`);
  const triad = await lab.startTriad(conf, lab.file('triad.leases'), 'br0', ['--relay-conf', relayConf]);
  await waitFor('the relay waiting', () => /waiting for interface rl0: no such interface/.test(triad.output()), triad.output);
  t.pass('the relay in triad run waits for rl0, which does not exist');
  t.match(triad.output(), /dhcp relay serving/, 'and runs meanwhile');
  await lab.link(srv, 'rl0', '', near, 'eth0', '');
  await waitFor('rl0 without address', () => /waiting for interface rl0: no IPv4 address/.test(triad.output()), triad.output);
  await sh(`ip -n ${srv} addr add 192.168.119.1/24 dev rl0`);
  const got = await lease(lab, near, 'n1.out');
  t.match(got, /bound ip=192\.168\.119\.1\d\d router=192\.168\.119\.1 /, `client of the late relay link bound (${got.trim()})`);
  t.match(triad.output(), /to 192\.168\.118\.1 \(in process\)/, 'handed over in process');
  t.equal(triad.exitCode, null, 'never restarted');
  triad.kill('SIGTERM');
  await new Promise((r) => (triad.exitCode !== null ? r(undefined) : triad.once('exit', r)));
});
