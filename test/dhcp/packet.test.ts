import t from 'tap';
import { DecodeError, decodePacket, encodePacket, emptyPacket, BOOTREPLY, MAGIC_COOKIE } from '../../src/dhcp/packet.js';
import { validDiscover, fuzzCase, rng } from './fuzz-cases.js';

const MAC = [0x02, 0, 0, 0, 0, 0x11];
const throwsDecode = (fn: () => unknown): boolean => {
  try {
    fn();
    return false;
  } catch (e) {
    return e instanceof DecodeError;
  }
};

t.test('decodes PAD, zero-length client id, option 82 and split long options', async (t) => {
  const long = Array.from({ length: 300 }, (_, i) => i & 255);
  const pkt = validDiscover(MAC, [[0, 0, 0], [61, 0], [82, 4, 1, 2, 0x72, 0x64], [43, 255, ...long.slice(0, 255)], [43, 45, ...long.slice(255)]]);
  const p = decodePacket(pkt);
  t.equal(p.options.get(53)?.[0], 1);
  t.equal(p.options.get(61)?.length, 0, 'zero-length option 61 kept');
  t.same([...p.options.get(82)!], [1, 2, 0x72, 0x64]);
  t.same([...p.options.get(43)!], long, 'RFC 3396: instances concatenated');
});

t.test('option overload: options in file and sname; no loops', async (t) => {
  const b = validDiscover(MAC, [[52, 1, 3]]);
  Buffer.from([12, 3, 0x61, 0x62, 0x63, 52, 1, 3, 255]).copy(b, 108); // file: host-name + a nested overload
  Buffer.from([15, 2, 0x78, 0x79, 255]).copy(b, 44); // sname: domain-name
  const p = decodePacket(b);
  t.equal(p.options.get(12)?.toString(), 'abc');
  t.equal(p.options.get(15)?.toString(), 'xy');
  t.same([...p.options.get(52)!], [3], 'only the main area overload counts');
  t.ok(throwsDecode(() => decodePacket(validDiscover(MAC, [[52, 1, 9]]))), 'bad overload value');
});

t.test('malformed input only ever throws DecodeError', async (t) => {
  t.ok(throwsDecode(() => decodePacket(Buffer.alloc(100))), 'short message');
  t.ok(throwsDecode(() => decodePacket(Buffer.concat([validDiscover(MAC).subarray(0, 240), Buffer.from([61, 9, 1])]))), 'option overrunning the end');
  const r = rng(7);
  let other = 0;
  for (let i = 0; i < 20000; i++) {
    try {
      decodePacket(fuzzCase(r, i));
    } catch (e) {
      if (!(e instanceof DecodeError)) other++;
    }
  }
  t.equal(other, 0, 'no other exception over 20,000 fuzz cases');
});

t.test('BOOTP without cookie', async (t) => {
  const b = validDiscover(MAC).subarray(0, 300);
  b.fill(0, 236);
  const p = decodePacket(Buffer.from(b));
  t.equal(p.cookie, false);
  t.equal(p.options.size, 0);
  const out = encodePacket({ ...p, op: BOOTREPLY }, { order: [] });
  t.equal(out.length, 300, 'reply in BOOTP format, 300 octets');
  t.not(out.readUInt32BE(236), MAGIC_COOKIE);
});

t.test('encoding: order, padding, long options, overload when the client is small', async (t) => {
  const p = emptyPacket();
  p.op = BOOTREPLY;
  p.options.set(53, Buffer.from([2]));
  p.options.set(54, Buffer.from([10, 0, 0, 1]));
  p.options.set(1, Buffer.from([255, 255, 255, 0]));
  p.options.set(3, Buffer.from([10, 0, 0, 1]));
  const short = encodePacket(p, { order: [53, 54, 1, 3] });
  t.equal(short.length, 300, 'padded to 300 octets (BOOTP_MIN_LEN)');
  t.same([...short.subarray(240, 246)], [53, 1, 2, 54, 4, 10], 'options in the given order');
  const big = Buffer.alloc(600, 7);
  p.options.set(43, big);
  const enc = encodePacket(p, { order: [53, 54, 1, 3, 43], maxSize: 1500 });
  t.same(decodePacket(Buffer.from(enc.map((x, i) => (i === 0 ? 1 : x)))).options.get(43), big, '600-octet option split and rejoined');
  // 20 options of 30 octets do not fit 548 octets: the rest go to file/sname with option 52.
  const q = emptyPacket();
  q.op = BOOTREPLY;
  q.options.set(53, Buffer.from([5]));
  const order = [53];
  for (let c = 100; c < 112; c++) {
    q.options.set(c, Buffer.alloc(28, c));
    order.push(c);
  }
  const e2 = encodePacket(q, { order });
  t.ok(e2.length <= 548, `fits the default size (${e2.length})`);
  const back = decodePacket(Buffer.from(e2.map((x, i) => (i === 0 ? 1 : x))));
  t.ok(back.options.has(52), 'overload option present');
  t.equal(back.options.get(53)?.[0], 5, 'message type in the main area');
  t.ok([...q.options.keys()].filter((c) => back.options.has(c)).length >= 11, 'overloaded options decoded back');
});
