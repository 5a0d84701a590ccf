import t from 'tap';
import { decodeAdvert, encodeAdvert, encodeIpv4, VRRP_GROUP, type Lookup } from '../../src/vrrp/packet.js';
import { parseIPv4 } from '../../src/wire/ipv4.js';

const ip = (s: string): number => parseIPv4(s) as number;
const SRC = ip('10.9.0.1');
const v2 = (authPass?: string): Lookup => (vrid) => (vrid === 51 ? { version: 2, authPass, interval: 100 } : false);
const v3: Lookup = (vrid) => (vrid === 51 ? { version: 3, interval: 100 } : false);

t.test('v2 (RFC 3768): layout, checksum over the message, PASS', async (t) => {
  const m = encodeAdvert({ version: 2, vrid: 51, priority: 150, interval: 100, addresses: [ip('10.9.0.100')], authPass: 'secret' }, SRC, VRRP_GROUP);
  t.equal(m.length, 8 + 4 + 8);
  t.same([...m.subarray(0, 6)], [0x21, 51, 150, 1, 1, 1]);
  t.equal(m.subarray(12, 20).toString('latin1'), 'secret\0\0');
  const d = decodeAdvert(encodeIpv4(m, SRC, VRRP_GROUP), v2('secret'));
  t.ok(d.ok);
  if (d.ok) t.match(d.packet, { version: 2, vrid: 51, priority: 150, interval: 100, addresses: [ip('10.9.0.100')], authPass: 'secret', src: SRC });
  // A v2 advertisement without authentication (vrid 51, priority 100, 192.168.1.100, 1 s): header bytes and the RFC 1071 sum worked out by hand.
  const k = Buffer.from([0x21, 0x33, 0x64, 0x01, 0x00, 0x01, 0x00, 0x00, 192, 168, 1, 100, 0, 0, 0, 0, 0, 0, 0, 0]);
  const ours = encodeAdvert({ version: 2, vrid: 51, priority: 100, interval: 100, addresses: [ip('192.168.1.100')] }, 0, 0);
  t.same([...ours.subarray(0, 6)], [...k.subarray(0, 6)]);
  t.equal(ours.readUInt16BE(6), 0xffff - ((0x2133 + 0x6401 + 0x0001 + 0xc0a8 + 0x0164) % 0xffff), 'RFC 1071 sum of the message');
});

t.test('v3 (RFC 5798): centisecond interval, pseudo-header checksum', async (t) => {
  const m = encodeAdvert({ version: 3, vrid: 51, priority: 200, interval: 50, addresses: [ip('10.9.0.100'), ip('10.9.0.101')] }, SRC, VRRP_GROUP);
  t.equal(m.length, 16);
  t.same([...m.subarray(0, 6)], [0x31, 51, 200, 2, 0, 50]);
  const d = decodeAdvert(encodeIpv4(m, SRC, VRRP_GROUP), v3);
  t.ok(d.ok);
  if (d.ok) t.match(d.packet, { version: 3, priority: 200, interval: 50 });
  // The same message from another source fails: the pseudo-header is part of the sum.
  t.same(decodeAdvert(encodeIpv4(m, ip('10.9.0.2'), VRRP_GROUP), v3), { ok: false, reason: 'bad-checksum' });
});

t.test('forged and malformed advertisements are refused with a reason', async (t) => {
  const good = encodeAdvert({ version: 3, vrid: 51, priority: 100, interval: 100, addresses: [ip('10.9.0.100')] }, SRC, VRRP_GROUP);
  const pkt = encodeIpv4(good, SRC, VRRP_GROUP);
  t.same(decodeAdvert(encodeIpv4(good, SRC, VRRP_GROUP, 64), v3), { ok: false, reason: 'bad-ttl' });
  t.same(decodeAdvert(pkt.subarray(0, 30), v3), { ok: false, reason: 'truncated' });
  t.same(decodeAdvert(pkt.subarray(0, 10), v3), { ok: false, reason: 'truncated' });
  const bad = Buffer.from(pkt);
  bad[20 + 6] ^= 0x55;
  t.same(decodeAdvert(bad, v3), { ok: false, reason: 'bad-checksum' });
  const other = encodeIpv4(encodeAdvert({ version: 3, vrid: 52, priority: 100, interval: 100, addresses: [] }, SRC, VRRP_GROUP), SRC, VRRP_GROUP);
  t.same(decodeAdvert(other, v3), { ok: false, reason: 'unknown-vrid' });
  t.same(decodeAdvert(pkt, v2()), { ok: false, reason: 'bad-version' });
  const plain = encodeIpv4(encodeAdvert({ version: 2, vrid: 51, priority: 100, interval: 100, addresses: [] }, SRC, VRRP_GROUP), SRC, VRRP_GROUP);
  t.same(decodeAdvert(plain, v2('secret')), { ok: false, reason: 'auth-mismatch' });
  const wrongPass = encodeIpv4(encodeAdvert({ version: 2, vrid: 51, priority: 100, interval: 100, addresses: [], authPass: 'other' }, SRC, VRRP_GROUP), SRC, VRRP_GROUP);
  t.same(decodeAdvert(wrongPass, v2('secret')), { ok: false, reason: 'auth-mismatch' });
  const slow = encodeIpv4(encodeAdvert({ version: 2, vrid: 51, priority: 100, interval: 300, addresses: [] }, SRC, VRRP_GROUP), SRC, VRRP_GROUP);
  t.same(decodeAdvert(slow, v2()), { ok: false, reason: 'interval-mismatch' });
  const tcp = Buffer.from(pkt);
  tcp[9] = 6;
  t.same(decodeAdvert(tcp, v3), { ok: false, reason: 'not-vrrp' });
});
