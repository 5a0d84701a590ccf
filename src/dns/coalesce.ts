// Identical questions in flight go upstream once: later askers share the first
// asker's promise until it settles (BIND's "duplicate query" handling; also
// narrows the window for birthday-style spoofing, RFC 5452 §5).

export class InFlight<V> {
  private readonly pending = new Map<string, { p: Promise<V>; clients: number }>();
  /** How many callers joined a query already in flight. */
  joined = 0;

  /**
   * The shared promise for `key`, starting it when none is in flight. `mayJoin`
   * (given how many callers already wait) can refuse a joiner: then undefined.
   */
  run(key: string, start: () => Promise<V>, mayJoin?: (clients: number) => boolean): Promise<V> | undefined {
    const e = this.pending.get(key);
    if (e) {
      if (mayJoin && !mayJoin(e.clients)) return undefined;
      this.joined++;
      e.clients++;
      return e.p;
    }
    const q = start().finally(() => this.pending.delete(key));
    this.pending.set(key, { p: q, clients: 1 });
    return q;
  }

  get size(): number {
    return this.pending.size;
  }
}
