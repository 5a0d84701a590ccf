// IP addresses and prefixes, shared by the DNS ACLs, DHCP and the load balancer.
// Addresses are held as bytes (4 or 16) so matching is family-aware and exact.

import { isIPv4, isIPv6 } from 'node:net';
import { ipNumber, ipv4Bytes, ipv4FromBytes, ipv4ToText } from '../wire/ipv4.js';

export type Family = 4 | 6;

export interface Address {
  family: Family;
  bytes: Uint8Array;
}

export interface Prefix {
  family: Family;
  bytes: Uint8Array;
  length: number;
}

/** Parses a textual IPv4 or IPv6 address (no zone index); undefined when invalid. */
export function parseAddress(text: string): Address | undefined {
  if (isIPv4(text)) return { family: 4, bytes: ipv4Bytes(ipNumber(text)) };
  if (isIPv6(text)) return { family: 6, bytes: parseIPv6(text) };
  return undefined;
}

function parseIPv6(text: string): Uint8Array {
  let s = text;
  const tail: number[] = [];
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const n = ipNumber(v4[1]);
    tail.push(n >>> 16, n & 0xffff);
    s = s.slice(0, -v4[1].length);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const [head, rest] = s.includes('::') ? s.split('::') : [s, undefined];
  const h = head ? head.split(':').filter((x) => x !== '').map((x) => parseInt(x, 16)) : [];
  const r = rest !== undefined && rest !== '' ? rest.split(':').map((x) => parseInt(x, 16)) : [];
  const groups = rest === undefined ? [...h, ...tail] : [...h, ...new Array(8 - h.length - r.length - tail.length).fill(0), ...r, ...tail];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** Canonical text (RFC 5952 for IPv6). */
export function formatAddress(a: Address): string {
  if (a.family === 4) return ipv4ToText(a.bytes);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((a.bytes[i] << 8) | a.bytes[i + 1]);
  // Longest run of two or more zero groups becomes '::'.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
}

/** Parses `addr` or `addr/len`; IPv4 prefixes may be abbreviated as BIND allows (`10/8`). */
export function parsePrefix(text: string): Prefix | undefined {
  const slash = text.indexOf('/');
  let addrText = slash < 0 ? text : text.slice(0, slash);
  const lenText = slash < 0 ? undefined : text.slice(slash + 1);
  if (lenText !== undefined && !/^[0-9]{1,3}$/.test(lenText)) return undefined;
  if (lenText !== undefined && /^[0-9]+(\.[0-9]+){0,2}$/.test(addrText)) {
    // BIND accepts shortened IPv4 networks such as 10/8 or 192.168/16.
    const parts = addrText.split('.');
    while (parts.length < 4) parts.push('0');
    addrText = parts.join('.');
  }
  const addr = parseAddress(addrText);
  if (!addr) return undefined;
  const max = addr.family === 4 ? 32 : 128;
  const length = lenText === undefined ? max : Number(lenText);
  if (length > max) return undefined;
  return { family: addr.family, bytes: addr.bytes, length };
}

/** True when the address lies inside the prefix (same family only). */
export function prefixContains(p: Prefix, a: Address): boolean {
  if (p.family !== a.family) return false;
  let bits = p.length;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((p.bytes[i] & mask) !== (a.bytes[i] & mask)) return false;
  }
  return true;
}

/** The network address of a prefix (host bits cleared). */
export function prefixNetwork(p: Prefix): Address {
  const bytes = Uint8Array.from(p.bytes);
  let bits = p.length;
  for (let i = 0; i < bytes.length; i++, bits -= 8) {
    if (bits >= 8) continue;
    bytes[i] &= bits <= 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
  return { family: p.family, bytes };
}

/** IPv4 address to a 32-bit unsigned number, for range arithmetic (DHCP pools). */
export function ipv4ToNumber(a: Address): number {
  return ipv4FromBytes(a.bytes);
}

export function numberToIPv4(n: number): Address {
  return { family: 4, bytes: ipv4Bytes(n) };
}

/** Strips the IPv4-mapped prefix Node reports on dual-stack sockets (::ffff:1.2.3.4). */
export function unmapAddress(text: string): string {
  return text.startsWith('::ffff:') && isIPv4(text.slice(7)) ? text.slice(7) : text;
}
