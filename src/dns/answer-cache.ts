// The response cache, the last stage of the answer pipeline: encoded responses
// kept per (question bytes exactly as received, the query flags that shape the
// answer, EDNS version/DO/COOKIE/EXPIRE/CLIENT-SUBNET, answer size, client family).
//
// A key is made in two ways: straight from the bytes for the common query shape,
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
  /** Answers from the resolver's cache are reused for at most a second (ms clock), so TTLs keep counting down. */
  expires?: number;
  /** The answer never carries RA (reply-policy.ts raMayBeSet). */
  noRa?: boolean;
}

/** The query header bits that shape an answer: opcode, RD, AD, CD. */
const KEY_FLAGS = 0x7f30;

/** The EDNS part of a key; `-` without EDNS. */
function ednsTag(version: number, dnssecOk: boolean, cookie: boolean, expire: boolean, ecsHex: string): string {
  return `${version}.${dnssecOk ? 1 : 0}.${cookie ? 1 : 0}${expire ? 'x' : ''}${ecsHex}`;
}
/** The tags of the fast shape (version 0, no options), made once by the same function. */
const PLAIN_EDNS = [ednsTag(0, false, false, false, ''), ednsTag(0, true, false, false, '')];

/**
 * The one key format. `question` is the question's octets as received (case
 * included: the answer's compression depends on it); `fam` the client's IP family
 * (additional-section order depends on it).
 */
function responseKey(question: string, flags: number, edns: string, size: number, fam: number): string {
  return `${question}|${flags & KEY_FLAGS}|${edns}|${size}|${fam}`;
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * The key of the common query shape, computed straight from the bytes: a
 * standard query, one uncompressed question, nothing else or one OPT with no
 * options (version 0). Anything else returns undefined and takes the full path.
 * `tcp` is 65535 for TCP, else 0; `ourSize` is our EDNS UDP size; `fam` the client's IP family.
 */
export function fastKey(msg: Uint8Array, tcp: number, ourSize: number, fam: number): string | undefined {
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
  const flags = (msg[2] << 8) | msg[3];
  const q = asBuffer(msg).toString('latin1', 12, qend);
  if (ar === 0) return responseKey(q, flags, '-', tcp || MAX_UDP_NO_EDNS, fam);
  // OPT: root owner, type 41, RDLENGTH 0, version 0.
  if (qend + 11 !== n || msg[qend] !== 0 || msg[qend + 1] !== 0 || msg[qend + 2] !== 41 || msg[qend + 6] !== 0 || msg[qend + 9] !== 0 || msg[qend + 10] !== 0) return undefined;
  const size = tcp || Math.max(MAX_UDP_NO_EDNS, Math.min((msg[qend + 3] << 8) | msg[qend + 4], ourSize));
  return responseKey(q, flags, PLAIN_EDNS[msg[qend + 7] & 0x80 ? 1 : 0], size, fam);
}

/** The key of a parsed query; `size` is the answer's size limit (Renderer.limit). */
export function parsedKey(msg: Uint8Array, q: ParsedQuery, size: number, address: string): string {
  const e = q.edns;
  const edns = e ? ednsTag(e.version, e.do, q.cookie !== undefined, e.options.some((o) => o.code === EDNS_OPT_EXPIRE),
    q.ecs ? Buffer.from(q.ecs).toString('hex') : '') : '-';
  return responseKey(asBuffer(msg).toString('latin1', 12, q.questionEnd), q.flags, edns, size, address.includes(':') ? 6 : 4);
}

/** Encoded responses, oldest dropped first when full. */
export class AnswerCache {
  private readonly map = new Map<string, CacheEntry>();

  constructor(private readonly size: number) {}

  /** The entry for `key` if it is fresh and `address` may see it. */
  get(key: string, address: string): CacheEntry | undefined {
    const hit = this.map.get(key);
    if (hit && (hit.expires === undefined || hit.expires > Date.now()) && (!hit.acl || hit.acl(address))) return hit;
    return undefined;
  }

  set(key: string, entry: CacheEntry): void {
    if (this.map.size >= this.size) this.map.delete(this.map.keys().next().value as string);
    this.map.set(key, entry);
  }
}
