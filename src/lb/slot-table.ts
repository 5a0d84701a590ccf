// Slot tables: a scheduler expressed as "hash or counter mod L → slot → real server",
// which is exactly what an nftables vmap can evaluate per new flow (and what the
// packet engine evaluates for the same schedulers). The building blocks the
// scheduler descriptors (schedulers.ts) combine.

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
export function weightedBuckets(weights: readonly number[], size: number): number[] {
  const seq = wrrSequence(weights);
  if (seq.length === 0) return [];
  const out: number[] = [];
  for (let i = 0; i < size; i++) out.push(seq[i % seq.length]);
  return out;
}
