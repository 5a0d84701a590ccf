// Our own DNS message codec (RFC 1035 §4, RFC 6891 for OPT). Two halves:
//  - parseQuery(): the hot path. Reads only the header, the question and the
//    additional section's OPT; never throws, whatever the bytes.
//  - decodeMessage(): a complete, still never-throwing decoder used by tests and
//    tools (and to cross-check the writer).
//  - MessageWriter: builds responses with name compression (RFC 1035 §4.1.4),
//    copying RDATA from the uncompressed wire form held in the zone.
// Why not dns-packet: see /README.md (no compression, RDLENGTH ignored, header
// counts trusted, unknown types encoded as 0).

import { embeddedNames, rrType, T } from '../wire/rr-type.js';

export const OPCODE_QUERY = 0;
export const OPCODE_NOTIFY = 4;
export const OPCODE_UPDATE = 5;

export const RCODE = {
  NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, NOTAUTH: 9, BADVERS: 16,
} as const;

export const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED', 6: 'YXDOMAIN', 9: 'NOTAUTH', 16: 'BADVERS',
};

// Header flag bits (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD/CD).
export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;
export const FLAG_RD = 0x0100;
export const FLAG_RA = 0x0080;
export const FLAG_AD = 0x0020;
export const FLAG_CD = 0x0010;

export const EDNS_OPT_ECS = 8; // RFC 7871
export const EDNS_OPT_EXPIRE = 9; // RFC 7314
export const EDNS_OPT_COOKIE = 10; // RFC 7873
export const EDNS_OPT_EDE = 15; // RFC 8914

export interface EdnsOption {
  code: number;
  data: Uint8Array;
}

export interface Edns {
  udpSize: number;
  extendedRcode: number;
  version: number;
  /** DNSSEC OK bit (RFC 3225). */
  do: boolean;
  options: EdnsOption[];
}

export interface Question {
  /** Uncompressed wire name, case exactly as received. */
  name: Uint8Array;
  type: number;
  class: number;
}

export interface ParsedQuery {
  id: number;
  /** The 16 flag/opcode/rcode bits of the header as received. */
  flags: number;
  opcode: number;
  question: Question;
  /** Offset just past the question in the query (the question is copied from here). */
  questionEnd: number;
  edns?: Edns;
  /** Client COOKIE option data when present (8 to 40 octets, RFC 7873 §4). */
  cookie?: Uint8Array;
  /** EDNS CLIENT-SUBNET option data when present and well formed (RFC 7871 §6). */
  ecs?: Uint8Array;
}

/**
 * What to do with an incoming packet:
 *  - ok: a query we can answer;
 *  - formerr: the header is usable, the rest is not (answer FORMERR, RFC 1035 §4.1.1);
 *  - drop: nothing can be said (too short, or a response).
 */
export type QueryParse =
  | { kind: 'ok'; query: ParsedQuery }
  | { kind: 'formerr'; id: number; flags: number; opcode: number; question?: Question; questionEnd?: number; edns?: Edns; reason: string;
      /** The whole message was read and has no question (its EDNS, when present, is in `edns`). */
      questionless?: true;
      /** With `questionless`: how many records other than OPT the message holds. */
      records?: number }
  | { kind: 'drop'; reason: string };

/** Reads a possibly compressed name at `off`. Returns [name, offset after it] or a reason string. */
export function readName(buf: Uint8Array, off: number): [Uint8Array, number] | string {
  const out = new Uint8Array(255);
  let n = 0;
  let pos = off;
  let end = -1;
  let jumps = 0;
  for (;;) {
    if (pos >= buf.length) return 'name runs past the end';
    const len = buf[pos];
    if (len === 0) {
      out[n++] = 0;
      if (end < 0) end = pos + 1;
      return [out.slice(0, n), end];
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) return 'pointer runs past the end';
      const target = ((len & 0x3f) << 8) | buf[pos + 1];
      // Pointers must point backwards (RFC 9267 §2), which also rules out loops.
      if (target >= pos) return 'forward or self compression pointer';
      if (++jumps > 127) return 'too many compression pointers';
      if (end < 0) end = pos + 2;
      pos = target;
      continue;
    }
    if (kind !== 0) return 'reserved label type'; // 0x40/0x80 (RFC 6891 §5)
    if (pos + 1 + len > buf.length) return 'label runs past the end';
    if (n + 1 + len + 1 > 255) return 'name longer than 255 octets';
    out[n++] = len;
    out.set(buf.subarray(pos + 1, pos + 1 + len), n);
    n += len;
    pos += 1 + len;
  }
}

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}

/** Walks one RR header; returns its parts or a reason. RDLENGTH bounds everything. */
function readRRHeader(buf: Uint8Array, off: number): { name: Uint8Array; type: number; class: number; ttl: number; rdOff: number; rdLen: number; end: number } | string {
  const r = readName(buf, off);
  if (typeof r === 'string') return r;
  const [name, p] = r;
  if (p + 10 > buf.length) return 'RR header runs past the end';
  const rdLen = u16(buf, p + 8);
  if (p + 10 + rdLen > buf.length) return 'RDATA runs past the end';
  return { name, type: u16(buf, p), class: u16(buf, p + 2), ttl: u32(buf, p + 4), rdOff: p + 10, rdLen, end: p + 10 + rdLen };
}

/** RFC 7871 §6: family 1/2, prefix within the family, address exactly ceil(prefix/8) octets, zero bits beyond. */
function validEcs(d: Uint8Array): boolean {
  if (d.length < 4) return false;
  const family = (d[0] << 8) | d[1];
  const source = d[2];
  const max = family === 1 ? 32 : family === 2 ? 128 : -1;
  if (max < 0 || source > max || d[3] !== 0) return false;
  const bytes = Math.ceil(source / 8);
  if (d.length !== 4 + bytes) return false;
  if (source % 8 !== 0 && bytes > 0 && (d[4 + bytes - 1] & (0xff >> (source % 8))) !== 0) return false;
  return true;
}

function parseOptions(buf: Uint8Array, off: number, len: number): EdnsOption[] | string {
  const opts: EdnsOption[] = [];
  let p = off;
  const end = off + len;
  while (p < end) {
    if (p + 4 > end) return 'truncated EDNS option';
    const code = u16(buf, p);
    const olen = u16(buf, p + 2);
    if (p + 4 + olen > end) return 'EDNS option runs past RDATA'; // lengths are octets (dns2 bug)
    opts.push({ code, data: buf.subarray(p + 4, p + 4 + olen) });
    p += 4 + olen;
  }
  return opts;
}

/**
 * Parses a query for the answer path. Never throws. Header counts are not
 * trusted: every record is walked within the packet's bounds.
 */
export function parseQuery(buf: Uint8Array): QueryParse {
  if (buf.length < 12) return { kind: 'drop', reason: 'shorter than a header' };
  const id = u16(buf, 0);
  const flags = u16(buf, 2);
  if (flags & FLAG_QR) return { kind: 'drop', reason: 'a response, not a query' };
  const opcode = (flags >> 11) & 0xf;
  const qd = u16(buf, 4);
  const an = u16(buf, 6);
  const ns = u16(buf, 8);
  const ar = u16(buf, 10);
  const fail = (reason: string, question?: Question, questionEnd?: number, edns?: Edns): QueryParse =>
    ({ kind: 'formerr', id, flags, opcode, question, questionEnd, edns, reason });
  // Where the message parses but has no single question, BIND answers FORMERR
  // with its OPT but no question; where parsing fails, nothing past the header
  // (or past the question, once that parsed) is echoed.
  let question: Question | undefined;
  let questionEnd = 12;
  let p = 12;
  for (let i = 0; i < qd; i++) {
    const qn = readName(buf, p);
    if (typeof qn === 'string') return fail(qn);
    if (qn[1] + 4 > buf.length) return fail('question runs past the end');
    if (i === 0) {
      question = { name: qn[0], type: u16(buf, qn[1]), class: u16(buf, qn[1] + 2) };
      questionEnd = qn[1] + 4;
    }
    // More than one question is a parse error (BIND); an UPDATE's answer still repeats its first zone (RFC 2136 §3.8).
    if (i === 1) return fail('more than one question', opcode === OPCODE_UPDATE ? question : undefined, questionEnd);
    p = qn[1] + 4;
  }
  for (let i = 0; i < an + ns; i++) {
    const rr = readRRHeader(buf, p);
    if (typeof rr === 'string') return fail(rr, question, questionEnd);
    if (rr.type === T.OPT) return fail('OPT outside the additional section', question, questionEnd); // RFC 6891 §6.1.1
    p = rr.end;
  }
  let edns: Edns | undefined;
  let cookie: Uint8Array | undefined;
  let ecs: Uint8Array | undefined;
  let badOption: string | undefined;
  for (let i = 0; i < ar; i++) {
    const rr = readRRHeader(buf, p);
    if (typeof rr === 'string') return fail(rr, question, questionEnd);
    p = rr.end;
    if (rr.type !== T.OPT) continue;
    // RFC 6891 §6.1.1: one OPT, owned by the root; it may sit anywhere in additional.
    if (edns) return fail('more than one OPT', question, questionEnd);
    if (rr.name.length !== 1) return fail('OPT owner is not the root', question, questionEnd);
    const opts = parseOptions(buf, rr.rdOff, rr.rdLen);
    if (typeof opts === 'string') return fail(opts, question, questionEnd);
    edns = {
      udpSize: rr.class,
      extendedRcode: rr.ttl >>> 24,
      version: (rr.ttl >>> 16) & 0xff,
      do: (rr.ttl & 0x8000) !== 0,
      options: opts,
    };
    for (const o of opts) {
      if (o.code === EDNS_OPT_COOKIE) {
        // RFC 7873 §5.2.2: a client cookie alone is 8 octets; with a server cookie 16–40.
        // A bad length is an EDNS-level FORMERR (answered with OPT), not a parse failure.
        if (o.data.length !== 8 && (o.data.length < 16 || o.data.length > 40)) badOption = 'malformed COOKIE option';
        else cookie = o.data;
      } else if (o.code === EDNS_OPT_EXPIRE) {
        // RFC 7314 §2: empty in a query (BIND also takes four octets); anything else is FORMERR, as BIND answers.
        if (o.data.length !== 0 && o.data.length !== 4) badOption = 'malformed EXPIRE option';
      } else if (o.code === EDNS_OPT_ECS) {
        if (!validEcs(o.data)) badOption = 'malformed CLIENT-SUBNET option';
        else ecs = o.data;
      }
    }
  }
  if (!question) return { ...(fail('no question', undefined, undefined, edns) as QueryParse & { kind: 'formerr' }), questionless: true, records: an + ns + ar - (edns ? 1 : 0) };
  if (badOption) return fail(badOption, question, questionEnd, edns ? { ...edns, options: [] } : undefined);
  // Trailing octets after the counted records are ignored, as BIND does.
  return { kind: 'ok', query: { id, flags, opcode, question, questionEnd, edns, cookie, ecs } };
}

// ---------------------------------------------------------------------------
// Full decoder (tests, tools).

export interface DecodedRR {
  name: Uint8Array;
  type: number;
  class: number;
  ttl: number;
  /** RDATA with embedded names decompressed where RFC 3597 §4 allows compression. */
  rdata: Uint8Array;
}

export interface DecodedMessage {
  id: number;
  flags: number;
  opcode: number;
  rcode: number;
  questions: Question[];
  answers: DecodedRR[];
  authorities: DecodedRR[];
  additionals: DecodedRR[];
}

/** RDATA with its names decompressed, for the types that may carry compression pointers on input (RFC 3597 §4: `decompress` in RR_TYPES). */
function decompressRdata(buf: Uint8Array, type: number, off: number, len: number): Uint8Array | string {
  const end = off + len;
  const parts: Uint8Array[] = [];
  let p = off;
  const name = (): string | undefined => {
    const r = readName(buf, p);
    if (typeof r === 'string') return r;
    if (r[1] > end) return 'name runs past RDATA';
    parts.push(r[0]);
    p = r[1];
    return undefined;
  };
  const fixed = (n: number): string | undefined => {
    if (p + n > end) return 'RDATA too short';
    parts.push(buf.slice(p, p + n));
    p += n;
    return undefined;
  };
  const info = rrType(type);
  // Empty RDATA: an UPDATE's "delete an RRset" and its prerequisites (RFC 2136 §2.4, §2.5).
  if (!info?.decompress || !info.names || len === 0) return buf.slice(off, end);
  let err: string | undefined;
  for (const f of info.names) {
    err = f === 'name' ? name() : fixed(f === 'str' ? (p < end ? buf[p] + 1 : 1) : f);
    if (err) return err;
  }
  if (p !== end) return 'RDATA length disagrees with its content';
  let total = 0;
  for (const x of parts) total += x.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const x of parts) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

/** Decodes a whole message. Returns a reason string instead of throwing. */
export function decodeMessage(buf: Uint8Array): DecodedMessage | string {
  if (buf.length < 12) return 'shorter than a header';
  const flags = u16(buf, 2);
  const msg: DecodedMessage = {
    id: u16(buf, 0), flags, opcode: (flags >> 11) & 0xf, rcode: flags & 0xf,
    questions: [], answers: [], authorities: [], additionals: [],
  };
  let p = 12;
  for (let i = 0; i < u16(buf, 4); i++) {
    const r = readName(buf, p);
    if (typeof r === 'string') return r;
    if (r[1] + 4 > buf.length) return 'question runs past the end';
    msg.questions.push({ name: r[0], type: u16(buf, r[1]), class: u16(buf, r[1] + 2) });
    p = r[1] + 4;
  }
  const sections = [msg.answers, msg.authorities, msg.additionals];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < u16(buf, 6 + 2 * s); i++) {
      const rr = readRRHeader(buf, p);
      if (typeof rr === 'string') return rr;
      const rdata = decompressRdata(buf, rr.type, rr.rdOff, rr.rdLen);
      if (typeof rdata === 'string') return rdata;
      sections[s].push({ name: rr.name, type: rr.type, class: rr.class, ttl: rr.ttl, rdata });
      p = rr.end;
    }
  }
  return msg;
}

// ---------------------------------------------------------------------------
// Writer.

export class WriteOverflow extends Error {}

/**
 * Builds one message in a fixed buffer with name compression (RFC 1035 §4.1.4).
 * Compression matches suffixes byte for byte, so owner names keep the case they
 * have in the zone, as BIND 9.18 does (its compression is case-sensitive by
 * default). Like BIND 9.18 (measured: response sizes in the side-by-side test),
 * only the first two suffixes of a name are looked up, only the first two
 * suffixes of its literal part (a lone top-level label too: `localhost.` of
 * `nope.localhost.` is a pointer target) are remembered
 * as pointer targets, so our messages have exactly BIND's sizes and truncate alike.
 */
export class MessageWriter {
  readonly buf: Uint8Array;
  pos = 0;
  /** Hard limit; writes beyond it throw WriteOverflow so the caller can truncate. */
  limit: number;
  private readonly comp = new Map<string, number>();

  constructor(buf: Uint8Array, limit = buf.length) {
    this.buf = buf;
    this.limit = Math.min(limit, buf.length);
  }

  private need(n: number): void {
    if (this.pos + n > this.limit) throw new WriteOverflow();
  }

  u8(v: number): void {
    this.need(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.need(2);
    this.buf[this.pos++] = v >> 8;
    this.buf[this.pos++] = v & 0xff;
  }

  u32(v: number): void {
    this.need(4);
    this.buf[this.pos++] = v >>> 24;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
  }

  bytes(b: Uint8Array): void {
    this.need(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Writes an uncompressed wire name (from `off`), compressing when `compress` and remembering its suffixes. */
  name(name: Uint8Array, compress: boolean, off = 0): void {
    let i = off;
    const pending: [string, number][] = [];
    for (let depth = 0; ; depth++) {
      const len = name[i];
      if (len === 0) {
        this.u8(0);
        break;
      }
      // Only the first two suffixes are looked up or remembered (BIND's pointer targets): deeper ones need no key.
      const look = compress && depth < 2;
      const keep = pending.length < 2 && this.pos < 0x4000;
      const key = look || keep ? suffixKey(name, i) : '';
      if (look) {
        const at = this.comp.get(key);
        if (at !== undefined) {
          this.u16(0xc000 | at);
          break;
        }
      }
      if (keep) pending.push([key, this.pos]);
      this.need(len + 1);
      this.buf.set(name.subarray(i, i + len + 1), this.pos);
      this.pos += len + 1;
      i += len + 1;
    }
    // Remember suffixes only once the whole name is written (an overflow leaves no stale entries).
    for (const [k, at] of pending) if (!this.comp.has(k)) this.comp.set(k, at);
  }

  /** Writes one RR; names inside RDATA are compressed where the type allows (RFC 3597 §4). */
  rr(owner: Uint8Array, type: number, cls: number, ttl: number, rdata: Uint8Array): void {
    this.name(owner, true);
    this.u16(type);
    this.u16(cls);
    this.u32(ttl);
    const lenAt = this.pos;
    this.u16(0);
    const emb = embeddedNames(type, rdata);
    if (emb.length === 0) {
      this.bytes(rdata);
    } else {
      let p = 0;
      for (const e of emb) {
        if (e.offset > rdata.length) break;
        this.bytes(rdata.subarray(p, e.offset));
        let q = e.offset;
        while (q < rdata.length && rdata[q] !== 0) q += rdata[q] + 1;
        if (q >= rdata.length) { p = e.offset; break; } // malformed: copy the rest verbatim
        this.name(rdata.subarray(0, q + 1), e.compress, e.offset);
        p = q + 1;
      }
      this.bytes(rdata.subarray(p));
    }
    const len = this.pos - lenAt - 2;
    this.buf[lenAt] = len >> 8;
    this.buf[lenAt + 1] = len & 0xff;
  }

  /** Rolls back to a previous position (used when an RR does not fit). */
  rewind(pos: number): void {
    this.pos = pos;
    for (const [k, at] of this.comp) if (at >= pos) this.comp.delete(k);
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

/** Exact-bytes key of the suffix starting at `i` (through its root label), one string made at once. */
function suffixKey(name: Uint8Array, i: number): string {
  let j = i;
  while (j < name.length && name[j] !== 0) j += name[j] + 1;
  // fromCharCode takes any array-like; a typed array saves copying it into an Array first.
  return String.fromCharCode.apply(null, name.subarray(i, Math.min(j + 1, name.length)) as unknown as number[]);
}
