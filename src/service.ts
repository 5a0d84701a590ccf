// The contract every service keeps: how its configuration is found, checked and
// created, its typed command-line options, its `triad` subcommands and its
// `triad ctl` commands. Each service folder has one definition module (dns/definition.ts,
// dhcp/definition.ts, …); src/services.ts lists them, and `triad run` (supervisor.ts),
// `triad check` (check.ts), `triad ctl` (control/ctl.ts) and the CLI (cli.ts) read that list.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { optString, type ParsedArgs } from './args.js';
import type { Diagnostic } from './config/diagnostics.js';
import { createLogger, type Logger } from './log.js';
import { NameRegistrations } from './net/name-registration.js';
import { ServiceHealth } from './channels/health.js';
import { VrrpRoles } from './channels/vrrp-roles.js';

export interface Service {
  readonly name: string;
  start(): Promise<void>;
  /** Re-reads configuration; on error keeps the running configuration and throws. */
  reload(): Promise<void>;
  stop(): Promise<void>;
  /** A note for `triad ctl status` about how it runs (e.g. why DHCP serves no interface). */
  detail?(): string | undefined;
}

/** A control reply: `text` for `triad ctl`, `data` for `triad ctl … --json`. */
export interface ControlReply {
  text: string;
  data?: unknown;
}

/** A control command used wrongly (answered 400 with the message). */
export class ControlUsageError extends Error {}

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
  /** Each service's state, published by `triad run` (VRRP's track_service follows it); absent in one-off commands. */
  health?: ServiceHealth;
  /** VRRP → DHCP: the interfaces where this box is a VRRP backup; absent in one-off commands. */
  vrrpRoles?: VrrpRoles;
  /** The statistics channel (/metrics and BIND's statistics); absent in one-off commands. */
  metrics?: MetricsRegistry;
  /** `triad run -u USER`: the user the process becomes once the services listen (DNS workers start as it). */
  runAs?: { user: string; uid: number; gid: number };
}

// --- metrics -------------------------------------------------------------------

/**
 * One metric family as a service reports it at scrape time (Prometheus' model):
 * counters and gauges have one value per label set; a histogram's samples are its
 * cumulative `le` buckets, then `_sum` and `_count` (the `suffix`).
 */
export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  samples: MetricSample[];
}

export interface MetricSample {
  labels?: Record<string, string>;
  value: number;
  /** Histograms only: which series of the family this sample is. */
  suffix?: '_bucket' | '_sum' | '_count';
}

/** A histogram's samples from per-bucket (not cumulative) counts, the last being +Inf. */
export function histogramSamples(bounds: readonly number[], counts: readonly number[], sum: number, count: number, labels: Record<string, string> = {}): MetricSample[] {
  const out: MetricSample[] = [];
  let acc = 0;
  for (let i = 0; i < bounds.length; i++) {
    acc += counts[i] ?? 0;
    out.push({ labels: { ...labels, le: String(bounds[i]) }, value: acc, suffix: '_bucket' });
  }
  out.push({ labels: { ...labels, le: '+Inf' }, value: count, suffix: '_bucket' });
  out.push({ labels, value: sum, suffix: '_sum' });
  out.push({ labels, value: count, suffix: '_count' });
  return out;
}

/** A read-only answer of the statistics channel (BIND's JSON and XML). */
export interface StatisticsReply {
  contentType: string;
  body: string;
}

/** A statistics-channels listener as named.conf configures it; `allow` decides per client address. */
export interface StatisticsListener {
  address: string;
  port: number;
  allow: (clientAddress: string) => boolean;
  /** The secrets of the keys named.conf's `controls` channels name: the dashboard's write actions need one. */
  actionKeys?: readonly ActionKey[];
}

/** A key a dashboard action may present (a named.conf `key` statement's decoded secret). */
export interface ActionKey {
  name: string;
  secret: Uint8Array;
}

/**
 * A dashboard write action: the request's JSON object in, a control reply out. Reached
 * only with a key; a ControlUsageError is answered 400 with its message.
 */
export type ActionHandler = (body: Record<string, unknown>) => Promise<ControlReply>;

/**
 * The statistics channel's contract with the services. Each running service adds a
 * collector (its metric families, built at scrape time from counters it keeps) and
 * may add read-only routes; every add returns its removal. Whoever reads named.conf
 * says where the channel listens.
 */
export interface MetricsRegistry {
  collector(name: string, collect: () => MetricFamily[] | Promise<MetricFamily[]>): () => void;
  route(path: string, answer: () => StatisticsReply | Promise<StatisticsReply>): () => void;
  /** A write action at POST `path` (the dashboard's release, drain, …); needs a key, and is logged. */
  action(path: string, handler: ActionHandler): () => void;
  /** The listeners now configured (an empty list closes them all). */
  listen(listeners: readonly StatisticsListener[]): Promise<void>;
}

/** Capabilities a service may keep after `triad run -u USER` drops root (capabilities(7)). */
export type CapabilityName = 'CAP_NET_BIND_SERVICE' | 'CAP_NET_BROADCAST' | 'CAP_NET_ADMIN' | 'CAP_NET_RAW';
/**
 * A service's dashboard panel through the registry: each read command's reply data
 * as JSON at /json/triad/SERVICE/NAME, each action at POST /action/SERVICE/NAME, both
 * answered by the service's own control function (the same path `triad ctl` takes).
 * Returns the removal of all of them.
 */
export function servicePanel(
  reg: MetricsRegistry | undefined,
  service: string,
  control: (cmd: string, args: string[]) => Promise<ControlReply>,
  /** reads: route name → the control command and its arguments; actions: name → the arguments from the body. */
  panel: { reads: Record<string, [string, ...string[]]>; actions: Record<string, (body: Record<string, unknown>) => string[]> },
): () => void {
  if (!reg) return () => undefined;
  const removals: (() => void)[] = [];
  for (const [name, [cmd, ...args]] of Object.entries(panel.reads)) {
    removals.push(reg.route(`/json/triad/${service}/${name}`, async () => ({
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify((await control(cmd, args)).data ?? null),
    })));
  }
  for (const [name, argsOf] of Object.entries(panel.actions)) {
    removals.push(reg.action(`/action/${service}/${name}`, (body) => control(name, argsOf(body))));
  }
  return () => removals.forEach((r) => r());
}

/** An action body's string field, or a usage error naming it. */
export function bodyString(body: Record<string, unknown>, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v === '') throw new ControlUsageError(`'${field}' is missing from the request`);
  return v;
}

/** One service as `triad run` sees it, before it exists. */
export interface ServiceDefinition {
  /** As shown by `triad ctl status` and in logs: dns, dhcp, lb, dhcp-relay. */
  readonly name: string;
  /** Its configuration file in CONF_DIR and the option naming another one (for messages). */
  readonly config: ConfigLocation;
  /**
   * The file it would read, or undefined when it has no configuration; throws when the
   * file named by its option is missing. Definitions use `locateConfig` (one rule for all).
   */
  locate(opts: RunOptions): string | undefined;
  /** `triad check`: every diagnostic of the file (and what it loads), plus summary lines. */
  check(file: string, opts: RunOptions): Promise<CheckResult>;
  /**
   * Reads the configuration and returns the service, not yet started; undefined when
   * there is no configuration. Throws (ConfigError with every diagnostic) for a broken file.
   */
  create(opts: RunOptions): Promise<Service | undefined>;
  /** Its `--key value` options for `triad run` and `triad check`, validated before anything starts. */
  readonly options?: readonly OptionSpec[];
  /**
   * What `triad ctl status` says when its file exists but configures nothing for it
   * (create returned undefined), e.g. a keepalived.conf with VRRP instances only.
   */
  readonly notServed?: string;
  /** Its own `triad` subcommands (e.g. `leases`, `checkzone`). */
  readonly commands?: readonly CommandSpec[];
  /** Its `triad ctl NAME COMMAND …` commands (the running service answers them). */
  readonly control?: ControlSpec;
  /**
   * What it still needs once `triad run -u USER` has dropped root, with the reason
   * (README "Running with least privilege" lists them): e.g. CAP_NET_BIND_SERVICE to
   * listen on a new port below 1024 at a reload, CAP_NET_RAW for packet sockets.
   */
  readonly capabilities?: readonly CapabilityName[];
}

/** Where a service's configuration lives: CONF_DIR/`file`, or `--option FILE`. */
export interface ConfigLocation {
  file: string;
  option: string;
}

/**
 * The one rule for every service: `--OPTION FILE` when given (a missing file is an
 * error naming it, never silently skipped), else CONF_DIR/FILE when it exists, else
 * undefined (not configured).
 */
export function locateConfig(opts: Pick<RunOptions, 'confDir' | 'files'>, where: ConfigLocation): string | undefined {
  const explicit = opts.files[where.option];
  if (explicit !== undefined) {
    if (!existsSync(explicit)) throw new Error(`${explicit}: file not found (named by --${where.option})`);
    return explicit;
  }
  const f = path.join(opts.confDir, where.file);
  return existsSync(f) ? f : undefined;
}

/** What `triad check` prints for one file: diagnostics (stderr) and lines such as `zone X/IN: loaded serial N` (stdout). */
export interface CheckResult {
  diagnostics: Diagnostic[];
  info: string[];
}

/** A `triad` subcommand, loaded only when it runs. */
export interface CommandSpec {
  name: string;
  summary: string;
  /** Options that never take a value. */
  booleans?: readonly string[];
  /** Options this command reads (validated before it runs). */
  options?: readonly OptionSpec[];
  load: () => Promise<(args: ParsedArgs) => Promise<number>>;
}

/**
 * The `triad ctl` commands of one service. The running service answers them: it passes
 * this spec and one handler to `registerServiceControl` (control/server.ts), which serves
 * `triad ctl NAME COMMAND …`, the aliases, and refuses other commands; `triad ctl` prints
 * its usage from the spec.
 */
export interface ControlSpec {
  commands: readonly ControlCommandSpec[];
  /** What `triad ctl NAME` alone does. */
  default?: string;
}

export interface ControlCommandSpec {
  name: string;
  /** e.g. `VIP:PORT RIP:PORT`, for usage lines. */
  args?: string;
  summary: string;
  /** Reads state (and so takes `--json`); false for commands that change something. */
  read: boolean;
  /** Also answered as `triad ctl NAME` without the service's name (the spelling from before namespaces). */
  alias?: boolean;
}

// --- options -------------------------------------------------------------------

/** One `--key value` option: its kind says how the value is checked. */
export type OptionSpec =
  | { name: string; kind: 'integer'; min: number; max: number; value: string; summary: string }
  | { name: string; kind: 'choice'; choices: readonly string[]; summary: string }
  | { name: string; kind: 'list'; value: string; summary: string }
  | { name: string; kind: 'string'; value: string; summary: string }
  | { name: string; kind: 'file'; summary: string }
  | { name: string; kind: 'flag'; summary: string };

/** A bad command-line value: printed as it is, exit status 2. */
export class OptionError extends Error {
  override name = 'OptionError';
}

/** Checks one option's value; throws OptionError saying what is expected. */
export function validateOption(spec: OptionSpec, v: string | boolean | undefined): void {
  if (v === undefined) return;
  if (spec.kind === 'flag') {
    if (typeof v !== 'boolean') throw new OptionError(`--${spec.name} takes no value`);
    return;
  }
  if (typeof v !== 'string') throw new OptionError(`--${spec.name} needs a value${spec.kind === 'file' ? ' (a file name)' : ''}`);
  switch (spec.kind) {
    case 'integer':
      if (!/^[0-9]+$/.test(v) || Number(v) < spec.min || Number(v) > spec.max) throw new OptionError(`--${spec.name} ${v}: a whole number from ${spec.min} to ${spec.max} is expected`);
      return;
    case 'choice':
      if (!spec.choices.includes(v)) throw new OptionError(`--${spec.name} ${v}: one of ${spec.choices.join(', ')} is expected`);
      return;
    case 'list':
      if (!v.split(',').some((x) => x.trim())) throw new OptionError(`--${spec.name}: at least one ${spec.value} is expected`);
      return;
    default:
      if (v === '') throw new OptionError(`--${spec.name} needs a value`);
  }
}

/** Checks every option of `specs` that `args` carries. */
export function validateOptions(args: ParsedArgs, specs: readonly OptionSpec[]): void {
  for (const spec of specs) validateOption(spec, args.options[spec.name]);
}

/** The value of an integer option (validated), or undefined when not given. */
export function integerOption(opts: Pick<RunOptions, 'flags'>, spec: OptionSpec): number | undefined {
  const v = opts.flags[spec.name];
  validateOption(spec, v);
  return typeof v === 'string' ? Number(v) : undefined;
}

/** The value of a choice, string or file option (validated), or undefined. */
export function stringOption(opts: Pick<RunOptions, 'flags'>, spec: OptionSpec): string | undefined {
  const v = opts.flags[spec.name];
  validateOption(spec, v);
  return typeof v === 'string' ? v : undefined;
}

/** The items of a comma-separated list option (validated); empty when not given. */
export function listOption(opts: Pick<RunOptions, 'flags'>, spec: OptionSpec): string[] {
  const v = stringOption(opts, spec);
  return v === undefined ? [] : v.split(',').map((s) => s.trim()).filter(Boolean);
}

/** Options every command that reads the configuration takes. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: 'conf-dir', kind: 'file', summary: 'the configuration folder (default ./conf)' },
  { name: 'data-dir', kind: 'file', summary: 'writable state: leases, journals, the control socket (default CONF_DIR/../.triad-data, or TRIAD_DATA_DIR)' },
  { name: 'log-level', kind: 'choice', choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], summary: 'log level (default info, or TRIAD_LOG_LEVEL)' },
  { name: 'control-socket', kind: 'file', summary: 'the control socket (default DATA_DIR/control.sock)' },
];

/**
 * Command line → RunOptions. `--*-conf FILE` and `--leases FILE` are files (resolved
 * against the current directory); a file option without its FILE is an error, never
 * dropped. Everything else stays in `flags` for the services' typed readers.
 */
export function runOptionsFrom(args: ParsedArgs): RunOptions {
  const confDir = path.resolve(optString(args, 'conf-dir') ?? 'conf');
  const files: Record<string, string | undefined> = {};
  const flags: Record<string, string | boolean | undefined> = {};
  for (const [k, v] of Object.entries(args.options)) {
    if (k.endsWith('-conf') || k === 'leases') {
      if (typeof v !== 'string' || v === '') throw new OptionError(`--${k} needs a FILE`);
      files[k] = path.resolve(v);
    } else flags[k] = v;
  }
  const dataDir = path.resolve(optString(args, 'data-dir') ?? process.env.TRIAD_DATA_DIR ?? path.join(confDir, '..', '.triad-data'));
  return { confDir, dataDir, files, flags, log: createLogger({ level: optString(args, 'log-level') }), names: new NameRegistrations(), health: new ServiceHealth(), vrrpRoles: new VrrpRoles() };
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
