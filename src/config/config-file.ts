// The one way every configuration kind reads its files — named.conf and its includes,
// zone files and their $INCLUDEs, dhcpd.conf and its includes, keepalived.conf and its
// includes, Debian's /etc/default files. A file that cannot be read (missing, a
// directory, permission denied) is a diagnostic naming it, placed at the include
// statement when it was included, never a thrown file-system error: `triad check`
// lists it beside the other mistakes, and a reload keeps the running configuration.
//
// Each kind's loader takes the file and a DiagnosticSink and reads through here:
// loadNamedConf (named-conf.ts), parseZoneFile (zone-file.ts), parseDhcpdConf
// (dhcpd-conf.ts), loadKeepalivedConf (keepalived-conf.ts), loadDefaultRelay
// (default-relay.ts).

import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import type { DiagnosticSink, Position } from './diagnostics.js';

/** Reads one file's text (tests pass their own). */
export type ReadText = (file: string) => string;

/**
 * The largest configuration file read (named.conf, dhcpd.conf, keepalived.conf, each
 * include, the /etc/default and remap files). BIND and dhcpd have no such limit; a
 * larger file is refused with a message so a runaway or hostile file cannot take the
 * memory of every service.
 */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** The largest zone file (or $INCLUDE) read: room for several million records. */
export const MAX_ZONE_BYTES = 256 * 1024 * 1024;

/** A read refused before it starts; `code` picks the message (unreadableReason). */
class RefusedRead extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/**
 * Reads a regular file of at most `limit` bytes. A FIFO, device (/dev/zero) or socket is
 * refused: reading one could block forever or never end. The file is opened
 * non-blocking so that opening a FIFO with no writer does not hang either.
 */
export function readRegularFile(file: string, encoding: BufferEncoding, limit: number): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new RefusedRead('EISDIR', 'is a directory');
    if (!st.isFile()) throw new RefusedRead('ENOTREG', 'not a regular file');
    if (st.size > limit) throw new RefusedRead('ETOOBIG', `larger than ${limit / (1024 * 1024)} MiB`);
    return readFileSync(fd, encoding);
  } finally {
    closeSync(fd);
  }
}

export const readUtf8: ReadText = (file) => readRegularFile(file, 'utf8', MAX_CONFIG_BYTES);

/** For zone files: Latin-1 keeps every octet as one character, as BIND reads bytes. */
export const readLatin1: ReadText = (file) => readRegularFile(file, 'latin1', MAX_ZONE_BYTES);

/** The parse step of a configuration kind: the file's text in, its model out, mistakes to the sink. */
export type ParseConfig<T> = (file: string, text: string, sink: DiagnosticSink) => T;

/** Why a file could not be read, in BIND's words where it has them (`file not found`, `permission denied`). */
function unreadableReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'file not found';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ELOOP':
      return 'too many symbolic links';
    case 'ENOTREG':
      return 'not a regular file (a FIFO, device or socket is not read)';
    case 'ETOOBIG':
      return `file too large (${(err as Error).message}); refused`;
    default:
      return code ?? (err instanceof Error ? err.message : String(err));
  }
}

/** A file's text, or why it could not be read. */
export function tryReadText(file: string, read: ReadText = readUtf8): { text: string } | { reason: string } {
  try {
    return { text: read(file) };
  } catch (err) {
    return { reason: unreadableReason(err) };
  }
}

/**
 * Reads a configuration file. When it cannot be read, reports it — at `from` (the
 * include statement, as `cannot include 'NAME': REASON`) or at the file itself — and
 * returns undefined. `shown` is the name the message uses (default: `file`).
 */
export function readConfigText(file: string, sink: DiagnosticSink, from?: Position, read: ReadText = readUtf8, shown = file): string | undefined {
  const r = tryReadText(file, read);
  if ('text' in r) return r.text;
  if (from) sink.error(from, `cannot include '${shown}': ${r.reason}`);
  else sink.error({ file: shown, line: 1, col: 1 }, `cannot read: ${r.reason}`);
  return undefined;
}

/**
 * The loader shape of every configuration kind: read the file, then parse it (its
 * includes go through readConfigText too). Undefined, with the reason in the sink,
 * when the file itself cannot be read.
 */
export function loadConfigFile<T>(file: string, sink: DiagnosticSink, parse: ParseConfig<T>, read: ReadText = readUtf8): T | undefined {
  const text = readConfigText(file, sink, undefined, read);
  return text === undefined ? undefined : parse(file, text, sink);
}
