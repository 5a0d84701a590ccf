// Every service `triad run` knows, in start order. A service module is loaded only
// when its configuration is present, so `npm start` with DNS alone never loads the
// packet I/O of DHCP or the load balancer.

import type { ServiceDefinition } from './service.js';
import { namedConfPath } from './dns/dns-config.js';
import { dhcpdConfPath } from './dhcp/paths.js';
import { lbConfPath } from './lb/config-check.js';
import { relayConfPath, RELAY_CONF_NAME } from './dhcp/relay-paths.js';

export const SERVICES: readonly ServiceDefinition[] = [
  {
    name: 'dns',
    config: { file: 'named.conf', option: 'named-conf' },
    locate: namedConfPath,
    create: async (o) => (await import('./dns/service.js')).createDnsService(o),
  },
  {
    name: 'lb',
    config: { file: 'keepalived.conf', option: 'lb-conf' },
    locate: lbConfPath,
    create: async (o) => (await import('./lb/service.js')).createLbService(o),
  },
  {
    name: 'dhcp',
    config: { file: 'dhcpd.conf', option: 'dhcpd-conf' },
    locate: dhcpdConfPath,
    create: async (o) => (await import('./dhcp/service.js')).createDhcpService(o),
  },
  {
    name: 'dhcp-relay',
    config: { file: RELAY_CONF_NAME, option: 'relay-conf' },
    locate: relayConfPath,
    create: async (o) => (await import('./dhcp/relay-service.js')).createRelayService(o),
  },
];
