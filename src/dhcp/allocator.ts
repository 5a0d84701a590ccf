// Address allocation: which address a client gets on a network. The order (RFC 2131
// §4.3.1) is fixed: its fixed address, the address already on offer to it, its own lease,
// the address it asked for; only then a free address, chosen by a strategy. The default
// strategy scans each pool from a cursor (never-used addresses first, then the longest-
// expired), as Kea's iterative allocator does; another (a free-lease queue, say) is one more
// AllocationStrategy. Pool facts (sizes, who may use them) are computed once per configuration.

import type { DhcpdConf, Pool, Scope, SharedNetwork } from '../config/dhcpd-conf.js';
import type { Changes } from './changes.js';
import { leaseKey, type Lease } from './lease.js';
import { fixedFor, sharedChain, inSubnet, param, poolOf, scopeList, type Client, type Where } from './scope.js';
import type { EngineState } from './engine.js';

export interface Choice {
  ip: number;
  scopes: Scope[];
  fixed: boolean;
  existing?: Lease;
  /** The address was already on offer to this client (probed then, not again). */
  reoffer?: boolean;
}

/** Who asks, as a pool's allow/deny lists see it. */
interface Asker {
  known: boolean;
  classes: string[];
  bootp: boolean;
}

/** A pool as allocation uses it, computed at load. */
export interface PoolFacts {
  /** Its index in the configuration's pools (what cursor moves name). */
  index: number;
  /** Number of addresses in its ranges. */
  size: number;
  /** Its allow/deny lists, compiled (dhcpd.conf(5) "PERMIT LISTS"). */
  permits: (who: Asker) => boolean;
}

type Permit = Pool['allow'][number];

function permitTest(p: Permit): (who: Asker) => boolean {
  switch (p.kind) {
    case 'known-clients':
      return (w) => w.known;
    case 'unknown-clients':
      return (w) => !w.known;
    case 'members-of': {
      const cls = p.cls;
      return (w) => w.classes.includes(cls);
    }
    case 'dynamic-bootp':
      return (w) => w.bootp;
    case 'all-clients':
    case 'authenticated':
      return () => true;
    case 'unauthenticated':
      return () => false;
  }
}

function compilePermits(pool: Pool): (who: Asker) => boolean {
  const deny = pool.deny.map(permitTest);
  const allow = pool.allow.map(permitTest);
  if (!deny.length && !allow.length) return () => true;
  return (w) => !deny.some((m) => m(w)) && (!allow.length || allow.some((m) => m(w)));
}

/** Facts of every pool of `conf`. */
export function poolFacts(conf: DhcpdConf): Map<Pool, PoolFacts> {
  const out = new Map<Pool, PoolFacts>();
  conf.pools.forEach((pool, index) => {
    out.set(pool, { index, size: pool.ranges.reduce((n, r) => n + (r.end - r.start + 1), 0), permits: compilePermits(pool) });
  });
  return out;
}

const asker = (c: Client): Asker => ({ known: c.host !== undefined, classes: c.classes.names, bootp: c.bootp });

function factsOf(st: EngineState, pool: Pool): PoolFacts {
  let f = st.pools.get(pool);
  if (!f) {
    // A pool not in the configuration the state was built from (should not happen): facts now.
    f = { index: -1, size: pool.ranges.reduce((n, r) => n + (r.end - r.start + 1), 0), permits: compilePermits(pool) };
    st.pools.set(pool, f);
  }
  return f;
}

/** Bound (or being written) for, or offered to, a client other than `key`. */
export function takenByOther(st: EngineState, ip: number, key: string, nowSec: number, nowMs: number): boolean {
  const writing = st.inFlight?.get(ip);
  if (writing !== undefined && writing !== key) return true;
  return st.db.takenByOther(ip, key, nowSec, nowMs);
}

const dynamicBootpAt = (pool: Pool, ip: number): boolean => pool.ranges.some((r) => r.dynamicBootp && ip >= r.start && ip <= r.end);

/** `ip` for client `c` on `net`, when a pool it may use holds it and nobody else has it. */
export function usableFor(st: EngineState, c: Client, ip: number, net: SharedNetwork, nowMs: number): Choice | undefined {
  const pool = poolOf(net, ip);
  if (!pool) return undefined;
  if (!factsOf(st, pool).permits(asker(c))) return undefined;
  if (c.bootp && !dynamicBootpAt(pool, ip)) return undefined;
  if (takenByOther(st, ip, c.key, Math.floor(nowMs / 1000), nowMs)) return undefined;
  const l = st.db.get(ip);
  if (st.mayAllocate && !st.mayAllocate(ip, c.req, pool) && !(l && leaseKey(l) === c.key)) return undefined;
  return { ip, scopes: scopeList(c, pool.scope), fixed: false, existing: l };
}

/** How a free address is found once the client has none of its own. */
export interface AllocationStrategy {
  readonly name: string;
  /** A free address on `net` for `c`; the cursor moves or offer take-overs it implies go into `changes`. */
  free(st: EngineState, c: Client, net: SharedNetwork, nowMs: number, changes: Changes): Choice | undefined;
}

function addrAt(pool: Pool, n: number): number {
  for (const r of pool.ranges) {
    const size = r.end - r.start + 1;
    if (n < size) return (r.start + n) >>> 0;
    n -= size;
  }
  return 0;
}

/** Never-used addresses first, from a per-pool cursor; then the longest-expired. */
export const iterativeAllocator: AllocationStrategy = {
  name: 'iterative',
  free(st, c, net, nowMs, changes) {
    const nowSec = Math.floor(nowMs / 1000);
    const who = asker(c);
    let oldest: Choice | undefined;
    let oldestEnds = Infinity;
    let stealable: { ip: number; expires: number; pool: Pool } | undefined;
    for (const pool of net.pools) {
      const facts = factsOf(st, pool);
      if (!facts.permits(who)) continue;
      const size = facts.size;
      if (size === 0) continue;
      let cur = st.cursors.get(facts.index) ?? 0;
      for (let k = 0; k < size; k++, cur = (cur + 1) % size) {
        const ip = addrAt(pool, cur);
        if (c.bootp && !dynamicBootpAt(pool, ip)) continue;
        if (st.mayAllocate && !st.mayAllocate(ip, c.req, pool)) continue;
        if (!net.subnets.some((s) => inSubnet(s, ip) && ip !== s.network && ip !== (s.network | ~s.mask) >>> 0)) continue;
        const o = st.db.offers.get(ip);
        if (o && o.expires > nowMs && o.key !== c.key) {
          // Offered to another client: a last resort when the pool is exhausted (see below).
          const l0 = st.db.get(ip);
          const boundElsewhere = l0 && (l0.state === 'abandoned' || l0.state === 'active') && l0.ends > nowSec;
          if (!boundElsewhere && (!stealable || o.expires < stealable.expires)) stealable = { ip, expires: o.expires, pool };
          continue;
        }
        if (takenByOther(st, ip, c.key, nowSec, nowMs)) continue;
        const l = st.db.get(ip);
        if (!l) {
          changes.cursors.push({ pool: facts.index, next: (cur + 1) % size });
          return { ip, scopes: scopeList(c, pool.scope), fixed: false };
        }
        if (l.state !== 'active' || l.ends <= nowSec) {
          if (l.ends < oldestEnds) {
            oldestEnds = l.ends;
            oldest = { ip, scopes: scopeList(c, pool.scope), fixed: false, existing: l };
          }
        }
      }
    }
    if (oldest) return oldest;
    // Every address is bound or on offer. An OFFER is no commitment (RFC 2131 §4.3.1 "SHOULD
    // reserve"): take the oldest outstanding offer, so a flood of DISCOVERs cannot starve the
    // pool. Its first client then gets a NAK for it, never a second ACK.
    if (stealable) {
      changes.offers.push({ op: 'withdraw', ip: stealable.ip });
      return { ip: stealable.ip, scopes: scopeList(c, stealable.pool.scope), fixed: false, existing: st.db.get(stealable.ip) };
    }
    return undefined;
  },
};

/** The address for client `c` on the network it is `where`, or undefined (no reply). */
export function allocate(st: EngineState, c: Client, where: Where, nowMs: number, changes: Changes, requested?: number): Choice | undefined {
  const net = where.network;
  const fixed = fixedFor(st, c.host, net);
  if (fixed) return { ip: fixed.ip, scopes: scopeList(c, fixed.subnet.scope), fixed: true };
  if (c.host && param(scopeList(c, net.scope, []), 'booting') === false) return undefined;
  if (!c.host && param(sharedChain(where.subnet.scope), 'unknownClients') === false) return undefined;
  // 0. The address already offered to this client: a retransmitted DISCOVER (same xid or
  // not) gets the same answer, and the client never holds two (RFC 2131 §4.3.1).
  const held = st.db.offers.heldFor(c.key, nowMs);
  if (held !== undefined) {
    const u = usableFor(st, c, held, net, nowMs);
    if (u) return { ...u, reoffer: true };
  }
  // 1. The client's own lease on this network (RFC 2131 §4.3.1: previous address first).
  const own = [...st.db.forKey(c.key), ...(c.uid ? [] : st.db.forHw(c.req.htype, c.hw).filter((l) => !l.uid))];
  own.sort((a, b) => (b.state === 'active' ? 1 : 0) - (a.state === 'active' ? 1 : 0) || b.ends - a.ends);
  for (const l of own) {
    if (l.state === 'abandoned') continue;
    const u = usableFor(st, c, l.ip, net, nowMs);
    if (u) return u;
  }
  // 2. The address the client asked for.
  if (requested) {
    const u = usableFor(st, c, requested, net, nowMs);
    if (u) return u;
  }
  // 3. A free address.
  return st.allocator.free(st, c, net, nowMs, changes);
}
