// The response cache, the last stage of the answer pipeline: encoded responses
// kept per (question bytes exactly as received, the query flags that shape the
// answer, EDNS version/DO/COOKIE/EXPIRE/CLIENT-SUBNET, answer size, client family).
//
// A key (octets and their hash, no strings) is made in two ways: straight from the bytes for the common query shape,
// before any parsing (fastKey), and from the parsed query for everything else
// (parsedKey). Both end in responseKey(), so a response cached by either is found
// by the other. A hit copies the bytes and patches the ID (and, by the caller,
// the cookie and RA); allow-query is still checked per client on every hit.

import type { ParsedQuery } from './message.js';
import { EDNS_OPT_EXPIRE } from './message.js';
import { MAX_UDP_NO_EDNS } from './render.js';

/**
 * Decides whether a client is allowed (built from a BIND address-match list):
 * its address, and the name of the TSIG key that signed its request, if any.
 */
export type AddressMatcher = (address: string, key?: string) => boolean;

export interface CacheEntry {
  bytes: Uint8Array;
  /** allow-query that applied when the entry was made; undefined when the answer needs none. */
  acl?: AddressMatcher;
  /** Offset of the 16-octet server cookie, when the response carries one. */
  cookieAt: number;
  rcode: number;
  /** No reuse from this time on (ms clock): answers from the resolver's cache, when their first record expires (or after a second). */
  expires?: number;
  /** The answer never carries RA (reply-policy.ts raMayBeSet). */
  noRa?: boolean;
  /**
   * Answers from the resolver's cache kept longer than a second: the offset of each
   * record's TTL field and the time (ms clock) that TTL counts down to; every reuse
   * writes the TTLs left then (patchTtls), rounded up as the resolver's cache does.
   */
  ttlAt?: number[];
  ttlUntil?: number[];
  /** Whether the entry may still be used, asked once a second (from `checkAt`, ms clock); false drops it. */
  recheck?: (now: number) => boolean;
  checkAt?: number;
}

/**
 * The offset of the TTL field of each record in an encoded response, OPT left out
 * (its TTL field holds EDNS flags); undefined if the message cannot be walked.
 */
export function ttlOffsets(msg: Uint8Array): number[] | undefined {
  const n = msg.length;
  const skipName = (i: number): number => {
    for (;;) {
      if (i >= n) return -1;
      const l = msg[i];
      if (l === 0) return i + 1;
      if ((l & 0xc0) === 0xc0) return i + 2;
      if (l > 63) return -1;
      i += l + 1;
    }
  };
  let i = 12;
  for (let q = (msg[4] << 8) | msg[5]; q > 0; q--) {
    i = skipName(i);
    if (i < 0) return undefined;
    i += 4;
  }
  const out: number[] = [];
  const rrs = ((msg[6] << 8) | msg[7]) + ((msg[8] << 8) | msg[9]) + ((msg[10] << 8) | msg[11]);
  for (let r = 0; r < rrs; r++) {
    i = skipName(i);
    if (i < 0 || i + 10 > n) return undefined;
    if (((msg[i] << 8) | msg[i + 1]) !== 41) out.push(i + 4);
    i += 10 + ((msg[i + 8] << 8) | msg[i + 9]);
  }
  return i === n ? out : undefined;
}

/** Writes into `out` (a copy of `e.bytes`) the TTLs left at `now` (ms): RFC 1035 §7.2, as cache.ts counts them. */
export function patchTtls(out: Uint8Array, e: CacheEntry, now: number): void {
  const at = e.ttlAt!;
  const until = e.ttlUntil!;
  for (let k = 0; k < at.length; k++) {
    const ttl = Math.ceil((until[k] - now) / 1000);
    const o = at[k];
    out[o] = ttl >>> 24;
    out[o + 1] = (ttl >>> 16) & 0xff;
    out[o + 2] = (ttl >>> 8) & 0xff;
    out[o + 3] = ttl & 0xff;
  }
}

/** The query header bits that shape an answer: opcode, RD, AD, CD. */
const KEY_FLAGS = 0x7f30;

/**
 * A response cache key: octets, and a hash of them (a small integer, so the map
 * hashes nothing itself). The one format, written by fastKey and parsedKey alike:
 *
 *   question as received (case included: the answer's compression depends on it)
 *   flags & KEY_FLAGS (2) | EDNS part | answer size limit (2) | client family (1)
 *
 * The EDNS part is 0xff without EDNS, else version, bits (DO 1, COOKIE 2, EXPIRE 4),
 * the CLIENT-SUBNET option's length (up to 255) and its octets.
 */
export interface CacheKey {
  /** The key is bytes[0, len) (the fast path's scratch is longer: no view is made per query). */
  bytes: Uint8Array;
  len: number;
  hash: number;
}

/** Longest key: a question (≤ 259) + 2 + EDNS part (3 + 255) + 2 + 1. */
const MAX_KEY = 259 + 2 + 3 + 255 + 3;

/** FNV-1a over bytes[0, n), kept a small integer (Map keys that V8 does not box). */
function hashOf(bytes: Uint8Array, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h & 0x3fffffff;
}

/**
 * The fast path's key lives here: a hit allocates nothing. Valid until the next
 * fastKey call; the cache copies a key it keeps (parsedKey's are fresh).
 */
const scratch = new Uint8Array(MAX_KEY);
const scratchKey: CacheKey = { bytes: scratch, len: 0, hash: 0 };

/**
 * The key of the common query shape, computed straight from the bytes: a
 * standard query, one uncompressed question, nothing else or one OPT with no
 * options (version 0). Anything else returns undefined and takes the full path.
 * `tcp` is 65535 for TCP, else 0; `ourSize` is our EDNS UDP size; `fam` the client's IP family.
 * The key returned is shared (see scratch).
 */
export function fastKey(msg: Uint8Array, tcp: number, ourSize: number, fam: number): CacheKey | undefined {
  const n = msg.length;
  if (n < 17 || (msg[2] & 0xf8) !== 0 || msg[4] !== 0 || msg[5] !== 1 || (msg[6] | msg[7] | msg[8] | msg[9] | msg[10]) !== 0) return undefined;
  const ar = msg[11];
  if (ar > 1) return undefined;
  let i = 12;
  for (;;) {
    if (i >= n) return undefined;
    const l = msg[i];
    if (l === 0) break;
    if (l > 63) return undefined;
    i += l + 1;
  }
  if (i - 12 >= 255) return undefined;
  const qend = i + 5;
  if (qend > n) return undefined;
  let size: number;
  let ednsBits = -1;
  if (ar === 0) size = tcp || MAX_UDP_NO_EDNS;
  else {
    // OPT: root owner, type 41, RDLENGTH 0, version 0.
    if (qend + 11 !== n || msg[qend] !== 0 || msg[qend + 1] !== 0 || msg[qend + 2] !== 41 || msg[qend + 6] !== 0 || msg[qend + 9] !== 0 || msg[qend + 10] !== 0) return undefined;
    size = tcp || Math.max(MAX_UDP_NO_EDNS, Math.min((msg[qend + 3] << 8) | msg[qend + 4], ourSize));
    ednsBits = msg[qend + 7] & 0x80 ? 1 : 0;
  }
  const k = scratch;
  let j = 0;
  // The question is copied and hashed in one pass (hashOf's FNV-1a, continued below).
  let h = 0x811c9dc5;
  for (let x = 12; x < qend; x++) {
    const b = msg[x];
    k[j++] = b;
    h = Math.imul(h ^ b, 0x01000193);
  }
  const q = j;
  const f = ((msg[2] << 8) | msg[3]) & KEY_FLAGS;
  k[j++] = f >> 8;
  k[j++] = f & 0xff;
  if (ednsBits < 0) k[j++] = 0xff;
  else {
    k[j++] = 0;
    k[j++] = ednsBits;
    k[j++] = 0;
  }
  k[j++] = size >> 8;
  k[j++] = size & 0xff;
  k[j++] = fam;
  for (let x = q; x < j; x++) h = Math.imul(h ^ k[x], 0x01000193);
  scratchKey.len = j;
  scratchKey.hash = h & 0x3fffffff;
  return scratchKey;
}

/** The key of a parsed query; `size` is the answer's size limit (Renderer.limit). */
export function parsedKey(msg: Uint8Array, q: ParsedQuery, size: number, address: string): CacheKey {
  const e = q.edns;
  const ecs = e && q.ecs ? q.ecs.subarray(0, 255) : undefined;
  const qlen = q.questionEnd - 12;
  const k = new Uint8Array(qlen + 2 + (e ? 3 + (ecs?.length ?? 0) : 1) + 3);
  k.set(msg.subarray(12, q.questionEnd), 0);
  let j = qlen;
  const f = q.flags & KEY_FLAGS;
  k[j++] = f >> 8;
  k[j++] = f & 0xff;
  if (!e) k[j++] = 0xff;
  else {
    k[j++] = e.version;
    k[j++] = (e.do ? 1 : 0) | (q.cookie !== undefined ? 2 : 0) | (e.options.some((o) => o.code === EDNS_OPT_EXPIRE) ? 4 : 0);
    k[j++] = ecs?.length ?? 0;
    if (ecs) {
      k.set(ecs, j);
      j += ecs.length;
    }
  }
  k[j++] = size >> 8;
  k[j++] = size & 0xff;
  k[j++] = address.includes(':') ? 6 : 4;
  return { bytes: k, len: j, hash: hashOf(k, j) };
}

function sameBytes(a: Uint8Array, b: Uint8Array, n: number): boolean {
  if (n !== a.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface Slot {
  key: Uint8Array;
  entry: CacheEntry;
}

/**
 * Encoded responses, oldest dropped first when full. Keyed by the key's hash; the
 * slot keeps the key's octets, compared on every hit, so two keys with one hash
 * never share an answer (the later simply replaces the earlier).
 */
export class AnswerCache {
  private readonly map = new Map<number, Slot>();
  /** The clock reading of the last get() of an entry with an expiry (for patchTtls). */
  now = 0;

  constructor(private readonly size: number, private readonly clock: () => number = Date.now) {}

  /**
   * The entry for `key` if it is fresh and `address` may see it. An entry with a
   * recheck is asked again once a second (after the ACL, since the check counts).
   */
  get(key: CacheKey, address: string): CacheEntry | undefined {
    const slot = this.map.get(key.hash);
    if (slot === undefined || !sameBytes(slot.key, key.bytes, key.len)) return undefined;
    const hit = slot.entry;
    if (hit.expires !== undefined) return this.timed(hit, address);
    if (!hit.acl || hit.acl(address)) return hit;
    return undefined;
  }

  /** get() for an entry with an expiry (kept apart so that get stays small for the authoritative hit). */
  private timed(hit: CacheEntry, address: string): CacheEntry | undefined {
    const now = (this.now = this.clock());
    if (hit.expires! <= now) return undefined;
    if (hit.acl && !hit.acl(address)) return undefined;
    if (hit.recheck !== undefined && now >= hit.checkAt!) {
      if (!hit.recheck(now)) return undefined;
      hit.checkAt = now + 1000;
    }
    return hit;
  }

  set(key: CacheKey, entry: CacheEntry): void {
    if (!this.map.has(key.hash) && this.map.size >= this.size) this.map.delete(this.map.keys().next().value as number);
    this.map.set(key.hash, { key: key.bytes !== scratch && key.len === key.bytes.length ? key.bytes : key.bytes.slice(0, key.len), entry });
  }
}
