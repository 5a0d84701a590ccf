// TSIG (RFC 8945): signing and verifying DNS messages with a shared secret.
// Pure functions over message bytes; node:crypto computes the HMACs. Used by the
// server (dns/tsig-stage.ts: verify a query, sign its answer, sign every message of a
// zone transfer) and by clients of other servers (sign a query, verify the
// answer or the stream of answers of a transfer).
//
// The digest (RFC 8945 §4.3):
//   request:           message (TSIG removed, ARCOUNT less one, original ID)
//                      + TSIG variables (key name, class ANY, TTL 0, algorithm,
//                        time signed, fudge, error, other length, other data)
//   response:          request MAC (length + octets) + the same as a request
//   later messages of
//   a TCP stream:      prior MAC (length + octets) + every message since it
//                      + timers only (time signed, fudge) (§5.3.1)
// Names in the variables are in canonical (lower-case, uncompressed) form.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { nameToText, parseName } from './dns-name.js';
import { T } from './rr-type.js';

export type TsigAlgorithm = 'hmac-md5' | 'hmac-sha1' | 'hmac-sha224' | 'hmac-sha256' | 'hmac-sha384' | 'hmac-sha512';

/** A shared key: the name both sides use, its algorithm and secret. */
export interface TsigKey {
  /** Key name as configured (a DNS name; compared case-insensitively). */
  name: string;
  algorithm: TsigAlgorithm;
  secret: Uint8Array;
  /** A truncated MAC length in bits (`hmac-sha256-128`); undefined means the full digest. */
  digestBits?: number;
}

/** TSIG error codes (RFC 8945 §3, RFC 2845 for BADTRUNC's predecessor list). */
export const TSIG_ERROR = { NOERROR: 0, BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;
export const TSIG_ERROR_NAMES: Record<number, string> = { 0: 'NOERROR', 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' };

/** Fudge we sign with and the one BIND uses (seconds of clock difference allowed). */
export const DEFAULT_FUDGE = 300;

const CLASS_ANY = 255;

/** node:crypto's digest name and the full MAC length in octets. */
const DIGEST: Record<TsigAlgorithm, { hash: string; size: number; wire: string }> = {
  // RFC 8945 §6: HMAC-MD5's name keeps the old registry suffix.
  'hmac-md5': { hash: 'md5', size: 16, wire: 'hmac-md5.sig-alg.reg.int.' },
  'hmac-sha1': { hash: 'sha1', size: 20, wire: 'hmac-sha1.' },
  'hmac-sha224': { hash: 'sha224', size: 28, wire: 'hmac-sha224.' },
  'hmac-sha256': { hash: 'sha256', size: 32, wire: 'hmac-sha256.' },
  'hmac-sha384': { hash: 'sha384', size: 48, wire: 'hmac-sha384.' },
  'hmac-sha512': { hash: 'sha512', size: 64, wire: 'hmac-sha512.' },
};

export const TSIG_ALGORITHMS = Object.keys(DIGEST) as TsigAlgorithm[];

/** Full MAC length of an algorithm, in octets. */
export function macSize(alg: TsigAlgorithm): number {
  return DIGEST[alg].size;
}

/** The algorithm's name in wire form (lower case). */
export function algorithmName(alg: TsigAlgorithm): Uint8Array {
  return parseName(DIGEST[alg].wire);
}

/** The algorithm a wire name stands for, if we know it. */
export function algorithmFromName(wire: Uint8Array): TsigAlgorithm | undefined {
  const t = nameToText(wire).toLowerCase();
  for (const a of TSIG_ALGORITHMS) if (DIGEST[a].wire === t) return a;
  return undefined;
}

/** A DNS name in canonical wire form: lower case (RFC 4034 §6.2). */
export function canonicalName(text: string): Uint8Array {
  return lowerWire(parseName(text.endsWith('.') ? text : `${text}.`));
}

function lowerWire(w: Uint8Array): Uint8Array {
  const out = Uint8Array.from(w);
  for (let i = 0; i < out.length; ) {
    const len = out[i];
    if (len === 0) break;
    for (let j = i + 1; j <= i + len; j++) if (out[j] >= 0x41 && out[j] <= 0x5a) out[j] |= 0x20;
    i += len + 1;
  }
  return out;
}

/** The MAC length a key signs with: its truncation, or the full digest. */
export function signedMacLength(key: TsigKey): number {
  const full = DIGEST[key.algorithm].size;
  return key.digestBits ? Math.min(full, Math.ceil(key.digestBits / 8)) : full;
}

/** One TSIG record as found in a message. */
export interface TsigRecord {
  /** Key name, wire form, as received. */
  keyName: Uint8Array;
  /** Algorithm name, wire form, as received. */
  algorithm: Uint8Array;
  /** Seconds since the epoch (48 bits). */
  timeSigned: number;
  fudge: number;
  mac: Uint8Array;
  originalId: number;
  error: number;
  other: Uint8Array;
  /** The record's TTL as received (0 when well formed; the MAC covers it, as BIND digests it). */
  ttl: number;
  /** Offset of the TSIG record in the message: the signed part ends here. */
  start: number;
}

/** Where a message's TSIG is: none, one (the last additional record, RFC 8945 §5.1), or a malformed one. */
export type TsigFind = { kind: 'none' } | { kind: 'found'; tsig: TsigRecord } | { kind: 'formerr'; reason: string };

/** A copy of part of a message (a Buffer's slice() would share the memory). */
function copy(b: Uint8Array, start: number, end: number): Uint8Array {
  return Uint8Array.prototype.slice.call(b, start, end);
}

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

/** Skips a (possibly compressed) name; returns the offset after it, or -1. */
function skipName(b: Uint8Array, o: number): number {
  for (let guard = 0; guard < 256; guard++) {
    if (o >= b.length) return -1;
    const l = b[o];
    if (l === 0) return o + 1;
    if ((l & 0xc0) === 0xc0) return o + 2 <= b.length ? o + 2 : -1;
    if ((l & 0xc0) !== 0) return -1;
    o += l + 1;
  }
  return -1;
}

/** Reads an uncompressed name (TSIG names must not be compressed, RFC 8945 §4.2). */
function readPlainName(b: Uint8Array, o: number, end: number): [Uint8Array, number] | undefined {
  const start = o;
  for (let n = 0; n < 128; n++) {
    if (o >= end) return undefined;
    const l = b[o];
    if (l === 0) return o - start + 1 > 255 ? undefined : [copy(b, start, o + 1), o + 1];
    if (l > 63) return undefined;
    o += l + 1;
  }
  return undefined;
}

/** Finds the TSIG record. Never throws. */
export function findTsig(msg: Uint8Array): TsigFind {
  if (msg.length < 12) return { kind: 'formerr', reason: 'shorter than a header' };
  const counts = [u16(msg, 4), u16(msg, 6), u16(msg, 8), u16(msg, 10)];
  let p = 12;
  for (let i = 0; i < counts[0]; i++) {
    p = skipName(msg, p);
    if (p < 0 || p + 4 > msg.length) return { kind: 'formerr', reason: 'question runs past the end' };
    p += 4;
  }
  const total = counts[1] + counts[2] + counts[3];
  for (let i = 0; i < total; i++) {
    const start = p;
    p = skipName(msg, p);
    if (p < 0 || p + 10 > msg.length) return { kind: 'formerr', reason: 'record runs past the end' };
    const type = u16(msg, p);
    const cls = u16(msg, p + 2);
    const ttl = u16(msg, p + 4) * 65536 + u16(msg, p + 6);
    const rdLen = u16(msg, p + 8);
    const rd = p + 10;
    if (rd + rdLen > msg.length) return { kind: 'formerr', reason: 'RDATA runs past the end' };
    p = rd + rdLen;
    if (type !== T.TSIG) continue;
    // RFC 8945 §5.1: the TSIG must be the last record of the additional section, class ANY.
    if (i !== total - 1 || i < counts[1] + counts[2]) return { kind: 'formerr', reason: 'TSIG is not the last record' };
    if (cls !== CLASS_ANY) return { kind: 'formerr', reason: 'TSIG class is not ANY' };
    const owner = readPlainName(msg, start, rd);
    if (!owner) return { kind: 'formerr', reason: 'bad TSIG owner name' };
    const alg = readPlainName(msg, rd, rd + rdLen);
    if (!alg) return { kind: 'formerr', reason: 'bad TSIG algorithm name' };
    let q = alg[1];
    if (q + 10 > rd + rdLen) return { kind: 'formerr', reason: 'TSIG RDATA too short' };
    const timeSigned = u16(msg, q) * 2 ** 32 + ((msg[q + 2] << 24) >>> 0) + ((msg[q + 3] << 16) | (msg[q + 4] << 8) | msg[q + 5]);
    const fudge = u16(msg, q + 6);
    const macLen = u16(msg, q + 8);
    q += 10;
    if (q + macLen + 6 > rd + rdLen) return { kind: 'formerr', reason: 'TSIG RDATA too short' };
    const mac = copy(msg, q, q + macLen);
    q += macLen;
    const originalId = u16(msg, q);
    const error = u16(msg, q + 2);
    const otherLen = u16(msg, q + 4);
    q += 6;
    if (q + otherLen !== rd + rdLen) return { kind: 'formerr', reason: 'TSIG RDATA length disagrees with its content' };
    return { kind: 'found', tsig: { keyName: owner[0], algorithm: alg[0], timeSigned, fudge, mac, originalId, error, other: copy(msg, q, q + otherLen), ttl, start } };
  }
  return { kind: 'none' };
}

/** The message as it was before signing: TSIG cut off, ARCOUNT one less, the original ID. */
export function unsignedPart(msg: Uint8Array, tsig: TsigRecord, keepId = false): Uint8Array {
  const out = copy(msg, 0, tsig.start);
  const ar = u16(out, 10) - 1;
  out[10] = ar >> 8;
  out[11] = ar & 0xff;
  if (!keepId) {
    out[0] = tsig.originalId >> 8;
    out[1] = tsig.originalId & 0xff;
  }
  return out;
}

function u48(n: number): Uint8Array {
  const b = new Uint8Array(6);
  const hi = Math.floor(n / 2 ** 32);
  const lo = n >>> 0;
  b[0] = hi >> 8;
  b[1] = hi & 0xff;
  b[2] = lo >>> 24;
  b[3] = (lo >>> 16) & 0xff;
  b[4] = (lo >>> 8) & 0xff;
  b[5] = lo & 0xff;
  return b;
}

function be16(n: number): Uint8Array {
  return Uint8Array.of(n >> 8, n & 0xff);
}

interface Variables {
  /** TTL of the TSIG record: 0 when we sign; as received when we check. */
  ttl?: number;
  keyName: Uint8Array;
  algorithm: Uint8Array;
  timeSigned: number;
  fudge: number;
  error: number;
  other: Uint8Array;
}

/** The HMAC over the parts of RFC 8945 §4.3; `timersOnly` for later messages of a stream. */
function computeMac(key: TsigKey, prior: Uint8Array | undefined, messages: Uint8Array[], v: Variables, timersOnly: boolean): Uint8Array {
  const h = createHmac(DIGEST[key.algorithm].hash, key.secret);
  if (prior) {
    h.update(be16(prior.length));
    h.update(prior);
  }
  for (const m of messages) h.update(m);
  if (timersOnly) {
    h.update(u48(v.timeSigned));
    h.update(be16(v.fudge));
  } else {
    h.update(lowerWire(v.keyName));
    const ttl = v.ttl ?? 0;
    h.update(Uint8Array.of(0, CLASS_ANY, ttl >>> 24, (ttl >>> 16) & 0xff, (ttl >>> 8) & 0xff, ttl & 0xff));
    h.update(lowerWire(v.algorithm));
    h.update(u48(v.timeSigned));
    h.update(be16(v.fudge));
    h.update(be16(v.error));
    h.update(be16(v.other.length));
    h.update(v.other);
  }
  return new Uint8Array(h.digest());
}

/** Appends a TSIG record to `msg` (whose ARCOUNT does not count it yet) and raises ARCOUNT. */
function appendTsig(msg: Uint8Array, keyName: Uint8Array, algorithm: Uint8Array, timeSigned: number, fudge: number, mac: Uint8Array,
  originalId: number, error: number, other: Uint8Array): Uint8Array {
  const rdLen = algorithm.length + 6 + 2 + 2 + mac.length + 2 + 2 + 2 + other.length;
  const out = new Uint8Array(msg.length + keyName.length + 10 + rdLen);
  out.set(msg, 0);
  let p = msg.length;
  out.set(keyName, p);
  p += keyName.length;
  out.set([T.TSIG >> 8, T.TSIG & 0xff, 0, CLASS_ANY, 0, 0, 0, 0, rdLen >> 8, rdLen & 0xff], p);
  p += 10;
  out.set(algorithm, p);
  p += algorithm.length;
  out.set(u48(timeSigned), p);
  p += 6;
  out.set(be16(fudge), p);
  p += 2;
  out.set(be16(mac.length), p);
  p += 2;
  out.set(mac, p);
  p += mac.length;
  out.set(be16(originalId), p);
  out.set(be16(error), p + 2);
  out.set(be16(other.length), p + 4);
  out.set(other, p + 6);
  const ar = u16(out, 10) + 1;
  out[10] = ar >> 8;
  out[11] = ar & 0xff;
  return out;
}

/** Octets a TSIG record signed with `key` adds to a message (for size limits). */
export function tsigSize(key: TsigKey, otherLength = 0): number {
  return canonicalName(key.name).length + 10 + algorithmName(key.algorithm).length + 16 + signedMacLength(key) + otherLength;
}

export interface SignOptions {
  /** Seconds since the epoch. */
  now: number;
  fudge?: number;
  /** A response: the MAC of the request it answers (RFC 8945 §4.3.1). */
  requestMac?: Uint8Array;
  /** A TSIG error to report (BADTIME signs; BADKEY/BADSIG go unsigned: see unsignedError). */
  error?: number;
  other?: Uint8Array;
  /** Time signed to write instead of `now` (BADTIME answers repeat the request's, as BIND does). */
  timeSigned?: number;
  /** MAC length to send (a truncated key answering a longer request MAC uses the request's length, as BIND does). */
  macLength?: number;
}

export interface Signed {
  message: Uint8Array;
  mac: Uint8Array;
}

/** Signs one message (a query, or a single response). `msg` carries no TSIG yet. */
export function signMessage(msg: Uint8Array, key: TsigKey, opts: SignOptions): Signed {
  const keyName = canonicalName(key.name);
  const algorithm = algorithmName(key.algorithm);
  const v: Variables = {
    keyName, algorithm, timeSigned: opts.timeSigned ?? opts.now, fudge: opts.fudge ?? DEFAULT_FUDGE,
    error: opts.error ?? 0, other: opts.other ?? new Uint8Array(0),
  };
  const full = computeMac(key, opts.requestMac, [msg], v, false);
  const mac = full.slice(0, Math.min(full.length, opts.macLength ?? signedMacLength(key)));
  const id = u16(msg, 0);
  return { message: appendTsig(msg, keyName, algorithm, v.timeSigned, v.fudge, mac, id, v.error, v.other), mac };
}

/**
 * An error answer's TSIG without a MAC (BADKEY, BADSIG: the server cannot or
 * must not sign, RFC 8945 §5.3.2): the request's key and algorithm names, our time.
 */
export function appendUnsignedTsig(msg: Uint8Array, req: TsigRecord, error: number, now: number): Uint8Array {
  return appendTsig(msg, req.keyName, req.algorithm, now, DEFAULT_FUDGE, new Uint8Array(0), u16(msg, 0), error, new Uint8Array(0));
}

/** 48-bit time as Other Data of a BADTIME answer (RFC 8945 §5.2.3). */
export function badTimeOther(now: number): Uint8Array {
  return u48(now);
}

/** What verifying a request found. */
export type RequestCheck =
  | { kind: 'unsigned' }
  /**
   * FORMERR, as BIND answers: a TSIG that is not the last record or does not
   * parse (no `tsig`), or a MAC of impossible length for the key (`tsig` set:
   * BIND's answer then carries an unsigned TSIG with BADSIG).
   */
  | { kind: 'formerr'; reason: string; tsig?: TsigRecord }
  | { kind: 'ok'; key: TsigKey; tsig: TsigRecord }
  /** BADKEY, BADSIG, BADTIME, BADTRUNC; `key` is set when the key is known and the MAC checked (BADTIME/BADTRUNC: the answer is signed). */
  | { kind: 'error'; error: number; tsig: TsigRecord; key?: TsigKey };

/**
 * Verifies a request's TSIG in BIND's order: the key (name and algorithm,
 * BADKEY), MAC length bounds (FORMERR), the MAC (BADSIG), the time (BADTIME),
 * then a MAC shorter than the key allows (BADTRUNC). RFC 8945 §5.2.
 */
export function verifyRequest(msg: Uint8Array, findKey: (name: Uint8Array) => TsigKey | undefined, now: number): RequestCheck {
  const f = findTsig(msg);
  if (f.kind === 'none') return { kind: 'unsigned' };
  if (f.kind === 'formerr') return f;
  const tsig = f.tsig;
  const key = findKey(tsig.keyName);
  const alg = algorithmFromName(tsig.algorithm);
  if (!key || alg !== key.algorithm) return { kind: 'error', error: TSIG_ERROR.BADKEY, tsig };
  const r = checkMac(msg, tsig, key, undefined, now);
  return r === TSIG_ERROR.NOERROR ? { kind: 'ok', key, tsig } : r === 'formerr' ? { kind: 'formerr', reason: 'bad MAC length', tsig } :
    { kind: 'error', error: r, tsig, key: r === TSIG_ERROR.BADSIG ? undefined : key };
}

/** MAC length bounds, MAC, time, truncation (RFC 8945 §5.2.2 and §5.2.3). */
function checkMac(msg: Uint8Array, tsig: TsigRecord, key: TsigKey, requestMac: Uint8Array | undefined, now: number): number | 'formerr' {
  const full = DIGEST[key.algorithm].size;
  const len = tsig.mac.length;
  // §5.2.2.1: longer than the digest, or shorter than 10 octets or half the digest, is FORMERR.
  if (len > full || (len > 0 && (len < 10 || len < Math.floor((full + 1) / 2)))) return 'formerr';
  if (len === 0) return TSIG_ERROR.BADSIG;
  const expected = computeMac(key, requestMac, [unsignedPart(msg, tsig)], {
    keyName: tsig.keyName, algorithm: tsig.algorithm, timeSigned: tsig.timeSigned, fudge: tsig.fudge, error: tsig.error, other: tsig.other, ttl: tsig.ttl,
  }, false);
  if (!timingSafeEqual(expected.subarray(0, len), tsig.mac)) return TSIG_ERROR.BADSIG;
  if (Math.abs(now - tsig.timeSigned) > tsig.fudge) return TSIG_ERROR.BADTIME;
  // A MAC shorter than the key's configured length (or than the full digest, for an untruncated key).
  const min = key.digestBits ? Math.ceil(key.digestBits / 8) : full;
  if (len < min) return TSIG_ERROR.BADTRUNC;
  return TSIG_ERROR.NOERROR;
}

/**
 * Signs the messages of one answer stream (a zone transfer over TCP, RFC 8945
 * §5.3.1): the first message carries the full variables and the request MAC;
 * each later one chains the prior MAC and carries the timers only. We sign
 * every message (BIND does too); `every` > 1 leaves messages in between unsigned
 * and lets the next signed one cover them (the RFC allows up to 99).
 */
export class TsigStreamSigner {
  private prior: Uint8Array;
  private first = true;
  private pending: Uint8Array[] = [];
  private sinceSigned = 0;

  private readonly every: number;

  constructor(private readonly key: TsigKey, requestMac: Uint8Array, private readonly now: () => number, every = 1) {
    this.prior = requestMac;
    // RFC 8945 §5.3.1: at most 99 unsigned messages in a row.
    this.every = Math.min(100, Math.max(1, Math.floor(every)));
  }

  /** Signs (or passes, when `every` allows) one message; `last` forces a signature on the final message. */
  sign(msg: Uint8Array, last = false): Uint8Array {
    if (!this.first && !last && ++this.sinceSigned < this.every) {
      this.pending.push(msg);
      return msg;
    }
    const keyName = canonicalName(this.key.name);
    const algorithm = algorithmName(this.key.algorithm);
    const v: Variables = { keyName, algorithm, timeSigned: this.now(), fudge: DEFAULT_FUDGE, error: 0, other: new Uint8Array(0) };
    const full = computeMac(this.key, this.prior, [...this.pending, msg], v, !this.first);
    const mac = full.slice(0, signedMacLength(this.key));
    this.first = false;
    this.pending = [];
    this.sinceSigned = 0;
    this.prior = mac;
    return appendTsig(msg, keyName, algorithm, v.timeSigned, v.fudge, mac, u16(msg, 0), 0, v.other);
  }
}

/** Signs an outgoing query (a client: transfers, NOTIFY, SOA checks). Keep `mac` to verify the answer. */
export function signQuery(msg: Uint8Array, key: TsigKey, now = Math.floor(Date.now() / 1000)): Signed {
  return signMessage(msg, key, { now });
}

/** What checking one message of an answer found. */
export type ResponseCheck =
  | { ok: true; signed: boolean; error: number }
  | { ok: false; reason: string; error?: number };

/**
 * Verifies the answers to a query we signed: one response, or each message of
 * a zone transfer in order (RFC 8945 §5.3.1: the first must be signed, at most
 * 99 unsigned in a row, the last must be signed — call finish()).
 */
export class TsigResponseVerifier {
  private prior: Uint8Array;
  private first = true;
  private pending: Uint8Array[] = [];

  constructor(private readonly key: TsigKey, requestMac: Uint8Array, private readonly now: () => number = () => Math.floor(Date.now() / 1000)) {
    this.prior = requestMac;
  }

  /** Checks one message. An answer whose TSIG reports an error (BADKEY…) is ok: false with that error. */
  verify(msg: Uint8Array): ResponseCheck {
    const f = findTsig(msg);
    if (f.kind === 'formerr') return { ok: false, reason: f.reason };
    if (f.kind === 'none') {
      if (this.first) return { ok: false, reason: 'the answer is not signed' };
      if (this.pending.length >= 99) return { ok: false, reason: 'more than 99 unsigned messages in a row' };
      this.pending.push(msg);
      return { ok: true, signed: false, error: 0 };
    }
    const t = f.tsig;
    if (algorithmFromName(t.algorithm) !== this.key.algorithm || !namesEqual(t.keyName, canonicalName(this.key.name))) {
      return { ok: false, reason: 'the answer is signed with another key', error: TSIG_ERROR.BADKEY };
    }
    if (t.error !== 0 && t.mac.length === 0) return { ok: false, reason: `the server answered ${TSIG_ERROR_NAMES[t.error] ?? t.error}`, error: t.error };
    const full = DIGEST[this.key.algorithm].size;
    const len = t.mac.length;
    if (len > full || len < 10 || len < Math.floor((full + 1) / 2)) return { ok: false, reason: 'bad MAC length' };
    const v: Variables = { keyName: t.keyName, algorithm: t.algorithm, timeSigned: t.timeSigned, fudge: t.fudge, error: t.error, other: t.other, ttl: t.ttl };
    const expected = computeMac(this.key, this.prior, [...this.pending, unsignedPart(msg, t)], v, !this.first);
    if (!timingSafeEqual(expected.subarray(0, len), t.mac)) return { ok: false, reason: 'the answer\'s MAC does not verify', error: TSIG_ERROR.BADSIG };
    if (t.error !== 0) return { ok: false, reason: `the server answered ${TSIG_ERROR_NAMES[t.error] ?? t.error}`, error: t.error };
    if (Math.abs(this.now() - t.timeSigned) > t.fudge) return { ok: false, reason: 'the answer\'s time is outside the fudge', error: TSIG_ERROR.BADTIME };
    this.first = false;
    this.pending = [];
    this.prior = t.mac;
    return { ok: true, signed: true, error: 0 };
  }

  /** After the last message: a stream must end with a signed message. */
  finish(): ResponseCheck {
    if (this.first) return { ok: false, reason: 'no signed answer' };
    if (this.pending.length > 0) return { ok: false, reason: 'the last message is not signed' };
    return { ok: true, signed: true, error: 0 };
  }
}

/**
 * One signed exchange with another server (a zone transfer in, a NOTIFY, an SOA
 * check): the request to send, and the check of each reply in order (a transfer's
 * messages one by one, then finish()).
 */
export interface TsigExchange {
  message: Uint8Array;
  check(reply: Uint8Array): ResponseCheck;
  finish(): ResponseCheck;
}

/** Signs an outgoing request with `key` and returns the checker of its replies. */
export function signRequest(msg: Uint8Array, key: TsigKey, now: () => number = () => Math.floor(Date.now() / 1000)): TsigExchange {
  const { message, mac } = signMessage(msg, key, { now: now() });
  const v = new TsigResponseVerifier(key, mac, now);
  return { message, check: (reply) => v.verify(reply), finish: () => v.finish() };
}

function namesEqual(a: Uint8Array, b: Uint8Array): boolean {
  const x = lowerWire(a);
  const y = lowerWire(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Looks keys up by wire name, case-insensitively. */
export function keyFinder(keys: Iterable<TsigKey>): (name: Uint8Array) => TsigKey | undefined {
  const map = new Map<string, TsigKey>();
  for (const k of keys) map.set(nameToText(canonicalName(k.name)), k);
  return (name) => map.get(nameToText(lowerWire(name)));
}

/** The key name of a wire name as text without the trailing dot (how ACLs and views name keys). */
export function keyNameText(wire: Uint8Array): string {
  const t = nameToText(lowerWire(wire));
  return t.length > 1 ? t.replace(/\.$/, '') : t;
}
