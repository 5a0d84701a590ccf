// Where the DHCP service finds its files; kept apart from service.ts so `triad check`
// and `triad leases` do not load the packet I/O.

import path from 'node:path';
import { locateConfig, type ConfigLocation, type RunOptions } from '../service.js';
import type { DhcpdConf } from '../config/dhcpd-conf.js';

export const DHCPD_CONF: ConfigLocation = { file: 'dhcpd.conf', option: 'dhcpd-conf' };

/** `--dhcpd-conf FILE` (an error when missing), else CONF_DIR/dhcpd.conf when it exists. */
export function dhcpdConfPath(opts: Pick<RunOptions, 'confDir' | 'files'>): string | undefined {
  return locateConfig(opts, DHCPD_CONF);
}

/** `--leases FILE`, else dhcpd.conf's lease-file-name, else DATA_DIR/dhcpd.leases. */
export function leaseFilePath(opts: Pick<RunOptions, 'dataDir' | 'files'>, conf?: DhcpdConf): string {
  return opts.files['leases'] ?? conf?.global.params.leaseFileName ?? path.join(opts.dataDir, 'dhcpd.leases');
}
