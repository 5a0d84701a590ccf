// Identical questions in flight go upstream once: later askers share the first
// asker's promise until it settles (BIND's "duplicate query" handling; also
// narrows the window for birthday-style spoofing, RFC 5452 §5).

export class InFlight<V> {
  private readonly pending = new Map<string, Promise<V>>();
  /** How many callers joined a query already in flight. */
  joined = 0;

  run(key: string, start: () => Promise<V>): Promise<V> {
    const p = this.pending.get(key);
    if (p) {
      this.joined++;
      return p;
    }
    const q = start().finally(() => this.pending.delete(key));
    this.pending.set(key, q);
    return q;
  }

  get size(): number {
    return this.pending.size;
  }
}
