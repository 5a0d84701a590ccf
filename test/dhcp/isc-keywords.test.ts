// dhcpd.conf keywords that change what the engine answers, as ISC dhcpd 4.4 acts on them:
// billing classes (`lease limit`, `spawn with`), dhcp-cache-threshold, echo-client-id,
// use-host-decl-names, and a relayed DHCPINFORM without ciaddr.
import t from 'tap';
import { parseDhcpdConf } from '../../src/config/dhcpd-conf.js';
import { parseIPv4 as ip, formatIPv4 } from '../../src/config/dhcp-options.js';
import { handleRequest, newEngineState, type LinkInfo, type EngineState, type Decision } from '../../src/dhcp/engine.js';
import { LeaseDb } from '../../src/dhcp/lease.js';
import { formatLease, parseLeaseFile } from '../../src/dhcp/lease-file.js';
import { reusable } from '../../src/dhcp/lease-reuse.js';
import { decodePacket, type DhcpPacket } from '../../src/dhcp/packet.js';
import { validDiscover } from './fuzz-cases.js';

const LINK: LinkInfo = { name: 'eth0', index: 2, mac: Buffer.from('020000000001', 'hex'), addresses: [{ ip: ip('192.168.50.252')!, prefixLen: 24 }] };
const IDS = new Set([ip('192.168.50.252')!]);
const NOW = 1_800_000_000_000;
const SEC = 1000;

function setup(text: string): EngineState {
  const { conf, sink } = parseDhcpdConf('t.conf', text);
  if (sink.hasErrors()) throw new Error(sink.errors.map((e) => e.message).join('; '));
  return newEngineState(conf, new LeaseDb());
}

const str = (s: string): number[] => [...Buffer.from(s, 'latin1')];
const opt = (code: number, data: number[]): number[] => [code, data.length, ...data];
const a4 = (s: string): number[] => s.split('.').map(Number);

function msg(mac: string, type: number, opts: number[][] = [], edit?: (p: DhcpPacket) => void): DhcpPacket {
  const p = decodePacket(validDiscover(mac.split(':').map((h) => parseInt(h, 16)), opts));
  p.options.set(53, Buffer.from([type]));
  edit?.(p);
  return p;
}

const typeOf = (d: Decision): number | undefined => d.reply?.packet.options.get(53)?.[0];
const leaseTime = (d: Decision): number | undefined => d.reply?.packet.options.get(51)?.readUInt32BE(0);

/** DISCOVER then REQUEST (SELECTING) at `at`; returns both decisions. */
function dora(st: EngineState, mac: string, at: number, opts: number[][] = []): { offer: Decision; ack?: Decision } {
  const offer = handleRequest(st, msg(mac, 1, opts), LINK, at, IDS);
  if (!offer.reply) return { offer };
  const yi = formatIPv4(offer.reply.packet.yiaddr);
  const ack = handleRequest(st, msg(mac, 3, [...opts, opt(54, a4('192.168.50.252')), opt(50, a4(yi))]), LINK, at, IDS);
  return { offer, ack };
}

const POOL = `
authoritative;
ping-check off;
default-lease-time 50;
max-lease-time 50;
subnet 192.168.50.0 netmask 255.255.255.0 { pool { range 192.168.50.100 192.168.50.103; } }
`;

t.test('lease limit: a full billing class gets no lease; a release frees its place', async (t) => {
  const st = setup(`${POOL}
class "vnd1001" { match if option vendor-class-identifier = "vnd1001"; lease limit 1; }
`);
  const vci = [opt(60, str('vnd1001'))];
  const first = dora(st, '02:00:00:00:00:11', NOW, vci);
  t.equal(typeOf(first.ack!), 5, 'first member: ACK');
  t.same(first.ack!.commit[0].billing, { cls: 'vnd1001' }, 'its lease is billed to the class');
  const second = handleRequest(st, msg('02:00:00:00:00:22', 1, vci), LINK, NOW + SEC, IDS);
  t.notOk(second.reply, 'second member: no OFFER');
  t.match(second.log(), "no available billing: lease limit reached in all matching classes (last: 'vnd1001')", 'dhcpd\'s log line');
  const other = dora(st, '02:00:00:00:00:33', NOW + SEC);
  t.equal(typeOf(other.ack!), 5, 'a client outside the class is not limited');
  t.notOk(other.ack!.commit[0].billing, '…and its lease is billed to nothing');
  const again = handleRequest(st, msg('02:00:00:00:00:11', 3, vci, (p) => (p.ciaddr = first.ack!.reply!.packet.yiaddr)), LINK, NOW + 40 * SEC, IDS);
  t.equal(typeOf(again), 5, 'the billed client renews: its lease stays billed, not counted twice');
  handleRequest(st, msg('02:00:00:00:00:11', 7, vci, (p) => (p.ciaddr = first.ack!.reply!.packet.yiaddr)), LINK, NOW + 41 * SEC, IDS);
  const after = dora(st, '02:00:00:00:00:22', NOW + 42 * SEC, vci);
  t.equal(typeOf(after.ack!), 5, 'after a RELEASE the next member gets a lease');
});

t.test('lease limit: an expired lease no longer counts; a REQUEST over the limit is dropped', async (t) => {
  const st = setup(`${POOL}
class "c" { match if option vendor-class-identifier = "c"; lease limit 1; }
`);
  const vci = [opt(60, str('c'))];
  t.equal(typeOf(dora(st, '02:00:00:00:00:01', NOW, vci).ack!), 5);
  const req = handleRequest(st, msg('02:00:00:00:00:02', 3, [...vci, opt(50, a4('192.168.50.101')), opt(54, a4('192.168.50.252'))]), LINK, NOW + SEC, IDS);
  t.notOk(req.reply, 'REQUEST from a second member while the first holds its lease: silence, as dhcpd');
  t.match(req.log(), 'no available billing');
  t.equal(typeOf(dora(st, '02:00:00:00:00:02', NOW + 51 * SEC, vci).ack!), 5, 'the first lease expired: the class has room again');
});

t.test('lease limit in subclasses and spawned subclasses counts per subclass', async (t) => {
  const st = setup(`${POOL}
class "vendor-classes" { match option vendor-class-identifier; }
subclass "vendor-classes" "4491" { lease limit 1; }
subclass "vendor-classes" "free";
class "site" { match if exists agent.circuit-id; spawn with option agent.circuit-id; lease limit 1; }
`);
  const v = [opt(60, str('4491'))];
  t.equal(typeOf(dora(st, '02:00:00:00:00:01', NOW, v).ack!), 5);
  t.notOk(handleRequest(st, msg('02:00:00:00:00:02', 1, v), LINK, NOW, IDS).reply, 'subclass "4491" is full');
  t.ok(handleRequest(st, msg('02:00:00:00:00:03', 1, [opt(60, str('free'))]), LINK, NOW, IDS).reply, 'a subclass without a limit is not limited');
  const relay = (circuit: string) => (p: DhcpPacket): void => {
    p.giaddr = ip('192.168.50.1')!;
    p.options.set(82, Buffer.from([1, circuit.length, ...str(circuit)]));
  };
  const d1 = handleRequest(st, msg('02:00:00:00:01:01', 1, [], relay('A')), LINK, NOW, IDS);
  const y1 = d1.reply!.packet.yiaddr;
  const a1 = handleRequest(st, msg('02:00:00:00:01:01', 3, [opt(54, a4('192.168.50.252')), opt(50, a4(formatIPv4(y1)))], relay('A')), LINK, NOW, IDS);
  t.same(a1.commit[0].billing, { cls: 'site', sub: Buffer.from('A').toString('hex') }, 'billed to the spawned subclass for circuit A');
  t.notOk(handleRequest(st, msg('02:00:00:00:01:02', 1, [], relay('A')), LINK, NOW, IDS).reply, 'circuit A is full');
  t.ok(handleRequest(st, msg('02:00:00:00:01:03', 1, [], relay('B')), LINK, NOW, IDS).reply, 'circuit B has its own limit');
});

t.test('billing is kept in the lease file as dhcpd writes it', async (t) => {
  const base = { ip: ip('192.168.50.100')!, starts: 1_800_000_000, ends: 1_800_000_050, state: 'active' as const };
  const text = formatLease({ ...base, billing: { cls: 'vnd1001' } }) + formatLease({ ...base, ip: ip('192.168.50.101')!, billing: { cls: 'vendor-classes', sub: Buffer.from('4491').toString('hex') } }) + formatLease({ ...base, ip: ip('192.168.50.102')!, billing: { cls: 'site', sub: '0001ff' } });
  t.match(text, 'billing class "vnd1001";');
  t.match(text, 'billing subclass "vendor-classes" "4491";');
  t.match(text, 'billing subclass "site" 00:01:ff;');
  const back = parseLeaseFile('t.leases', text).leases;
  t.same(back.get(ip('192.168.50.100')!)!.billing, { cls: 'vnd1001' });
  t.same(back.get(ip('192.168.50.101')!)!.billing, { cls: 'vendor-classes', sub: '34343931' });
  t.same(back.get(ip('192.168.50.102')!)!.billing, { cls: 'site', sub: '0001ff' });
});

t.test('dhcp-cache-threshold: default 25 %, early renewals get the lease unchanged', async (t) => {
  const st = setup(POOL.replace(/50;/g, '90;'));
  const mac = '02:00:00:00:00:01';
  const first = dora(st, mac, NOW);
  t.equal(leaseTime(first.ack!), 90);
  t.equal(first.ack!.commit.length, 1, 'a new lease is written');
  const early = dora(st, mac, NOW + 1 * SEC);
  t.equal(leaseTime(early.offer), 89, 'OFFER: what is left of the lease');
  t.equal(leaseTime(early.ack!), 89, 'ACK: what is left of the lease');
  t.same(early.ack!.commit, [], 'nothing to write');
  t.match(early.ack!.log(), 'reuse_lease: lease age 1 (secs) under 25% threshold, reply with unaltered, existing lease for 192.168.50.100');
  const renew = handleRequest(st, msg(mac, 3, [], (p) => (p.ciaddr = ip('192.168.50.100')!)), LINK, NOW + 22 * SEC, IDS);
  t.equal(leaseTime(renew), 68, 'age 22 s ≤ 22 s (25 % of 90, rounded down): still reused');
  const late = handleRequest(st, msg(mac, 3, [], (p) => (p.ciaddr = ip('192.168.50.100')!)), LINK, NOW + 23 * SEC, IDS);
  t.equal(leaseTime(late), 90, 'past the threshold: a fresh lease');
  t.equal(late.commit.length, 1);
  t.notMatch(late.log(), 'reuse_lease');
});

t.test('dhcp-cache-threshold 0 turns reuse off; a billing change extends the lease', async (t) => {
  const off = setup(`${POOL}\ndhcp-cache-threshold 0;\n`);
  dora(off, '02:00:00:00:00:01', NOW);
  t.equal(leaseTime(dora(off, '02:00:00:00:00:01', NOW + SEC).ack!), 50, 'threshold 0: always a fresh lease');
  const st = setup(`${POOL}
dhcp-cache-threshold 20;
class "vnd1001" { match if option vendor-class-identifier = "vnd1001"; lease limit 4; }
`);
  const mac = '02:00:00:00:00:02';
  const vci = [opt(60, str('vnd1001'))];
  dora(st, mac, NOW);
  const moved = dora(st, mac, NOW + SEC, vci);
  t.equal(leaseTime(moved.ack!), 50, 'now billed to a class: the lease is renewed, not reused');
  const same = dora(st, mac, NOW + 2 * SEC, vci);
  t.equal(leaseTime(same.ack!), 49, 'same class again, age 1 s under 20 %: reused');
  t.match(same.ack!.log(), 'under 20% threshold');
  const left = dora(st, mac, NOW + 3 * SEC);
  t.equal(leaseTime(left.ack!), 50, 'left the class: renewed');
});

t.test('reusable(): the rules on their own', async (t) => {
  const l = { ip: 1, starts: 1000, ends: 1100, state: 'active' as const };
  t.same(reusable(l, 1010, undefined, false), { remaining: 90, age: 10, threshold: 25 });
  t.equal(reusable(l, 1026, undefined, false), undefined, 'past 25 %');
  t.same(reusable(l, 1026, 150, false)?.threshold, undefined, '≥ 100 means the default (25 %), and 26 s is past it');
  t.same(reusable(l, 1050, 50, false)?.remaining, 50);
  t.equal(reusable(l, 1001, 0, false), undefined, '0: off');
  t.equal(reusable(l, 1001, undefined, true), undefined, 'blocked');
  t.equal(reusable({ ...l, state: 'free' }, 1001, undefined, false), undefined, 'not active');
  t.equal(reusable({ ...l, ends: Infinity }, 1001, undefined, false), undefined, 'infinite lease');
});

t.test('echo-client-id (RFC 6842): OFFER, ACK and NAK carry the client identifier', async (t) => {
  const id = opt(61, str('rec1234'));
  const off = setup(`${POOL}`);
  const d0 = dora(off, '02:00:00:00:00:01', NOW, [id]);
  t.notOk(d0.offer.reply!.packet.options.has(61), 'off (the default): not echoed');
  const st = setup(`${POOL}\necho-client-id on;\noption dhcp-client-identifier "cfg1234";\n`);
  const d = dora(st, '02:00:00:00:00:02', NOW, [id, opt(55, [17])]);
  t.equal(d.offer.reply!.packet.options.get(61)!.toString(), 'rec1234', 'OFFER: the client\'s own, though not asked for');
  t.ok(d.offer.reply!.order.includes(61));
  t.equal(d.ack!.reply!.packet.options.get(61)!.toString(), 'rec1234', 'ACK');
  const nak = handleRequest(st, msg('02:00:00:00:00:02', 3, [id, opt(50, a4('172.16.1.100')), opt(54, a4('192.168.50.252'))]), LINK, NOW, IDS);
  t.equal(typeOf(nak), 6);
  t.equal(nak.reply!.packet.options.get(61)!.toString(), 'rec1234', 'NAK');
  t.ok(nak.reply!.order.includes(61));
  const anon = handleRequest(st, msg('02:00:00:00:00:03', 1, [opt(55, [17])]), LINK, NOW, IDS);
  t.equal(anon.reply!.packet.options.get(61)!.toString(), 'cfg1234', 'no identifier sent: the configured one, always sent when echoing');
  t.ok(anon.reply!.order.includes(61));
  const nak2 = handleRequest(st, msg('02:00:00:00:00:03', 3, [opt(50, a4('172.16.1.100')), opt(54, a4('192.168.50.252'))]), LINK, NOW, IDS);
  t.notOk(nak2.reply!.packet.options.has(61), 'a NAK echoes only what the client sent');
});

t.test('echo-client-id per class', async (t) => {
  const st = setup(`${POOL}
class "echo" { match if substring(option host-name, 0, 4) = "echo"; echo-client-id on; }
`);
  const id = opt(61, str('rec1234'));
  const e = handleRequest(st, msg('02:00:00:00:00:01', 1, [id, opt(12, str('echo'))]), LINK, NOW, IDS);
  t.equal(e.reply!.packet.options.get(61)!.toString(), 'rec1234', 'member: echoed');
  const nak = handleRequest(st, msg('02:00:00:00:00:01', 3, [id, opt(12, str('echo')), opt(50, a4('172.16.1.100')), opt(54, a4('192.168.50.252'))]), LINK, NOW, IDS);
  t.equal(nak.reply!.packet.options.get(61)!.toString(), 'rec1234', 'member NAK: echoed');
  const n = handleRequest(st, msg('02:00:00:00:00:02', 1, [id, opt(12, str('noecho'))]), LINK, NOW, IDS);
  t.notOk(n.reply!.packet.options.has(61), 'not a member: not echoed');
});

t.test('use-host-decl-names: the host declaration\'s name as option 12, unless the host sets one', async (t) => {
  const st = setup(`
authoritative;
subnet 192.168.50.0 netmask 255.255.255.0 { }
group { use-host-decl-names on; host cartmen { hardware ethernet 02:00:00:00:00:10; fixed-address 192.168.50.10; } }
group { use-host-decl-names on; host kenny { hardware ethernet 02:00:00:00:00:11; fixed-address 192.168.50.11; option host-name "notkenny"; } }
group { use-host-decl-names off; host kyle { hardware ethernet 02:00:00:00:00:12; fixed-address 192.168.50.12; } }
`);
  const offer = (mac: string): Decision => handleRequest(st, msg(mac, 1), LINK, NOW, IDS);
  t.equal(offer('02:00:00:00:00:10').reply!.packet.options.get(12)!.toString(), 'cartmen');
  t.equal(offer('02:00:00:00:00:11').reply!.packet.options.get(12)!.toString(), 'notkenny');
  t.notOk(offer('02:00:00:00:00:12').reply!.packet.options.has(12));
  const unknown = msg('ff:01:02:03:ff:04', 1);
  unknown.options.clear();
  unknown.cookie = false;
  t.notOk(handleRequest(st, unknown, LINK, NOW, IDS).reply, 'BOOTP from a MAC no host declares, no range: no reply (and never the host\'s address)');
});

t.test('DHCPINFORM relayed without ciaddr is answered through the relay', async (t) => {
  const st = setup(`${POOL}\noption path-mtu-aging-timeout 85;\n`);
  const d = handleRequest(st, msg('02:00:00:00:00:01', 8, [opt(55, [24])], (p) => ((p.giaddr = ip('192.168.50.3')!), (p.hops = 1))), LINK, NOW, IDS);
  t.equal(typeOf(d), 5, 'DHCPACK');
  t.equal(d.reply!.packet.options.get(24)!.readUInt32BE(0), 85);
  t.notOk(d.reply!.packet.options.has(51), 'no lease time');
  t.same(d.reply!.dest, { kind: 'relay', ip: ip('192.168.50.3'), port: 67 });
  const direct = handleRequest(st, msg('02:00:00:00:00:01', 8, [opt(55, [24])]), LINK, NOW, IDS);
  t.notOk(direct.reply, 'not relayed and no ciaddr: nowhere to answer');
});

t.test('boolean words are read without regard to case, as dhcpd reads them', async (t) => {
  const st = setup(`${POOL}\noption ip-forwarding True;\noption mask-supplier OFF;\nping-check On;\n`);
  const d = handleRequest(st, msg('02:00:00:00:00:01', 1, [opt(55, [19, 30])]), LINK, NOW, IDS);
  t.same([...d.reply!.packet.options.get(19)!], [1], 'True');
  t.same([...d.reply!.packet.options.get(30)!], [0], 'OFF');
  t.equal(st.conf.global.params.pingCheck, true, 'On');
  t.throws(() => setup(`${POOL}\noption ip-forwarding yes;\n`), /boolean value/, 'other words are still errors');
});
