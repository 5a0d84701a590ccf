// recvmmsg(2) and sendmmsg(2) through koffi, and the pointer helpers their vectors need:
// one binding for every batched socket (DNS over UDP, the packet engine, DHCP's receive).

import koffi from 'koffi';

/** sizeof(struct mmsghdr) and sizeof(struct iovec) on LP64. */
export const MMSG = 64;
export const IOV = 16;

export interface MmsgCalls {
  recvmmsg: (fd: number, vec: Buffer, n: number, flags: number, timeout: null) => number;
  sendmmsg: (fd: number, vec: Buffer, n: number, flags: number) => number;
}

let calls: MmsgCalls | undefined;

/** The two calls; throws where libc or the FFI cannot be loaded. */
export function mmsgCalls(): MmsgCalls {
  if (calls) return calls;
  const l = koffi.load('libc.so.6');
  // koffi's function objects are typed loosely; the casts name the C signatures.
  calls = {
    recvmmsg: l.func('int recvmmsg(int, void *, unsigned int, int, void *)') as MmsgCalls['recvmmsg'],
    sendmmsg: l.func('int sendmmsg(int, void *, unsigned int, int)') as MmsgCalls['sendmmsg'],
  };
  return calls;
}

/** The address of a buffer's first byte (it must stay referenced while the kernel uses it). */
export function addrOf(b: Buffer): number {
  return Number(koffi.address(b) as bigint);
}

/** Writes a 64-bit little-endian pointer at `off`. */
export function wrPtr(b: Buffer, off: number, addr: number): void {
  b.writeUInt32LE(addr % 0x100000000, off);
  b.writeUInt32LE(Math.floor(addr / 0x100000000), off + 4);
}
