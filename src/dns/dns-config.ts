// Everything the DNS service needs from disk, loaded in one step so that start,
// reload (SIGHUP) and `triad check` agree: named.conf, its includes, every zone.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, DiagnosticSink, type Diagnostic } from '../config/diagnostics.js';
import { loadNamedConf, type NamedConfig } from '../config/named-conf.js';
import { hostNetworks, type HostNetworks } from '../net/interfaces.js';
import type { RunOptions } from '../service.js';
import type { ServingView } from './responder.js';
import type { ListenAddress } from './server.js';
import { buildServingView, listenAddresses, type LoadedZone } from './view-builder.js';

export interface DnsConfig {
  conf: NamedConfig;
  view: ServingView;
  listen: ListenAddress[];
  loaded: LoadedZone[];
  /** Warnings (errors are thrown). */
  warnings: Diagnostic[];
}

/** `--named-conf FILE`, else CONF_DIR/named.conf; undefined when neither exists. */
export function namedConfPath(opts: Pick<RunOptions, 'confDir' | 'files'>): string | undefined {
  const explicit = opts.files['named-conf'];
  if (explicit) return explicit;
  const p = path.join(opts.confDir, 'named.conf');
  return existsSync(p) ? p : undefined;
}

/** Loads named.conf only (no zones): diagnostics in `sink`. */
export function loadNamedConfOnly(file: string, sink: DiagnosticSink): NamedConfig {
  return loadNamedConf(file, sink);
}

/** Loads named.conf and every zone; throws ConfigError with every error found. */
export function loadDnsConfig(file: string, host: HostNetworks = hostNetworks()): DnsConfig {
  const sink = new DiagnosticSink();
  const conf = loadNamedConf(file, sink);
  sink.throwIfErrors();
  const built = buildServingView(conf, host);
  const all = [...sink.items, ...built.diagnostics];
  const errors = all.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new ConfigError(errors);
  return { conf, view: built.view, listen: listenAddresses(conf, host), loaded: built.loaded, warnings: all.filter((d) => d.severity === 'warning') };
}
