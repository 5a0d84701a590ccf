// Schedulers as slot tables: each algorithm becomes "hash or counter mod L → slot →
// real server", which is exactly what an nftables vmap can evaluate per new flow.
// Algorithms that need live connection counts (lc, wlc, sed, nq, lblc, lblcr, ovf)
// cannot be expressed that way and are refused here, naming the engine that can.

import type { LbAlgo } from '../config/keepalived-conf.js';
import { maglevTable, MAGLEV_TABLE_SIZE } from './maglev.js';
import { schedulerProblem } from './capabilities.js';

export interface SchedBackend {
  id: string;
  /** Effective weight; 0 = quiescent (no new flows). */
  weight: number;
}

/** What selects the slot for a new flow. */
export type Selector = 'numgen' | 'hash-src' | 'hash-src-port' | 'hash-dst' | 'first';

export interface SlotTable {
  selector: Selector;
  /** slots[i] = index into the backends given; empty when nothing can take new flows. */
  slots: number[];
}

export class UnsupportedSchedulerError extends Error {}

const NEEDS_COUNTS = new Set<LbAlgo>(['lc', 'wlc', 'sed', 'nq', 'lblc', 'lblcr', 'ovf']);

/** IPVS source/destination hashing uses a 256-bucket table filled by weight. */
export const SH_TABLE_SIZE = 256;
/** Cap for a weighted round-robin period, so huge weights keep the rule small. */
const WRR_MAX_PERIOD = 4096;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * IPVS's wrr sequence: the current-weight walk that interleaves servers, e.g.
 * weights 4,3,2 → A A B A B C A B C (see the IPVS scheduling docs).
 */
export function wrrSequence(weights: readonly number[]): number[] {
  let w = weights.slice();
  const total = () => w.reduce((s, x) => s + x, 0);
  if (total() === 0) return [];
  let g = w.filter((x) => x > 0).reduce(gcd);
  w = w.map((x) => x / g);
  if (total() > WRR_MAX_PERIOD) {
    // Scale down, keeping every live server at least 1.
    const f = WRR_MAX_PERIOD / total();
    w = w.map((x) => (x > 0 ? Math.max(1, Math.round(x * f)) : 0));
    g = w.filter((x) => x > 0).reduce(gcd);
    w = w.map((x) => x / g);
  }
  const max = Math.max(...w);
  const step = w.filter((x) => x > 0).reduce(gcd);
  const out: number[] = [];
  const period = total();
  let i = -1;
  let cw = 0;
  while (out.length < period) {
    i = (i + 1) % w.length;
    if (i === 0) {
      cw -= step;
      if (cw <= 0) cw = max;
    }
    if (w[i] >= cw) out.push(i);
  }
  return out;
}

/** Weighted bucket table for sh/dh: servers take buckets round-robin by weight. */
function weightedBuckets(weights: readonly number[], size: number): number[] {
  const seq = wrrSequence(weights);
  if (seq.length === 0) return [];
  const out: number[] = [];
  for (let i = 0; i < size; i++) out.push(seq[i % seq.length]);
  return out;
}

/** Builds the slot table for one virtual server's current backends. */
export function buildSlotTable(algo: LbAlgo, backends: readonly SchedBackend[], hashPort: boolean): SlotTable {
  if (NEEDS_COUNTS.has(algo)) throw new UnsupportedSchedulerError(schedulerProblem(algo, 'nft') ?? `scheduler '${algo}' cannot be a slot table`);
  const weights = backends.map((b) => Math.max(0, b.weight));
  const live = weights.map((w, i) => (w > 0 ? i : -1)).filter((i) => i >= 0);
  if (live.length === 0) return { selector: 'first', slots: [] };
  switch (algo) {
    case 'rr':
      return { selector: 'numgen', slots: live };
    case 'wrr':
      return { selector: 'numgen', slots: wrrSequence(weights) };
    case 'sh':
      return { selector: hashPort ? 'hash-src-port' : 'hash-src', slots: weightedBuckets(weights, SH_TABLE_SIZE) };
    case 'dh':
      return { selector: 'hash-dst', slots: weightedBuckets(weights, SH_TABLE_SIZE) };
    case 'mh':
      return {
        selector: hashPort ? 'hash-src-port' : 'hash-src',
        slots: Array.from(maglevTable(backends.map((b, i) => ({ id: b.id, weight: weights[i] })), MAGLEV_TABLE_SIZE)),
      };
    case 'fo': {
      // Weighted failover: the first server with the highest weight takes everything.
      let best = live[0];
      for (const i of live) if (weights[i] > weights[best]) best = i;
      return { selector: 'first', slots: [best] };
    }
    default:
      throw new UnsupportedSchedulerError(`unknown scheduler '${String(algo)}'`);
  }
}
