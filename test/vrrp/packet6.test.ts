import t from 'tap';
import { decodeAdvert6, encodeAdvert6, VRRP_GROUP6, type Lookup } from '../../src/vrrp/packet.js';
import { encodeUnsolicitedNa } from '../../src/vrrp/na.js';
import { parseIfInet6 } from '../../src/net/raw-ip6.js';
import { ip6Bytes } from '../../src/vrrp/ipv6.js';

const LL = ip6Bytes('fe80::1');
const v3: Lookup = (vrid) => (vrid === 51 ? { version: 3, interval: 100 } : false);

t.test('VRRPv3 for IPv6 (RFC 5798 §5): layout, 16-byte addresses, checksum over the IPv6 pseudo-header', async (t) => {
  const m = encodeAdvert6({ vrid: 51, priority: 150, interval: 100, addresses: [ip6Bytes('fd00::100')] }, LL, VRRP_GROUP6);
  t.equal(m.length, 8 + 16);
  t.same([...m.subarray(0, 6)], [0x31, 51, 150, 1, 0, 100]);
  // Worked out independently (RFC 8200 §8.1 pseudo-header: src, dst, length, next header 112).
  t.equal(m.readUInt16BE(6), 0x3c47);
  t.same(m.subarray(8), ip6Bytes('fd00::100'));
  const d = decodeAdvert6(m, LL, VRRP_GROUP6, 255, v3);
  t.ok(d.ok);
  if (d.ok) t.match(d.packet, { vrid: 51, priority: 150, interval: 100, hopLimit: 255 });
  if (d.ok) t.same(d.packet.addresses, [ip6Bytes('fd00::100')]);
  const two = encodeAdvert6({ vrid: 51, priority: 100, interval: 4095 * 2, addresses: [ip6Bytes('fd00::1'), ip6Bytes('2001:db8::2')] }, LL, VRRP_GROUP6);
  const d2 = decodeAdvert6(two, LL, VRRP_GROUP6, 255, v3);
  t.ok(d2.ok && d2.packet.addresses.length === 2 && d2.packet.interval === 4095, 'two addresses; the interval is capped at 12 bits');
});

t.test('receive checks: hop limit, link-local source, checksum (with the pseudo-header), version, VRID, truncation', async (t) => {
  const m = encodeAdvert6({ vrid: 51, priority: 150, interval: 100, addresses: [ip6Bytes('fd00::100')] }, LL, VRRP_GROUP6);
  const reason = (r: ReturnType<typeof decodeAdvert6>): string => (r.ok ? 'ok' : r.reason);
  t.equal(reason(decodeAdvert6(m, LL, VRRP_GROUP6, 254, v3)), 'bad-ttl', 'hop limit 254');
  t.equal(reason(decodeAdvert6(m, LL, VRRP_GROUP6, -1, v3)), 'bad-ttl', 'hop limit unknown');
  const global = ip6Bytes('fd00::1');
  const fromGlobal = encodeAdvert6({ vrid: 51, priority: 150, interval: 100, addresses: [] }, global, VRRP_GROUP6);
  t.equal(reason(decodeAdvert6(fromGlobal, global, VRRP_GROUP6, 255, v3)), 'bad-source', 'a global source on multicast');
  t.equal(reason(decodeAdvert6(fromGlobal, global, VRRP_GROUP6, 255, v3, true)), 'ok', 'a global source allowed for unicast peers');
  t.equal(reason(decodeAdvert6(m, ip6Bytes('fe80::2'), VRRP_GROUP6, 255, v3)), 'bad-checksum', 'another source: the pseudo-header does not match');
  t.equal(reason(decodeAdvert6(m, LL, ip6Bytes('ff02::1'), 255, v3)), 'bad-checksum', 'another destination');
  const flipped = Buffer.from(m);
  flipped[2] ^= 1;
  t.equal(reason(decodeAdvert6(flipped, LL, VRRP_GROUP6, 255, v3)), 'bad-checksum');
  const v2 = Buffer.from(m);
  v2[0] = 0x21;
  t.equal(reason(decodeAdvert6(v2, LL, VRRP_GROUP6, 255, v3)), 'bad-version');
  t.equal(reason(decodeAdvert6(m, LL, VRRP_GROUP6, 255, () => false)), 'unknown-vrid');
  t.equal(reason(decodeAdvert6(m.subarray(0, 20), LL, VRRP_GROUP6, 255, v3)), 'truncated');
  t.equal(reason(decodeAdvert6(m.subarray(0, 5), LL, VRRP_GROUP6, 255, v3)), 'truncated');
});

t.test('unsolicited Neighbor Advertisement (RFC 4861 §4.4, §7.2.6): override set, solicited clear, target link-layer option', async (t) => {
  const na = encodeUnsolicitedNa(ip6Bytes('fd00::100'), Buffer.from([2, 0, 0, 0, 0, 0x42]));
  t.equal(na.length, 32);
  t.equal(na[0], 136);
  t.equal(na[1], 0);
  t.equal(na[4], 0x20, 'O flag only');
  t.same(na.subarray(8, 24), ip6Bytes('fd00::100'));
  t.same([...na.subarray(24, 32)], [2, 1, 2, 0, 0, 0, 0, 0x42]);
});

t.test('/proc/net/if_inet6: link-local and tentative addresses of one interface', async (t) => {
  const text = [
    'fe80000000000000b0ad1cfffe5e0a01 00000002 40 20 80     eth0',
    'fd000077000000000000000000000100 00000002 40 00 c0     eth0',
    'fe80000000000000000000000000abcd 00000003 40 20 c0     eth1',
    '00000000000000000000000000000001 00000001 80 10 80       lo',
  ].join('\n');
  const a = parseIfInet6(text, 'eth0');
  t.equal(a.length, 2);
  t.match(a[0], { linkLocal: true, tentative: false, prefixLen: 64 });
  t.match(a[1], { linkLocal: false, tentative: true });
  t.same(a[0].addr, ip6Bytes('fe80::b0ad:1cff:fe5e:a01'));
  t.match(parseIfInet6(text, 'eth1')[0], { tentative: true });
});
