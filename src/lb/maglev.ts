// Maglev consistent hashing (Eisenbud et al., NSDI 2016, §3.4) with weights: every
// backend walks its own permutation of the table and claims the next free slot;
// weights are honoured by letting a backend take turns in proportion to its weight
// (credit per round = weight / max weight), as Envoy and Katran do.

/** Katran's and Maglev's table size: prime, ≥ 100 × backends for ≤ 1 % disruption. */
export const MAGLEV_TABLE_SIZE = 65537;

export interface MaglevBackend {
  /** Stable identity (e.g. `10.1.0.2:8080`): the permutation depends only on it. */
  id: string;
  weight: number;
}

/** FNV-1a, 32 bits, with a seed mixed in; stable across runs and platforms. */
function fnv1a(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche (murmur3 fmix32) so similar ids spread.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Builds the lookup table: entry i holds the index (into `backends`) of the backend
 * for hash bucket i, or -1 for every entry when no backend has weight > 0. The table
 * depends on the backends' ids and weights only, not on their order.
 * `size` must be prime so every skip value generates a full permutation.
 */
export function maglevTable(backends: readonly MaglevBackend[], size = MAGLEV_TABLE_SIZE): Int32Array {
  const table = new Int32Array(size).fill(-1);
  // Claimed in the order of the ids, not of the list: two boxes with the same servers
  // written in another order build the same table (a backup takes over DR flows).
  const live = backends
    .map((b, i) => ({ i, b }))
    .filter((x) => x.b.weight > 0)
    .sort((x, y) => (x.b.id < y.b.id ? -1 : x.b.id > y.b.id ? 1 : x.i - y.i));
  if (live.length === 0) return table;
  const maxW = Math.max(...live.map((x) => x.b.weight));
  const offset = live.map((x) => fnv1a(x.b.id, 0x9e3779b9) % size);
  const skip = live.map((x) => (fnv1a(x.b.id, 0x7f4a7c15) % (size - 1)) + 1);
  const next = new Array<number>(live.length).fill(0);
  const credit = new Array<number>(live.length).fill(0);
  let filled = 0;
  while (filled < size) {
    for (let k = 0; k < live.length && filled < size; k++) {
      credit[k] += live[k].b.weight / maxW;
      while (credit[k] >= 1 && filled < size) {
        credit[k] -= 1;
        // Walk this backend's permutation to its next unclaimed slot.
        let c: number;
        do {
          c = (offset[k] + next[k] * skip[k]) % size;
          next[k]++;
        } while (table[c] >= 0);
        table[c] = live[k].i;
        filled++;
      }
    }
  }
  return table;
}
