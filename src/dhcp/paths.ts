// Where the DHCP service finds its files; kept apart from service.ts so `triad check`
// and `triad leases` do not load the packet I/O.

import path from 'node:path';
import { locateConfig, type ConfigLocation, type RunOptions } from '../service.js';
import type { DhcpdConf } from '../config/dhcpd-conf.js';
import { parseHaFile, type HaConfig } from '../config/ha-conf.js';
import type { DiagnosticSink } from '../config/diagnostics.js';

export const DHCPD_CONF: ConfigLocation = { file: 'dhcpd.conf', option: 'dhcpd-conf' };

/** `--dhcpd-conf FILE` (an error when missing), else CONF_DIR/dhcpd.conf when it exists. */
export function dhcpdConfPath(opts: Pick<RunOptions, 'confDir' | 'files'>): string | undefined {
  return locateConfig(opts, DHCPD_CONF);
}

/** `--leases FILE`, else dhcpd.conf's lease-file-name, else DATA_DIR/dhcpd.leases. */
export function leaseFilePath(opts: Pick<RunOptions, 'dataDir' | 'files'>, conf?: DhcpdConf): string {
  return opts.files['leases'] ?? conf?.global.params.leaseFileName ?? path.join(opts.dataDir, 'dhcpd.leases');
}

/** Kea's HA hook parameters for pairing with Kea (or another Triad): --dhcp-ha-conf FILE, else CONF_DIR/dhcp-ha.json. */
export const DHCP_HA: ConfigLocation = { file: 'dhcp-ha.json', option: 'dhcp-ha-conf' };

/**
 * The HA pair: dhcp-ha.json when present, else dhcpd.conf's failover peer; both at once
 * is an error (one pair, described once). Diagnostics go to `sink`.
 */
export function haConfigFor(opts: Pick<RunOptions, 'confDir' | 'files'>, conf: DhcpdConf | undefined, sink: DiagnosticSink): HaConfig | undefined {
  const file = locateConfig(opts, DHCP_HA);
  if (!file) return conf?.ha;
  const ha = parseHaFile(file, undefined, sink);
  if (ha && conf?.ha) sink.error(conf.ha.pos, `failover peer: the HA pair is already described in ${file}; keep one of the two`);
  return ha;
}
