// The checks BIND makes when it loads a primary zone (named-checkzone's defaults):
// SOA and NS at the apex, CNAME exclusivity (RFC 1034 §3.6.2, RFC 2181 §10.1),
// singleton types, and the integrity checks on NS/MX/SRV targets inside the zone.

import { createHash } from 'node:crypto';
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
  const apexKey = nameKey(zone.origin);
  for (const node of zone.nodes.values()) {
    const ns = node.rrsets.get(T.NS);
    // BIND's integrity_checks() look at delegations only, not the apex NS set,
    // and only at in-zone targets (out-of-zone ones would need lookups).
    if (ns && nameKey(node.name) !== apexKey && !delegationAbove(zone, parentName(node.name))) {
      const owner = nameToText(node.name);
      for (const rd of ns.rdatas) {
        const target = targetName(rd, 0);
        if (!isSubdomain(target, zone.origin)) continue;
        const tnode = zone.nodes.get(nameKey(target));
        // A name that does not exist at all below a cut is a plain delegation answer: no complaint.
        if (!tnode) continue;
        if (tnode.rrsets.has(T.CNAME)) {
          sink.error(where, `zone ${zname}: ${owner}/NS '${nameToText(target)}' is a CNAME (illegal)`);
        } else if (!hasAddress(tnode) && isSubdomain(target, node.name)) {
          // Required glue (RFC 1034 §4.2.1) exists as a name but without addresses.
          sink.error(where, `zone ${zname}: ${owner}/NS '${nameToText(target)}' has no address records (A or AAAA)`);
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
  checkCdsCdnskey(zone, sink, where);
}

/** RFC 4034 Appendix B key tag of DNSKEY RDATA. */
export function keyTag(rdata: Uint8Array): number {
  let ac = 0;
  for (let i = 0; i < rdata.length; i++) ac += i & 1 ? rdata[i] : rdata[i] << 8;
  ac += (ac >> 16) & 0xffff;
  return ac & 0xffff;
}

const DIGESTS: Record<number, string> = { 1: 'sha1', 2: 'sha256', 4: 'sha384' };

function lowerName(name: Uint8Array): Uint8Array {
  return Uint8Array.from(name, (b) => (b >= 0x41 && b <= 0x5a ? b + 32 : b));
}

/**
 * RFC 7344 §4 / RFC 8078: CDS must describe, and CDNSKEY must equal, a DNSKEY at the
 * apex (the delete forms "0 0 0 00" and "0 3 0 AA==" excepted), as BIND checks on load.
 */
function checkCdsCdnskey(zone: Zone, sink: DiagnosticSink, where: Position): void {
  const apex = zone.nodes.get(nameKey(zone.origin));
  if (!apex) return;
  const keys = apex.rrsets.get(T.DNSKEY)?.rdatas ?? [];
  const cds = apex.rrsets.get(T.CDS)?.rdatas ?? [];
  const cdnskey = apex.rrsets.get(T.CDNSKEY)?.rdatas ?? [];
  let ok = true;
  for (const rd of cds) {
    if (rd.length === 5 && rd[0] === 0 && rd[1] === 0 && rd[2] === 0 && rd[3] === 0) continue;
    const tag = (rd[0] << 8) | rd[1];
    const alg = rd[2];
    const dtype = rd[3];
    const digest = Buffer.from(rd.subarray(4));
    const algo = DIGESTS[dtype];
    const match = keys.some((k) => {
      if (k[3] !== alg || keyTag(k) !== tag) return false;
      if (!algo) return true;
      const h = createHash(algo).update(lowerName(zone.origin)).update(k).digest();
      return h.equals(digest);
    });
    if (!match) ok = false;
  }
  for (const rd of cdnskey) {
    if (rd.length === 5 && rd[0] === 0 && rd[1] === 0 && rd[2] === 3 && rd[3] === 0) continue;
    if (!keys.some((k) => k.length === rd.length && k.every((b, i) => b === rd[i]))) ok = false;
  }
  if (!ok) sink.error(where, `zone ${nameToText(zone.origin)}: CDS/CDNSKEY consistency checks failed`);
}
