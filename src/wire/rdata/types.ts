// RDATA codecs, one per shape of RDATA (SHAPES at the end; a row of RR_TYPES in
// rr-type.ts names the shape of its type): presentation text (BIND's form, as
// `named-compilezone -s full` prints it) to uncompressed wire form and back. The
// wire→text half also validates RDATA given in RFC 3597 `\# len hex` form for known types.

import {
  RdataError, TextCursor, WireReader, WireWriter, parseTtl, unescapeText, quoteText, base64Decode, base64Encode,
  hexDecode, hexEncode, chunk, base32hexDecode, base32hexEncode, typeFromToken, bitmapFromTokens, bitmapToText, parseUint,
} from './codec.js';
import { ipv4FromText, ipv4ToText } from '../ipv4.js';
import { ipv6FromText, ipv6ToText } from './addr.js';
import { rrType, typeToText } from '../rr-type.js';
import type { ZoneToken } from '../zone-token.js';
import { svcbFromText, svcbToText } from './svcb.js';
import { GenericOnly } from './generic.js';
import { locFromText, locToText } from './loc.js';
import { aplFromText, aplToText, wksFromText, wksToText } from './misc.js';

export { GenericOnly };

export interface RdataCodec {
  fromText(c: TextCursor): Uint8Array;
  /** Presentation form; throws GenericOnly where BIND prints the RFC 3597 form. */
  toText(r: WireReader): string;
  /** Checks BIND makes only on wire data (and on RDATA given as `\# LENGTH HEX`), beyond what printing needs. */
  checkWire?(rdata: Uint8Array): void;
}

// ---- field helpers -------------------------------------------------------

function ttlField(c: TextCursor): number {
  const t = c.word('a time value');
  const v = parseTtl(t.text);
  if (v === undefined || Number.isNaN(v)) throw new RdataError(`bad time value '${t.text}'`, t);
  return v;
}

function ipv4(c: TextCursor): Uint8Array {
  const t = c.word('an IPv4 address');
  const a = ipv4FromText(t.text);
  if (!a) throw new RdataError(`bad IPv4 address '${t.text}'`, t);
  return a;
}

function ipv6(c: TextCursor): Uint8Array {
  const t = c.word('an IPv6 address');
  const a = ipv6FromText(t.text);
  if (!a) throw new RdataError(`bad IPv6 address '${t.text}'`, t);
  return a;
}

function str(c: TextCursor): Uint8Array {
  return unescapeText(c.next('a character string'));
}

function restJoined(c: TextCursor, what: string): { text: string; at?: ZoneToken } {
  const toks = c.rest();
  if (toks.length === 0) throw new RdataError(`unexpected end of input, expected ${what}`, c.last);
  const q = toks.find((t) => t.quoted);
  if (q) throw new RdataError(`expected ${what}, got a quoted string`, q);
  return { text: toks.map((t) => t.text).join(''), at: toks[0] };
}

function b64Rest(c: TextCursor): Uint8Array {
  const { text, at } = restJoined(c, 'base64 data');
  return base64Decode(text, at);
}

function hexRest(c: TextCursor): Uint8Array {
  const { text, at } = restJoined(c, 'hex data');
  return hexDecode(text, at);
}

/** DNSSEC algorithm numbers and their mnemonics (RFC 8624 / BIND's secalg table). */
const SECALG_NAMES = new Map<number, string>([
  [1, 'RSAMD5'], [2, 'DH'], [3, 'DSA'], [5, 'RSASHA1'], [6, 'NSEC3DSA'], [7, 'NSEC3RSASHA1'], [8, 'RSASHA256'],
  [10, 'RSASHA512'], [12, 'ECCGOST'], [13, 'ECDSAP256SHA256'], [14, 'ECDSAP384SHA384'], [15, 'ED25519'], [16, 'ED448'],
  [252, 'INDIRECT'], [253, 'PRIVATEDNS'], [254, 'PRIVATEOID'],
]);
/** The mnemonics BIND 9.18 reads (the names it prints, no aliases such as ECC-GOST). */
const SECALGS: Record<string, number> = Object.fromEntries([...SECALG_NAMES].map(([v, k]) => [k, v]));

function secalg(c: TextCursor): number {
  const t = c.word('an algorithm');
  if (/^[0-9]+$/.test(t.text)) return parseUint(t, 255);
  const v = SECALGS[t.text.toUpperCase()];
  if (v === undefined) throw new RdataError(`unknown algorithm '${t.text}'`, t);
  return v;
}

const CERT_TYPES: Record<string, number> = { PKIX: 1, SPKI: 2, PGP: 3, IPKIX: 4, ISPKI: 5, IPGP: 6, ACPKIX: 7, IACPKIX: 8, URI: 253, OID: 254 };
const CERT_NAMES = new Map<number, string>(Object.entries(CERT_TYPES).map(([k, v]) => [v, k]));

/** DS digest lengths BIND enforces (RFC 4509, RFC 6605). */
const DS_DIGEST_LEN: Record<number, number> = { 1: 20, 2: 32, 4: 48 };
/** Digest type mnemonics BIND reads (dns_dsdigest_fromtext). */
const DS_DIGESTS: Record<string, number> = { 'SHA-1': 1, SHA1: 1, 'SHA-256': 2, SHA256: 2, GOST: 3, 'SHA-384': 4, SHA384: 4 };

function dsDigestType(c: TextCursor): number {
  const t = c.word('a digest type');
  if (/^[0-9]+$/.test(t.text)) return parseUint(t, 255);
  const v = DS_DIGESTS[t.text.toUpperCase()];
  if (v === undefined) throw new RdataError(`unknown digest type '${t.text}'`, t);
  return v;
}

function checkDigest(type: number, len: number): void {
  const want = DS_DIGEST_LEN[type];
  if (want !== undefined && want !== len) throw new RdataError('bad digest length');
}

/** RRSIG time: YYYYMMDDHHMMSS or a plain number of seconds (RFC 4034 §3.2). */
function sigTime(c: TextCursor, numeric = true): number {
  const t = c.word('a time');
  const s = t.text;
  if (/^[0-9]{14}$/.test(s)) {
    const y = Number(s.slice(0, 4));
    const mo = Number(s.slice(4, 6));
    const d = Number(s.slice(6, 8));
    const h = Number(s.slice(8, 10));
    const mi = Number(s.slice(10, 12));
    const se = Number(s.slice(12, 14));
    if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || se > 60) {
      throw new RdataError(`bad time '${s}'`, t);
    }
    // Any year, kept modulo 2^32 (RFC 4034 §3.1.5), as BIND reads the dates it prints for old eras.
    const at = new Date(0);
    at.setUTCFullYear(y, mo - 1, d);
    at.setUTCHours(h, mi, se);
    const secs = Math.floor(at.getTime() / 1000);
    return ((secs % 0x100000000) + 0x100000000) % 0x100000000;
  }
  // RRSIG also takes seconds since the epoch (RFC 4034 §3.2); BIND reads SIG's times only as dates.
  if (numeric && /^[0-9]{1,10}$/.test(s) && Number(s) <= 0xffffffff) return Number(s);
  throw new RdataError(`bad time '${s}'`, t);
}

function daysIn(y: number, m: number): number {
  const at = new Date(0);
  at.setUTCFullYear(y, m, 0);
  return at.getUTCDate();
}

/** Prints a 32-bit time as YYYYMMDDHHMMSS, choosing the era closest to now (RFC 4034 §3.1.5 serial arithmetic). */
export function sigTimeText(v: number): string {
  const now = Math.floor(Date.now() / 1000);
  let t = v;
  // Pick the 2^32 period that puts the time within 68 years of now, as BIND's dns_time32_totext does.
  const base = now - (now % 0x100000000);
  t = base + v;
  if (t - now > 0x7fffffff) t -= 0x100000000;
  else if (now - t > 0x7fffffff) t += 0x100000000;
  const d = new Date(t * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

// ---- codec builders -------------------------------------------------------

const oneName: RdataCodec = {
  fromText: (c) => c.name(),
  toText: (r) => r.nameText(),
};

const twoNames: RdataCodec = {
  fromText: (c) => new WireWriter().bytes(c.name()).bytes(c.name()).done(),
  toText: (r) => `${r.nameText()} ${r.nameText()}`,
};

const prefName: RdataCodec = {
  fromText: (c) => new WireWriter().u16(c.u16()).bytes(c.name()).done(),
  toText: (r) => `${r.u16()} ${r.nameText()}`,
};

const strings: RdataCodec = {
  fromText: (c) => {
    const w = new WireWriter();
    const toks = c.rest();
    if (toks.length === 0) throw new RdataError('unexpected end of input, expected a character string', c.last);
    for (const t of toks) {
      const b = unescapeText(t);
      w.u8(b.length).bytes(b);
    }
    return w.done();
  },
  toText: (r) => {
    if (r.left === 0) throw new RdataError('empty TXT-like RDATA');
    const parts: string[] = [];
    while (r.left > 0) parts.push(quoteText(r.str()));
    return parts.join(' ');
  },
};

/** KEY/DNSKEY flags: a number (decimal or 0x hex) or BIND's mnemonics joined by '|'. */
const KEY_FLAGS: Record<string, number> = {
  NOCONF: 0x4000, NOAUTH: 0x8000, NOKEY: 0xc000, FLAG2: 0x2000, EXTEND: 0x1000, FLAG4: 0x0800, FLAG5: 0x0400,
  USER: 0x0000, ZONE: 0x0100, HOST: 0x0200, NTYP3: 0x0300, FLAG8: 0x0080, FLAG9: 0x0040, FLAG10: 0x0020,
  FLAG11: 0x0010, SIG0: 0x0000, SIG1: 0x0001, SIG2: 0x0002, SIG3: 0x0003, SIG4: 0x0004, SIG5: 0x0005, SIG6: 0x0006,
  SIG7: 0x0007, SIG8: 0x0008, SIG9: 0x0009, SIG10: 0x000a, SIG11: 0x000b, SIG12: 0x000c, SIG13: 0x000d, SIG14: 0x000e,
  SIG15: 0x000f, KSK: 0x0001,
};
const KEY_FLAG_ORDER = Object.keys(KEY_FLAGS);

function keyFlags(c: TextCursor): number {
  const t = c.word('key flags');
  // A number: decimal (leading zeros allowed) or 0x hex, as BIND reads key flags.
  const n = /^(?:0x([0-9a-f]+)|([0-9]+))$/i.exec(t.text);
  if (n) {
    const v = n[1] !== undefined ? parseInt(n[1], 16) : Number(n[2]);
    if (v > 0xffff) throw new RdataError(`key flags out of range: ${t.text}`, t);
    return v;
  }
  // BIND takes each '|'-separated word as a prefix of the first mnemonic it begins
  // (so an empty word reads as NOCONF); a '|' at the very end adds nothing.
  const parts = t.text.split('|');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  let v = 0;
  for (const part of parts) {
    const u = part.toUpperCase();
    const name = KEY_FLAG_ORDER.find((n) => n.startsWith(u));
    if (name === undefined) throw new RdataError(`bad key flags '${t.text}'`, t);
    v |= KEY_FLAGS[name];
  }
  return v;
}

/** A PRIVATEDNS (253) key starts with the algorithm's domain name (RFC 4034 Appendix A.1.1); BIND checks it on the wire. */
function privateDnsCheck(keyData: Uint8Array, alg: number): void {
  if (alg !== 253) return;
  const r = new WireReader(keyData);
  r.name();
}

/** KEY (RFC 2535), RKEY and DNSKEY/CDNSKEY (RFC 4034) share a shape; KEY and RKEY have rules of their own. */
const keyCodec = (kind: 'KEY' | 'RKEY' | 'DNSKEY'): RdataCodec => ({
  fromText: (c) => {
    const flagTok = c.peek();
    const flags = keyFlags(c);
    // RKEY's flags field is reserved and must be zero.
    if (kind === 'RKEY' && flags !== 0) throw new RdataError('RKEY flags must be 0', flagTok);
    const proto = c.u8();
    const alg = secalg(c);
    const w = new WireWriter().u16(flags).u8(proto).u8(alg);
    // KEY with the "no key" flag combination carries no key material (RFC 2535 §3.1.2).
    if (kind === 'KEY' && (flags & 0xc000) === 0xc000) return w.done();
    return w.bytes(b64Rest(c)).done();
  },
  checkWire: (d) => {
    if (d.length < 4) throw new RdataError('RDATA too short');
    if (kind === 'KEY' && (d[0] & 0xc0) === 0xc0 && d.length > 4) throw new RdataError('key data with the NOKEY flags');
    if (kind === 'RKEY' && (d[0] !== 0 || d[1] !== 0)) throw new RdataError('RKEY flags must be 0');
    // Only a KEY with the NOKEY flags goes without key data.
    if (d.length === 4 && !(kind === 'KEY' && (d[0] & 0xc0) === 0xc0)) throw new RdataError('no key data');
    privateDnsCheck(d.subarray(4), d[3]);
  },
  toText: (r) => {
    const flags = r.u16();
    const s = `${flags} ${r.u8()} ${r.u8()}`;
    const key = r.rest();
    if (key.length === 0) return s;
    return `${s} ${chunk(base64Encode(key))}`;
  },
});

const ds: RdataCodec = {
  fromText: (c) => {
    const tag = c.u16();
    const alg = secalg(c);
    const dt = dsDigestType(c);
    const digest = hexRest(c);
    checkDigest(dt, digest.length);
    return new WireWriter().u16(tag).u8(alg).u8(dt).bytes(digest).done();
  },
  toText: (r) => {
    const tag = r.u16();
    const alg = r.u8();
    const dt = r.u8();
    const digest = r.rest();
    checkDigest(dt, digest.length);
    if (digest.length === 0) throw new RdataError('empty digest');
    return `${tag} ${alg} ${dt} ${chunk(hexEncode(digest))}`;
  },
};

const sigCodec = (rrsig: boolean): RdataCodec => ({
  fromText: (c) => {
    const covered = typeFromToken(c.word('a type'));
    const alg = secalg(c);
    const labels = c.u8();
    const ottl = c.u32(); // a plain number: BIND takes no TTL units here
    const exp = sigTime(c, rrsig);
    const inc = sigTime(c, rrsig);
    const tag = c.u16();
    const signerTok = c.peek();
    const signer = c.name();
    // BIND refuses a signer with more labels than the Labels field (RFC 4034 §3.1.3: the signer is an ancestor).
    let n = 0;
    for (let i = 0; signer[i] !== 0; i += signer[i] + 1) n++;
    if (rrsig && n > labels) throw new RdataError('signer name has more labels than the Labels field', signerTok);
    const sigb = b64Rest(c);
    return new WireWriter().u16(covered).u8(alg).u8(labels).u32(ottl).u32(exp).u32(inc).u16(tag).bytes(signer).bytes(sigb).done();
  },
  checkWire: (d) => {
    if (!rrsig) return;
    // As in the text form: the signer is an ancestor, so it has no more labels than the Labels field says.
    const r = new WireReader(d);
    r.bytes(18);
    const signer = r.name();
    let n = 0;
    for (let i = 0; signer[i] !== 0; i += signer[i] + 1) n++;
    if (n > d[3]) throw new RdataError('signer name has more labels than the Labels field');
  },
  toText: (r) => {
    const covered = typeToText(r.u16());
    const alg = r.u8();
    const labels = r.u8();
    const ottl = r.u32();
    const exp = sigTimeText(r.u32());
    const inc = sigTimeText(r.u32());
    const tag = r.u16();
    const signer = r.nameText();
    const s = r.rest();
    if (s.length === 0) throw new RdataError('empty signature');
    return `${covered} ${alg} ${labels} ${ottl} ${exp} ${inc} ${tag} ${signer} ${chunk(base64Encode(s))}`;
  },
});

function saltFromText(c: TextCursor): Uint8Array {
  const t = c.word('a salt');
  if (t.text === '-') return new Uint8Array(0);
  const b = hexDecode(t.text, t);
  if (b.length > 255) throw new RdataError('salt too long', t);
  return b;
}

function saltToText(r: WireReader): string {
  const s = r.str();
  return s.length === 0 ? '-' : hexEncode(s);
}

const a: RdataCodec = {
  fromText: (c) => ipv4(c),
  toText: (r) => ipv4ToText(r.bytes(4)),
};
const aaaa: RdataCodec = {
  fromText: (c) => ipv6(c),
  toText: (r) => ipv6ToText(r.bytes(16)),
};

const soa: RdataCodec = {
  fromText: (c) => {
    const w = new WireWriter().bytes(c.name()).bytes(c.name()).u32(c.u32());
    for (let i = 0; i < 4; i++) w.u32(ttlField(c));
    return w.done();
  },
  toText: (r) => `${r.nameText()} ${r.nameText()} ${r.u32()} ${r.u32()} ${r.u32()} ${r.u32()} ${r.u32()}`,
};
const srv: RdataCodec = {
  fromText: (c) => new WireWriter().u16(c.u16()).u16(c.u16()).u16(c.u16()).bytes(c.name()).done(),
  toText: (r) => `${r.u16()} ${r.u16()} ${r.u16()} ${r.nameText()}`,
};
const px: RdataCodec = {
  fromText: (c) => new WireWriter().u16(c.u16()).bytes(c.name()).bytes(c.name()).done(),
  toText: (r) => `${r.u16()} ${r.nameText()} ${r.nameText()}`,
};
const hinfo: RdataCodec = {
  fromText: (c) => {
    const a = str(c);
    const b = str(c);
    return new WireWriter().u8(a.length).bytes(a).u8(b.length).bytes(b).done();
  },
  toText: (r) => `${quoteText(r.str())} ${quoteText(r.str())}`,
};
const gpos: RdataCodec = {
  fromText: (c) => {
    const w = new WireWriter();
    for (let i = 0; i < 3; i++) {
      const s = str(c);
      w.u8(s.length).bytes(s);
    }
    return w.done();
  },
  toText: (r) => `${quoteText(r.str())} ${quoteText(r.str())} ${quoteText(r.str())}`,
};
const isdn: RdataCodec = {
  fromText: (c) => {
    const a = str(c);
    const w = new WireWriter().u8(a.length).bytes(a);
    if (!c.atEnd()) {
      const b = str(c);
      w.u8(b.length).bytes(b);
    }
    return w.done();
  },
  toText: (r) => {
    const a = quoteText(r.str());
    return r.left > 0 ? `${a} ${quoteText(r.str())}` : a;
  },
};
const x25: RdataCodec = {
  fromText: (c) => {
    const t = c.next('a PSDN address');
    const a = unescapeText(t);
    if (a.length < 4 || !a.every((x) => x >= 0x30 && x <= 0x39)) throw new RdataError('bad X25 address', t);
    return new WireWriter().u8(a.length).bytes(a).done();
  },
  toText: (r) => {
    const a = r.str();
    if (a.length < 4 || !a.every((x) => x >= 0x30 && x <= 0x39)) throw new RdataError('bad X25 address');
    return quoteText(a);
  },
};
const naptr: RdataCodec = {
  fromText: (c) => {
    const w = new WireWriter().u16(c.u16()).u16(c.u16());
    const flags = str(c);
    w.u8(flags.length).bytes(flags);
    const svc = str(c);
    w.u8(svc.length).bytes(svc);
    const reTok = c.next('a regular expression');
    const re = unescapeText(reTok);
    if (!naptrRegexValid(re)) throw new RdataError('bad NAPTR regular expression', reTok);
    w.u8(re.length).bytes(re);
    return w.bytes(c.name()).done();
  },
  toText: (r) => {
    const head = `${r.u16()} ${r.u16()} ${quoteText(r.str())} ${quoteText(r.str())}`;
    const re = r.str();
    // BIND checks the regular expression on wire data too.
    if (!naptrRegexValid(re)) throw new RdataError('bad NAPTR regular expression');
    return `${head} ${quoteText(re)} ${r.nameText()}`;
  },
};
const caa: RdataCodec = {
  fromText: (c) => {
    const flags = c.u8();
    const tagTok = c.word('a tag');
    const tag = unescapeText(tagTok);
    if (tag.length === 0 || !tag.every((x) => (x >= 0x30 && x <= 0x39) || (x >= 0x41 && x <= 0x5a) || (x >= 0x61 && x <= 0x7a))) {
      throw new RdataError('bad CAA tag', tagTok);
    }
    const valTok = c.next('a value');
    const val = unescapeText(valTok, 65535);
    return new WireWriter().u8(flags).u8(tag.length).bytes(tag).bytes(val).done();
  },
  toText: (r) => {
    const flags = r.u8();
    const tag = r.str();
    // RFC 8659 §4.1: the tag is one or more letters and digits.
    if (tag.length === 0 || !tag.every((x) => (x >= 0x30 && x <= 0x39) || (x >= 0x41 && x <= 0x5a) || (x >= 0x61 && x <= 0x7a))) {
      throw new RdataError('bad CAA tag');
    }
    return `${flags} ${Buffer.from(tag).toString('latin1')} ${quoteText(r.rest())}`;
  },
};
const uri: RdataCodec = {
  fromText: (c) => {
    const w = new WireWriter().u16(c.u16()).u16(c.u16());
    const t = c.next('a target');
    // RFC 7553 §4.4: the target is a quoted string.
    if (!t.quoted) throw new RdataError('URI target must be a quoted string', t);
    return w.bytes(unescapeText(t, 65535)).done();
  },
  toText: (r) => {
    const p = r.u16();
    const wgt = r.u16();
    return `${p} ${wgt} ${quoteText(r.rest())}`;
  },
};
const sshfp: RdataCodec = {
  fromText: (c) => {
    const alg = c.u8();
    const fpt = c.u8();
    // BIND allows the fingerprint to be absent; only SHA-1 (1) and SHA-256 (2) have a fixed length (RFC 4255, RFC 6594).
    const fp = c.atEnd() ? new Uint8Array(0) : hexRest(c);
    if ((fpt === 1 && fp.length !== 20) || (fpt === 2 && fp.length !== 32)) throw new RdataError('bad fingerprint length', c.last);
    return new WireWriter().u8(alg).u8(fpt).bytes(fp).done();
  },
  toText: (r) => {
    const alg = r.u8();
    const fpt = r.u8();
    const fp = r.rest();
    if ((fpt === 1 && fp.length !== 20) || (fpt === 2 && fp.length !== 32)) throw new RdataError('bad fingerprint length');
    return fp.length ? `${alg} ${fpt} ${chunk(hexEncode(fp))}` : `${alg} ${fpt}`;
  },
};
const tlsa: RdataCodec = {
  fromText: (c) => new WireWriter().u8(c.u8()).u8(c.u8()).u8(c.u8()).bytes(hexRest(c)).done(),
  toText: (r) => {
    const a = `${r.u8()} ${r.u8()} ${r.u8()}`;
    const d = r.rest();
    if (d.length === 0) throw new RdataError('empty certificate data');
    return `${a} ${chunk(hexEncode(d))}`;
  },
};
const nsec: RdataCodec = {
  fromText: (c) => {
    const next = c.name();
    // RFC 4034 §4.1.2: BIND insists on at least one type in an NSEC bitmap.
    if (c.atEnd()) throw new RdataError('NSEC needs at least one type', c.last);
    return new WireWriter().bytes(next).bytes(bitmapFromTokens(c.rest())).done();
  },
  toText: (r) => {
    const n = r.nameText();
    const b = bitmapToText(r, false);
    return b ? `${n} ${b}` : n;
  },
};
const nsec3: RdataCodec = {
  fromText: (c) => {
    const hashAlg = c.u8();
    const w = new WireWriter().u8(hashAlg).u8(c.u8()).u16(c.u16());
    const salt = saltFromText(c);
    w.u8(salt.length).bytes(salt);
    const ht = c.word('a hashed owner name');
    const h = base32hexDecode(ht.text, ht);
    if (h.length < 1 || h.length > 255) throw new RdataError('bad hash length', ht);
    // RFC 5155 §3.1.4: a SHA-1 hashed owner is 20 octets.
    if (hashAlg === 1 && h.length !== 20) throw new RdataError('next hashed owner name out of range', ht);
    w.u8(h.length).bytes(h);
    return w.bytes(bitmapFromTokens(c.rest())).done();
  },
  toText: (r) => {
    const hashAlg = r.u8();
    const head = `${hashAlg} ${r.u8()} ${r.u16()} ${saltToText(r)}`;
    const h = r.str();
    if (h.length === 0 || (hashAlg === 1 && h.length !== 20)) throw new RdataError('bad hash length');
    const b = bitmapToText(r);
    return `${head} ${base32hexEncode(h)}${b ? ' ' + b : ''}`;
  },
};
const nsec3param: RdataCodec = {
  fromText: (c) => {
    const w = new WireWriter().u8(c.u8()).u8(c.u8()).u16(c.u16());
    const salt = saltFromText(c);
    return w.u8(salt.length).bytes(salt).done();
  },
  toText: (r) => `${r.u8()} ${r.u8()} ${r.u16()} ${saltToText(r)}`,
};
const nxt: RdataCodec = {
  fromText: (c) => {
    const next = c.name();
    // NXT (RFC 2535 §5.2) also takes bare type numbers.
    const types = c.rest().map((t) => {
      if (t.quoted) throw new RdataError('expected a type, got a quoted string', t);
      return { t, v: /^[0-9]+$/.test(t.text) ? parseUint(t, 0xffff) : typeFromToken(t) };
    });
    let max = 0;
    for (const { t, v } of types) {
      // Bit 0 would announce another bitmap format (RFC 2535 §5.2); BIND refuses it.
      if (v === 0) throw new RdataError('NXT type 0 out of range', t);
      if (v > 127) throw new RdataError('NXT type above 127', t);
      max = Math.max(max, v);
    }
    const bits = new Uint8Array(types.length ? (max >> 3) + 1 : 0);
    for (const { v } of types) bits[v >> 3] |= 0x80 >> (v & 7);
    return new WireWriter().bytes(next).bytes(bits).done();
  },
  toText: (r) => {
    const n = r.nameText();
    const bits = r.rest();
    // RFC 2535 §5.2: without the extension bit, at most 16 octets and no trailing zero octet.
    if (bits.length > 0 && ((bits[0] & 0x80) !== 0 || bits.length > 16 || bits[bits.length - 1] === 0)) throw new RdataError('bad NXT bitmap');
    const names: string[] = [];
    for (let o = 0; o < bits.length; o++) {
      for (let b = 0; b < 8; b++) {
        if (!(bits[o] & (0x80 >> b))) continue;
        // BIND prints NXT types without a mnemonic as bare numbers.
        const name = typeToText(o * 8 + b);
        names.push(name.startsWith('TYPE') ? String(o * 8 + b) : name);
      }
    }
    return names.length ? `${n} ${names.join(' ')}` : n;
  },
};
const csync: RdataCodec = {
  fromText: (c) => new WireWriter().u32(c.u32()).u16(c.u16()).bytes(bitmapFromTokens(c.rest())).done(),
  toText: (r) => {
    const h = `${r.u32()} ${r.u16()}`;
    const b = bitmapToText(r);
    return b ? `${h} ${b}` : h;
  },
};
const b64only: RdataCodec = {
  fromText: (c) => b64Rest(c),
  toText: (r) => {
    const d = r.rest();
    if (d.length === 0) throw new RdataError('empty RDATA');
    return chunk(base64Encode(d));
  },
};
const dsync: RdataCodec = {
  // draft-ietf-dnsop-generalized-notify: RRtype, scheme (1 = NOTIFY), port, target.
  fromText: (c) => {
    const type = typeFromToken(c.word('a type'));
    const st = c.word('a scheme');
    const scheme = st.text.toUpperCase() === 'NOTIFY' ? 1 : parseUint(st, 255);
    return new WireWriter().u16(type).u8(scheme).u16(c.u16()).bytes(c.name()).done();
  },
  toText: (r) => {
    const type = typeToText(r.u16());
    const scheme = r.u8();
    return `${type} ${scheme === 1 ? 'NOTIFY' : scheme} ${r.u16()} ${r.nameText()}`;
  },
};
const zonemd: RdataCodec = {
  fromText: (c) => {
    const w = new WireWriter().u32(c.u32());
    const scheme = c.u8();
    const alg = c.u8();
    const dt = c.peek();
    const d = hexRest(c);
    // RFC 8976 §2.2.4: a digest is at least 12 octets; SHA384 is 48, SHA512 64.
    if (d.length < 12) throw new RdataError('ZONEMD digest too short', dt);
    if ((alg === 1 && d.length !== 48) || (alg === 2 && d.length !== 64)) throw new RdataError('bad digest length', dt);
    return w.u8(scheme).u8(alg).bytes(d).done();
  },
  toText: (r) => {
    const h = `${r.u32()} ${r.u8()}`;
    const alg = r.u8();
    const d = r.rest();
    if (d.length < 12) throw new RdataError('digest too short');
    if ((alg === 1 && d.length !== 48) || (alg === 2 && d.length !== 64)) throw new RdataError('bad digest length');
    return `${h} ${alg} ${chunk(hexEncode(d))}`;
  },
};
function euiCodec(n: number): RdataCodec {
  // BIND reads these with sscanf("%2x-%2x-..."): one-digit groups and trailing text pass.
  const re = new RegExp(`^[0-9a-fA-F]{1,2}(-[0-9a-fA-F]{1,2}){${n - 1}}`);
  return {
    fromText: (c) => {
      const t = c.word('an EUI address');
      const m = re.exec(t.text);
      if (!m) throw new RdataError(`bad EUI${n * 8} address '${t.text}'`, t);
      return Uint8Array.from(m[0].split('-').map((g) => parseInt(g, 16)));
    },
    toText: (r) => [...r.bytes(n)].map((b) => b.toString(16).padStart(2, '0')).join('-'),
  };
}
const nid: RdataCodec = {
  fromText: (c) => {
    const pref = c.u16();
    const t = c.word('a locator');
    const groups = t.text.split(':');
    if (groups.length !== 4 || !groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) throw new RdataError(`bad locator '${t.text}'`, t);
    const w = new WireWriter().u16(pref);
    for (const g of groups) w.u16(parseInt(g, 16));
    return w.done();
  },
  toText: (r) => {
    const p = r.u16();
    const g: string[] = [];
    for (let i = 0; i < 4; i++) g.push(r.u16().toString(16));
    return `${p} ${g.join(':')}`;
  },
};
const l32: RdataCodec = {
  fromText: (c) => new WireWriter().u16(c.u16()).bytes(ipv4(c)).done(),
  toText: (r) => `${r.u16()} ${ipv4ToText(r.bytes(4))}`,
};
const nsap: RdataCodec = {
  fromText: (c) => {
    const t = c.word('an NSAP address');
    const m = /^0x([0-9a-fA-F.]*)$/i.exec(t.text);
    const hex = m ? m[1].replace(/\./g, '') : '';
    if (!m || hex.length === 0 || hex.length % 2 !== 0) throw new RdataError(`bad NSAP address '${t.text}'`, t);
    return hexDecode(hex, t);
  },
  toText: (r) => {
    const d = r.rest();
    if (d.length === 0) throw new RdataError('empty NSAP');
    return '0x' + hexEncode(d).toLowerCase();
  },
};
const cert: RdataCodec = {
  fromText: (c) => {
    const tt = c.word('a certificate type');
    let ctype: number;
    if (/^[0-9]+$/.test(tt.text)) ctype = parseUint(tt, 0xffff);
    else {
      const v = CERT_TYPES[tt.text.toUpperCase()];
      if (v === undefined) throw new RdataError(`unknown certificate type '${tt.text}'`, tt);
      ctype = v;
    }
    const tag = c.u16();
    const alg = secalg(c);
    return new WireWriter().u16(ctype).u16(tag).u8(alg).bytes(b64Rest(c)).done();
  },
  toText: (r) => {
    const ctype = r.u16();
    const tag = r.u16();
    const alg = r.u8();
    const d = r.rest();
    if (d.length === 0) throw new RdataError('empty certificate');
    return `${CERT_NAMES.get(ctype) ?? ctype} ${tag} ${SECALG_NAMES.get(alg) ?? alg} ${chunk(base64Encode(d))}`;
  },
};
const ipseckey: RdataCodec = {
  fromText: (c) => {
    const prec = c.u8();
    const gt = c.u8();
    const alg = c.u8();
    const w = new WireWriter().u8(prec).u8(gt).u8(alg);
    const gw = c.word('a gateway');
    if (gt === 0) {
      if (gw.text !== '.') throw new RdataError("gateway must be '.'", gw);
    } else if (gt === 1) {
      const a = ipv4FromText(gw.text);
      if (!a) throw new RdataError(`bad IPv4 address '${gw.text}'`, gw);
      w.bytes(a);
    } else if (gt === 2) {
      const a = ipv6FromText(gw.text);
      if (!a) throw new RdataError(`bad IPv6 address '${gw.text}'`, gw);
      w.bytes(a);
    } else if (gt === 3) {
      c.i--;
      w.bytes(c.name());
    } else {
      throw new RdataError('bad gateway type', gw);
    }
    // BIND requires the public key in text form (RFC 4025 §2.1 allows it empty only on the wire).
    w.bytes(b64Rest(c));
    return w.done();
  },
  toText: (r) => {
    const prec = r.u8();
    const gt = r.u8();
    const alg = r.u8();
    let gw: string;
    if (gt === 0) gw = '.';
    else if (gt === 1) gw = ipv4ToText(r.bytes(4));
    else if (gt === 2) gw = ipv6ToText(r.bytes(16));
    else if (gt === 3) gw = r.nameText();
    else throw new RdataError('bad gateway type');
    const key = r.rest();
    // BIND requires the public key (as its text form does).
    if (key.length === 0) throw new RdataError('no public key');
    return `${prec} ${gt} ${alg} ${gw} ${chunk(base64Encode(key))}`;
  },
};
const amtrelay: RdataCodec = {
  fromText: (c) => {
    const prec = c.u8();
    const d = c.u8();
    if (d > 1) throw new RdataError('discovery bit must be 0 or 1');
    const gt = c.u8();
    if (gt > 0x7f) throw new RdataError('bad relay type');
    const w = new WireWriter().u8(prec).u8((d << 7) | gt);
    if (gt === 0) {
      const t = c.word("'.'");
      if (t.text !== '.') throw new RdataError("relay must be '.'", t);
    } else if (gt === 1) w.bytes(ipv4(c));
    else if (gt === 2) w.bytes(ipv6(c));
    else if (gt === 3) w.bytes(c.name());
    // Relay types above 3 have no text form (RFC 8777 §4.2.3); BIND takes them only as \\#.
    else throw new RdataError('unknown relay type', c.last);
    return w.done();
  },
  toText: (r) => {
    const prec = r.u8();
    const x = r.u8();
    const gt = x & 0x7f;
    let gw: string;
    if (gt === 0) gw = '.';
    else if (gt === 1) gw = ipv4ToText(r.bytes(4));
    else if (gt === 2) gw = ipv6ToText(r.bytes(16));
    else if (gt === 3) gw = r.nameText();
    else {
      r.rest();
      throw new GenericOnly();
    }
    return `${prec} ${x >> 7} ${gt} ${gw}`;
  },
};
const hip: RdataCodec = {
  fromText: (c) => {
    const alg = c.u8();
    const hitTok = c.word('a HIT');
    const hit = hexDecode(hitTok.text, hitTok);
    if (hit.length === 0 || hit.length > 255) throw new RdataError('bad HIT length', hitTok);
    const pkTok = c.word('a public key');
    const pk = base64Decode(pkTok.text, pkTok);
    const w = new WireWriter().u8(hit.length).u8(alg).u16(pk.length).bytes(hit).bytes(pk);
    while (!c.atEnd()) w.bytes(c.name());
    return w.done();
  },
  toText: (r) => {
    const hl = r.u8();
    const alg = r.u8();
    const pl = r.u16();
    const hit = r.bytes(hl);
    const pk = r.bytes(pl);
    const names: string[] = [];
    while (r.left > 0) names.push(r.nameText());
    return [`${alg}`, hexEncode(hit), base64Encode(pk), ...names].join(' ');
  },
};
const svcb: RdataCodec = { fromText: (c) => svcbFromText(c), toText: (r) => svcbToText(r) };
const loc: RdataCodec = { fromText: locFromText, toText: locToText };
const apl: RdataCodec = { fromText: aplFromText, toText: aplToText };
const wks: RdataCodec = { fromText: wksFromText, toText: wksToText };
const nullRdata: RdataCodec = {
  fromText: (c) => {
    throw new RdataError('NULL records need the \\# form', c.peek() ?? c.last);
  },
  toText: (r) => {
    r.rest();
    throw new GenericOnly();
  },
};
const hexOnly: RdataCodec = {
  fromText: (c) => hexRest(c),
  toText: (r) => {
    const d = r.rest();
    if (d.length === 0) throw new RdataError('empty RDATA');
    return hexEncode(d);
  },
};
const a6: RdataCodec = {
  // RFC 2874 §3.1: prefix length, the address bits after the prefix, and the prefix name.
  fromText: (c) => {
    const plen = c.uint('a prefix length', 128);
    const w = new WireWriter().u8(plen);
    // The octets holding the 128 - plen address bits after the prefix.
    const n = 16 - Math.floor(plen / 8);
    if (plen < 128) {
      const a = ipv6(c);
      const keep = a.slice(16 - n);
      if (n > 0 && (plen % 8) !== 0) keep[0] &= 0xff >> (plen % 8);
      w.bytes(keep);
    }
    if (plen > 0) w.bytes(c.name());
    return w.done();
  },
  toText: (r) => {
    const plen = r.u8();
    if (plen > 128) throw new RdataError('bad A6 prefix length');
    const n = 16 - Math.floor(plen / 8);
    const parts = [String(plen)];
    if (plen < 128) {
      const a = new Uint8Array(16);
      const suffix = r.bytes(n);
      // Bits of the prefix must be zero in the first suffix octet.
      if (n > 0 && (suffix[0] & ~(0xff >> (plen % 8)) & 0xff) !== 0) throw new RdataError('A6 prefix bits set in the address');
      a.set(suffix, 16 - n);
      parts.push(ipv6ToText(a));
    }
    if (plen > 0) parts.push(r.nameText());
    return parts.join(' ');
  },
};
const atma: RdataCodec = {
  // ATM Forum af-saa-0069: format 1 is an E.164 number ('+' and digits, dots ignored), format 0 a hex NSAP.
  fromText: (c) => {
    const t = c.word('an ATM address');
    // Dots may separate groups of digits, but not lead, trail or repeat.
    if (/^\.|\.$|\.\./.test(t.text.replace(/^\+/, ''))) throw new RdataError(`bad ATM address '${t.text}'`, t);
    if (t.text.startsWith('+')) {
      const digits = t.text.slice(1).replace(/\./g, '');
      if (!/^[0-9]+$/.test(digits)) throw new RdataError(`bad ATM address '${t.text}'`, t);
      return new WireWriter().u8(1).bytes(Buffer.from(digits, 'latin1')).done();
    }
    const hex = t.text.replace(/\./g, '');
    if (hex === '') throw new RdataError(`bad ATM address '${t.text}'`, t);
    return new WireWriter().u8(0).bytes(hexDecode(hex, t)).done();
  },
  toText: (r) => {
    const f = r.u8();
    const d = r.rest();
    if (d.length === 0) throw new RdataError('empty ATM address');
    if (f === 1) {
      if (!d.every((x) => x >= 0x30 && x <= 0x39)) throw new RdataError('bad E.164 ATM address');
      return '+' + Buffer.from(d).toString('latin1');
    }
    if (f === 0) return hexEncode(d).toLowerCase();
    // Other formats are valid data without a text form.
    throw new GenericOnly();
  },
};
const sink: RdataCodec = {
  fromText: (c) => new WireWriter().u8(c.u8()).u8(c.u8()).u8(c.u8()).bytes(c.atEnd() ? [] : b64Rest(c)).done(),
  toText: (r) => {
    const h = `${r.u8()} ${r.u8()} ${r.u8()}`;
    const d = r.rest();
    return d.length ? `${h} ${chunk(base64Encode(d))}` : h;
  },
};
const doa: RdataCodec = {
  fromText: (c) => {
    const w = new WireWriter().u32(c.u32()).u32(c.u32()).u8(c.u8());
    const m = str(c);
    w.u8(m.length).bytes(m);
    // The data: '-' when empty, else base64 that may be split into several words.
    const first = c.peek();
    if (first && !first.quoted && first.text === '-') {
      c.i++;
      return w.done();
    }
    return w.bytes(b64Rest(c)).done();
  },
  toText: (r) => {
    const h = `${r.u32()} ${r.u32()} ${r.u8()} ${quoteText(r.str())}`;
    const d = r.rest();
    // BIND prints DOA data as one word.
    return `${h} ${d.length ? base64Encode(d) : '-'}`;
  },
};

/** Checks a NAPTR regexp field the way BIND does: empty, or delim-regex-delim-replacement-delim[i]. */
function naptrRegexValid(re: Uint8Array): boolean {
  if (re.length === 0) return true;
  const s = Buffer.from(re).toString('latin1');
  const delim = s[0];
  if (delim === '\\' || /[0-9]/.test(delim) || delim === 'i') return false;
  const parts: string[] = [];
  let cur = '';
  let i = 1;
  for (; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\' && i + 1 < s.length) {
      cur += ch + s[i + 1];
      i++;
      continue;
    }
    if (ch === delim) {
      parts.push(cur);
      cur = '';
      if (parts.length === 2) {
        i++;
        break;
      }
      continue;
    }
    cur += ch;
  }
  if (parts.length !== 2) return false;
  const flags = s.slice(i);
  if (flags !== '' && flags !== 'i') return false;
  // The regex half must be a valid extended regular expression (JS syntax is close enough to reject what BIND's validator rejects).
  try {
    new RegExp(parts[0]);
  } catch {
    return false;
  }
  // Back-references in the replacement must name a group the regex has.
  let groups = 0;
  for (let k = 0; k < parts[0].length; k++) {
    if (parts[0][k] === '\\') {
      k++;
      continue;
    }
    if (parts[0][k] === '(') groups++;
  }
  const rep = parts[1];
  for (let k = 0; k < rep.length; k++) {
    if (rep[k] === '\\' && k + 1 < rep.length) {
      const d = rep[k + 1];
      if (/[0-9]/.test(d) && Number(d) > groups) return false;
      k++;
    }
  }
  return true;
}

/**
 * The codec of every RDATA shape, by the name a row of RR_TYPES (wire/rr-type.ts)
 * gives in its `codec` field. Several types may share one shape.
 */
export const SHAPES = {
  a, aaaa, oneName, twoNames, prefName, strings, soa, srv, px, hinfo, gpos, isdn, x25, naptr, caa, uri, sshfp, tlsa,
  nsec, nsec3, nsec3param, nxt, csync, b64only, dsync, zonemd, nid, l32, nsap, cert, ipseckey, amtrelay, hip, svcb,
  loc, apl, wks, nullRdata, hexOnly, a6, atma, sink, doa, ds,
  key: keyCodec('KEY'),
  rkey: keyCodec('RKEY'),
  dnskey: keyCodec('DNSKEY'),
  rrsig: sigCodec(true),
  sig: sigCodec(false),
  eui48: euiCodec(6),
  eui64: euiCodec(8),
} satisfies Record<string, RdataCodec>;

export type CodecShape = keyof typeof SHAPES;

/** The codec of a type's RDATA (its row in RR_TYPES); undefined: only the RFC 3597 form. */
export function codecFor(type: number): RdataCodec | undefined {
  const shape = rrType(type)?.codec;
  return shape === undefined ? undefined : SHAPES[shape];
}

export { ttlField };
