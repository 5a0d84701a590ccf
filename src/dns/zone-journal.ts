// The recent differences of one zone, in memory: what an incremental transfer
// (RFC 1995) will serve to a secondary that has an older serial. Bounded: the
// oldest differences go first (BIND trims its journal the same way, max-journal-size).
// A version that does not follow the last one recorded (a zone file edited and
// reloaded) starts a new history, as BIND discards the journal of an edited file.

import type { Zone } from './zone.js';
import type { ZoneDiff } from './zone-diff.js';

/** Differences kept per zone. */
export const JOURNAL_LIMIT = 100;

export interface JournalEntry {
  fromSerial: number;
  toSerial: number;
  diff: ZoneDiff;
}

export class ZoneJournal {
  private entries: JournalEntry[] = [];
  private head: Zone | undefined;

  constructor(private readonly limit = JOURNAL_LIMIT) {}

  /** Records that `diff` took `from` to `to`. */
  record(from: Zone, to: Zone, diff: ZoneDiff): void {
    if (this.head !== from) this.entries = [];
    this.head = to;
    this.entries.push({ fromSerial: from.serial, toSerial: to.serial, diff });
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  /** The version the history ends at. */
  get current(): Zone | undefined {
    return this.head;
  }

  /** The differences from `serial` to the current version, oldest first; undefined when the history does not reach back to it. */
  since(serial: number): readonly JournalEntry[] | undefined {
    if (this.head && this.head.serial === serial) return [];
    const at = this.entries.findIndex((e) => e.fromSerial === serial);
    return at < 0 ? undefined : this.entries.slice(at);
  }

  get size(): number {
    return this.entries.length;
  }
}
