// Test frames: Ethernet/IPv4/TCP|UDP|ICMP with correct checksums, placed after
// headroom as the packet engine receives them.
import { fillL4Checksum, finish, sumRange } from '../../src/net/checksum.js';
import { ipNumber } from '../../src/wire/ipv4.js';
import { macBytes } from '../../src/wire/mac.js';

export const HEAD = 64;

export interface FrameSpec {
  dstMac?: string;
  srcMac?: string;
  src: string;
  dst: string;
  proto?: 'tcp' | 'udp' | 'icmp';
  sport?: number;
  dport?: number;
  flags?: number;
  payload?: Buffer;
  ttl?: number;
  options?: Buffer;
  /** Leave the L4 checksum as the pseudo-header sum (CHECKSUM_PARTIAL). */
  partial?: boolean;
}

/** Returns a buffer with HEAD bytes of headroom, then the frame; `len` is the frame's length. */
export function frame(s: FrameSpec): { buf: Buffer; len: number } {
  const proto = s.proto ?? 'tcp';
  const pl = s.payload ?? Buffer.alloc(0);
  const opts = s.options ?? Buffer.alloc(0);
  const ihl = 20 + opts.length;
  const l4len = proto === 'tcp' ? 20 : 8;
  const total = ihl + l4len + pl.length;
  const buf = Buffer.alloc(HEAD + 14 + total + 8);
  const b = HEAD;
  macBytes(s.dstMac ?? '02:00:00:00:00:01').copy(buf, b);
  macBytes(s.srcMac ?? '02:00:00:00:00:02').copy(buf, b + 6);
  buf.writeUInt16BE(0x0800, b + 12);
  const ip = b + 14;
  buf[ip] = 0x40 | (ihl / 4);
  buf.writeUInt16BE(total, ip + 2);
  buf[ip + 8] = s.ttl ?? 64;
  buf[ip + 9] = proto === 'tcp' ? 6 : proto === 'udp' ? 17 : 1;
  const src = ipNumber(s.src);
  const dst = ipNumber(s.dst);
  buf.writeUInt32BE(src, ip + 12);
  buf.writeUInt32BE(dst, ip + 16);
  opts.copy(buf, ip + 20);
  buf.writeUInt16BE(finish(sumRange(buf, ip, ip + ihl)), ip + 10);
  const l4 = ip + ihl;
  if (proto === 'icmp') {
    pl.copy(buf, l4 + 8);
    buf[l4] = 8;
    buf.writeUInt16BE(finish(sumRange(buf, l4, l4 + 8 + pl.length)), l4 + 2);
    return { buf, len: 14 + total };
  }
  buf.writeUInt16BE(s.sport ?? 40000, l4);
  buf.writeUInt16BE(s.dport ?? 80, l4 + 2);
  if (proto === 'tcp') {
    buf[l4 + 12] = 5 << 4;
    buf[l4 + 13] = s.flags ?? 0x02;
    buf.writeUInt16BE(65535, l4 + 14);
  } else buf.writeUInt16BE(8 + pl.length, l4 + 4);
  pl.copy(buf, l4 + l4len);
  const end = l4 + l4len + pl.length;
  const at = proto === 'tcp' ? 16 : 6;
  if (s.partial) {
    const ps = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + buf[ip + 9] + (end - l4);
    let f = ps;
    while (f > 0xffff) f = (f & 0xffff) + (f >>> 16);
    buf.writeUInt16BE(f, l4 + at);
  } else fillL4Checksum(buf, l4, end, src, dst, buf[ip + 9], at);
  return { buf, len: 14 + total };
}
