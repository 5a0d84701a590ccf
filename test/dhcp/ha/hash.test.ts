// RFC 3074 load-balancing hash: the RFC's table, its walk, and the split of clients.
import t from 'tap';
import { RFC3074_TABLE, clientHashKey, loadBalanceHash, scopeIndex } from '../../../src/dhcp/ha/hash.js';

t.test('the mixing table is a permutation of 0..255', async (t) => {
  t.equal(RFC3074_TABLE.length, 256);
  t.equal(new Set(RFC3074_TABLE).size, 256);
  t.equal(RFC3074_TABLE[0], 251);
  t.equal(RFC3074_TABLE[255], 151);
});

t.test('the hash starts from the key length and walks the key backwards', async (t) => {
  t.equal(loadBalanceHash(new Uint8Array([])), 0);
  // One octet k: T[1 ^ k].
  t.equal(loadBalanceHash(new Uint8Array([0])), RFC3074_TABLE[1]);
  t.equal(loadBalanceHash(new Uint8Array([7])), RFC3074_TABLE[6]);
  // Two octets [a, b]: T[T[2 ^ b] ^ a].
  t.equal(loadBalanceHash(new Uint8Array([3, 9])), RFC3074_TABLE[RFC3074_TABLE[2 ^ 9] ^ 3]);
});

t.test('client-id wins over chaddr; clients split about evenly', async (t) => {
  const mac = Buffer.from('020000000011', 'hex');
  t.equal(clientHashKey(Buffer.from('01020000000011', 'hex'), mac).length, 7);
  t.equal(clientHashKey(Buffer.alloc(0), mac), mac);
  let first = 0;
  for (let i = 0; i < 1000; i++) {
    const m = Buffer.from([2, 0, 0, 0, i >> 8, i & 255]);
    if (scopeIndex(undefined, m) === 0) first++;
  }
  t.ok(first > 400 && first < 600, `${first} of 1000 in the primary's scope`);
});
