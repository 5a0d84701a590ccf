// The journal file of a dynamic zone as read back at start: one JSON line per
// acknowledged change. A journal damaged on disk (a line cut short by a power
// failure, garbage) loses only its damaged lines: each is reported with its line
// number, the damaged file is kept aside as FILE.damaged-TIMESTAMP, and FILE is
// rewritten with the intact lines, so changes appended later never follow a torn
// line (which would make them unreadable too).

import { closeSync, copyFileSync, constants, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

/** One record as the journal keeps it: owner and rdata in base64, type, class, TTL. */
export type JournalRecord = [string, number, number, number, string];

export interface JournalEntry {
  from: number;
  to: number;
  del: JournalRecord[];
  add: JournalRecord[];
}

export interface JournalRead {
  /** The intact entries in order, with their line numbers. */
  entries: { entry: JournalEntry; line: number }[];
  /** The damaged lines (1-based). */
  damage: { line: number; message: string }[];
  /** The intact lines, as the file should hold them. */
  intactText: string;
}

const isRecord = (r: unknown): r is JournalRecord =>
  Array.isArray(r) && r.length === 5 && typeof r[0] === 'string' && typeof r[1] === 'number' && typeof r[2] === 'number' && typeof r[3] === 'number' && typeof r[4] === 'string';

function entryOf(v: unknown): JournalEntry | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as Record<string, unknown>;
  if (typeof e.from !== 'number' || typeof e.to !== 'number' || !Array.isArray(e.del) || !Array.isArray(e.add)) return undefined;
  if (!e.del.every(isRecord) || !e.add.every(isRecord)) return undefined;
  return { from: e.from, to: e.to, del: e.del, add: e.add };
}

export function readJournalText(text: string): JournalRead {
  const out: JournalRead = { entries: [], damage: [], intactText: '' };
  const lines = text.split('\n');
  // The text after the last newline was never completed (nothing is written without its newline).
  lines.forEach((raw, i) => {
    const last = i === lines.length - 1;
    if (!raw.trim()) return;
    let entry: JournalEntry | undefined;
    try {
      entry = entryOf(JSON.parse(raw));
    } catch {
      entry = undefined;
    }
    if (!entry || last) {
      out.damage.push({ line: i + 1, message: last && entry ? 'last change cut short (no end of line)' : entry ? 'unreadable change' : last ? 'last change cut short' : 'unreadable line (damaged), skipped' });
      return;
    }
    out.entries.push({ entry, line: i + 1 });
    out.intactText += `${raw}\n`;
  });
  return out;
}

/** Copies a damaged file, untouched, to FILE.damaged-YYYYMMDDTHHMMSSZ; returns the copy's name. */
export function keepDamagedCopy(file: string, now: Date = new Date()): string {
  const aside = `${file}.damaged-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
  try {
    copyFileSync(file, aside, constants.COPYFILE_EXCL);
  } catch (e) {
    // Damaged twice within a second: the first copy is the one to keep.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return aside;
}

/** Keeps the damaged journal aside (untouched) and replaces FILE with its intact lines; returns where the copy is. */
export function setAsideDamaged(file: string, intactText: string, now: Date = new Date()): string {
  const aside = keepDamagedCopy(file, now);
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, intactText);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  try {
    const d = openSync(path.dirname(file), 'r');
    try {
      fsyncSync(d);
    } finally {
      closeSync(d);
    }
  } catch {
    // Some file systems cannot fsync a folder; the rename itself is atomic.
  }
  return aside;
}
