// One descriptor per scheduler (keepalived's lb_algo, IPVS's names). A scheduler is
// either a slot table (nftables and the packet engine both evaluate it per new flow)
// or a live-count rule (only the packet engine keeps per-server connection counts).
// Which engine serves which scheduler (capabilities.ts) follows from this table, so
// a new scheduler is one row here plus its name in the keepalived.conf vocabulary.

import type { LbAlgo } from '../config/keepalived-conf.js';
import type { ConnCounted } from './conn-table.js';
import { maglevTable, MAGLEV_TABLE_SIZE } from './maglev.js';
import { SH_TABLE_SIZE, weightedBuckets, wrrSequence, type SchedBackend, type SlotTable } from './slot-table.js';

/**
 * A live-count rule as IPVS evaluates it (ip_vs_lc.c, ip_vs_wlc.c, ip_vs_sed.c,
 * ip_vs_nq.c): the server with the lowest cost/weight takes the new flow.
 */
export interface LiveRule {
  cost(s: ConnCounted): number;
  /** Divide the cost by the server's weight (lc compares raw costs). */
  weighted: boolean;
  /** nq: an idle server is taken at once, never queued behind a busier one. */
  idleFirst?: boolean;
}

export interface SchedulerDescriptor {
  /**
   * The slot table over the backends; `weights` are the clamped weights, `live` the
   * indexes with weight > 0 (never empty here).
   */
  slots?: (weights: readonly number[], live: readonly number[], backends: readonly SchedBackend[], hashPort: boolean) => SlotTable;
  live?: LiveRule;
}

/** IPVS's overhead for lc/wlc: active connections weigh 256 times the inactive ones. */
const overhead = (s: ConnCounted): number => s.activeConns * 256 + s.inactConns;
/** sed/nq's expected delay: (active + 1) / weight. */
const expectedDelay = (s: ConnCounted): number => s.activeConns + 1;
const hashSrc = (hashPort: boolean): 'hash-src' | 'hash-src-port' => (hashPort ? 'hash-src-port' : 'hash-src');

/** The order is the order messages list schedulers in. */
export const SCHEDULERS: Readonly<Record<LbAlgo, SchedulerDescriptor>> = {
  rr: { slots: (_w, live) => ({ selector: 'numgen', slots: [...live] }) },
  wrr: { slots: (w) => ({ selector: 'numgen', slots: wrrSequence(w) }) },
  sh: { slots: (w, _l, _b, hashPort) => ({ selector: hashSrc(hashPort), slots: weightedBuckets(w, SH_TABLE_SIZE) }) },
  dh: { slots: (w) => ({ selector: 'hash-dst', slots: weightedBuckets(w, SH_TABLE_SIZE) }) },
  mh: {
    slots: (w, _l, b, hashPort) => ({ selector: hashSrc(hashPort), slots: Array.from(maglevTable(b.map((x, i) => ({ id: x.id, weight: w[i] })), MAGLEV_TABLE_SIZE)) }),
  },
  // Weighted failover: the first server with the highest weight takes everything.
  fo: {
    slots: (w, live) => {
      let best = live[0];
      for (const i of live) if (w[i] > w[best]) best = i;
      return { selector: 'first', slots: [best] };
    },
  },
  lc: { live: { cost: overhead, weighted: false } },
  wlc: { live: { cost: overhead, weighted: true } },
  sed: { live: { cost: expectedDelay, weighted: true } },
  nq: { live: { cost: expectedDelay, weighted: true, idleFirst: true } },
  // Locality-based and overflow scheduling are served by neither engine.
  lblc: {},
  lblcr: {},
  ovf: {},
};
