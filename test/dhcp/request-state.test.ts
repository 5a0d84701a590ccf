// DHCPREQUEST decisions state by state (RFC 2131 §4.3.2), for addresses the server has no
// record of. The expected answers are ISC dhcpd 4.4's, observed on the wire
// (request-states.netns.test.ts puts the same cases to both servers).

import t from 'tap';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { parseIPv4 as ip } from '../../src/config/dhcp-options.js';
import { handleRequest, newEngineState, type LinkInfo, type EngineState } from '../../src/dhcp/engine.js';
import { LeaseDb } from '../../src/dhcp/lease.js';
import { decodePacket, type DhcpPacket } from '../../src/dhcp/packet.js';
import { arrivalNetworkChecked, classifyRequest } from '../../src/dhcp/request-state.js';
import { validDiscover } from './fuzz-cases.js';

const conf = (auth: boolean): string => `
${auth ? 'authoritative;' : ''}
default-lease-time 600;
subnet 192.168.117.0 netmask 255.255.255.0 { range 192.168.117.100 192.168.117.199; }
subnet 10.98.0.0 netmask 255.255.255.0 { range 10.98.0.100 10.98.0.199; }
host pinned { hardware ethernet 02:00:00:00:ff:01; fixed-address 192.168.117.50; }
`;
const LINK: LinkInfo = { name: 'br0', index: 3, mac: Buffer.from('020000000001', 'hex'), addresses: [{ ip: ip('192.168.117.1')!, prefixLen: 24 }] };
const IDS = new Set([ip('192.168.117.1')!]);
const NOW = 1_800_000_000_000;

function setup(auth: boolean): EngineState {
  const { conf: c, sink } = parseDhcpdConf('t.conf', conf(auth));
  if (sink.hasErrors()) throw new Error(sink.errors.map((e) => e.message).join('; '));
  return newEngineState(c, new LeaseDb());
}

const a4 = (s: string): number[] => s.split('.').map(Number);

interface Req {
  requested?: string;
  sid?: string;
  ciaddr?: string;
  giaddr?: string;
  broadcast?: boolean;
  mac?: string;
}

function request(r: Req): DhcpPacket {
  const opts: number[][] = [];
  if (r.requested) opts.push([50, 4, ...a4(r.requested)]);
  if (r.sid) opts.push([54, 4, ...a4(r.sid)]);
  const p = decodePacket(validDiscover((r.mac ?? '02:00:00:00:00:01').split(':').map((h) => parseInt(h, 16)), opts));
  p.options.set(53, Buffer.from([3]));
  if (r.ciaddr) p.ciaddr = ip(r.ciaddr)!;
  if (r.giaddr) {
    p.giaddr = ip(r.giaddr)!;
    p.hops = 1;
  }
  return p;
}

function answer(st: EngineState, r: Req): string {
  const d = handleRequest(st, request(r), LINK, NOW, IDS, r.broadcast ?? r.ciaddr === undefined);
  const type = d.reply?.packet.options.get(53)?.[0];
  return type === 5 ? 'ACK' : type === 6 ? 'NAK' : 'none';
}

const relay = { giaddr: '10.98.0.1' };
// [case, request, with authoritative, without]
const TABLE: [string, Req, string, string][] = [
  ['INIT-REBOOT, free pool address', { requested: '192.168.117.120' }, 'ACK', 'ACK'],
  ['INIT-REBOOT, on the subnet outside the pools', { requested: '192.168.117.20' }, 'none', 'none'],
  ['INIT-REBOOT, another subnet of ours', { requested: '10.98.0.120' }, 'NAK', 'none'],
  ['INIT-REBOOT, a network we do not know', { requested: '172.16.5.5' }, 'NAK', 'none'],
  ['INIT-REBOOT via relay, its subnet', { ...relay, requested: '10.98.0.121' }, 'ACK', 'ACK'],
  ['INIT-REBOOT via relay, the wrong subnet', { ...relay, requested: '192.168.117.121' }, 'NAK', 'none'],
  ['SELECTING, another server (silent on purpose)', { requested: '192.168.117.122', sid: '192.168.117.99' }, 'none', 'none'],
  ['SELECTING, another server, a network we do not know', { requested: '172.16.5.6', sid: '192.168.117.99' }, 'none', 'none'],
  ['SELECTING, our identifier, never offered', { requested: '192.168.117.123', sid: '192.168.117.1' }, 'ACK', 'ACK'],
  ['SELECTING, our identifier, another subnet of ours', { requested: '10.98.0.123', sid: '192.168.117.1' }, 'NAK', 'none'],
  ['RENEWING, free pool address', { ciaddr: '192.168.117.124', broadcast: false }, 'ACK', 'ACK'],
  ['RENEWING, on the subnet outside the pools', { ciaddr: '192.168.117.21', broadcast: false }, 'none', 'none'],
  ['RENEWING, another subnet of ours (a client behind a router)', { ciaddr: '10.98.0.124', broadcast: false }, 'ACK', 'ACK'],
  ['RENEWING, a network we do not know', { ciaddr: '172.16.5.7', broadcast: false }, 'none', 'none'],
  ['REBINDING, free pool address', { ciaddr: '192.168.117.125', broadcast: true }, 'ACK', 'ACK'],
  ['REBINDING, on the subnet outside the pools', { ciaddr: '192.168.117.22', broadcast: true }, 'none', 'none'],
  ['REBINDING, another subnet of ours', { ciaddr: '10.98.0.125', broadcast: true }, 'ACK', 'ACK'],
  ['REBINDING, a network we do not know', { ciaddr: '172.16.5.8', broadcast: true }, 'none', 'none'],
  ['REBINDING via relay, its subnet', { ...relay, ciaddr: '10.98.0.126' }, 'ACK', 'ACK'],
  ['REBINDING via relay, the wrong subnet', { ...relay, ciaddr: '192.168.117.126' }, 'NAK', 'none'],
  ['INIT-REBOOT via a relay on a link we do not know', { giaddr: '10.50.0.1', requested: '192.168.117.127' }, 'NAK', 'none'],
  ['REBINDING via a relay on a link we do not know', { giaddr: '10.50.0.1', ciaddr: '192.168.117.128' }, 'NAK', 'none'],
  ['INIT-REBOOT via a relay on a link we do not know, for an address we do not know', { giaddr: '10.50.0.1', requested: '172.16.9.9' }, 'none', 'none'],
  ['INIT-REBOOT, a fixed host asking for another address', { mac: '02:00:00:00:ff:01', requested: '192.168.117.130' }, 'NAK', 'NAK'],
  ['INIT-REBOOT, a fixed host asking for its own', { mac: '02:00:00:00:ff:01', requested: '192.168.117.50' }, 'ACK', 'ACK'],
];

t.test('no record of the address: ISC dhcpd 4.4\'s answers, state by state', async (t) => {
  for (const auth of [true, false]) {
    const st = setup(auth);
    for (const [name, req, withAuth, without] of TABLE) t.equal(answer(st, req), auth ? withAuth : without, `${auth ? 'authoritative' : 'not authoritative'}: ${name}`);
  }
});

t.test('an address bound to another client is NAKed in every state, authoritative or not', async (t) => {
  for (const auth of [true, false]) {
    const st = setup(auth);
    t.equal(answer(st, { requested: '192.168.117.140', mac: '02:00:00:00:00:aa' }), 'ACK', 'bound to client aa');
    for (const r of [{ requested: '192.168.117.140' }, { ciaddr: '192.168.117.140', broadcast: false }, { ciaddr: '192.168.117.140', broadcast: true }])
      t.equal(answer(st, r), 'NAK', `${auth ? 'authoritative' : 'not authoritative'}: ${JSON.stringify(r)}`);
  }
});

t.test('an address offered to another client, or declined, is NAKed', async (t) => {
  const st = setup(false);
  const bare = handleRequest(st, request({ mac: '02:00:00:00:00:cc' }), LINK, NOW, IDS);
  t.equal(bare.reply, undefined, 'INIT-REBOOT without requested-address: dropped');
  // A DISCOVER: the same packet with message type 1.
  const d = request({ mac: '02:00:00:00:00:cc' });
  d.options.set(53, Buffer.from([1]));
  const offered = handleRequest(st, d, LINK, NOW, IDS).reply!.packet.yiaddr;
  const dotted = [offered >>> 24, (offered >>> 16) & 255, (offered >>> 8) & 255, offered & 255].join('.');
  t.equal(answer(st, { requested: dotted }), 'NAK', `${dotted}, on offer to another client`);
  const dec = request({ mac: '02:00:00:00:00:dd', requested: '192.168.117.160' });
  dec.options.set(53, Buffer.from([4]));
  handleRequest(st, dec, LINK, NOW, IDS);
  t.equal(answer(st, { requested: '192.168.117.160' }), 'NAK', 'a declined (abandoned) address');
});

t.test('the client\'s own address is ACKed in every state; a NAK carries the broadcast flag', async (t) => {
  const st = setup(false);
  const mine = '02:00:00:00:00:bb';
  t.equal(answer(st, { mac: mine, requested: '192.168.117.150', sid: '192.168.117.1' }), 'ACK');
  t.equal(answer(st, { mac: mine, requested: '192.168.117.150' }), 'ACK', 'INIT-REBOOT');
  t.equal(answer(st, { mac: mine, ciaddr: '192.168.117.150', broadcast: false }), 'ACK', 'RENEWING');
  t.equal(answer(st, { mac: mine, ciaddr: '192.168.117.150', broadcast: true }), 'ACK', 'REBINDING');
  const nak = handleRequest(st, request({ requested: '192.168.117.150' }), LINK, NOW, IDS, true).reply!;
  t.equal(nak.packet.flags & 0x8000, 0x8000, 'broadcast flag set, as ISC sets it');
  t.same(nak.dest, { kind: 'broadcast' });
});

t.test('classifyRequest and where the network is checked', async (t) => {
  t.match(classifyRequest(request({ requested: '1.2.3.4', sid: '5.6.7.8' })), { state: 'SELECTING', target: ip('1.2.3.4'), serverId: ip('5.6.7.8') });
  t.match(classifyRequest(request({ requested: '1.2.3.4' })), { state: 'INIT-REBOOT', target: ip('1.2.3.4') });
  t.match(classifyRequest(request({ ciaddr: '1.2.3.4' }), false), { state: 'RENEWING', target: ip('1.2.3.4') });
  t.match(classifyRequest(request({ ciaddr: '1.2.3.4' }), true), { state: 'REBINDING' });
  t.match(classifyRequest(request({ ciaddr: '1.2.3.4', giaddr: '10.0.0.1' }), false), { state: 'REBINDING' });
  t.equal(classifyRequest(request({})).target, undefined, 'INIT-REBOOT without requested-address names nothing');
  t.ok(arrivalNetworkChecked(request({ requested: '1.2.3.4' })), 'no address yet: checked');
  t.ok(arrivalNetworkChecked(request({ ciaddr: '1.2.3.4', giaddr: '10.0.0.1' })), 'relayed: checked');
  t.notOk(arrivalNetworkChecked(request({ ciaddr: '1.2.3.4' })), 'a client with an address and no relay: its address decides');
});

t.test('deny unknown-clients and deny booting hold for REQUESTs as for DISCOVERs', async (t) => {
  const { conf: c, sink } = parseDhcpdConf(
    't.conf',
    `authoritative;
subnet 192.168.117.0 netmask 255.255.255.0 { range 192.168.117.100 192.168.117.199; deny unknown-clients; }
host known { hardware ethernet 02:00:00:00:ee:01; }
host barred { hardware ethernet 02:00:00:00:ee:02; deny booting; }
`,
  );
  if (sink.hasErrors()) throw new Error(sink.errors.map((e) => e.message).join('; '));
  const st = newEngineState(c, new LeaseDb());
  t.equal(answer(st, { requested: '192.168.117.120' }), 'none', 'an unknown client: INIT-REBOOT unanswered');
  t.equal(answer(st, { ciaddr: '192.168.117.121', broadcast: false }), 'none', 'an unknown client: RENEWING unanswered');
  t.equal(answer(st, { mac: '02:00:00:00:ee:01', requested: '192.168.117.122' }), 'ACK', 'a known client is served');
  t.equal(answer(st, { mac: '02:00:00:00:ee:02', requested: '192.168.117.123' }), 'none', 'a host with deny booting: unanswered');
});
