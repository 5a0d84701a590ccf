// Batched receive and send on a bound UDP socket: recvmmsg(2) into fixed slots and
// sendmmsg(2) of the answers, one system call each way for a burst of datagrams, and
// no per-datagram address object or ArrayBuffer as Node's dgram builds.
//
// The socket stays a Node dgram socket: created and bound as before (so a cluster
// worker gets the primary's shared socket and needs no privilege of its own), and
// libuv keeps watching it. Its 'message' event is the wake-up: the caller answers that
// datagram, then drain() reads every datagram queued behind it in batches, and flush()
// sends all the answers in one sendmmsg. No thread blocks waiting, and closing stays
// dgram's business. Answers are addressed by copying the received sockaddr bytes.

import type dgram from 'node:dgram';
import koffi from 'koffi';
import { errnoText } from './packet-io.js';
import { addrOf, IOV, MMSG, mmsgCalls, type MmsgCalls, wrPtr } from './mmsg.js';
import { encodeSockaddr, SockaddrReader } from './sockaddr.js';

const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;
const EINTR = 4;
const NAME = 32; // room for a sockaddr_in6 (28)
/** Datagrams per recvmmsg. */
const BATCH = 32;
/** Receive slot: any UDP payload fits (libuv reads into 64 KiB too). */
const RX_SLOT = 65536;
/** Answers queued before a sendmmsg; a longer burst is sent in several. */
const TX = 64;
/** Send slot; a larger answer goes out through dgram. */
const TX_SLOT = 4096;
/** Wake-ups that read the queue after one that found datagrams queued. */
const BUSY = 8;
/** recvmmsg calls per wake-up at most, so other work (TCP, timers, IPC) gets its turn. */
const ROUNDS = 2;

/** Environment variable: `dgram` answers UDP through Node's sockets only. */
export const UDP_IO_ENV = 'TRIAD_DNS_UDP';

interface MmsgLibc extends MmsgCalls {
  ifIndexToName: (index: number, name: Buffer) => unknown;
}

const scopeNames = new Map<number, string>();
/** An interface's name by index (if_indextoname(3)), as dgram names a link-local source's scope. */
function scopeName(index: number): string {
  let n = scopeNames.get(index);
  if (n === undefined) {
    const b = Buffer.alloc(16); // IF_NAMESIZE
    n = mlib && mlib.ifIndexToName(index, b) ? b.toString('latin1', 0, b.indexOf(0)) : String(index);
    scopeNames.set(index, n);
  }
  return n;
}

let mlib: MmsgLibc | undefined;
let mlibError: string | undefined;

/** Why batched UDP cannot be used in this process, or undefined when it can. Decided once. */
export function udpBatchUnavailable(): string | undefined {
  if (process.env[UDP_IO_ENV] === 'dgram') return `${UDP_IO_ENV}=dgram`;
  if (mlib) return undefined;
  if (mlibError) return mlibError;
  try {
    const l = koffi.load('libc.so.6');
    // koffi's function objects are typed loosely; the casts name the C signatures.
    mlib = {
      ...mmsgCalls(),
      ifIndexToName: l.func('void *if_indextoname(unsigned int, _Out_ uint8_t *name)') as MmsgLibc['ifIndexToName'],
    };
    return undefined;
  } catch (err) {
    mlibError = `no FFI to libc (${err instanceof Error ? err.message : String(err)})`;
    return mlibError;
  }
}


/** The file descriptor under a bound dgram socket (libuv's handle exposes it on Unix). */
function dgramFd(sock: dgram.Socket): number {
  // Node keeps the handle in the socket's private state (the public `_handle` alias is
  // deprecated and warns); its `fd` getter is what `net` reads for the same purpose.
  const state = Object.getOwnPropertySymbols(sock).find((s) => s.description === 'state symbol');
  const h = state ? (sock as unknown as Record<symbol, { handle?: { fd?: unknown } } | undefined>)[state]?.handle : undefined;
  return typeof h?.fd === 'number' ? h.fd : -1;
}

/** Answers a datagram from `address` (IPv4-mapped sources as dotted IPv4) and `port`; null: nothing to send. */
export type UdpAnswer = (msg: Buffer, address: string, port: number) => Uint8Array | null;

export class UdpBatch {
  private readonly lib: MmsgLibc;
  private readonly rx: Buffer;
  private readonly rxVec: Buffer;
  private readonly rxNames: Buffer;
  private readonly rxIov: Buffer;
  private lastRx = BATCH;
  private readonly reader = new SockaddrReader(scopeName);
  private readonly tx: Buffer;
  private readonly txVec: Buffer;
  private readonly txNames: Buffer;
  private readonly txIov: Buffer;
  private txCount = 0;
  private lastDest = '';
  private readonly lastName = Buffer.alloc(NAME);
  private lastNameLen = 0;
  /** Why the batched path stopped working on this socket (the caller goes back to dgram). */
  failed: string | undefined;
  /** Answers the kernel refused (ENOBUFS…); lost as any datagram may be. */
  sendErrors = 0;

  private constructor(
    private readonly sock: dgram.Socket,
    private readonly fd: number,
    private readonly family: 4 | 6,
  ) {
    this.lib = mlib as MmsgLibc;
    this.rx = Buffer.allocUnsafe(BATCH * RX_SLOT);
    this.rxNames = Buffer.alloc(BATCH * NAME);
    this.rxIov = Buffer.alloc(BATCH * IOV);
    this.rxVec = Buffer.alloc(BATCH * MMSG);
    const rxAddr = addrOf(this.rx);
    const rxNamesAddr = addrOf(this.rxNames);
    const rxIovAddr = addrOf(this.rxIov);
    for (let i = 0; i < BATCH; i++) {
      wrPtr(this.rxIov, i * IOV, rxAddr + i * RX_SLOT);
      this.rxIov.writeUInt32LE(RX_SLOT, i * IOV + 8);
      const m = i * MMSG;
      wrPtr(this.rxVec, m, rxNamesAddr + i * NAME); // msg_name
      wrPtr(this.rxVec, m + 16, rxIovAddr + i * IOV); // msg_iov
      this.rxVec.writeUInt32LE(1, m + 24); // msg_iovlen
    }
    this.tx = Buffer.allocUnsafe(TX * TX_SLOT);
    this.txNames = Buffer.alloc(TX * NAME);
    this.txIov = Buffer.alloc(TX * IOV);
    this.txVec = Buffer.alloc(TX * MMSG);
    const txAddr = addrOf(this.tx);
    const txNamesAddr = addrOf(this.txNames);
    const txIovAddr = addrOf(this.txIov);
    for (let j = 0; j < TX; j++) {
      wrPtr(this.txIov, j * IOV, txAddr + j * TX_SLOT);
      const m = j * MMSG;
      wrPtr(this.txVec, m, txNamesAddr + j * NAME);
      wrPtr(this.txVec, m + 16, txIovAddr + j * IOV);
      this.txVec.writeUInt32LE(1, m + 24);
    }
  }

  /** Batched I/O on a bound dgram socket, or the reason it is not possible. */
  static open(sock: dgram.Socket): UdpBatch | string {
    const why = udpBatchUnavailable();
    if (why) return why;
    const fd = dgramFd(sock);
    if (fd < 0) return 'the socket has no file descriptor';
    return new UdpBatch(sock, fd, sock.address().family === 'IPv6' ? 6 : 4);
  }

  /** Drains left before the queue is read only on a second datagram in one turn; refilled when a drain finds datagrams. */
  private busy = 0;
  /** 'message' events in this turn of the event loop (libuv reads on while datagrams are queued). */
  private turn = 0;
  private readonly endTurn = (): void => {
    this.turn = 0;
  };

  /**
   * Called after answering the datagram dgram delivered: reads what is queued behind it
   * when that is likely, then sends every queued answer. At a low rate each datagram
   * comes alone and a read that finds nothing would cost a system call per query, so
   * the queue is read only while busy (a recent drain found datagrams) or when libuv
   * hands a second datagram in one turn.
   */
  afterMessage(answer: UdpAnswer): void {
    if (this.turn++ === 0) setImmediate(this.endTurn);
    if (this.busy > 0 || this.turn > 1) this.drain(answer);
    this.flush();
  }

  /** Reads the datagrams queued on the socket and queues `answer`'s replies; call flush() after. */
  drain(answer: UdpAnswer): void {
    if (this.busy > 0) this.busy--;
    if (this.failed) return;
    for (let round = 0; round < ROUNDS; round++) {
      // The kernel overwrote msg_namelen of the slots it filled last time.
      for (let i = 0; i < this.lastRx; i++) this.rxVec.writeUInt32LE(NAME, i * MMSG + 8);
      const n = this.lib.recvmmsg(this.fd, this.rxVec, BATCH, MSG_DONTWAIT, null);
      if (n < 0) {
        this.lastRx = 0;
        const e = koffi.errno();
        if (e !== EAGAIN && e !== EINTR) this.failed = `recvmmsg: ${errnoText()}`;
        return;
      }
      this.lastRx = n;
      if (n > 0) this.busy = BUSY;
      for (let i = 0; i < n; i++) {
        const address = this.reader.read(this.rxNames, i * NAME);
        if (address === undefined) continue;
        const port = this.reader.port;
        const len = this.rxVec.readUInt32LE(i * MMSG + 56);
        // A copy the responder may keep (deferred answers hold their query); small ones
        // come from Node's buffer pool, not an ArrayBuffer each.
        const msg = Buffer.allocUnsafe(len);
        this.rx.copy(msg, 0, i * RX_SLOT, i * RX_SLOT + len);
        const out = answer(msg, address, port);
        if (out) this.queue(out, i * NAME, this.rxVec.readUInt32LE(i * MMSG + 8), address, port);
      }
      if (n < BATCH) return;
    }
  }

  /** Queues an answer to `address` (as dgram's rinfo wrote it) and `port`. */
  queueTo(out: Uint8Array, address: string, port: number): void {
    if (address !== this.lastDest) {
      this.lastNameLen = encodeSockaddr(this.family, address, port, this.lastName, 0);
      this.lastDest = this.lastNameLen ? address : '';
    }
    if (!this.lastNameLen || out.length > TX_SLOT) {
      this.sock.send(out, port, address);
      return;
    }
    this.lastName[2] = port >> 8;
    this.lastName[3] = port & 0xff;
    const j = this.slot();
    this.lastName.copy(this.txNames, j * NAME, 0, this.lastNameLen);
    this.put(j, out, this.lastNameLen);
  }

  private queue(out: Uint8Array, nameOff: number, nameLen: number, address: string, port: number): void {
    if (out.length > TX_SLOT) {
      // dgram needs the IPv4-mapped form on an IPv6 socket.
      this.sock.send(out, port, this.family === 6 && !address.includes(':') ? `::ffff:${address}` : address);
      return;
    }
    const j = this.slot();
    this.rxNames.copy(this.txNames, j * NAME, nameOff, nameOff + nameLen);
    this.put(j, out, nameLen);
  }

  private slot(): number {
    if (this.txCount === TX) this.flush();
    return this.txCount++;
  }

  private put(j: number, out: Uint8Array, nameLen: number): void {
    this.tx.set(out, j * TX_SLOT);
    this.txIov.writeUInt32LE(out.length, j * IOV + 8);
    this.txVec.writeUInt32LE(nameLen, j * MMSG + 8);
  }

  /** Sends every queued answer (sendmmsg); one the kernel refuses is counted and skipped. */
  flush(): void {
    const total = this.txCount;
    this.txCount = 0;
    let done = 0;
    while (done < total) {
      const vec = done === 0 ? this.txVec : this.txVec.subarray(done * MMSG);
      const n = this.lib.sendmmsg(this.fd, vec, total - done, MSG_DONTWAIT);
      if (n <= 0) {
        this.sendErrors++;
        done++;
        continue;
      }
      done += n;
    }
  }
}
