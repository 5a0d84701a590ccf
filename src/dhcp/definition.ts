// The DHCP server as Triad's service list sees it: dhcpd.conf, its check, its
// creation, `--interfaces`, `triad leases`, and `triad ctl dhcp leases|stats`.
// Loading this module loads no packet I/O: the service is imported when created.

import { DiagnosticSink } from '../config/diagnostics.js';
import { parseDhcpdConf } from '../config/dhcpd-conf.js';
import { listOption, type ControlSpec, type OptionSpec, type RunOptions, type ServiceDefinition } from '../service.js';
import { fixedHostsPath } from './fixed-host.js';
import { DHCPD_CONF, dhcpdConfPath, haConfigFor } from './paths.js';

const DHCP_INTERFACES: OptionSpec = { name: 'interfaces', kind: 'list', value: 'IF,…', summary: 'the interfaces DHCP serves (default: every up broadcast interface on a declared subnet)' };

/** `--interfaces IF,…`; empty when not given. */
export function dhcpInterfaces(opts: Pick<RunOptions, 'flags'>): string[] {
  return listOption(opts, DHCP_INTERFACES);
}

export const DHCP_CONTROL: ControlSpec = {
  commands: [
    { name: 'leases', args: '[--all]', summary: 'the leases in memory: address, MAC, hostname, expiry (every record with all)', read: true },
    { name: 'ha', summary: 'the HA pair: this server\'s state, the partner\'s state, scopes, unacked clients, last heartbeat', read: true },
    { name: 'stats', summary: "packets received, malformed, ignored, replies, acks, send errors; leases by state; the same in Kea's statistic names", read: true },
    { name: 'release', args: 'ADDR', summary: 'free the lease of ADDR as a DHCPRELEASE from its client would (on disk first; its DNS name goes)', read: false },
    { name: 'fixed-host', args: 'ADDR [NAME]', summary: "turn the lease of ADDR into a fixed host (its MAC, its address) in DATA_DIR/dhcpd-fixed-hosts.conf, then reload; dhcpd.conf is not touched", read: false },
  ],
  default: 'stats',
};

export const dhcpDefinition: ServiceDefinition = {
  name: 'dhcp',
  config: DHCPD_CONF,
  locate: dhcpdConfPath,
  check: async (file, opts) => {
    const sink = new DiagnosticSink();
    // Triad's fixed-host file too, as the service reads it (after dhcpd.conf).
    const { conf } = parseDhcpdConf(file, undefined, sink, fixedHostsPath(opts.dataDir));
    const ha = haConfigFor(opts, conf, sink);
    const info = ha ? [`dhcp HA: ${ha.thisServerName} in ${ha.mode} with ${ha.peers.filter((p) => p.name !== ha.thisServerName).map((p) => `${p.name} (${p.role}, ${p.url})`).join(', ')}`] : [];
    return { diagnostics: sink.items, info };
  },
  create: async (o) => (await import('./service.js')).createDhcpService(o),
  options: [DHCP_INTERFACES, { name: 'dhcp-ha-conf', kind: 'file', summary: "Kea's high-availability hook parameters (default: CONF_DIR/dhcp-ha.json when present)" }, { name: 'leases', kind: 'file', summary: 'the lease file (default: lease-file-name, else DATA_DIR/dhcpd.leases)' }],
  commands: [
    {
      name: 'leases',
      summary: 'list active DHCP leases (address, MAC, hostname, expiry); --leases FILE, --all',
      booleans: ['all'],
      options: [{ name: 'all', kind: 'flag', summary: 'every record, with its state' }],
      load: async () => (await import('./commands.js')).leasesCommand,
    },
  ],
  control: DHCP_CONTROL,
  // Packet sockets (replies to clients without an address, relay traffic); port 67 again at a reload.
  capabilities: ['CAP_NET_RAW', 'CAP_NET_BIND_SERVICE'],
};
