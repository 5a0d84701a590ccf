// Building blocks shared by the per-type RDATA codecs: a cursor over the
// presentation tokens of one record, a reader over wire RDATA, and the field
// encodings (numbers, TTLs, character-strings, base64/base32/hex, type bitmaps).

import { parseName, nameToText, NameError, MAX_NAME } from '../dns-name.js';
import { typeFromText, typeToText } from '../rr-type.js';
export { parseTtl } from '../ttl.js';
import type { ZoneToken } from '../zone-token.js';

/** A malformed field; `token` says where, when known. */
export class RdataError extends Error {
  readonly token?: ZoneToken;
  constructor(message: string, token?: ZoneToken) {
    super(message);
    this.name = 'RdataError';
    this.token = token;
  }
}

/** Reads the presentation tokens of one record's RDATA, left to right. */
export class TextCursor {
  i = 0;
  constructor(readonly tokens: ZoneToken[], readonly origin: Uint8Array, readonly last?: ZoneToken) {}

  atEnd(): boolean {
    return this.i >= this.tokens.length;
  }

  /** The next token, or an error naming what was expected. */
  next(what: string): ZoneToken {
    const t = this.tokens[this.i];
    if (!t) throw new RdataError(`unexpected end of input, expected ${what}`, this.last ?? this.tokens[this.tokens.length - 1]);
    this.i++;
    return t;
  }

  peek(): ZoneToken | undefined {
    return this.tokens[this.i];
  }

  /** Every remaining token. */
  rest(): ZoneToken[] {
    const r = this.tokens.slice(this.i);
    this.i = this.tokens.length;
    return r;
  }

  /** Unquoted word (BIND's lexer would refuse a quoted string where a number or name goes). */
  word(what: string): ZoneToken {
    const t = this.next(what);
    if (t.quoted) throw new RdataError(`expected ${what}, got a quoted string`, t);
    return t;
  }

  uint(what: string, max: number): number {
    const t = this.word(what);
    return parseUint(t, max);
  }

  u8(): number { return this.uint('a number', 0xff); }
  u16(): number { return this.uint('a number', 0xffff); }
  u32(): number { return this.uint('a number', 0xffffffff); }

  name(): Uint8Array {
    const t = this.word('a domain name');
    return nameFromToken(t, this.origin);
  }

  end(): void {
    const t = this.tokens[this.i];
    if (t) throw new RdataError(`extra input text '${t.text}'`, t);
  }
}

export function parseUint(t: ZoneToken, max: number): number {
  if (!/^[0-9]+$/.test(t.text)) throw new RdataError(`expected a number, got '${t.text}'`, t);
  const v = Number(t.text);
  if (v > max) throw new RdataError(`number out of range: ${t.text}`, t);
  return v;
}

export function nameFromToken(t: ZoneToken, origin: Uint8Array): Uint8Array {
  try {
    return parseName(t.text, origin);
  } catch (e) {
    if (e instanceof NameError) throw new RdataError(e.message, t);
    throw e;
  }
}

/** Reads uncompressed wire RDATA; every overrun is an RdataError. */
export class WireReader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get left(): number {
    return this.buf.length - this.pos;
  }

  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new RdataError('RDATA too short');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u16(): number {
    this.need(2);
    const v = (this.buf[this.pos] << 8) | this.buf[this.pos + 1];
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p] << 24) >>> 0) + (b[p + 1] << 16) + (b[p + 2] << 8) + b[p + 3];
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const r = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return r;
  }

  rest(): Uint8Array {
    return this.bytes(this.left);
  }

  /** An uncompressed name (RDATA in a zone never holds pointers). */
  name(): Uint8Array {
    const start = this.pos;
    for (;;) {
      this.need(1);
      const len = this.buf[this.pos];
      if (len === 0) {
        this.pos++;
        break;
      }
      if (len > 63) throw new RdataError('bad label in RDATA name');
      this.need(len + 1);
      this.pos += len + 1;
      if (this.pos - start > MAX_NAME) throw new RdataError('name too long');
    }
    return this.buf.subarray(start, this.pos);
  }

  nameText(): string {
    return nameToText(this.name());
  }

  /** One character-string: a length octet and that many octets. */
  str(): Uint8Array {
    const n = this.u8();
    return this.bytes(n);
  }

  end(): void {
    if (this.pos !== this.buf.length) throw new RdataError('trailing garbage in RDATA');
  }
}

/** Growable byte buffer for building RDATA. */
export class WireWriter {
  private parts: number[] = [];
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    this.parts.push((v >> 8) & 0xff, v & 0xff);
    return this;
  }
  u32(v: number): this {
    this.parts.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
    return this;
  }
  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.parts.push(b[i]);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/**
 * Decodes the escapes of a character-string token (`\DDD` and `\c`), RFC 1035 §5.1.
 * `max` bounds the octet count (255 for one character-string).
 */
export function unescapeText(t: ZoneToken, max = 255): Uint8Array {
  const s = t.text;
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c === 0x5c) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0x30 && d <= 0x39) {
        const ddd = s.slice(i + 1, i + 4);
        if (!/^[0-9]{3}$/.test(ddd) || Number(ddd) > 255) throw new RdataError('bad escape', t);
        c = Number(ddd);
        i += 3;
      } else if (i + 1 < s.length) {
        c = d;
        i++;
      } else {
        throw new RdataError('bad escape', t);
      }
    } else if (c > 0xff) {
      // UTF-8 text in a zone file: keep its octets.
      const enc = Buffer.from(String.fromCharCode(c), 'utf8');
      for (const b of enc) out.push(b);
      continue;
    }
    out.push(c);
  }
  if (out.length > max) throw new RdataError('text string too long (more than 255 octets)', t);
  return Uint8Array.from(out);
}

/** A character-string in BIND's quoted presentation form. */
export function quoteText(b: Uint8Array): string {
  let s = '"';
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 0x22 || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c < 0x20 || c >= 0x7f) s += '\\' + String(c).padStart(3, '0');
    else s += String.fromCharCode(c);
  }
  return s + '"';
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Map<string, number>([...B64].map((c, i) => [c, i]));

/** Strict base64 (RFC 4648 §4) of the concatenated tokens, as BIND's isc_base64_decodestring. */
export function base64Decode(text: string, at?: ZoneToken): Uint8Array {
  if (text.length % 4 !== 0) throw new RdataError('bad base64 encoding', at);
  const out: number[] = [];
  for (let i = 0; i < text.length; i += 4) {
    const q = text.slice(i, i + 4);
    let pad = 0;
    const v: number[] = [];
    for (let k = 0; k < 4; k++) {
      const ch = q[k];
      if (ch === '=') {
        pad++;
        v.push(0);
        continue;
      }
      if (pad > 0) throw new RdataError('bad base64 encoding', at);
      const x = B64_INDEX.get(ch);
      if (x === undefined) throw new RdataError('bad base64 encoding', at);
      v.push(x);
    }
    if (pad > 2 || (pad > 0 && i + 4 !== text.length)) throw new RdataError('bad base64 encoding', at);
    const n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out.push((n >> 16) & 0xff);
    if (pad < 2) out.push((n >> 8) & 0xff);
    if (pad < 1) out.push(n & 0xff);
  }
  return Uint8Array.from(out);
}

export function base64Encode(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

export function hexDecode(text: string, at?: ZoneToken): Uint8Array {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new RdataError('bad hex encoding', at);
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function hexEncode(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

/** Splits long base64/hex the way `named-compilezone -s full` prints it: words of 56 characters. */
export function chunk(s: string, width = 56): string {
  if (s.length <= width) return s;
  const parts: string[] = [];
  for (let i = 0; i < s.length; i += width) parts.push(s.slice(i, i + width));
  return parts.join(' ');
}

const B32 = '0123456789ABCDEFGHIJKLMNOPQRSTUV';

/** base32hex without padding (RFC 4648 §7), as NSEC3 uses (RFC 5155 §3.3). */
export function base32hexDecode(text: string, at?: ZoneToken): Uint8Array {
  const u = text.toUpperCase();
  let bits = 0;
  let acc = 0;
  const out: number[] = [];
  for (const ch of u) {
    // NSEC3 uses the unpadded form: '=' is an error.
    const v = B32.indexOf(ch);
    if (v < 0) throw new RdataError('bad base32hex encoding', at);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
    acc &= (1 << bits) - 1;
  }
  // Leftover bits must be zero and fewer than a full octet's worth of characters.
  if (bits >= 5 || acc !== 0) throw new RdataError('bad base32hex encoding', at);
  return Uint8Array.from(out);
}

export function base32hexEncode(b: Uint8Array): string {
  let s = '';
  let acc = 0;
  let bits = 0;
  for (const x of b) {
    acc = (acc << 8) | x;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      s += B32[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) s += B32[(acc << (5 - bits)) & 31];
  return s;
}

/** Type mnemonic or TYPEnnn from a token. */
export function typeFromToken(t: ZoneToken): number {
  const v = typeFromText(t.text);
  if (v === undefined) throw new RdataError(`unknown RR type '${t.text}'`, t);
  return v;
}

/** NSEC/NSEC3/CSYNC type bitmap (RFC 4034 §4.1.2) from type mnemonics. */
export function bitmapFromTokens(tokens: ZoneToken[]): Uint8Array {
  const types = new Set<number>();
  for (const t of tokens) {
    if (t.quoted) throw new RdataError('expected a type, got a quoted string', t);
    types.add(typeFromToken(t));
  }
  return encodeBitmap([...types]);
}

export function encodeBitmap(types: number[]): Uint8Array {
  const sorted = [...new Set(types)].sort((a, b) => a - b);
  const w = new WireWriter();
  let i = 0;
  while (i < sorted.length) {
    const win = sorted[i] >> 8;
    const bits = new Uint8Array(32);
    let maxOctet = 0;
    while (i < sorted.length && sorted[i] >> 8 === win) {
      const low = sorted[i] & 0xff;
      bits[low >> 3] |= 0x80 >> (low & 7);
      maxOctet = Math.max(maxOctet, (low >> 3) + 1);
      i++;
    }
    w.u8(win).u8(maxOctet).bytes(bits.subarray(0, maxOctet));
  }
  return w.done();
}

/** Type bitmap to mnemonics; validates window order and lengths as BIND does on load. */
export function bitmapToText(r: WireReader, allowEmpty = true): string {
  const names: string[] = [];
  let lastWin = -1;
  if (r.left === 0 && !allowEmpty) throw new RdataError('empty type bitmap');
  while (r.left > 0) {
    const win = r.u8();
    const len = r.u8();
    if (win <= lastWin) throw new RdataError('type bitmap windows out of order');
    if (len < 1 || len > 32) throw new RdataError('bad type bitmap length');
    const bits = r.bytes(len);
    if (bits[len - 1] === 0) throw new RdataError('type bitmap with trailing zero octet');
    lastWin = win;
    for (let o = 0; o < len; o++) {
      for (let b = 0; b < 8; b++) {
        if (bits[o] & (0x80 >> b)) names.push(typeToText((win << 8) | (o << 3) | b));
      }
    }
  }
  return names.join(' ');
}
