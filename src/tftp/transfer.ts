// The decisions of one TFTP read transfer, without sockets or files: option negotiation
// (RFC 2347/2348/2349/7440), which blocks to send after an ACK or a timeout, and when the
// transfer is done or has failed. The socket edge (server.ts) feeds it ACKs and timer
// expiries and sends what it says.

import type { TftpMode } from './packet.js';

export interface NegotiationLimits {
  /** --blocksize: the largest blksize granted. */
  maxBlockSize: number;
  /** The largest window granted (RFC 7440 lets the server answer a smaller one). */
  maxWindow: number;
  /** Options never accepted (--refuse). */
  refuse: readonly string[];
  /** The retransmission timeout when the client asks for none. */
  defaultTimeoutMs: number;
}

export interface Negotiated {
  blksize: number;
  windowsize: number;
  timeoutMs: number;
  /** Options answered in an OACK, in the client's order; undefined = no OACK, DATA 1 comes first. */
  oack?: Map<string, string>;
}

/** Window × block size is kept under this, so a transfer's buffered window stays small. */
export const MAX_WINDOW_BYTES = 1 << 20;

/**
 * Answers the client's options. `size` is the file's length for tsize (RRQ in octet mode,
 * as tftpd-hpa: netascii's length is unknown before conversion); for a WRQ the client's
 * tsize is echoed. Values out of range are ignored (RFC 2347 §3: the server may omit an
 * option it does not accept).
 */
export function negotiate(options: ReadonlyMap<string, string>, order: readonly string[], mode: TftpMode, write: boolean, size: number | undefined, lim: NegotiationLimits): Negotiated {
  const out: Negotiated = { blksize: 512, windowsize: 1, timeoutMs: lim.defaultTimeoutMs };
  const oack = new Map<string, string>();
  const num = (v: string): number => (/^[0-9]{1,10}$/.test(v) ? Number(v) : NaN);
  for (const k of order) {
    if (lim.refuse.includes(k)) continue;
    const v = num(options.get(k) ?? '');
    switch (k) {
      case 'blksize': // RFC 2348: 8..65464; the server may answer smaller
        if (v >= 8 && v <= 65464) {
          out.blksize = Math.min(v, lim.maxBlockSize);
          oack.set(k, String(out.blksize));
        }
        break;
      case 'timeout': // RFC 2349: 1..255 seconds, echoed as given
        if (v >= 1 && v <= 255) {
          out.timeoutMs = v * 1000;
          oack.set(k, String(v));
        }
        break;
      case 'tsize': // RFC 2349: 0 in a RRQ asks for the size
        if (write && v >= 0) oack.set(k, String(v));
        else if (!write && mode === 'octet' && size !== undefined) oack.set(k, String(size));
        break;
      case 'windowsize': // RFC 7440: 1..65535
        if (v >= 1 && v <= 65535) {
          out.windowsize = v;
          oack.set(k, '');
        }
        break;
    }
  }
  if (oack.has('windowsize')) {
    out.windowsize = Math.max(1, Math.min(out.windowsize, lim.maxWindow, Math.floor(MAX_WINDOW_BYTES / out.blksize)));
    oack.set('windowsize', String(out.windowsize));
  }
  if (oack.size) out.oack = oack;
  return out;
}

export interface SendSettings {
  blksize: number;
  windowsize: number;
  timeoutMs: number;
  /** Timeouts in a row before the transfer is given up. */
  maxRetries: number;
  /** An OACK was sent: the client's ACK 0 starts the data. */
  oack: boolean;
}

/** What the edge does next. */
export type SendAction =
  | { kind: 'send'; blocks: number[]; oack?: false }
  | { kind: 'oack' }
  | { kind: 'wait' }
  | { kind: 'done' }
  | { kind: 'fail'; reason: string };

/** The longest back-off: the timeout doubles per retry up to this many times the base. */
const MAX_BACKOFF = 8;

/**
 * One read transfer. Blocks are numbered by their absolute index (1, 2, …); the wire
 * carries index & 0xffff, so after block 65535 comes 0 (rollover, as tftpd-hpa, curl and
 * tftp-hpa do). An ACK is matched to the window in flight; ACKs of blocks already
 * acknowledged are ignored and never answered with data (RFC 1123 §4.2.3.1: the
 * Sorcerer's Apprentice). Data is resent only when the timer expires, with back-off.
 */
export class SendState {
  /** Highest index the client acknowledged (0: none, or the OACK). */
  acked = 0;
  /** Highest index sent so far. */
  sent = 0;
  /** The last block's index, once a block shorter than blksize has been seen. */
  last: number | undefined;
  retries = 0;
  started = false;

  constructor(readonly s: SendSettings) {}

  /** What to send first: the OACK, or the first window of data. */
  start(): SendAction {
    this.started = true;
    return this.s.oack ? { kind: 'oack' } : this.window();
  }

  /** The edge tells the length of block `index` once it has read it; a short one is the last. */
  noteBlock(index: number, length: number): void {
    if (length < this.s.blksize && (this.last === undefined || index < this.last)) this.last = index;
  }

  /** The blocks of the next window after `acked`. */
  private window(): SendAction {
    if (this.last !== undefined && this.acked >= this.last) return { kind: 'done' };
    const end = Math.min(this.acked + this.s.windowsize, this.last ?? Infinity);
    const blocks: number[] = [];
    for (let i = this.acked + 1; i <= end; i++) blocks.push(i);
    this.sent = Math.max(this.sent, end);
    return { kind: 'send', blocks };
  }

  /** The current timeout, with back-off for the retries so far. */
  timeoutMs(): number {
    return this.s.timeoutMs * Math.min(2 ** this.retries, MAX_BACKOFF);
  }

  /** An ACK with wire block number `wire`. */
  onAck(wire: number): SendAction {
    // The OACK is acknowledged by block 0 before any data was sent.
    if (this.s.oack && this.sent === 0) {
      if (wire !== 0) return { kind: 'wait' };
      this.retries = 0;
      return this.window();
    }
    // Which index in (acked, sent] does this wire number stand for?
    const ahead = (wire - this.acked) & 0xffff;
    if (ahead === 0 || ahead > this.sent - this.acked) return { kind: 'wait' }; // old or duplicate ACK: nothing is sent
    this.acked += ahead;
    this.retries = 0;
    return this.window();
  }

  /** The timer expired without progress: resend the window (or the OACK), or give up. */
  onTimeout(): SendAction {
    if (++this.retries > this.s.maxRetries) return { kind: 'fail', reason: `no answer after ${this.s.maxRetries} retransmissions` };
    if (this.s.oack && this.sent === 0) return { kind: 'oack' };
    const end = this.sent;
    const blocks: number[] = [];
    for (let i = this.acked + 1; i <= end; i++) blocks.push(i);
    return { kind: 'send', blocks };
  }
}

/**
 * netascii (RFC 1350, RFC 764): LF → CR LF, CR → CR NUL. Stateless per byte, so a stream
 * is converted chunk by chunk.
 */
export function toNetascii(chunk: Buffer): Buffer {
  let extra = 0;
  for (const b of chunk) if (b === 0x0a || b === 0x0d) extra++;
  if (!extra) return chunk;
  const out = Buffer.alloc(chunk.length + extra);
  let j = 0;
  for (const b of chunk) {
    if (b === 0x0a) {
      out[j++] = 0x0d;
      out[j++] = 0x0a;
    } else if (b === 0x0d) {
      out[j++] = 0x0d;
      out[j++] = 0x00;
    } else out[j++] = b;
  }
  return out;
}

export type ReceiveAction =
  | { kind: 'accept'; index: number; data: Buffer; ack?: number; last: boolean }
  | { kind: 'ack'; block: number }
  | { kind: 'oack' }
  | { kind: 'wait' }
  | { kind: 'fail'; reason: string };

/**
 * One write transfer (a WRQ, with --create). Blocks in order are accepted; an ACK goes
 * after each window (RFC 7440) and after the last, short block. A duplicate or a block
 * out of order is answered with an ACK of the last block received in order, so the sender
 * resumes from there; nothing is written twice.
 */
export class ReceiveState {
  /** Highest index received in order (0: none). */
  got = 0;
  retries = 0;
  done = false;
  private inWindow = 0;

  constructor(readonly s: SendSettings) {}

  /** What the server sends first: the OACK, or ACK 0. */
  start(): ReceiveAction {
    return this.s.oack ? { kind: 'oack' } : { kind: 'ack', block: 0 };
  }

  onData(wire: number, data: Buffer): ReceiveAction {
    if (this.done) return { kind: 'ack', block: this.got }; // our last ACK was lost: say it again
    if (data.length > this.s.blksize) return { kind: 'fail', reason: `a block of ${data.length} octets is larger than the negotiated ${this.s.blksize}` };
    const ahead = (wire - this.got) & 0xffff;
    if (ahead !== 1) {
      this.inWindow = 0;
      return { kind: 'ack', block: this.got };
    }
    this.got++;
    this.retries = 0;
    const last = data.length < this.s.blksize;
    if (last) this.done = true;
    if (last || ++this.inWindow >= this.s.windowsize) {
      this.inWindow = 0;
      return { kind: 'accept', index: this.got, data, ack: this.got, last };
    }
    return { kind: 'accept', index: this.got, data, last };
  }

  timeoutMs(): number {
    return this.s.timeoutMs * Math.min(2 ** this.retries, MAX_BACKOFF);
  }

  onTimeout(): ReceiveAction {
    if (++this.retries > this.s.maxRetries) return { kind: 'fail', reason: `no data after ${this.s.maxRetries} retransmissions` };
    if (this.s.oack && this.got === 0) return { kind: 'oack' };
    return { kind: 'ack', block: this.got };
  }
}
