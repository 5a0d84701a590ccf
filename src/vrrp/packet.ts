// VRRP advertisements on the wire: version 2 (RFC 3768 §5.1) and version 3 for IPv4
// (RFC 5798 §5.1), encoded and decoded from whole IPv4 datagrams as a raw socket of
// protocol 112 hands them over. Decoding checks what RFC 5798 §7.1 says a receiver
// must check before the state machine sees the packet; every refusal has a reason
// the service counts.

import { finish, fold16, pseudoSum, sumRange } from '../net/checksum.js';

export const IPPROTO_VRRP = 112;
/** 224.0.0.18 (RFC 5798 §5.1.1.2). */
export const VRRP_GROUP = 0xe0000012;
export const VRRP_TTL = 255;
const TYPE_ADVERTISEMENT = 1;
const AUTH_NONE = 0;
const AUTH_PASS = 1;
const AUTH_LEN = 8;

export interface Advert {
  version: 2 | 3;
  vrid: number;
  priority: number;
  /** Centiseconds (v2's whole seconds × 100). */
  interval: number;
  /** IPv4 addresses as numbers. */
  addresses: number[];
  /** v2 only: the simple password (auth type 1), else undefined. */
  authPass?: string;
}

export interface Received extends Advert {
  src: number;
  dst: number;
  ttl: number;
}

export type DropReason = 'truncated' | 'not-vrrp' | 'bad-ttl' | 'bad-version' | 'bad-type' | 'bad-checksum' | 'unknown-vrid' | 'auth-mismatch' | 'interval-mismatch';

export type Decoded = { ok: true; packet: Received } | { ok: false; reason: DropReason };

/** The VRRP part (what follows the IPv4 header) of an advertisement. */
export function encodeAdvert(a: Advert, src: number, dst: number): Buffer {
  const n = a.addresses.length;
  const len = 8 + 4 * n + (a.version === 2 ? AUTH_LEN : 0);
  const b = Buffer.alloc(len);
  b[0] = (a.version << 4) | TYPE_ADVERTISEMENT;
  b[1] = a.vrid;
  b[2] = a.priority;
  b[3] = n;
  if (a.version === 2) {
    b[4] = a.authPass !== undefined ? AUTH_PASS : AUTH_NONE;
    b[5] = Math.max(1, Math.round(a.interval / 100)) & 0xff;
  } else {
    b.writeUInt16BE(Math.min(0xfff, Math.round(a.interval)) & 0x0fff, 4);
  }
  for (let i = 0; i < n; i++) b.writeUInt32BE(a.addresses[i] >>> 0, 8 + 4 * i);
  if (a.version === 2 && a.authPass !== undefined) b.write(a.authPass.slice(0, AUTH_LEN), 8 + 4 * n, 'latin1');
  // v2: the checksum covers the VRRP message only (RFC 3768 §5.3.8); v3 adds the IPv4 pseudo-header (RFC 5798 §5.2.8).
  const init = a.version === 3 ? pseudoSum(src, dst, IPPROTO_VRRP, len) : 0;
  b.writeUInt16BE(finish(sumRange(b, 0, len, init)), 6);
  return b;
}

/** A whole IPv4 datagram around a VRRP message (for tests and forged packets). */
export function encodeIpv4(payload: Buffer, src: number, dst: number, ttl = VRRP_TTL): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + payload.length, 2);
  h[8] = ttl;
  h[9] = IPPROTO_VRRP;
  h.writeUInt32BE(src >>> 0, 12);
  h.writeUInt32BE(dst >>> 0, 16);
  h.writeUInt16BE(finish(sumRange(h, 0, 20)), 10);
  return Buffer.concat([h, payload]);
}

/** The local instance with this VRID on the receiving interface (its version, v2 PASS, interval), or false. */
export type Lookup = (vrid: number) => { version: 2 | 3; authPass?: string; interval: number } | false;

/** Decodes and validates one received IPv4 datagram (RFC 5798 §7.1, RFC 3768 §7.1). */
export function decodeAdvert(d: Uint8Array, lookup: Lookup): Decoded {
  if (d.length < 20 || d[0] >> 4 !== 4) return { ok: false, reason: 'truncated' };
  const ihl = (d[0] & 0x0f) * 4;
  const total = (d[2] << 8) | d[3];
  if (ihl < 20 || d.length < ihl + 8 || total < ihl + 8 || total > d.length) return { ok: false, reason: 'truncated' };
  if (d[9] !== IPPROTO_VRRP) return { ok: false, reason: 'not-vrrp' };
  const ttl = d[8];
  const rd32 = (o: number): number => ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0;
  const src = rd32(12);
  const dst = rd32(16);
  const v = ihl;
  const len = total - ihl;
  const version = d[v] >> 4;
  const n = d[v + 3];
  const need = 8 + 4 * n + (version === 2 ? AUTH_LEN : 0);
  if (len < need) return { ok: false, reason: 'truncated' };
  if (ttl !== VRRP_TTL) return { ok: false, reason: 'bad-ttl' };
  if (version !== 2 && version !== 3) return { ok: false, reason: 'bad-version' };
  if ((d[v] & 0x0f) !== TYPE_ADVERTISEMENT) return { ok: false, reason: 'bad-type' };
  const init = version === 3 ? pseudoSum(src, dst, IPPROTO_VRRP, len) : 0;
  if (fold16(sumRange(d, v, v + len, init)) !== 0xffff) return { ok: false, reason: 'bad-checksum' };
  const vrid = d[v + 1];
  const local = lookup(vrid);
  if (local === false) return { ok: false, reason: 'unknown-vrid' };
  if (local.version !== version) return { ok: false, reason: 'bad-version' };
  const addresses: number[] = [];
  for (let i = 0; i < n; i++) addresses.push(rd32(v + 8 + 4 * i));
  const pkt: Received = { version, vrid, priority: d[v + 2], interval: 0, addresses, src, dst, ttl };
  if (version === 2) {
    const authType = d[v + 4];
    pkt.interval = d[v + 5] * 100;
    if (authType === AUTH_PASS) {
      const raw = Buffer.from(d.subarray(v + 8 + 4 * n, v + 8 + 4 * n + AUTH_LEN));
      const z = raw.indexOf(0);
      pkt.authPass = raw.subarray(0, z < 0 ? AUTH_LEN : z).toString('latin1');
    }
    // RFC 3768 §7.1: the authentication type and data must match the local configuration.
    if ((authType === AUTH_PASS) !== (local.authPass !== undefined) || (authType !== AUTH_NONE && authType !== AUTH_PASS) || pkt.authPass !== local.authPass) {
      return { ok: false, reason: 'auth-mismatch' };
    }
    // RFC 3768 §7.1: an advertisement interval other than ours is dropped.
    if (pkt.interval !== local.interval) return { ok: false, reason: 'interval-mismatch' };
  } else {
    pkt.interval = ((d[v + 4] << 8) | d[v + 5]) & 0x0fff;
  }
  return { ok: true, packet: pkt };
}

// --- IPv6 (RFC 5798, version 3 only) ------------------------------------------

/** ff02::12 (RFC 5798 §5.1.2.2). */
export const VRRP_GROUP6 = Buffer.from('ff020000000000000000000000000012', 'hex');
export const VRRP_HOP_LIMIT = 255;

export interface Advert6 {
  vrid: number;
  priority: number;
  /** Centiseconds. */
  interval: number;
  /** IPv6 addresses, 16 bytes each. */
  addresses: Buffer[];
}

export interface Received6 extends Advert6 {
  src: Buffer;
  dst: Buffer;
  hopLimit: number;
}

export type Decoded6 = { ok: true; packet: Received6 } | { ok: false; reason: DropReason | 'bad-source' };

/** IPv6 pseudo-header sum (RFC 8200 §8.1) for an upper-layer packet of `len` bytes. */
export function pseudoSum6(src: Uint8Array, dst: Uint8Array, proto: number, len: number): number {
  return sumRange(src, 0, 16, sumRange(dst, 0, 16, 0)) + Math.floor(len / 0x10000) + (len & 0xffff) + proto;
}

/** A VRRPv3 advertisement for IPv6 (what follows the IPv6 header), checksummed over the pseudo-header (RFC 5798 §5.2.8). */
export function encodeAdvert6(a: Advert6, src: Uint8Array, dst: Uint8Array): Buffer {
  const n = a.addresses.length;
  const len = 8 + 16 * n;
  const b = Buffer.alloc(len);
  b[0] = (3 << 4) | TYPE_ADVERTISEMENT;
  b[1] = a.vrid;
  b[2] = a.priority;
  b[3] = n;
  b.writeUInt16BE(Math.min(0xfff, Math.round(a.interval)) & 0x0fff, 4);
  a.addresses.forEach((x, i) => x.copy(b, 8 + 16 * i, 0, 16));
  b.writeUInt16BE(finish(sumRange(b, 0, len, pseudoSum6(src, dst, IPPROTO_VRRP, len))), 6);
  return b;
}

/**
 * Validates one advertisement received on an IPv6 raw socket (the kernel strips the
 * IPv6 header; source, destination and hop limit come beside it). RFC 5798 §7.1: hop
 * limit 255, version 3, a correct checksum, a known VRID; §5.1.2.1: the source is a
 * link-local address (unicast peers may use other addresses, `allowGlobalSource`).
 */
export function decodeAdvert6(d: Uint8Array, src: Buffer, dst: Buffer, hopLimit: number, lookup: Lookup, allowGlobalSource = false): Decoded6 {
  if (d.length < 8) return { ok: false, reason: 'truncated' };
  const n = d[3];
  if (d.length < 8 + 16 * n) return { ok: false, reason: 'truncated' };
  if (hopLimit !== VRRP_HOP_LIMIT) return { ok: false, reason: 'bad-ttl' };
  if (!allowGlobalSource && !(src[0] === 0xfe && (src[1] & 0xc0) === 0x80)) return { ok: false, reason: 'bad-source' };
  if (d[0] >> 4 !== 3) return { ok: false, reason: 'bad-version' };
  if ((d[0] & 0x0f) !== TYPE_ADVERTISEMENT) return { ok: false, reason: 'bad-type' };
  if (fold16(sumRange(d, 0, d.length, pseudoSum6(src, dst, IPPROTO_VRRP, d.length))) !== 0xffff) return { ok: false, reason: 'bad-checksum' };
  const vrid = d[1];
  const local = lookup(vrid);
  if (local === false) return { ok: false, reason: 'unknown-vrid' };
  if (local.version !== 3) return { ok: false, reason: 'bad-version' };
  const addresses: Buffer[] = [];
  for (let i = 0; i < n; i++) addresses.push(Buffer.from(d.subarray(8 + 16 * i, 24 + 16 * i)));
  return { ok: true, packet: { vrid, priority: d[2], interval: ((d[4] << 8) | d[5]) & 0x0fff, addresses, src, dst, hopLimit } };
}
