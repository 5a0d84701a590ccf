// The TFTP socket edge: one listener (port 69 or TFTP_ADDRESS), one socket per transfer
// (its port is the server's transfer ID, RFC 1350 §4), files read block by block as the
// window advances (a big file is never held in memory), every transfer on the event loop
// without blocking it. Decisions come from transfer.ts and paths.ts.

import dgram from 'node:dgram';
import type { FileHandle } from 'node:fs/promises';
import type { TftpdConf } from '../config/default-tftpd.js';
import { applyRemap } from '../config/tftp-remap.js';
import { LogLimit, type Logger } from '../log.js';
import { decodePacket, encodeAck, encodeData, encodeError, encodeOack, ERR, OP, type TftpMode } from './packet.js';
import { confineName, createConfined, openConfined, type Refusal, type UploadTarget } from './paths.js';
import { negotiate, ReceiveState, SendState, toNetascii, type ReceiveAction, type SendAction } from './transfer.js';

export interface TftpLimits {
  /** Transfers at once, in total. */
  maxSessions: number;
  /** Transfers at once from one client address. */
  maxPerClient: number;
  /** Timeouts in a row before a transfer is given up. */
  maxRetries: number;
  /** The largest window granted. */
  maxWindow: number;
}

export const DEFAULT_TFTP_LIMITS: TftpLimits = { maxSessions: 256, maxPerClient: 16, maxRetries: 5, maxWindow: 64 };

export interface TftpStats {
  requests: number;
  completed: number;
  /** Uploads completed (--create). */
  received: number;
  bytesReceived: number;
  failed: number;
  refused: number;
  /** Refusals counted but not logged (the log takes a burst per interval). */
  refusalsNotLogged: number;
  malformed: number;
  bytesSent: number;
}

export interface ActiveTransfer {
  client: string;
  file: string;
  mode: TftpMode;
  blksize: number;
  windowsize: number;
  bytes: number;
  started: string;
}

/** Reads a file's blocks in order, keeping only those not yet acknowledged. */
class BlockReader {
  private cache = new Map<number, Buffer>();
  private next = 1;
  private pos = 0;
  private pending = Buffer.alloc(0);
  private eof = false;

  constructor(private readonly fh: FileHandle, private readonly blksize: number, private readonly mode: TftpMode) {}

  async block(i: number): Promise<Buffer> {
    const c = this.cache.get(i);
    if (c) return c;
    if (i !== this.next) throw new Error(`block ${i} asked out of order (next is ${this.next})`);
    const b = this.mode === 'octet' ? await this.readOctet() : await this.readNetascii();
    this.cache.set(i, b);
    this.next++;
    return b;
  }

  /** Blocks up to `acked` are never needed again. */
  forget(acked: number): void {
    for (const k of this.cache.keys()) if (k <= acked) this.cache.delete(k);
  }

  private async readOctet(): Promise<Buffer> {
    const buf = Buffer.alloc(this.blksize);
    let got = 0;
    while (got < this.blksize) {
      const { bytesRead } = await this.fh.read(buf, got, this.blksize - got, this.pos);
      if (bytesRead === 0) break;
      got += bytesRead;
      this.pos += bytesRead;
    }
    return got === this.blksize ? buf : buf.subarray(0, got);
  }

  private async readNetascii(): Promise<Buffer> {
    while (this.pending.length < this.blksize && !this.eof) {
      const raw = Buffer.alloc(65536);
      const { bytesRead } = await this.fh.read(raw, 0, raw.length, this.pos);
      if (bytesRead === 0) this.eof = true;
      else {
        this.pos += bytesRead;
        this.pending = Buffer.concat([this.pending, toNetascii(raw.subarray(0, bytesRead))]);
      }
    }
    const out = Buffer.from(this.pending.subarray(0, this.blksize));
    this.pending = this.pending.subarray(out.length);
    return out;
  }
}

export class TftpServer {
  readonly stats: TftpStats = { requests: 0, completed: 0, received: 0, bytesReceived: 0, failed: 0, refused: 0, refusalsNotLogged: 0, malformed: 0, bytesSent: 0 };
  private listener: dgram.Socket | undefined;
  private readonly sessions = new Set<Session>();
  private readonly perClient = new Map<string, number>();
  /** A flood of refused requests writes a few lines per interval, not one per packet. */
  private readonly refusalLog = new LogLimit(10);

  constructor(private conf: TftpdConf, private readonly log: Logger, private readonly limits: TftpLimits = DEFAULT_TFTP_LIMITS) {}

  /** The listener's port (useful when configured as 0 in tests). */
  port(): number {
    return this.listener?.address().port ?? 0;
  }

  active(): ActiveTransfer[] {
    return [...this.sessions].map((s) => s.info);
  }

  /** A reload: new requests use the new settings; running transfers finish with theirs. */
  setConf(conf: TftpdConf): void {
    this.conf = conf;
  }

  private family(): 'udp4' | 'udp6' {
    return this.conf.address.includes(':') ? 'udp6' : 'udp4';
  }

  async start(): Promise<void> {
    const sock = dgram.createSocket({ type: this.family(), reuseAddr: false });
    sock.on('message', (msg, rinfo) => this.onRequest(msg, rinfo));
    sock.on('error', (err) => this.log.error({ err: err.message }, 'tftp: listener error'));
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(this.conf.port, this.conf.address || undefined, () => {
        sock.off('error', reject);
        resolve();
      });
    });
    this.listener = sock;
    this.log.info({ address: `${this.conf.address || '*'}:${this.port()}`, directory: this.conf.directory }, 'tftp: serving');
  }

  async stop(): Promise<void> {
    for (const s of this.sessions) s.end();
    const l = this.listener;
    this.listener = undefined;
    if (l) await new Promise<void>((r) => l.close(() => r()));
  }

  private refuse(to: dgram.RemoteInfo, r: Refusal, what: string): void {
    this.stats.refused++;
    const a = this.refusalLog.admit();
    if (!a.log) this.stats.refusalsNotLogged++;
    else this.log.warn({ client: `${to.address}:${to.port}`, reason: r.reason, ...(a.notLogged ? { notLogged: a.notLogged } : {}) }, `tftp: refused ${what}: ${r.message}${a.notLogged ? ` (${a.notLogged} more refusals not logged)` : ''}`);
    this.listener?.send(encodeError(r.code, r.message), to.port, to.address);
  }

  private onRequest(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const p = decodePacket(msg);
    if (typeof p === 'string') {
      this.stats.malformed++;
      this.log.debug({ client: `${rinfo.address}:${rinfo.port}`, why: p }, 'tftp: malformed request dropped');
      // A request we cannot read still gets an answer when it was meant as one (RFC 1350 §7).
      if (msg.length >= 2 && (msg.readUInt16BE(0) === OP.RRQ || msg.readUInt16BE(0) === OP.WRQ)) {
        this.listener?.send(encodeError(ERR.ILLEGAL_OP, 'Illegal TFTP operation'), rinfo.port, rinfo.address);
      }
      return;
    }
    // DATA/ACK/ERROR on the listening port belong to no transfer (a client may answer a
    // refusal sent from this port there): dropped without a word.
    if (p.op !== OP.RRQ && p.op !== OP.WRQ) return;
    this.stats.requests++;
    const what = `${p.op === OP.RRQ ? 'read' : 'write'} of '${p.filename}'`;
    if (p.op === OP.WRQ && !this.conf.create) {
      return this.refuse(rinfo, { code: ERR.ACCESS, message: 'Access violation', reason: 'uploads are off (TFTP_OPTIONS has no --create)' }, what);
    }
    if (p.op === OP.WRQ && p.mode !== 'octet') {
      return this.refuse(rinfo, { code: ERR.ILLEGAL_OP, message: 'Only octet mode uploads are taken', reason: 'a netascii upload' }, what);
    }
    if (this.sessions.size >= this.limits.maxSessions) {
      return this.refuse(rinfo, { code: ERR.UNDEFINED, message: 'Server busy, try again later', reason: `${this.limits.maxSessions} transfers already running` }, what);
    }
    const n = this.perClient.get(rinfo.address) ?? 0;
    if (n >= this.limits.maxPerClient) {
      return this.refuse(rinfo, { code: ERR.UNDEFINED, message: 'Too many transfers from your address', reason: `${n} transfers already running for this client` }, what);
    }
    let name = p.filename;
    if (this.conf.remap?.length) {
      const m = applyRemap(this.conf.remap, name, { write: p.op === OP.WRQ, ip: rinfo.address });
      if (typeof m !== 'string') return this.refuse(rinfo, { code: ERR.ACCESS, message: 'Access violation', reason: `refused by the ${m.refused}` }, what);
      name = m;
    }
    const rel = confineName(name, this.conf.directory, this.conf.secure);
    if (typeof rel !== 'string') return this.refuse(rinfo, rel, what);
    // Counted before the file is opened, so a flood of requests cannot open more than the limits.
    const s = new Session(this, rinfo, p.filename, p.mode);
    this.sessions.add(s);
    this.perClient.set(rinfo.address, n + 1);
    const conf = this.conf;
    if (p.op === OP.WRQ) {
      void (async () => {
        const u = await createConfined(conf.directory, rel, conf.permissive);
        if ('code' in u) {
          this.release(s);
          return this.refuse(rinfo, u, what);
        }
        const neg = negotiate(p.options, p.optionOrder, p.mode, true, undefined, {
          maxBlockSize: conf.maxBlockSize, maxWindow: this.limits.maxWindow, refuse: conf.refuse, defaultTimeoutMs: conf.retransmitMs,
        });
        try {
          await s.runWrite(u, neg, conf);
        } catch (err) {
          await s.discard(u);
          this.release(s);
          this.stats.failed++;
          this.log.warn({ client: s.info.client, file: p.filename, err: (err as Error).message }, 'tftp: upload failed');
        }
      })();
      return;
    }
    void (async () => {
      const f = await openConfined(conf.directory, rel, conf.permissive);
      if ('code' in f) {
        this.release(s);
        return this.refuse(rinfo, f, what);
      }
      const neg = negotiate(p.options, p.optionOrder, p.mode, false, f.size, {
        maxBlockSize: conf.maxBlockSize, maxWindow: this.limits.maxWindow, refuse: conf.refuse, defaultTimeoutMs: conf.retransmitMs,
      });
      try {
        await s.run(f.handle, neg, conf);
      } catch (err) {
        await f.handle.close().catch(() => undefined);
        this.release(s);
        this.stats.failed++;
        this.log.warn({ client: s.info.client, file: p.filename, err: (err as Error).message }, 'tftp: transfer failed');
      }
    })();
  }

  /** A session has ended: its counts are given back. */
  release(s: Session): void {
    if (!this.sessions.delete(s)) return;
    const n = (this.perClient.get(s.peer.address) ?? 1) - 1;
    if (n <= 0) this.perClient.delete(s.peer.address);
    else this.perClient.set(s.peer.address, n);
  }

  finished(s: Session, ok: boolean, why?: string, upload = false): void {
    this.release(s);
    if (ok && upload) {
      this.stats.received++;
      this.stats.bytesReceived += s.info.bytes;
      this.log.info({ client: s.info.client, file: s.info.file, bytes: s.info.bytes }, 'tftp: received');
    } else if (ok) {
      this.stats.completed++;
      this.log.info({ client: s.info.client, file: s.info.file, bytes: s.info.bytes }, 'tftp: sent');
    } else {
      this.stats.failed++;
      this.log.warn({ client: s.info.client, file: s.info.file, bytes: s.info.bytes, reason: why }, 'tftp: transfer failed');
    }
  }

  /** A transfer socket bound as the listener's address, in --port-range when given. */
  async transferSocket(conf: TftpdConf): Promise<dgram.Socket> {
    const tries = conf.portRange ? Math.min(64, conf.portRange[1] - conf.portRange[0] + 1) : 1;
    let last: Error | undefined;
    for (let i = 0; i < tries; i++) {
      const port = conf.portRange ? conf.portRange[0] + Math.floor(Math.random() * (conf.portRange[1] - conf.portRange[0] + 1)) : 0;
      const sock = dgram.createSocket(this.family());
      try {
        await new Promise<void>((resolve, reject) => {
          sock.once('error', reject);
          sock.bind(port, conf.address || undefined, () => {
            sock.off('error', reject);
            resolve();
          });
        });
        return sock;
      } catch (err) {
        sock.close();
        last = err as Error;
      }
    }
    throw new Error(`no free transfer port${conf.portRange ? ` in ${conf.portRange.join(':')}` : ''}: ${last?.message}`);
  }
}

/** One read transfer on its own socket. */
class Session {
  readonly info: ActiveTransfer;
  private sock: dgram.Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private fh: FileHandle | undefined;
  private ended = false;
  /** One action at a time: file reads are awaited before the next packet is handled. */
  private busy: Promise<void> = Promise.resolve();

  /** RFC 1350 §4: a packet from another TID gets an error and the transfer goes on; true when it is the peer's. */
  private fromPeer(sock: dgram.Socket, from: dgram.RemoteInfo): boolean {
    if (from.address === this.peer.address && from.port === this.peer.port) return true;
    sock.send(encodeError(ERR.UNKNOWN_TID, 'Unknown transfer ID'), from.port, from.address);
    return false;
  }

  constructor(private readonly server: TftpServer, readonly peer: dgram.RemoteInfo, file: string, mode: TftpMode) {
    this.info = { client: `${peer.address}:${peer.port}`, file, mode, blksize: 512, windowsize: 1, bytes: 0, started: new Date().toISOString() };
  }

  async run(fh: FileHandle, neg: ReturnType<typeof negotiate>, conf: TftpdConf): Promise<void> {
    this.fh = fh;
    this.info.blksize = neg.blksize;
    this.info.windowsize = neg.windowsize;
    const sock = await this.server.transferSocket(conf);
    this.sock = sock;
    if (this.ended) return this.close();
    const st = new SendState({ blksize: neg.blksize, windowsize: neg.windowsize, timeoutMs: neg.timeoutMs, maxRetries: 5, oack: neg.oack !== undefined });
    const reader = new BlockReader(fh, neg.blksize, this.info.mode);
    const oack = neg.oack ? encodeOack(neg.oack) : undefined;
    const send = (b: Buffer): void => sock.send(b, this.peer.port, this.peer.address);

    const act = async (a: SendAction): Promise<void> => {
      if (this.ended) return;
      switch (a.kind) {
        case 'wait':
          return;
        case 'done':
          this.end();
          return this.server.finished(this, true);
        case 'fail':
          send(encodeError(ERR.UNDEFINED, 'Transfer timed out'));
          this.end();
          return this.server.finished(this, false, a.reason);
        case 'oack':
          if (oack) send(oack);
          break;
        case 'send':
          reader.forget(st.acked);
          for (const i of a.blocks) {
            const data = await reader.block(i);
            if (this.ended) return;
            st.noteBlock(i, data.length);
            send(encodeData(i, data));
            if (i > st.acked && data.length < neg.blksize) break; // the last block: nothing after it
          }
          break;
      }
      this.arm(() => this.queue(() => act(st.onTimeout())), st.timeoutMs());
    };

    sock.on('message', (msg, from) => {
      if (!this.fromPeer(sock, from)) return;
      const p = decodePacket(msg);
      if (typeof p === 'string') {
        this.server.stats.malformed++;
        return;
      }
      if (p.op === OP.ERROR) {
        this.end();
        // An error 8 answering our OACK is the client declining the options (RFC 2347).
        return this.server.finished(this, false, `the client sent error ${p.code}: ${p.message}`);
      }
      if (p.op !== OP.ACK) {
        this.server.stats.malformed++;
        return;
      }
      this.queue(async () => {
        const before = st.acked;
        const a = st.onAck(p.block);
        if (st.acked > before) {
          const bytes = (st.acked - before) * neg.blksize;
          this.info.bytes += bytes;
          this.server.stats.bytesSent += bytes;
        }
        if (a.kind === 'done' && st.last !== undefined) {
          // The last block was short: correct the count by what it really held.
          const lastLen = (await reader.block(st.last).catch(() => Buffer.alloc(0))).length;
          const over = neg.blksize - lastLen;
          this.info.bytes -= over;
          this.server.stats.bytesSent -= over;
        }
        await act(a);
      });
    });
    sock.on('error', (err) => {
      this.end();
      this.server.finished(this, false, err.message);
    });
    this.queue(() => act(st.start()));
  }

  /** A temporary upload file is removed when the upload does not complete. */
  async discard(u: UploadTarget): Promise<void> {
    await u.handle.close().catch(() => undefined);
    const { unlink } = await import('node:fs/promises');
    await unlink(u.temp).catch(() => undefined);
  }

  async runWrite(u: UploadTarget, neg: ReturnType<typeof negotiate>, conf: TftpdConf): Promise<void> {
    this.info.blksize = neg.blksize;
    this.info.windowsize = neg.windowsize;
    const sock = await this.server.transferSocket(conf);
    this.sock = sock;
    if (this.ended) return this.discard(u);
    const st = new ReceiveState({ blksize: neg.blksize, windowsize: neg.windowsize, timeoutMs: neg.timeoutMs, maxRetries: 5, oack: neg.oack !== undefined });
    const oack = neg.oack ? encodeOack(neg.oack) : undefined;
    const send = (b: Buffer): void => sock.send(b, this.peer.port, this.peer.address);
    let written = false;
    const fail = async (why: string, tell?: Buffer): Promise<void> => {
      if (tell) send(tell);
      this.end();
      await this.discard(u);
      this.server.finished(this, false, why, true);
    };
    const act = async (a: ReceiveAction): Promise<void> => {
      if (this.ended && !(a.kind === 'ack' && st.done)) return;
      switch (a.kind) {
        case 'wait':
          return;
        case 'fail':
          return fail(a.reason, encodeError(ERR.UNDEFINED, 'Transfer failed'));
        case 'oack':
          if (oack) send(oack);
          break;
        case 'ack':
          send(encodeAck(a.block));
          break;
        case 'accept':
          try {
            await u.handle.write(a.data, 0, a.data.length, null);
            this.info.bytes += a.data.length;
            if (a.last) {
              await u.handle.close();
              const { rename } = await import('node:fs/promises');
              await rename(u.temp, u.final);
              written = true;
            }
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            return fail(`cannot write: ${code ?? (err as Error).message}`, encodeError(code === 'ENOSPC' || code === 'EDQUOT' ? ERR.DISK_FULL : ERR.UNDEFINED, code === 'ENOSPC' ? 'Disk full or allocation exceeded' : 'Write error'));
          }
          if (a.ack !== undefined) send(encodeAck(a.ack));
          if (a.last) {
            // The last ACK may be lost: the socket stays a moment to answer a repeated last block.
            this.end(false);
            this.server.finished(this, true, undefined, true);
            setTimeout(() => this.close(), Math.min(st.timeoutMs(), 2000)).unref();
            return;
          }
          break;
      }
      this.arm(() => this.queue(() => act(st.onTimeout())), st.timeoutMs());
    };
    sock.on('message', (msg, from) => {
      if (!this.fromPeer(sock, from)) return;
      const p = decodePacket(msg);
      if (typeof p === 'string' || (p.op !== OP.DATA && p.op !== OP.ERROR)) {
        this.server.stats.malformed++;
        return;
      }
      if (p.op === OP.ERROR) {
        if (!written) void fail(`the client sent error ${p.code}: ${p.message}`);
        return;
      }
      if (st.done) return send(encodeAck(st.got));
      this.queue(() => act(st.onData(p.block, p.data)));
    });
    sock.on('error', (err) => void fail(err.message));
    this.queue(() => act(st.start()));
  }

  private queue(f: () => Promise<void>): void {
    this.busy = this.busy.then(f).catch((err: Error) => {
      if (this.ended) return;
      this.sock?.send(encodeError(ERR.UNDEFINED, 'Read error'), this.peer.port, this.peer.address);
      this.end();
      this.server.finished(this, false, err.message);
    });
  }

  private arm(f: () => void, ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(f, ms);
  }

  /** Ends the transfer; `close` false keeps the socket for a last repeated ACK. */
  end(close = true): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    if (close) this.close();
  }

  private close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.sock?.close();
    } catch {
      // already closed
    }
    this.sock = undefined;
    void this.fh?.close().catch(() => undefined);
    this.fh = undefined;
  }
}
