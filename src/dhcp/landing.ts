// Decisions before effects: a decision's lease records are written durably first; only
// then are its changes applied to memory and may its reply leave. A write that fails
// changes nothing in memory and sends nothing (ISC dhcpd, too, does not acknowledge a
// lease it could not write). While records are on their way to disk, their addresses are
// taken for every other client, so two clients are never acknowledged one address.

import { applyChanges, type EngineState } from './engine.js';
import type { Changes } from './changes.js';
import { leaseKey, type Lease } from './lease.js';

/** Where lease records go (the lease file; a test's failing writer). */
export interface LeaseWriter {
  /** Resolves once the record is on stable storage. */
  commit(lease: Lease): Promise<void>;
  /**
   * All of `leases` in one append (one sync), then `done` (with the error when the write
   * failed): the per-decision path, without a promise per record. Optional.
   */
  commitAll?(leases: Lease[], done: (err?: Error) => void): void;
}

export class Landing {
  /** Address → the client whose record for it is being written (read by the engine). */
  readonly inFlight = new Map<number, string>();
  private pending = new Map<number, number>();

  constructor(private writer: LeaseWriter) {}

  /**
   * Makes `ch` durable, applies it to `st`, then calls `done`; on a failed write calls
   * `failed` and leaves memory as it was. Without records to write, all happens now.
   */
  land(st: EngineState, ch: Changes, done: () => void, failed: (err: Error) => void): void {
    if (ch.commit.length === 0) {
      applyChanges(st, ch, Date.now());
      done();
      return;
    }
    // A record that frees an address need not hold it; one that binds or quarantines it does.
    const holding = ch.commit.filter((l) => l.state === 'active' || l.state === 'abandoned');
    for (const l of holding) this.hold(l);
    if (this.writer.commitAll) {
      this.writer.commitAll(ch.commit, (err) => {
        for (const l of holding) this.unhold(l);
        if (err) return failed(err);
        applyChanges(st, ch, Date.now());
        done();
      });
      return;
    }
    Promise.all(ch.commit.map((l) => this.writer.commit(l))).then(
      () => {
        for (const l of holding) this.unhold(l);
        applyChanges(st, ch, Date.now());
        done();
      },
      (err: Error) => {
        for (const l of holding) this.unhold(l);
        failed(err);
      },
    );
  }

  private hold(l: Lease): void {
    this.inFlight.set(l.ip, l.state === 'active' ? leaseKey(l) : '');
    this.pending.set(l.ip, (this.pending.get(l.ip) ?? 0) + 1);
  }

  private unhold(l: Lease): void {
    const n = (this.pending.get(l.ip) ?? 1) - 1;
    if (n > 0) {
      this.pending.set(l.ip, n);
      return;
    }
    this.pending.delete(l.ip);
    this.inFlight.delete(l.ip);
  }
}
