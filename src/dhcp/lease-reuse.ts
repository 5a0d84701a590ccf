// dhcp-cache-threshold (dhcpd.conf(5)): a client that renews (or runs DISCOVER/REQUEST again)
// early in its lease gets the lease it holds, unchanged, instead of an extended one, so the
// server does not rewrite the lease file for clients that renew very often. The lease time
// sent is what is left of the lease.

import type { Lease } from './lease.js';

/** dhcpd's default: 25 % of the lease's length. */
const DEFAULT_CACHE_THRESHOLD = 25;

export interface Reuse {
  /** Seconds left of the lease: the lease time to send. */
  remaining: number;
  /** Seconds since the lease started. */
  age: number;
  /** The threshold applied, in percent. */
  threshold: number;
}

/**
 * Whether `lease` (the client's own) may be answered unchanged at `nowSec`. `configured` is the
 * dhcp-cache-threshold in scope: 0 turns reuse off; dhcpd takes values of 100 or more as the
 * default. `blocked` says something about the lease changes now (its billing class, a DNS
 * update to make), which always extends the lease.
 */
export function reusable(lease: Lease | undefined, nowSec: number, configured: number | undefined, blocked: boolean): Reuse | undefined {
  if (!lease || blocked || lease.state !== 'active' || !Number.isFinite(lease.ends) || lease.ends <= nowSec) return undefined;
  const threshold = configured === undefined || configured >= 100 ? DEFAULT_CACHE_THRESHOLD : configured;
  if (threshold <= 0) return undefined;
  const length = lease.ends - lease.starts;
  const limit = Math.floor((length * threshold) / 100);
  const age = nowSec - lease.starts;
  if (age < 0 || age > limit) return undefined;
  return { remaining: lease.ends - nowSec, age, threshold };
}

/** dhcpd's log line, which tools and tests look for. */
export function reuseLog(r: Reuse, ip: string): string {
  return `reuse_lease: lease age ${r.age} (secs) under ${r.threshold}% threshold, reply with unaltered, existing lease for ${ip}`;
}
