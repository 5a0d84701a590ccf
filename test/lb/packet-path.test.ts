// The packet engine's pure per-frame path: NAT/DR/TUN rewrites, ARP answers, ICMP
// "fragmentation needed" toward the right real server, and a fuzz run of malformed
// frames (truncated headers, bad IHL, fragments, IP options, random corruption):
// never a crash, never a malformed frame forwarded.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { arpRequest, parseArp } from '../../src/net/arp.js';
import { finish, l4ChecksumOk, sumRange } from '../../src/net/checksum.js';
import { newIpFrame, parseIpFrame, TCP_ACK, TCP_SYN } from '../../src/net/ip-frame.js';
import { ipNumber } from '../../src/wire/ipv4.js';
import { macBytes } from '../../src/wire/mac.js';
import { buildPathVs, PacketPath, Verdict, type PathServer } from '../../src/lb/packet-path.js';
import { frame, HEAD } from './frames.js';

const LB0 = '02:00:00:00:00:01';
const LB1 = '02:00:00:00:01:01';

function server(ip: string, port: number, outIf: number, mac: string): PathServer {
  return { id: `${ip}:${port}`, ip: ipNumber(ip), port, weight: 1, usable: true, mac: macBytes(mac), outIf, tunSrc: ipNumber('10.0.0.1'), conns: 0, inPkts: 0, inBytes: 0, outPkts: 0, outBytes: 0, activeConns: 0, inactConns: 0 };
}

function makePath(): PacketPath {
  const p = new PacketPath();
  p.ifaces.set(1, { index: 1, mac: macBytes(LB0), mtu: 1500 });
  p.ifaces.set(2, { index: 2, mac: macBytes(LB1), mtu: 1500 });
  const vip = ipNumber('10.0.0.100');
  const add = (port: number, proto: number, kind: 'NAT' | 'DR' | 'TUN', servers: PathServer[]) => {
    const v = buildPathVs({ id: `v${port}${proto}`, vip, port, proto, kind, ifIndex: 1, algo: 'rr', hashPort: false, servers });
    p.vss.set(vip * 0x20000 + port * 2 + (proto === 17 ? 1 : 0), v);
  };
  add(80, 6, 'NAT', [server('10.1.0.2', 8080, 2, '02:00:00:00:02:02'), server('10.1.0.3', 8080, 2, '02:00:00:00:02:03')]);
  add(53, 17, 'NAT', [server('10.1.0.2', 5353, 2, '02:00:00:00:02:02')]);
  add(81, 6, 'DR', [server('10.0.0.3', 81, 1, '02:00:00:00:00:03')]);
  add(90, 17, 'TUN', [server('10.0.0.4', 90, 1, '02:00:00:00:00:04')]);
  p.vipsOn.set(1, new Set([vip]));
  return p;
}

/** The datagram inside an IPIP frame, behind a synthetic Ethernet header. */
const innerOf = (buf: Buffer, start: number, len: number) => Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0]), buf.subarray(start + 34, start + len)]);

const parsed = (buf: Buffer, start: number, len: number) => {
  const f = newIpFrame();
  return { r: parseIpFrame(buf, start, len, f), f };
};

t.test('NAT: client → server rewritten, reply rewritten back to the VIP, checksums valid', async (t) => {
  const p = makePath();
  const { buf, len } = frame({ src: '10.0.0.2', dst: '10.0.0.100', sport: 40000, dport: 80, flags: TCP_SYN, srcMac: '02:00:00:00:00:02', partial: true });
  const r = p.handle(buf, HEAD, len, len, 1, true);
  t.equal(r.verdict, Verdict.Forward);
  t.equal(r.ifIndex, 2);
  const { r: ok, f } = parsed(buf, r.start, r.len);
  t.equal(ok, 'ok');
  t.equal(f.dst, ipNumber('10.1.0.2'));
  t.equal(f.dport, 8080);
  t.ok(l4ChecksumOk(buf, f.l4, f.end, f.src, f.dst, f.proto), 'partial checksum completed');
  t.same(buf.subarray(r.start, r.start + 6), macBytes('02:00:00:00:02:02'));
  t.same(buf.subarray(r.start + 6, r.start + 12), macBytes(LB1));
  const rep = frame({ src: '10.1.0.2', dst: '10.0.0.2', sport: 8080, dport: 40000, flags: TCP_SYN | TCP_ACK, dstMac: LB1 });
  const r2 = p.handle(rep.buf, HEAD, rep.len, rep.len, 2, false);
  t.equal(r2.verdict, Verdict.Forward);
  t.equal(r2.ifIndex, 1);
  const g = parsed(rep.buf, r2.start, r2.len);
  t.equal(g.f.src, ipNumber('10.0.0.100'));
  t.equal(g.f.sport, 80);
  t.ok(l4ChecksumOk(rep.buf, g.f.l4, g.f.end, g.f.src, g.f.dst, g.f.proto));
  t.same(rep.buf.subarray(r2.start, r2.start + 6), macBytes('02:00:00:00:00:02'), 'back to the client MAC');
  const ack = frame({ src: '10.0.0.2', dst: '10.0.0.100', sport: 40000, dport: 80, flags: TCP_ACK });
  t.equal(p.handle(ack.buf, HEAD, ack.len, ack.len, 1, false).verdict, Verdict.Forward);
  t.equal(p.conns.lookupIn(`6:${ipNumber('10.0.0.2')}:40000:${ipNumber('10.0.0.100')}:80`)?.state, 'ESTABLISHED');
  const stray = frame({ src: '10.0.0.2', dst: '10.0.0.100', sport: 40001, dport: 80, flags: TCP_ACK });
  t.equal(p.handle(stray.buf, HEAD, stray.len, stray.len, 1, false).verdict, Verdict.Drop, 'non-SYN without a connection dropped');
  const other = frame({ src: '10.0.0.2', dst: '10.0.0.1', dport: 22 });
  t.equal(p.handle(other.buf, HEAD, other.len, other.len, 1, false).verdict, Verdict.Pass, "the host's own traffic is the kernel's");
  const big = frame({ src: '10.0.0.2', dst: '10.0.0.100', proto: 'udp', dport: 53 });
  t.equal(p.handle(big.buf, HEAD, big.len, 9000, 1, false).reason, 'oversize', 'a GRO superpacket is dropped and counted');
});

t.test('DR rewrites only MACs; TUN prepends IPIP', async (t) => {
  const p = makePath();
  const d = frame({ src: '10.0.0.2', dst: '10.0.0.100', dport: 81, payload: Buffer.from('abc') });
  const before = Buffer.from(d.buf.subarray(HEAD + 14, HEAD + d.len));
  const r = p.handle(d.buf, HEAD, d.len, d.len, 1, false);
  t.equal(r.verdict, Verdict.Forward);
  t.same(d.buf.subarray(r.start + 14, r.start + r.len), before, 'IP datagram untouched');
  t.same(d.buf.subarray(r.start, r.start + 6), macBytes('02:00:00:00:00:03'));
  const u = frame({ src: '10.0.0.2', dst: '10.0.0.100', proto: 'udp', dport: 90, payload: Buffer.from('hi') });
  const r2 = p.handle(u.buf, HEAD, u.len, u.len, 1, false);
  t.equal(r2.verdict, Verdict.Forward);
  t.equal(r2.len, u.len + 20);
  const o = r2.start + 14;
  t.equal(u.buf[o + 9], 4);
  t.equal(u.buf.readUInt32BE(o + 16), ipNumber('10.0.0.4'));
  t.equal(finish(sumRange(u.buf, o, o + 20)), 0);
  const inner = innerOf(u.buf, r2.start, r2.len);
  t.equal(parsed(inner, 0, inner.length).r, 'ok', 'inner datagram intact');
});

t.test('ARP: answers for the VIP only, learns neighbours', async (t) => {
  const p = makePath();
  const learned: string[] = [];
  p.onArp = (i, ip) => learned.push(`${i}/${ip}`);
  const q = arpRequest(macBytes('02:00:00:00:00:02'), ipNumber('10.0.0.2'), ipNumber('10.0.0.100'));
  const buf = Buffer.concat([Buffer.alloc(HEAD), q]);
  const r = p.handle(buf, HEAD, q.length, q.length, 1, false);
  t.equal(r.verdict, Verdict.Reply);
  t.equal(parseArp(r.reply!, 0, 42)?.senderIp, ipNumber('10.0.0.100'));
  t.same(learned, [`1/${ipNumber('10.0.0.2')}`]);
  const q2 = arpRequest(macBytes('02:00:00:00:00:02'), ipNumber('10.0.0.2'), ipNumber('10.0.0.1'));
  t.equal(p.handle(Buffer.concat([Buffer.alloc(HEAD), q2]), HEAD, 42, 42, 1, false).verdict, Verdict.Pass, 'the host answers for its own address');
});

t.test('ICMP fragmentation needed goes to the server owning the connection, rewritten', async (t) => {
  const p = makePath();
  const syn = frame({ src: '10.0.0.2', dst: '10.0.0.100', sport: 41000, dport: 80, flags: TCP_SYN });
  p.handle(syn.buf, HEAD, syn.len, syn.len, 1, false);
  const rs = p.conns.lookupIn(`6:${ipNumber('10.0.0.2')}:41000:${ipNumber('10.0.0.100')}:80`)!.server;
  // The quoted datagram: our reply VIP:80 → client:41000.
  const quoted = frame({ src: '10.0.0.100', dst: '10.0.0.2', sport: 80, dport: 41000, flags: TCP_ACK });
  const q = quoted.buf.subarray(HEAD + 14, HEAD + 14 + 28);
  const icmpBody = Buffer.alloc(8 + q.length);
  icmpBody[0] = 3;
  icmpBody[1] = 4;
  icmpBody.writeUInt16BE(1400, 6);
  q.copy(icmpBody, 8);
  const icmp = frame({ src: '10.0.0.254', dst: '10.0.0.100', proto: 'icmp', payload: Buffer.alloc(icmpBody.length - 8) });
  const l4 = HEAD + 14 + 20;
  icmpBody.copy(icmp.buf, l4);
  icmp.buf.writeUInt16BE(0, l4 + 2);
  icmp.buf.writeUInt16BE(finish(sumRange(icmp.buf, l4, l4 + icmpBody.length)), l4 + 2);
  const r = p.handle(icmp.buf, HEAD, icmp.len, icmp.len, 1, false);
  t.equal(r.verdict, Verdict.Forward, String(r.reason));
  const g = parsed(icmp.buf, r.start, r.len);
  t.equal(g.r, 'ok');
  t.equal(g.f.dst, rs.ip, 'to the real server');
  t.equal(icmp.buf.readUInt32BE(g.f.l4 + 8 + 12), rs.ip, 'quoted source rewritten to the server');
  t.equal(icmp.buf.readUInt16BE(g.f.l4 + 8 + 20), 8080, 'quoted port rewritten');
  t.equal(finish(sumRange(icmp.buf, g.f.l4, g.f.end)), 0, 'ICMP checksum valid');
  const echo = frame({ src: '10.0.0.2', dst: '10.0.0.100', proto: 'icmp' });
  t.equal(p.handle(echo.buf, HEAD, echo.len, echo.len, 1, false).verdict, Verdict.Drop, 'other ICMP to the VIP dropped');
});

function fixIp(b: Buffer, change: () => void): void {
  change();
  b.writeUInt16BE(0, HEAD + 24);
  b.writeUInt16BE(finish(sumRange(b, HEAD + 14, HEAD + 34)), HEAD + 24);
}

t.test('malformed frames: explicit cases', async (t) => {
  const p = makePath();
  const mk = () => frame({ src: '10.0.0.2', dst: '10.0.0.100', proto: 'udp', dport: 53, payload: Buffer.from('x') });
  const cases: Array<[string, (b: Buffer) => number | void]> = [
    ['truncated IP header', () => 14 + 12],
    ['truncated UDP header', () => 14 + 20 + 4],
    ['IHL 3', (b) => void (b[HEAD + 14] = 0x43)],
    ['IHL beyond the frame', (b) => void (b[HEAD + 14] = 0x4f)],
    ['total length beyond the frame', (b) => void b.writeUInt16BE(1400, HEAD + 16)],
    ['bad IP checksum', (b) => void (b[HEAD + 14 + 10] ^= 0xff)],
    ['more fragments', (b) => fixIp(b, () => (b[HEAD + 14 + 6] |= 0x20))],
    ['fragment offset', (b) => fixIp(b, () => (b[HEAD + 14 + 7] = 1))],
    ['version 6', (b) => void (b[HEAD + 14] = 0x65)],
  ];
  for (const [name, mutate] of cases) {
    const { buf, len } = mk();
    const l = mutate(buf);
    const r = p.handle(buf, HEAD, typeof l === 'number' ? l : len, typeof l === 'number' ? l : len, 1, false);
    t.not(r.verdict, Verdict.Forward, `${name}: not forwarded (${r.reason ?? 'passed to the kernel'})`);
    if (name.startsWith('more') || name.startsWith('fragment')) t.equal(r.reason, 'fragment', 'fragments to a VIP are dropped and counted');
  }
  const withOpts = frame({ src: '10.0.0.2', dst: '10.0.0.100', proto: 'udp', dport: 53, options: Buffer.from([0x94, 4, 0, 0]) });
  t.equal(p.handle(withOpts.buf, HEAD, withOpts.len, withOpts.len, 1, false).verdict, Verdict.Forward, 'IP options (router alert) are fine');
});

t.test('fuzz: random corruption never crashes and never forwards a malformed frame', async (t) => {
  const p = makePath();
  let forwarded = 0;
  let bad = 0;
  const N = 60000;
  for (let i = 0; i < N; i++) {
    const kind = i % 4;
    const base = frame({
      src: `10.0.0.${2 + (i % 50)}`, dst: '10.0.0.100', proto: kind === 1 || kind === 3 ? 'udp' : 'tcp', dport: [80, 53, 81, 90][kind], sport: 1024 + (i % 5000),
      flags: i % 3 ? TCP_SYN : TCP_ACK, payload: randomBytes(i % 64), options: i % 7 === 0 ? randomBytes(4 * (i % 10)) : undefined, partial: i % 5 === 0,
    });
    const { buf } = base;
    let len = base.len;
    const nflip = i % 6;
    for (let k = 0; k < nflip; k++) buf[HEAD + Math.floor(Math.random() * len)] = Math.floor(Math.random() * 256);
    if (i % 11 === 0) len = Math.floor(Math.random() * len);
    if (i % 13 === 0) buf[HEAD + 14] = 0x40 | Math.floor(Math.random() * 16);
    const input = Buffer.from(buf.subarray(HEAD, HEAD + len));
    const validIn = parsed(input, 0, len).r === 'ok';
    let r;
    try {
      r = p.handle(buf, HEAD, len, len, 1 + (i % 2), i % 5 === 0);
    } catch (e) {
      t.fail(`threw on frame ${i}: ${(e as Error).message}`);
      break;
    }
    if (r.verdict !== Verdict.Forward) continue;
    forwarded++;
    const tun = buf[r.start + 14 + 9] === 4;
    const o = tun ? innerOf(buf, r.start, r.len) : buf.subarray(r.start, r.start + r.len);
    const out = parsed(o, 0, o.length);
    if (!validIn || out.r !== 'ok') bad++;
  }
  t.equal(bad, 0, 'every forwarded frame was valid on input and is valid on output');
  t.ok(forwarded > 1000, `valid frames still forwarded (${forwarded} of ${N})`);
  t.ok(Object.keys(p.drops).length >= 4, `drops counted by reason: ${JSON.stringify(p.drops)}`);
});

t.test('a VIP that is a VRRP address: forwarded only while held (master), not answered in ARP', async (t) => {
  const p = makePath();
  const vip = ipNumber('10.0.0.200');
  const v = buildPathVs({ id: 'vrrp80', vip, port: 80, proto: 6, kind: 'NAT', ifIndex: 1, algo: 'rr', hashPort: false, follow: true, servers: [server('10.1.0.2', 8080, 2, '02:00:00:00:02:02')] });
  p.vss.set(vip * 0x20000 + 80 * 2, v);
  const syn = () => frame({ src: '10.0.0.2', dst: '10.0.0.200', sport: 40001, dport: 80, flags: TCP_SYN, srcMac: '02:00:00:00:00:02' });
  let f = syn();
  t.match(p.handle(f.buf, HEAD, f.len, f.len, 1, false), { verdict: Verdict.Drop, reason: 'not-master' }, 'backup: dropped and counted');
  t.equal(p.drops['not-master'], 1);
  t.equal(p.conns.size, 0, 'no connection made on the backup');
  const req = arpRequest(macBytes('02:00:00:00:00:02'), ipNumber('10.0.0.2'), vip);
  const buf = Buffer.alloc(HEAD + req.length);
  req.copy(buf, HEAD);
  t.equal(p.handle(buf, HEAD, req.length, req.length, 1, false).verdict, Verdict.Pass, 'ARP left to the kernel');
  p.heldVips.add(vip);
  f = syn();
  t.match(p.handle(f.buf, HEAD, f.len, f.len, 1, false), { verdict: Verdict.Forward, ifIndex: 2 }, 'master: forwarded');
  t.equal(p.conns.size, 1);
});
