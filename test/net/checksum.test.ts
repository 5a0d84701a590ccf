// The ones' complement fold (RFC 1071) over the whole range of sums it is given: the
// fast 32-bit path must agree with plain repeated folding, also past 32 bits.
import t from 'tap';
import { fold16, finish, sumRange } from '../../src/net/checksum.js';

function slowFold(s: number): number {
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

t.test('fold16 agrees with repeated folding at the edges and at random', async (t) => {
  const edges = [0, 1, 0xfffe, 0xffff, 0x10000, 0x1fffe, 0x1ffff, 0xfffeffff, 0xffffffff, 0x100000000, 2 ** 40 + 12345, 2 ** 52 - 1];
  for (const s of edges) t.equal(fold16(s), slowFold(s), `sum 0x${s.toString(16)}`);
  let x = 7;
  let bad = 0;
  for (let i = 0; i < 100_000; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const s = x * (1 + (i % 3 === 0 ? 4096 : 0));
    if (fold16(s) !== slowFold(s)) bad++;
  }
  t.equal(bad, 0, 'no random sum folds differently');
});

t.test('an IPv4 header with its checksum folds to 0xffff', async (t) => {
  const h = Uint8Array.from([0x45, 0, 0, 0x54, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  const c = finish(sumRange(h, 0, 20));
  h[10] = c >> 8;
  h[11] = c & 255;
  t.equal(fold16(sumRange(h, 0, 20)), 0xffff);
});
