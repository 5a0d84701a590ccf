// A raw IPv6 socket for one IP protocol on one interface (VRRP for IPv6 is protocol 112,
// RFC 5798), through koffi's FFI to libc as raw-ip.ts does for IPv4. IPv6 raw sockets
// never carry the IPv6 header (RFC 3542): the kernel builds it, so the source address
// is the one the socket is bound to (the interface's link-local address, as keepalived
// sends from) and the hop limit is set by IPV6_MULTICAST_HOPS / IPV6_UNICAST_HOPS.
// Received messages come with their source (recvmsg's address), destination
// (IPV6_PKTINFO) and hop limit (IPV6_HOPLIMIT), which VRRP must check. Also the
// unsolicited Neighbor Advertisement sender (ICMPv6, RFC 4861 §7.2.6). Needs CAP_NET_RAW.

import koffi from 'koffi';
import { errnoText, lib } from './packet-io.js';

const AF_INET6 = 10;
const SOCK_RAW = 3;
const SOL_SOCKET = 1;
const SO_BINDTODEVICE = 25;
const IPPROTO_IPV6 = 41;
const IPPROTO_ICMPV6 = 58;
const IPV6_UNICAST_HOPS = 16;
const IPV6_MULTICAST_IF = 17;
const IPV6_MULTICAST_HOPS = 18;
const IPV6_MULTICAST_LOOP = 19;
const IPV6_JOIN_GROUP = 20;
const IPV6_RECVPKTINFO = 49;
const IPV6_PKTINFO = 50;
const IPV6_RECVHOPLIMIT = 51;
const IPV6_HOPLIMIT = 52;
const MSG_DONTWAIT = 0x40;
const POLLIN = 1;
const EAGAIN = 11;
const EINTR = 4;

export interface Datagram6 {
  payload: Buffer;
  src: Buffer;
  /** The destination address (IPV6_PKTINFO); all zero if the kernel did not say. */
  dst: Buffer;
  /** -1 if the kernel did not say. */
  hopLimit: number;
}

export interface RawIp6Socket {
  /** Sends `payload` to `dst` (16 bytes) from the bound source with hop limit 255. */
  send(payload: Buffer, dst: Uint8Array): void;
  loop(onDatagram: (d: Datagram6) => void, onError?: (e: Error) => void): Promise<void>;
  close(): Promise<void>;
}

interface Libc6 {
  recvmsg: (fd: number, msg: Buffer, flags: number) => number;
}
let libc6: Libc6 | undefined;
function lib6(): Libc6 {
  if (libc6) return libc6;
  const l = koffi.load('libc.so.6');
  // msghdr is passed as bytes we lay out ourselves (x86-64 / aarch64 LP64 layout).
  libc6 = { recvmsg: l.func('intptr_t recvmsg(int, _Inout_ void *, int)') as Libc6['recvmsg'] };
  return libc6;
}

function int(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(v);
  return b;
}

/** struct sockaddr_in6 (28 bytes). */
export function sockaddr6(addr: Uint8Array, scopeId: number): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16LE(AF_INET6, 0);
  Buffer.from(addr).copy(b, 8, 0, 16);
  b.writeUInt32LE(scopeId, 24);
  return b;
}

/** A link-local address's scope is its interface; other addresses have none. */
const scopeFor = (a: Uint8Array, ifindex: number): number => (a[0] === 0xfe && (a[1] & 0xc0) === 0x80) || a[0] === 0xff ? ifindex : 0;

function setup(proto: number, iface: string, ifindex: number, src: Uint8Array | undefined, hops = 255): number {
  const c = lib();
  const fd = c.socket(AF_INET6, SOCK_RAW, proto);
  if (fd < 0) throw new Error(`raw IPv6 socket (protocol ${proto}): ${errnoText()}`);
  try {
    const dev = Buffer.from(iface + '\0');
    if (c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length) < 0) throw new Error(`bind to ${iface}: ${errnoText()}`);
    // RFC 5798 §5.1.2.3 and RFC 4861 §7.1.2: hop limit 255, so receivers know the packet never crossed a router.
    if (c.setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, int(hops), 4) < 0) throw new Error(`IPV6_MULTICAST_HOPS: ${errnoText()}`);
    if (c.setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, int(hops), 4) < 0) throw new Error(`IPV6_UNICAST_HOPS: ${errnoText()}`);
    if (c.setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, int(ifindex), 4) < 0) throw new Error(`IPV6_MULTICAST_IF ${iface}: ${errnoText()}`);
    c.setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, int(0), 4);
    if (src) {
      const sa = sockaddr6(src, scopeFor(src, ifindex));
      if (c.bind(fd, sa, sa.length) < 0) throw new Error(`binding to the source address on ${iface}: ${errnoText()}`);
    }
  } catch (e) {
    c.close(fd);
    throw e;
  }
  return fd;
}

/**
 * Opens a raw IPv6 socket for `proto` bound to `iface` and to `src` (the source of
 * everything sent), joined to `groups` on it, multicast loop off. `hops` other than 255
 * only for tests that forge what a receiver must drop.
 */
export function openRawIp6(proto: number, iface: string, ifindex: number, src: Uint8Array, groups: readonly Uint8Array[], hops = 255): RawIp6Socket {
  const c = lib();
  const fd = setup(proto, iface, ifindex, src, hops);
  try {
    for (const g of groups) {
      const mreq = Buffer.alloc(20);
      Buffer.from(g).copy(mreq, 0, 0, 16);
      mreq.writeInt32LE(ifindex, 16);
      if (c.setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, mreq, 20) < 0) throw new Error(`joining the multicast group on ${iface}: ${errnoText()}`);
    }
    if (c.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, int(1), 4) < 0) throw new Error(`IPV6_RECVHOPLIMIT: ${errnoText()}`);
    if (c.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, int(1), 4) < 0) throw new Error(`IPV6_RECVPKTINFO: ${errnoText()}`);
  } catch (e) {
    c.close(fd);
    throw e;
  }
  let closed = false;
  let looping: Promise<void> | undefined;
  // recvmsg's buffers stay alive as long as the socket: msghdr holds their addresses.
  const buf = Buffer.alloc(65536);
  const name = Buffer.alloc(28);
  const control = Buffer.alloc(256);
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(BigInt(koffi.address(buf) as bigint), 0);
  iov.writeBigUInt64LE(BigInt(buf.length), 8);
  const msg = Buffer.alloc(56);
  const receiveOne = (): Datagram6 | number => {
    msg.fill(0);
    msg.writeBigUInt64LE(BigInt(koffi.address(name) as bigint), 0);
    msg.writeUInt32LE(name.length, 8);
    msg.writeBigUInt64LE(BigInt(koffi.address(iov) as bigint), 16);
    msg.writeBigUInt64LE(1n, 24);
    msg.writeBigUInt64LE(BigInt(koffi.address(control) as bigint), 32);
    msg.writeBigUInt64LE(BigInt(control.length), 40);
    const n = lib6().recvmsg(fd, msg, MSG_DONTWAIT);
    if (n < 0) return koffi.errno();
    const d: Datagram6 = { payload: Buffer.from(buf.subarray(0, n)), src: Buffer.from(name.subarray(8, 24)), dst: Buffer.alloc(16), hopLimit: -1 };
    const clen = Number(msg.readBigUInt64LE(40));
    // struct cmsghdr { size_t len; int level; int type; data… }, each aligned to 8.
    for (let o = 0; o + 16 <= clen; ) {
      const len = Number(control.readBigUInt64LE(o));
      if (len < 16) break;
      const level = control.readInt32LE(o + 8);
      const type = control.readInt32LE(o + 12);
      if (level === IPPROTO_IPV6 && type === IPV6_HOPLIMIT) d.hopLimit = control.readInt32LE(o + 16);
      if (level === IPPROTO_IPV6 && type === IPV6_PKTINFO) control.copy(d.dst, 0, o + 16, o + 32);
      o += (len + 7) & ~7;
    }
    return d;
  };
  return {
    send(payload, dst) {
      if (closed) return;
      const sa = sockaddr6(dst, scopeFor(dst, ifindex));
      if (c.sendto(fd, payload, payload.length, MSG_DONTWAIT, sa, sa.length) < 0) throw new Error(`sendto: ${errnoText()}`);
    },
    loop(onDatagram, onError) {
      const pfd = Buffer.alloc(8);
      pfd.writeInt32LE(fd, 0);
      pfd.writeInt16LE(POLLIN, 4);
      looping = (async () => {
        while (!closed) {
          const ready = await new Promise<boolean>((resolve) => c.poll.async(pfd, 1, 200, (err, res) => resolve(!err && res > 0)));
          if (closed || !ready) continue;
          for (;;) {
            const r = receiveOne();
            if (typeof r === 'number') {
              if (r !== EAGAIN && r !== EINTR) onError?.(new Error(`recvmsg: ${errnoText()}`));
              break;
            }
            onDatagram(r);
          }
        }
      })();
      return looping;
    },
    async close() {
      closed = true;
      if (looping) await looping.catch(() => undefined);
      c.close(fd);
    },
  };
}

/** Sends one ICMPv6 message (the kernel fills in the checksum) from `iface` to `dst` with hop limit 255. */
export function sendIcmp6(iface: string, ifindex: number, msg: Buffer, dst: Uint8Array, src?: Uint8Array): void {
  const c = lib();
  const fd = setup(IPPROTO_ICMPV6, iface, ifindex, src);
  try {
    const sa = sockaddr6(dst, scopeFor(dst, ifindex));
    if (c.sendto(fd, msg, msg.length, 0, sa, sa.length) < 0) throw new Error(`sendto: ${errnoText()}`);
  } finally {
    c.close(fd);
  }
}

export interface Ip6Address {
  addr: Buffer;
  prefixLen: number;
  linkLocal: boolean;
  /** Still in duplicate address detection (cannot be bound or sent from yet). */
  tentative: boolean;
}

/** /proc/net/if_inet6's lines for `iface` (address, index, prefix, scope, flags, name). */
export function parseIfInet6(text: string, iface: string): Ip6Address[] {
  const out: Ip6Address[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[5] !== iface || !/^[0-9a-f]{32}$/.test(f[0])) continue;
    const flags = parseInt(f[4], 16);
    // IFA_F_TENTATIVE 0x40, IFA_F_DADFAILED 0x08
    out.push({ addr: Buffer.from(f[0], 'hex'), prefixLen: parseInt(f[2], 16), linkLocal: f[3] === '20', tentative: (flags & 0x48) !== 0 });
  }
  return out;
}
