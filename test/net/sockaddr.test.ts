// sockaddr_in / sockaddr_in6 bytes to and from address text (the batched UDP path's addressing).
import t from 'tap';
import net from 'node:net';
import { encodeSockaddr, formatIPv6, SockaddrReader, AF_INET, AF_INET6 } from '../../src/net/sockaddr.js';

t.test('IPv4: encode, decode, port, cached text', async (t) => {
  const b = Buffer.alloc(64);
  t.equal(encodeSockaddr(4, '192.0.2.7', 5353, b, 0), 16);
  t.equal(b.readUInt16LE(0), AF_INET, 'sin_family in host order');
  t.equal(b.readUInt16BE(2), 5353, 'sin_port in network order');
  t.same([...b.subarray(4, 8)], [192, 0, 2, 7]);
  const r = new SockaddrReader();
  t.equal(r.read(b, 0), '192.0.2.7');
  t.equal(r.port, 5353);
  encodeSockaddr(4, '192.0.2.7', 1024, b, 32);
  const first = r.read(b, 0);
  t.equal(r.read(b, 32), first, 'same address: same text');
  t.equal(r.port, 1024, 'port read each time');
  encodeSockaddr(4, '198.51.100.255', 53, b, 32);
  t.equal(r.read(b, 32), '198.51.100.255', 'another address: new text');
  t.equal(encodeSockaddr(4, '2001:db8::1', 53, b, 0), 0, 'IPv6 on an IPv4 socket: not encodable');
  t.equal(encodeSockaddr(4, '256.1.1.1', 53, b, 0), 0);
  t.equal(encodeSockaddr(4, 'localhost', 53, b, 0), 0);
});

t.test('IPv6: encode, decode, mapped IPv4, scope', async (t) => {
  const b = Buffer.alloc(32);
  const r = new SockaddrReader();
  t.equal(encodeSockaddr(6, '2001:db8::1', 53, b, 0), 28);
  t.equal(b.readUInt16LE(0), AF_INET6);
  t.equal(r.read(b, 0), '2001:db8::1');
  t.equal(r.port, 53);
  t.equal(encodeSockaddr(6, '::ffff:10.1.2.3', 5300, b, 0), 28);
  t.equal(r.read(b, 0), '10.1.2.3', 'IPv4-mapped source named as IPv4');
  t.equal(encodeSockaddr(6, '10.1.2.3', 5300, b, 0), 28, 'plain IPv4 on an IPv6 socket becomes mapped');
  t.same([...b.subarray(8, 24)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3]);
  t.equal(encodeSockaddr(6, 'fe80::1%3', 53, b, 0), 28);
  t.equal(b.readUInt32LE(24), 3, 'sin6_scope_id');
  t.equal(r.read(b, 0), 'fe80::1%3', 'link-local: the scope');
  encodeSockaddr(6, 'fe80::1%4', 53, b, 0);
  t.equal(r.read(b, 0), 'fe80::1%4', 'another scope is another address');
  const named = new SockaddrReader((i) => `eth${i}`);
  t.equal(named.read(b, 0), 'fe80::1%eth4', 'the scope by interface name, as dgram writes it');
  encodeSockaddr(6, '2001:db8::5%4', 53, b, 0);
  t.equal(named.read(b, 0), '2001:db8::5', 'no scope written for a global address');
  t.equal(encodeSockaddr(6, '1:2:3:4:5:6:7:8:9', 53, b, 0), 0);
  t.equal(encodeSockaddr(6, '1::2::3', 53, b, 0), 0);
});

t.test('IPv6 text as inet_ntop writes it, round trips', async (t) => {
  const cases: [string, string][] = [
    ['::', '::'],
    ['::1', '::1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['2001:db8:0:2:3:4:5:6', '2001:db8:0:2:3:4:5:6'],
    ['fe80::', 'fe80::'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::1.2.3.4', '::1.2.3.4'],
    ['64:ff9b::c000:201', '64:ff9b::c000:201'],
    ['ABCD::EF', 'abcd::ef'],
  ];
  const b = Buffer.alloc(32);
  for (const [input, text] of cases) {
    t.equal(encodeSockaddr(6, input, 1, b, 0), 28, `${input} encodes`);
    t.equal(formatIPv6(b, 8), text, `${input} → ${text}`);
    t.ok(net.isIPv6(text));
  }
});
