// The one process that decides about DHCP names and owns their journal (the DNS service's
// primary): it subscribes to the name-registration channel, applies events and lease
// expiry through DhcpNames, journals every change before publishing, and hands each new
// snapshot to whoever serves the zones (the in-process host, or every cluster worker).

import path from 'node:path';
import type { Logger } from '../log.js';
import type { NameRegistrations } from '../net/name-registration.js';
import { DhcpNames, NamesJournal, type Change, type NamesSnapshot, type ZoneFacts } from './dhcp-names.js';

const NAMES_JOURNAL = 'dhcp-names.jnl';

export class NamesOwner {
  private names: DhcpNames;
  private journal: NamesJournal;
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;

  constructor(
    dataDir: string,
    facts: ZoneFacts[],
    private log: Logger,
    private publish: (snap: NamesSnapshot) => void,
  ) {
    this.names = new DhcpNames(facts);
    this.journal = new NamesJournal(path.join(dataDir, NAMES_JOURNAL));
  }

  get snapshot(): NamesSnapshot {
    return this.names.snapshot();
  }

  start(channel: NameRegistrations): void {
    const { entries, bad } = this.journal.load(this.names);
    if (bad) this.log.warn({ journal: this.journal.file, bad }, 'DHCP names journal: unreadable lines skipped');
    if (entries) {
      this.journal.compact(this.names);
      this.log.info({ journal: this.journal.file, records: this.names.snapshot().records.length }, 'DHCP names restored from the journal');
    }
    this.commit(this.names.expire(Math.floor(Date.now() / 1000)), true);
    this.unsubscribe = channel.subscribe((e) => {
      try {
        this.commit(this.names.apply(e, Math.floor(Date.now() / 1000)));
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'DHCP name update failed');
      }
    });
    // Lease ends are checked every second, so names go soon after their lease.
    this.timer = setInterval(() => this.commit(this.names.expire(Math.floor(Date.now() / 1000))), 1000);
    this.timer.unref();
  }

  /** New zone files (reload): conflicts are judged against them from now on. */
  setFacts(facts: ZoneFacts[]): void {
    this.names.setFacts(facts);
  }

  private commit(r: { changes: Change[]; log: string[] }, always = false): void {
    for (const l of r.log) this.log.info(`DHCP name: ${l}`);
    if (r.changes.length) {
      try {
        this.journal.append(r.changes);
      } catch (err) {
        this.log.error({ err: (err as Error).message, journal: this.journal.file }, 'DHCP names journal write failed');
      }
    }
    if (r.changes.some((c) => c.op !== 'touch') || always) this.publish(this.names.snapshot());
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
  }
}
