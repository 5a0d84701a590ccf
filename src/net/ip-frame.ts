// Ethernet/IPv4 frames carrying TCP, UDP or ICMP, parsed in place into a reusable
// record of offsets (no allocation per frame). Validation is strict because the
// load balancer forwards what passes: a frame that fails any check is reported
// with the reason so the caller drops and counts it.

import { sumRange, fold16 } from './checksum.js';

export const ETHERTYPE_IP = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const PROTO_ICMP = 1;
export const PROTO_IPIP = 4;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

/** Why a frame was not parsed; `ok` when it was. */
export type ParseResult = 'ok' | 'not-ip' | 'short' | 'bad-version' | 'bad-ihl' | 'bad-length' | 'bad-ip-csum' | 'fragment' | 'bad-l4' | 'other-proto';

export interface IpFrame {
  /** Offset of the IPv4 header in the buffer (14: no VLAN tags are expected on AF_PACKET). */
  ip: number;
  ihl: number;
  /** End of the IP datagram (ip + total length); bytes after it are Ethernet padding. */
  end: number;
  proto: number;
  src: number;
  dst: number;
  /** Offset of the L4 header. */
  l4: number;
  sport: number;
  dport: number;
  /** TCP flags byte (0 for UDP/ICMP). */
  flags: number;
}

export function newIpFrame(): IpFrame {
  return { ip: 14, ihl: 20, end: 0, proto: 0, src: 0, dst: 0, l4: 0, sport: 0, dport: 0, flags: 0 };
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

const rd32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/**
 * Parses `len` bytes of `buf` from `base` (the Ethernet header) as IPv4 + TCP/UDP/ICMP.
 * Fragments are refused (the engine does not reassemble; RFC 791 §3.2 fragments after
 * the first carry no ports). IP options are accepted and skipped via IHL.
 */
export function parseIpFrame(buf: Uint8Array, base: number, len: number, f: IpFrame): ParseResult {
  if (len < 14 + 20) return len >= 14 && ((buf[base + 12] << 8) | buf[base + 13]) !== ETHERTYPE_IP ? 'not-ip' : 'short';
  if (((buf[base + 12] << 8) | buf[base + 13]) !== ETHERTYPE_IP) return 'not-ip';
  const ip = base + 14;
  const vihl = buf[ip];
  if (vihl >> 4 !== 4) return 'bad-version';
  const ihl = (vihl & 15) * 4;
  if (ihl < 20 || 14 + ihl > len) return 'bad-ihl';
  const total = (buf[ip + 2] << 8) | buf[ip + 3];
  if (total < ihl || 14 + total > len) return 'bad-length';
  if (fold16(sumRange(buf, ip, ip + ihl)) !== 0xffff) return 'bad-ip-csum';
  const frag = ((buf[ip + 6] << 8) | buf[ip + 7]) & 0x3fff;
  f.ip = ip;
  f.ihl = ihl;
  f.end = ip + total;
  f.proto = buf[ip + 9];
  f.src = rd32(buf, ip + 12);
  f.dst = rd32(buf, ip + 16);
  f.l4 = ip + ihl;
  f.sport = 0;
  f.dport = 0;
  f.flags = 0;
  if (frag) return 'fragment';
  const l4len = f.end - f.l4;
  switch (f.proto) {
    case PROTO_TCP: {
      if (l4len < 20) return 'bad-l4';
      const doff = (buf[f.l4 + 12] >> 4) * 4;
      if (doff < 20 || doff > l4len) return 'bad-l4';
      f.flags = buf[f.l4 + 13];
      break;
    }
    case PROTO_UDP: {
      if (l4len < 8) return 'bad-l4';
      const ulen = (buf[f.l4 + 4] << 8) | buf[f.l4 + 5];
      if (ulen < 8 || ulen > l4len) return 'bad-l4';
      break;
    }
    case PROTO_ICMP:
      if (l4len < 8) return 'bad-l4';
      return 'ok';
    default:
      return 'other-proto';
  }
  f.sport = (buf[f.l4] << 8) | buf[f.l4 + 1];
  f.dport = (buf[f.l4 + 2] << 8) | buf[f.l4 + 3];
  return 'ok';
}
