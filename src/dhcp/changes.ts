// What a DHCP decision intends to change, as plain data: the lease records to write, the
// offer-book edits and the allocator's cursor moves. The engine only describes them; the
// server makes the lease records durable first, then applies everything to memory, then
// replies (ISC dhcpd, too, sends no DHCPACK for a lease it could not write). The same
// records are what a failover partner would be sent.

import type { Lease } from './lease.js';

/** An edit of the outstanding offers (memory only: an OFFER is no commitment, RFC 2131 §4.3.1). */
export type OfferEdit =
  /** Hold `ip` for client `key` until `expires` (ms); any other offer to that client ends. */
  | { op: 'hold'; ip: number; key: string; expires: number }
  /** The offer of `ip` ends (it is leased, declined, or taken over for another client). */
  | { op: 'withdraw'; ip: number }
  /** The offer held for client `key` ends (it chose another server, or took its lease). */
  | { op: 'release'; key: string };

/** The next position of a pool's scan (pool: its index in the configuration's pools). */
export interface CursorMove {
  pool: number;
  next: number;
}

export interface Changes {
  /** Lease records to write durably, in order, before memory changes or a reply leaves. */
  commit: Lease[];
  /** Offer edits, applied in order once the records are written. */
  offers: OfferEdit[];
  cursors: CursorMove[];
}

export const noChanges = (): Changes => ({ commit: [], offers: [], cursors: [] });

export const hasChanges = (c: Changes): boolean => c.commit.length > 0 || c.offers.length > 0 || c.cursors.length > 0;
