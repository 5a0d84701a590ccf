// Bounded "heavy hitters" for the dashboard's top clients and top names: the
// space-saving algorithm (Metwally, Agrawal, El Abbadi 2005). At most `capacity`
// keys are kept; a new key when full takes the place of the smallest, inheriting its
// count (so counts are upper bounds, off by at most the evicted count, kept as
// `error`). The counts sit in a min-heap, so a hit is one Map lookup and a sift,
// and a miss when full takes the heap's root: no scan, nothing allocated.

export type TopEntry = [key: string, count: number, error: number];

/**
 * The counters of a space-saving summary, slot by slot, with the slots kept in a
 * binary min-heap on their counts: a hit raises one count and sifts it down
 * (log2(capacity) steps at most), and the slot to evict is always the root. The keys
 * themselves are kept by the subclasses (strings, or name octets).
 */
class Summary {
  readonly n: Float64Array;
  readonly err: Float64Array;
  /** heap[i]: the slot at heap position i; pos[slot]: its position. */
  private readonly heap: Int32Array;
  private readonly pos: Int32Array;
  size = 0;

  constructor(readonly capacity: number) {
    this.n = new Float64Array(capacity);
    this.err = new Float64Array(capacity);
    this.heap = new Int32Array(capacity);
    this.pos = new Int32Array(capacity);
  }

  /** `w` more for `slot`. */
  hit(slot: number, w: number): void {
    this.n[slot] += w;
    this.down(this.pos[slot]);
  }

  /** A fresh slot while there is room (count `w`); -1 when full. */
  fresh(w: number): number {
    if (this.size >= this.capacity) return -1;
    const slot = this.size++;
    this.n[slot] = w;
    this.err[slot] = 0;
    this.heap[slot] = slot;
    this.pos[slot] = slot;
    this.up(slot);
    return slot;
  }

  /** Full: the smallest slot, handed to a new key that inherits its count (+ `w`) as its error. */
  takeSmallest(w: number): number {
    const slot = this.heap[0];
    const min = this.n[slot];
    this.err[slot] = min;
    this.n[slot] = min + w;
    this.down(0);
    return slot;
  }

  private up(i: number): void {
    const { heap, pos, n } = this;
    const slot = heap[i];
    const v = n[slot];
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (n[heap[p]] <= v) break;
      heap[i] = heap[p];
      pos[heap[i]] = i;
      i = p;
    }
    heap[i] = slot;
    pos[slot] = i;
  }

  private down(i: number): void {
    const { heap, pos, n } = this;
    const size = this.size;
    const slot = heap[i];
    const v = n[slot];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= size) break;
      if (c + 1 < size && n[heap[c + 1]] < n[heap[c]]) c++;
      if (n[heap[c]] >= v) break;
      heap[i] = heap[c];
      pos[heap[i]] = i;
      i = c;
    }
    heap[i] = slot;
    pos[slot] = i;
  }
}

/** Top keys that are strings (client addresses). */
export class TopK {
  private readonly summary: Summary;
  private readonly slots = new Map<string, number>();
  private readonly keys: string[] = [];
  /** The key the last add() pushed out, if any. */
  evicted: string | undefined = undefined;

  constructor(readonly capacity = 100) {
    this.summary = new Summary(capacity);
  }

  /**
   * Counts one occurrence; returns the key's slot (0 ≤ slot < capacity), which stays
   * the key's until it is evicted. `evicted` tells whether a key was pushed out, and
   * `added` whether the slot is new to this key.
   */
  add(key: string, w = 1): number {
    this.evicted = undefined;
    this.added = false;
    let slot = this.slots.get(key);
    if (slot !== undefined) {
      this.summary.hit(slot, w);
      return slot;
    }
    this.added = true;
    slot = this.summary.fresh(w);
    if (slot < 0) {
      slot = this.summary.takeSmallest(w);
      this.evicted = this.keys[slot];
      this.slots.delete(this.evicted);
    }
    this.keys[slot] = key;
    this.slots.set(key, slot);
    return slot;
  }

  /** Whether the last add() gave its key a slot it did not have. */
  added = false;

  /** The key in `slot`. */
  key(slot: number): string {
    return this.keys[slot];
  }

  /** The entries, largest count first (plain arrays: they cross IPC). */
  entries(): TopEntry[] {
    const out: TopEntry[] = [];
    for (let i = 0; i < this.summary.size; i++) out.push([this.keys[i], this.summary.n[i], this.summary.err[i]]);
    return out.sort((a, b) => b[1] - a[1]);
  }
}

/** Longest name in wire form (RFC 1035 §2.3.4). */
export const MAX_NAME = 255;

/**
 * Top query names, kept as their wire octets (lower case): a query costs one pass over
 * its name and a Map lookup on a number, with nothing allocated; the names are made
 * text only when the entries are read. Two names with one hash share nothing: the later
 * takes the slot over as an eviction would (its count inherited as error), so counts
 * stay upper bounds.
 */
export class NameTopK {
  private readonly summary: Summary;
  private readonly slots = new Map<number, number>();
  private readonly hashes: Float64Array;
  /** Each slot's name octets at slot × MAX_NAME, and their length. */
  private readonly names: Uint8Array;
  private readonly lens: Uint8Array;

  constructor(readonly capacity = 100) {
    this.summary = new Summary(capacity);
    this.hashes = new Float64Array(capacity);
    this.names = new Uint8Array(capacity * MAX_NAME);
    this.lens = new Uint8Array(capacity);
  }

  /** Counts `w` occurrences of the name in `name[0, len)` (from wireName) whose hash is `hash`. */
  add(name: Uint8Array, len: number, hash: number, w = 1): void {
    const slots = this.slots;
    let slot = slots.get(hash);
    if (slot !== undefined) {
      if (this.same(slot, name, len)) {
        this.summary.hit(slot, w);
        return;
      }
      // Another name with this hash: it takes the slot over, as if the slot had been evicted.
      this.summary.err[slot] = this.summary.n[slot];
      this.summary.hit(slot, w);
    } else {
      slot = this.summary.fresh(w);
      if (slot < 0) {
        slot = this.summary.takeSmallest(w);
        slots.delete(this.hashes[slot]);
      }
      slots.set(hash, slot);
      this.hashes[slot] = hash;
    }
    const names = this.names;
    const at = slot * MAX_NAME;
    for (let i = 0; i < len; i++) names[at + i] = name[i];
    this.lens[slot] = len;
  }

  private same(slot: number, name: Uint8Array, len: number): boolean {
    if (this.lens[slot] !== len) return false;
    const names = this.names;
    const at = slot * MAX_NAME;
    for (let i = 0; i < len; i++) if (names[at + i] !== name[i]) return false;
    return true;
  }

  /** The entries as text, largest count first (plain arrays: they cross IPC). */
  entries(): TopEntry[] {
    const out: TopEntry[] = [];
    for (let i = 0; i < this.summary.size; i++) {
      out.push([nameText(this.names, i * MAX_NAME, this.lens[i]) ?? '.', this.summary.n[i], this.summary.err[i]]);
    }
    return out.sort((a, b) => b[1] - a[1]);
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
  const buf = new Uint8Array(MAX_NAME);
  const len = wireName(msg, buf);
  return len < 0 ? undefined : nameText(buf, 0, len);
}

/** The hash of the name wireName wrote last (FNV-1a, a small integer). */
export let wireNameHash = 0;

/**
 * Copies the question name of a query into `out` in wire form, lower case, and
 * returns its length (wireNameHash its hash); -1 when the message has no plain
 * question name (none, truncated, or a compression pointer).
 */
export function wireName(msg: Uint8Array, out: Uint8Array): number {
  const len = msg.length;
  if (len < 17 || ((msg[4] << 8) | msg[5]) === 0) return -1;
  let i = 12;
  let h = 0x811c9dc5;
  while (i < len) {
    const l = msg[i];
    if (l >= 64 || i + 1 + l > len || i - 12 + l + 1 > MAX_NAME) return -1;
    out[i - 12] = l;
    h = Math.imul(h ^ l, 0x01000193);
    if (l === 0) {
      wireNameHash = h & 0x3fffffff;
      return i - 11;
    }
    for (let j = i + 1; j <= i + l; j++) {
      let c = msg[j];
      if (c >= 65 && c <= 90) c += 32;
      out[j - 12] = c;
      h = Math.imul(h ^ c, 0x01000193);
    }
    i += l + 1;
  }
  return -1;
}

/** A name in wire form at `buf[at, at + len)` as text (no trailing dot; "." for the root); undefined if malformed. */
export function nameText(buf: Uint8Array, at: number, len: number): string | undefined {
  const end = at + len;
  let i = at;
  let s = '';
  while (i < end) {
    const l = buf[i];
    if (l === 0) return s === '' ? '.' : s;
    if (s !== '') s += '.';
    for (let j = i + 1; j <= i + l && j < end; j++) {
      const c = buf[j];
      // Dots and non-printing octets inside a label as BIND's presentation format writes them.
      s += c === 46 || c === 92 ? `\\${String.fromCharCode(c)}` : c > 32 && c < 127 ? String.fromCharCode(c) : `\\${String(c).padStart(3, '0')}`;
    }
    i += l + 1;
  }
  return undefined;
}
