import t from 'tap';
import { csumReplace16, csumReplace32, finish, l4ChecksumOk, sumRange } from '../../src/net/checksum.js';
import { newIpFrame, parseIpFrame } from '../../src/net/ip-frame.js';
import { ipNumber } from '../../src/wire/ipv4.js';
import { completePartialChecksum, decrementTtl, rewriteDestination, rewriteSource } from '../../src/lb/nat-rewrite.js';
import { frame, HEAD } from './frames.js';

const ipOk = (buf: Buffer, ip: number, ihl: number) => finish(sumRange(buf, ip, ip + ihl)) === 0;

t.test('RFC 1624 incremental update equals a full recomputation', async (t) => {
  const data = Buffer.from([0x12, 0x34, 0xab, 0xcd, 0xff, 0xff, 0x00, 0x01]);
  const before = finish(sumRange(data, 0, 8));
  data.writeUInt16BE(0x5555, 2);
  t.equal(csumReplace16(before, 0xabcd, 0x5555), finish(sumRange(data, 0, 8)));
  const d2 = Buffer.from([10, 0, 0, 100, 1, 2, 3, 4]);
  const c2 = finish(sumRange(d2, 0, 8));
  d2.writeUInt32BE(ipNumber('10.1.0.2'), 0);
  t.equal(csumReplace32(c2, ipNumber('10.0.0.100'), ipNumber('10.1.0.2')), finish(sumRange(d2, 0, 8)));
});

for (const proto of ['tcp', 'udp'] as const) {
  t.test(`${proto}: destination and source rewrites keep every checksum valid`, async (t) => {
    for (let i = 0; i < 200; i++) {
      const pl = Buffer.alloc(i % 37, i);
      const { buf, len } = frame({ src: '10.0.0.2', dst: '10.0.0.100', proto, sport: 1024 + i * 17, dport: 80, payload: pl, options: i % 3 === 0 ? Buffer.from([1, 1, 1, 0]) : undefined });
      const f = newIpFrame();
      t.equal(parseIpFrame(buf, HEAD, len, f), 'ok');
      t.ok(decrementTtl(buf, f));
      rewriteDestination(buf, f, ipNumber('10.1.0.3'), 8080 + i, false);
      const g = newIpFrame();
      t.equal(parseIpFrame(buf, HEAD, len, g), 'ok', 'IP header checksum still valid');
      t.equal(g.dst, ipNumber('10.1.0.3'));
      t.equal(g.dport, 8080 + i);
      t.equal(buf[g.ip + 8], 63, 'TTL decremented');
      t.ok(l4ChecksumOk(buf, g.l4, g.end, g.src, g.dst, g.proto), 'L4 checksum valid after DNAT');
      rewriteSource(buf, g, ipNumber('10.0.0.100'), 80, false);
      t.ok(ipOk(buf, g.ip, g.ihl) && l4ChecksumOk(buf, g.l4, g.end, g.src, g.dst, g.proto), 'valid after SNAT');
      if (i > 3) break;
    }
  });
}

t.test('partial checksums are completed (TP_STATUS_CSUMNOTREADY)', async (t) => {
  const { buf, len } = frame({ src: '10.0.0.2', dst: '10.0.0.100', payload: Buffer.from('hello world'), partial: true });
  const f = newIpFrame();
  t.equal(parseIpFrame(buf, HEAD, len, f), 'ok');
  t.notOk(l4ChecksumOk(buf, f.l4, f.end, f.src, f.dst, f.proto), 'a partial sum does not verify');
  completePartialChecksum(buf, f);
  t.ok(l4ChecksumOk(buf, f.l4, f.end, f.src, f.dst, f.proto), 'completed in place (DR)');
  const p = frame({ src: '10.0.0.2', dst: '10.0.0.100', proto: 'udp', payload: Buffer.from('x'), partial: true });
  t.equal(parseIpFrame(p.buf, HEAD, p.len, f), 'ok');
  rewriteDestination(p.buf, f, ipNumber('10.1.0.2'), 53, true);
  t.ok(l4ChecksumOk(p.buf, f.l4, f.end, f.src, f.dst, f.proto), 'NAT of a partial frame sums in full');
});

t.test('UDP without checksum stays without, TTL 1 is not forwarded', async (t) => {
  const { buf, len } = frame({ src: '10.0.0.2', dst: '10.0.0.100', proto: 'udp', ttl: 1 });
  const f = newIpFrame();
  parseIpFrame(buf, HEAD, len, f);
  buf.writeUInt16BE(0, f.l4 + 6);
  rewriteDestination(buf, f, ipNumber('10.1.0.2'), 53, false);
  t.equal(buf.readUInt16BE(f.l4 + 6), 0);
  t.notOk(decrementTtl(buf, f));
});
