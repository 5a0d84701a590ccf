// The only way a zone changes: a difference (records deleted, records added, the
// next serial), as an IXFR response (RFC 1995 §4) or an UPDATE (RFC 2136 §3.4.2)
// expresses it, applied to one version to give the next. Pure: the version it starts
// from is left as it was (it may still be answering queries, or be served by IXFR).

import { isSubdomain, nameKey, nameToText, parentName } from '../wire/dns-name.js';
import { T, typeToText, type ResourceRecord } from '../wire/rr-type.js';
import { bytesEqual, sealZone, type RRset, type Zone, type ZoneNode } from './zone.js';

export interface ZoneDiff {
  /** Records to remove; each must be in the zone (an IXFR difference is exact). */
  deletions: readonly ResourceRecord[];
  /** Records to add; one already there is ignored (RFC 2136 §3.4.2.2). */
  additions: readonly ResourceRecord[];
  /**
   * The next version's serial, written into the SOA too; it must follow the current
   * one (RFC 1982). Absent: the serial stays (a change the zone file's serial already covers).
   */
  serial?: number;
}

export class ZoneDiffError extends Error {}

/** Types that may share a name with a CNAME (RFC 2181 §10.1, RFC 4035 §2.5). */
const BESIDE_CNAME = new Set<number>([T.RRSIG, T.NSEC, T.NSEC3]);

const rrText = (rr: ResourceRecord): string => `${nameToText(rr.owner)} ${typeToText(rr.type)}`;

/** Applies `diff` to `zone`, returning the next version; throws ZoneDiffError when it does not fit. */
export function applyDiff(zone: Zone, diff: ZoneDiff): Zone {
  // Copy on write: untouched nodes and RRsets are shared with the previous version.
  const nodes = new Map(zone.nodes);
  const copied = new Set<string>();
  const touched = new Set<string>();
  const writable = (key: string, name: Uint8Array): Map<number, RRset> => {
    const cur = nodes.get(key);
    if (cur && copied.has(key)) return cur.rrsets as Map<number, RRset>;
    const rrsets = new Map(cur?.rrsets);
    nodes.set(key, { name: cur?.name ?? name, rrsets });
    copied.add(key);
    return rrsets;
  };
  const check = (rr: ResourceRecord): void => {
    if (!isSubdomain(rr.owner, zone.origin)) throw new ZoneDiffError(`${rrText(rr)}: not in zone ${nameToText(zone.origin)}`);
    if (rr.class !== zone.class) throw new ZoneDiffError(`${rrText(rr)}: class ${rr.class} in a zone of class ${zone.class}`);
  };
  let emptied = false;
  for (const rr of diff.deletions) {
    check(rr);
    const key = nameKey(rr.owner);
    const set = nodes.get(key)?.rrsets.get(rr.type);
    const at = set ? set.rdatas.findIndex((d) => bytesEqual(d, rr.rdata)) : -1;
    if (!set || at < 0) throw new ZoneDiffError(`${rrText(rr)}: cannot delete a record the zone does not have`);
    const rrsets = writable(key, rr.owner);
    const rdatas = set.rdatas.filter((_, i) => i !== at);
    if (rdatas.length > 0) rrsets.set(rr.type, { ...set, rdatas });
    else rrsets.delete(rr.type);
    if (rrsets.size === 0) emptied = true;
    touched.add(key);
  }
  for (const rr of diff.additions) {
    check(rr);
    const key = nameKey(rr.owner);
    const set = nodes.get(key)?.rrsets.get(rr.type);
    if (set?.rdatas.some((d) => bytesEqual(d, rr.rdata))) continue;
    const rrsets = writable(key, rr.owner);
    // One TTL per RRset (RFC 2181 §5.2): the added record's, as an UPDATE sets it.
    rrsets.set(rr.type, set ? { ...set, ttl: rr.ttl, rdatas: [...set.rdatas, rr.rdata] } : { owner: rr.owner, type: rr.type, class: rr.class, ttl: rr.ttl, rdatas: [rr.rdata] });
    touched.add(key);
    // Empty non-terminals up to the origin (RFC 4592 §2.2.2).
    for (let p = parentName(rr.owner); p.length > 1 && nameKey(p) !== zone.originKey; p = parentName(p)) {
      const pk = nameKey(p);
      if (nodes.has(pk)) break;
      nodes.set(pk, { name: p, rrsets: new Map() });
    }
  }
  for (const key of touched) {
    const node = nodes.get(key);
    if (!node || !node.rrsets.has(T.CNAME)) continue;
    for (const type of node.rrsets.keys()) {
      if (type !== T.CNAME && !BESIDE_CNAME.has(type)) throw new ZoneDiffError(`${nameToText(node.name)}: CNAME and other data (${typeToText(type)})`);
    }
  }
  if (emptied) dropEmptyNonTerminals(nodes, zone.originKey);
  let serial = zone.serial;
  if (diff.serial !== undefined) {
    const next = diff.serial >>> 0;
    if (((next - zone.serial) | 0) <= 0) throw new ZoneDiffError(`serial ${next} does not follow ${zone.serial}`);
    serial = next;
    const apex = nodes.get(zone.originKey);
    const soa = apex?.rrsets.get(T.SOA);
    if (soa) writable(zone.originKey, zone.origin).set(T.SOA, { ...soa, rdatas: soa.rdatas.map((rd) => withSerial(rd, next)) });
  }
  const apex = nodes.get(zone.originKey);
  if (zone.apex?.rrsets.has(T.SOA) && apex?.rrsets.get(T.SOA)?.rdatas.length !== 1) throw new ZoneDiffError(`${nameToText(zone.origin)}: the zone must keep exactly one SOA record`);
  return sealZone(zone.origin, zone.class, serial, nodes, zone.atQueryName);
}

/** Removes nodes without data that no longer lead to a name with data (the apex stays). */
function dropEmptyNonTerminals(nodes: Map<string, ZoneNode>, originKey: string): void {
  const needed = new Set<string>([originKey]);
  for (const [key, node] of nodes) {
    if (node.rrsets.size === 0) continue;
    for (let p = parentName(node.name); p.length > 1; p = parentName(p)) {
      const pk = nameKey(p);
      if (pk === originKey || needed.has(pk)) break;
      needed.add(pk);
    }
    needed.add(key);
  }
  for (const [key, node] of nodes) if (node.rrsets.size === 0 && !needed.has(key)) nodes.delete(key);
}

/** Sets the SERIAL field of an SOA RDATA (after the two names), returning a copy. */
export function withSerial(rd: Uint8Array, serial: number): Uint8Array {
  const out = Uint8Array.from(rd);
  let i = 0;
  for (let k = 0; k < 2; k++) {
    while (i < out.length && out[i] !== 0) i += out[i] + 1;
    i++;
  }
  if (i + 4 > out.length) return out;
  out[i] = serial >>> 24;
  out[i + 1] = (serial >>> 16) & 255;
  out[i + 2] = (serial >>> 8) & 255;
  out[i + 3] = serial & 255;
  return out;
}
