// What `triad run` knows about a service: how to start it, reload it and stop it.
// Each service (dns/, dhcp/, lb/) exports a factory returning one of these.

import type { Logger } from './log.js';
import type { NameRegistrations } from './net/name-registration.js';

export interface Service {
  readonly name: string;
  start(): Promise<void>;
  /** Re-reads configuration; on error keeps the running configuration and throws. */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/** Command-line and environment settings every service factory receives. */
export interface RunOptions {
  confDir: string;
  /** Writable state (leases, journals). */
  dataDir: string;
  /** Explicit file options from the command line, e.g. `named-conf`, `dhcpd-conf`, `lb-conf`. */
  files: Record<string, string | undefined>;
  /** Other `--key value` options, as given. */
  flags: Record<string, string | boolean | undefined>;
  log: Logger;
  /** DHCP → DNS host names (DHCP publishes, DNS applies); absent in one-off commands. */
  names?: NameRegistrations;
}
