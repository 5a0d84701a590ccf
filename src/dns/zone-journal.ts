// The recent differences of one zone, in memory: what an incremental transfer
// (RFC 1995) will serve to a secondary that has an older serial. Bounded as BIND
// bounds its journal (max-journal-size): the oldest differences go first once the
// differences together outgrow the limit. A version that does not follow the last
// one recorded starts a new history (a secondary that old gets a full transfer).

import type { Zone } from './zone.js';
import type { ZoneDiff } from './zone-diff.js';
import { T, type ResourceRecord } from '../wire/rr-type.js';

/** Differences kept per zone at most, whatever their size. */
export const JOURNAL_LIMIT = 1000;

/** max-journal-size: octets, `unlimited` (BIND: 2 GB), or `default` (twice the zone's size, BIND 9.18). */
export type JournalSize = number | 'unlimited' | 'default';

/** BIND never trims a journal below this (smaller values are rounded up). */
export const MIN_JOURNAL_OCTETS = 4096;
const UNLIMITED_OCTETS = 2 ** 31;

export interface SoaRecord {
  ttl: number;
  rdata: Uint8Array;
}

export interface JournalEntry {
  fromSerial: number;
  toSerial: number;
  /** The SOA of the version the difference starts from and of the one it gives (RFC 1995 §4 frames each difference with them). */
  fromSoa: SoaRecord | undefined;
  toSoa: SoaRecord | undefined;
  diff: ZoneDiff;
  /** Approximate wire size of the difference's records (octets). */
  octets: number;
}

/** Approximate wire size of one record: owner, type/class/TTL/length (10 octets), RDATA. */
export const rrOctets = (owner: Uint8Array, rdata: Uint8Array): number => owner.length + 10 + rdata.length;

/** Approximate wire size of a whole version (what max-journal-size `default` and max-ixfr-ratio compare with). */
export function zoneOctets(zone: Zone): number {
  let n = 0;
  for (const node of zone.nodes.values()) for (const set of node.rrsets.values()) for (const rd of set.rdatas) n += rrOctets(node.name, rd);
  return n;
}

const diffOctets = (d: ZoneDiff): number => [...d.deletions, ...d.additions].reduce((s, r: ResourceRecord) => s + rrOctets(r.owner, r.rdata), 0);

export function soaOf(zone: Zone): SoaRecord | undefined {
  const soa = zone.apex?.rrsets.get(T.SOA);
  return soa && soa.rdatas.length > 0 ? { ttl: soa.ttl, rdata: soa.rdatas[0] } : undefined;
}

export class ZoneJournal {
  private entries: JournalEntry[] = [];
  private head: Zone | undefined;
  private octets = 0;
  /** Approximate size of `head`, kept up to date by each difference (max-journal-size `default`). */
  private headOctets: number | undefined;
  /** max-journal-size of the zone. */
  maxSize: JournalSize = 'default';
  /** max-ixfr-ratio as a percentage of the zone's size; undefined for `unlimited`. BIND's default is 100. */
  maxIxfrRatio: number | undefined = 100;

  constructor(private readonly limit = JOURNAL_LIMIT) {}

  /** Records that `diff` took `from` to `to`. */
  record(from: Zone, to: Zone, diff: ZoneDiff): void {
    if (this.head !== from) this.clear();
    const size = (rs: readonly ResourceRecord[]): number => rs.reduce((n, r) => n + rrOctets(r.owner, r.rdata), 0);
    this.headOctets = this.head && this.headOctets !== undefined ? this.headOctets + size(diff.additions) - size(diff.deletions) : undefined;
    this.head = to;
    const entry: JournalEntry = { fromSerial: from.serial, toSerial: to.serial, fromSoa: soaOf(from), toSoa: soaOf(to), diff, octets: diffOctets(diff) };
    this.entries.push(entry);
    this.octets += entry.octets;
    this.trim();
  }

  /** Forgets every difference; `head` (if given) is the version a new history starts from. */
  clear(head?: Zone): void {
    this.entries = [];
    this.octets = 0;
    this.head = head;
    this.headOctets = undefined;
  }

  /** `zone` has the same content as the version the history ends at (a reload that changed nothing): it becomes that end. */
  follow(zone: Zone): void {
    if (this.head && this.head.serial === zone.serial) {
      this.head = zone;
      this.headOctets = undefined;
    } else this.clear(zone);
  }

  /** The largest total size of the differences kept, in octets. */
  limitOctets(): number {
    const m = this.maxSize;
    if (m === 'unlimited') return UNLIMITED_OCTETS;
    if (m === 'default') {
      if (!this.head) return UNLIMITED_OCTETS;
      this.headOctets ??= zoneOctets(this.head);
      return Math.max(MIN_JOURNAL_OCTETS, 2 * this.headOctets);
    }
    return Math.min(UNLIMITED_OCTETS, Math.max(MIN_JOURNAL_OCTETS, m));
  }

  private trim(): void {
    const max = this.limitOctets();
    let drop = 0;
    let total = this.octets;
    // The newest difference stays even when it alone is over the limit.
    while (drop < this.entries.length - 1 && (total > max || this.entries.length - drop > this.limit)) total -= this.entries[drop++].octets;
    if (drop > 0) {
      this.entries.splice(0, drop);
      this.octets = total;
    }
  }

  /** The version the history ends at. */
  get current(): Zone | undefined {
    return this.head;
  }

  /** The differences from `serial` to the current version, oldest first; undefined when the history does not reach back to it. */
  since(serial: number): readonly JournalEntry[] | undefined {
    if (this.head && this.head.serial === serial) return [];
    const at = this.entries.findIndex((e) => e.fromSerial === serial);
    return at < 0 ? undefined : this.entries.slice(at);
  }

  get size(): number {
    return this.entries.length;
  }

  /** Total approximate size of the differences kept (octets). */
  get totalOctets(): number {
    return this.octets;
  }
}
