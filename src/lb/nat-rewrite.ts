// NAT rewrites of a parsed frame in place: destination (client → real server) and
// source (real server → client, back to the VIP), with RFC 1624 incremental updates
// of the IPv4 header checksum and of the TCP/UDP checksum (the addresses are in the
// pseudo-header, RFC 793 §3.1). A frame the kernel left with a partial checksum
// (CHECKSUM_PARTIAL on veth, TP_STATUS_CSUMNOTREADY) holds only the pseudo-header
// sum; it is rewritten and then summed in full, since the send loses that state.

import { csumReplace16, csumReplace32, fillL4Checksum, finish, sumRange } from '../net/checksum.js';
import { PROTO_TCP, PROTO_UDP, type IpFrame } from '../net/ip-frame.js';

const rd16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
function wr16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >> 8) & 0xff;
  b[o + 1] = v & 0xff;
}
function wr32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

function csumAt(proto: number): number {
  return proto === PROTO_TCP ? 16 : 6;
}

/** Completes a partial TCP/UDP checksum (the field holds the folded pseudo-header sum). */
export function completePartialChecksum(buf: Uint8Array, f: IpFrame): void {
  if (f.proto !== PROTO_TCP && f.proto !== PROTO_UDP) return;
  const at = f.l4 + csumAt(f.proto);
  let c = finish(sumRange(buf, f.l4, f.end));
  if (c === 0 && f.proto === PROTO_UDP) c = 0xffff;
  wr16(buf, at, c);
}

/**
 * Decrements the TTL (RFC 1812 §5.3.1: a router forwarding a datagram does) and
 * patches the header checksum. False when the TTL is exhausted: drop.
 */
export function decrementTtl(buf: Uint8Array, f: IpFrame): boolean {
  const ttl = buf[f.ip + 8];
  if (ttl <= 1) return false;
  const oldWord = rd16(buf, f.ip + 8);
  buf[f.ip + 8] = ttl - 1;
  wr16(buf, f.ip + 10, csumReplace16(rd16(buf, f.ip + 10), oldWord, rd16(buf, f.ip + 8)));
  return true;
}

function rewrite(buf: Uint8Array, f: IpFrame, addrOff: number, portOff: number, newIp: number, newPort: number, partial: boolean): void {
  const oldIp = addrOff === 12 ? f.src : f.dst;
  wr32(buf, f.ip + addrOff, newIp);
  wr16(buf, f.ip + 10, csumReplace32(rd16(buf, f.ip + 10), oldIp, newIp));
  if (f.proto !== PROTO_TCP && f.proto !== PROTO_UDP) return;
  const oldPort = rd16(buf, f.l4 + portOff);
  wr16(buf, f.l4 + portOff, newPort);
  if (addrOff === 12) f.src = newIp;
  else f.dst = newIp;
  if (portOff === 0) f.sport = newPort;
  else f.dport = newPort;
  const at = f.l4 + csumAt(f.proto);
  if (partial) {
    fillL4Checksum(buf, f.l4, f.end, f.src, f.dst, f.proto, csumAt(f.proto));
    return;
  }
  const hc = rd16(buf, at);
  if (f.proto === PROTO_UDP && hc === 0) return; // RFC 768: no checksum was sent
  let c = csumReplace16(csumReplace32(hc, oldIp, newIp), oldPort, newPort);
  if (f.proto === PROTO_UDP && c === 0) c = 0xffff;
  wr16(buf, at, c);
}

/** Client → real server: destination VIP:VPORT becomes RIP:RPORT. */
export function rewriteDestination(buf: Uint8Array, f: IpFrame, ip: number, port: number, partial: boolean): void {
  if (!partial && f.dst === ip && f.dport === port) return;
  rewrite(buf, f, 16, 2, ip, port, partial);
}

/** Real server → client: source RIP:RPORT becomes VIP:VPORT. */
export function rewriteSource(buf: Uint8Array, f: IpFrame, ip: number, port: number, partial: boolean): void {
  if (!partial && f.src === ip && f.sport === port) return;
  rewrite(buf, f, 12, 0, ip, port, partial);
}
