// Bounded "heavy hitters" for the dashboard's top clients and top names: the
// space-saving algorithm (Metwally, Agrawal, El Abbadi 2005). At most `capacity`
// keys are kept; a new key when full takes the place of the smallest, inheriting its
// count (so counts are upper bounds, off by at most the evicted count, kept as
// `error`). A hit is one Map lookup; only a miss when full scans the entries.

export type TopEntry = [key: string, count: number, error: number];

export class TopK {
  private readonly counts = new Map<string, { n: number; err: number }>();

  constructor(readonly capacity = 100) {}

  /** Counts one occurrence; returns the key it evicted to make room, if any. */
  add(key: string): string | undefined {
    const e = this.counts.get(key);
    if (e) {
      e.n++;
      return undefined;
    }
    if (this.counts.size < this.capacity) {
      this.counts.set(key, { n: 1, err: 0 });
      return undefined;
    }
    let minKey = '';
    let min = Infinity;
    for (const [k, v] of this.counts) {
      if (v.n < min) {
        min = v.n;
        minKey = k;
      }
    }
    this.counts.delete(minKey);
    this.counts.set(key, { n: min + 1, err: min });
    return minKey;
  }

  /** The entries, largest count first (plain arrays: they cross IPC). */
  entries(): TopEntry[] {
    return [...this.counts].map(([k, v]): TopEntry => [k, v.n, v.err]).sort((a, b) => b[1] - a[1]);
  }
}

/** Sums several counters' entries (listeners, workers) key by key; the `limit` largest. */
export function mergeTop(lists: readonly (readonly TopEntry[])[], limit: number): TopEntry[] {
  const m = new Map<string, TopEntry>();
  for (const l of lists) {
    for (const [k, n, err] of l) {
      const have = m.get(k);
      if (have) {
        have[1] += n;
        have[2] += err;
      } else m.set(k, [k, n, err]);
    }
  }
  return [...m.values()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
}

/**
 * The question name of a query as text (lower case, no trailing dot; "." for the
 * root), read from the wire without decoding the whole message; undefined when the
 * message has no plain question name.
 */
export function questionName(msg: Uint8Array): string | undefined {
  const len = msg.length;
  if (len < 17 || ((msg[4] << 8) | msg[5]) === 0) return undefined;
  let i = 12;
  let s = '';
  while (i < len) {
    const l = msg[i];
    if (l === 0) return s === '' ? '.' : s;
    if (l >= 64 || i + 1 + l > len) return undefined;
    if (s !== '') s += '.';
    for (let j = i + 1; j <= i + l; j++) {
      let c = msg[j];
      if (c >= 65 && c <= 90) c += 32;
      // Dots and non-printing octets inside a label as BIND's presentation format writes them.
      s += c === 46 || c === 92 ? `\\${String.fromCharCode(c)}` : c > 32 && c < 127 ? String.fromCharCode(c) : `\\${String(c).padStart(3, '0')}`;
    }
    i += l + 1;
  }
  return undefined;
}
