// AF_PACKET sockets (packet(7)) through koffi's FFI to libc: receive whole Ethernet
// frames on one interface (so the receiving interface is known) and send raw frames
// (so a reply reaches a client's MAC with no ARP entry, as ISC dhcpd's LPF does).
// Node's dgram can do neither. Needs CAP_NET_RAW.

import dgram from 'node:dgram';
import koffi from 'koffi';
import { IOV, MMSG, mmsgCalls } from './mmsg.js';

const AF_PACKET = 17;
const SOCK_RAW = 3;
const ETH_P_IP = 0x0800;
const SOL_SOCKET = 1;
const SO_ATTACH_FILTER = 26;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;
const MSG_DONTWAIT = 0x40;
const POLLIN = 1;
const EAGAIN = 11;
const EINTR = 4;
const SLAB = 256 * 1024;
/** Frames per recvmmsg(2). */
const RX_BATCH = 16;
/** Receive slot: a jumbo frame (9000 MTU, VLAN tag) fits; larger ones are truncated. */
const RX_SLOT = 9216;
/**
 * Event-loop turns to keep draining after a short batch before going back to poll(): the
 * next frame of an exchange (a REQUEST after its OFFER) often arrives within one, and a
 * frame caught there saves a poll() wake-up through the thread pool. Measured with
 * dhcp-instr.js (STRACE=1) at 1000 exchanges/s: with 0 turns, about half again as many
 * futex calls (thread-pool wake-ups) as with 1; with 3 (the older loop, one recv() a
 * frame), two reads in three found nothing.
 */
const SPIN = 1;
/**
 * With wake-ups (PacketSocket.wakeups): a socket that saw a frame within IDLE_MS waits for
 * kick() instead of poll() on the thread pool, and drains every FALLBACK_MS regardless, for
 * frames that reach the packet socket but not the UDP socket that kicks (see UdpSender.withWakeups).
 */
const IDLE_MS = 1000;
const FALLBACK_MS = 20;

const htons = (n: number): number => ((n & 0xff) << 8) | ((n >> 8) & 0xff);

export interface Libc {
  sendto: (fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, alen: number) => number;
  socket: (domain: number, type: number, proto: number) => number;
  bind: (fd: number, addr: Buffer, len: number) => number;
  setsockopt: (fd: number, level: number, name: number, val: Buffer, len: number) => number;
  recv: (fd: number, buf: Buffer, len: number, flags: number) => number;
  send: (fd: number, buf: Buffer, len: number, flags: number) => number;
  close: (fd: number) => number;
  poll: { async: (fds: Buffer, n: number, timeout: number, cb: (err: unknown, res: number) => void) => void };
  strerror: (e: number) => string;
}

let libc: Libc | undefined;

export function lib(): Libc {
  if (libc) return libc;
  const l = koffi.load('libc.so.6');
  // koffi's function objects are typed loosely; the casts name the C signatures above.
  libc = {
    socket: l.func('int socket(int, int, int)') as Libc['socket'],
    bind: l.func('int bind(int, void *, uint32_t)') as Libc['bind'],
    setsockopt: l.func('int setsockopt(int, int, int, void *, uint32_t)') as Libc['setsockopt'],
    recv: l.func('intptr_t recv(int, _Out_ void *, size_t, int)') as Libc['recv'],
    send: l.func('intptr_t send(int, void *, size_t, int)') as Libc['send'],
    sendto: l.func('intptr_t sendto(int, void *, size_t, int, void *, uint32_t)') as Libc['sendto'],
    close: l.func('int close(int)') as Libc['close'],
    poll: l.func('int poll(_Inout_ void *, unsigned long, int)') as unknown as Libc['poll'],
    strerror: l.func('const char *strerror(int)') as Libc['strerror'],
  };
  return libc;
}

export function errnoText(): string {
  const e = koffi.errno();
  return `${lib().strerror(e)} (errno ${e})`;
}

interface BatchRx {
  lib: { recvmmsg: (fd: number, vec: Buffer, n: number, flags: number, timeout: null) => number };
  vec: Buffer;
  slot: Buffer[];
  keep: Buffer[];
}

let mmsgLib: BatchRx['lib'] | null | undefined;

/**
 * Preallocated mmsghdr vector and slots for recvmmsg(2), or undefined where the C library
 * lacks it (then frames are read one recv() at a time).
 */
function batchRx(): BatchRx | undefined {
  if (mmsgLib === undefined) {
    try {
      mmsgLib = { recvmmsg: mmsgCalls().recvmmsg };
    } catch {
      mmsgLib = null;
    }
  }
  if (!mmsgLib) return undefined;
  const area = Buffer.alloc(RX_BATCH * RX_SLOT);
  const iov = Buffer.alloc(RX_BATCH * IOV);
  const vec = Buffer.alloc(RX_BATCH * MMSG);
  const areaAddr = Number(koffi.address(area) as bigint);
  const iovAddr = Number(koffi.address(iov) as bigint);
  const slot: Buffer[] = [];
  for (let i = 0; i < RX_BATCH; i++) {
    iov.writeBigUInt64LE(BigInt(areaAddr + i * RX_SLOT), i * IOV);
    iov.writeBigUInt64LE(BigInt(RX_SLOT), i * IOV + 8);
    // struct msghdr: msg_iov at 16, msg_iovlen at 24; no name, no control data.
    vec.writeBigUInt64LE(BigInt(iovAddr + i * IOV), i * MMSG + 16);
    vec.writeBigUInt64LE(1n, i * MMSG + 24);
    slot.push(area.subarray(i * RX_SLOT, (i + 1) * RX_SLOT));
  }
  // The vector holds raw addresses of `area` and `iov`: keep them reachable with it.
  return { lib: mmsgLib, vec, slot, keep: [area, iov] };
}

/** True when PacketSocket receives with recvmmsg(2) (batches), false when with recv(2). */
export function batchedReceive(): boolean {
  batchRx();
  return !!mmsgLib;
}

/** Classic BPF: accept incoming IPv4/UDP (unfragmented) to `port`; the tail is `tcpdump -dd 'ip and udp dst port N'`. */
function udpPortFilter(port: number): Buffer {
  const prog: [number, number, number, number][] = [
    // Drop frames this host sends (PACKET_OUTGOING): our own relay replies to port 67 would
    // otherwise come back in. Ancillary load SKF_AD_OFF + SKF_AD_PKTTYPE.
    [0x20, 0, 0, 0xfffff004],
    [0x15, 10, 0, 4],
    [0x28, 0, 0, 12],
    [0x15, 0, 8, 0x0800],
    [0x30, 0, 0, 23],
    [0x15, 0, 6, 17],
    [0x28, 0, 0, 20],
    [0x45, 4, 0, 0x1fff],
    [0xb1, 0, 0, 14],
    [0x48, 0, 0, 16],
    [0x15, 0, 1, port],
    [0x06, 0, 0, 0x40000],
    [0x06, 0, 0, 0],
  ];
  const b = Buffer.alloc(prog.length * 8);
  prog.forEach(([code, jt, jf, k], i) => {
    b.writeUInt16LE(code, i * 8);
    b[i * 8 + 2] = jt;
    b[i * 8 + 3] = jf;
    b.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return b;
}

export interface PacketSocketOptions {
  ifindex: number;
  /** Keep only IPv4/UDP frames to this destination port (kernel BPF filter). */
  udpDstPort?: number;
  rcvbuf?: number;
}

/** One AF_PACKET socket bound to one interface. */
export class PacketSocket {
  readonly fd: number;
  private closed = false;
  private buf = Buffer.alloc(65536);

  constructor(readonly opts: PacketSocketOptions) {
    const c = lib();
    const fd = c.socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
    if (fd < 0) throw new Error(`AF_PACKET socket: ${errnoText()}`);
    this.fd = fd;
    try {
      if (opts.udpDstPort !== undefined) {
        const filter = udpPortFilter(opts.udpDstPort);
        // struct sock_fprog { unsigned short len; struct sock_filter *filter; } (x86-64/arm64 layout)
        const fprog = Buffer.alloc(16);
        fprog.writeUInt16LE(filter.length / 8, 0);
        fprog.writeBigUInt64LE(BigInt(koffi.address(filter) as bigint), 8);
        if (c.setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, 16) < 0) throw new Error(`SO_ATTACH_FILTER: ${errnoText()}`);
        this.filter = filter; // keep the program alive while attached
      }
      if (opts.rcvbuf) {
        const v = Buffer.alloc(4);
        v.writeInt32LE(opts.rcvbuf);
        // FORCE passes net.core.rmem_max when we have CAP_NET_ADMIN (bursts of DISCOVERs); else best effort.
        if (c.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, v, 4) < 0) c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, v, 4);
      }
      // struct sockaddr_ll
      const sll = Buffer.alloc(20);
      sll.writeUInt16LE(AF_PACKET, 0);
      sll.writeUInt16BE(ETH_P_IP, 2);
      sll.writeInt32LE(opts.ifindex, 4);
      if (c.bind(fd, sll, 20) < 0) throw new Error(`bind to ifindex ${opts.ifindex}: ${errnoText()}`);
      // Frames queued before the filter was attached may be anything: drain them.
      while (c.recv(fd, this.buf, this.buf.length, MSG_DONTWAIT) > 0);
    } catch (e) {
      c.close(fd);
      throw e;
    }
  }

  private filter?: Buffer;

  /** Sends one complete Ethernet frame out of the bound interface. */
  send(frame: Buffer): void {
    if (this.closed) return;
    const n = lib().send(this.fd, frame, frame.length, 0);
    if (n < 0) throw new Error(`send: ${errnoText()}`);
  }

  // Received frames are handed out as views of a slab, so a frame costs no allocation of
  // its own and stays valid for as long as its receiver keeps it (the DHCP server holds a
  // request across the lease file's fdatasync); a slab is replaced when nearly full, never
  // overwritten.
  private slab = Buffer.allocUnsafe(SLAB);
  private slabOff = 0;
  private rx = batchRx();

  private take(src: Buffer, n: number): Buffer {
    if (SLAB - this.slabOff < n) {
      this.slab = Buffer.allocUnsafe(SLAB);
      this.slabOff = 0;
    }
    const off = this.slabOff;
    src.copy(this.slab, off, 0, n);
    this.slabOff += (n + 7) & ~7;
    return this.slab.subarray(off, off + n);
  }

  /** Non-blocking receive; undefined when nothing is queued. */
  tryRecv(): Buffer | undefined {
    if (this.closed) return undefined;
    if (SLAB - this.slabOff < 4096) {
      this.slab = Buffer.allocUnsafe(SLAB);
      this.slabOff = 0;
    }
    const room = this.slab.subarray(this.slabOff);
    // A frame larger than the room (jumbo) is truncated by the kernel; DHCP fits 1500.
    const n = lib().recv(this.fd, room, room.length, MSG_DONTWAIT);
    if (n < 0) {
      const e = koffi.errno();
      if (e === EAGAIN || e === EINTR) return undefined;
      throw new Error(`recv: ${errnoText()}`);
    }
    const f = this.slab.subarray(this.slabOff, this.slabOff + n);
    this.slabOff += (n + 7) & ~7;
    return f;
  }

  /**
   * Receives what is queued, up to RX_BATCH frames, and hands each to `onFrame`; returns
   * how many. With recvmmsg(2) that is one system call, and a short count also says the
   * queue is empty now, so no further read is needed to find that out.
   */
  private drain(onFrame: (frame: Buffer) => void, onError: (e: Error) => void): number {
    if (this.closed) return 0;
    const rx = this.rx;
    if (!rx) {
      let got = 0;
      for (; got < RX_BATCH; got++) {
        let f: Buffer | undefined;
        try {
          f = this.tryRecv();
        } catch (e) {
          onError(e as Error);
          break;
        }
        if (!f) break;
        onFrame(f);
      }
      return got;
    }
    const n = rx.lib.recvmmsg(this.fd, rx.vec, RX_BATCH, MSG_DONTWAIT, null);
    if (n < 0) {
      const e = koffi.errno();
      if (e !== EAGAIN && e !== EINTR) onError(new Error(`recvmmsg: ${errnoText()}`));
      return 0;
    }
    for (let i = 0; i < n; i++) {
      const len = rx.vec.readUInt32LE(i * MMSG + 56);
      onFrame(this.take(rx.slot[i], len));
    }
    return n;
  }

  private pfd?: Buffer;

  /** Waits (off the main thread) until a frame is readable or `timeoutMs` passes. */
  wait(timeoutMs: number): Promise<boolean> {
    let pfd = this.pfd;
    if (!pfd) {
      pfd = this.pfd = Buffer.alloc(8);
      pfd.writeInt32LE(this.fd, 0);
      pfd.writeInt16LE(POLLIN, 4);
    }
    const p = pfd;
    return new Promise((resolve) => {
      lib().poll.async(p, 1, timeoutMs, (err, res) => resolve(!err && res > 0 && (p.readInt16LE(6) & POLLIN) !== 0));
    });
  }

  /** Calls `onFrame` for every frame until close(); frames are drained in batches. */
  async loop(onFrame: (frame: Buffer) => void, onError: (e: Error) => void): Promise<void> {
    this.looping = true;
    try {
      await this.loopInner(onFrame, onError);
    } finally {
      this.looping = false;
      // The fd is closed here, after poll() on the worker thread has returned, so its number
      // cannot be reused by another socket while poll still watches it.
      if (this.closed) lib().close(this.fd);
    }
  }

  private looping = false;

  private async loopInner(onFrame: (frame: Buffer) => void, onError: (e: Error) => void): Promise<void> {
    // poll() on a worker thread costs a thread hop per wake-up, and a read that finds the
    // queue empty costs a system call and an event-loop turn. A batch that came back short
    // means the queue was empty a moment ago, so after SPIN quiet turns we go back to poll();
    // while batches come back full we keep draining, yielding to the event loop between.
    let full = false;
    let lastFrame = -Infinity;
    while (!this.closed) {
      if (!full && this.wakeups && performance.now() - lastFrame < IDLE_MS) {
        // Busy: a kick (a request seen by the UDP socket, on the event loop) or the
        // fallback tick wakes us; no thread hop.
        await this.nextKick();
        if (this.closed) break;
        let got = this.drain(onFrame, onError);
        this.owed -= got;
        if (got === 0 && this.owed > 0) {
          // The UDP socket may see a frame a moment before the packet socket has it queued:
          // a kick with no frame (not one drained early with a previous kick's) looks again.
          await new Promise<void>((r) => setImmediate(r));
          got = this.drain(onFrame, onError);
          this.owed = 0;
        }
        // Frames the UDP socket never saw push this below zero; a bound keeps the retry alive.
        if (this.owed < -RX_BATCH) this.owed = -RX_BATCH;
        if (got > 0) lastFrame = performance.now();
        full = got >= RX_BATCH;
        if (full) await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      this.stopTick();
      if (!full) {
        const ready = await this.wait(250);
        if (this.closed) break;
        if (!ready) continue;
      }
      const got = this.drain(onFrame, onError);
      if (got > 0) lastFrame = performance.now();
      full = got >= RX_BATCH;
      if (this.wakeups) {
        if (full) await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      if (got > 0 && !full) full = await this.spin(onFrame, onError);
      else if (full) await new Promise<void>((r) => setImmediate(r));
    }
    this.stopTick();
  }

  /**
   * True when something on the event loop calls kick() for (nearly) every frame this socket
   * receives: the loop then waits for kicks while busy and uses poll() only when idle.
   */
  wakeups = false;
  private kicked?: () => void;
  private kickPending = false;
  private tick?: NodeJS.Timeout;

  /** Kicks not yet matched by a drained frame (see loopInner). */
  private owed = 0;

  /** A frame is (about to be) queued: wakes a loop that waits for kicks (no effect while it is in poll()). */
  kick(): void {
    this.owed++;
    this.wake();
  }

  private wake(): void {
    const r = this.kicked;
    if (r) {
      this.kicked = undefined;
      r();
    } else this.kickPending = true;
  }

  private nextKick(): Promise<void> {
    if (!this.tick) {
      this.tick = setInterval(() => this.wake(), FALLBACK_MS);
      this.tick.unref();
    }
    if (this.kickPending) {
      this.kickPending = false;
      return Promise.resolve();
    }
    return new Promise((r) => (this.kicked = r));
  }

  private stopTick(): void {
    if (this.tick) clearInterval(this.tick);
    this.tick = undefined;
    this.kickPending = false;
    this.owed = 0;
  }

  /** Drains once per event-loop turn until SPIN turns in a row find nothing; true when a batch came full. */
  private async spin(onFrame: (frame: Buffer) => void, onError: (e: Error) => void): Promise<boolean> {
    for (let quiet = 0; quiet < SPIN && !this.closed; ) {
      await new Promise<void>((r) => setImmediate(r));
      const got = this.drain(onFrame, onError);
      if (got >= RX_BATCH) return true;
      quiet = got ? 0 : quiet + 1;
    }
    return false;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.wake();
    if (!this.looping) lib().close(this.fd);
  }
}

/** True when this process may open AF_PACKET sockets (root or CAP_NET_RAW). */
export function canOpenPacketSockets(): boolean {
  try {
    const c = lib();
    const fd = c.socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
    if (fd < 0) return false;
    c.close(fd);
    return true;
  } catch {
    return false;
  }
}

const AF_INET = 2;
const SOCK_DGRAM = 2;
const SO_REUSEADDR = 2;
const SO_BROADCAST = 6;

/**
 * A UDP socket bound to a port, used only to send (synchronously, no per-datagram callback
 * as with dgram) and to keep the kernel from answering ICMP port-unreachable for the port.
 * What it receives is not read; a small receive buffer lets the kernel drop it.
 */
export class UdpSender {
  readonly fd: number;
  private addr = Buffer.alloc(16);
  private closed = false;
  /** The Node socket that owns `fd`, when made by withWakeups. */
  private owner?: dgram.Socket;

  /**
   * The sender on a Node UDP socket that libuv watches, so a datagram to the port calls
   * `onReadable` on the event loop (no thread hop): every relayed, unicast or broadcast
   * request a packet socket receives also reaches this socket, which makes it a cheap
   * wake-up for the packet sockets' loops. Sends still go through sendto on its fd.
   * Undefined where the socket's fd cannot be reached (then the caller uses `new UdpSender`).
   */
  static async withWakeups(port: number, onReadable: () => void, onError: (e: Error) => void): Promise<UdpSender | undefined> {
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      const failed = (e: Error): void => {
        sock.close();
        reject(new Error(`bind udp port ${port}: ${e.message}`));
      };
      sock.once('error', failed);
      sock.bind({ port, address: '0.0.0.0', exclusive: true }, () => {
        sock.off('error', failed);
        resolve();
      });
    });
    const fd = dgramFd(sock);
    if (fd === undefined) {
      sock.close();
      return undefined;
    }
    sock.setBroadcast(true);
    sock.on('error', onError);
    sock.on('message', onReadable);
    return new UdpSender(port, { fd, owner: sock });
  }

  constructor(port: number, adopt?: { fd: number; owner: dgram.Socket }) {
    if (adopt) {
      this.fd = adopt.fd;
      this.owner = adopt.owner;
      return;
    }
    const c = lib();
    const fd = c.socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) throw new Error(`udp socket: ${errnoText()}`);
    this.fd = fd;
    const one = Buffer.alloc(4);
    one.writeInt32LE(1);
    c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4);
    c.setsockopt(fd, SOL_SOCKET, SO_BROADCAST, one, 4);
    const small = Buffer.alloc(4);
    small.writeInt32LE(1);
    c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, small, 4);
    const sin = Buffer.alloc(16);
    sin.writeUInt16LE(AF_INET, 0);
    sin.writeUInt16BE(port, 2);
    if (c.bind(fd, sin, 16) < 0) {
      const why = errnoText();
      c.close(fd);
      throw new Error(`bind udp port ${port}: ${why}`);
    }
  }

  /** Sends one datagram; throws with errno text on failure. */
  send(payload: Buffer, ip: number, port: number): void {
    if (this.closed) return;
    this.addr.fill(0);
    this.addr.writeUInt16LE(AF_INET, 0);
    this.addr.writeUInt16BE(port, 2);
    this.addr.writeUInt32BE(ip >>> 0, 4);
    if (lib().sendto(this.fd, payload, payload.length, MSG_DONTWAIT, this.addr, 16) < 0) throw new Error(`sendto: ${errnoText()}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.owner) this.owner.close();
    else lib().close(this.fd);
  }
}

/**
 * The descriptor under a bound dgram socket. Node keeps its handle behind a private symbol;
 * where that is not found (another Node version) the answer is undefined, never a guess.
 */
function dgramFd(sock: dgram.Socket): number | undefined {
  for (const sym of Object.getOwnPropertySymbols(sock)) {
    // Node's private state: { handle: UDPWrap (with an fd getter), … }. Read only.
    const state = (sock as unknown as Record<symbol, { handle?: { fd?: unknown } } | undefined>)[sym];
    const fd = state?.handle?.fd;
    if (typeof fd === 'number' && fd >= 0) return fd;
  }
  return undefined;
}

const SOCK_RAW_INET = 3;
const IPPROTO_ICMP = 1;

/** A raw IPv4 ICMP socket: send ICMP messages, receive whole IPv4 datagrams carrying ICMP. */
/**
 * Waits on `fd` (poll, off the main thread) and hands each datagram to `onDatagram`
 * until `isClosed()`. A receive error other than EAGAIN/EINTR loses packets, not the
 * socket: it goes to `onError` and the loop waits on.
 */
export function pollReceive(fd: number, buf: Buffer, isClosed: () => boolean, onDatagram: (d: Buffer) => void, onError?: (err: Error) => void): Promise<void> {
  const c = lib();
  const pfd = Buffer.alloc(8);
  pfd.writeInt32LE(fd, 0);
  pfd.writeInt16LE(POLLIN, 4);
  return (async () => {
    while (!isClosed()) {
      const ready = await new Promise<boolean>((resolve) => c.poll.async(pfd, 1, 200, (err, res) => resolve(!err && res > 0)));
      if (isClosed() || !ready) continue;
      for (;;) {
        const n = c.recv(fd, buf, buf.length, MSG_DONTWAIT);
        if (n < 0) {
          const e = koffi.errno();
          if (e !== EAGAIN && e !== EINTR) onError?.(new Error(`recv: ${errnoText()}`));
          break;
        }
        if (n === 0) break;
        onDatagram(Buffer.from(buf.subarray(0, n)));
      }
    }
  })();
}

export interface RawIcmpSocket {
  sendTo(icmp: Buffer, ip: number): void;
  loop(onDatagram: (d: Buffer) => void): Promise<void>;
  close(): Promise<void>;
}

export function openRawIcmp(): RawIcmpSocket {
  const c = lib();
  const fd = c.socket(AF_INET, SOCK_RAW_INET, IPPROTO_ICMP);
  if (fd < 0) throw new Error(`raw ICMP socket: ${errnoText()}`);
  const addr = Buffer.alloc(16);
  const buf = Buffer.alloc(65536);
  let closed = false;
  let looping: Promise<void> | undefined;
  return {
    sendTo(icmp, ip) {
      addr.fill(0);
      addr.writeUInt16LE(AF_INET, 0);
      addr.writeUInt32BE(ip >>> 0, 4);
      if (c.sendto(fd, icmp, icmp.length, MSG_DONTWAIT, addr, 16) < 0) throw new Error(`sendto: ${errnoText()}`);
    },
    loop(onDatagram) {
      looping = pollReceive(fd, buf, () => closed, onDatagram);
      return looping;
    },
    async close() {
      closed = true;
      if (looping) await looping;
      c.close(fd);
    },
  };
}
