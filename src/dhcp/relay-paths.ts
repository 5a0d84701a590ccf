// Where the relay finds its file; kept apart from relay-service.ts so `triad run`
// and `triad check` can locate it without loading the packet I/O.

import { locateConfig, type ConfigLocation, type RunOptions } from '../service.js';

/** Debian's /etc/default/isc-dhcp-relay, by the same name in CONF_DIR. */
export const RELAY_CONF_NAME = 'isc-dhcp-relay';

export const RELAY_CONF: ConfigLocation = { file: RELAY_CONF_NAME, option: 'relay-conf' };

/** --relay-conf FILE (an error when missing), else CONF_DIR/isc-dhcp-relay when present. */
export function relayConfPath(opts: Pick<RunOptions, 'confDir' | 'files'>): string | undefined {
  return locateConfig(opts, RELAY_CONF);
}
