// The load balancer as Triad's service list sees it: keepalived.conf, its check (the
// parser plus what each engine can serve), its creation, `--lb-datapath` and the
// connection timeouts, and `triad ctl lb [show]|drain|undrain`. Loading this module
// loads no nftables or packet code.

import { integerOption, stringOption, type ControlSpec, type OptionSpec, type RunOptions, type ServiceDefinition } from '../service.js';
import { checkKeepalivedConf, KEEPALIVED_CONF, lbConfPath } from './config-check.js';
import { DEFAULT_TIMEOUTS, type ConnTimeouts } from './conn-table.js';

const LB_DATAPATH: OptionSpec = { name: 'lb-datapath', kind: 'choice', choices: ['nft', 'packet', 'userspace'], summary: 'the engine of virtual servers that name none (default nft)' };
const seconds = (name: string, what: string, d: number): OptionSpec => ({ name, kind: 'integer', min: 1, max: 86400 * 7, value: 'SECONDS', summary: `packet engine: ${what} (default ${d})` });
const LB_TIMEOUT_TCP = seconds('lb-timeout-tcp', 'idle timeout of an established TCP connection', DEFAULT_TIMEOUTS.tcp);
const LB_TIMEOUT_TCPFIN = seconds('lb-timeout-tcpfin', 'timeout after FIN', DEFAULT_TIMEOUTS.tcpFin);
const LB_TIMEOUT_UDP = seconds('lb-timeout-udp', 'idle timeout of a UDP flow', DEFAULT_TIMEOUTS.udp);

/** `--lb-datapath`, or undefined. */
export function lbDatapath(opts: Pick<RunOptions, 'flags'>): string | undefined {
  return stringOption(opts, LB_DATAPATH);
}

/** The packet engine's connection timeouts: `--lb-timeout-*`, else IPVS's defaults. */
export function lbTimeouts(opts: Pick<RunOptions, 'flags'>): ConnTimeouts {
  return {
    tcp: integerOption(opts, LB_TIMEOUT_TCP) ?? DEFAULT_TIMEOUTS.tcp,
    tcpFin: integerOption(opts, LB_TIMEOUT_TCPFIN) ?? DEFAULT_TIMEOUTS.tcpFin,
    udp: integerOption(opts, LB_TIMEOUT_UDP) ?? DEFAULT_TIMEOUTS.udp,
  };
}

export const LB_CONTROL: ControlSpec = {
  commands: [
    { name: 'show', summary: 'virtual and real servers with state, weight, connections and counters (like ipvsadm -Ln --stats)', read: true },
    { name: 'status', summary: 'the same as show', read: true },
    { name: 'list', summary: 'the same as show', read: true },
    { name: 'drain', args: 'VIP:PORT[/tcp|udp] RIP:PORT', summary: 'weight 0 for new flows; established ones stay', read: false },
    { name: 'undrain', args: 'VIP:PORT[/tcp|udp] RIP:PORT', summary: 'lift a drain', read: false },
    { name: 'sync', summary: 'connection sync (lvs_sync_daemon): role, datagrams sent and received, entries installed, drops by reason', read: true },
  ],
  default: 'show',
};

export const lbDefinition: ServiceDefinition = {
  name: 'lb',
  config: KEEPALIVED_CONF,
  locate: lbConfPath,
  check: async (file, opts) => ({ diagnostics: checkKeepalivedConf(file, lbDatapath(opts)).sink.items, info: [] }),
  create: async (o) => (await import('./service.js')).createLbService(o),
  notServed: 'it configures VRRP only (no virtual_server)',
  options: [LB_DATAPATH, LB_TIMEOUT_TCP, LB_TIMEOUT_TCPFIN, LB_TIMEOUT_UDP],
  control: LB_CONTROL,
  // nftables tables and VIP addresses (nft, ip), ARP and the packet engine.
  capabilities: ['CAP_NET_ADMIN', 'CAP_NET_RAW'],
};
