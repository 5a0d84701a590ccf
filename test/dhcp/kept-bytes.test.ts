import t from 'tap';
import { keptCopy } from '../../src/dhcp/kept-bytes.js';

t.test('kept copies: equal bytes, in slabs of their own, never in the shared pool', async (t) => {
  const src = Buffer.from([1, 2, 3, 4, 5, 6]); // from Node's shared pool
  const a = keptCopy(src);
  t.same([...a], [1, 2, 3, 4, 5, 6]);
  src[0] = 9;
  t.equal(a[0], 1, 'a copy, not a view');
  t.not(a.buffer, src.buffer, 'not in the pool the source came from');
  const b = keptCopy(Buffer.from([7, 8]));
  t.equal(b.buffer, a.buffer, 'small copies share one slab');
  t.ok(a.buffer.byteLength >= 64 * 1024, 'a slab, not a buffer per copy');
  const big = keptCopy(Buffer.alloc(300, 0xaa));
  t.equal(big.buffer.byteLength, 300, 'a long value gets exactly its own size');
  t.equal(big[299], 0xaa);
  t.equal(keptCopy(Buffer.alloc(0)).length, 0);
  // Filling a slab moves on to a new one.
  let last = b;
  for (let i = 0; i < 20000; i++) last = keptCopy(Buffer.from([i & 255, 1, 2, 3, 4, 5]));
  t.not(last.buffer, a.buffer, 'a full slab is left for a new one');
  t.same([...last], [19999 & 255, 1, 2, 3, 4, 5]);
});
