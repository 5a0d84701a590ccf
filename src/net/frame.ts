// Ethernet II / IPv4 / UDP frames as pure functions: build with correct checksums,
// parse with bounds checks. Used by DHCP (replies to a MAC with no ARP entry) and
// the load balancer's userspace engine.

const ETH_HEADER = 14;
const ETHERTYPE_IPV4 = 0x0800;
export const BROADCAST_MAC = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

export interface UdpFrame {
  srcMac: Buffer;
  dstMac: Buffer;
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  ttl: number;
  payload: Buffer;
}

/** RFC 1071 ones' complement sum over `buf` added to `initial`, not yet folded. */
function sum16(buf: Buffer, initial = 0): number {
  let s = initial;
  const n = buf.length & ~1;
  for (let i = 0; i < n; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (buf.length & 1) s += buf[buf.length - 1] << 8;
  return s;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

export function ipv4Checksum(header: Buffer): number {
  return fold(sum16(header));
}

/** UDP checksum over the IPv4 pseudo-header (RFC 768); 0 is sent as 0xffff. */
export function udpChecksum(srcIp: number, dstIp: number, udp: Buffer): number {
  const pseudo = Buffer.alloc(12);
  pseudo.writeUInt32BE(srcIp >>> 0, 0);
  pseudo.writeUInt32BE(dstIp >>> 0, 4);
  pseudo[9] = 17;
  pseudo.writeUInt16BE(udp.length, 10);
  const c = fold(sum16(udp, sum16(pseudo)));
  return c === 0 ? 0xffff : c;
}

let ipId = 1;

export function buildUdpFrame(f: Omit<UdpFrame, 'ttl'> & { ttl?: number }): Buffer {
  const udpLen = 8 + f.payload.length;
  const totalLen = 20 + udpLen;
  const frame = Buffer.alloc(ETH_HEADER + totalLen);
  f.dstMac.copy(frame, 0, 0, 6);
  f.srcMac.copy(frame, 6, 0, 6);
  frame.writeUInt16BE(ETHERTYPE_IPV4, 12);
  const ip = frame.subarray(ETH_HEADER, ETH_HEADER + 20);
  ip[0] = 0x45;
  ip.writeUInt16BE(totalLen, 2);
  ip.writeUInt16BE(ipId++ & 0xffff, 4);
  ip[8] = f.ttl ?? 64;
  ip[9] = 17;
  ip.writeUInt32BE(f.srcIp >>> 0, 12);
  ip.writeUInt32BE(f.dstIp >>> 0, 16);
  ip.writeUInt16BE(ipv4Checksum(ip), 10);
  const udp = frame.subarray(ETH_HEADER + 20);
  udp.writeUInt16BE(f.srcPort, 0);
  udp.writeUInt16BE(f.dstPort, 2);
  udp.writeUInt16BE(udpLen, 4);
  f.payload.copy(udp, 8);
  udp.writeUInt16BE(udpChecksum(f.srcIp, f.dstIp, udp), 6);
  return frame;
}

/** Parses an Ethernet frame carrying IPv4/UDP; undefined for anything else or when malformed. */
export function parseUdpFrame(frame: Buffer): UdpFrame | undefined {
  if (frame.length < ETH_HEADER + 20 + 8) return undefined;
  let off = 12;
  let type = frame.readUInt16BE(off);
  if (type === 0x8100) {
    // One 802.1Q tag.
    off += 4;
    if (frame.length < off + 2 + 28) return undefined;
    type = frame.readUInt16BE(off);
  }
  if (type !== ETHERTYPE_IPV4) return undefined;
  const ipOff = off + 2;
  const vihl = frame[ipOff];
  if (vihl >> 4 !== 4) return undefined;
  const ihl = (vihl & 15) * 4;
  if (ihl < 20 || frame.length < ipOff + ihl + 8) return undefined;
  if (frame[ipOff + 9] !== 17) return undefined;
  // Fragments are not reassembled (DHCP messages fit one datagram).
  if (frame.readUInt16BE(ipOff + 6) & 0x3fff) return undefined;
  const totalLen = frame.readUInt16BE(ipOff + 2);
  const ipEnd = Math.min(frame.length, ipOff + totalLen);
  const udpOff = ipOff + ihl;
  if (ipEnd < udpOff + 8) return undefined;
  const udpLen = frame.readUInt16BE(udpOff + 4);
  if (udpLen < 8 || udpOff + udpLen > ipEnd) return undefined;
  return {
    dstMac: frame.subarray(0, 6),
    srcMac: frame.subarray(6, 12),
    ttl: frame[ipOff + 8],
    srcIp: frame.readUInt32BE(ipOff + 12),
    dstIp: frame.readUInt32BE(ipOff + 16),
    srcPort: frame.readUInt16BE(udpOff),
    dstPort: frame.readUInt16BE(udpOff + 2),
    payload: frame.subarray(udpOff + 8, udpOff + udpLen),
  };
}
