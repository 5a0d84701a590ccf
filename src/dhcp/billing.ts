// Billing classes: dhcpd.conf(5) "PER-CLASS LIMITS ON DYNAMIC ADDRESS ALLOCATION". A class
// (or subclass, declared or spawned) with `lease limit N` lets at most N of its members hold
// a lease at one time. A lease is billed to one such class; it stays billed there while its
// client still belongs to that class, and is billed afresh (or not at all) when it does not.

import type { DhcpdConf } from '../config/dhcpd-conf.js';
import type { Membership } from './classify.js';
import type { Billing, LeaseDb } from './lease.js';

/** A class the client belongs to that has a lease limit. */
export interface BillingClass {
  billing: Billing;
  limit: number;
  /** The name dhcpd logs: the class, or a subclass's superclass. */
  name: string;
}

export type BillingOutcome =
  /** No lease-limited class applies: the lease is billed to none. */
  | { kind: 'none'; changed: boolean }
  | { kind: 'billed'; billing: Billing; changed: boolean }
  /** Every lease-limited class the client is in is full: no lease (no reply). */
  | { kind: 'refused'; last: string };

const limitedCache = new WeakMap<DhcpdConf, boolean>();

/** Whether any class or subclass of the file has a `lease limit`. */
export function hasBillingClasses(conf: DhcpdConf): boolean {
  let v = limitedCache.get(conf);
  if (v === undefined) {
    v = [...conf.classes.values()].some((c) => c.leaseLimit !== undefined || c.subclassLimits.size > 0);
    limitedCache.set(conf, v);
  }
  return v;
}

/** The client's lease-limited classes, in the order dhcpd tries them (declaration order). */
export function billingClasses(members: Membership[]): BillingClass[] {
  const out: BillingClass[] = [];
  for (const m of members) {
    // A subclass has the limit written in it, else its class's (dhcpd copies it on creation).
    const limit = m.sub !== undefined ? (m.cls.subclassLimits.get(m.sub) ?? m.cls.leaseLimit) : m.cls.leaseLimit;
    if (limit === undefined) continue;
    out.push({ billing: { cls: m.cls.name, sub: m.sub }, limit, name: m.cls.name });
  }
  return out;
}

const sameBilling = (a: Billing | undefined, b: Billing | undefined): boolean =>
  a === b || (a !== undefined && b !== undefined && a.cls === b.cls && a.sub === b.sub);

/** Leases billed to `b` and held now, other than the one at `exceptIp`. */
function consumed(db: LeaseDb, b: Billing, nowSec: number, exceptIp: number): number {
  // A scan, not a counter: only files with lease limits pay for it, and the count can never
  // drift from the leases themselves (releases, expiry, restarts).
  let n = 0;
  for (const l of db.all()) if (l.ip !== exceptIp && l.state === 'active' && l.ends > nowSec && sameBilling(l.billing, b)) n++;
  return n;
}

/**
 * Bills the lease at `ip` (currently billed to `current`, if active) for a client in `classes`.
 * `changed` says the billing moved, which makes dhcp-cache-threshold renew the lease afresh.
 */
export function bill(db: LeaseDb, ip: number, current: Billing | undefined, classes: BillingClass[], nowSec: number): BillingOutcome {
  if (current && classes.some((c) => sameBilling(c.billing, current))) return { kind: 'billed', billing: current, changed: false };
  let last = '';
  for (const c of classes) {
    if (consumed(db, c.billing, nowSec, ip) < c.limit) return { kind: 'billed', billing: c.billing, changed: true };
    last = c.name;
  }
  if (classes.length) return { kind: 'refused', last };
  return { kind: 'none', changed: current !== undefined };
}
