// BOOTP/DHCP message codec (RFC 951, RFC 2131 §2, RFC 2132, RFC 3396).
// Decoding is total: any malformed input throws DecodeError, never anything else.
import { formatMac } from '../wire/mac.js';

import { OPT } from '../wire/dhcp-options.js';

export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
export const MAGIC_COOKIE = 0x63825363;
/** Fixed BOOTP header up to (not including) the cookie. */
export const HEADER_LEN = 236;
/** ISC pads every reply to this (BOOTP_MIN_LEN); some BOOTP clients need 300 octets. */
export const BOOTP_MIN_LEN = 300;
/** RFC 2131 §2: a client must accept 576-octet IP datagrams: 576 − 20 (IP) − 8 (UDP). */
export const DEFAULT_MAX_MESSAGE = 576 - 28;

export const enum MsgType {
  DISCOVER = 1,
  OFFER = 2,
  REQUEST = 3,
  DECLINE = 4,
  ACK = 5,
  NAK = 6,
  RELEASE = 7,
  INFORM = 8,
}

export const MSG_NAMES: Record<number, string> = {
  1: 'DHCPDISCOVER', 2: 'DHCPOFFER', 3: 'DHCPREQUEST', 4: 'DHCPDECLINE', 5: 'DHCPACK', 6: 'DHCPNAK', 7: 'DHCPRELEASE', 8: 'DHCPINFORM',
};

export { OPT };

export interface DhcpPacket {
  op: number;
  htype: number;
  hlen: number;
  hops: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  giaddr: number;
  /** 16 octets as on the wire. */
  chaddr: Buffer;
  /** 64 octets (server host name), NUL padded. */
  sname: Buffer;
  /** 128 octets (boot file name), NUL padded. */
  file: Buffer;
  /** false for a plain BOOTP message without the RFC 1048 magic cookie. */
  cookie: boolean;
  /** Options by code; repeated instances concatenated (RFC 3396 §5). */
  options: Map<number, Buffer>;
  /** Raw vendor area of a cookie-less BOOTP message. */
  vend?: Buffer;
}

export class DecodeError extends Error {
  override name = 'DecodeError';
}

export function decodePacket(buf: Buffer): DhcpPacket {
  if (buf.length < HEADER_LEN) throw new DecodeError(`short message (${buf.length} octets)`);
  const op = buf[0];
  if (op !== BOOTREQUEST && op !== BOOTREPLY) throw new DecodeError(`bad op ${op}`);
  const hlen = buf[2];
  if (hlen > 16) throw new DecodeError(`bad hlen ${hlen}`);
  const p: DhcpPacket = {
    op,
    htype: buf[1],
    hlen,
    hops: buf[3],
    xid: buf.readUInt32BE(4),
    secs: buf.readUInt16BE(8),
    flags: buf.readUInt16BE(10),
    ciaddr: buf.readUInt32BE(12),
    yiaddr: buf.readUInt32BE(16),
    siaddr: buf.readUInt32BE(20),
    giaddr: buf.readUInt32BE(24),
    // Views, not copies: callers own `buf` (the server copies each frame once).
    chaddr: buf.subarray(28, 44),
    sname: buf.subarray(44, 108),
    file: buf.subarray(108, 236),
    cookie: false,
    options: new Map(),
  };
  if (buf.length >= 240 && buf.readUInt32BE(236) === MAGIC_COOKIE) {
    p.cookie = true;
    parseOptionArea(buf.subarray(240), p.options, true);
    // RFC 2132 §9.3: option 52 says file and/or sname carry more options. Only the
    // main area's option 52 counts, so an overload inside file/sname cannot loop.
    const v = p.options.get(OPT.OVERLOAD);
    if (v) {
      if (v.length !== 1 || v[0] < 1 || v[0] > 3) throw new DecodeError('bad option overload value');
      if (v[0] & 1) parseOptionArea(p.file, p.options, false);
      if (v[0] & 2) parseOptionArea(p.sname, p.options, false);
    }
  } else if (buf.length > HEADER_LEN) {
    p.vend = Buffer.from(buf.subarray(HEADER_LEN));
  }
  return p;
}

/** Options of one area into `into`; a repeated code is appended to the earlier value (RFC 3396 §5). */
function parseOptionArea(area: Buffer, into: Map<number, Buffer>, main: boolean): void {
  let i = 0;
  while (i < area.length) {
    const code = area[i];
    if (code === OPT.PAD) {
      i++;
      continue;
    }
    if (code === OPT.END) return;
    if (i + 1 >= area.length) throw new DecodeError(`option ${code} truncated`);
    const len = area[i + 1];
    if (i + 2 + len > area.length) throw new DecodeError(`option ${code} length ${len} overruns the message`);
    if (code === OPT.OVERLOAD && !main) {
      // An overload option inside an overloaded field: ignore it (loop protection).
      i += 2 + len;
      continue;
    }
    const v = area.subarray(i + 2, i + 2 + len);
    const prev = into.get(code);
    into.set(code, prev ? Buffer.concat([prev, v]) : v);
    i += 2 + len;
  }
  // No END option: tolerated (many clients pad instead).
}

export interface EncodeOptions {
  /** Largest DHCP message (BOOTP part) the client accepts; default 548 (576 − IP/UDP). */
  maxSize?: number;
  /** Option codes in the order to emit; must include every key of `options` to send. */
  order: number[];
}

/** Encodes a message; options that do not fit the main area go into file/sname with option 52 (RFC 2132 §9.3). */
export function encodePacket(p: DhcpPacket, enc: EncodeOptions): Buffer {
  if (!p.cookie) {
    // RFC 951 BOOTP: a 64-octet vendor area, answered in the request's format.
    const out = Buffer.alloc(HEADER_LEN + 64);
    writeHeader(p, out);
    p.vend?.copy(out, HEADER_LEN, 0, 64);
    return out;
  }
  const maxSize = Math.max(DEFAULT_MAX_MESSAGE, Math.min(enc.maxSize ?? DEFAULT_MAX_MESSAGE, 65535 - 28));
  // Sizes first (an option over 255 octets takes several code/len pairs, RFC 3396 §4).
  const codes: number[] = [];
  for (const code of enc.order) {
    if (code === OPT.PAD || code === OPT.END || code === OPT.OVERLOAD || !p.options.has(code)) continue;
    codes.push(code);
  }
  // Message type and server id always stay in the main area (clients look there first);
  // the others keep their order, and those past the client's size go to file/sname.
  const mainCap = maxSize - HEADER_LEN - 4 - 1 - 3; // cookie, END, room for option 52
  const main: number[] = [];
  const rest: number[] = [];
  let used = 0;
  for (const code of codes) {
    const w = wireSize(p.options.get(code)!);
    if (code === OPT.MESSAGE_TYPE || code === OPT.SERVER_ID || (rest.length === 0 && used + w <= mainCap)) {
      main.push(code);
      used += w;
    } else rest.push(code);
  }
  if (rest.length === 0) {
    // Everything fits the main area (the usual reply): written in place, no overload.
    const out = Buffer.alloc(Math.max(BOOTP_MIN_LEN, HEADER_LEN + 4 + used + 1));
    writeHeader(p, out);
    out.writeUInt32BE(MAGIC_COOKIE, HEADER_LEN);
    let at = HEADER_LEN + 4;
    for (const code of main) at += writeOption(out, at, code, p.options.get(code)!);
    out[at] = OPT.END;
    return out;
  }
  return encodeOverloaded(p, main, rest, used);
}

/** The fixed BOOTP header (RFC 951) into the first HEADER_LEN octets of `out`. */
function writeHeader(p: DhcpPacket, out: Buffer): void {
  out[0] = p.op;
  out[1] = p.htype;
  out[2] = p.hlen;
  out[3] = p.hops;
  out.writeUInt32BE(p.xid >>> 0, 4);
  out.writeUInt16BE(p.secs, 8);
  out.writeUInt16BE(p.flags, 10);
  out.writeUInt32BE(p.ciaddr >>> 0, 12);
  out.writeUInt32BE(p.yiaddr >>> 0, 16);
  out.writeUInt32BE(p.siaddr >>> 0, 20);
  out.writeUInt32BE(p.giaddr >>> 0, 24);
  p.chaddr.copy(out, 28, 0, 16);
  p.sname.copy(out, 44, 0, 64);
  p.file.copy(out, 108, 0, 128);
}

const wireSize = (v: Buffer): number => v.length + 2 * Math.max(1, Math.ceil(v.length / 255));

/** A reply whose options overflow the main area: the rest into file/sname with option 52 (RFC 2132 §9.3). */
function encodeOverloaded(p: DhcpPacket, main: number[], rest: number[], used: number): Buffer {
  const head = Buffer.alloc(HEADER_LEN);
  writeHeader(p, head);
  let overload = 0;
  if (rest.length) {
    const areas: { off: number; size: number; bit: number }[] = [];
    if (p.file.every((b) => b === 0)) areas.push({ off: 108, size: 128, bit: 1 });
    if (p.sname.every((b) => b === 0)) areas.push({ off: 44, size: 64, bit: 2 });
    for (const area of areas) {
      let at = 0;
      while (rest.length && at + wireSize(p.options.get(rest[0])!) <= area.size - 1) {
        at += writeOption(head, area.off + at, rest[0], p.options.get(rest.shift()!)!);
      }
      if (at > 0) {
        head[area.off + at] = OPT.END;
        overload |= area.bit;
      }
    }
    // Whatever still does not fit is left out: the client's size limit wins.
  }
  const total = Math.max(BOOTP_MIN_LEN, HEADER_LEN + 4 + (overload ? 3 : 0) + used + 1);
  const out = Buffer.alloc(total);
  head.copy(out, 0);
  out.writeUInt32BE(MAGIC_COOKIE, HEADER_LEN);
  let at = HEADER_LEN + 4;
  if (overload) {
    out[at++] = OPT.OVERLOAD;
    out[at++] = 1;
    out[at++] = overload;
  }
  for (const code of main) at += writeOption(out, at, code, p.options.get(code)!);
  out[at] = OPT.END;
  // The rest is zero: padding to 300 octets (BOOTP_MIN_LEN).
  return out;
}

/** Writes code,len,value at `at` (split into 255-octet pieces); returns octets written. */
function writeOption(out: Buffer, at: number, code: number, v: Buffer): number {
  const start = at;
  let i = 0;
  do {
    const n = Math.min(255, v.length - i);
    out[at++] = code;
    out[at++] = n;
    v.copy(out, at, i, i + n);
    at += n;
    i += n;
  } while (i < v.length);
  return at - start;
}

/** code,len,value — split into consecutive 255-octet instances when longer (RFC 3396). */
export function encodeOption(code: number, v: Buffer): Buffer {
  if (v.length <= 255) return Buffer.concat([Buffer.from([code, v.length]), v]);
  const parts: Buffer[] = [];
  for (let i = 0; i < v.length; i += 255) {
    const piece: Buffer = v.subarray(i, i + 255);
    parts.push(Buffer.from([code, piece.length]), piece);
  }
  return Buffer.concat(parts);
}

export function emptyPacket(): DhcpPacket {
  return {
    op: BOOTREQUEST, htype: 1, hlen: 6, hops: 0, xid: 0, secs: 0, flags: 0, ciaddr: 0, yiaddr: 0, siaddr: 0, giaddr: 0,
    chaddr: Buffer.alloc(16), sname: Buffer.alloc(64), file: Buffer.alloc(128), cookie: true, options: new Map(),
  };
}

/** Hardware address as `aa:bb:…` from chaddr/hlen. */
export function formatHw(p: Pick<DhcpPacket, 'chaddr' | 'hlen'>): string {
  return formatMac(p.chaddr.subarray(0, Math.min(p.hlen, 16)));
}

/** A NUL-terminated header field as text. */
export function cString(b: Buffer): string {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString('latin1');
}
