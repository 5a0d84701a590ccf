import t from 'tap';
import { formatIPv4, ipNumber, ipv4Bytes, ipv4FromBytes, ipv4FromText, ipv4Mask, ipv4PrefixLength, ipv4ReverseName, ipv4ToText, parseIPv4 } from '../../src/wire/ipv4.js';

t.test('dotted quads to numbers and back', async (t) => {
  t.equal(parseIPv4('0.0.0.0'), 0);
  t.equal(parseIPv4('255.255.255.255'), 0xffffffff);
  t.equal(parseIPv4('192.168.1.10'), 0xc0a8010a);
  t.equal(formatIPv4(0xc0a8010a), '192.168.1.10');
  t.equal(formatIPv4(0xffffffff), '255.255.255.255');
  // dhcpd.conf reads an octet with leading zeros as decimal.
  t.equal(parseIPv4('010.001.000.009'), 0x0a010009);
  for (const bad of ['', '1.2.3', '1.2.3.4.', '.1.2.3', '1..2.3', '1.2.3.256', '1.2.3.0255', '1.2.3.a', ' 1.2.3.4', '1.2.3.4/24']) {
    t.equal(parseIPv4(bad), undefined, `refuses '${bad}'`);
  }
  t.equal(ipNumber('10.0.0.1'), 0x0a000001);
  t.equal(ipNumber('fe80::1'), 0, 'not a dotted quad: 0');
});

t.test('octets: inet_pton strictness for DNS data', async (t) => {
  t.same(ipv4FromText('10.1.2.3'), Uint8Array.of(10, 1, 2, 3));
  t.same(ipv4FromText('0.0.0.0'), Uint8Array.of(0, 0, 0, 0));
  t.equal(ipv4FromText('010.1.2.3'), undefined, 'no leading zero');
  t.equal(ipv4FromText('1.2.3.00'), undefined, 'no leading zero');
  t.equal(ipv4FromText('1.2.3.256'), undefined);
  t.equal(ipv4ToText(Uint8Array.of(9, 9, 10, 1, 2, 3, 4), 3), '1.2.3.4', 'from an offset');
  t.same(ipv4Bytes(0x01020304), Uint8Array.of(1, 2, 3, 4));
  t.equal(ipv4FromBytes(Uint8Array.of(0, 255, 1, 2, 3, 4), 2), 0x01020304, 'from an offset');
  t.equal(ipv4FromBytes(Uint8Array.of(200, 1, 2, 3)), 0xc8010203, 'unsigned');
});

t.test('masks and reverse names', async (t) => {
  t.equal(formatIPv4(ipv4Mask(0)), '0.0.0.0');
  t.equal(formatIPv4(ipv4Mask(24)), '255.255.255.0');
  for (const n of [0, 1, 8, 24, 31, 32]) t.equal(ipv4PrefixLength(ipv4Mask(n)), n, `prefix length of /${n}`);
  t.equal(formatIPv4(ipv4Mask(31)), '255.255.255.254');
  t.equal(formatIPv4(ipv4Mask(32)), '255.255.255.255');
  t.equal(ipv4ReverseName(0xc0a8010a, 'in-addr.arpa.'), '10.1.168.192.in-addr.arpa.');
});
