import t from 'tap';
import { buildUdpFrame, parseUdpFrame, ipv4Checksum, udpChecksum, BROADCAST_MAC } from '../../src/net/frame.js';
import { buildEchoRequest, parseEchoReply } from '../../src/net/icmp.js';

t.test('UDP frames: build, checksums, parse', async (t) => {
  const payload = Buffer.from('hello dhcp');
  const f = buildUdpFrame({ srcMac: Buffer.from('020000000001', 'hex'), dstMac: BROADCAST_MAC, srcIp: 0xc0a87501, dstIp: 0xffffffff, srcPort: 67, dstPort: 68, payload });
  t.equal(f.length, 14 + 20 + 8 + payload.length);
  t.equal(ipv4Checksum(f.subarray(14, 34)), 0, 'IPv4 header checksum verifies');
  const udp = Buffer.from(f.subarray(34));
  const sum = udp.readUInt16BE(6);
  udp.writeUInt16BE(0, 6);
  t.equal(udpChecksum(0xc0a87501, 0xffffffff, udp), sum, 'UDP checksum over the pseudo-header');
  const p = parseUdpFrame(f)!;
  t.same([p.srcIp, p.dstIp, p.srcPort, p.dstPort], [0xc0a87501, 0xffffffff, 67, 68]);
  t.same(p.payload, payload);
  t.equal(parseUdpFrame(f.subarray(0, 40)), undefined, 'truncated frame');
  const frag = Buffer.from(f);
  frag.writeUInt16BE(0x2000, 20);
  t.equal(parseUdpFrame(frag), undefined, 'fragments are not parsed');
  const vlan = Buffer.concat([f.subarray(0, 12), Buffer.from([0x81, 0, 0, 5]), f.subarray(12)]);
  t.same(parseUdpFrame(vlan)?.payload, payload, 'one 802.1Q tag');
});

t.test('ICMP echo request and reply', async (t) => {
  const req = buildEchoRequest(0x1234, 7, Buffer.from('x'));
  t.equal(ipv4Checksum(req), 0, 'ICMP checksum verifies');
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip[9] = 1;
  ip.writeUInt32BE(0x0a000001, 12);
  const reply = Buffer.from(req);
  reply[0] = 0;
  t.same(parseEchoReply(Buffer.concat([ip, reply])), { src: 0x0a000001, id: 0x1234, seq: 7 });
  t.equal(parseEchoReply(Buffer.concat([ip, req])), undefined, 'a request is not a reply');
});
