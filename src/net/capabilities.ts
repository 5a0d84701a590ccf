// Linux capabilities of the calling thread (capabilities(7)) through koffi, as the
// packet sockets reach libc: capset(2) and the prctl(2) operations `triad run -u`
// uses to keep some across setuid and hand them to the tools it runs. Node has no
// API for them.

import koffi from 'koffi';

interface Libc {
  prctl: (op: number, a: number, b: number, c: number, d: number) => number;
  capset: (hdr: Buffer, data: Buffer) => number;
  strerror: (e: number) => string;
}

let libc: Libc | undefined;
function lib(): Libc {
  if (libc) return libc;
  const l = koffi.load('libc.so.6');
  // koffi's function objects are typed loosely; the casts name the C signatures.
  libc = {
    prctl: l.func('int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)') as Libc['prctl'],
    capset: l.func('int capset(void *, void *)') as Libc['capset'],
    strerror: l.func('const char *strerror(int)') as Libc['strerror'],
  };
  return libc;
}

export const PR_CAPBSET_READ = 23;
export const PR_CAPBSET_DROP = 24;
export const PR_SET_KEEPCAPS = 8;
export const PR_CAP_AMBIENT = 47;
export const PR_CAP_AMBIENT_RAISE = 2;
export const PR_CAP_AMBIENT_CLEAR_ALL = 4;
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

/** prctl(2); returns its result (check with `ensure` where failure matters). */
export function prctl(op: number, a = 0, b = 0): number {
  return lib().prctl(op, a, b, 0, 0);
}

/** Throws `what: strerror (errno N)` when `rc` is not 0. */
export function ensure(what: string, rc: number): void {
  if (rc !== 0) {
    const e = koffi.errno();
    throw new Error(`${what}: ${lib().strerror(e)} (errno ${e})`);
  }
}

/** Sets the effective, permitted and inheritable sets of this thread to `mask` (bit N = capability N). */
export function capsetAll(mask: bigint): void {
  const hdr = Buffer.alloc(8);
  hdr.writeUInt32LE(LINUX_CAPABILITY_VERSION_3, 0);
  const data = Buffer.alloc(24);
  const words = [Number(mask & 0xffffffffn), Number(mask >> 32n)];
  for (const [i, word] of words.entries()) {
    data.writeUInt32LE(word, i * 12); // effective
    data.writeUInt32LE(word, i * 12 + 4); // permitted
    data.writeUInt32LE(word, i * 12 + 8); // inheritable (ambient needs it)
  }
  ensure('capset', lib().capset(hdr, data));
}

/** Gives up every capability (ambient ones inherited from the parent too). */
export function shedCapabilities(): void {
  ensure('PR_CAP_AMBIENT_CLEAR_ALL', prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL));
  capsetAll(0n);
}
