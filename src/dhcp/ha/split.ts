// Which addresses a server of a load-balancing pair may give to which client, so that the
// two never hand one address to two clients. Kea's rule: the HA hook puts every query in
// the class HA_<server name> of the scope the client hashes to (RFC 3074), and the pools
// are split between the servers by that class (a pool per server with `client-class`).
// Both servers hold the same split, so a client's address always comes from its scope's
// pools, whichever server answers it (also the survivor in partner-down). In dhcpd.conf
// the same split is written `allow members of "HA_server1";` in a pool. A pool without
// such a permit is split by address parity instead: the primary's scope takes the even
// addresses, the secondary's the odd ones (Triad's own rule, for Triad pairs).

import type { Pool } from '../../config/dhcpd-conf.js';
import type { ScopeConfig } from './state.js';

/** Kea's class of the clients of a scope. */
export const scopeClass = (serverName: string): string => `HA_${serverName}`;

const haPermit = (p: Pool['allow'][number]): boolean => p.kind === 'members-of' && p.cls.startsWith('HA_');

/** The pool is split between the servers by Kea's HA_ classes (its permit list decides). */
export function splitByClass(pool: Pool): boolean {
  return pool.allow.some(haPermit) || pool.deny.some(haPermit);
}

/**
 * May the pair give `ip` of `pool` to a client of scope `scope` (a server name)? Only in
 * load-balancing is there a split; the class-split pools leave it to their permits.
 */
export function mayAllocateFor(c: ScopeConfig, scope: string, ip: number, pool: Pool): boolean {
  if (c.mode !== 'load-balancing' || splitByClass(pool)) return true;
  const primary = c.peers.find((p) => p.role === 'primary')?.name;
  return (ip & 1) === (scope === primary ? 0 : 1);
}
