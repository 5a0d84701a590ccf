// A DHCPREQUEST for an address the server has no record of (and, last, for addresses bound
// to other clients), in every client state (RFC 2131 §4.3.2: SELECTING, INIT-REBOOT,
// RENEWING, REBINDING), on the right and the wrong network, directly and through a relay,
// with and without `authoritative`: the same hand-made packets go to ISC dhcpd 4.4 and to
// Triad, and the answers (ACK, NAK or none, and their key fields) must match. Also: a
// DISCOVER sent again, with its xid or a new one, is offered the same address by both.

import t from 'tap';
import path from 'node:path';
import { NetnsLab, sh, sleep, labPrerequisites } from './netns-lab.js';
import { REPO_ROOT } from '../helpers/paths.js';

const SERVER = '192.168.117.1';
const OTHER_SERVER = '192.168.117.99';

interface Case {
  name: string;
  mac: string;
  xid: number;
  ciaddr?: string;
  giaddr?: string;
  requested?: string;
  sid?: string;
  src?: string;
  dst?: string;
  l2?: 'bcast' | 'server';
  flags?: number;
  type?: 'REQUEST' | 'DISCOVER';
  /** Sent this many times, a second apart (retransmissions), with a new xid each time when newXid. */
  repeat?: number;
  newXid?: boolean;
  /** Triad differs on purpose (README, DHCP's deliberate differences): it stays silent. */
  silentOnPurpose?: boolean;
}

interface Seen {
  type: string;
  yiaddr: string;
  ciaddr: string;
  giaddr: string;
  ipdst: string;
  dport: number;
  ethdst: string;
  broadcastFlag: boolean;
  sid?: string;
  message?: string;
  lease?: number;
}

/** The cases; `n` keeps MACs, xids and addresses apart so no case sees another's state. */
function cases(run: number): Case[] {
  let n = 0;
  const c = (name: string, x: Omit<Case, 'name' | 'mac' | 'xid'>): Case => {
    n++;
    return { name, mac: `02:5${run}:00:00:00:${n.toString(16).padStart(2, '0')}`, xid: 0x10000 * (run + 1) + n, ...x };
  };
  const relay = { giaddr: '10.98.0.1', src: '10.98.0.1', dst: SERVER, l2: 'server' as const };
  const strangeRelay = { giaddr: '10.50.0.1', src: '10.50.0.1', dst: SERVER, l2: 'server' as const };
  const unicast = (ip: string): Partial<Case> => ({ ciaddr: ip, src: ip, dst: SERVER, l2: 'server' });
  const rebind = (ip: string): Partial<Case> => ({ ciaddr: ip, src: ip });
  // A REQUEST naming another server answers that server's offer (RFC 2131 §3.1 step 4):
  // ISC dhcpd still ACKs it when the address is free in its pools, or NAKs it as on the
  // wrong network when authoritative; Triad leaves it to the chosen server.
  const otherServer = { sid: OTHER_SERVER, silentOnPurpose: true };
  return [
    // INIT-REBOOT: requested-address, no server identifier, ciaddr 0, broadcast.
    c('INIT-REBOOT, free pool address', { requested: '192.168.117.120' }),
    c('INIT-REBOOT, on the subnet outside the pools', { requested: '192.168.117.20' }),
    c('INIT-REBOOT, another subnet of ours', { requested: '10.98.0.120' }),
    c('INIT-REBOOT, a network we do not know', { requested: '172.16.5.5' }),
    c('INIT-REBOOT via relay, its subnet', { ...relay, requested: '10.98.0.121' }),
    c('INIT-REBOOT via relay, the wrong subnet', { ...relay, requested: '192.168.117.121' }),
    // SELECTING: server identifier and requested-address, ciaddr 0.
    c('SELECTING, another server, an address of our pool', { requested: '192.168.117.122', ...otherServer }),
    c('SELECTING, another server, an address we do not know', { requested: '172.16.5.6', ...otherServer }),
    c('SELECTING, another server, another subnet of ours', { requested: '10.98.0.122', ...otherServer }),
    c('SELECTING, our identifier, never offered', { requested: '192.168.117.123', sid: SERVER }),
    // RENEWING: unicast to the server, ciaddr set, neither option.
    c('RENEWING, free pool address', unicast('192.168.117.124')),
    c('RENEWING, on the subnet outside the pools', unicast('192.168.117.21')),
    c('RENEWING, another subnet of ours', unicast('10.98.0.124')),
    c('RENEWING, a network we do not know', unicast('172.16.5.7')),
    // REBINDING: broadcast, ciaddr set.
    c('REBINDING, free pool address', rebind('192.168.117.125')),
    c('REBINDING, on the subnet outside the pools', rebind('192.168.117.22')),
    c('REBINDING, another subnet of ours', rebind('10.98.0.125')),
    c('REBINDING, a network we do not know', rebind('172.16.5.8')),
    c('REBINDING via relay, its subnet', { ...relay, ciaddr: '10.98.0.126' }),
    c('REBINDING via relay, the wrong subnet', { ...relay, ciaddr: '192.168.117.126' }),
    // A pool that denies unknown clients.
    c('RENEWING, an address in a pool the client may not use', unicast('10.99.0.124')),
    c('INIT-REBOOT via relay, an address in a pool the client may not use', { giaddr: '10.99.0.1', src: '10.99.0.1', dst: SERVER, l2: 'server', requested: '10.99.0.125' }),
    // A subnet that does not answer unknown clients (`deny unknown-clients;` outside pools).
    c('INIT-REBOOT via relay, a subnet that denies unknown clients', { giaddr: '10.97.0.1', src: '10.97.0.1', dst: SERVER, l2: 'server', requested: '10.97.0.125' }),
    c('RENEWING, a subnet that denies unknown clients', unicast('10.97.0.124')),
    // A relay on a link no subnet declares.
    c('INIT-REBOOT via a relay on a link we do not know', { ...strangeRelay, requested: '192.168.117.127' }),
    c('REBINDING via a relay on a link we do not know', { ...strangeRelay, ciaddr: '192.168.117.128' }),
    // Addresses the cases above bound to other clients.
    c('INIT-REBOOT, an address bound to another client', { requested: '192.168.117.120' }),
    c('RENEWING, an address bound to another client', unicast('192.168.117.124')),
    c('REBINDING, an address bound to another client', rebind('192.168.117.125')),
    // One client, one offer: a DISCOVER sent again is offered the same address.
    c('DISCOVER sent three times with one xid', { type: 'DISCOVER', repeat: 3 }),
    c('DISCOVER sent three times with new xids', { type: 'DISCOVER', repeat: 3, newXid: true }),
    // A host with a fixed address.
    { ...c('INIT-REBOOT, a fixed host asking for a free pool address', { requested: '192.168.117.130' }), mac: pinnedMac(run) },
    { ...c('INIT-REBOOT, a fixed host asking for its own', { requested: '192.168.117.50' }), mac: pinnedMac(run) },
  ];
}

const pinnedMac = (run: number): string => `02:5${run}:00:00:ff:01`;

function conf(authoritative: boolean, run: number): string {
  return `${authoritative ? 'authoritative;\n' : ''}ddns-update-style none;
default-lease-time 600;
max-lease-time 7200;
option domain-name "cafe.babe";
option domain-name-servers ${SERVER};
subnet 192.168.117.0 netmask 255.255.255.0 {
  range 192.168.117.100 192.168.117.199;
  option routers 192.168.117.254;
}
subnet 10.98.0.0 netmask 255.255.255.0 {
  range 10.98.0.100 10.98.0.199;
  option routers 10.98.0.1;
}
subnet 10.99.0.0 netmask 255.255.255.0 {
  pool { range 10.99.0.100 10.99.0.199; deny unknown-clients; }
}
subnet 10.97.0.0 netmask 255.255.255.0 {
  deny unknown-clients;
  range 10.97.0.100 10.97.0.199;
}
host pinned { hardware ethernet ${pinnedMac(run)}; fixed-address 192.168.117.50; }
`;
}

/** What is compared: the reply type and the fields a client acts on. */
function summary(r: Seen[]): string {
  if (r.length === 0) return 'none';
  // The servers pick different free addresses; what must agree is that there is one.
  if (r.every((x) => x.type === 'OFFER')) return `${r.length} OFFERs naming ${new Set(r.map((x) => x.yiaddr)).size} address(es)`;
  return r
    .map((x) => {
      const parts = [x.type, `yiaddr=${x.yiaddr}`, `ciaddr=${x.ciaddr}`, `to=${x.ipdst}:${x.dport}`, `sid=${x.sid ?? '-'}`];
      if (x.type === 'NAK') parts.push(`bflag=${x.broadcastFlag}`);
      if (x.type === 'ACK') parts.push(`lease=${x.lease}`);
      return parts.join(' ');
    })
    .sort()
    .join(' | ');
}

t.test('DHCPREQUEST state by state, for addresses without a record: ISC dhcpd and Triad answer alike', { timeout: 240_000 }, async (t) => {
  if (!(await labPrerequisites(t, ['ip', 'dhcpd', 'python3'], { scapy: true }))) return;
  const lab = new NetnsLab('tdq');
  t.teardown(() => lab.cleanup());
  await lab.setupServer(`${SERVER}/24`);
  // Unicast answers to the clients' and the relay's addresses leave by br0.
  await sh(`ip -n ${lab.serverNs} route add 10.98.0.0/24 dev br0 && ip -n ${lab.serverNs} route add 172.16.5.0/24 dev br0 && ip -n ${lab.serverNs} route add 10.50.0.0/24 dev br0 && ip -n ${lab.serverNs} route add 10.99.0.0/24 dev br0 && ip -n ${lab.serverNs} route add 10.97.0.0/24 dev br0`);
  const ns = await lab.addClient('pr');
  for (const a of ['192.168.117.124/24', '192.168.117.21/24', '192.168.117.125/24', '192.168.117.22/24', '10.98.0.1/24', '10.98.0.124/24', '10.98.0.125/24', '172.16.5.7/24', '172.16.5.8/24', '10.50.0.1/24', '10.99.0.1/24', '10.99.0.124/24', '10.97.0.1/24', '10.97.0.124/24'])
    await sh(`ip -n ${ns} addr add ${a} dev eth0 nodad`);
  const serverMac = (await sh(`ip -n ${lab.serverNs} -br link show br0`)).stdout.trim().split(/\s+/)[2];
  const probe = path.join(REPO_ROOT, 'test', 'dhcp', 'request-probe.py');

  const ask = async (run: number): Promise<Record<string, Seen[]>> => {
    const file = lab.file(`cases-${run}.json`, JSON.stringify(cases(run)));
    const r = await sh(`ip netns exec ${ns} /usr/bin/python3 ${probe} ${file} eth0 ${serverMac} 3`, 60_000);
    return JSON.parse(r.stdout) as Record<string, Seen[]>;
  };

  let run = 0;
  for (const auth of [true, false]) {
    const label = auth ? 'authoritative' : 'not authoritative';
    const cf = lab.file(`dhcpd-${run}.conf`, conf(auth, run));
    // ISC dhcpd 4.4, then Triad, on the same link with the same (fresh) state.
    const isc = lab.spawnIn(lab.serverNs, 'dhcpd', ['-4', '-f', '-d', '-cf', cf, '-lf', lab.file(`isc-${run}.leases`, ''), '-pf', `${lab.dir}/isc-${run}.pid`, 'br0']);
    const end = Date.now() + 15_000;
    while (!/Sending on +LPF\/br0/.test(isc.output())) {
      if (isc.exitCode !== null || Date.now() > end) throw new Error(`dhcpd did not start:\n${isc.output()}`);
      await sleep(100);
    }
    const fromIsc = await ask(run);
    isc.kill('SIGTERM');
    await new Promise((r) => (isc.exitCode !== null ? r(null) : isc.once('exit', r)));
    const triad = await lab.startTriad(cf, path.join(lab.dir, `triad-${run}.leases`), 'br0');
    const fromTriad = await ask(run);
    triad.kill('SIGTERM');
    await new Promise((r) => (triad.exitCode !== null ? r(null) : triad.once('exit', r)));
    for (const c of cases(run)) {
      const want = summary(fromIsc[c.name] ?? []);
      if (c.silentOnPurpose) t.equal(summary(fromTriad[c.name] ?? []), 'none', `${label}: ${c.name}: Triad is silent on purpose (ISC answers ${want})`);
      else t.equal(summary(fromTriad[c.name] ?? []), want, `${label}: ${c.name}: ISC answers ${want}`);
    }
    t.comment(`ISC dhcpd log (${label}):\n${isc.output().split('\n').filter((l) => /DHCPREQUEST|DHCPNAK|DHCPACK/.test(l)).join('\n')}`);
    run++;
  }
});
