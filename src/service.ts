// What `triad run` knows about a service: how its configuration is found, how it is
// created, started, reloaded and stopped, and what its state is. Each service
// (dns/, dhcp/, lb/) exports a factory; src/services.ts lists one definition per
// service, and `triad run` (src/supervisor.ts) and `triad ctl status` read that list.

import type { Diagnostic } from './config/diagnostics.js';
import type { Logger } from './log.js';
import type { NameRegistrations } from './net/name-registration.js';

export interface Service {
  readonly name: string;
  start(): Promise<void>;
  /** Re-reads configuration; on error keeps the running configuration and throws. */
  reload(): Promise<void>;
  stop(): Promise<void>;
  /** A note for `triad ctl status` about how it runs (e.g. why DHCP serves no interface). */
  detail?(): string | undefined;
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

/** One service as `triad run` sees it, before it exists. */
export interface ServiceDefinition {
  /** As shown by `triad ctl status` and in logs: dns, dhcp, lb, dhcp-relay. */
  readonly name: string;
  /** Its configuration file in CONF_DIR and the option naming another one (for messages). */
  readonly config: { file: string; option: string };
  /** The file it would read, or undefined when it has no configuration. */
  locate(opts: RunOptions): string | undefined;
  /**
   * Reads the configuration and returns the service, not yet started; undefined when
   * there is no configuration. Throws (ConfigError with every diagnostic) for a broken file.
   */
  create(opts: RunOptions): Promise<Service | undefined>;
}

// --- status --------------------------------------------------------------------

export type ServiceState = 'running' | 'failed' | 'not configured';

/** Why something failed: the message, and the diagnostics when a configuration file was at fault. */
export interface Failure {
  /** The whole message (diagnostics as file:line:col lines with the line and a caret). */
  reason: string;
  errors: Diagnostic[];
  /** ISO time. */
  at: string;
}

export interface ServiceStatus {
  name: string;
  state: ServiceState;
  /** The configuration file (running, failed), or what would configure it (not configured). */
  file?: string;
  /** failed: why it is not running (at start, or when a reload tried to start it again). */
  failure?: Failure;
  /** running: a note from the service (e.g. DHCP idle). */
  detail?: string;
  /** The last SIGHUP reload of this service, when there was one. */
  reload?: { ok: true; at: string } | ({ ok: false } & Failure);
}

export interface StartupDecision {
  /** Keep the process and serve (true), or stop what started and exit with `exitCode`. */
  serve: boolean;
  exitCode: number;
  /** For the log. */
  message: string;
}

/**
 * After every configured service was tried: serve when at least one runs, unless
 * `strict` (all-or-nothing, `triad run --strict`) and one failed. Otherwise a broken
 * file in one service never stops the others, as one broken zone never stops BIND.
 */
export function decideStartup(statuses: readonly ServiceStatus[], strict: boolean): StartupDecision {
  const failed = statuses.filter((s) => s.state === 'failed').map((s) => s.name);
  const running = statuses.filter((s) => s.state === 'running').map((s) => s.name);
  if (failed.length === 0 && running.length === 0) return { serve: false, exitCode: 1, message: 'no service has a configuration to run' };
  if (strict && failed.length > 0) return { serve: false, exitCode: 1, message: `--strict: ${failed.join(', ')} failed, so Triad stops (without --strict the other services would run)` };
  if (running.length === 0) return { serve: false, exitCode: 1, message: `no service could start (failed: ${failed.join(', ')})` };
  if (failed.length > 0) return { serve: true, exitCode: 0, message: `triad running without ${failed.join(', ')} (see the errors above; fix the file and send SIGHUP to start it)` };
  return { serve: true, exitCode: 0, message: 'triad running' };
}
