// The in-memory form of one authoritative zone: a map from owner name to node,
// each node holding its RRsets. A Zone is an immutable version: nothing changes it
// after it is made; the next version comes from applying a difference (zone-diff.ts).
// The answer engine only reads this structure.

import { nameKey, parentName, isSubdomain, labelCount } from '../wire/dns-name.js';
import { T, type ResourceRecord } from '../wire/rr-type.js';

export interface RRset {
  readonly owner: Uint8Array;
  readonly type: number;
  readonly class: number;
  /** One TTL per RRset (RFC 2181 §5.2); the loader keeps the first and warns, as BIND does. */
  readonly ttl: number;
  rdatas: Uint8Array[];
}

export interface ZoneNode {
  readonly name: Uint8Array;
  /** Keyed by type. Empty for an empty non-terminal. */
  readonly rrsets: ReadonlyMap<number, RRset>;
}

export interface Zone {
  readonly origin: Uint8Array;
  readonly class: number;
  readonly serial: number;
  /**
   * Every name in the zone keyed by nameKey(): owners of data and the empty
   * non-terminals between them and the origin (RFC 4592 §2.2.2 needs both).
   */
  readonly nodes: ReadonlyMap<string, ZoneNode>;
  /**
   * An automatic empty zone (empty-zones.ts) that BIND serves from its built-in
   * database: the apex records are written with the name as the query spelled it.
   */
  atQueryName?: boolean;
  /**
   * A secondary zone's copy: when it expires (ms, wall clock), moved on by each
   * successful refresh; the EDNS EXPIRE option tells the time left (RFC 7314 §4).
   */
  expiresAt?: number;
  // Facts of this version, computed once when it is made, never per answer.
  readonly originKey: string;
  readonly originLabels: number;
  readonly apex: ZoneNode | undefined;
  /** The SOA for a negative answer: TTL = min(SOA TTL, MINIMUM) (RFC 2308 §3). */
  readonly negativeSoa: RRset | undefined;
}

/** A version from its nodes: computes the per-version facts the answer engine reads. */
export function sealZone(origin: Uint8Array, cls: number, serial: number, nodes: ReadonlyMap<string, ZoneNode>, atQueryName?: boolean): Zone {
  const originKey = nameKey(origin);
  const apex = nodes.get(originKey);
  const zone: Zone = { origin, class: cls, serial, nodes, originKey, originLabels: labelCount(origin), apex, negativeSoa: negativeSoaOf(apex) };
  if (atQueryName) zone.atQueryName = true;
  return zone;
}

/** A zone with no data (a configured zone whose file never loaded: answered SERVFAIL). */
export function emptyZone(origin: Uint8Array, cls: number): Zone {
  return sealZone(origin, cls, 0, new Map());
}

function negativeSoaOf(apex: ZoneNode | undefined): RRset | undefined {
  const soa = apex?.rrsets.get(T.SOA);
  if (!soa || soa.rdatas.length === 0) return undefined;
  const rd = soa.rdatas[0];
  const min = ((rd[rd.length - 4] << 24) >>> 0) + ((rd[rd.length - 3] << 16) | (rd[rd.length - 2] << 8) | rd[rd.length - 1]);
  return { owner: soa.owner, type: T.SOA, class: soa.class, ttl: Math.min(soa.ttl, min), rdatas: [rd] };
}

/**
 * Groups records (already checked and in zone) into nodes and RRsets and adds the
 * empty non-terminals. Duplicate RDATA within an RRset is dropped (RFC 2181 §5).
 */
export function buildZone(origin: Uint8Array, cls: number, records: ResourceRecord[], serial: number): Zone {
  const nodes = new Map<string, { name: Uint8Array; rrsets: Map<number, RRset> }>();
  const originKey = nameKey(origin);
  const nodeFor = (name: Uint8Array): { name: Uint8Array; rrsets: Map<number, RRset> } => {
    const k = nameKey(name);
    let n = nodes.get(k);
    if (!n) {
      n = { name, rrsets: new Map() };
      nodes.set(k, n);
    }
    return n;
  };
  nodeFor(origin);
  for (const rr of records) {
    if (!isSubdomain(rr.owner, origin)) continue;
    const node = nodeFor(rr.owner);
    let set = node.rrsets.get(rr.type);
    if (!set) {
      set = { owner: rr.owner, type: rr.type, class: rr.class, ttl: rr.ttl, rdatas: [] };
      node.rrsets.set(rr.type, set);
    }
    if (!set.rdatas.some((d) => bytesEqual(d, rr.rdata))) set.rdatas.push(rr.rdata);
    // Empty non-terminals up to the origin.
    for (let p = parentName(rr.owner); nameKey(p) !== originKey && p.length > 1; p = parentName(p)) {
      if (nodes.has(nameKey(p))) break;
      nodeFor(p);
    }
  }
  return sealZone(origin, cls, serial, nodes);
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
