// The caching resolver: answers a question from the cache, else from the
// forwarders that apply to the name (forwarding.ts), else by iterative
// resolution from the root hints (RFC 1034 §5.3.3), following referrals and
// CNAME chains across zones. Identical questions in flight share one upstream
// query (coalesce.ts). When every upstream fails, expired data may be served
// (serve-stale, RFC 8767). The transport is injected so tests can run it
// without sockets; production uses upstream.ts.
//
// One Resolver (and so one cache) per process: with DNS cluster workers each
// worker has its own cache (documented in README "Caching resolver").

import { RRCache, RANK, type CacheOptions, type Lookup } from './cache.js';
import { InFlight } from './coalesce.js';
import { forwardRuleFor, type ForwardPolicy } from './forwarding.js';
import { classify, cnameTarget, type Outcome } from './iterator.js';
import { RCODE, type DecodedMessage, type Question } from './message.js';
import { isSubdomain, nameKey, parentName } from '../wire/dns-name.js';
import { builtinRootHints, type RootHints } from './root-hints.js';
import { T } from '../wire/rr-type.js';
import { ipv4ToText } from '../wire/ipv4.js';
import { newUpstreamCounters, queryServer, RttTable, UpstreamTimeout, type UpstreamCounters, type UpstreamServer } from './upstream.js';
import type { SectionRRset } from './authority.js';
import { RecursionCaps, type CapCounters, type CapLimits } from './recursion-caps.js';

export type Transport = (server: UpstreamServer, q: Question, rd: boolean) => Promise<DecodedMessage>;

export interface ResolverOptions {
  forward: ForwardPolicy;
  hints?: RootHints;
  cache?: CacheOptions;
  /** serve-stale (BIND stale-answer-enable). */
  serveStale?: boolean;
  /** Per-try upstream timeout (ms). */
  timeoutMs?: number;
  /** Rounds over a server list before giving up (BIND retries about 3 times). */
  tries?: number;
  /** Port used for iterative queries to delegated servers (53). */
  iterativePort?: number;
  /** Replaces the socket transport (tests). */
  transport?: Transport;
  /** recursive-clients, clients-per-query, fetches-per-zone (recursion-caps.ts); BIND's defaults when absent. */
  limits?: CapLimits;
}

export interface Resolution {
  rcode: number;
  answer: SectionRRset[];
  authority: SectionRRset[];
  /** Some data came from expired cache entries (RFC 8767). */
  stale: boolean;
  /** No answer at all: a cap on recursion says drop (clients-per-query, fetches-per-zone drop). */
  drop?: boolean;
  /**
   * Answers from the cache (fromCache): when each RRset of answer, then authority,
   * stops being fresh (ms clock; its TTL counts down to it, rounded up), and the
   * earliest time any cache entry the answer rests on does (a negative entry included).
   */
  expires?: number[];
  until?: number;
  /** fromCache: what the answer was made from, for stillCached. */
  proof?: CacheProof;
}

/** The cache lookups an answer from the cache was made from (cache.ts Lookup), and whether the first found its name (counted a hit, else a miss). */
export interface CacheProof {
  readonly lookups: readonly Lookup[];
  readonly firstHit: boolean;
}

export interface ResolverStats {
  resolutions: number;
  servfail: number;
  staleAnswers: number;
  coalesced: number;
  /** recursive-clients, clients-per-query and fetches-per-zone counters. */
  caps: CapCounters;
  upstream: UpstreamCounters;
  cache: { hits: number; misses: number; entries: number; bytes: number; maxBytes: number };
}

/** RFC 1034 §5.3.3 leaves limits to implementations; BIND's: 11 CNAME restarts, bounded referral depth. */
const MAX_RESTARTS = 11;
const MAX_REFERRALS = 24;
const MAX_DEPTH = 4;

class ResolveFailure extends Error {}
/** A cap on recursion stops this query: dropped, or SERVFAIL ('fail'). */
class CapExceeded extends Error {
  constructor(readonly response: 'drop' | 'fail') {
    super(`recursion cap: ${response}`);
  }
}

export class Resolver {
  readonly cache: RRCache;
  readonly counters = newUpstreamCounters();
  private readonly rtt = new RttTable();
  private readonly inflight = new InFlight<Outcome>();
  private hints: RootHints;
  private readonly transport: Transport;
  private readonly timeoutMs: number;
  private readonly tries: number;
  private readonly port: number;
  private forward: ForwardPolicy;
  private serveStale: boolean;
  private readonly st = { resolutions: 0, servfail: 0, staleAnswers: 0 };
  readonly caps: RecursionCaps;

  constructor(opts: ResolverOptions) {
    this.cache = new RRCache(opts.cache);
    this.forward = opts.forward;
    this.hints = opts.hints ?? builtinRootHints();
    this.serveStale = opts.serveStale ?? false;
    this.timeoutMs = opts.timeoutMs ?? 1500;
    this.tries = opts.tries ?? 2;
    this.port = opts.iterativePort ?? 53;
    this.caps = new RecursionCaps(opts.limits);
    this.transport = opts.transport ?? ((s, q, rd) => queryServer(s, q, { recursionDesired: rd, timeoutMs: this.timeoutMs, counters: this.counters }));
  }

  /** Takes a new configuration on reload while keeping the cache (as `rndc reconfig`). */
  reconfigure(forward: ForwardPolicy, serveStale: boolean, hints?: RootHints, limits?: CapLimits): void {
    if (limits) this.caps.limits = limits;
    this.forward = forward;
    this.serveStale = serveStale;
    this.hints = hints ?? builtinRootHints();
  }

  stats(): ResolverStats {
    return {
      ...this.st,
      coalesced: this.inflight.joined,
      caps: { ...this.caps.counters },
      upstream: { ...this.counters },
      cache: { hits: this.cache.stats.hits, misses: this.cache.stats.misses, entries: this.cache.size, bytes: this.cache.calculatedSize, maxBytes: this.cache.maxSize },
    };
  }

  /** Answers from the cache alone (RD=0 queries); undefined when the cache cannot. */
  fromCache(q: Question): Resolution | undefined {
    const proof = { lookups: [] as Lookup[], firstHit: false };
    const r = this.walkCache(q, false, proof);
    if (!r || 'miss' in r) return undefined;
    // An exact-size copy: the proof may live as long as a response cache entry.
    r.proof = { lookups: proof.lookups.slice(), firstHit: proof.firstHit };
    return r;
  }

  /**
   * Whether the cache still holds, fresh, exactly the entries an answer from fromCache
   * was made of (its proof): the same lookups find the same entries, touching them as a
   * lookup does. When it does, the lookup is counted as fromCache would count it (a
   * hit, or for a CNAME chain a miss), so an answer reused in its place counts the
   * same; when it does not, nothing is counted. Allocates nothing.
   */
  stillCached(proof: CacheProof): boolean {
    if (!this.cache.same(proof.lookups)) return false;
    this.cache.count(proof.firstHit);
    return true;
  }

  /**
   * The closest delegation the cache holds for `name` (its NS RRset and the cached
   * addresses of those servers): what BIND answers a non-recursive query with when
   * the cache has no answer. Undefined when not even the root's NS is cached.
   */
  delegationFromCache(name: Uint8Array, cls: number): { ns: SectionRRset; glue: SectionRRset[] } | undefined {
    for (let cut = name; ; cut = parentName(cut)) {
      const hit = this.cache.get(cut, T.NS, cls, { count: false });
      if (hit && hit.kind === 'rrset') {
        const glue: SectionRRset[] = [];
        for (const n of hit.set.rdatas) {
          for (const type of [T.A, T.AAAA]) {
            const g = this.cache.get(n, type, cls, { count: false });
            if (g && g.kind === 'rrset') glue.push(g.set);
          }
        }
        return { ns: hit.set, glue };
      }
      if (cut.length === 1) return undefined;
    }
  }

  /** Resolves a question; never rejects (failures become SERVFAIL). */
  async resolve(q: Question): Promise<Resolution> {
    this.st.resolutions++;
    const servfail = (): Resolution => ({ rcode: RCODE.SERVFAIL, answer: [], authority: [], stale: false });
    // recursive-clients: over the cap SERVFAIL at once; past the soft quota the oldest
    // query in progress is aborted with SERVFAIL (its fetch goes on and fills the cache).
    let abort!: () => void;
    const aborted = new Promise<Resolution>((resolve) => (abort = () => {
      this.st.servfail++;
      resolve(servfail());
    }));
    const id = this.caps.admitClient(abort);
    if (id === undefined) {
      this.st.servfail++;
      return servfail();
    }
    try {
      const r = await Promise.race([this.resolveAdmitted(q), aborted]);
      return r;
    } finally {
      this.caps.releaseClient(id);
    }
  }

  private async resolveAdmitted(q: Question): Promise<Resolution> {
    try {
      const r = await this.resolveInner(q);
      if (r.rcode === RCODE.SERVFAIL) this.st.servfail++;
      return r;
    } catch (err) {
      if (err instanceof CapExceeded) {
        if (err.response === 'drop') return { rcode: RCODE.SERVFAIL, answer: [], authority: [], stale: false, drop: true };
        this.st.servfail++;
        return { rcode: RCODE.SERVFAIL, answer: [], authority: [], stale: false };
      }
      // Every upstream failed: RFC 8767 §5 allows expired data instead of SERVFAIL.
      if (this.serveStale) {
        const stale = this.walkCache(q, true);
        if (stale && !('miss' in stale)) {
          this.st.staleAnswers++;
          return { ...stale, stale: true };
        }
      }
      this.st.servfail++;
      return { rcode: RCODE.SERVFAIL, answer: [], authority: [], stale: false };
    }
  }

  /**
   * Follows the question through the cache: data, CNAMEs, negative entries.
   * Returns the answer, or where the walk stopped (`miss` with the chain so far).
   */
  private walkCache(q: Question, stale: boolean, proof?: { lookups: Lookup[]; firstHit: boolean }): Resolution | { miss: Uint8Array; chain: SectionRRset[] } | undefined {
    const chain: SectionRRset[] = [];
    const expires: number[] = [];
    let until = Infinity;
    let name = q.name;
    let counted = false;
    const trace = proof?.lookups;
    for (let i = 0; i <= MAX_RESTARTS; i++) {
      const hit = this.cache.get(name, q.type, q.class, { stale, count: !counted, minRank: RANK.ANSWER, trace });
      counted = true;
      if (hit) {
        until = Math.min(until, hit.expires);
        // The first lookup is the one counted: a hit unless a CNAME led elsewhere.
        if (proof) proof.firstHit = i === 0;
        if (hit.kind === 'rrset') {
          expires.push(hit.expires);
          return { rcode: RCODE.NOERROR, answer: [...chain, hit.set], authority: [], stale: hit.stale, expires, until };
        }
        if (hit.soa) expires.push(hit.expires);
        return { rcode: hit.kind === 'nxdomain' ? RCODE.NXDOMAIN : RCODE.NOERROR, answer: chain, authority: hit.soa ? [hit.soa] : [], stale: hit.stale, expires, until };
      }
      if (q.type === T.CNAME) return { miss: name, chain };
      const c = this.cache.get(name, T.CNAME, q.class, { stale, count: false, minRank: RANK.ANSWER, trace });
      if (!c || c.kind !== 'rrset') return { miss: name, chain };
      chain.push(c.set);
      expires.push(c.expires);
      until = Math.min(until, c.expires);
      name = cnameTarget(c.set);
    }
    return { rcode: RCODE.SERVFAIL, answer: chain, authority: [], stale: false };
  }

  private async resolveInner(q: Question): Promise<Resolution> {
    const chain: SectionRRset[] = [];
    let name = q.name;
    for (let restart = 0; restart <= MAX_RESTARTS; restart++) {
      const walked = this.walkCache({ ...q, name }, false);
      if (walked && !('miss' in walked)) return { rcode: walked.rcode, answer: [...chain, ...walked.answer], authority: walked.authority, stale: walked.stale };
      if (walked) {
        chain.push(...walked.chain);
        name = walked.miss;
      }
      const o = await this.fetch({ name, type: q.type, class: q.class });
      switch (o.kind) {
        case 'answer':
          return { rcode: RCODE.NOERROR, answer: [...chain, ...o.rrsets], authority: [], stale: false };
        case 'nxdomain':
        case 'nodata':
          return { rcode: o.kind === 'nxdomain' ? RCODE.NXDOMAIN : RCODE.NOERROR, answer: [...chain, ...o.rrsets], authority: o.soa ? [o.soa] : [], stale: false };
        case 'cname':
          chain.push(...o.rrsets);
          name = o.next;
          continue;
        default:
          throw new ResolveFailure('resolution failed');
      }
    }
    return { rcode: RCODE.SERVFAIL, answer: chain, authority: [], stale: false };
  }

  /** One question upstream, shared by every identical question in flight. Caches what it learns. */
  private fetch(q: Question, depth = 0): Promise<Outcome> {
    const key = `${nameKey(q.name)}|${q.type}|${q.class}`;
    const run = async (): Promise<Outcome> => {
      const o = await this.fetchUncoalesced(q, depth);
      this.store(q, o);
      return o;
    };
    // Lookups of name-server addresses (depth > 0) are not shared: two zones whose
    // servers are named in each other would otherwise wait on each other forever.
    if (depth > 0) return run();
    const p = this.inflight.run(key, run, (n) => this.caps.mayJoin(n));
    // clients-per-query: BIND drops the client beyond the cap.
    return p ?? Promise.reject(new CapExceeded('drop'));
  }

  private async fetchUncoalesced(q: Question, depth: number): Promise<Outcome> {
    const rule = forwardRuleFor(this.forward, q.name);
    if (rule.forwarders.length > 0) {
      const o = await this.ask(rule.forwarders, q, true, rule.zone, false);
      if (o.kind !== 'fail') return o;
      if (rule.mode === 'only') return o;
    }
    return this.iterate(q, depth);
  }

  /** Iterative resolution from the closest delegation we know (RFC 1034 §5.3.3 step 2). */
  private async iterate(q: Question, depth: number): Promise<Outcome> {
    let cut = q.name;
    let nsNames: Uint8Array[] | undefined;
    for (;;) {
      const ns = this.cache.get(cut, T.NS, q.class, { count: false });
      if (ns && ns.kind === 'rrset') {
        nsNames = ns.set.rdatas;
        break;
      }
      if (cut.length === 1) break;
      cut = parentName(cut);
    }
    if (!nsNames) {
      cut = Uint8Array.of(0);
      nsNames = this.hints.ns;
    }
    for (let hop = 0; hop < MAX_REFERRALS; hop++) {
      const known = await this.serversFor(nsNames, cut, q, depth);
      let o: Outcome = known.length > 0 ? await this.ask(known, q, false, cut, true) : { kind: 'fail', reason: 'no address for any name server' };
      if (o.kind === 'fail' && known.length > 0 && depth === 0 && cut.length > 1) {
        // Every address we had (glue, cache) failed: glue may be wrong, so look up
        // the addresses of the other name servers, as BIND does, and ask those.
        // Once per question (not inside those lookups) and never for the root, whose
        // hints are the anchor: when the network is down every lookup fails the same
        // way, and a fallback inside a fallback multiplies the queries past any bound.
        const more = (await this.resolveNsAddresses(nsNames, cut, q, depth, known)).filter((s) => !known.some((k) => k.address === s.address));
        if (more.length > 0) o = await this.ask(more, q, false, cut, true);
      }
      if (o.kind !== 'referral') return o;
      // A referral must lead closer to the name (below the current cut, above or at the name).
      if (!isSubdomain(o.zone, cut) || nameKey(o.zone) === nameKey(cut) || !isSubdomain(q.name, o.zone)) {
        return { kind: 'fail', reason: 'referral out of bailiwick' };
      }
      this.cache.put(o.ns, RANK.AUTHORITY);
      for (const g of o.glue) this.cache.put(g, RANK.GLUE);
      cut = o.zone;
      nsNames = o.ns.rdatas;
    }
    return { kind: 'fail', reason: 'too many referrals' };
  }

  /** Addresses of the name servers we know without asking: hints, cache, glue. */
  private async serversFor(names: Uint8Array[], cut: Uint8Array, q: Question, depth: number): Promise<UpstreamServer[]> {
    const out = this.knownAddresses(names, cut, q.class).servers;
    if (out.length > 0) return out;
    // A glueless delegation: nothing known, so resolve the names now.
    return this.resolveNsAddresses(names, cut, q, depth, []);
  }

  private knownAddresses(names: Uint8Array[], cut: Uint8Array, cls: number): { servers: UpstreamServer[]; unresolved: Uint8Array[] } {
    const out: UpstreamServer[] = [];
    const unresolved: Uint8Array[] = [];
    for (const n of names) {
      const before = out.length;
      if (cut.length === 1) for (const a of this.hints.addresses.get(nameKey(n)) ?? []) out.push({ address: a, port: this.port });
      for (const type of [T.A, T.AAAA]) {
        const hit = this.cache.get(n, type, cls, { count: false });
        if (hit && hit.kind === 'rrset') for (const rd of hit.set.rdatas) out.push({ address: addressText(rd), port: this.port });
      }
      if (out.length === before) unresolved.push(n);
    }
    return { servers: dedupe(out), unresolved };
  }

  /**
   * Looks up addresses of name servers (depth-limited): those with no known address,
   * and, when `failed` lists addresses that did not work, the names behind them too
   * (their glue may be wrong; an authoritative answer outranks glue, RFC 2181 §5.4.1).
   * Only addresses owned by the NS name itself count: an NS name must not be an
   * alias (RFC 2181 §10.3), and BIND does not follow one.
   */
  private async resolveNsAddresses(names: Uint8Array[], cut: Uint8Array, q: Question, depth: number, failed: UpstreamServer[]): Promise<UpstreamServer[]> {
    if (depth >= MAX_DEPTH) return [];
    const { unresolved } = this.knownAddresses(names, cut, q.class);
    const bad = new Set(failed.map((s) => s.address));
    const glued = names.filter((n) => !unresolved.includes(n) && this.knownAddresses([n], cut, q.class).servers.every((s) => bad.has(s.address)));
    const out: UpstreamServer[] = [];
    for (const n of [...unresolved, ...(failed.length > 0 ? glued : [])]) {
      // An NS name under the name being resolved cannot be looked up without glue.
      if (isSubdomain(n, q.name)) continue;
      // Nor can a name inside the zone whose servers failed, except through them.
      if (failed.length > 0 && isSubdomain(n, cut) && cut.length > 1) continue;
      const o = await this.fetch({ name: n, type: T.A, class: q.class }, depth + 1).catch(() => undefined);
      if (o && o.kind === 'answer') {
        for (const s of o.rrsets) {
          if (s.type !== T.A || nameKey(s.owner) !== nameKey(n)) continue;
          for (const rd of s.rdatas) out.push({ address: addressText(rd), port: this.port });
        }
      }
      if (out.some((s) => !bad.has(s.address))) break;
    }
    return dedupe(out);
  }

  /** Tries the servers fastest first, `tries` rounds; returns the first usable outcome. */
  private async ask(servers: UpstreamServer[], q: Question, rd: boolean, bailiwick: Uint8Array, referrals: boolean): Promise<Outcome> {
    // fetches-per-zone: one fetch to this zone's servers at a time per slot.
    const zone = nameKey(bailiwick);
    const admit = this.caps.admitZoneFetch(zone);
    if (admit !== 'ok') throw new CapExceeded(admit);
    try {
      return await this.askServers(servers, q, rd, bailiwick, referrals);
    } finally {
      this.caps.releaseZoneFetch(zone);
    }
  }

  private async askServers(servers: UpstreamServer[], q: Question, rd: boolean, bailiwick: Uint8Array, referrals: boolean): Promise<Outcome> {
    let last: Outcome = { kind: 'fail', reason: 'no servers' };
    for (let round = 0; round < this.tries; round++) {
      for (const s of this.rtt.order(servers)) {
        const t0 = performance.now();
        let m: DecodedMessage;
        try {
          m = await this.transport(s, q, rd);
        } catch (err) {
          this.rtt.record(s, err instanceof UpstreamTimeout ? this.timeoutMs * 2 : this.timeoutMs);
          last = { kind: 'fail', reason: err instanceof Error ? err.message : String(err) };
          continue;
        }
        this.rtt.record(s, performance.now() - t0);
        const o = classify(m, q.name, q.type, bailiwick);
        if (o.kind === 'referral' && !referrals) {
          last = { kind: 'fail', reason: 'referral from a forwarder' };
          continue;
        }
        if (o.kind !== 'fail') return o;
        last = o;
      }
    }
    return last;
  }

  /** Puts what an outcome proves into the cache (only scrubbed, in-bailiwick data reaches here). */
  private store(q: Question, o: Outcome): void {
    switch (o.kind) {
      case 'answer':
      case 'cname':
        for (const s of o.rrsets) this.cache.put(s, o.aa ? RANK.AUTH_ANSWER : RANK.ANSWER);
        break;
      case 'nxdomain':
      case 'nodata':
        for (const s of o.rrsets) this.cache.put(s, RANK.ANSWER);
        this.cache.putNegative(o.name, q.type, q.class, o.kind, o.soa);
        break;
      default:
        break;
    }
  }
}

function addressText(rd: Uint8Array): string {
  if (rd.length === 4) return ipv4ToText(rd);
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(((rd[i] << 8) | rd[i + 1]).toString(16));
  return parts.join(':');
}

function dedupe(list: UpstreamServer[]): UpstreamServer[] {
  const seen = new Set<string>();
  return list.filter((s) => {
    const k = `${s.address}#${s.port}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
