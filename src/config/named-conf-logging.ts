// named.conf's `logging { channel …; category …; }` and `options { querylog }` as Triad
// uses them: the channels of category `queries` (BIND's query log). named-conf.ts checks
// the statement as named-checkconf does; this module reads what was checked into plain
// data. The other categories go to Triad's JSON log.

import path from 'node:path';
import type { NStatement } from './named-conf.js';

/** Where a channel writes (BIND 9.18 ARM, "logging Statement Grammar"). */
export type LogDestination =
  | { kind: 'file'; path: string; versions?: number | 'unlimited'; size?: number }
  | { kind: 'stderr' } | { kind: 'null' } | { kind: 'syslog' };

/** `print-time yes` is BIND's `local` layout (30-Nov-2026 23:29:08.846). */
export type PrintTime = false | 'local' | 'iso8601' | 'iso8601-utc';

export interface LogChannel {
  name: string;
  destination: LogDestination;
  printTime: PrintTime;
  printCategory: boolean;
  printSeverity: boolean;
  /** `severity`: the query log is written at `info`, so `warning` and above drop it. */
  severity: string;
}

export interface LoggingConfig {
  /** Channels by name, the built-in ones included. */
  channels: Map<string, LogChannel>;
  /** The channels of `category queries { … }`; undefined when the category is not configured. */
  queries?: string[];
}

const BUILTIN: readonly LogChannel[] = [
  { name: 'default_syslog', destination: { kind: 'syslog' }, printTime: false, printCategory: false, printSeverity: false, severity: 'info' },
  // named writes default_debug (named.run) only when started with a debug level; Triad has none.
  { name: 'default_debug', destination: { kind: 'null' }, printTime: 'local', printCategory: false, printSeverity: false, severity: 'dynamic' },
  { name: 'default_stderr', destination: { kind: 'stderr' }, printTime: false, printCategory: false, printSeverity: false, severity: 'info' },
  { name: 'default_logfile', destination: { kind: 'file', path: 'named.log' }, printTime: false, printCategory: false, printSeverity: false, severity: 'dynamic' },
  { name: 'null', destination: { kind: 'null' }, printTime: false, printCategory: false, printSeverity: false, severity: 'info' },
];

/** BIND's size units: k, m, g (1024-based); `unlimited`/`default` is no limit. */
function sizeValue(w: string): number | undefined {
  const m = /^([0-9]+)([kmg]?)$/i.exec(w);
  if (!m) return undefined;
  return Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g']);
}

function boolValue(w: string | undefined): boolean {
  return w !== undefined && /^(yes|true|1)$/i.test(w);
}

/**
 * Reads a checked `logging` block. Relative file names are relative to `directory`,
 * where named runs. Severity `info` is the default; `dynamic` follows named's debug
 * level, which for Triad is 0 (info).
 */
export function readLogging(block: readonly NStatement[], directory: string): LoggingConfig {
  const channels = new Map(BUILTIN.map((c) => [c.name, { ...c, destination: c.destination.kind === 'file' ? { ...c.destination, path: path.resolve(directory, c.destination.path) } : c.destination }] as const));
  let queries: string[] | undefined;
  for (const s of block) {
    const kind = s.words[0]?.value.toLowerCase();
    const name = s.words[1]?.value;
    if (!name || !s.block) continue;
    if (kind === 'category') {
      if (name.toLowerCase() === 'queries') queries = [...(queries ?? []), ...s.block.flatMap((c) => (c.words[0] ? [c.words[0].value] : []))];
      continue;
    }
    if (kind !== 'channel') continue;
    const ch: LogChannel = { name, destination: { kind: 'null' }, printTime: false, printCategory: false, printSeverity: false, severity: 'info' };
    for (const c of s.block) {
      const w = c.words.map((t) => t.value);
      switch (w[0]?.toLowerCase()) {
        case 'file': {
          if (w[1] === undefined) break;
          const d: LogDestination = { kind: 'file', path: path.resolve(directory, w[1]) };
          for (let i = 2; i + 1 < w.length; i += 2) {
            const k = w[i].toLowerCase();
            const v = w[i + 1].toLowerCase();
            if (k === 'versions') d.versions = v === 'unlimited' ? 'unlimited' : Number.isInteger(Number(v)) ? Number(v) : undefined;
            else if (k === 'size') d.size = sizeValue(v);
          }
          ch.destination = d;
          break;
        }
        case 'stderr':
          ch.destination = { kind: 'stderr' };
          break;
        case 'syslog':
          ch.destination = { kind: 'syslog' };
          break;
        case 'null':
          ch.destination = { kind: 'null' };
          break;
        case 'print-time': {
          const v = (w[1] ?? '').toLowerCase();
          ch.printTime = v === 'iso8601' || v === 'iso8601-utc' || v === 'local' ? v : boolValue(v) ? 'local' : false;
          break;
        }
        case 'print-category':
          ch.printCategory = boolValue(w[1]);
          break;
        case 'print-severity':
          ch.printSeverity = boolValue(w[1]);
          break;
        case 'severity':
          ch.severity = (w[1] ?? 'info').toLowerCase();
          break;
      }
    }
    channels.set(name, ch);
  }
  return { channels, queries };
}

/**
 * Whether query logging starts on (BIND 9.18 server.c): `querylog` when set; else on
 * when `category queries` is configured; else `previous` (off at start, and a reload
 * without either keeps what `triad ctl dns querylog` set).
 */
export function queryLogWanted(querylog: boolean | undefined, logging: LoggingConfig | undefined, previous: boolean): boolean {
  if (querylog !== undefined) return querylog;
  if (logging?.queries !== undefined) return true;
  return previous;
}
