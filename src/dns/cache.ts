// The resolver's cache: RRsets keyed by (name, type, class), and negative
// answers (RFC 2308), held in lru-cache with a memory bound. Pure: no sockets;
// the clock is injected so tests can move time.
//
// API:
//   const c = new RRCache({ maxSize: 32 << 20, maxCacheTtl: 604800, maxNcacheTtl: 10800 });
//   c.put(rrset, RANK.ANSWER)                            // TTLs clamped, RFC 2181 §5.4.1 ranking
//   c.putNegative(name, type, cls, 'nxdomain'|'nodata', soa)  // RFC 2308 §5
//   c.get(name, type, cls, { stale })                    // TTLs counting down; stale entries only when asked
//   c.flush(name?) · c.dump() · c.stats
//
// Expired entries are kept for `maxStaleTtl` seconds after expiry so that
// serve-stale (RFC 8767) can answer from them when every upstream fails; they
// are then answered with `staleAnswerTtl` (RFC 8767 §4: 30 s recommended).

import { LRUCache } from 'lru-cache';
import { nameKey, nameToText } from '../wire/dns-name.js';
import { rdataToText } from '../wire/rdata.js';
import { classToText, typeToText, T } from '../wire/rr-type.js';
import type { SectionRRset } from './authority.js';

/** RFC 2181 §5.4.1 trustworthiness, lowest first: data is replaced only by data at least as trusted. */
export const RANK = { GLUE: 1, AUTHORITY: 2, ANSWER: 3, AUTH_ANSWER: 4 } as const;

export interface CacheOptions {
  /** max-cache-size in octets (approximate: sizes are estimated per entry). */
  maxSize?: number;
  /** BIND defaults: max-cache-ttl 1 week, max-ncache-ttl 3 hours, min-* 0. */
  maxCacheTtl?: number;
  maxNcacheTtl?: number;
  minCacheTtl?: number;
  minNcacheTtl?: number;
  /** Seconds an expired entry is kept for serve-stale (BIND max-stale-ttl, 12 h); 0 keeps none. */
  maxStaleTtl?: number;
  /** TTL of a stale answer (BIND stale-answer-ttl, 30 s). */
  staleAnswerTtl?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

export type NegativeKind = 'nxdomain' | 'nodata';

interface PositiveEntry {
  kind: 'rrset';
  set: SectionRRset;
  rank: number;
  /** Absolute expiry in ms. */
  expires: number;
}

interface NegativeEntry {
  kind: NegativeKind;
  name: Uint8Array;
  type: number;
  class: number;
  /** The SOA that proves it (authority section), TTL = the negative TTL. */
  soa?: SectionRRset;
  expires: number;
}

type Entry = PositiveEntry | NegativeEntry;

/** `expires`: when the entry found stops being fresh (ms clock); the TTLs given count down to it. */
export type CacheHit =
  | { kind: 'rrset'; set: SectionRRset; stale: boolean; expires: number }
  | { kind: NegativeKind; soa?: SectionRRset; stale: boolean; expires: number };

/**
 * One lookup as get() made it (opts.trace): the key asked, the least trust accepted,
 * and the entry it found fresh (undefined: none). `same` replays a list of them.
 */
export interface Lookup {
  readonly key: string;
  readonly minRank: number;
  readonly entry: object | undefined;
}

/** BIND's default max-cache-size is 90% of memory; a lab default of 32 MiB is ample and bounded. */
export const DEFAULT_MAX_CACHE_SIZE = 32 * 1024 * 1024;
/** Type code used for the NXDOMAIN entry of a name (it covers every type, RFC 2308 §5). */
const NX = 0;

function keyOf(name: Uint8Array, type: number, cls: number): string {
  return `${nameKey(name)}|${type}|${cls}`;
}

/**
 * Heap cost of an entry: its key, names and RDATA plus the per-object overhead
 * V8 adds (each Uint8Array with its ArrayBuffer is ~300 octets beyond its data;
 * the entry, its RRset copy, lru-cache bookkeeping ~1500). Measured with
 * --expose-gc on 25k cached A records, so max-cache-size bounds real memory.
 */
function sizeOf(e: Entry, key: string): number {
  let n = 1500 + key.length * 2;
  const set = e.kind === 'rrset' ? e.set : e.soa;
  if (set) {
    n += 300 + set.owner.length;
    for (const r of set.rdatas) n += 300 + r.length;
  }
  if (e.kind !== 'rrset') n += e.name.length + 300;
  return n;
}

export class RRCache {
  private readonly lru: LRUCache<string, Entry>;
  private readonly o: Required<Omit<CacheOptions, 'now'>>;
  private readonly now: () => number;
  readonly stats = { hits: 0, misses: 0, staleHits: 0, inserts: 0 };

  constructor(opts: CacheOptions = {}) {
    this.o = {
      maxSize: opts.maxSize ?? DEFAULT_MAX_CACHE_SIZE,
      maxCacheTtl: opts.maxCacheTtl ?? 604800,
      maxNcacheTtl: opts.maxNcacheTtl ?? 10800,
      minCacheTtl: opts.minCacheTtl ?? 0,
      minNcacheTtl: opts.minNcacheTtl ?? 0,
      maxStaleTtl: opts.maxStaleTtl ?? 0,
      staleAnswerTtl: opts.staleAnswerTtl ?? 30,
    };
    this.now = opts.now ?? Date.now;
    this.lru = new LRUCache<string, Entry>({
      maxSize: Math.max(4096, this.o.maxSize),
      sizeCalculation: (v, k) => sizeOf(v, k),
    });
  }

  get size(): number {
    return this.lru.size;
  }

  /** Estimated octets held (what max-cache-size bounds). */
  get calculatedSize(): number {
    return this.lru.calculatedSize;
  }

  get maxSize(): number {
    return this.o.maxSize;
  }

  private clampTtl(ttl: number): number {
    return Math.min(this.o.maxCacheTtl, Math.max(this.o.minCacheTtl, ttl));
  }

  /** Stores an RRset unless a more trusted, unexpired copy is there (RFC 2181 §5.4.1). */
  put(set: SectionRRset, rank: number = RANK.ANSWER): void {
    if (set.type === T.OPT || set.rdatas.length === 0) return;
    const key = keyOf(set.owner, set.type, set.class);
    const now = this.now();
    const old = this.lru.peek(key);
    if (old && old.kind === 'rrset' && old.rank > rank && old.expires > now) return;
    const ttl = this.clampTtl(set.ttl);
    const entry: PositiveEntry = { kind: 'rrset', set: { ...set, ttl }, rank, expires: now + ttl * 1000 };
    this.lru.set(key, entry);
    // Positive data for a name ends an NXDOMAIN remembered for it.
    if (this.lru.peek(keyOf(set.owner, NX, set.class))) this.lru.delete(keyOf(set.owner, NX, set.class));
    this.stats.inserts++;
  }

  /** RFC 2308 §5: the negative TTL is the lesser of the SOA's TTL and its MINIMUM field. */
  putNegative(name: Uint8Array, type: number, cls: number, kind: NegativeKind, soa: SectionRRset | undefined): void {
    let ttl = 0;
    if (soa && soa.rdatas[0]) {
      const rd = soa.rdatas[0];
      const min = rd.length >= 4 ? new DataView(rd.buffer, rd.byteOffset + rd.length - 4, 4).getUint32(0) : 0;
      ttl = Math.min(soa.ttl, min);
    }
    // RFC 2308 §5: without an SOA a negative answer should not be cached; BIND keeps it briefly (0 here).
    ttl = Math.min(this.o.maxNcacheTtl, Math.max(this.o.minNcacheTtl, ttl));
    if (ttl <= 0 && this.o.maxStaleTtl <= 0) return;
    const key = keyOf(name, kind === 'nxdomain' ? NX : type, cls);
    this.lru.set(key, { kind, name, type, class: cls, soa: soa ? { ...soa, ttl } : undefined, expires: this.now() + ttl * 1000 });
    this.stats.inserts++;
  }

  /**
   * The cached answer for (name, type, class) with TTLs reduced by the time spent
   * in the cache (RFC 1035 §7.2 / RFC 2181 §8). An NXDOMAIN for the name answers
   * every type. With `stale`, expired entries within max-stale-ttl are returned
   * too, marked stale, with TTL staleAnswerTtl. `minRank` hides less trusted data
   * (glue and referral NS sets are never answers to clients, RFC 2181 §5.4.1).
   */
  get(name: Uint8Array, type: number, cls: number, opts: { stale?: boolean; count?: boolean; minRank?: number; trace?: Lookup[] } = {}): CacheHit | undefined {
    const now = this.now();
    const minRank = opts.minRank ?? 0;
    const stale = opts.stale === true;
    const tr = opts.trace;
    const hit = this.find(keyOf(name, type, cls), now, stale, minRank, tr) ?? this.find(keyOf(name, NX, cls), now, stale, minRank, tr);
    if (opts.count !== false) {
      if (hit) {
        this.stats.hits++;
        if (hit.stale) this.stats.staleHits++;
      } else this.stats.misses++;
    }
    return hit;
  }

  /** Counts a lookup made on the cache's behalf elsewhere (resolver.ts stillCached). */
  count(hit: boolean): void {
    if (hit) this.stats.hits++;
    else this.stats.misses++;
  }

  /**
   * Whether every lookup of `lookups` (fresh lookups, traced by get) finds the same
   * entry again, fresh, with the same side effects on the cache as get (recency,
   * removal of entries past serve-stale) and no counting: a walk through the cache
   * taking the same steps gives the same answer, its TTLs counted down.
   */
  same(lookups: readonly Lookup[]): boolean {
    const now = this.now();
    for (let i = 0; i < lookups.length; i++) {
      const l = lookups[i];
      if (this.fresh(l.key, now, l.minRank) !== l.entry) return false;
    }
    return true;
  }

  /** The entry for `key` if its rank is at least `minRank` and it is fresh (find without stale). */
  private fresh(key: string, now: number, minRank: number): Entry | undefined {
    const e = this.lru.get(key);
    if (!e || (e.kind === 'rrset' && e.rank < minRank)) return undefined;
    if (e.expires > now) return e;
    if (e.expires + this.o.maxStaleTtl * 1000 <= now) this.lru.delete(key);
    return undefined;
  }

  private find(key: string, now: number, stale: boolean, minRank: number, trace?: Lookup[]): CacheHit | undefined {
    const e = this.lru.get(key);
    if (!e || (e.kind === 'rrset' && e.rank < minRank)) {
      trace?.push({ key, minRank, entry: undefined });
      return undefined;
    }
    let ttl: number;
    let isStale = false;
    if (e.expires > now) ttl = Math.ceil((e.expires - now) / 1000);
    else if (e.expires + this.o.maxStaleTtl * 1000 > now) {
      trace?.push({ key, minRank, entry: undefined });
      if (!stale) return undefined;
      ttl = this.o.staleAnswerTtl;
      isStale = true;
    } else {
      trace?.push({ key, minRank, entry: undefined });
      this.lru.delete(key);
      return undefined;
    }
    if (!isStale) trace?.push({ key, minRank, entry: e });
    if (e.kind === 'rrset') return { kind: 'rrset', set: { ...e.set, ttl }, stale: isStale, expires: e.expires };
    return { kind: e.kind, soa: e.soa ? { ...e.soa, ttl } : undefined, stale: isStale, expires: e.expires };
  }

  /** Forgets everything, or every entry whose owner is `name` (BIND `rndc flushname`). */
  flush(name?: Uint8Array): number {
    if (!name) {
      const n = this.lru.size;
      this.lru.clear();
      return n;
    }
    const prefix = `${nameKey(name)}|`;
    let n = 0;
    for (const k of [...this.lru.keys()]) {
      if (k.startsWith(prefix)) {
        this.lru.delete(k);
        n++;
      }
    }
    return n;
  }

  /** The cache as master-file text with remaining TTLs (BIND `rndc dumpdb -cache`). */
  dump(): string {
    const now = this.now();
    const lines: string[] = [';', '; Cache dump of view \'_default\' (cache _default)', ';'];
    for (const [, e] of this.lru.entries()) {
      const left = Math.ceil((e.expires - now) / 1000);
      const staleNote = left <= 0 ? ' ; stale' : '';
      const ttl = Math.max(0, left);
      if (e.kind === 'rrset') {
        const s = e.set;
        for (const rd of s.rdatas) {
          lines.push(`${nameToText(s.owner)}\t${ttl}\t${classToText(s.class)}\t${typeToText(s.type)}\t${safeText(s.type, rd)}${staleNote}`);
        }
      } else {
        const what = e.kind === 'nxdomain' ? '\\-ANY ;-$NXDOMAIN' : `\\-${typeToText(e.type)} ;-$NXRRSET`;
        lines.push(`${nameToText(e.name)}\t${ttl}\t${classToText(e.class)}\t${what}${staleNote}`);
        if (e.soa) for (const rd of e.soa.rdatas) lines.push(`; ${nameToText(e.soa.owner)} SOA ${safeText(T.SOA, rd)}`);
      }
    }
    return lines.join('\n') + '\n';
  }
}

function safeText(type: number, rd: Uint8Array): string {
  try {
    return rdataToText(type, rd);
  } catch {
    return `\\# ${rd.length} ${Buffer.from(rd).toString('hex')}`;
  }
}
