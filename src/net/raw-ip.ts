// A raw IPv4 socket for one IP protocol on one interface (VRRP is protocol 112), through
// koffi's FFI to libc as packet-io.ts does; Node's dgram has no raw sockets. Sending
// builds the IPv4 header itself (IP_HDRINCL), so the source address and the TTL are
// exactly what the protocol needs (VRRP: the interface's primary address, TTL 255),
// as keepalived does. Receiving hands over whole IPv4 datagrams. Needs CAP_NET_RAW.

import { errnoText, lib, pollReceive } from './packet-io.js';
import { finish, sumRange } from './checksum.js';

const AF_INET = 2;
const SOCK_RAW = 3;
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const IPPROTO_IP = 0;
const IP_HDRINCL = 3;
const IP_MULTICAST_IF = 32;
const IP_MULTICAST_LOOP = 34;
const IP_ADD_MEMBERSHIP = 35;
const MSG_DONTWAIT = 0x40;

export interface RawIpSocket {
  /** Sends `payload` in an IPv4 datagram from `src` to `dst` with `ttl`. */
  send(payload: Buffer, src: number, dst: number, ttl: number): void;
  /** Calls `onDatagram` with each received IPv4 datagram until close(). */
  loop(onDatagram: (d: Buffer) => void, onError?: (e: Error) => void): Promise<void>;
  close(): Promise<void>;
}

function int(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

/** struct ip_mreqn { in_addr multiaddr; in_addr address; int ifindex; }. */
function mreqn(group: number, ifindex: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32BE(group >>> 0, 0);
  b.writeInt32LE(ifindex, 8);
  return b;
}

/**
 * Opens a raw socket for `proto` bound to `iface` (SO_BINDTODEVICE), joined to
 * `groups` on it, with multicast loop off (our own advertisements do not come back).
 */
export function openRawIp(proto: number, iface: string, ifindex: number, groups: readonly number[]): RawIpSocket {
  const c = lib();
  const fd = c.socket(AF_INET, SOCK_RAW, proto);
  if (fd < 0) throw new Error(`raw IP socket (protocol ${proto}): ${errnoText()}`);
  try {
    const dev = Buffer.from(iface + '\0');
    if (c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length) < 0) throw new Error(`bind to ${iface}: ${errnoText()}`);
    if (c.setsockopt(fd, IPPROTO_IP, IP_HDRINCL, int(1), 4) < 0) throw new Error(`IP_HDRINCL: ${errnoText()}`);
    c.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, int(0), 4);
    if (c.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, mreqn(0, ifindex), 12) < 0) throw new Error(`IP_MULTICAST_IF ${iface}: ${errnoText()}`);
    for (const g of groups) {
      if (c.setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreqn(g, ifindex), 12) < 0) throw new Error(`joining the multicast group on ${iface}: ${errnoText()}`);
    }
  } catch (e) {
    c.close(fd);
    throw e;
  }
  const addr = Buffer.alloc(16);
  const buf = Buffer.alloc(65536);
  let closed = false;
  let looping: Promise<void> | undefined;
  return {
    send(payload, src, dst, ttl) {
      if (closed) return;
      const h = Buffer.alloc(20 + payload.length);
      h[0] = 0x45;
      h[1] = 0xc0; // DSCP CS6 (network control), as keepalived marks its adverts
      h.writeUInt16BE(h.length, 2);
      h[8] = ttl;
      h[9] = proto;
      h.writeUInt32BE(src >>> 0, 12);
      h.writeUInt32BE(dst >>> 0, 16);
      h.writeUInt16BE(finish(sumRange(h, 0, 20)), 10);
      payload.copy(h, 20);
      addr.fill(0);
      addr.writeUInt16LE(AF_INET, 0);
      addr.writeUInt32BE(dst >>> 0, 4);
      if (c.sendto(fd, h, h.length, MSG_DONTWAIT, addr, 16) < 0) throw new Error(`sendto: ${errnoText()}`);
    },
    loop(onDatagram, onError) {
      looping = pollReceive(fd, buf, () => closed, onDatagram, onError);
      return looping;
    },
    async close() {
      closed = true;
      if (looping) await looping.catch(() => undefined);
      c.close(fd);
    },
  };
}
