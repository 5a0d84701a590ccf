// Where the relay finds its file; kept apart from relay-service.ts so `triad run`
// and `triad check` can locate it without loading the packet I/O.

import { existsSync } from 'node:fs';
import path from 'node:path';
import type { RunOptions } from '../service.js';

/** Debian's /etc/default/isc-dhcp-relay, by the same name in CONF_DIR. */
export const RELAY_CONF_NAME = 'isc-dhcp-relay';

/** --relay-conf FILE, else CONF_DIR/isc-dhcp-relay when present. */
export function relayConfPath(opts: Pick<RunOptions, 'confDir' | 'files'>): string | undefined {
  const explicit = opts.files['relay-conf'];
  if (explicit) return explicit;
  const p = path.join(opts.confDir, RELAY_CONF_NAME);
  return existsSync(p) ? p : undefined;
}
