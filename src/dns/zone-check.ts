// The checks BIND makes when it loads a primary zone (named-checkzone's defaults):
// SOA and NS at the apex, CNAME exclusivity (RFC 1034 §3.6.2, RFC 2181 §10.1),
// singleton types, and the integrity checks on NS/MX/SRV targets inside the zone.

import type { DiagnosticSink, Position } from '../config/diagnostics.js';
import { nameKey, nameToText, isSubdomain, parentName } from './name.js';
import { T, typeToText } from './rr.js';
import type { Zone, ZoneNode } from './zone.js';

export interface CheckOptions {
  /** named-checkzone -i full (default) versus -i none. */
  integrity?: boolean;
}

/** Types that may share a name with a CNAME (DNSSEC data and KEY, as BIND allows). */
const CNAME_COMPANIONS = new Set<number>([T.CNAME, T.RRSIG, T.NSEC, T.KEY, T.SIG, T.NXT]);
const SINGLETONS = new Set<number>([T.SOA, T.CNAME, T.DNAME]);

export function checkZone(zone: Zone, sink: DiagnosticSink, where: Position, opts: CheckOptions = {}): void {
  const zname = `${nameToText(zone.origin)}`;
  const apex = zone.nodes.get(nameKey(zone.origin));
  if (!apex || !apex.rrsets.has(T.SOA)) sink.error(where, `zone ${zname}: has no SOA record`);
  if (!apex || !apex.rrsets.has(T.NS)) sink.error(where, `zone ${zname}: has no NS records`);
  for (const node of zone.nodes.values()) {
    const owner = nameToText(node.name);
    for (const [type, set] of node.rrsets) {
      if (SINGLETONS.has(type) && set.rdatas.length > 1) sink.error(where, `${owner}: multiple RRs of singleton type ${typeToText(type)}`);
    }
    if (node.rrsets.has(T.CNAME)) {
      for (const type of node.rrsets.keys()) {
        if (!CNAME_COMPANIONS.has(type)) {
          sink.error(where, `${owner}: CNAME and other data`);
          break;
        }
      }
    }
  }
  if (opts.integrity === false) return;
  integrity(zone, sink, where);
}

/** The closest delegation (a non-apex node with NS) at or above `name`, if any. */
function delegationAbove(zone: Zone, name: Uint8Array): ZoneNode | undefined {
  const apexKey = nameKey(zone.origin);
  let found: ZoneNode | undefined;
  for (let n = name; n.length > 1; n = parentName(n)) {
    const k = nameKey(n);
    if (k === apexKey) break;
    const node = zone.nodes.get(k);
    if (node && node.rrsets.has(T.NS)) found = node;
  }
  return found;
}

function targetName(rdata: Uint8Array, offset: number): Uint8Array {
  let i = offset;
  while (rdata[i] !== 0) i += rdata[i] + 1;
  return rdata.subarray(offset, i + 1);
}

function hasAddress(node: ZoneNode | undefined): boolean {
  return !!node && (node.rrsets.has(T.A) || node.rrsets.has(T.AAAA));
}

function integrity(zone: Zone, sink: DiagnosticSink, where: Position): void {
  const zname = nameToText(zone.origin);
  for (const node of zone.nodes.values()) {
    const ns = node.rrsets.get(T.NS);
    if (ns) {
      const isApex = nameKey(node.name) === nameKey(zone.origin);
      // NS records below a delegation are not authoritative data; BIND ignores them.
      const cut = isApex ? undefined : delegationAbove(zone, parentName(node.name));
      if (!cut) {
        for (const rd of ns.rdatas) {
          const target = targetName(rd, 0);
          if (!isSubdomain(target, zone.origin)) continue;
          const tnode = zone.nodes.get(nameKey(target));
          const owner = nameToText(node.name);
          if (tnode && tnode.rrsets.has(T.CNAME)) {
            sink.error(where, `zone ${zname}: ${owner}/NS '${nameToText(target)}' is a CNAME (illegal)`);
          } else if (!hasAddress(tnode)) {
            const under = delegationAbove(zone, target);
            // Targets in another zone cut below us need glue; targets in our own data need addresses.
            if (!under || isSubdomain(target, node.name) || !isApex) {
              sink.error(where, `zone ${zname}: ${owner}/NS '${nameToText(target)}' has no address records (A or AAAA)`);
            }
          }
        }
      }
    }
    for (const [type, off] of [[T.MX, 2], [T.SRV, 6]] as const) {
      const set = node.rrsets.get(type);
      if (!set) continue;
      for (const rd of set.rdatas) {
        const target = targetName(rd, off);
        if (target.length === 1 || !isSubdomain(target, zone.origin)) continue;
        const tnode = zone.nodes.get(nameKey(target));
        const label = `${nameToText(node.name)}/${typeToText(type)} '${nameToText(target)}'`;
        if (tnode && tnode.rrsets.has(T.CNAME)) sink.warning(where, `zone ${zname}: ${label} is a CNAME (illegal)`);
        else if (!hasAddress(tnode) && !delegationAbove(zone, target)) sink.warning(where, `zone ${zname}: ${label} has no address records (A or AAAA)`);
      }
    }
  }
}
