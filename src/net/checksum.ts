// Internet checksum helpers over byte ranges (RFC 1071), and the incremental
// update of RFC 1624 (eqn. 3: HC' = ~(~HC + ~m + m')) used when NAT rewrites
// addresses and ports, so a rewrite costs a few additions, not a pass over the data.

/** Ones' complement sum of buf[start, end) as 16-bit big-endian words, not folded. */
export function sumRange(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let s = initial;
  let i = start;
  const last = end - 1;
  for (; i < last; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (i < end) s += buf[i] << 8;
  return s;
}

/** Folds a sum to 16 bits (no complement). */
export function fold16(s: number): number {
  // Every per-packet sum (a header, a frame under 64 KiB) fits 32 bits: two folds with shifts.
  if (s <= 0xffffffff) {
    s = (s & 0xffff) + (s >>> 16);
    return (s & 0xffff) + (s >>> 16);
  }
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** The checksum field value for a sum: ~fold. */
export function finish(s: number): number {
  return ~fold16(s) & 0xffff;
}

/** RFC 1624 eqn. 3 for one 16-bit word changing from `old` to `neu`. */
export function csumReplace16(hc: number, old: number, neu: number): number {
  return ~fold16((~hc & 0xffff) + (~old & 0xffff) + (neu & 0xffff)) & 0xffff;
}

/** RFC 1624 for a 32-bit value (an IPv4 address) changing. */
export function csumReplace32(hc: number, old: number, neu: number): number {
  const s = (~hc & 0xffff) + (~(old >>> 16) & 0xffff) + (~old & 0xffff) + ((neu >>> 16) & 0xffff) + (neu & 0xffff);
  return ~fold16(s) & 0xffff;
}

/** IPv4 pseudo-header sum (RFC 793 §3.1, RFC 768) for an L4 segment of `len` bytes. */
export function pseudoSum(src: number, dst: number, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

/**
 * Recomputes the TCP/UDP checksum of the segment at buf[l4, end) in place.
 * `csumAt` is the field's offset inside the segment (16 TCP, 6 UDP).
 */
export function fillL4Checksum(buf: Uint8Array, l4: number, end: number, src: number, dst: number, proto: number, csumAt: number): void {
  buf[l4 + csumAt] = 0;
  buf[l4 + csumAt + 1] = 0;
  let c = finish(sumRange(buf, l4, end, pseudoSum(src, dst, proto, end - l4)));
  if (c === 0 && proto === 17) c = 0xffff; // RFC 768: 0 means "no checksum"
  buf[l4 + csumAt] = c >> 8;
  buf[l4 + csumAt + 1] = c & 0xff;
}

/** Verifies an L4 checksum over the pseudo-header (true when it sums to 0xffff). */
export function l4ChecksumOk(buf: Uint8Array, l4: number, end: number, src: number, dst: number, proto: number): boolean {
  return fold16(sumRange(buf, l4, end, pseudoSum(src, dst, proto, end - l4))) === 0xffff;
}
