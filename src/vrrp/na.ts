// Unsolicited Neighbor Advertisements for IPv6 virtual addresses (RFC 4861 §7.2.6): the
// IPv6 counterpart of gratuitous ARP, sent by a new master to all-nodes so neighbours
// point the address at its MAC at once. The override flag makes them replace a cached
// entry (RFC 4861 §7.2.5); keepalived sends the same.

import { sendIcmp6 } from '../net/raw-ip6.js';

/** ff02::1, all nodes (RFC 4291 §2.7.1). */
export const ALL_NODES = Buffer.from('ff020000000000000000000000000001', 'hex');
const ND_NEIGHBOR_ADVERT = 136;
const FLAG_ROUTER = 0x80;
const FLAG_OVERRIDE = 0x20;
const OPT_TARGET_LLADDR = 2;

/** The ICMPv6 message (checksum left zero: the kernel fills it in for ICMPv6 raw sockets). */
export function encodeUnsolicitedNa(target: Uint8Array, mac: Uint8Array, router = false): Buffer {
  const b = Buffer.alloc(24 + 8);
  b[0] = ND_NEIGHBOR_ADVERT;
  // Solicited stays clear: nobody asked (RFC 4861 §7.2.6).
  b[4] = FLAG_OVERRIDE | (router ? FLAG_ROUTER : 0);
  Buffer.from(target).copy(b, 8, 0, 16);
  b[24] = OPT_TARGET_LLADDR;
  b[25] = 1; // length in units of 8 bytes
  Buffer.from(mac).copy(b, 26, 0, 6);
  return b;
}

/** Sends one unsolicited NA for `target` out of `iface`. */
export function sendUnsolicitedNa(iface: string, ifindex: number, mac: Uint8Array, target: Uint8Array, src?: Uint8Array): void {
  sendIcmp6(iface, ifindex, encodeUnsolicitedNa(target, mac), ALL_NODES, src);
}
