// The checks BIND makes when it loads a primary zone (named-checkzone's defaults):
// SOA and NS at the apex, CNAME exclusivity (RFC 1034 §3.6.2, RFC 2181 §10.1),
// singleton types, and the integrity checks on NS/MX/SRV targets inside the zone.

import type { DiagnosticSink, Position } from '../config/diagnostics.js';
import { nameKey, nameToText, isSubdomain, parentName, parseName, prependLabel } from '../wire/dns-name.js';
import { T, embeddedNames, rrType, typeToText } from '../wire/rr-type.js';
import type { Zone, ZoneNode } from './zone.js';

export interface CheckOptions {
  /** named-checkzone -i full (default) versus -i none. */
  integrity?: boolean;
}

/** Types that may share a name with a CNAME (DNSSEC data and KEY, as BIND allows). */
const CNAME_COMPANIONS = new Set<number>([T.CNAME, T.RRSIG, T.NSEC, T.KEY, T.SIG, T.NXT]);

/**
 * Where the record of an owner and type was written, for diagnostics; without
 * arguments, the position for findings about the zone as a whole.
 */
export type Locator = (owner?: Uint8Array, type?: number) => Position;

export function checkZone(zone: Zone, sink: DiagnosticSink, locate: Locator, opts: CheckOptions = {}): void {
  const zname = `${nameToText(zone.origin)}`;
  const apex = zone.nodes.get(nameKey(zone.origin));
  if (!apex || !apex.rrsets.has(T.SOA)) sink.error(locate(), `zone ${zname}: has no SOA record`);
  if (!apex || !apex.rrsets.has(T.NS)) sink.error(locate(zone.origin, T.SOA), `zone ${zname}: has no NS records`);
  for (const node of zone.nodes.values()) {
    const owner = nameToText(node.name);
    for (const [type, set] of node.rrsets) {
      if (rrType(type)?.singleton && set.rdatas.length > 1) sink.error(locate(node.name, type), `${owner}: multiple RRs of singleton type ${typeToText(type)}`);
    }
    if (node.rrsets.has(T.CNAME)) {
      for (const type of node.rrsets.keys()) {
        if (!CNAME_COMPANIONS.has(type)) {
          // Point at whichever of the two was written last, as BIND reports the record it refused.
          const a = locate(node.name, T.CNAME);
          const b = locate(node.name, type);
          sink.error(a.line > b.line ? a : b, `${owner}: CNAME and other data`);
          break;
        }
      }
    }
  }
  if (opts.integrity === false) return;
  integrity(zone, sink, locate);
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

function integrity(zone: Zone, sink: DiagnosticSink, locate: Locator): void {
  const zname = nameToText(zone.origin);
  const apex = zone.nodes.get(nameKey(zone.origin));
  const ns = apex?.rrsets.get(T.NS);
  // BIND checks the apex NS targets that lie inside the zone (delegations are not
  // checked by named-checkzone -i full; out-of-zone targets would need lookups).
  for (const rd of ns?.rdatas ?? []) {
    const target = targetName(rd, 0);
    if (!isSubdomain(target, zone.origin)) continue;
    const problem = nsTargetProblem(zone, target);
    if (problem) sink.error(locate(zone.origin, T.NS), `zone ${zname}: ${zname}/NS '${nameToText(target)}' ${problem}`);
  }
  for (const node of zone.nodes.values()) {
    for (const type of [T.MX, T.SRV]) {
      const set = node.rrsets.get(type);
      if (!set) continue;
      for (const rd of set.rdatas) {
        const target = targetName(rd, embeddedNames(type, rd)[0].offset);
        if (target.length === 1 || !isSubdomain(target, zone.origin)) continue;
        const tnode = zone.nodes.get(nameKey(target));
        const label = `${nameToText(node.name)}/${typeToText(type)} '${nameToText(target)}'`;
        const where = locate(node.name, type);
        if (tnode && tnode.rrsets.has(T.CNAME)) sink.warning(where, `zone ${zname}: ${label} is a CNAME (illegal)`);
        else if (!hasAddress(tnode) && !delegationAbove(zone, target)) sink.warning(where, `zone ${zname}: ${label} has no address records (A or AAAA)`);
      }
    }
  }
  checkCdsCdnskey(zone, sink, locate);
}

/**
 * Why an in-zone NS target cannot be resolved from the zone's own data, as BIND's
 * lookup for its address would find: below a DNAME, a CNAME, no addresses or no
 * name at all. Targets at or below a zone cut are referrals and pass.
 */
function nsTargetProblem(zone: Zone, target: Uint8Array): string | undefined {
  const apexKey = nameKey(zone.origin);
  const chain: Uint8Array[] = [];
  for (let n = target; ; n = parentName(n)) {
    chain.push(n);
    if (nameKey(n) === apexKey || n.length <= 1) break;
  }
  // From the apex down to the target's parent.
  for (let i = chain.length - 1; i >= 1; i--) {
    const node = zone.nodes.get(nameKey(chain[i]));
    if (!node) continue;
    if (node.rrsets.has(T.DNAME)) return 'is below a DNAME (illegal)';
    if (i < chain.length - 1 && node.rrsets.has(T.NS)) return undefined;
  }
  const tnode = zone.nodes.get(nameKey(target));
  if (tnode) {
    if (tnode.rrsets.has(T.NS) && nameKey(target) !== apexKey) return undefined;
    if (tnode.rrsets.has(T.CNAME)) return 'is a CNAME (illegal)';
    return hasAddress(tnode) ? undefined : 'has no address records (A or AAAA)';
  }
  // RFC 4592: a wildcard at the closest encloser may supply the address.
  for (let i = 1; i < chain.length; i++) {
    if (!zone.nodes.has(nameKey(chain[i]))) continue;
    const wild = zone.nodes.get(nameKey(prependLabel(Uint8Array.of(0x2a), chain[i])));
    return hasAddress(wild) ? undefined : 'has no address records (A or AAAA)';
  }
  return 'has no address records (A or AAAA)';
}

/**
 * RFC 7344 §4 / RFC 8078: CDS and CDNSKEY must use algorithms the apex DNSKEY set
 * has (the delete forms "0 0 0 00" and "0 3 0 AA==" excepted). BIND 9.18 compares
 * algorithms only, so a CDS whose digest matches no key still passes, and so here.
 */
function checkCdsCdnskey(zone: Zone, sink: DiagnosticSink, locate: Locator): void {
  const apex = zone.nodes.get(nameKey(zone.origin));
  if (!apex) return;
  const algs = new Set((apex.rrsets.get(T.DNSKEY)?.rdatas ?? []).map((k) => k[3]));
  const cds = apex.rrsets.get(T.CDS)?.rdatas ?? [];
  const cdnskey = apex.rrsets.get(T.CDNSKEY)?.rdatas ?? [];
  let ok = true;
  for (const rd of cds) {
    if (rd.length === 5 && rd[0] === 0 && rd[1] === 0 && rd[2] === 0 && rd[3] === 0) continue;
    if (!algs.has(rd[2])) ok = false;
  }
  for (const rd of cdnskey) {
    if (rd.length === 5 && rd[0] === 0 && rd[1] === 0 && rd[2] === 3 && rd[3] === 0) continue;
    if (!algs.has(rd[3])) ok = false;
  }
  if (!ok) sink.error(locate(zone.origin, cds.length ? T.CDS : T.CDNSKEY), `zone ${nameToText(zone.origin)}: CDS/CDNSKEY consistency checks failed`);
}

// ---- check-names (BIND's `check-names`; RFC 952/1123 host names) ---------------

function isBorder(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** RFC 952/1123 host name: letters, digits and inner hyphens; a leading `*` label when `wildcard`. */
export function isHostname(name: Uint8Array, wildcard: boolean): boolean {
  let i = 0;
  if (wildcard && name[0] === 1 && name[1] === 0x2a) i = 2;
  while (name[i] !== 0 && i < name.length) {
    const len = name[i];
    for (let j = 1; j <= len; j++) {
      const c = name[i + j];
      const edge = j === 1 || j === len;
      if (edge ? !isBorder(c) : !(isBorder(c) || c === 0x2d)) return false;
    }
    i += len + 1;
  }
  return true;
}

/** A mailbox name (SOA RNAME, RP): any printable first label, then a host name. */
export function isMailbox(name: Uint8Array): boolean {
  if (name[0] === 0) return true;
  for (let j = 1; j <= name[0]; j++) if (name[j] < 0x21 || name[j] > 0x7e) return false;
  return isHostname(name.subarray(name[0] + 1), false);
}

const REVERSE = ['in-addr.arpa.', 'ip6.arpa.', 'ip6.int.'].map((n) => nameKey(parseName(n)));

function nameAt(rdata: Uint8Array, offset: number): Uint8Array {
  return targetName(rdata, offset);
}

export interface NameProblem {
  /** The owner itself is not a valid host name for this type. */
  owner?: boolean;
  /** A name inside the RDATA that should be a host name or mailbox. */
  bad?: Uint8Array;
}

/** BIND's checkowner/checknames rules for class IN data. */
export function checkNames(owner: Uint8Array, type: number, rdata: Uint8Array): NameProblem | undefined {
  if (type === T.A || type === T.AAAA || type === T.A6 || type === T.WKS) {
    let name = owner;
    // Active Directory's gc._msdcs.<forest> is exempt (BIND keeps the same exception).
    const k = nameKey(owner);
    if (type === T.A && k.startsWith('\x02gc\x06_msdcs')) name = parentName(parentName(owner));
    if (!isHostname(name, true)) return { owner: true };
  }
  switch (type) {
    case T.NS: case T.MX: case T.SRV: case T.AFSDB: case T.RT: {
      const n = nameAt(rdata, embeddedNames(type, rdata)[0].offset);
      return isHostname(n, false) ? undefined : { bad: n };
    }
    case T.SOA: {
      const m = nameAt(rdata, 0);
      if (!isHostname(m, false)) return { bad: m };
      const r = nameAt(rdata, m.length);
      return isMailbox(r) ? undefined : { bad: r };
    }
    case T.RP: {
      const m = nameAt(rdata, 0);
      return isMailbox(m) ? undefined : { bad: m };
    }
    case T.MINFO: {
      const a = nameAt(rdata, 0);
      if (!isMailbox(a)) return { bad: a };
      const b = nameAt(rdata, a.length);
      return isMailbox(b) ? undefined : { bad: b };
    }
    case T.PTR: {
      const k = nameKey(owner);
      if (!REVERSE.some((r) => k.endsWith(r))) return undefined;
      const n = nameAt(rdata, 0);
      return isHostname(n, false) ? undefined : { bad: n };
    }
  }
  return undefined;
}
