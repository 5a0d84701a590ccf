// What an upstream answer means for the question we asked, and which of its
// records may be believed (pure; the resolver does the asking).
//
// Bailiwick (RFC 5452 §6, the "scrubbing" Unbound and BIND do): a server asked
// about zone `cut` is believed only about names at or below `cut`. Of the answer
// section we keep only the chain that starts at the question name (CNAMEs, then
// the data); of the authority section only an SOA or NS owned by an ancestor of
// the question name inside the bailiwick; of the additional section only
// addresses of the referral's name servers inside the bailiwick (glue). Every
// other record is dropped, so an answer can never plant data about unrelated names.
// Sloppy answers are judged as BIND 9.18 judges them (measured side by side in
// test/dns/resolver-sloppy.peer.test.ts): a CNAME chain that stops short is
// followed whatever the authority section says; a referral is a referral even
// with AA set; an answer section that answers nothing, an SOA of another zone or
// NS records that lead nowhere make the server unusable for this question.

import { isSubdomain, nameKey, labelCount } from '../wire/dns-name.js';
import { RCODE, FLAG_AA, type DecodedMessage, type DecodedRR } from './message.js';
import { T } from '../wire/rr-type.js';
import type { SectionRRset } from './authority.js';

export type Outcome =
  /** The data asked for, with the CNAMEs that led to it. */
  | { kind: 'answer'; rrsets: SectionRRset[]; aa: boolean }
  /** A CNAME chain that leaves this server's answer: resume at `next`. */
  | { kind: 'cname'; rrsets: SectionRRset[]; next: Uint8Array; aa: boolean }
  /** NXDOMAIN or NODATA for `name` (the end of any CNAME chain), proved by `soa` when given (RFC 2308). */
  | { kind: 'nxdomain' | 'nodata'; rrsets: SectionRRset[]; name: Uint8Array; soa?: SectionRRset }
  /** A delegation closer to the name: ask the servers of `zone` next. */
  | { kind: 'referral'; zone: Uint8Array; ns: SectionRRset; glue: SectionRRset[] }
  /** Nothing usable (SERVFAIL, REFUSED, lame, malformed): try another server. */
  | { kind: 'fail'; reason: string };

/** Groups records into RRsets (same owner, type, class); the lowest TTL wins (RFC 2181 §5.2). */
function toRRsets(rrs: DecodedRR[]): SectionRRset[] {
  const out = new Map<string, SectionRRset>();
  for (const r of rrs) {
    if (r.type === T.OPT) continue;
    const k = `${nameKey(r.name)}|${r.type}|${r.class}`;
    const s = out.get(k);
    if (!s) out.set(k, { owner: r.name, type: r.type, class: r.class, ttl: r.ttl, rdatas: [r.rdata] });
    else {
      s.ttl = Math.min(s.ttl, r.ttl);
      if (!s.rdatas.some((d) => Buffer.compare(Buffer.from(d), Buffer.from(r.rdata)) === 0)) s.rdatas.push(r.rdata);
    }
  }
  return [...out.values()];
}

/** The name a CNAME points to (its RDATA is an uncompressed name after decodeMessage). */
export function cnameTarget(set: SectionRRset): Uint8Array {
  return set.rdatas[0];
}

/**
 * Classifies an answer from a server of zone `cut` to the question (qname, qtype).
 * What a server says is believed only inside its bailiwick, and only in the section
 * where it means something (RFC 2181 §5.4.1): the answer section for the chain,
 * the authority section for an SOA proving a negative or an NS set for a referral.
 * The AA bit decides nothing on its own: servers set it wrongly both ways.
 */
export function classify(m: DecodedMessage, qname: Uint8Array, qtype: number, cut: Uint8Array): Outcome {
  if (m.rcode !== RCODE.NOERROR && m.rcode !== RCODE.NXDOMAIN) return { kind: 'fail', reason: `rcode ${m.rcode}` };
  const aa = (m.flags & FLAG_AA) !== 0;
  const inBailiwick = (n: Uint8Array): boolean => isSubdomain(n, cut);
  const answers = toRRsets(m.answers).filter((s) => inBailiwick(s.owner));
  const chain: SectionRRset[] = [];
  let name = qname;
  const seen = new Set<string>();
  for (let hops = 0; hops < 16; hops++) {
    const k = nameKey(name);
    if (seen.has(k)) return { kind: 'fail', reason: 'CNAME loop' };
    seen.add(k);
    const data = answers.filter((s) => nameKey(s.owner) === k && (s.type === qtype || qtype === T.ANY) && s.type !== T.RRSIG);
    if (data.length > 0) {
      chain.push(...data);
      return { kind: 'answer', rrsets: chain, aa };
    }
    const cname = answers.find((s) => nameKey(s.owner) === k && s.type === T.CNAME);
    if (!cname || qtype === T.CNAME) break;
    chain.push(cname);
    name = cnameTarget(cname);
  }
  // An answer section with records of which none answers the question is a broken
  // answer, not a negative one (BIND treats it as FORMERR and asks elsewhere).
  if (chain.length === 0 && m.rcode === RCODE.NOERROR && m.answers.some((r) => r.type !== T.OPT)) {
    return { kind: 'fail', reason: 'answer section does not answer the question' };
  }
  // The SOA that proves a negative answer must own an ancestor of the name (RFC 2308 §2.1).
  const auth = toRRsets(m.authorities).filter((s) => inBailiwick(s.owner) && isSubdomain(name, s.owner));
  const soa = auth.find((s) => s.type === T.SOA);
  if (chain.length > 0) {
    // A chain that stops short of the data: the server's word on the last name
    // counts only for NXDOMAIN inside its bailiwick (RFC 6604); otherwise the chain
    // is followed from the top, as BIND does, whatever the authority section
    // claims (an SOA beside a CNAME is no proof that the target has no data).
    if (m.rcode === RCODE.NXDOMAIN && inBailiwick(name)) return { kind: 'nxdomain', rrsets: chain, name, soa };
    return { kind: 'cname', rrsets: chain, next: name, aa };
  }
  // An empty answer. NXDOMAIN is taken as it comes (the SOA only when it proves it).
  if (m.rcode === RCODE.NXDOMAIN) return { kind: 'nxdomain', rrsets: chain, name, soa };
  if (soa) return { kind: 'nodata', rrsets: chain, name, soa };
  if (m.authorities.some((r) => r.type === T.SOA)) return { kind: 'fail', reason: 'SOA of another zone' };
  // A referral: NS for a zone between the bailiwick and the name, strictly below the
  // bailiwick. Taken as a referral even with AA set (some servers set it on referrals).
  const ns = auth.find((s) => s.type === T.NS && labelCount(s.owner) > labelCount(cut));
  if (ns) {
    const targets = new Set(ns.rdatas.map((d) => nameKey(d)));
    const glue = toRRsets(m.additionals).filter(
      (s) => (s.type === T.A || s.type === T.AAAA) && targets.has(nameKey(s.owner)) && inBailiwick(s.owner),
    );
    return { kind: 'referral', zone: ns.owner, ns, glue };
  }
  // Any other NS (the zone's own, one above it, one off the path) makes the server
  // lame for this name; BIND then asks another server.
  if (m.authorities.some((r) => r.type === T.NS)) return { kind: 'fail', reason: 'lame: NS but no referral' };
  // Nothing at all: NODATA, with AA or without (as BIND takes it); not cached without an SOA.
  return { kind: 'nodata', rrsets: chain, name, soa };
}
