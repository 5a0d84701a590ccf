// `triad check`: load every configuration `triad run` would, report every error
// and warning with file:line:col and a caret, exit non-zero when any error was
// found. Like `named-checkconf -z`: zones are loaded too. Each file kind is one
// entry of CHECKS, so dhcpd.conf and keepalived.conf plug in beside named.conf.

import type { ParsedArgs } from './args.js';
import { DiagnosticSink, formatDiagnostic, type Diagnostic } from './config/diagnostics.js';
import { namedConfPath } from './dns/dns-config.js';
import { runOptionsFrom } from './main.js';
import { loadNamedConf } from './config/named-conf.js';
import { buildServingView, checkUnservedZones } from './dns/view-builder.js';
import { hostNetworks } from './net/interfaces.js';
import type { RunOptions } from './service.js';
import { parseDhcpdConf } from './config/dhcpd-conf.js';
import { dhcpdConfPath } from './dhcp/paths.js';
import { checkKeepalivedConf, lbConfPath } from './lb/config-check.js';
import { loadDefaultRelay } from './config/default-relay.js';
import { agentConfig, relayConfPath } from './dhcp/relay-service.js';

export interface CheckOutput {
  /** Diagnostics, printed to stderr. */
  diagnostic(d: Diagnostic): void;
  /** Progress lines such as `zone X/IN: loaded serial N`, printed to stdout. */
  info(line: string): void;
}

export interface ConfigCheck {
  /** e.g. "named.conf". */
  name: string;
  /** The file this check would read, or undefined when that service has no configuration. */
  locate(opts: RunOptions): string | undefined;
  /** Checks the file; returns true when it has no error. */
  run(file: string, out: CheckOutput): Promise<boolean>;
}

const namedConfCheck: ConfigCheck = {
  name: 'named.conf',
  locate: (opts) => namedConfPath(opts),
  async run(file, out) {
    const sink = new DiagnosticSink();
    const conf = loadNamedConf(file, sink);
    for (const d of sink.items) out.diagnostic(d);
    if (sink.hasErrors()) return false;
    const built = buildServingView(conf, hostNetworks());
    // Zones of views Triad does not serve are still loaded, as named-checkconf -z does.
    const other = checkUnservedZones(conf);
    const diagnostics = [...built.diagnostics, ...other.diagnostics];
    for (const d of diagnostics) out.diagnostic(d);
    for (const z of [...built.loaded, ...other.loaded]) out.info(`zone ${z.name}/IN: loaded serial ${z.serial}`);
    return !diagnostics.some((d) => d.severity === 'error');
  },
};

const dhcpdConfCheck: ConfigCheck = {
  name: 'dhcpd.conf',
  locate: (opts) => dhcpdConfPath(opts),
  async run(file, out) {
    const sink = new DiagnosticSink();
    parseDhcpdConf(file, undefined, sink);
    for (const d of sink.items) out.diagnostic(d);
    return !sink.hasErrors();
  },
};

const keepalivedConfCheck: ConfigCheck = {
  name: 'keepalived.conf',
  locate: (opts) => lbConfPath(opts),
  async run(file, out) {
    const { sink } = checkKeepalivedConf(file);
    for (const d of sink.items) out.diagnostic(d);
    return !sink.hasErrors();
  },
};

const relayConfCheck: ConfigCheck = {
  name: 'isc-dhcp-relay',
  locate: (opts) => relayConfPath(opts),
  async run(file, out) {
    const sink = new DiagnosticSink();
    const conf = loadDefaultRelay(file, sink);
    for (const d of sink.items) out.diagnostic(d);
    if (sink.hasErrors() || !conf) return false;
    agentConfig(conf); // throws for server names and a missing interface list
    return true;
  },
};

/** Every configuration kind `triad check` knows. Later services append theirs. */
export const CHECKS: ConfigCheck[] = [namedConfCheck, dhcpdConfCheck, keepalivedConfCheck, relayConfCheck];

export async function checkCommand(args: ParsedArgs): Promise<number> {
  const opts = runOptionsFrom(args);
  const out: CheckOutput = {
    diagnostic: (d) => process.stderr.write(formatDiagnostic(d) + '\n'),
    info: (line) => process.stdout.write(line + '\n'),
  };
  let found = 0;
  let ok = true;
  for (const check of CHECKS) {
    const file = check.locate(opts);
    if (!file) continue;
    found++;
    try {
      if (!(await check.run(file, out))) ok = false;
    } catch (err) {
      process.stderr.write(`${file}: error: ${err instanceof Error ? err.message : String(err)}\n`);
      ok = false;
    }
  }
  if (found === 0) {
    process.stderr.write(`triad check: no configuration found in ${opts.confDir}\n`);
    return 1;
  }
  return ok ? 0 : 1;
}
