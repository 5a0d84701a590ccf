// The in-memory form of one authoritative zone: a map from owner name to node,
// each node holding its RRsets. The answer engine only reads this structure.

import { nameKey, parentName, isSubdomain } from './name.js';
import type { ResourceRecord } from './rr.js';

export interface RRset {
  owner: Uint8Array;
  type: number;
  class: number;
  /** One TTL per RRset (RFC 2181 §5.2); the loader keeps the first and warns, as BIND does. */
  ttl: number;
  rdatas: Uint8Array[];
}

export interface ZoneNode {
  name: Uint8Array;
  /** Keyed by type. Empty for an empty non-terminal. */
  rrsets: Map<number, RRset>;
}

export interface Zone {
  origin: Uint8Array;
  class: number;
  serial: number;
  /**
   * Every name in the zone keyed by nameKey(): owners of data and the empty
   * non-terminals between them and the origin (RFC 4592 §2.2.2 needs both).
   */
  nodes: Map<string, ZoneNode>;
  /**
   * An automatic empty zone (empty-zones.ts) that BIND serves from its built-in
   * database: the apex records are written with the name as the query spelled it.
   */
  atQueryName?: boolean;
}

/**
 * Groups records (already checked and in zone) into nodes and RRsets and adds the
 * empty non-terminals. Duplicate RDATA within an RRset is dropped (RFC 2181 §5).
 */
export function buildZone(origin: Uint8Array, cls: number, records: ResourceRecord[], serial: number): Zone {
  const nodes = new Map<string, ZoneNode>();
  const originKey = nameKey(origin);
  const nodeFor = (name: Uint8Array): ZoneNode => {
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
  return { origin, class: cls, serial, nodes };
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
