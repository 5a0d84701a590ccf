// Where the DHCP service finds its files; kept apart from service.ts so `triad check`
// and `triad leases` do not load the packet I/O.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunOptions } from '../service.js';
import type { DhcpdConf } from '../config/dhcpd-conf.js';

/**
 * `--dhcpd-conf FILE` (even when missing: reading it then fails with the reason, as for
 * named.conf), else CONF_DIR/dhcpd.conf when it exists.
 */
export function dhcpdConfPath(opts: Pick<RunOptions, 'confDir' | 'files'>): string | undefined {
  const explicit = opts.files['dhcpd-conf'];
  if (explicit) return explicit;
  const f = path.join(opts.confDir, 'dhcpd.conf');
  return existsSync(f) ? f : undefined;
}

/** `--leases FILE`, else dhcpd.conf's lease-file-name, else DATA_DIR/dhcpd.leases. */
export function leaseFilePath(opts: Pick<RunOptions, 'dataDir' | 'files'>, conf?: DhcpdConf): string {
  return opts.files['leases'] ?? conf?.global.params.leaseFileName ?? path.join(opts.dataDir, 'dhcpd.leases');
}
