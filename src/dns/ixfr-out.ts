// IXFR out (RFC 1995): what a secondary at an older serial is sent, decided from the
// zone's journal without sockets. The differences since the client's serial are
// condensed into one (RFC 1995 §5 allows it: a record added then deleted is never
// sent), and a full transfer is answered instead, as BIND does, when the journal
// does not reach back to the client's serial or when the difference is larger than
// max-ixfr-ratio of the zone (BIND 9.18's default: 100%).
// Also the difference between two versions of a zone (a reloaded zone file), as
// BIND computes it with `ixfr-from-differences yes`.

import { nameKey } from '../wire/dns-name.js';
import { T, type ResourceRecord } from '../wire/rr-type.js';
import type { SectionRRset } from './authority.js';
import type { Zone, RRset } from './zone.js';
import type { ZoneDiff } from './zone-diff.js';
import { rrOctets, soaOf, zoneOctets, type SoaRecord, type ZoneJournal } from './zone-journal.js';

export type IxfrPlan =
  /** The client has our serial (or a later one): the answer is our SOA alone. */
  | { kind: 'up-to-date' }
  /** Answer with the whole zone (RFC 1995 §4), and why. */
  | { kind: 'full'; reason: 'no-journal' | 'not-in-journal' | 'ratio' }
  | { kind: 'incremental'; records: SectionRRset[]; deletions: number; additions: number };

const sizes = new WeakMap<Zone, number>();
const sizeOf = (z: Zone): number => {
  let n = sizes.get(z);
  if (n === undefined) sizes.set(z, (n = zoneOctets(z)));
  return n;
};

const recordKey = (r: ResourceRecord): string => `${nameKey(r.owner)}\u0000${r.type}\u0000${Buffer.from(r.rdata).toString('hex')}`;

/**
 * The net difference of a run of differences: a record deleted then added back with
 * the same TTL, or added then deleted, cancels out. SOA records are left out (the
 * answer frames the difference with the SOAs itself).
 */
export function condense(diffs: readonly ZoneDiff[]): { deletions: ResourceRecord[]; additions: ResourceRecord[] } {
  const state = new Map<string, { del?: ResourceRecord; add?: ResourceRecord }>();
  for (const d of diffs) {
    for (const r of d.deletions) {
      if (r.type === T.SOA) continue;
      const k = recordKey(r);
      const s = state.get(k);
      if (s?.add) {
        s.add = undefined;
      } else if (!s) state.set(k, { del: r });
      else if (!s.del) s.del = r;
    }
    for (const r of d.additions) {
      if (r.type === T.SOA) continue;
      const k = recordKey(r);
      const s = state.get(k);
      if (s) s.add = r;
      else state.set(k, { add: r });
    }
  }
  const deletions: ResourceRecord[] = [];
  const additions: ResourceRecord[] = [];
  for (const s of state.values()) {
    if (s.del && s.add && s.del.ttl === s.add.ttl) continue;
    if (s.del) deletions.push(s.del);
    if (s.add) additions.push(s.add);
  }
  return { deletions, additions };
}

const soaSet = (zone: Zone, soa: SoaRecord): SectionRRset => ({ owner: zone.origin, type: T.SOA, class: zone.class, ttl: soa.ttl, rdatas: [soa.rdata] });
const one = (r: ResourceRecord): SectionRRset => ({ owner: r.owner, type: r.type, class: r.class, ttl: r.ttl, rdatas: [r.rdata] });

/** Decides the answer to an IXFR from `clientSerial` for the served version `zone` (RFC 1995 §4). */
export function planIxfr(zone: Zone, journal: ZoneJournal | undefined, clientSerial: number): IxfrPlan {
  // RFC 1982 serial arithmetic: a client at our serial or later gets only the SOA.
  if (((zone.serial - clientSerial) | 0) <= 0) return { kind: 'up-to-date' };
  const current = soaOf(zone);
  if (!journal || !current || journal.current?.serial !== zone.serial) return { kind: 'full', reason: 'no-journal' };
  const entries = journal.since(clientSerial);
  if (!entries || entries.length === 0 || !entries[0].fromSoa) return { kind: 'full', reason: 'not-in-journal' };
  const { deletions, additions } = condense(entries.map((e) => e.diff));
  const ratio = journal.maxIxfrRatio;
  if (ratio !== undefined) {
    const octets = [...deletions, ...additions].reduce((s, r) => s + rrOctets(r.owner, r.rdata), 0);
    if (octets * 100 > ratio * sizeOf(zone)) return { kind: 'full', reason: 'ratio' };
  }
  const newSoa = soaSet(zone, current);
  // RFC 1995 §4: new SOA, then per difference: old SOA, deletions, new SOA, additions; new SOA last.
  const records: SectionRRset[] = [newSoa, soaSet(zone, entries[0].fromSoa), ...deletions.map(one), newSoa, ...additions.map(one), newSoa];
  return { kind: 'incremental', records, deletions: deletions.length, additions: additions.length };
}

/**
 * The difference that takes version `a` to version `b` (ixfr-from-differences): per
 * RRset, the records only one side has; an RRset whose TTL changed is replaced whole.
 * The SOA is left to `serial`.
 */
export function diffVersions(a: Zone, b: Zone): ZoneDiff {
  const deletions: ResourceRecord[] = [];
  const additions: ResourceRecord[] = [];
  const rr = (s: RRset, rdata: Uint8Array): ResourceRecord => ({ owner: s.owner, type: s.type, class: s.class, ttl: s.ttl, rdata });
  const hex = (d: Uint8Array): string => Buffer.from(d).toString('hex');
  const compare = (from: RRset | undefined, to: RRset | undefined, out: ResourceRecord[], back: ResourceRecord[]): void => {
    if (!from) {
      if (to) for (const d of to.rdatas) back.push(rr(to, d));
      return;
    }
    if (!to || to.ttl !== from.ttl) {
      for (const d of from.rdatas) out.push(rr(from, d));
      if (to) for (const d of to.rdatas) back.push(rr(to, d));
      return;
    }
    const have = new Set(to.rdatas.map(hex));
    const had = new Set(from.rdatas.map(hex));
    for (const d of from.rdatas) if (!have.has(hex(d))) out.push(rr(from, d));
    for (const d of to.rdatas) if (!had.has(hex(d))) back.push(rr(to, d));
  };
  for (const [key, node] of a.nodes) {
    const other = b.nodes.get(key);
    for (const [type, set] of node.rrsets) {
      if (type === T.SOA && key === a.originKey) continue;
      compare(set, other?.rrsets.get(type), deletions, additions);
    }
  }
  for (const [key, node] of b.nodes) {
    const other = a.nodes.get(key);
    for (const [type, set] of node.rrsets) {
      if (type === T.SOA && key === b.originKey) continue;
      if (!other?.rrsets.has(type)) compare(undefined, set, deletions, additions);
    }
  }
  return { deletions, additions, serial: b.serial };
}
