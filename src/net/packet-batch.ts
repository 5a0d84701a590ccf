// Batched AF_PACKET I/O for forwarding: recvmmsg(2) into fixed slots with
// PACKET_AUXDATA (so a partial checksum, TP_STATUS_CSUMNOTREADY, and the frame's
// original length are known) and sendmmsg(2) of frames that stay where they were
// received (zero copy: a forwarded frame is rewritten in its receive slot, and the
// send vector points at it). One socket per interface, ETH_P_ALL so it sees frames
// before tc/nft ingress and the protocol handlers, with PACKET_IGNORE_OUTGOING so
// its own transmissions do not come back (packet(7)). Needs CAP_NET_RAW.

import koffi from 'koffi';
import { errnoText, lib } from './packet-io.js';
import { addrOf, IOV, MMSG, mmsgCalls, type MmsgCalls, wrPtr } from './mmsg.js';
import { PACKET_RESERVE, PACKET_RX_RING, PACKET_VERSION, RingReader, ringGeometry, TPACKET_V2, tpacketReq, type RingGeometry } from './tpacket.js';

const AF_PACKET = 17;
const SOCK_RAW = 3;
const ETH_P_ALL = 0x0003;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_ERROR = 4;
const SO_SNDBUF = 7;
const SO_RCVBUFFORCE = 33;
const SO_SNDBUFFORCE = 32;
const SOL_PACKET = 263;
const PACKET_AUXDATA = 8;
const PACKET_IGNORE_OUTGOING = 23;
const PACKET_STATISTICS = 6;
const MSG_DONTWAIT = 0x40;
const MSG_TRUNC = 0x20;
const EAGAIN = 11;
const EINTR = 4;
const POLLIN = 1;

/** tpacket_auxdata.tp_status bits (linux/if_packet.h). */
export const TP_STATUS_CSUMNOTREADY = 1 << 3;
export const TP_STATUS_VLAN_VALID = 1 << 4;
export const TP_STATUS_CSUM_VALID = 1 << 7;

/** Bytes kept free before each received frame, so TUN can prepend an outer IPv4 header in place. */
const HEADROOM = 64;
const SLOT_DATA = 2048;
const SLOT = HEADROOM + SLOT_DATA;
const CMSG = 48; // CMSG_SPACE(sizeof(struct tpacket_auxdata)) = 16 + 24, rounded

interface BatchLibc extends MmsgCalls {
  mmap: (addr: null, len: number, prot: number, flags: number, fd: number, off: number) => unknown;
  munmap: (addr: unknown, len: number) => number;
  getsockopt: (fd: number, level: number, name: number, val: Buffer, len: Buffer) => number;
  pollMany: { async: (fds: Buffer, n: number, timeout: number, cb: (err: unknown, res: number) => void) => void };
}

let blib: BatchLibc | undefined;
function batchLib(): BatchLibc {
  if (blib) return blib;
  const l = koffi.load('libc.so.6');
  // koffi's function objects are typed loosely; the casts name the C signatures.
  blib = {
    ...mmsgCalls(),
    mmap: l.func('void *mmap(void *, size_t, int, int, int, long)') as BatchLibc['mmap'],
    munmap: l.func('int munmap(void *, size_t)') as BatchLibc['munmap'],
    getsockopt: l.func('int getsockopt(int, int, int, _Out_ void *, _Inout_ void *)') as BatchLibc['getsockopt'],
    pollMany: l.func('int poll(_Inout_ void *, unsigned long, int)') as unknown as BatchLibc['pollMany'],
  };
  return blib;
}


export interface BatchSocketOptions {
  ifindex: number;
  /** Frames per recvmmsg/sendmmsg call. */
  batch?: number;
  rcvbuf?: number;
  /** Receive through a memory-mapped ring (TPACKET_V2) where the kernel allows it, else recvmmsg. */
  ring?: boolean;
  /** Frames in the ring. */
  ringFrames?: number;
}

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
/** Ring frames keep this much free before the Ethernet header (PACKET_RESERVE pushes it back), like HEADROOM. */
const RING_RESERVE = 64;

/** A received frame's metadata, valid until the next recv(). */
export interface RxMeta {
  /** Bytes captured (≤ SLOT_DATA). */
  len: number;
  /** The frame's length on the wire before truncation (a GRO superpacket exceeds the MTU). */
  wireLen: number;
  status: number;
}

export class BatchPacketSocket {
  readonly fd: number;
  readonly batch: number;
  /** Receive slots: frame i starts at slotOffset(i) in `rx`. */
  readonly rx: Buffer;
  readonly rxAddr: number;
  private readonly rxVec: Buffer;
  /** 32-bit views of rxVec, cmsg and txIov (host order, as the kernel's structs): no Buffer method call per field. */
  private readonly rxVec32: Uint32Array;
  private readonly cmsg32: Uint32Array;
  private readonly txIov32: Uint32Array;
  /** Messages the last recvmmsg filled: their msg_controllen is reset before the next. */
  private lastRecv = 0;
  private readonly cmsg: Buffer;
  private readonly cmsgAddr: number;
  private readonly txVec: Buffer;
  private readonly txIov: Buffer;
  private txCount = 0;
  readonly meta: RxMeta[];
  /** How frames are received: a memory-mapped ring (no system call per batch) or recvmmsg. */
  readonly rxMode: 'ring' | 'recvmmsg';
  /** Why the ring is not used, when it was asked for. */
  readonly ringError?: string;
  private ringMap?: { ptr: unknown; geo: RingGeometry };
  private reader?: RingReader;
  private closed = false;
  /** Frames that could not be sent (socket buffer full, or errors). */
  txDropped = 0;
  txFrames = 0;
  txErrors = new Map<number, number>();

  constructor(readonly opts: BatchSocketOptions) {
    const c = lib();
    this.batch = opts.batch ?? 64;
    const fd = c.socket(AF_PACKET, SOCK_RAW, ((ETH_P_ALL & 0xff) << 8) | (ETH_P_ALL >> 8));
    if (fd < 0) throw new Error(`AF_PACKET socket: ${errnoText()}`);
    this.fd = fd;
    const int = (v: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeInt32LE(v);
      return b;
    };
    try {
      if (c.setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, int(1), 4) < 0) throw new Error(`PACKET_AUXDATA: ${errnoText()}`);
      if (c.setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, int(1), 4) < 0) throw new Error(`PACKET_IGNORE_OUTGOING (Linux ≥ 4.20): ${errnoText()}`);
      const rb = opts.rcvbuf ?? 8 << 20;
      if (c.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, int(rb), 4) < 0) c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, int(rb), 4);
      if (c.setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, int(4 << 20), 4) < 0) c.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, int(4 << 20), 4);
      // The ring is set up before bind, so no frame is received outside it (packet_mmap.rst).
      if (opts.ring) {
        try {
          this.ringMap = this.setupRing(fd, opts.ringFrames ?? 8192, int);
        } catch (e) {
          this.ringError = (e as Error).message;
        }
      }
      const sll = Buffer.alloc(20);
      sll.writeUInt16LE(AF_PACKET, 0);
      sll.writeUInt16BE(ETH_P_ALL, 2);
      sll.writeInt32LE(opts.ifindex, 4);
      if (c.bind(fd, sll, 20) < 0) throw new Error(`bind to ifindex ${opts.ifindex}: ${errnoText()}`);
    } catch (e) {
      c.close(fd);
      throw e;
    }
    const n = this.batch;
    this.rxMode = this.ringMap ? 'ring' : 'recvmmsg';
    if (this.ringMap) {
      this.rx = Buffer.from(koffi.view(this.ringMap.ptr, this.ringMap.geo.size));
      this.rxAddr = Number(koffi.address(this.ringMap.ptr) as bigint);
    } else {
      this.rx = Buffer.alloc(n * SLOT);
      this.rxAddr = addrOf(this.rx);
    }
    this.cmsg = Buffer.alloc(n * CMSG);
    this.cmsgAddr = addrOf(this.cmsg);
    const iov = Buffer.alloc(n * IOV);
    const iovAddr = addrOf(iov);
    this.rxVec = Buffer.alloc(n * MMSG);
    for (let i = 0; i < n; i++) {
      wrPtr(iov, i * IOV, this.rxAddr + i * SLOT + HEADROOM);
      iov.writeUInt32LE(SLOT_DATA, i * IOV + 8);
      const m = i * MMSG;
      wrPtr(this.rxVec, m + 16, iovAddr + i * IOV); // msg_iov
      this.rxVec.writeUInt32LE(1, m + 24); // msg_iovlen
      wrPtr(this.rxVec, m + 32, this.cmsgAddr + i * CMSG); // msg_control
    }
    this.rxIov = iov; // kept alive: the kernel reads it on every call
    this.txVec = Buffer.alloc(2 * n * MMSG);
    this.txIov = Buffer.alloc(2 * n * IOV);
    const txIovAddr = addrOf(this.txIov);
    for (let i = 0; i < 2 * n; i++) {
      wrPtr(this.txVec, i * MMSG + 16, txIovAddr + i * IOV);
      this.txVec.writeUInt32LE(1, i * MMSG + 24);
    }
    this.meta = Array.from({ length: n }, () => ({ len: 0, wireLen: 0, status: 0 }));
    if (this.ringMap) {
      const g = this.ringMap.geo;
      this.reader = new RingReader(new Uint32Array(this.rx.buffer, this.rx.byteOffset, this.rx.length >> 2), g.frameSize, g.frameNr, this.meta);
    }
    this.rxVec32 = new Uint32Array(this.rxVec.buffer, this.rxVec.byteOffset, this.rxVec.length >> 2);
    this.cmsg32 = new Uint32Array(this.cmsg.buffer, this.cmsg.byteOffset, this.cmsg.length >> 2);
    this.txIov32 = new Uint32Array(this.txIov.buffer, this.txIov.byteOffset, this.txIov.length >> 2);
    for (let i = 0; i < n; i++) this.rxVec32[(i * MMSG + 40) >> 2] = CMSG; // msg_controllen
  }

  private readonly rxIov: Buffer;

  /** TPACKET_V2 ring of `frames` frames, mapped; throws (the socket then uses recvmmsg) where refused. */
  private setupRing(fd: number, frames: number, int: (v: number) => Buffer): { ptr: unknown; geo: RingGeometry } {
    const c = lib();
    if (c.setsockopt(fd, SOL_PACKET, PACKET_VERSION, int(TPACKET_V2), 4) < 0) throw new Error(`PACKET_VERSION TPACKET_V2: ${errnoText()}`);
    if (c.setsockopt(fd, SOL_PACKET, PACKET_RESERVE, int(RING_RESERVE), 4) < 0) throw new Error(`PACKET_RESERVE: ${errnoText()}`);
    const geo = ringGeometry(frames);
    if (c.setsockopt(fd, SOL_PACKET, PACKET_RX_RING, tpacketReq(geo), 16) < 0) throw new Error(`PACKET_RX_RING: ${errnoText()}`);
    const ptr = batchLib().mmap(null, geo.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const addr = Number(koffi.address(ptr) as bigint);
    if (!addr || addr === 2 ** 64 - 1) {
      const err = errnoText();
      c.setsockopt(fd, SOL_PACKET, PACKET_RX_RING, Buffer.alloc(16), 16); // release the ring
      throw new Error(`mmap of the receive ring: ${err}`);
    }
    return { ptr, geo };
  }

  /** Offset in `rx` where received frame i starts. */
  slotOffset(i: number): number {
    return this.reader ? this.reader.offs[i] : i * SLOT + HEADROOM;
  }

  /** Receives up to `batch` frames without blocking; their metadata is in `meta`. */
  recv(): number {
    if (this.closed) return 0;
    if (this.reader) return this.reader.take();
    const v = this.rxVec32;
    // The kernel overwrote msg_controllen of the messages it filled last time (only those).
    for (let i = 0; i < this.lastRecv; i++) v[(i * MMSG + 40) >> 2] = CMSG;
    this.lastRecv = 0;
    const n = batchLib().recvmmsg(this.fd, this.rxVec, this.batch, MSG_DONTWAIT | MSG_TRUNC, null);
    if (n < 0) {
      const e = koffi.errno();
      if (e === EAGAIN || e === EINTR) return 0;
      throw new Error(`recvmmsg: ${errnoText()}`);
    }
    this.lastRecv = n;
    const cm = this.cmsg32;
    for (let i = 0; i < n; i++) {
      const m = this.meta[i];
      const got = v[(i * MMSG + 56) >> 2]; // msg_len
      m.len = got < SLOT_DATA ? got : SLOT_DATA;
      m.wireLen = got;
      m.status = 0;
      const clen = v[(i * MMSG + 40) >> 2];
      const c = (i * CMSG) >> 2;
      if (clen >= 36 && cm[c + 2] === SOL_PACKET && cm[c + 3] === PACKET_AUXDATA) {
        m.status = cm[c + 4];
        m.wireLen = cm[c + 5];
      }
    }
    return n;
  }

  /** Queues `len` bytes at `off` of `buf` (which must stay untouched until flush) for sending. */
  queue(bufAddr: number, off: number, len: number): void {
    if (this.txCount === 2 * this.batch) this.flush();
    const i = this.txCount++;
    const a = bufAddr + off;
    const w = (i * IOV) >> 2;
    const t = this.txIov32;
    t[w] = a >>> 0; // iov_base, low and high halves
    t[w + 1] = (a / 0x100000000) >>> 0;
    t[w + 2] = len; // iov_len (64-bit; frames are < 2^32)
    t[w + 3] = 0;
  }

  get pending(): number {
    return this.txCount;
  }

  /** Sends every queued frame (sendmmsg); frames the kernel refuses are counted and dropped. */
  flush(): void {
    let done = 0;
    const total = this.txCount;
    this.txCount = 0;
    while (done < total && !this.closed) {
      const sub = done === 0 ? this.txVec : this.txVec.subarray(done * MMSG);
      const n = batchLib().sendmmsg(this.fd, sub, total - done, MSG_DONTWAIT);
      if (n < 0) {
        const e = koffi.errno();
        this.txErrors.set(e, (this.txErrors.get(e) ?? 0) + 1);
        // The first frame is refused (EMSGSIZE over MTU, ENOBUFS…): skip it and go on.
        this.txDropped++;
        done++;
        continue;
      }
      this.txFrames += n;
      done += n;
    }
  }

  /**
   * Takes the socket's pending error (SO_ERROR), 0 if none. A ring socket needs this: its
   * frames come without a system call, so a link going down (ENETDOWN) is never reported
   * by a receive, keeps poll() returning at once, and would fail the next send instead.
   */
  takeError(): number {
    return this.option(SOL_SOCKET, SO_ERROR, 4)?.readInt32LE(0) ?? 0;
  }

  /** Frames the kernel dropped for want of room (socket buffer or ring full) since the last call (PACKET_STATISTICS). */
  kernelDrops(): number {
    return this.option(SOL_PACKET, PACKET_STATISTICS, 12)?.readUInt32LE(4) ?? 0; // tp_drops (reading resets the counters)
  }

  /** getsockopt(2) of `size` octets; undefined when closed or refused. */
  private option(level: number, name: number, size: number): Buffer | undefined {
    if (this.closed) return undefined;
    const v = Buffer.alloc(size);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(size);
    return batchLib().getsockopt(this.fd, level, name, v, len) < 0 ? undefined : v;
  }

  /** Sends one frame now (ARP and other rare frames). */
  sendNow(frame: Buffer): boolean {
    if (this.closed) return false;
    return lib().send(this.fd, frame, frame.length, MSG_DONTWAIT) >= 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    lib().close(this.fd);
    if (this.ringMap) batchLib().munmap(this.ringMap.ptr, this.ringMap.geo.size);
  }
}

/** Waits off the main thread until one of `fds` is readable or `timeoutMs` passes. */
export function pollReadable(fds: readonly number[], timeoutMs: number): Promise<boolean> {
  const pfd = Buffer.alloc(8 * fds.length);
  fds.forEach((fd, i) => {
    pfd.writeInt32LE(fd, i * 8);
    pfd.writeInt16LE(POLLIN, i * 8 + 4);
  });
  return new Promise((resolve) => batchLib().pollMany.async(pfd, fds.length, timeoutMs, (err, res) => resolve(!err && res > 0)));
}
