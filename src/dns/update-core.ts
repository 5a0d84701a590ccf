// Dynamic update (RFC 2136) as decisions without sockets: the prerequisites
// (§2.4, §3.2), the update section's checks (§3.4.1), the permission of each
// change, and the changes themselves (§3.4.2) turned into one ZoneDiff with the
// next serial. What BIND 9.18 ignores quietly (an SOA added away from the apex,
// a CNAME beside other data, the last apex NS deleted…) is ignored here too,
// and the answer stays NOERROR.

import { isSubdomain, nameKey } from '../wire/dns-name.js';
import { T, type ResourceRecord } from '../wire/rr-type.js';
import { RCODE } from './message.js';
import { bytesEqual, type Zone } from './zone.js';
import { applyDiff, type ZoneDiff } from './zone-diff.js';
import { soaSerial } from './xfr-in.js';

export const CLASS_NONE = 254;
export const CLASS_ANY = 255;
export const TYPE_ANY = 255;
/** RFC 2136 rcodes beyond the query ones. */
export const UPDATE_RCODE = { YXDOMAIN: 6, YXRRSET: 7, NXRRSET: 8, NOTAUTH: 9, NOTZONE: 10 } as const;

/** A record of the prerequisite or update section, as decoded. */
export interface UpdateRR {
  name: Uint8Array;
  type: number;
  class: number;
  ttl: number;
  rdata: Uint8Array;
}

/** Types that are not data (RFC 6895 §3.1: QTYPEs and meta types 128–255). */
const isMeta = (type: number): boolean => type === 0 || (type >= 128 && type <= 255) || type === T.OPT;

/** Does `zone` hold any record at `name` (an empty non-terminal holds none)? */
const nameInUse = (zone: Zone, name: Uint8Array): boolean => (zone.nodes.get(nameKey(name))?.rrsets.size ?? 0) > 0;

/**
 * §3.2: the prerequisites, in order; the value-dependent ones (class of the zone)
 * are compared last as whole RRsets (§3.2.3). NOERROR when all hold.
 */
export function checkPrerequisites(zone: Zone, prereqs: readonly UpdateRR[]): number {
  const wanted = new Map<string, { name: Uint8Array; type: number; rdatas: Uint8Array[] }>();
  for (const rr of prereqs) {
    if (rr.ttl !== 0) return RCODE.FORMERR;
    if (!isSubdomain(rr.name, zone.origin)) return UPDATE_RCODE.NOTZONE;
    const node = zone.nodes.get(nameKey(rr.name));
    if (rr.class === CLASS_ANY) {
      if (rr.rdata.length !== 0) return RCODE.FORMERR;
      if (rr.type === TYPE_ANY) {
        if (!nameInUse(zone, rr.name)) return RCODE.NXDOMAIN;
      } else if (!node?.rrsets.has(rr.type)) return UPDATE_RCODE.NXRRSET;
    } else if (rr.class === CLASS_NONE) {
      if (rr.rdata.length !== 0) return RCODE.FORMERR;
      if (rr.type === TYPE_ANY) {
        if (nameInUse(zone, rr.name)) return UPDATE_RCODE.YXDOMAIN;
      } else if (node?.rrsets.has(rr.type)) return UPDATE_RCODE.YXRRSET;
    } else if (rr.class === zone.class) {
      if (isMeta(rr.type)) return RCODE.FORMERR;
      const key = `${nameKey(rr.name)}/${rr.type}`;
      const w = wanted.get(key) ?? { name: rr.name, type: rr.type, rdatas: [] };
      if (!w.rdatas.some((d) => bytesEqual(d, rr.rdata))) w.rdatas.push(rr.rdata);
      wanted.set(key, w);
    } else return RCODE.FORMERR;
  }
  for (const w of wanted.values()) {
    const have = zone.nodes.get(nameKey(w.name))?.rrsets.get(w.type)?.rdatas ?? [];
    if (have.length !== w.rdatas.length || !have.every((d) => w.rdatas.some((x) => bytesEqual(d, x)))) return UPDATE_RCODE.NXRRSET;
  }
  return RCODE.NOERROR;
}

/** §3.4.1: the update section's form (names in the zone, classes, TTLs, types). NOERROR when fit. */
export function prescanUpdates(zone: Zone, updates: readonly UpdateRR[]): number {
  for (const rr of updates) {
    if (!isSubdomain(rr.name, zone.origin)) return UPDATE_RCODE.NOTZONE;
    if (rr.class === zone.class) {
      if (isMeta(rr.type)) return RCODE.FORMERR;
    } else if (rr.class === CLASS_ANY) {
      if (rr.ttl !== 0 || rr.rdata.length !== 0 || (isMeta(rr.type) && rr.type !== TYPE_ANY)) return RCODE.FORMERR;
    } else if (rr.class === CLASS_NONE) {
      if (rr.ttl !== 0 || isMeta(rr.type)) return RCODE.FORMERR;
    } else return RCODE.FORMERR;
  }
  return RCODE.NOERROR;
}

/** Working copy of the RRsets an update touches, keyed `nameKey/type`. */
interface Work {
  name: Uint8Array;
  type: number;
  ttl: number;
  rdatas: Uint8Array[];
}

/** Types BIND keeps to one record (an add replaces the one there). */
const SINGLETON = new Set<number>([T.SOA, T.CNAME, 39 /* DNAME */]);
/** Types that may sit beside a CNAME (DNSSEC). */
const BESIDE_CNAME = new Set<number>([T.RRSIG, T.NSEC, T.NSEC3]);

/** The result of applying an update section: the difference (undefined: nothing changed). */
export interface UpdateResult {
  diff?: ZoneDiff;
}

/** The serial after `serial` as BIND's `serial-update-method increment` gives it (0 is skipped). */
export function nextSerial(serial: number): number {
  const n = (serial + 1) >>> 0;
  return n === 0 ? 1 : n;
}

const serialGreater = (a: number, b: number): boolean => a !== b && ((a - b) | 0) > 0;

/**
 * §3.4.2: the changes, in order, against the zone as the earlier ones left it; then
 * the difference, and the SOA serial moved on (unless the update set a higher one).
 */
export function applyUpdates(zone: Zone, updates: readonly UpdateRR[]): UpdateResult {
  const work = new Map<string, Work>();
  const apexKey = zone.originKey;
  const get = (name: Uint8Array, type: number): Work => {
    const key = `${nameKey(name)}/${type}`;
    let w = work.get(key);
    if (!w) {
      const set = zone.nodes.get(nameKey(name))?.rrsets.get(type);
      w = { name: set?.owner ?? name, type, ttl: set?.ttl ?? 0, rdatas: set ? [...set.rdatas] : [] };
      work.set(key, w);
    }
    return w;
  };
  /** Types with data at `name` now (the zone's, as changed so far). */
  const typesAt = (name: Uint8Array): number[] => {
    const nk = nameKey(name);
    const types = new Set<number>(zone.nodes.get(nk)?.rrsets.keys() ?? []);
    for (const [key, w] of work) {
      if (!key.startsWith(`${nk}/`)) continue;
      if (w.rdatas.length > 0) types.add(w.type);
      else types.delete(w.type);
    }
    return [...types];
  };
  let soaSerialSet = false;
  for (const rr of updates) {
    const atApex = nameKey(rr.name) === apexKey;
    if (rr.class === zone.class) {
      if (rr.type === T.SOA) {
        // An SOA away from the apex, or one that does not move the serial forward, is ignored.
        if (!atApex) continue;
        const cur = get(rr.name, T.SOA);
        if (cur.rdatas.length > 0 && !serialGreater(soaSerial(rr.rdata), soaSerial(cur.rdatas[0]))) continue;
        cur.rdatas = [rr.rdata];
        cur.ttl = rr.ttl;
        soaSerialSet = true;
        continue;
      }
      const others = typesAt(rr.name);
      if (rr.type === T.CNAME) {
        if (others.some((t) => t !== T.CNAME && !BESIDE_CNAME.has(t))) continue;
      } else if (!BESIDE_CNAME.has(rr.type) && others.includes(T.CNAME)) continue;
      const w = get(rr.name, rr.type);
      if (SINGLETON.has(rr.type)) w.rdatas = [rr.rdata];
      else if (!w.rdatas.some((d) => bytesEqual(d, rr.rdata))) w.rdatas.push(rr.rdata);
      // One TTL per RRset: the added record's applies to the whole set.
      w.ttl = rr.ttl;
    } else if (rr.class === CLASS_ANY) {
      if (rr.type === TYPE_ANY) {
        for (const t of typesAt(rr.name)) {
          if (atApex && (t === T.SOA || t === T.NS)) continue;
          get(rr.name, t).rdatas = [];
        }
      } else {
        if (rr.type === T.SOA || (atApex && rr.type === T.NS)) continue;
        get(rr.name, rr.type).rdatas = [];
      }
    } else if (rr.class === CLASS_NONE) {
      if (rr.type === T.SOA) continue;
      const w = get(rr.name, rr.type);
      const left = w.rdatas.filter((d) => !bytesEqual(d, rr.rdata));
      // The apex keeps at least one NS (§3.4.2.4).
      if (atApex && rr.type === T.NS && left.length === 0) continue;
      w.rdatas = left;
    }
  }
  const deletions: ResourceRecord[] = [];
  const additions: ResourceRecord[] = [];
  for (const w of work.values()) {
    const set = zone.nodes.get(nameKey(w.name))?.rrsets.get(w.type);
    const old = set?.rdatas ?? [];
    const ttlChanged = set !== undefined && w.rdatas.length > 0 && set.ttl !== w.ttl;
    for (const d of old) {
      if (w.type === T.SOA) continue; // the SOA moves through `serial` below
      if (ttlChanged || !w.rdatas.some((x) => bytesEqual(x, d))) deletions.push({ owner: set?.owner ?? w.name, type: w.type, class: zone.class, ttl: set?.ttl ?? 0, rdata: d });
    }
    for (const d of w.rdatas) {
      if (w.type === T.SOA) continue;
      if (ttlChanged || !old.some((x) => bytesEqual(x, d))) additions.push({ owner: w.name, type: w.type, class: zone.class, ttl: w.ttl, rdata: d });
    }
  }
  const soaWork = work.get(`${apexKey}/${T.SOA}`);
  const oldSoa = zone.apex?.rrsets.get(T.SOA);
  if (deletions.length === 0 && additions.length === 0 && !soaSerialSet) return {};
  if (soaSerialSet && soaWork && oldSoa) {
    // The SOA as the update wrote it (other fields too), its serial as given.
    deletions.push({ owner: oldSoa.owner, type: T.SOA, class: zone.class, ttl: oldSoa.ttl, rdata: oldSoa.rdatas[0] });
    additions.push({ owner: oldSoa.owner, type: T.SOA, class: zone.class, ttl: soaWork.ttl, rdata: soaWork.rdatas[0] });
    return { diff: { deletions, additions, serial: soaSerial(soaWork.rdatas[0]) } };
  }
  return { diff: { deletions, additions, serial: nextSerial(zone.serial) } };
}

/** Who may change what: allow-update as a whole, update-policy per change. */
export type UpdatePermission =
  /** allow-update: the request as a whole. */
  | { kind: 'acl'; allowed: boolean }
  /** update-policy: each change by the rules; `signer` is the verified TSIG key name. */
  | { kind: 'policy'; allows: (rr: UpdateRR) => boolean; signer?: string; tcp: boolean };

/** The whole decision for one UPDATE against the zone's current version: the rcode and, if anything changed, the difference. */
export function decideUpdate(zone: Zone, prereqs: readonly UpdateRR[], updates: readonly UpdateRR[], perm: UpdatePermission): { rcode: number; diff?: ZoneDiff; refused?: boolean } {
  // BIND checks allow-update (and, with update-policy, that an update over UDP is signed)
  // before the prerequisites, though RFC 2136 §3.3 lists permissions after them.
  if (perm.kind === 'acl' && !perm.allowed) return { rcode: RCODE.REFUSED, refused: true };
  if (perm.kind === 'policy' && perm.signer === undefined && !perm.tcp) return { rcode: RCODE.REFUSED, refused: true };
  const pre = checkPrerequisites(zone, prereqs);
  if (pre !== RCODE.NOERROR) return { rcode: pre };
  const form = prescanUpdates(zone, updates);
  if (form !== RCODE.NOERROR) return { rcode: form };
  if (perm.kind === 'policy' && !updates.every((rr) => policyAllows(zone, rr, perm.allows))) return { rcode: RCODE.REFUSED, refused: true };
  const { diff } = applyUpdates(zone, updates);
  if (diff && updates.some((rr) => rr.type === T.MX)) {
    let next: Zone | undefined;
    try {
      next = applyDiff(zone, diff);
    } catch {
      next = undefined; // the caller reports a difference that does not fit
    }
    if (next && !mxTargetsHaveAddresses(next, updates)) return { rcode: RCODE.REFUSED };
  }
  return diff ? { rcode: RCODE.NOERROR, diff } : { rcode: RCODE.NOERROR };
}

/**
 * One change against update-policy. Deleting every RRset at a name (class ANY, type
 * ANY) is checked, as BIND checks it, for each type the name holds.
 */
function policyAllows(zone: Zone, rr: UpdateRR, allows: (rr: UpdateRR) => boolean): boolean {
  if (rr.class !== CLASS_ANY || rr.type !== TYPE_ANY) return allows(rr);
  const types = [...(zone.nodes.get(nameKey(rr.name))?.rrsets.keys() ?? [])];
  return types.every((type) => allows({ ...rr, type }));
}

/**
 * BIND's check-integrity for an update: an MX added with a target inside the zone
 * that has no address record (in the zone as the update leaves it) refuses the update.
 */
function mxTargetsHaveAddresses(zone: Zone, updates: readonly UpdateRR[]): boolean {
  for (const rr of updates) {
    if (rr.class !== zone.class || rr.type !== T.MX || rr.rdata.length < 3) continue;
    const target = rr.rdata.subarray(2);
    if (!isSubdomain(target, zone.origin)) continue;
    const sets = zone.nodes.get(nameKey(target))?.rrsets;
    if (!sets?.has(T.A) && !sets?.has(T.AAAA)) return false;
  }
  return true;
}
