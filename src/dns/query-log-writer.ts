// The main process's end of the query log: writes the lines every DNS worker hands
// over to the channels of `category queries` the way BIND 9.18's isc_log does it:
//
//  - a file is opened (append) at its first line, and rolled then when `versions` is
//    set without `size`, or when it already holds `size` octets;
//  - before each line, a file at or past `size` is rolled (FILE → FILE.0 → FILE.1 …,
//    keeping `versions` old files; `unlimited` keeps every one); with `size` but no
//    `versions`, writing to it stops instead;
//  - `print-time`, `print-category`, `print-severity` prefix each line;
//  - `stderr` channels go to standard error, `syslog` ones (and `querylog yes` without a
//    `category queries`, BIND's default category) to Triad's JSON log, `null` nowhere.
//
// One writer in one process: lines from several workers never interleave inside a line,
// and the size check and the rename are never raced by another writer.

import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { LogChannel, LoggingConfig } from '../config/named-conf-logging.js';
import type { Logger } from '../log.js';
import { logTime, type QueryLogEntry } from './query-log.js';

/** How long a channel file that could not be opened waits before it is tried again (ms). */
const RETRY_MS = 10_000;

/** Severities that drop the query log's `info` lines. */
const ABOVE_INFO = new Set(['critical', 'error', 'warning', 'notice']);

/** Renames FILE.i to FILE.i+1 (highest first) and FILE to FILE.0, keeping `versions` old files. */
export function rollFile(file: string, versions: number | 'unlimited'): void {
  let highest = -1;
  const base = path.basename(file);
  try {
    for (const f of readdirSync(path.dirname(file))) {
      const m = f.startsWith(`${base}.`) ? /^[0-9]+$/.exec(f.slice(base.length + 1)) : null;
      if (m) highest = Math.max(highest, Number(m[0]));
    }
  } catch {
    // no folder yet: nothing to roll
  }
  const keep = versions === 'unlimited' ? Infinity : versions;
  for (let i = highest; i >= 0; i--) {
    const from = `${file}.${i}`;
    if (!existsSync(from)) continue;
    if (i + 1 >= keep) rmSync(from, { force: true });
    else renameSync(from, `${file}.${i + 1}`);
  }
  if (!existsSync(file)) return;
  if (keep === 0) rmSync(file, { force: true });
  else renameSync(file, `${file}.0`);
}

class FileChannel {
  private fd: number | undefined;
  private size = 0;
  /** Size reached without `versions`: BIND stops writing to the file. */
  private full = false;

  constructor(
    readonly channel: LogChannel,
    private readonly dest: { path: string; versions?: number | 'unlimited'; size?: number },
    private readonly log: Logger,
  ) {}

  /** When opening last failed: tried again after RETRY_MS, and logged once per failure. */
  private failedAt = 0;

  private open(): boolean {
    if (this.fd !== undefined) return true;
    if (this.failedAt && Date.now() - this.failedAt < RETRY_MS) return false;
    const { path: file, versions, size } = this.dest;
    try {
      mkdirSync(path.dirname(file), { recursive: true });
      let existing = -1;
      try {
        const st = statSync(file);
        if (st.isFile()) existing = st.size;
      } catch {
        // not there yet
      }
      if (existing >= 0 && versions !== undefined && (size === undefined || existing >= size)) rollFile(file, versions);
      this.fd = openSync(file, 'a', 0o644);
      this.size = fstatSync(this.fd).size;
      this.full = false;
      if (this.failedAt) this.log.info({ file }, 'query log: the channel file is open again');
      this.failedAt = 0;
      return true;
    } catch (err) {
      if (!this.failedAt) this.log.error({ file, err: err instanceof Error ? err.message : String(err) }, `query log: cannot open the channel file; its lines are dropped, and opening is tried again every ${RETRY_MS / 1000} s`);
      this.failedAt = Date.now();
      return false;
    }
  }

  write(lines: string[]): void {
    if (this.full || !this.open()) return;
    const limit = this.dest.size;
    let chunk = '';
    for (const line of lines) {
      if (limit !== undefined && limit > 0 && this.size >= limit) {
        this.flush(chunk);
        chunk = '';
        if (this.dest.versions === undefined) {
          this.full = true;
          return;
        }
        this.close();
        try {
          rollFile(this.dest.path, this.dest.versions);
        } catch (err) {
          this.log.error({ file: this.dest.path, err: err instanceof Error ? err.message : String(err) }, 'query log: cannot roll the channel file');
        }
        if (!this.open()) return;
      }
      chunk += line;
      this.size += Buffer.byteLength(line);
    }
    this.flush(chunk);
  }

  private flush(text: string): void {
    if (!text || this.fd === undefined) return;
    try {
      writeSync(this.fd, text);
    } catch (err) {
      this.log.error({ file: this.dest.path, err: err instanceof Error ? err.message : String(err) }, 'query log: cannot write the channel file');
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Same file and settings: kept open across a reload. */
  same(c: LogChannel): boolean {
    return JSON.stringify(c) === JSON.stringify(this.channel);
  }
}

/** A channel's prefix for one line. */
function prefix(c: LogChannel, ms: number): string {
  return `${c.printTime ? logTime(ms, c.printTime) : ''}${c.printCategory ? 'queries: ' : ''}${c.printSeverity ? 'info: ' : ''}`;
}

export class QueryLogWriter {
  private files = new Map<string, FileChannel>();
  private others: LogChannel[] = [];
  /** `querylog yes` without `category queries`: BIND's default category, here the JSON log. */
  private toJsonLog = true;

  constructor(private readonly log: Logger) {}

  /** Takes the channels of `category queries` from a (re)loaded named.conf. */
  configure(logging: LoggingConfig | undefined): void {
    const chosen = (logging?.queries ?? []).map((n) => logging?.channels.get(n)).filter((c): c is LogChannel => c !== undefined && !ABOVE_INFO.has(c.severity));
    this.toJsonLog = logging?.queries === undefined;
    const next = new Map<string, FileChannel>();
    this.others = [];
    for (const c of chosen) {
      if (c.destination.kind !== 'file') {
        this.others.push(c);
        continue;
      }
      const old = this.files.get(c.name);
      if (old?.same(c)) next.set(c.name, old);
      else next.set(c.name, new FileChannel(c, c.destination, this.log));
    }
    for (const [name, f] of this.files) if (next.get(name) !== f) f.close();
    this.files = next;
  }

  write(entries: readonly QueryLogEntry[]): void {
    for (const f of this.files.values()) f.write(entries.map(([ms, line]) => `${prefix(f.channel, ms)}${line}\n`));
    for (const c of this.others) {
      if (c.destination.kind === 'stderr') process.stderr.write(entries.map(([ms, line]) => `${prefix(c, ms)}${line}\n`).join(''));
      else if (c.destination.kind === 'syslog') for (const [, line] of entries) this.log.info({ category: 'queries' }, line);
    }
    if (this.toJsonLog) for (const [, line] of entries) this.log.info({ category: 'queries' }, line);
  }

  close(): void {
    for (const f of this.files.values()) f.close();
    this.files.clear();
  }
}
