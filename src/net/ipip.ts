// IP in IP encapsulation (RFC 2003 §3.1) for the load balancer's TUN mode: the
// client's datagram, untouched, behind an outer IPv4 header addressed to the real
// server, which decapsulates it on an ipip device and answers the client directly.

import { finish, sumRange } from './checksum.js';
import { PROTO_IPIP } from './ip-frame.js';

export const IPIP_OVERHEAD = 20;

let outerId = 1;

/**
 * Writes an outer IPv4 header in the 20 bytes before `innerIp` (the caller keeps
 * that headroom) and returns the offset of the outer header. RFC 2003 §3.1: TTL of
 * our choosing, DF copied from the inner header, protocol 4.
 */
export function encapsulateIpip(buf: Uint8Array, innerIp: number, innerLen: number, src: number, dst: number, ttl = 64): number {
  const o = innerIp - IPIP_OVERHEAD;
  if (o < 0) throw new RangeError('no headroom for the outer header');
  const total = innerLen + IPIP_OVERHEAD;
  buf[o] = 0x45;
  buf[o + 1] = buf[innerIp + 1]; // TOS copied (RFC 2003 §3.1)
  buf[o + 2] = total >> 8;
  buf[o + 3] = total & 0xff;
  const id = outerId++ & 0xffff;
  buf[o + 4] = id >> 8;
  buf[o + 5] = id & 0xff;
  buf[o + 6] = buf[innerIp + 6] & 0x40; // DF copied, no fragment offset
  buf[o + 7] = 0;
  buf[o + 8] = ttl;
  buf[o + 9] = PROTO_IPIP;
  buf[o + 10] = 0;
  buf[o + 11] = 0;
  buf[o + 12] = src >>> 24;
  buf[o + 13] = (src >>> 16) & 0xff;
  buf[o + 14] = (src >>> 8) & 0xff;
  buf[o + 15] = src & 0xff;
  buf[o + 16] = dst >>> 24;
  buf[o + 17] = (dst >>> 16) & 0xff;
  buf[o + 18] = (dst >>> 8) & 0xff;
  buf[o + 19] = dst & 0xff;
  const c = finish(sumRange(buf, o, o + 20));
  buf[o + 10] = c >> 8;
  buf[o + 11] = c & 0xff;
  return o;
}

/** The inner datagram's offset and length when buf[ip…] is an IPIP packet, else undefined. */
export function decapsulateIpip(buf: Uint8Array, ip: number, len: number): { inner: number; len: number } | undefined {
  if (len < 40 || buf[ip] >> 4 !== 4 || buf[ip + 9] !== PROTO_IPIP) return undefined;
  const ihl = (buf[ip] & 15) * 4;
  const total = (buf[ip + 2] << 8) | buf[ip + 3];
  if (ihl < 20 || total > len || total < ihl + 20) return undefined;
  return { inner: ip + ihl, len: total - ihl };
}
