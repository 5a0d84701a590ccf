// Triad's relay agent two hops from the client, in network namespaces:
//   far client ── rdown [relay ns] rup ── up0 [server ns] br0
// Triad relay → Triad server and Triad relay → ISC dhcpd: the client gets an address of its
// own subnet, option 82 (circuit-id rdown) is seen on the server side and is gone on the
// client side; the hop limit holds; a forged reply without the relay's option 82 is dropped.
// And relay + server in one `triad run` (the relay hands requests over in process).
// (ISC dhcrelay → Triad server is in lab.netns.test.ts.)

import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { NetnsLab, sh, sleep, labPrerequisites } from './netns-lab.js';
import { BIN_TRIAD, REPO_ROOT } from '../helpers/paths.js';

const SUBNETS = `
subnet 10.97.0.0 netmask 255.255.255.0 { }
subnet 192.168.118.0 netmask 255.255.255.0 {
  range 192.168.118.100 192.168.118.150;
  option routers 192.168.118.1;
}
subnet 192.168.119.0 netmask 255.255.255.0 {
  range 192.168.119.100 192.168.119.150;
  option routers 192.168.119.1;
}
`;

// A DISCOVER with a chosen hop count, sent from the far client (scapy).
const HOPS_PY = `
from scapy.all import Ether, IP, UDP, BOOTP, DHCP, sendp
mac = bytes.fromhex("020000004401")
p = (Ether(src="02:00:00:00:44:01", dst="ff:ff:ff:ff:ff:ff") / IP(src="0.0.0.0", dst="255.255.255.255") /
     UDP(sport=68, dport=67) / BOOTP(op=1, hops=HOPS, chaddr=mac + b"\\0" * 10, xid=0x4401, flags=0x8000) /
     DHCP(options=[("message-type", "discover"), "end"]))
sendp(p, iface="eth0", verbose=0)
`;

// A BOOTREPLY forged from the server side to the relay: right giaddr, no option 82.
const FORGE_PY = `
from scapy.all import IP, UDP, BOOTP, DHCP, send
mac = bytes.fromhex("020000005501")
p = (IP(src="10.97.0.1", dst="10.97.0.2") / UDP(sport=67, dport=67) /
     BOOTP(op=2, chaddr=mac + b"\\0" * 10, xid=0x5501, yiaddr="192.168.118.140", giaddr="192.168.118.1", flags=0x8000) /
     DHCP(options=[("message-type", "offer"), ("server_id", "10.97.0.1"), "end"]))
send(p, verbose=0)
`;

async function waitFor(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

t.test('Triad DHCP relay in namespaces', { timeout: 300_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'busybox', 'dhcpd', 'tcpdump'], { scapy: true }))) return;
  const lab = new NetnsLab('trl');
  t.teardown(() => lab.cleanup());
  await lab.setupServer('192.168.117.1/24');
  const relayNs = lab.name('rel');
  const farNs = lab.name('far');
  await lab.addNs(relayNs);
  await lab.addNs(farNs);
  await lab.link(lab.serverNs, 'up0', '10.97.0.1/24', relayNs, 'rup', '10.97.0.2/24');
  await lab.link(relayNs, 'rdown', '192.168.118.1/24', farNs, 'eth0', '');
  await sh(`ip -n ${lab.serverNs} route add 192.168.118.0/24 via 10.97.0.2`);
  const conf = lab.file('dhcpd.conf', readFileSync(path.join(REPO_ROOT, 'conf', 'dhcpd.conf'), 'utf8') + SUBNETS);

  const relay = lab.spawnIn(relayNs, process.execPath, [BIN_TRIAD, 'relay', '--interfaces', 'rdown,rup', '--servers', '10.97.0.1', '--agent-information', '--max-hops', '4']);
  await waitFor('relay start', () => relay.output().includes('dhcp relay serving') || relay.exitCode !== null);
  t.match(relay.output(), /dhcp relay serving/, 'triad relay started');

  const capture = (ns: string, dev: string, fn: () => Promise<void>): Promise<string> => lab.capture(ns, dev, fn);

  async function farClient(out: string): Promise<string> {
    await sh(`ip -n ${farNs} addr flush dev eth0`);
    await sh(`UDHCPC_OUT=${lab.dir}/${out} ip netns exec ${farNs} busybox udhcpc -i eth0 -f -q -n -t 6 -T 2 -s ${lab.udhcpcScript()} 2>&1`, 60_000).catch(() => undefined);
    return lab.read(out);
  }

  await t.test('Triad relay → Triad server', async (t) => {
    const server = await lab.startTriad(conf, lab.file('triad.leases'), 'br0,up0');
    let bound = '';
    const clientSide = await capture(farNs, 'eth0', async () => {
      const serverSide = await capture(lab.serverNs, 'up0', async () => {
        bound = await farClient('far1.out');
      });
      t.match(serverSide, /Agent-Information[^]*Circuit-ID SubOption 1, length 5: rdown/, 'option 82 with circuit-id rdown reaches the server');
      t.match(serverSide, /Gateway-IP 192\.168\.118\.1/, 'giaddr is the relay\'s client-side address');
    });
    t.match(bound, /bound ip=192\.168\.118\.1\d\d router=192\.168\.118\.1 /, `client got an address of its own subnet (${bound.trim()})`);
    t.match(clientSide, /DHCP-Message[^]*Offer/, 'the offer reached the client link');
    t.notMatch(clientSide, /Agent-Information/, 'option 82 is stripped on the way back');
    t.match(server.output(), /DHCPACK on 192\.168\.118\.\d+ to \S+ via 192\.168\.118\.1/, 'server saw the relayed request via giaddr');
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  });

  await t.test('hop limit: hops 4 dropped by --max-hops 4, hops 3 relayed', async (t) => {
    const py = (hops: number): string => lab.file(`hops${hops}.py`, HOPS_PY.replace('HOPS', String(hops)));
    const seen = await capture(lab.serverNs, 'up0', async () => {
      await sh(`ip netns exec ${farNs} /usr/bin/python3 ${py(4)}`);
      await sleep(500);
    });
    t.notMatch(seen, /0x4401/, 'nothing relayed for hops 4');
    t.match(relay.output(), /dropping request: hop count 4 reached the limit 4/, 'relay says why');
    const seen3 = await capture(lab.serverNs, 'up0', async () => {
      await sh(`ip netns exec ${farNs} /usr/bin/python3 ${py(3)}`);
      await sleep(500);
    });
    t.match(seen3, /hops 4, xid 0x4401/, 'hops 3 relayed with hops 4');
  });

  await t.test('a forged reply without the relay\'s option 82 is dropped', async (t) => {
    const seen = await capture(farNs, 'eth0', async () => {
      await sh(`ip netns exec ${lab.serverNs} /usr/bin/python3 ${lab.file('forge.py', FORGE_PY)}`);
      await sleep(500);
    });
    t.notMatch(seen, /0x5501/, 'the forged reply never reaches the client link');
    t.match(relay.output(), /dropping reply: reply without option 82/, 'relay dropped it');
  });

  await t.test('Triad relay → ISC dhcpd', async (t) => {
    const iscConf = lab.file('isc.conf', `authoritative;\ndefault-lease-time 600;\n${SUBNETS}`);
    const leases = lab.file('isc.leases', '');
    const isc = lab.spawnIn(lab.serverNs, 'dhcpd', ['-4', '-f', '-d', '-cf', iscConf, '-lf', leases, '-pf', `${lab.dir}/isc.pid`, 'up0']);
    await waitFor('dhcpd start', () => /Sending on/.test(isc.output()) || isc.exitCode !== null);
    let bound = '';
    const clientSide = await capture(farNs, 'eth0', async () => {
      bound = await farClient('far2.out');
    });
    t.match(bound, /bound ip=192\.168\.118\.1\d\d router=192\.168\.118\.1 /, `client got an address from ISC dhcpd (${bound.trim()})`);
    t.match(isc.output(), /DHCPACK on 192\.168\.118\.\d+ to \S+ via 192\.168\.118\.1/, 'dhcpd saw the relayed request');
    await sleep(300);
    t.match(readFileSync(leases, 'utf8'), /option agent\.circuit-id "rdown";/, 'ISC dhcpd recorded option 82 circuit-id rdown');
    t.notMatch(clientSide, /Agent-Information/, 'option 82 stripped on the way back');
    isc.kill('SIGTERM');
  });

  await t.test('relay and server in one process: in-process hand-off', async (t) => {
    relay.kill('SIGTERM');
    const nearNs = lab.name('near');
    await lab.addNs(nearNs);
    await lab.link(lab.serverNs, 'rl0', '192.168.119.1/24', nearNs, 'eth0', '');
    const relayConf = lab.file('isc-dhcp-relay', `SERVERS="192.168.117.1"\nINTERFACES="rl0"\nOPTIONS="-a"\n`);
    const server = await lab.startTriad(conf, lab.file('triad2.leases'), 'br0', ['--relay-conf', relayConf]);
    await waitFor('relay in run', () => server.output().includes('dhcp relay serving'));
    await sh(`UDHCPC_OUT=${lab.dir}/near.out ip netns exec ${nearNs} busybox udhcpc -i eth0 -f -q -n -t 6 -T 2 -s ${lab.udhcpcScript()} 2>&1`, 60_000).catch(() => undefined);
    t.match(lab.read('near.out'), /bound ip=192\.168\.119\.1\d\d router=192\.168\.119\.1 /, `client of the relay link got an address (${lab.read('near.out').trim()})`);
    t.match(server.output(), /to 192\.168\.117\.1 \(in process\)/, 'the request was handed over in process');
    t.match(server.output(), /DHCPACK on 192\.168\.119\.\d+ to \S+ via 192\.168\.119\.1/, 'server decided it via giaddr');
    server.kill('SIGTERM');
  });
});
