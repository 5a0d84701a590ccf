// The render stage of the answer pipeline: turns a decided answer into wire bytes
// the way BIND 9.18 lays them out — EDNS (OPT, COOKIE, EXPIRE, CLIENT-SUBNET, EDE),
// truncation, and the packing of zone transfers into messages. Every record goes
// through one loop (writeRRs), whether the message stops at the first RR that does
// not fit (TC) or a transfer moves on to its next message.

import { MessageWriter, WriteOverflow, FLAG_QR, FLAG_AA, FLAG_TC, FLAG_AD, FLAG_RD, FLAG_CD, EDNS_OPT_COOKIE, EDNS_OPT_ECS, EDNS_OPT_EDE,
  EDNS_OPT_EXPIRE, type Edns, type ParsedQuery, type Question } from './message.js';
import type { AuthorityAnswer, SectionRRset } from './authority.js';
import { T } from '../wire/rr-type.js';

export const MAX_UDP_NO_EDNS = 512; // RFC 1035 §4.2.1
const OPT_FIXED = 11; // root name + type + class + ttl + rdlength
/** BIND's transfer-message-size: the largest message of an AXFR/IXFR stream. */
const TRANSFER_MESSAGE_SIZE = 20480;

export type Ede = { code: number; text: string };

/** Where writeRRs stopped: the RRset, the RDATA within it, and RRs written so far. */
interface Cursor {
  set: number;
  rd: number;
  count: number;
}

/**
 * Writes RRs from the cursor on, one at a time, until all are written (true) or
 * one does not fit (false: the writer is rewound to before it, the cursor points at it).
 */
function writeRRs(w: MessageWriter, sets: SectionRRset[], c: Cursor): boolean {
  for (; c.set < sets.length; c.set++, c.rd = 0) {
    const set = sets[c.set];
    for (; c.rd < set.rdatas.length; c.rd++) {
      const before = w.pos;
      try {
        w.rr(set.owner, set.type, set.class, set.ttl, set.rdatas[c.rd]);
      } catch (err) {
        if (!(err instanceof WriteOverflow)) throw err;
        w.rewind(before);
        return false;
      }
      c.count++;
    }
  }
  return true;
}

/**
 * BIND 9.18 renders additional data in passes: addresses of the client's family
 * first (A over IPv4), then the other family, then the rest.
 */
function additionalOrder(sets: SectionRRset[], ipv6: boolean): SectionRRset[] {
  if (sets.length < 2) return sets;
  const first = ipv6 ? T.AAAA : T.A;
  const second = ipv6 ? T.A : T.AAAA;
  return [...sets.filter((s) => s.type === first), ...sets.filter((s) => s.type === second),
    ...sets.filter((s) => s.type !== first && s.type !== second)];
}

/** One per Responder: our EDNS size, the cookie secret and a scratch buffer. */
export class Renderer {
  private readonly scratch = new Uint8Array(65535);

  constructor(
    /** Our EDNS UDP payload size (BIND 9.18 default 1232). */
    readonly udpSize: number,
    private readonly secret: Uint8Array,
    /** Clock in seconds, for cookie timestamps. */
    private readonly now: () => number,
  ) {}

  /** The size an answer must fit: 65535 over TCP, else the EDNS size both sides allow (512 without EDNS). */
  limit(transport: 'udp' | 'tcp', e: Edns | undefined): number {
    if (transport === 'tcp') return 65535;
    if (!e) return MAX_UDP_NO_EDNS;
    return Math.max(MAX_UDP_NO_EDNS, Math.min(e.udpSize, this.udpSize));
  }

  /**
   * Writes the response within `limit` octets the way BIND 9.18 does: answer and
   * authority RRs one at a time until one does not fit (then TC); additional
   * RRs likewise in BIND's order of passes, without TC. With EDNS a truncated response keeps only the
   * question and the OPT (dns_message_renderend); so does a response that will be
   * signed (`signed`: a TSIG follows, RFC 8945); without either the partial
   * sections stay and AD is copied from the query.
   */
  answer(q: ParsedQuery, ans: AuthorityAnswer, limit: number, cookie: Uint8Array | undefined, address: string, expire?: number,
    signed = false): { bytes: Uint8Array; cookieAt: number } {
    const e = q.edns;
    let optLen = 0;
    if (e) {
      optLen = OPT_FIXED + (cookie ? 28 : 0) + (expire !== undefined ? 8 : 0) + (q.ecs ? 4 + q.ecs.length : 0);
      if (ans.ede) optLen += 6 + Buffer.byteLength(ans.ede.text, 'utf8');
    }
    const w = new MessageWriter(this.scratch, limit - optLen);
    const keep = q.flags & (FLAG_RD | FLAG_CD);
    let flags = FLAG_QR | (q.flags & 0x7800) | keep | (ans.aa ? FLAG_AA : 0) | (ans.rcode & 0xf);
    w.pos = 12;
    w.name(q.question.name, true);
    w.u16(q.question.type);
    w.u16(q.question.class);
    const afterQuestion = w.pos;
    const counts = [0, 0, 0];
    const c: Cursor = { set: 0, rd: 0, count: 0 };
    let tc = !writeRRs(w, ans.answer, c);
    counts[0] = c.count;
    if (!tc) {
      c.set = c.rd = c.count = 0;
      tc = !writeRRs(w, ans.authority, c);
      counts[1] = c.count;
    }
    // Additional data is optional and never sets TC; it stops at the first RR that does not fit.
    if (!tc) {
      c.set = c.rd = c.count = 0;
      writeRRs(w, additionalOrder(ans.additional, address.includes(':')), c);
      counts[2] = c.count;
    }
    if (tc) {
      flags |= FLAG_TC;
      if (e || signed) {
        w.rewind(afterQuestion);
        counts[0] = counts[1] = counts[2] = 0;
      } else {
        flags |= q.flags & FLAG_AD;
      }
    }
    w.limit = limit;
    let cookieAt = -1;
    if (e) cookieAt = this.writeOpt(w, e, ans.rcode, ans.ede, cookie, address, q.ecs, expire);
    const b = w.buf;
    b[0] = q.id >> 8;
    b[1] = q.id & 0xff;
    b[2] = flags >> 8;
    b[3] = flags & 0xff;
    b[4] = 0;
    b[5] = 1;
    b[6] = counts[0] >> 8;
    b[7] = counts[0] & 0xff;
    b[8] = counts[1] >> 8;
    b[9] = counts[1] & 0xff;
    const ar = counts[2] + (e ? 1 : 0);
    b[10] = ar >> 8;
    b[11] = ar & 0xff;
    return { bytes: w.result(), cookieAt };
  }

  /** A response with no records: FORMERR, NOTIMP, REFUSED, BADVERS… */
  simple(id: number, qflags: number, rcode: number, question: Question | undefined, edns: Edns | undefined,
    ede: Ede | undefined, address: string, keepFlags: number): Uint8Array {
    const cookie = edns?.options.find((o) => o.code === EDNS_OPT_COOKIE)?.data;
    const w = new MessageWriter(this.scratch, 65535);
    w.u16(id);
    w.u16(FLAG_QR | (qflags & 0x7800) | keepFlags | (rcode & 0xf));
    w.u16(question ? 1 : 0);
    w.u16(0);
    w.u16(0);
    w.u16(edns ? 1 : 0);
    if (question) {
      w.name(question.name, false);
      w.u16(question.type);
      w.u16(question.class);
    }
    if (edns) this.writeOpt(w, edns, rcode, ede, cookie, address);
    return w.result();
  }

  /**
   * A zone transfer (RFC 5936 §2.2): the records in messages of at most BIND's
   * transfer-message-size, the question and OPT (with the COOKIE, as BIND) in the first.
   * BIND 9.18 sets only QR and AA on them: RD and CD are not echoed (measured).
   */
  stream(q: ParsedQuery, records: SectionRRset[], address: string): Uint8Array[] {
    const out: Uint8Array[] = [];
    const c: Cursor = { set: 0, rd: 0, count: 0 };
    for (;;) {
      const first = out.length === 0;
      const w = new MessageWriter(new Uint8Array(65535), TRANSFER_MESSAGE_SIZE - (first && q.edns ? OPT_FIXED + (q.cookie ? 28 : 0) : 0));
      w.pos = 12;
      if (first) {
        w.name(q.question.name, true);
        w.u16(q.question.type);
        w.u16(q.question.class);
      }
      c.count = 0;
      const done = writeRRs(w, records, c);
      if (!done && c.count === 0) throw new Error('a record does not fit an empty transfer message');
      if (first && q.edns) {
        w.limit = 65535;
        this.writeOpt(w, q.edns, 0, undefined, q.cookie, address);
      }
      const b = w.buf;
      const flags = FLAG_QR | FLAG_AA;
      b[0] = q.id >> 8; b[1] = q.id & 0xff; b[2] = flags >> 8; b[3] = flags & 0xff;
      b[4] = 0; b[5] = first ? 1 : 0; b[6] = c.count >> 8; b[7] = c.count & 0xff;
      b[8] = 0; b[9] = 0; b[10] = 0; b[11] = first && q.edns ? 1 : 0;
      out.push(w.result());
      if (done) return out;
    }
  }

  /** The OPT record; returns where the server cookie sits (-1 without one). */
  writeOpt(w: MessageWriter, e: Edns, rcode: number, ede: Ede | undefined,
    cookie: Uint8Array | undefined, address: string, ecs?: Uint8Array, expire?: number): number {
    w.u8(0);
    w.u16(T.OPT);
    w.u16(this.udpSize);
    w.u32(((rcode >> 4) << 24) | (e.do ? 0x8000 : 0));
    const lenAt = w.pos;
    w.u16(0);
    let cookieAt = -1;
    if (cookie) {
      w.u16(EDNS_OPT_COOKIE);
      w.u16(24);
      const at = w.pos;
      w.bytes(new Uint8Array(24));
      this.writeCookie(w.buf, at, cookie, address);
      cookieAt = at + 8;
    }
    if (expire !== undefined) {
      // RFC 7314 §2: the zone's expire timer; for a zone we load from its file, the SOA EXPIRE field (as BIND for a primary).
      w.u16(EDNS_OPT_EXPIRE);
      w.u16(4);
      w.u32(expire);
    }
    // BIND's order: COOKIE, EXPIRE, CLIENT-SUBNET, then EDE.
    if (ecs) {
      // RFC 7871 §7.2.1: echo the option with SCOPE PREFIX-LENGTH 0 (answers do not vary by subnet).
      w.u16(EDNS_OPT_ECS);
      w.u16(ecs.length);
      const at = w.pos;
      w.bytes(ecs);
      w.buf[at + 3] = 0;
    }
    if (ede) {
      const text = Buffer.from(ede.text, 'utf8');
      w.u16(EDNS_OPT_EDE);
      w.u16(2 + text.length);
      w.u16(ede.code);
      w.bytes(text);
    }
    const len = w.pos - lenAt - 2;
    w.buf[lenAt] = len >> 8;
    w.buf[lenAt + 1] = len & 0xff;
    return cookieAt;
  }

  /**
   * Client cookie echoed, then a 16-octet server cookie in the RFC 9018 layout
   * (version 1, reserved, timestamp, 8-octet hash of client cookie, time and
   * address under our secret). The hash is a fast keyed mix, not SipHash: we
   * never require cookies, so they only need to look right to clients.
   */
  writeCookie(out: Uint8Array, at: number, clientCookie: Uint8Array, address: string, t = this.now()): void {
    out.set(clientCookie.subarray(0, 8), at);
    out[at + 8] = 1;
    out[at + 9] = 0;
    out[at + 10] = 0;
    out[at + 11] = 0;
    out[at + 12] = t >>> 24;
    out[at + 13] = (t >>> 16) & 0xff;
    out[at + 14] = (t >>> 8) & 0xff;
    out[at + 15] = t & 0xff;
    let h1 = 0x811c9dc5 ^ t;
    let h2 = 0x01000193 ^ (t * 31);
    const mix = (b: number): void => {
      h1 = Math.imul(h1 ^ b, 0x01000193);
      h2 = Math.imul(h2 ^ b ^ (h1 >>> 13), 0x5bd1e995);
    };
    for (const b of this.secret) mix(b);
    for (let i = 0; i < 8; i++) mix(clientCookie[i]);
    for (let i = 0; i < address.length; i++) mix(address.charCodeAt(i));
    const hash = [h1 >>> 24, (h1 >>> 16) & 0xff, (h1 >>> 8) & 0xff, h1 & 0xff, h2 >>> 24, (h2 >>> 16) & 0xff, (h2 >>> 8) & 0xff, h2 & 0xff];
    out.set(hash, at + 16);
  }
  /**
   * Whether a COOKIE option carries a server cookie we issued to this address within
   * the last hour (RFC 9018 §4.3), as the query log's `V` reports it.
   */
  cookieValid(cookie: Uint8Array, address: string): boolean {
    if (cookie.length !== 24 || cookie[8] !== 1) return false;
    const t = ((cookie[12] << 24) | (cookie[13] << 16) | (cookie[14] << 8) | cookie[15]) >>> 0;
    const age = this.now() - t;
    if (age < -300 || age > 3600) return false;
    const mine = new Uint8Array(24);
    this.writeCookie(mine, 0, cookie, address, t);
    for (let i = 16; i < 24; i++) if (mine[i] !== cookie[i]) return false;
    return true;
  }
}
