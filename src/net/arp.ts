// ARP for Ethernet/IPv4 (RFC 826): requests, replies and gratuitous announcements
// (RFC 5227 §3 ARP announcement), as 42-byte frames built and parsed in place.

import { ETHERTYPE_ARP } from './ip-frame.js';

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const ARP_FRAME_LEN = 42;

export interface ArpPacket {
  op: number;
  senderMac: Buffer;
  senderIp: number;
  targetMac: Buffer;
  targetIp: number;
}

const rd32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** Parses an Ethernet frame holding an ARP packet for Ethernet/IPv4; undefined otherwise. */
export function parseArp(buf: Buffer, base: number, len: number): ArpPacket | undefined {
  if (len < ARP_FRAME_LEN) return undefined;
  if (buf.readUInt16BE(base + 12) !== ETHERTYPE_ARP) return undefined;
  const a = base + 14;
  // htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4
  if (buf.readUInt16BE(a) !== 1 || buf.readUInt16BE(a + 2) !== 0x0800 || buf[a + 4] !== 6 || buf[a + 5] !== 4) return undefined;
  const op = buf.readUInt16BE(a + 6);
  if (op !== ARP_REQUEST && op !== ARP_REPLY) return undefined;
  return {
    op,
    senderMac: Buffer.from(buf.subarray(a + 8, a + 14)),
    senderIp: rd32(buf, a + 14),
    targetMac: Buffer.from(buf.subarray(a + 18, a + 24)),
    targetIp: rd32(buf, a + 24),
  };
}

function buildArp(op: number, ethDst: Uint8Array, senderMac: Uint8Array, senderIp: number, targetMac: Uint8Array, targetIp: number): Buffer {
  const b = Buffer.alloc(ARP_FRAME_LEN);
  b.set(ethDst.subarray(0, 6), 0);
  b.set(senderMac.subarray(0, 6), 6);
  b.writeUInt16BE(ETHERTYPE_ARP, 12);
  b.writeUInt16BE(1, 14);
  b.writeUInt16BE(0x0800, 16);
  b[18] = 6;
  b[19] = 4;
  b.writeUInt16BE(op, 20);
  b.set(senderMac.subarray(0, 6), 22);
  b.writeUInt32BE(senderIp >>> 0, 28);
  b.set(targetMac.subarray(0, 6), 32);
  b.writeUInt32BE(targetIp >>> 0, 38);
  return b;
}

const BCAST = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ZERO = Buffer.alloc(6);

export function arpRequest(senderMac: Uint8Array, senderIp: number, targetIp: number): Buffer {
  return buildArp(ARP_REQUEST, BCAST, senderMac, senderIp, ZERO, targetIp);
}

/** The reply to `req` saying `mac` holds req.targetIp. */
export function arpReply(req: ArpPacket, mac: Uint8Array): Buffer {
  return buildArp(ARP_REPLY, req.senderMac, mac, req.targetIp, req.senderMac, req.senderIp);
}

/** Gratuitous ARP (RFC 5227 §3 announcement): a broadcast request with sender = target = ip. */
export function gratuitousArpFrame(mac: Uint8Array, ip: number): Buffer {
  return buildArp(ARP_REQUEST, BCAST, mac, ip, ZERO, ip);
}
