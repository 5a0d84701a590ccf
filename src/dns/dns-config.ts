// Everything the DNS service needs from disk, loaded in one step so that start,
// reload (SIGHUP) and `triad check` agree: named.conf, its includes, every zone.

import { ConfigError, DiagnosticSink, type Diagnostic } from '../config/diagnostics.js';
import { loadNamedConf, type NamedConfig } from '../config/named-conf.js';
import { hostNetworks, type HostNetworks } from '../net/interfaces.js';
import { locateConfig, type CheckResult, type ConfigLocation, type RunOptions } from '../service.js';
import type { ServingView } from './responder.js';
import type { ListenAddress } from './server.js';
import { buildServingView, checkUnservedZones, listenAddresses, type FailedZone, type LoadedZone, type PreviousZones } from './view-builder.js';
import { buildViews, DEFAULT_VIEW, type PreviousViews, type ServedView } from './view-set.js';

export interface DnsConfig {
  conf: NamedConfig;
  /** The first view's (the only one without `view` statements). */
  view: ServingView;
  /** Every view in named.conf order; one implicit view without `view` statements. */
  views: ServedView[];
  listen: ListenAddress[];
  loaded: LoadedZone[];
  /** Zones that did not load (their errors are in `zoneErrors`); the rest is served. */
  failed: FailedZone[];
  /** Errors in zone files, each about one zone only; named.conf errors are thrown instead. */
  zoneErrors: Diagnostic[];
  warnings: Diagnostic[];
}

export const NAMED_CONF: ConfigLocation = { file: 'named.conf', option: 'named-conf' };

/** `--named-conf FILE` (an error when missing), else CONF_DIR/named.conf when it exists. */
export function namedConfPath(opts: Pick<RunOptions, 'confDir' | 'files'>): string | undefined {
  return locateConfig(opts, NAMED_CONF);
}

/**
 * `triad check` for named.conf, like `named-checkconf -z`: the file's diagnostics, then
 * every zone's (zones of views Triad does not serve are loaded too).
 */
export function checkDnsConfig(file: string, host: HostNetworks = hostNetworks()): CheckResult {
  const sink = new DiagnosticSink();
  const conf = loadNamedConf(file, sink);
  if (sink.hasErrors()) return { diagnostics: sink.items, info: [] };
  const built = buildServingView(conf, host);
  const other = checkUnservedZones(conf);
  return {
    diagnostics: [...sink.items, ...built.diagnostics, ...other.diagnostics],
    info: [...built.loaded, ...other.loaded].map((z) => `zone ${z.name}/IN: loaded serial ${z.serial}`),
  };
}

/** Loads named.conf only (no zones): diagnostics in `sink`. */
export function loadNamedConfOnly(file: string, sink: DiagnosticSink): NamedConfig {
  return loadNamedConf(file, sink);
}

/**
 * Loads named.conf and every zone. An error in named.conf throws ConfigError
 * with every error found (nothing is served from a configuration named would
 * refuse); an error in a zone file fails only that zone, as named does: it is
 * listed in `failed` and keeps its `previous` data if it had any.
 */
export function loadDnsConfig(file: string, host: HostNetworks = hostNetworks(), previous?: PreviousZones | PreviousViews): DnsConfig {
  const sink = new DiagnosticSink();
  const conf = loadNamedConf(file, sink);
  sink.throwIfErrors();
  // A map alone is the previous zones of a configuration without views.
  const prev: PreviousViews | undefined = previous === undefined || typeof previous === 'function' ? previous : (name) => (name === DEFAULT_VIEW ? previous : undefined);
  const built = buildViews(conf, host, prev);
  const all = [...sink.items, ...built.diagnostics];
  return {
    conf, view: built.views[0].view, views: built.views, listen: listenAddresses(conf, host), loaded: built.loaded, failed: built.failed,
    zoneErrors: all.filter((d) => d.severity === 'error'), warnings: all.filter((d) => d.severity === 'warning'),
  };
}

/**
 * Only for callers that need every zone (test helpers, benchmarks): throws
 * ConfigError when any zone did not load.
 */
export function requireAllZones(cfg: DnsConfig): DnsConfig {
  if (cfg.zoneErrors.length > 0) throw new ConfigError(cfg.zoneErrors);
  return cfg;
}
