// Client hardware addresses and identifiers live as long as the leases that hold them, so
// they are copied into slabs of their own. Buffer.from() would place them in Node's shared
// 8 KiB pool, where one kept address holds a whole chunk of other, short-lived bytes (packet
// copies, option values) in memory: with tens of thousands of leases that is megabytes.

const SLAB = 64 * 1024;
/** Longer values (rare: client identifiers are at most 255 octets) get a slab-sized copy of their own. */
const MAX_SHARED = 256;

let slab = Buffer.allocUnsafeSlow(SLAB);
let used = 0;

/** A copy of `b` that shares memory only with other kept copies. */
export function keptCopy(b: Uint8Array): Buffer {
  const n = b.length;
  if (n > MAX_SHARED) {
    const own = Buffer.allocUnsafeSlow(n);
    own.set(b);
    return own;
  }
  if (used + n > SLAB) {
    slab = Buffer.allocUnsafeSlow(SLAB);
    used = 0;
  }
  const out = slab.subarray(used, used + n);
  out.set(b);
  used += n;
  return out;
}
