// dhcpd.conf as the DHCP service loads it: the user's file, then Triad's fixed-host file
// (DATA_DIR/dhcpd-fixed-hosts.conf) as if included at its end.

import { existsSync } from 'node:fs';
import { loadDhcpdConf, type DhcpdConf } from '../config/dhcpd-conf.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import type { RunOptions } from '../service.js';
import { fixedHostsPath } from './fixed-host.js';

/**
 * dhcpd.conf, then Triad's fixed-host file as if included at its end. At start a broken
 * fixed-host file must not stop DHCP: it serves dhcpd.conf alone and logs why; at a
 * reload the error keeps the running configuration (the supervisor logs it).
 */
export function loadDhcpConfig(file: string, opts: Pick<RunOptions, 'dataDir' | 'log'>, starting: boolean): DhcpdConf {
  const tail = fixedHostsPath(opts.dataDir);
  let r: ReturnType<typeof loadDhcpdConf>;
  try {
    r = loadDhcpdConf(file, tail);
  } catch (err) {
    if (!starting || !existsSync(tail)) throw err;
    r = loadDhcpdConf(file);
    opts.log.error({ file: tail, err: err instanceof Error ? err.message : String(err) }, 'dhcp: the fixed-host file is broken; serving dhcpd.conf without it (fix or delete the broken block and send SIGHUP)');
  }
  for (const w of r.warnings) opts.log.warn(formatDiagnostic(w));
  return r.conf;
}

