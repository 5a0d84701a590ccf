import t from 'tap';
import { arpReply, arpRequest, gratuitousArpFrame, parseArp } from '../../src/net/arp.js';
import { finish, sumRange } from '../../src/net/checksum.js';
import { decapsulateIpip, encapsulateIpip } from '../../src/net/ipip.js';
import { ipNumber } from '../../src/wire/ipv4.js';
import { macBytes } from '../../src/wire/mac.js';

t.test('IPIP: outer header per RFC 2003, inner untouched, round trip', async (t) => {
  const buf = Buffer.alloc(100);
  const inner = 40;
  buf[inner] = 0x45;
  buf[inner + 1] = 0x10;
  buf.writeUInt16BE(40, inner + 2);
  buf[inner + 6] = 0x40; // DF
  for (let i = 20; i < 40; i++) buf[inner + i] = i;
  const copy = Buffer.from(buf.subarray(inner, inner + 40));
  const o = encapsulateIpip(buf, inner, 40, ipNumber('10.0.0.1'), ipNumber('10.0.0.3'));
  t.equal(o, 20);
  t.equal(buf[o], 0x45);
  t.equal(buf[o + 1], 0x10, 'TOS copied');
  t.equal(buf.readUInt16BE(o + 2), 60);
  t.equal(buf[o + 6] & 0x40, 0x40, 'DF copied');
  t.equal(buf[o + 9], 4, 'protocol IPIP');
  t.equal(buf.readUInt32BE(o + 16), ipNumber('10.0.0.3'));
  t.equal(finish(sumRange(buf, o, o + 20)), 0, 'outer checksum valid');
  t.same(buf.subarray(inner, inner + 40), copy);
  t.same(decapsulateIpip(buf, o, 60), { inner: 40, len: 40 });
  t.throws(() => encapsulateIpip(buf, 10, 40, 1, 2), RangeError);
  t.equal(decapsulateIpip(buf, inner, 40), undefined);
});

t.test('ARP request, reply and announcement', async (t) => {
  const me = macBytes('02:00:00:00:00:01');
  const req = arpRequest(macBytes('02:00:00:00:00:09'), ipNumber('10.0.0.2'), ipNumber('10.0.0.100'));
  const p = parseArp(req, 0, req.length)!;
  t.equal(p.op, 1);
  t.equal(p.targetIp, ipNumber('10.0.0.100'));
  const rep = arpReply(p, me);
  const r = parseArp(rep, 0, rep.length)!;
  t.equal(r.op, 2);
  t.same(r.senderMac, me);
  t.equal(r.senderIp, ipNumber('10.0.0.100'));
  t.same(rep.subarray(0, 6), macBytes('02:00:00:00:00:09'), 'unicast to the asker');
  const g = parseArp(gratuitousArpFrame(me, ipNumber('10.0.0.100')), 0, 42)!;
  t.equal(g.senderIp, g.targetIp);
  t.equal(parseArp(req, 0, 41), undefined, 'truncated');
});
