// The authoritative answer engine: a pure function from (zone, question) to the
// sections of the response, following RFC 1034 §4.3.2, RFC 2181, 2308, 4592 and
// 6672 the way BIND 9.18 applies them with `recursion no`. Facts observed on
// BIND 9.18.49 that shape this code (see test/dns/bind-compare.peer.test.ts):
//  - minimal-responses defaults to no-auth-recursive: when the query has RD set
//    the zone's NS RRset is left out of positive answers (and so are its
//    addresses); without RD it goes into authority with in-zone addresses.
//  - CNAME and DNAME chains are followed only inside the zone where the chase
//    started; a chain that leaves the zone ends the answer with no authority.
//  - a chain longer than the restart limit, or a loop, ends in SERVFAIL with the
//    records found so far (each RRset once) and EDE 0 "max. restarts reached".
//  - additional-section processing (A and AAAA of NS/MX/SRV targets) looks only
//    in the same zone; ANY gets none; a referral gets only glue (below the cut).
//  - a name synthesized from a wildcard is written in lower case.

import { nameKey, parentName, prependLabel, MAX_NAME } from '../wire/dns-name.js';
import { additionalTarget, T } from '../wire/rr-type.js';
import type { RRset, Zone, ZoneNode } from './zone.js';

/** One RRset as it goes into a section (owner may be synthesized, TTL may be adjusted). */
export interface SectionRRset {
  owner: Uint8Array;
  type: number;
  class: number;
  ttl: number;
  rdatas: Uint8Array[];
}

export interface AuthorityAnswer {
  rcode: number;
  aa: boolean;
  answer: SectionRRset[];
  authority: SectionRRset[];
  additional: SectionRRset[];
  /** Extended DNS error to attach when the client sent EDNS (RFC 8914). */
  ede?: { code: number; text: string };
}

export interface AnswerOptions {
  /**
   * Leave the zone's NS out of positive answers. BIND's minimal-responses: `no-auth`
   * and `yes` always, `no-auth-recursive` (the 9.18 default) when RD is set, `no` never.
   */
  minimal: boolean;
  /** minimal-responses yes: no addresses for MX/SRV targets either (an NS answer keeps its glue). */
  noAdditional?: boolean;
}

/** BIND 9.18 gives up a CNAME/DNAME chase after this many restarts (MAX_RESTARTS in query.c). */
export const MAX_RESTARTS = 11;

const NOERROR = 0;
const SERVFAIL = 2;
const NXDOMAIN = 3;
const YXDOMAIN = 6;

function toSection(set: RRset, owner: Uint8Array = set.owner): SectionRRset {
  return { owner, type: set.type, class: set.class, ttl: set.ttl, rdatas: set.rdatas };
}

function lowerName(name: Uint8Array): Uint8Array {
  const out = Uint8Array.from(name);
  let i = 0;
  while (out[i] !== 0 && i < out.length) {
    const len = out[i];
    for (let j = i + 1; j <= i + len; j++) if (out[j] >= 0x41 && out[j] <= 0x5a) out[j] += 32;
    i += len + 1;
  }
  return out;
}

/** Names from the zone origin (exclusive) down to `name` (inclusive), shortest first. */
function ancestorsBelowOrigin(name: Uint8Array, originLabels: number): Uint8Array[] {
  const chain: Uint8Array[] = [];
  for (let n = name; n.length > 1; n = parentName(n)) chain.push(n);
  // chain: name, parent, …, TLD; keep those strictly below the origin.
  chain.length = Math.max(0, chain.length - originLabels);
  return chain.reverse();
}

/** Replaces the `suffixLen`-octet suffix of `name` (the DNAME owner) by `target` (RFC 6672 §2.2). */
function substitute(name: Uint8Array, ownerLen: number, target: Uint8Array): Uint8Array | undefined {
  const prefixLen = name.length - ownerLen;
  if (prefixLen + target.length > MAX_NAME) return undefined;
  const out = new Uint8Array(prefixLen + target.length);
  out.set(name.subarray(0, prefixLen));
  out.set(target, prefixLen);
  return out;
}

class Builder {
  readonly answer: SectionRRset[] = [];
  readonly authority: SectionRRset[] = [];
  readonly additional: SectionRRset[] = [];
  private readonly seen = new Set<string>();
  private readonly seenAdditional = new Set<string>();

  /** Adds an RRset to the answer once (BIND never repeats an RRset in a section). */
  addAnswer(s: SectionRRset): void {
    const k = nameKey(s.owner) + '/' + s.type;
    if (this.seen.has(k)) return;
    this.seen.add(k);
    this.answer.push(s);
  }

  /** A and AAAA of `target` when it lives in `zone`, unless already in the answer (BIND never repeats an RRset). */
  addAddresses(zone: Zone, target: Uint8Array): void {
    const key = nameKey(target);
    if (this.seenAdditional.has(key)) return;
    this.seenAdditional.add(key);
    const node = zone.nodes.get(key);
    if (!node) return;
    for (const t of [T.A, T.AAAA]) {
      const set = node.rrsets.get(t);
      if (set && !this.seen.has(key + '/' + t)) this.additional.push(toSection(set, node.name));
    }
  }

  additionalFor(zone: Zone, sets: SectionRRset[]): void {
    for (const s of sets) {
      for (const rd of s.rdatas) {
        const off = additionalTarget(s.type, rd);
        if (off === undefined) continue;
        this.addAddresses(zone, rd.subarray(off));
      }
    }
  }
}

/**
 * Answers `qname`/`qtype` from `zone`, the closest enclosing zone of qname
 * (found with ZoneTable). Class checks and ACLs are the caller's job.
 */
export function answerFromZone(zone: Zone, qname: Uint8Array, qtype: number, opts: AnswerOptions): AuthorityAnswer {
  const b = new Builder();
  // Per-version facts (zone.ts), not recomputed per answer.
  const { originKey, originLabels, apex } = zone;
  const done = (rcode: number, aa: boolean, ede?: AuthorityAnswer['ede']): AuthorityAnswer =>
    ({ rcode, aa, answer: b.answer, authority: b.authority, additional: b.additional, ede });
  const negative = (rcode: number): AuthorityAnswer => {
    // TTL = min(SOA TTL, MINIMUM) (RFC 2308 §3), computed when the zone version was made.
    const soa = zone.negativeSoa;
    // BIND's zero-no-soa-ttl (default yes): NXDOMAIN for an SOA question carries the SOA
    // with TTL 0 (measured: NODATA keeps the negative TTL), so no one caches it as an answer.
    if (soa) b.authority.push(qtype === T.SOA && rcode === NXDOMAIN ? { ...soa, ttl: 0 } : soa);
    return done(rcode, true);
  };
  const positive = (atCut = false): AuthorityAnswer => {
    if (qtype !== T.ANY) b.additionalFor(zone, opts.noAdditional ? b.answer.filter((x) => x.type === T.NS) : b.answer);
    // The DS RRset at a cut is answered from the parent without the parent's NS (BIND).
    if (!opts.minimal && !atCut) {
      const ns = apex?.rrsets.get(T.NS);
      const nsInAnswer = b.answer.some((s) => s.type === T.NS && nameKey(s.owner) === originKey);
      if (ns && !nsInAnswer) {
        const set = toSection(ns, apex!.name);
        b.authority.push(set);
        if (qtype !== T.ANY) b.additionalFor(zone, [set]);
      }
    }
    return done(NOERROR, true);
  };
  /** Follows a CNAME/DNAME target: inside the zone the chase goes on; outside it the answer ends here. */
  const inZone = (target: Uint8Array): boolean => {
    const k = nameKey(target);
    return k.length >= originKey.length && k.endsWith(originKey) && isLabelBoundary(k, k.length - originKey.length);
  };

  let name = qname;
  for (let restarts = 0; ; restarts++) {
    if (restarts > MAX_RESTARTS) return done(SERVFAIL, true, { code: 0, text: 'max. restarts reached' });
    // Step 3b/3c of RFC 1034 §4.3.2: walk down from the origin looking for a cut or a DNAME.
    let cut: ZoneNode | undefined;
    let dname: { node: ZoneNode; set: RRset } | undefined;
    let closest: ZoneNode | undefined = apex;
    let missing = false;
    if (apex) {
      const dn = apex.rrsets.get(T.DNAME);
      if (dn && nameKey(name) !== originKey) dname = { node: apex, set: dn };
    }
    if (!dname) {
      for (const anc of ancestorsBelowOrigin(name, originLabels)) {
        const node = zone.nodes.get(nameKey(anc));
        if (!node) {
          missing = true;
          break;
        }
        closest = node;
        const isTarget = anc.length === name.length;
        // DS at the cut belongs to the parent (RFC 4035 §3.1.4.1).
        if (node.rrsets.has(T.NS) && !(isTarget && qtype === T.DS)) {
          cut = node;
          break;
        }
        if (!isTarget) {
          const dn = node.rrsets.get(T.DNAME);
          if (dn) {
            dname = { node, set: dn };
            break;
          }
        }
      }
    }
    if (cut) {
      // Referral (RFC 1034 §4.3.2 step 3b): child NS in authority, glue in additional, no AA.
      const ns = toSection(cut.rrsets.get(T.NS)!, cut.name);
      b.authority.push(ns);
      // Only glue (targets at or below the cut); BIND adds no other in-zone addresses to a referral.
      const cutKey = nameKey(cut.name);
      for (const rd of ns.rdatas) {
        const k = nameKey(rd);
        if (k.endsWith(cutKey) && isLabelBoundary(k, k.length - cutKey.length)) b.addAddresses(zone, rd);
      }
      return done(NOERROR, b.answer.length > 0);
    }
    if (dname) {
      // RFC 6672 §3.1: the DNAME, then a synthesized CNAME with the DNAME's TTL.
      b.addAnswer(toSection(dname.set, dname.node.name));
      const target = substitute(name, dname.node.name.length, dname.set.rdatas[0]);
      if (!target) return done(YXDOMAIN, true);
      b.addAnswer({ owner: name, type: T.CNAME, class: dname.set.class, ttl: dname.set.ttl, rdatas: [target] });
      if (!inZone(target)) return done(NOERROR, true);
      name = target;
      continue;
    }
    let node: ZoneNode | undefined;
    let owner: Uint8Array;
    if (!missing && closest && closest.name.length === name.length && nameKey(closest.name) === nameKey(name)) {
      node = closest;
      owner = node.name;
    } else if (nameKey(name) === originKey && apex) {
      node = apex;
      owner = apex.name;
    } else {
      // RFC 4592 §3.3.1: the source of synthesis is `*` under the closest encloser.
      const ce = closest ?? apex;
      const wild = ce ? zone.nodes.get(nameKey(prependLabel(Uint8Array.of(0x2a), ce.name))) : undefined;
      if (!wild) return negative(NXDOMAIN);
      node = wild;
      owner = lowerName(name);
    }
    // BIND's built-in empty zones synthesize their apex records at the name asked.
    if (zone.atQueryName && node === apex) owner = name;
    if (qtype === T.ANY) {
      if (node.rrsets.size === 0) return negative(NOERROR);
      for (const set of node.rrsets.values()) b.addAnswer(toSection(set, owner));
      return positive();
    }
    const set = node.rrsets.get(qtype);
    if (set) {
      b.addAnswer(toSection(set, owner));
      return positive(node !== apex && node.rrsets.has(T.NS));
    }
    const cname = node.rrsets.get(T.CNAME);
    if (cname) {
      const before = b.answer.length;
      b.addAnswer(toSection(cname, owner));
      const target = cname.rdatas[0];
      if (!inZone(target)) return done(NOERROR, true);
      if (b.answer.length === before) {
        // Loop: BIND restarts until its limit, adding nothing new.
        return done(SERVFAIL, true, { code: 0, text: 'max. restarts reached' });
      }
      name = target;
      continue;
    }
    return negative(NOERROR);
  }
}

function isLabelBoundary(key: string, at: number): boolean {
  let i = 0;
  while (i < at) i += key.charCodeAt(i) + 1;
  return i === at;
}
