// Durable lease journal. Every committed lease is appended to the dhcpd.leases file and
// fdatasync'd before the caller may send its DHCPACK; commits arriving while a flush is
// in progress share the next flush (group commit), so many ACKs cost one sync.
// The file is rewritten compactly via temp file + fsync + rename + directory fsync:
// the old file stays complete until the atomic rename, so there is no window of loss.

import { open, rename, readFile, mkdir, copyFile, type FileHandle } from 'node:fs/promises';
import { constants, fdatasync, fstatSync, ftruncateSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** Lease-file sync latency buckets (seconds): 0.1 ms doubling to about 3 s. */
export const SYNC_BUCKETS: readonly number[] = Array.from({ length: 16 }, (_, i) => 0.0001 * 2 ** i);
import path from 'node:path';
import { LEASE_FILE_HEADER, formatLease, parseLeaseFile } from './lease-file.js';
import type { Lease } from './lease.js';

export interface LeaseStoreOptions {
  /**
   * Rewrite compactly after this many appended records (default 10000), and not before the
   * journal has grown by as many records as the last rewrite held: rewriting costs one record
   * per lease, so a large lease table is not rewritten every few thousand ACKs.
   */
  compactEvery?: number;
}

interface Pending {
  text: string;
  /** Called once the text is on stable storage (no error) or could not be written. */
  done: (err?: Error) => void;
  /** Lease records in `text`. */
  records: number;
}

export class LeaseStore {
  private fh?: FileHandle;
  private queue: Pending[] = [];
  private flushing?: Promise<void>;
  private appended = 0;
  /** Records the file held after its last complete rewrite (or when loaded). */
  private rewritten = 0;
  /** The file's size as this process has written it (-1: ask the file). */
  private size = -1;
  private compactWanted = false;
  /** Number of fdatasync calls, for tests and stats. */
  syncs = 0;
  /** How long each append waited for the disk (write + fdatasync), per SYNC_BUCKETS bucket (+Inf last), for the statistics channel. */
  readonly syncLatency = { buckets: new Array<number>(SYNC_BUCKETS.length + 1).fill(0), sum: 0, count: 0 };

  constructor(
    readonly file: string,
    private snapshot: () => Iterable<Lease>,
    private opts: LeaseStoreOptions = {},
  ) {}

  private observeSync(seconds: number): void {
    const l = this.syncLatency;
    let b = 0;
    while (b < SYNC_BUCKETS.length && seconds > SYNC_BUCKETS[b]) b++;
    l.buckets[b]++;
    l.sum += seconds;
    l.count++;
  }

  /**
   * Reads the existing file (ISC's or ours); returns its leases and problems as text.
   * A damaged file (a record cut short by a power failure, garbage) is kept aside
   * as FILE.damaged-TIMESTAMP, untouched, and FILE is rewritten at once with every
   * intact lease, so records appended from now on never follow a torn one.
   */
  async load(now: Date = new Date()): Promise<{ leases: Map<number, Lease>; problems: string[]; damagedCopy?: string }> {
    await mkdir(path.dirname(this.file), { recursive: true });
    let text = '';
    try {
      text = await readFile(this.file, 'latin1');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const { leases, sink, damaged } = parseLeaseFile(this.file, text);
    const problems = sink.items.map((d) => `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`);
    this.rewritten = leases.size;
    if (!damaged) return { leases, problems };
    const aside = `${this.file}.damaged-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
    await copyFile(this.file, aside, constants.COPYFILE_EXCL).catch(async (e: NodeJS.ErrnoException) => {
      // Two damaged loads in one second: the first copy is the one to keep.
      if (e.code !== 'EEXIST') throw e;
    });
    await this.rewrite(leases.values());
    problems.push(`${this.file}: damaged; its ${leases.size} intact lease${leases.size === 1 ? '' : 's'} kept, the damaged file saved as ${aside}`);
    return { leases, problems, damagedCopy: aside };
  }

  /** Opens for appending; writes the header into a new file. */
  async open(): Promise<void> {
    this.fh = await open(this.file, 'a');
    this.size = -1;
    const st = await this.fh.stat();
    if (st.size === 0) {
      await this.fh.write(LEASE_FILE_HEADER);
      await this.fh.datasync();
    }
  }

  /** Resolves once the lease is on stable storage. */
  commit(lease: Lease): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ text: formatLease(lease), done: (err) => (err ? reject(err) : resolve()), records: 1 });
      this.kick();
    });
  }

  /** The records of one decision, appended together; `done` once they are on stable storage. */
  commitAll(leases: Lease[], done: (err?: Error) => void): void {
    let text = '';
    for (const l of leases) text += formatLease(l);
    this.queue.push({ text, done, records: leases.length });
    this.kick();
  }

  /** Asks for a compact rewrite at the next opportunity. */
  requestCompact(): void {
    this.compactWanted = true;
    this.kick();
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.run().finally(() => {
      this.flushing = undefined;
      if (this.queue.length || this.compactWanted) this.kick();
    });
  }

  private async run(): Promise<void> {
    while (this.queue.length || this.compactWanted) {
      if (this.compactWanted) {
        this.compactWanted = false;
        try {
          await this.compact();
        } catch {
          // A failed rewrite leaves the journal as it was; appends go on.
        }
        continue;
      }
      const batch = this.queue;
      this.queue = [];
      let before: { fd: number; size: number } | undefined;
      let failure: Error | undefined;
      try {
        if (!this.fh) throw new Error('lease file not open');
        // The append is a page-cache copy (cheap, done inline); the sync waits on the disk
        // off the main thread.
        const text = batch.length === 1 ? batch[0].text : batch.map((p) => p.text).join('');
        const fd = this.fh.fd;
        const started = performance.now();
        // The size is known from the last write; fstat only after an open or a failure.
        if (this.size < 0) this.size = fstatSync(fd).size;
        before = { fd, size: this.size };
        let off = 0;
        const buf = Buffer.from(text, 'latin1');
        while (off < buf.length) off += writeSync(fd, buf, off);
        this.size += buf.length;
        await new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
        this.syncs++;
        this.observeSync((performance.now() - started) / 1000);
        for (const p of batch) this.appended += p.records;
      } catch (e) {
        failure = e as Error;
        // A write cut short (disk full, file size limit) leaves no half record behind.
        if (before) {
          try {
            ftruncateSync(before.fd, before.size);
            this.size = before.size;
          } catch {
            this.size = -1;
            // The file stays as the failed write left it; the next load reports the torn record.
          }
        }
      }
      // A caller's exception is its own (thrown outside the journal's loop, as from a promise's callback).
      for (const p of batch) {
        try {
          p.done(failure);
        } catch (err) {
          queueMicrotask(() => {
            throw err;
          });
        }
      }
      if (this.appended >= Math.max(this.opts.compactEvery ?? 10000, this.rewritten)) {
        this.appended = 0;
        this.compactWanted = true;
      }
    }
  }

  /** Rewrites the file with one record per address from the in-memory state. */
  private async compact(): Promise<void> {
    await this.rewrite(this.snapshot());
    const old = this.fh;
    this.fh = await open(this.file, 'a');
    this.size = -1;
    await old?.close();
  }

  /** FILE replaced by these leases: temp file, fsync, rename, directory fsync (never a moment without a complete file). */
  private async rewrite(leases: Iterable<Lease>): Promise<void> {
    const tmp = `${this.file}.tmp-${process.pid}`;
    const out = await open(tmp, 'w');
    try {
      const parts = [LEASE_FILE_HEADER];
      for (const l of leases) parts.push(formatLease(l));
      await out.write(parts.join(''), undefined, 'latin1');
      await out.sync();
      this.rewritten = parts.length - 1;
    } finally {
      await out.close();
    }
    await rename(tmp, this.file);
    const dir = await open(path.dirname(this.file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /** Waits for pending commits, then closes. */
  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.fh?.close();
    this.fh = undefined;
  }
}
