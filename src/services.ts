// Every service Triad knows, in start order: one line per service, each pointing at
// the definition module in its folder (name, configuration, check, creation, options,
// subcommands, control commands). `triad run`, `triad check`, `triad ctl` and the CLI
// read this list. A definition loads no service code: the service module is imported
// only when its configuration is present, so `npm start` with DNS alone never loads
// the packet I/O of DHCP or the load balancer.

import type { OptionSpec, ServiceDefinition } from './service.js';
import { dnsDefinition } from './dns/definition.js';
import { lbDefinition } from './lb/definition.js';
import { dhcpDefinition } from './dhcp/definition.js';
import { relayDefinition } from './dhcp/relay-definition.js';
import { vrrpDefinition } from './vrrp/definition.js';
import { tftpDefinition } from './tftp/definition.js';
import { httpBootDefinition } from './httpboot/definition.js';
import { pxeProxyDefinition } from './dhcp/proxy-definition.js';

export const SERVICES: readonly ServiceDefinition[] = [dnsDefinition, lbDefinition, dhcpDefinition, relayDefinition, vrrpDefinition, tftpDefinition, httpBootDefinition, pxeProxyDefinition];

/** Every service's `triad run` options. */
export function serviceOptions(defs: readonly ServiceDefinition[] = SERVICES): OptionSpec[] {
  return defs.flatMap((d) => d.options ?? []);
}
