// A hash index of flows by their 5-tuple held in typed arrays (open addressing,
// linear probing), so a lookup per packet builds no string and allocates nothing.
// Values live in a parallel array. Deleted slots become tombstones, cleared when
// the table is rebuilt (on growth, or when tombstones pile up).

const EMPTY = 0;
const FULL = 1;
const GONE = 2;

export class FlowIndex<T> {
  private cap = 0;
  private mask = 0;
  private state = new Uint8Array(0);
  private proto = new Uint8Array(0);
  private src = new Int32Array(0);
  private dst = new Int32Array(0);
  private ports = new Int32Array(0);
  private vals: Array<T | undefined> = [];
  /** Live entries. */
  size = 0;
  /** Live entries plus tombstones. */
  private used = 0;

  constructor(initial = 1024) {
    let c = 16;
    while (c < initial) c *= 2;
    this.alloc(c);
  }

  private alloc(cap: number): void {
    this.cap = cap;
    this.mask = cap - 1;
    this.state = new Uint8Array(cap);
    this.proto = new Uint8Array(cap);
    this.src = new Int32Array(cap);
    this.dst = new Int32Array(cap);
    this.ports = new Int32Array(cap);
    this.vals = new Array<T | undefined>(cap).fill(undefined);
    this.used = 0;
    this.size = 0;
  }

  private static hash(proto: number, src: number, ports: number, dst: number): number {
    // MurmurHash3's fmix32 over the fields folded with odd multipliers.
    let h = (src ^ Math.imul(dst, 0x9e3779b1) ^ Math.imul(ports, 0x85ebca6b) ^ Math.imul(proto, 0xc2b2ae35)) | 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h;
  }

  /** Slot holding the flow, or -1. */
  private find(proto: number, src: number, ports: number, dst: number): number {
    const m = this.mask;
    let i = FlowIndex.hash(proto, src, ports, dst) & m;
    for (;;) {
      const st = this.state[i];
      if (st === EMPTY) return -1;
      if (st === FULL && this.src[i] === src && this.dst[i] === dst && this.ports[i] === ports && this.proto[i] === proto) return i;
      i = (i + 1) & m;
    }
  }

  get(proto: number, src: number, sport: number, dst: number, dport: number): T | undefined {
    const i = this.find(proto, src | 0, (sport << 16) | dport, dst | 0);
    return i < 0 ? undefined : this.vals[i];
  }

  /** Adds or replaces the flow's value. */
  set(proto: number, src: number, sport: number, dst: number, dport: number, v: T): void {
    const s = src | 0;
    const d = dst | 0;
    const p = (sport << 16) | dport;
    const at = this.find(proto, s, p, d);
    if (at >= 0) {
      this.vals[at] = v;
      return;
    }
    if ((this.used + 1) * 4 > this.cap * 3) this.rebuild(this.size + 1);
    const m = this.mask;
    let i = FlowIndex.hash(proto, s, p, d) & m;
    while (this.state[i] === FULL) i = (i + 1) & m;
    if (this.state[i] === EMPTY) this.used++;
    this.state[i] = FULL;
    this.proto[i] = proto;
    this.src[i] = s;
    this.dst[i] = d;
    this.ports[i] = p;
    this.vals[i] = v;
    this.size++;
  }

  /** Removes the flow when it maps to `v` (or to anything, without `v`); true when removed. */
  delete(proto: number, src: number, sport: number, dst: number, dport: number, v?: T): boolean {
    const i = this.find(proto, src | 0, (sport << 16) | dport, dst | 0);
    if (i < 0 || (v !== undefined && this.vals[i] !== v)) return false;
    this.state[i] = GONE;
    this.vals[i] = undefined;
    this.size--;
    return true;
  }

  /** Rehashes the live entries into a table sized for `need` entries at most half full. */
  private rebuild(need: number): void {
    const old = { state: this.state, proto: this.proto, src: this.src, dst: this.dst, ports: this.ports, vals: this.vals, cap: this.cap };
    let c = 16;
    while (c < need * 2) c *= 2;
    this.alloc(Math.max(c, this.cap));
    const m = this.mask;
    for (let j = 0; j < old.cap; j++) {
      if (old.state[j] !== FULL) continue;
      let i = FlowIndex.hash(old.proto[j], old.src[j], old.ports[j], old.dst[j]) & m;
      while (this.state[i] === FULL) i = (i + 1) & m;
      this.state[i] = FULL;
      this.proto[i] = old.proto[j];
      this.src[i] = old.src[j];
      this.dst[i] = old.dst[j];
      this.ports[i] = old.ports[j];
      this.vals[i] = old.vals[j];
      this.used++;
      this.size++;
    }
  }

  clear(): void {
    this.alloc(this.cap);
  }
}
