// struct sockaddr_in / sockaddr_in6 (Linux layout, ip(7) and ipv6(7)) to and from the
// address strings the rest of Triad uses. Pure functions: no sockets.
//
// Decoding keeps the last address it built, so a burst from one client (the usual
// case on a LAN) costs a comparison, not a new string, per datagram.

import { formatAddress } from './ip.js';

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCKADDR_IN_LEN = 16;
export const SOCKADDR_IN6_LEN = 28;

/**
 * IPv6 text as inet_ntop(3) writes it (and so Node's dgram): RFC 5952 (formatAddress), except
 * that IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) tails are dotted.
 */
export function formatIPv6(b: Uint8Array, off: number): string {
  const bytes = b.subarray(off, off + 16);
  let lead = 0;
  while (lead < 5 && bytes[2 * lead] === 0 && bytes[2 * lead + 1] === 0) lead++;
  const w5 = (bytes[10] << 8) | bytes[11];
  const w6 = (bytes[12] << 8) | bytes[13];
  if (lead === 5 && (w5 === 0xffff || (w5 === 0 && w6 !== 0))) return `::${w5 ? 'ffff:' : ''}${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  return formatAddress({ family: 6, bytes });
}

function isV4Mapped(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 10; i++) if (b[off + i] !== 0) return false;
  return b[off + 10] === 0xff && b[off + 11] === 0xff;
}

/**
 * Reads sockaddrs received by one socket and returns their address text, with
 * IPv4-mapped IPv6 sources as plain dotted IPv4 (how Triad's ACLs, views and logs
 * name a client). A link-local source carries its interface as Node's dgram writes it
 * (fe80::1%eth0): `scopeName` turns the index into the name (without it: the index).
 */
export class SockaddrReader {
  constructor(private readonly scopeName?: (index: number) => string) {}

  private lastV4 = -1;
  private lastV4Text = '';
  private readonly last6 = new Uint8Array(20);
  private last6Text = '';
  port = 0;

  /** The address at `off` of `b`; its port is left in `this.port`. Undefined for another family. */
  read(b: Uint8Array, off: number): string | undefined {
    const family = b[off] | (b[off + 1] << 8);
    this.port = (b[off + 2] << 8) | b[off + 3];
    if (family === AF_INET) {
      const a = ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0;
      if (a !== this.lastV4) {
        this.lastV4 = a;
        this.lastV4Text = `${b[off + 4]}.${b[off + 5]}.${b[off + 6]}.${b[off + 7]}`;
      }
      return this.lastV4Text;
    }
    if (family !== AF_INET6) return undefined;
    // sin6_addr at 8..24, sin6_scope_id at 24..28: compare both with the last one.
    let same = this.last6Text !== '';
    for (let i = 0; same && i < 20; i++) if (this.last6[i] !== b[off + 8 + i]) same = false;
    if (same) return this.last6Text;
    for (let i = 0; i < 20; i++) this.last6[i] = b[off + 8 + i];
    if (isV4Mapped(b, off + 8)) {
      this.last6Text = `${b[off + 20]}.${b[off + 21]}.${b[off + 22]}.${b[off + 23]}`;
    } else {
      const scope = (b[off + 24] | (b[off + 25] << 8) | (b[off + 26] << 16) | (b[off + 27] << 24)) >>> 0;
      const linkLocal = b[off + 8] === 0xfe && (b[off + 9] & 0xc0) === 0x80;
      this.last6Text = formatIPv6(b, off + 8) + (linkLocal && scope !== 0 ? `%${this.scopeName ? this.scopeName(scope) : scope}` : '');
    }
    return this.last6Text;
  }
}

function parseIPv4(s: string, out: Uint8Array, off: number): boolean {
  const p = s.split('.');
  if (p.length !== 4) return false;
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(p[i])) return false;
    const n = Number(p[i]);
    if (n > 255) return false;
    out[off + i] = n;
  }
  return true;
}

/** Writes an IPv6 address (text, optionally with a dotted IPv4 tail; no scope) as 16 octets. */
function parseIPv6(s: string, out: Uint8Array, off: number): boolean {
  let head = s;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    // A dotted IPv4 tail is the last two groups.
    const v4 = new Uint8Array(4);
    if (!parseIPv4(s.slice(lastColon + 1), v4, 0)) return false;
    head = `${s.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const groups = (x: string): number[] | undefined => {
    if (x === '') return [];
    const out: number[] = [];
    for (const g of x.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const dbl = head.indexOf('::');
  let words: number[];
  if (dbl >= 0) {
    if (head.indexOf('::', dbl + 1) >= 0) return false;
    const a = groups(head.slice(0, dbl));
    const b = groups(head.slice(dbl + 2));
    if (!a || !b) return false;
    const fill = 8 - a.length - b.length;
    if (fill < 1) return false;
    words = [...a, ...new Array<number>(fill).fill(0), ...b];
  } else {
    const a = groups(head);
    if (!a) return false;
    words = a;
  }
  if (words.length !== 8) return false;
  for (let i = 0; i < 8; i++) {
    out[off + 2 * i] = words[i] >> 8;
    out[off + 2 * i + 1] = words[i] & 0xff;
  }
  return true;
}

/**
 * Writes the sockaddr for `address`:`port` at `off` of `out` as a socket of `family`
 * (4 or 6) sends to it; an IPv4 address on an IPv6 socket becomes IPv4-mapped. Returns
 * its length, or 0 when the address is not one (a name, or IPv6 on an IPv4 socket).
 */
export function encodeSockaddr(family: 4 | 6, address: string, port: number, out: Uint8Array, off: number): number {
  if (family === 4) {
    out.fill(0, off, off + SOCKADDR_IN_LEN);
    out[off] = AF_INET;
    out[off + 2] = port >> 8;
    out[off + 3] = port & 0xff;
    return parseIPv4(address, out, off + 4) ? SOCKADDR_IN_LEN : 0;
  }
  out.fill(0, off, off + SOCKADDR_IN6_LEN);
  out[off] = AF_INET6;
  out[off + 2] = port >> 8;
  out[off + 3] = port & 0xff;
  let a = address;
  const pct = a.indexOf('%');
  if (pct >= 0) {
    const scope = a.slice(pct + 1);
    if (!/^\d+$/.test(scope)) return 0;
    const n = Number(scope);
    out[off + 24] = n & 0xff;
    out[off + 25] = (n >> 8) & 0xff;
    out[off + 26] = (n >> 16) & 0xff;
    out[off + 27] = (n >>> 24) & 0xff;
    a = a.slice(0, pct);
  }
  if (!a.includes(':')) {
    out[off + 18] = 0xff;
    out[off + 19] = 0xff;
    return parseIPv4(a, out, off + 20) ? SOCKADDR_IN6_LEN : 0;
  }
  return parseIPv6(a, out, off + 8) ? SOCKADDR_IN6_LEN : 0;
}
