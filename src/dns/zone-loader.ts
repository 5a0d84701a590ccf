// Loads one zone file into a Zone, with BIND's load-time checks. (Contract; being implemented.)
import type { Diagnostic } from '../config/diagnostics.js';
import type { Zone } from './zone.js';

export interface ZoneLoadOptions {
  /** Zone name as configured, e.g. "cafe.babe" (trailing dot optional). */
  origin: string;
  /** Path of the zone file; relative paths resolve against `directory`. */
  file: string;
  /** named.conf `directory`: base for the file and for `$INCLUDE`. */
  directory: string;
  /** Defaults to IN. */
  class?: number;
}

export interface ZoneLoadResult {
  /** Present when the zone loaded (possibly with warnings); absent when any error was found. */
  zone?: Zone;
  diagnostics: Diagnostic[];
}

export function loadZoneFile(_opts: ZoneLoadOptions): ZoneLoadResult {
  throw new Error('loadZoneFile: not implemented yet');
}
